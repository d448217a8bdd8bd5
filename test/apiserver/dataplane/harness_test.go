package dataplane

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Environment of the tests, set by test/apiserver/realk8s.sh run.
const (
	// KubeconfigEnv names the kubeconfig of the API server (a plain
	// KUBECONFIG is ignored on purpose: the tests create and delete
	// namespaces, pods and policies).
	KubeconfigEnv = "NETPOLC_APISERVER_KUBECONFIG"
	// AgentEnv names the kube-network-policies binary.
	AgentEnv = "NETPOLC_DATAPLANE_AGENT"
)

// harness is the running dataplane: the node with its pods, the agent, and
// a client of the API server. All tests of the package share it; TestMain
// stops it.
type harness struct {
	cs  kubernetes.Interface
	dyn dynamic.Interface // for the network-policy API objects
	// How the agent was started, to restart it in another mode.
	cfg      *rest.Config
	binary   string
	iptables string
	mode     queueMode
	node     *node
	agent    *agent
	// mu serialises the programs: they share the node and the namespaces.
	mu sync.Mutex
}

var (
	setupOnce  sync.Once
	theHarness *harness
	setupErr   error
	skipReason string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if theHarness != nil {
		theHarness.close()
	}
	os.Exit(code)
}

// setup returns the shared harness. Where the machine cannot run it (no
// server or agent configured, not root, no network namespaces, no NFQUEUE)
// the test is skipped with the reason, or fails when $CI is set, so that CI
// can never pass without having filtered a packet.
func setup(t *testing.T) *harness {
	t.Helper()
	setupOnce.Do(func() { theHarness, skipReason, setupErr = newHarness() })
	if skipReason != "" {
		msg := "NO DATAPLANE: " + skipReason + ", so netpolc's NetworkPolicies were NOT enforced on real packets. " +
			"Run test/apiserver/realk8s.sh run as root (make test does)."
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " $CI is set: a missing dataplane is a failure.")
		}
		t.Skip(msg)
	}
	if setupErr != nil {
		t.Fatalf("dataplane setup: %v", setupErr)
	}
	return theHarness
}

// newHarness starts everything. It returns a skip reason for what the
// machine lacks, an error for what fails.
func newHarness() (*harness, string, error) {
	kubeconfig, binary := os.Getenv(KubeconfigEnv), os.Getenv(AgentEnv)
	switch {
	case kubeconfig == "":
		return nil, "$" + KubeconfigEnv + " is not set", nil
	case os.Geteuid() != 0:
		return nil, "not running as root (network namespaces, veths and NFQUEUE need it)", nil
	case binary == "":
		return nil, "$" + AgentEnv + " (the kube-network-policies binary) is not set", nil
	}
	for _, tool := range []string{"nsenter", "unshare"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, tool + " (util-linux) is not installed", nil
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, "", err
	}
	cfg.QPS, cfg.Burst = 1000, 2000
	cfg.Timeout = 30 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := apiContext()
	defer cancel()
	if err := removeLeftovers(ctx, cs, dyn); err != nil {
		return nil, "", fmt.Errorf("removing the objects of an earlier run: %w", err)
	}
	n, err := newNode()
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, "cannot create network namespaces: " + err.Error(), nil
		}
		return nil, "", err
	}
	h := &harness{cs: cs, dyn: dyn, node: n}
	if reason, err := h.startAgent(cfg, binary); reason != "" || err != nil {
		n.close()
		return nil, reason, err
	}
	return h, "", nil
}

func (h *harness) startAgent(cfg *rest.Config, binary string) (string, error) {
	if err := inNetns(h.node.ns, func() error {
		_, err := os.Stat("/proc/thread-self/net/netfilter/nfnetlink_queue")
		return err
	}); err != nil {
		return "the kernel has no NFQUEUE (CONFIG_NETFILTER_NETLINK_QUEUE)", nil
	}
	mode, err := detectQueueMode(h.node)
	if err != nil {
		return "", err
	}
	var iptables string
	if mode == iptablesQueue {
		if iptables, err = exec.LookPath("iptables-legacy"); err != nil {
			return "the kernel refuses the agent's nftables queue rule (no CONFIG_NFT_QUEUE) and iptables-legacy " +
				"(Debian package iptables) is not installed", nil
		}
	}
	h.cfg, h.binary, h.iptables, h.mode = cfg, binary, iptables, mode
	return "", h.launch(false)
}

// launch starts the agent, in the admin-policy mode with admin.
func (h *harness) launch(admin bool) error {
	start := time.Now()
	a, err := startAgent(h.node, h.cfg, h.binary, h.iptables, h.mode, *agentVerbosity, admin)
	if err != nil {
		return err
	}
	h.agent = a
	what := "NetworkPolicy"
	if admin {
		what = "admin-policy (--admin-network-policy --baseline-admin-network-policy)"
	}
	fmt.Fprintf(os.Stderr, "dataplane: kube-network-policies (%s) enforcing on node %q in %s mode, packets queued by %s; ready in %v\n",
		h.binary, nodeName, what, h.mode, time.Since(start).Round(time.Millisecond))
	return nil
}

// useAgent restarts the agent in the admin-policy mode (admin) or the
// NetworkPolicy mode, unless it already runs in it. (In the iptables queue
// mode the new agent appends its NFQUEUE rule again; a queued packet never
// reaches the second rule, so the duplicate is harmless.)
func (h *harness) useAgent(admin bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.agent != nil && h.agent.admin == admin {
		return nil
	}
	if h.agent != nil {
		h.agent.stop()
		h.agent = nil
	}
	return h.launch(admin)
}

func (h *harness) close() {
	if h.agent != nil {
		h.agent.stop()
	}
	h.node.close()
}

// context for API calls of one step.
func apiContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 60*time.Second)
}

// agentVerbosity is the agent's log level (-v); at 2 it logs every packet's
// evaluation, which a failure report then shows.
var agentVerbosity = flag.Int("netpolc.agent-v", 0, "log level (-v) of kube-network-policies; 2 logs each packet's evaluation")
