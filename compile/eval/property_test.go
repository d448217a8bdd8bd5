package eval

import (
	"fmt"
	"math/rand"
	"net/netip"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
)

// gen generates small random worlds and L3/L4 programs.
type gen struct{ r *rand.Rand }

func (g gen) pick(xs ...string) string { return xs[g.r.Intn(len(xs))] }

func (g gen) world() *World {
	w := &World{
		Namespaces: []Namespace{
			{Name: "a", Labels: map[string]string{"env": "x"}},
			{Name: "b", Labels: map[string]string{"env": "y"}},
			{Name: "c"},
		},
		Externals: []External{
			{IP: netip.MustParseAddr("10.9.0.1"), Names: []string{"a.example.com"}},
			{IP: netip.MustParseAddr("10.9.1.1"), Names: []string{"b.c.example.com"}},
			{IP: netip.MustParseAddr("8.8.8.8")},
		},
		Nodes: []Node{{Name: "n1", Labels: map[string]string{"role": "w"}, Local: true}, {Name: "n2"}},
	}
	for i := 0; i < 7; i++ {
		p := Pod{Namespace: g.pick("a", "b", "c"), Name: fmt.Sprintf("p%d", i), Labels: map[string]string{"app": g.pick("1", "2", "3")},
			IP: netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)})}
		if g.r.Intn(2) == 0 {
			p.Labels["tier"] = g.pick("f", "b")
		}
		if g.r.Intn(2) == 0 {
			p.Ports = []ContainerPort{{Name: "p", Port: uint16(80 + g.r.Intn(2)), Protocol: ir.TCP}}
		}
		w.Pods = append(w.Pods, p)
	}
	return w
}

func (g gen) selector() ir.Selector {
	switch g.r.Intn(5) {
	case 0:
		return sel()
	case 1:
		return sel("app=" + g.pick("1", "2", "3"))
	case 2:
		return sel("tier")
	case 3:
		return sel("app in 1|2", "!tier")
	}
	return sel("tier notin f")
}

func (g gen) peer() ir.Peer {
	switch g.r.Intn(9) {
	case 1:
		p := podsIn(g.pick("a", "b", "c"))
		p.Pods = g.selector()
		return p
	case 2:
		p := podsInNS(sel("env=" + g.pick("x", "y")))
		p.Pods = g.selector()
		return p
	case 3:
		return cidrPeer("10.0.0.0/8", "10.9.1.0/24")
	case 4:
		return entity(ir.Entity(g.pick("world", "cluster", "host", "remote-node", "all", "kube-apiserver")))
	case 5:
		return fqdnPeer(g.pick("*.example.com", "**.example.com"), false)
	case 6:
		return ir.Peer{Kind: ir.PeerNodes, Pods: sel("role")}
	case 7:
		return anyPeer()
	}
	p := podsPeer()
	p.Pods = g.selector()
	return p
}

func (g gen) traffic() *traffic {
	switch g.r.Intn(6) {
	case 0:
		return nil
	case 1:
		return onPorts(ports(port(ir.TCP, 80)))
	case 2:
		return onPorts(ports(portRange(ir.TCP, 80, 81), port(ir.UDP, 0)))
	case 3:
		return onPorts(ports(namedPortOf(ir.TCP, "p")))
	case 4:
		return &traffic{icmp: []ir.ICMPType{{Family: ir.ICMPv4, Type: "8"}}}
	}
	return onPorts(ports(port(ir.ProtoAny, 81)))
}

func (g gen) program() *ir.Program {
	var pols []*ir.Policy
	line := 1
	for i, n := 0, 1+g.r.Intn(4); i < n; i++ {
		ns := g.pick("a", "b", "c", "")
		p := policy(line, ns, g.selector(), ir.Isolation{Ingress: g.r.Intn(2) == 0, Egress: g.r.Intn(2) == 0})
		line++
		if ns == "" && g.r.Intn(3) == 0 {
			p.Subject.Nodes = true
		}
		for j, m := 0, g.r.Intn(4); j < m; j++ {
			act := ir.Allow
			if g.r.Intn(5) == 0 {
				act = ir.Deny
			}
			dir := ir.Ingress
			if g.r.Intn(2) == 0 {
				dir = ir.Egress
			}
			var ps []ir.Peer
			for k, o := 0, 1+g.r.Intn(2); k < o; k++ {
				ps = append(ps, g.peer())
			}
			p.Rules = append(p.Rules, rule(line, dir, act, ps, g.traffic()))
			line++
		}
		pols = append(pols, p)
	}
	return program(pols...)
}

// flows returns every pair of world endpoints with a few kinds of traffic.
func flows(e *Evaluator) []Flow {
	var out []Flow
	eps := e.Endpoints()
	for _, from := range eps {
		for _, to := range eps {
			out = append(out,
				Flow{From: from, To: to, Port: 80},
				Flow{From: from, To: to, Port: 81},
				Flow{From: from, To: to, Protocol: ir.UDP, Port: 81},
				Flow{From: from, To: to, ICMP: &ir.ICMPType{Family: ir.ICMPv4, Type: "8"}},
			)
		}
	}
	return out
}

// mapPolicies returns a copy of p with every policy replaced by f's result
// (nil drops it).
func mapPolicies(p *ir.Program, f func(*ir.Policy) *ir.Policy) *ir.Program {
	c := *p
	c.Policies = nil
	for _, pol := range p.Policies {
		cp := *pol
		cp.Rules = append([]*ir.Rule(nil), pol.Rules...)
		if np := f(&cp); np != nil {
			c.Policies = append(c.Policies, np)
		}
	}
	return &c
}

// foreign returns an endpoint equal to ep that does not point into the world.
func foreign(ep Endpoint) Endpoint {
	switch ep.Kind {
	case EndpointPod:
		p := *ep.Pod
		return PodEndpoint(&p)
	case EndpointExternal:
		x := *ep.External
		return ExternalEndpoint(&x)
	case EndpointNode:
		n := *ep.Node
		return NodeEndpoint(&n)
	}
	return ep
}

func TestProperties(t *testing.T) {
	var total, allowed, byDeny, byAllowRule int
	defer func() {
		t.Logf("%d flows: %d allowed, %d allowed by a rule, %d denied by a deny rule", total, allowed, byAllowRule, byDeny)
	}()
	for seed := int64(0); seed < 300; seed++ {
		g := gen{rand.New(rand.NewSource(seed))}
		w, prog := g.world(), g.program()
		e := New(prog, w)
		noIsolation := New(mapPolicies(prog, func(p *ir.Policy) *ir.Policy { p.Isolation = ir.Isolation{}; return p }), w)
		noDeny := New(mapPolicies(prog, func(p *ir.Policy) *ir.Policy {
			var rules []*ir.Rule
			for _, r := range p.Rules {
				if r.Action == ir.Allow {
					rules = append(rules, r)
				}
			}
			p.Rules = rules
			return p
		}), w)
		extraAllow := New(mapPolicies(prog, func(p *ir.Policy) *ir.Policy {
			p.Rules = append(p.Rules, allowIn(999, peers(g.peer()), g.traffic()))
			return p
		}), w)
		globalDeny := prog.Policies
		globalDeny = append(globalDeny[:len(globalDeny):len(globalDeny)], &ir.Policy{Span: span(1000), Subject: ir.Subject{Pods: sel()},
			Rules: []*ir.Rule{denyOut(1001, peers(anyPeer()), nil)}})
		withGlobalDeny := New(program(globalDeny...), w)
		hasDeny := false
		for _, p := range prog.Policies {
			for _, r := range p.Rules {
				hasDeny = hasDeny || r.Action == ir.Deny
			}
		}

		for _, f := range flows(e) {
			v := e.Decide(f)
			fail := func(format string, args ...any) {
				t.Helper()
				t.Fatalf("seed %d: %s: %s\nverdict %+v", seed, f, fmt.Sprintf(format, args...), v)
			}
			denied := len(v.Egress.DeniedBy) + len(v.Ingress.DeniedBy)
			total++
			if v.Allowed {
				allowed++
				if len(v.Egress.AllowedBy)+len(v.Ingress.AllowedBy) > 0 {
					byAllowRule++
				}
			}
			if denied > 0 {
				byDeny++
			}
			if v.Allowed && denied > 0 {
				fail("allowed although a deny rule matches")
			}
			for _, s := range []Side{v.Egress, v.Ingress} {
				want := len(s.DeniedBy) == 0 && (!s.Isolated || len(s.AllowedBy) > 0)
				if s.Allowed != want {
					fail("side verdict %v does not follow from its rules", s.Allowed)
				}
				if s.Isolated && !s.Governed {
					fail("isolated but not governed")
				}
			}
			if v.Allowed != (v.Egress.Allowed && v.Ingress.Allowed) {
				fail("verdict is not the AND of its sides")
			}
			slow := e.Decide(Flow{From: foreign(f.From), To: foreign(f.To), Protocol: f.Protocol, Port: f.Port, ICMP: f.ICMP})
			if fmt.Sprint(slow) != fmt.Sprint(v) {
				fail("uncached endpoints decide differently: %+v", slow)
			}
			if v.Allowed && !noIsolation.Decide(f).Allowed {
				fail("removing isolation denies an allowed flow")
			}
			if v.Allowed && !noDeny.Decide(f).Allowed {
				fail("removing deny rules denies an allowed flow")
			}
			if !hasDeny && v.Allowed && !extraAllow.Decide(f).Allowed {
				fail("adding an allow rule denies an allowed flow")
			}
			if f.From.Kind == EndpointPod && withGlobalDeny.Decide(f).Allowed {
				fail("allowed although a cluster-wide deny of everything selects its source")
			}
		}
		if !noIsolationAllowsAll(noIsolation, noDeny, e) {
			t.Fatalf("seed %d: without isolation nor deny rules something is denied", seed)
		}
	}
}

// noIsolationAllowsAll checks that a program without isolation and without
// deny rules allows every flow.
func noIsolationAllowsAll(noIsolation, noDeny, e *Evaluator) bool {
	plain := New(mapPolicies(noDeny.Program(), func(p *ir.Policy) *ir.Policy { p.Isolation = ir.Isolation{}; return p }), e.World())
	for _, f := range flows(e) {
		if !plain.Decide(f).Allowed {
			return false
		}
	}
	return true
}

// TestConcurrentDecide exercises the lazy peer sets from several goroutines
// (run with -race).
func TestConcurrentDecide(t *testing.T) {
	g := gen{rand.New(rand.NewSource(7))}
	w, prog := g.world(), g.program()
	fl := flows(New(prog, w))
	want := make([]bool, len(fl))
	ref := New(prog, w)
	for i, f := range fl {
		want[i] = ref.Decide(f).Allowed
	}
	e := New(prog, w)
	done := make(chan error, 4)
	for k := 0; k < 4; k++ {
		go func() {
			for i, f := range fl {
				if e.Decide(f).Allowed != want[i] {
					done <- fmt.Errorf("%s: differs", f)
					return
				}
			}
			done <- nil
		}()
	}
	for k := 0; k < 4; k++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
