package dataplane

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"k8s.io/client-go/rest"
)

// The agent: kube-network-policies, SIG Network's reference NetworkPolicy
// implementation, unmodified. It runs "in cluster" only: it reads a
// service-account token and CA from /var/run/secrets/kubernetes.io/
// serviceaccount and the server from $KUBERNETES_SERVICE_HOST/PORT. It
// queues the first packet of each new connection (conntrack state NEW) to
// NFQUEUE queueID from the POSTROUTING hook of its network namespace and
// decides it in user space from the NetworkPolicies, Pods and Namespaces it
// watches.

const (
	// nodeName is the agent's --hostname-override; every Pod of the tests
	// is scheduled there (spec.nodeName), the agent filters only those.
	nodeName = "netpolc-dataplane"
	queueID  = 100
)

// queueMode says how packets reach the agent's queue.
type queueMode string

const (
	// nftQueue: the agent's own nftables rules (nft "queue" statement).
	nftQueue queueMode = "nftables queue (the agent's own rules)"
	// iptablesQueue: the kernel lacks CONFIG_NFT_QUEUE, so the agent's
	// nftables ruleset is refused; two iptables-legacy NFQUEUE rules queue
	// the same packets instead.
	iptablesQueue queueMode = "iptables-legacy NFQUEUE rules (this kernel refuses the nftables queue statement)"
)

// detectQueueMode tries the nftables rule the agent needs (a "queue"
// statement in an inet filter chain on POSTROUTING) in the node namespace
// and removes it again.
func detectQueueMode(n *node) (queueMode, error) {
	conn, err := nftables.New(nftables.WithNetNSFd(int(n.ns.Fd())))
	if err != nil {
		return "", err
	}
	table := &nftables.Table{Name: "netpolc-queue-probe", Family: nftables.TableFamilyINet}
	conn.AddTable(table)
	chain := conn.AddChain(&nftables.Chain{
		Name: "postrouting", Table: table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityFilter,
	})
	conn.AddRule(&nftables.Rule{Table: table, Chain: chain, Exprs: []expr.Any{&expr.Queue{Num: queueID}}})
	queueErr := conn.Flush()
	// A refused batch leaves nothing behind; an accepted one is removed.
	conn.DelTable(table)
	delErr := conn.Flush()
	if queueErr != nil {
		return iptablesQueue, nil
	}
	if delErr != nil {
		return "", fmt.Errorf("removing the probe table: %w", delErr)
	}
	return nftQueue, nil
}

// agentScript runs as the agent's process (it ends with exec) in a private
// mount namespace inside the node's network namespace: a tmpfs on /run
// receives the service-account files (nothing is written on the host), the
// NFQUEUE rules are added if needed, and the agent starts. $1 is the
// agent's binary; its flags follow.
const agentScript = `set -eu
mount -t tmpfs -o mode=0755 tmpfs /run
if ! [ /var/run -ef /run ]; then mount -t tmpfs -o mode=0755 tmpfs /var/run; fi
d=/var/run/secrets/kubernetes.io/serviceaccount
mkdir -p "$d"
printf '%s' "$NETPOLC_SA_TOKEN" >"$d/token"
printf '%s' "$NETPOLC_SA_CA" >"$d/ca.crt"
unset NETPOLC_SA_TOKEN NETPOLC_SA_CA
if [ -n "${NETPOLC_IPTABLES:-}" ]; then
	# New connections to a pod (each leaves the node through a pod's veth),
	# as the agent's nftables rules would queue them.
	"$NETPOLC_IPTABLES" -w -t mangle -A POSTROUTING -o "$NETPOLC_IFACES" \
		-m conntrack ! --ctstate ESTABLISHED,RELATED -j NFQUEUE --queue-num "$NETPOLC_QUEUE"
fi
exec "$@"
`

type agent struct {
	mode  queueMode
	admin bool // the admin-policy mode
	log   *tailBuffer
	proxy net.Listener
	cmd   *exec.Cmd
	done  chan struct{} // closed when the process has exited
	err   error         // its exit status, once done
}

// startAgent starts the agent in n's namespace, talking to the API server
// of cfg through a TCP proxy whose listener is in n's namespace (the server
// listens on the host's loopback, which n does not see).
//
// With admin, the agent also enforces AdminNetworkPolicy and
// BaselineAdminNetworkPolicy (its admin-policy mode: the flags
// --admin-network-policy and --baseline-admin-network-policy, which need
// their CRDs in the server; realk8s.sh installs them).
func startAgent(n *node, cfg *rest.Config, binary, iptables string, mode queueMode, verbosity int, admin bool) (*agent, error) {
	a := &agent{mode: mode, admin: admin, log: &tailBuffer{max: 64 << 10}, done: make(chan struct{})}
	u, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, err
	}
	target := u.Host
	ca := cfg.TLSClientConfig.CAData
	if len(ca) == 0 && cfg.TLSClientConfig.CAFile != "" {
		if ca, err = os.ReadFile(cfg.TLSClientConfig.CAFile); err != nil {
			return nil, err
		}
	}
	if cfg.BearerToken == "" || len(ca) == 0 {
		return nil, fmt.Errorf("the kubeconfig has no bearer token or no CA certificate: the agent needs both")
	}
	if err := inNetns(n.ns, func() error {
		a.proxy, err = net.Listen("tcp4", "127.0.0.1:0")
		return err
	}); err != nil {
		return nil, fmt.Errorf("proxy listener in the node namespace: %w", err)
	}
	go proxy(a.proxy, target)
	port := a.proxy.Addr().(*net.TCPAddr).Port

	args := []string{
		"--net=/proc/self/fd/3", "--",
		"unshare", "--mount", "--propagation", "private", "--",
		"/bin/sh", "-c", agentScript, "sh", binary,
		"--hostname-override=" + nodeName,
		"--nfqueue-id=" + strconv.Itoa(queueID),
		"--metrics-bind-address=127.0.0.1:0",
		"-v=" + strconv.Itoa(verbosity),
	}
	if admin {
		args = append(args, "--admin-network-policy", "--baseline-admin-network-policy")
	}
	a.cmd = exec.Command("nsenter", args...)
	a.cmd.ExtraFiles = []*os.File{n.ns}
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	a.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"KUBERNETES_SERVICE_HOST=127.0.0.1",
		"KUBERNETES_SERVICE_PORT=" + strconv.Itoa(port),
		"NETPOLC_SA_TOKEN=" + cfg.BearerToken,
		"NETPOLC_SA_CA=" + string(ca),
		"NETPOLC_IFACES=" + ifacePrefix + "+",
		"NETPOLC_QUEUE=" + strconv.Itoa(queueID),
	}
	if mode == iptablesQueue {
		a.cmd.Env = append(a.cmd.Env, "NETPOLC_IPTABLES="+iptables)
	}
	// The agent dies with the test process (Pdeathsig), even on SIGKILL.
	// Pdeathsig fires when the starting thread ends, so the goroutine that
	// starts it keeps its thread locked until the agent has exited.
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := a.cmd.Start(); err != nil {
			started <- err
			runtime.UnlockOSThread()
			return
		}
		started <- nil
		a.err = a.cmd.Wait()
		close(a.done)
		// The thread stays locked: the Go runtime discards it.
	}()
	if err := <-started; err != nil {
		a.proxy.Close()
		return nil, err
	}
	if err := a.waitQueue(n, 90*time.Second); err != nil {
		a.stop()
		return nil, err
	}
	return a, nil
}

// waitQueue waits until the agent has bound its NFQUEUE in n's namespace,
// which it does once its informers have synced.
func (a *agent) waitQueue(n *node, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var bound bool
		err := inNetns(n.ns, func() error {
			data, err := os.ReadFile("/proc/thread-self/net/netfilter/nfnetlink_queue")
			if err != nil {
				return err
			}
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				if f := strings.Fields(sc.Text()); len(f) > 0 && f[0] == strconv.Itoa(queueID) {
					bound = true
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading the node's nfnetlink_queue: %w", err)
		}
		if bound {
			return nil
		}
		select {
		case <-a.done:
			return fmt.Errorf("the agent exited during startup (%v); its output:\n%s", a.err, a.log)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the agent did not bind NFQUEUE %d within %v; its output:\n%s", queueID, timeout, a.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive reports an error if the agent has exited.
func (a *agent) alive() error {
	select {
	case <-a.done:
		return fmt.Errorf("the agent exited (%v); its output:\n%s", a.err, a.log)
	default:
		return nil
	}
}

// stop kills the agent. Its cleanup (on SIGINT) would only remove its
// rules from the node namespace, which goes away with the test anyway.
func (a *agent) stop() {
	_ = a.cmd.Process.Kill()
	<-a.done
	a.proxy.Close()
}

// proxy forwards every connection accepted on l to target.
func proxy(l net.Listener, target string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			s, err := net.DialTimeout("tcp", target, 10*time.Second)
			if err != nil {
				return
			}
			defer s.Close()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(s, c); done <- struct{}{} }()
			go func() { _, _ = io.Copy(c, s); done <- struct{}{} }()
			<-done
		}()
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
