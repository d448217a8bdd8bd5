package dataplane

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/netpolc/netpolc/compile/ir"
)

// The node: one network namespace forwarding between the pods, as a node's
// root namespace does with a routed CNI plugin. Each pod is a network
// namespace with one veth ("eth0", its address as a /32, a default route via
// gatewayIP) whose peer sits in the node namespace (named ifacePrefix+N,
// gatewayIP as its address, a /32 route to the pod). Every pod is reached
// through the node, where the agent filters.

// gatewayIP is every pod's next hop, an address of each node-side veth (the
// scheme of routed CNI plugins such as Calico).
var gatewayIP = netip.MustParseAddr("169.254.1.1")

// ifacePrefix names the node-side veths; the NFQUEUE rules match it.
const ifacePrefix = "vp"

type node struct {
	ns *os.File
	nl *netlink.Handle // in ns

	mu     sync.Mutex
	pods   map[netip.Addr]*podNet
	nextIf int
}

// podNet is the network of one pod address: its namespace, its servers and
// the source ports of its probes. It outlives programs: every program whose
// world has a pod at that address uses it.
type podNet struct {
	ip netip.Addr
	ns *os.File

	mu        sync.Mutex
	listeners map[portKey]func() // closers
	// nextPort is the next source port of a probe. Each probe from this
	// address uses a fresh one, so that no probe ever meets the conntrack
	// entry of an earlier connection (which would bypass the agent).
	nextPort int
}

type portKey struct {
	proto ir.Protocol
	port  uint16
}

// Source ports of probes: above the ports the generated programs use.
const firstSourcePort, lastSourcePort = 20000, 60999

func newNode() (*node, error) {
	ns, err := newNetns()
	if err != nil {
		return nil, err
	}
	n := &node{ns: ns, pods: map[netip.Addr]*podNet{}}
	if n.nl, err = netlink.NewHandleAt(netns.NsHandle(ns.Fd())); err != nil {
		ns.Close()
		return nil, err
	}
	if err := setupNamespace(ns, n.nl, true); err != nil {
		n.close()
		return nil, fmt.Errorf("node namespace: %w", err)
	}
	return n, nil
}

// setupNamespace brings lo up and sets the sysctls of a new namespace: no
// IPv6 (the probes are IPv4), forwarding on the node.
func setupNamespace(ns *os.File, nl *netlink.Handle, forward bool) error {
	lo, err := nl.LinkByName("lo")
	if err != nil {
		return err
	}
	if err := nl.LinkSetUp(lo); err != nil {
		return err
	}
	for _, k := range []string{"net/ipv6/conf/all/disable_ipv6", "net/ipv6/conf/default/disable_ipv6"} {
		// A kernel without IPv6 has no such file: nothing to disable.
		if err := writeSysctl(ns, k, "1"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if forward {
		for _, k := range []string{"net/ipv4/ip_forward", "net/ipv4/conf/all/rp_filter", "net/ipv4/conf/default/rp_filter"} {
			v := "1"
			if k != "net/ipv4/ip_forward" {
				v = "0"
			}
			if err := writeSysctl(ns, k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// close closes every pod's servers and namespace, then the node's.
func (n *node) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range n.pods {
		p.close()
	}
	n.pods = nil
	if n.nl != nil {
		n.nl.Close()
	}
	n.ns.Close()
}

// pod returns the pod network of ip, creating it the first time.
func (n *node) pod(ip netip.Addr) (*podNet, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if p, ok := n.pods[ip]; ok {
		return p, nil
	}
	if !ip.Is4() {
		return nil, fmt.Errorf("pod address %s: the dataplane harness is IPv4 only", ip)
	}
	ns, err := newNetns()
	if err != nil {
		return nil, err
	}
	p := &podNet{ip: ip, ns: ns, listeners: map[portKey]func(){}, nextPort: firstSourcePort}
	name := fmt.Sprintf("%s%d", ifacePrefix, n.nextIf)
	n.nextIf++
	if err := n.wire(p, name); err != nil {
		p.close()
		return nil, fmt.Errorf("pod %s: %w", ip, err)
	}
	n.pods[ip] = p
	return p, nil
}

// wire connects p to the node with a veth pair named name (node side) and
// eth0 (pod side).
func (n *node) wire(p *podNet, name string) error {
	pl, err := netlink.NewHandleAt(netns.NsHandle(p.ns.Fd()))
	if err != nil {
		return err
	}
	defer pl.Close()
	if err := setupNamespace(p.ns, pl, false); err != nil {
		return err
	}
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: name},
		PeerName:      "eth0",
		PeerNamespace: netlink.NsFd(int(p.ns.Fd())),
	}
	if err := n.nl.LinkAdd(veth); err != nil {
		return fmt.Errorf("veth %s: %w", name, err)
	}
	host, err := n.nl.LinkByName(name)
	if err != nil {
		return err
	}
	gw := &net.IPNet{IP: gatewayIP.AsSlice(), Mask: net.CIDRMask(32, 32)}
	podNet := &net.IPNet{IP: p.ip.AsSlice(), Mask: net.CIDRMask(32, 32)}
	if err := n.nl.AddrAdd(host, &netlink.Addr{IPNet: gw}); err != nil {
		return err
	}
	if err := n.nl.LinkSetUp(host); err != nil {
		return err
	}
	if err := n.nl.RouteAdd(&netlink.Route{LinkIndex: host.Attrs().Index, Dst: podNet, Scope: netlink.SCOPE_LINK}); err != nil {
		return fmt.Errorf("route to %s: %w", p.ip, err)
	}
	eth0, err := pl.LinkByName("eth0")
	if err != nil {
		return err
	}
	if err := pl.AddrAdd(eth0, &netlink.Addr{IPNet: podNet}); err != nil {
		return err
	}
	if err := pl.LinkSetUp(eth0); err != nil {
		return err
	}
	if err := pl.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Dst: gw, Scope: netlink.SCOPE_LINK}); err != nil {
		return err
	}
	return pl.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: gw.IP})
}

func (p *podNet) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.listeners {
		c()
	}
	p.listeners = nil
	p.ns.Close()
}

// serve makes sure p answers on port: a TCP server accepting connections, a
// UDP server echoing datagrams. The sockets are created inside p's
// namespace.
func (p *podNet) serve(proto ir.Protocol, port uint16) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := portKey{proto, port}
	if _, ok := p.listeners[k]; ok {
		return nil
	}
	var closer func()
	err := inNetns(p.ns, func() error {
		switch proto {
		case ir.TCP:
			l, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: p.ip.AsSlice(), Port: int(port)})
			if err != nil {
				return err
			}
			go func() {
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					c.Close()
				}
			}()
			closer = func() { l.Close() }
		case ir.UDP:
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: p.ip.AsSlice(), Port: int(port)})
			if err != nil {
				return err
			}
			go func() {
				buf := make([]byte, 512)
				for {
					n, from, err := c.ReadFromUDPAddrPort(buf)
					if err != nil {
						return
					}
					_, _ = c.WriteToUDPAddrPort(buf[:n], from)
				}
			}()
			closer = func() { c.Close() }
		default:
			return fmt.Errorf("no server for protocol %s", proto)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("server %s:%d/%s: %w", p.ip, port, proto, err)
	}
	p.listeners[k] = closer
	return nil
}

func (p *podNet) sourcePort() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	port := p.nextPort
	p.nextPort++
	if p.nextPort > lastSourcePort {
		p.nextPort = firstSourcePort
	}
	return port
}

// errNoServer: the packet got through but nothing answered, a fault of the
// harness rather than a verdict.
var errNoServer = errors.New("connection refused: the probe passed but no server answered")

// probe opens a connection (TCP) or sends a datagram and waits for its echo
// (UDP) from p to to:port, from inside p's namespace. It reports whether the
// packets got through within timeout; a dropped packet gets no answer, so
// a drop is a timeout.
func (p *podNet) probe(to netip.Addr, proto ir.Protocol, port uint16, timeout time.Duration) (bool, error) {
	for attempt := 0; ; attempt++ {
		ok, err := p.probeOnce(to, proto, port, timeout)
		// A source port a server of p listens on: take the next one.
		if errors.Is(err, syscall.EADDRINUSE) && attempt < 10 {
			continue
		}
		return ok, err
	}
}

func (p *podNet) probeOnce(to netip.Addr, proto ir.Protocol, port uint16, timeout time.Duration) (bool, error) {
	sport := p.sourcePort()
	var allowed bool
	err := inNetns(p.ns, func() error {
		switch proto {
		case ir.TCP:
			d := net.Dialer{
				Timeout:   timeout,
				LocalAddr: &net.TCPAddr{IP: p.ip.AsSlice(), Port: sport},
				Control:   reuseAddr,
			}
			c, err := d.Dial("tcp4", netip.AddrPortFrom(to, port).String())
			if err == nil {
				allowed = true
				return c.Close()
			}
			return dialResult(err)
		case ir.UDP:
			c, err := net.DialUDP("udp4", &net.UDPAddr{IP: p.ip.AsSlice(), Port: sport},
				&net.UDPAddr{IP: to.AsSlice(), Port: int(port)})
			if err != nil {
				return err
			}
			defer c.Close()
			msg := fmt.Sprintf("netpolc %s:%d -> %s:%d", p.ip, sport, to, port)
			if _, err := c.Write([]byte(msg)); err != nil {
				return dialResult(err)
			}
			if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
				return err
			}
			buf := make([]byte, 512)
			n, err := c.Read(buf)
			if err != nil {
				return dialResult(err)
			}
			if string(buf[:n]) != msg {
				return fmt.Errorf("UDP echo %q, want %q", buf[:n], msg)
			}
			allowed = true
			return nil
		}
		return fmt.Errorf("cannot probe protocol %s", proto)
	})
	return allowed, err
}

// dialResult maps a probe's error: a timeout is a drop (nil error), a
// refusal means no server.
func dialResult(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return errNoServer
	}
	return err
}

func reuseAddr(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	})
	if err != nil {
		return err
	}
	return serr
}
