package reach

import (
	"flag"
	"fmt"
	"math/rand"
	"net/netip"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/irbuild"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/source"
)

var (
	programsFlag = flag.Int("netpolc.programs", 0, "random programs of each generator for the property tests (default 400, or $NETPOLC_PROGRAMS)")
	seedFlag     = flag.Int64("netpolc.seed", 1, "first seed of the property tests")
)

func programs() int { return testgen.ProgramCount(*programsFlag, "NETPOLC_PROGRAMS", 400, 100) }

// compare checks the fast engine against the naive reference on every pair
// of endpoints, and both against eval.Decide on a few random flows per
// pair. It returns the number of cells and the first difference ("" if
// none).
func compare(prog *ir.Program, w *eval.World, seed int64) (int, string) {
	a := New(prog, w, Options{Parallelism: 1})
	ref := newNaive(prog, a.ev)
	r := rand.New(rand.NewSource(seed))
	eps := a.Endpoints()
	for i := range eps {
		for j := range eps {
			got, want := a.Allowed(i, j), ref.allowed(i, j)
			if !got.Equal(want) {
				return 0, fmt.Sprintf("%s -> %s: engine %q, reference %q", eps[i], eps[j], got, want)
			}
			for k := 0; k < 3; k++ {
				proto := protocols[r.Intn(3)]
				port := uint16(1 + r.Intn(65535))
				if k == 0 {
					port = uint16(75 + r.Intn(20))
				}
				v := a.ev.Decide(eval.Flow{From: eps[i], To: eps[j], Protocol: proto, Port: port})
				if v.Allowed != got.Contains(proto, port) || v.L7Restricted != got.L7Restricted(proto, port) {
					return 0, fmt.Sprintf("%s -> %s %d/%s: Decide allowed=%v l7=%v, engine %q", eps[i], eps[j], port, proto, v.Allowed, v.L7Restricted, got)
				}
			}
			fam := families[r.Intn(2)]
			typ := uint8(r.Intn(256))
			if r.Intn(2) == 0 {
				typ = []uint8{0, 8, 128, 129}[r.Intn(4)]
			}
			v := a.ev.Decide(eval.Flow{From: eps[i], To: eps[j], ICMP: &ir.ICMPType{Family: fam, Type: strconv.Itoa(int(typ))}})
			if v.Allowed != got.ContainsICMP(fam, typ) {
				return 0, fmt.Sprintf("%s -> %s ICMP %s/%d: Decide allowed=%v, engine %q", eps[i], eps[j], fam, typ, v.Allowed, got)
			}
		}
	}
	return len(eps) * len(eps), ""
}

// withExtras adds to w what testgen's worlds lack: a local node and a
// labelled remote one, and Services (every third seed keeps w as it is).
func withExtras(w *eval.World, seed int64) *eval.World {
	if seed%3 == 0 {
		return w
	}
	c := *w
	c.Nodes = append(append([]eval.Node(nil), w.Nodes...),
		eval.Node{Name: "n-local", Labels: map[string]string{"role": "w", "app": "a"}, Local: seed%3 == 1},
		eval.Node{Name: "n-remote", Labels: map[string]string{"role": "w"}})
	c.Services = append(c.Services,
		eval.Service{Namespace: "ns0", Name: "web", Labels: map[string]string{"tier": "x"}, Selector: map[string]string{"app": "a"}},
		eval.Service{Namespace: "ns0", Name: "headless", Labels: map[string]string{"tier": "x"}},
		eval.Service{Namespace: "ns1", Name: "web", Selector: map[string]string{"tier": "y"}})
	return &c
}

// TestEngineMatchesReference compares the engine with the naive reference
// (and eval.Decide) on random programs of testgen's generators, compiled
// from source, and on random IR programs using every peer kind; the
// ordered variants (testgen.NewOrdered, irGen.orderedProgram) add ordered
// policies with allow, deny and pass rules.
func TestEngineMatchesReference(t *testing.T) {
	n := programs()
	gens := []struct {
		name string
		prog func(seed int64) (*ir.Program, *eval.World)
		half bool // n/2 programs: a variant of a generator above
	}{
		{"testgen.New", func(seed int64) (*ir.Program, *eval.World) {
			c := testgen.New(seed)
			p, _ := backendtest.CompileGenerated(c)
			return p, withExtras(c.World, seed)
		}, false},
		{"testgen.NewCilium", func(seed int64) (*ir.Program, *eval.World) {
			c := testgen.NewCilium(seed)
			p, _ := backendtest.CompileGenerated(c)
			return p, withExtras(c.World, seed)
		}, false},
		{"ir", func(seed int64) (*ir.Program, *eval.World) {
			g := irGen{rand.New(rand.NewSource(seed))}
			return g.program(), g.world()
		}, false},
		{"ir-ordered", func(seed int64) (*ir.Program, *eval.World) {
			g := irGen{rand.New(rand.NewSource(seed))}
			return g.orderedProgram(), g.world()
		}, true},
		{"testgen.NewOrdered", func(seed int64) (*ir.Program, *eval.World) {
			c := testgen.NewOrdered(seed, testgen.OrderedOptions{})
			p, _ := backendtest.CompileGenerated(c)
			return p, withExtras(c.World, seed)
		}, true},
	}
	for _, gn := range gens {
		t.Run(gn.name, func(t *testing.T) {
			n := n
			if gn.half {
				n = max(1, n/2)
			}
			var checked, cells atomic.Int64
			failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) string {
				prog, w := gn.prog(seed)
				if prog == nil {
					return ""
				}
				c, f := compare(prog, w, seed)
				if f != "" {
					return fmt.Sprintf("seed %d: %s\n%s", seed, f, ir.Format(prog))
				}
				checked.Add(1)
				cells.Add(int64(c))
				return ""
			})
			for _, f := range failures {
				t.Error(f)
			}
			t.Logf("%d programs, %d cells equal to the reference", checked.Load(), cells.Load())
			if checked.Load() < int64(n)*8/10 && len(failures) == 0 {
				t.Errorf("only %d of %d programs checked", checked.Load(), n)
			}
		})
	}
}

// irGen generates random IR programs and worlds with every kind of peer,
// subject and traffic the evaluator knows.
type irGen struct{ r *rand.Rand }

func (g irGen) pick(xs ...string) string { return xs[g.r.Intn(len(xs))] }

func (g irGen) world() *eval.World {
	w := &eval.World{
		Namespaces: []eval.Namespace{
			{Name: "a", Labels: map[string]string{"env": "x"}},
			{Name: "b", Labels: map[string]string{"env": "y"}},
			{Name: "c"},
		},
		Externals: []eval.External{
			{IP: netip.MustParseAddr("10.9.0.1"), Names: []string{"a.example.com"}},
			{IP: netip.MustParseAddr("10.9.1.1"), Names: []string{"b.c.example.com"}},
			{IP: netip.MustParseAddr("8.8.8.8")},
			{IP: netip.MustParseAddr("2001:db8::1")},
		},
		Services: []eval.Service{
			{Namespace: "a", Name: "s", Labels: map[string]string{"k": "1"}, Selector: map[string]string{"app": "1"}},
			{Namespace: "b", Name: "s", Selector: map[string]string{"tier": "f"}},
		},
	}
	switch g.r.Intn(3) {
	case 0:
		w.Nodes = []eval.Node{{Name: "n1", Labels: map[string]string{"role": "w"}, Local: true}, {Name: "n2"}}
	case 1:
		w.Nodes = []eval.Node{{Name: "n1", Labels: map[string]string{"role": "w"}}}
	}
	for i, n := 0, 3+g.r.Intn(6); i < n; i++ {
		p := eval.Pod{Namespace: g.pick("a", "b", "c", "d"), Name: fmt.Sprintf("p%d", i), Labels: map[string]string{"app": g.pick("1", "2", "3")},
			IP: netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)})}
		if g.r.Intn(2) == 0 {
			p.Labels["tier"] = g.pick("f", "b")
		}
		if g.r.Intn(4) == 0 {
			p.Labels["noise"] = strconv.Itoa(i)
		}
		switch g.r.Intn(3) {
		case 0:
			p.Ports = []eval.ContainerPort{{Name: "p", Port: uint16(80 + g.r.Intn(2)), Protocol: ir.TCP}}
		case 1:
			p.Ports = []eval.ContainerPort{{Name: "p", Port: 81, Protocol: ir.UDP}, {Name: "q", Port: 80}}
		}
		w.Pods = append(w.Pods, p)
	}
	return w
}

func (g irGen) selector() ir.Selector {
	var terms []string
	switch g.r.Intn(6) {
	case 1:
		terms = []string{"app=" + g.pick("1", "2", "3")}
	case 2:
		terms = []string{"tier"}
	case 3:
		terms = []string{"app in 1|2", "!tier"}
	case 4:
		terms = []string{"tier notin f"}
	case 5:
		terms = []string{"role"}
	}
	return irbuild.Selector(terms...)
}

func (g irGen) peer() ir.Peer {
	switch g.r.Intn(11) {
	case 1:
		return ir.Peer{Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: g.pick("a", "b", "c", "d")}, Pods: g.selector()}
	case 2:
		return ir.Peer{Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceLabels, Labels: g.selector()}, Pods: g.selector()}
	case 3:
		p := ir.Peer{Kind: ir.PeerCIDR, CIDR: netip.MustParsePrefix(g.pick("10.0.0.0/8", "0.0.0.0/0", "2001:db8::/32"))}
		if p.CIDR.Addr().Is4() && g.r.Intn(2) == 0 {
			p.Except = []netip.Prefix{netip.MustParsePrefix("10.9.1.0/24")}
		}
		return p
	case 4:
		return ir.Peer{Kind: ir.PeerEntity, Entity: ir.Entity(g.pick("world", "world-ipv4", "world-ipv6", "cluster", "host", "remote-node", "all", "kube-apiserver", "health"))}
	case 5:
		return ir.Peer{Kind: ir.PeerFQDN, FQDN: ir.FQDN{Pattern: g.pick("*.example.com", "**.example.com", "a.example.com", "*")}}
	case 6:
		return ir.Peer{Kind: ir.PeerNodes, Pods: g.selector()}
	case 7:
		return ir.Peer{Kind: ir.PeerAny}
	case 8:
		p := ir.Peer{Kind: ir.PeerService, Service: ir.Service{Name: "s", Namespace: g.pick("", "a", "b")}}
		if g.r.Intn(3) == 0 {
			s := ir.Selector{MatchLabels: []ir.Label{{Key: "k", Value: "1"}}}
			p.Service = ir.Service{Namespace: "a", Selector: &s}
		}
		return p
	}
	return ir.Peer{Kind: ir.PeerPods, Pods: g.selector()}
}

func (g irGen) traffic(r *ir.Rule) {
	port := func(proto ir.Protocol, n, end uint16) ir.Port { return ir.Port{Protocol: proto, Port: n, EndPort: end} }
	switch g.r.Intn(9) {
	case 0:
		r.AllTraffic = true
	case 1:
		r.Ports = []ir.PortRule{{Ports: []ir.Port{port(ir.TCP, 80, 0)}}}
	case 2:
		r.Ports = []ir.PortRule{{Ports: []ir.Port{port(ir.TCP, 80, 90), port(ir.UDP, 0, 0)}}}
	case 3:
		r.Ports = []ir.PortRule{{Ports: []ir.Port{{Protocol: ir.Protocol(g.pick("TCP", "UDP", "ANY")), Name: "p"}}}}
	case 4:
		r.ICMP = []ir.ICMPType{{Family: ir.ICMPv4, Type: g.pick("8", "EchoRequest", "", "Bogus")}}
		if g.r.Intn(2) == 0 {
			r.ICMP = append(r.ICMP, ir.ICMPType{Family: ir.ICMPv6, Type: g.pick("128", "")})
		}
	case 5:
		r.Ports = []ir.PortRule{{Ports: []ir.Port{port(ir.TCP, 80, 0), port(ir.TCP, 85, 0)}, HTTP: []ir.HTTPRule{{Method: "GET"}}}}
		if g.r.Intn(2) == 0 {
			r.Ports = append(r.Ports, ir.PortRule{Ports: []ir.Port{port(ir.TCP, 85, 86)}})
		}
	case 6:
		r.Ports = []ir.PortRule{{Ports: []ir.Port{port(ir.UDP, 53, 0), {Protocol: ir.TCP, Name: "q"}}, DNS: []ir.FQDN{{Pattern: "*"}}}}
	case 7:
		r.Ports = []ir.PortRule{{Ports: []ir.Port{port(ir.ProtoAny, 81, 0), port(ir.SCTP, 79, 82)}}}
	default:
		r.Ports = []ir.PortRule{{Ports: []ir.Port{port(ir.TCP, 0, 0)}}}
	}
}

func (g irGen) program() *ir.Program {
	prog := &ir.Program{}
	for i, n := 0, 1+g.r.Intn(5); i < n; i++ {
		ns := g.pick("a", "b", "c", "")
		pol := &ir.Policy{Name: fmt.Sprintf("p%d", i), Namespace: ns, Subject: ir.Subject{Pods: g.selector()},
			Isolation: ir.Isolation{Ingress: g.r.Intn(2) == 0, Egress: g.r.Intn(2) == 0}}
		if ns == "" {
			switch g.r.Intn(3) {
			case 0:
				pol.Subject.Nodes = true
			case 1:
				s := ir.Selector{MatchLabels: []ir.Label{{Key: "env", Value: g.pick("x", "y")}}}
				pol.Subject.Namespaces = &s
			}
		}
		for j, m := 0, g.r.Intn(5); j < m; j++ {
			r := &ir.Rule{Direction: ir.Direction(g.r.Intn(2))}
			if g.r.Intn(4) == 0 {
				r.Action = ir.Deny
			}
			for k, o := 0, 1+g.r.Intn(2); k < o; k++ {
				r.Peers = append(r.Peers, g.peer())
			}
			g.traffic(r)
			pol.Rules = append(pol.Rules, r)
		}
		prog.Policies = append(prog.Policies, pol)
	}
	return prog
}

// orderedProgram is program with ordered policies added: one to three, of
// priorities 1 and 2 (so that some share a priority and their rules
// interleave by source order), with allow, deny and pass rules.
func (g irGen) orderedProgram() *ir.Program {
	prog := g.program()
	var ords []*ir.Policy
	for i, n := 0, 1+g.r.Intn(3); i < n; i++ {
		pol := &ir.Policy{Name: fmt.Sprintf("o%d", i), Tier: ir.TierOrdered, Priority: int32(1 + g.r.Intn(2)), Subject: ir.Subject{Pods: g.selector()}}
		switch g.r.Intn(4) {
		case 0:
			pol.Subject.Nodes = true
		case 1:
			s := ir.Selector{MatchLabels: []ir.Label{{Key: "env", Value: g.pick("x", "y")}}}
			pol.Subject.Namespaces = &s
		}
		ords = append(ords, pol)
	}
	for k, m := 0, 1+g.r.Intn(6); k < m; k++ {
		pol := ords[g.r.Intn(len(ords))]
		r := &ir.Rule{Direction: ir.Direction(g.r.Intn(2)), Action: []ir.Action{ir.Allow, ir.Deny, ir.Pass}[g.r.Intn(3)],
			Span: source.Span{File: "o.netpol", Start: source.Pos{Line: k + 1, Offset: 10 * k}, End: source.Pos{Line: k + 1, Offset: 10*k + 1}}}
		r.Peers = []ir.Peer{g.peer()}
		g.traffic(r)
		for _, pr := range r.Ports {
			if len(pr.HTTP) > 0 || len(pr.DNS) > 0 {
				r.Ports = []ir.PortRule{{Ports: []ir.Port{{Protocol: ir.TCP, Port: 80}}}} // ordered rules have no L7 rules
				break
			}
		}
		pol.Rules = append(pol.Rules, r)
	}
	// Ordered policies anywhere in the list: their order is OrderLess's.
	for _, pol := range ords {
		at := g.r.Intn(len(prog.Policies) + 1)
		prog.Policies = slices.Insert(prog.Policies, at, pol)
	}
	return prog
}
