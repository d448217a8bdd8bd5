package eval

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
)

// ordered builds a TierOrdered policy: cluster-wide, never isolating.
func ordered(line int, priority int32, subject ir.Selector, rules ...*ir.Rule) *ir.Policy {
	p := policy(line, "", subject, isoNone, rules...)
	p.Tier, p.Priority = ir.TierOrdered, priority
	return p
}

func passIn(line int, peers []ir.Peer, t *traffic) *ir.Rule {
	return rule(line, ir.Ingress, ir.Pass, peers, t)
}

func passOut(line int, peers []ir.Peer, t *traffic) *ir.Rule {
	return rule(line, ir.Egress, ir.Pass, peers, t)
}

// orderedCase is a decideCase that also names the ordered rule deciding each
// side (0: none).
type orderedCase struct {
	decideCase
	orderedEgress, orderedIngress int
}

func TestDecideOrdered(t *testing.T) {
	pg := onPorts(ports(port(ir.TCP, 5432)))
	web, db, api := podsPeer("app=web"), podsPeer("app=db"), podsPeer("app=api")
	dbIsolatedFromWeb := policy(500, "prod", sel("app=db"), isoIn, allowIn(501, peers(web), pg))
	cases := []orderedCase{
		{decideCase: decideCase{name: "allow before deny", pols: []*ir.Policy{
			ordered(10, 1, sel("app=web"), allowOut(11, peers(db), pg), denyOut(12, peers(anyPeer()), nil)),
			policy(13, "prod", sel("app=web"), isoOut),
		}, from: "prod/web", to: "prod/db", port: 5432, want: true, egressBy: []int{11}, isolated: [2]bool{true, false}}, orderedEgress: 11},
		{decideCase: decideCase{name: "deny before allow", pols: []*ir.Policy{
			ordered(20, 1, sel("app=web"), denyOut(21, peers(db), pg), allowOut(22, peers(anyPeer()), nil)),
		}, from: "prod/web", to: "prod/db", port: 5432, want: false, deniedBy: []int{21}}, orderedEgress: 21},
		{decideCase: decideCase{name: "deny before allow, other port falls to the allow", pols: []*ir.Policy{
			ordered(20, 1, sel("app=web"), denyOut(21, peers(db), pg), allowOut(22, peers(anyPeer()), nil)),
		}, from: "prod/web", to: "prod/db", port: 80, want: true, egressBy: []int{22}}, orderedEgress: 22},
		{decideCase: decideCase{name: "lower priority first, whatever the lines", pols: []*ir.Policy{
			ordered(30, 5, sel(), allowIn(31, peers(anyPeer()), nil)),
			ordered(40, 2, sel("app=db"), denyIn(41, peers(web), nil)),
		}, from: "prod/web", to: "prod/db", port: 5432, want: false, deniedBy: []int{41}}, orderedIngress: 41},
		{decideCase: decideCase{name: "an ordered allow beats a default-tier deny and isolation", pols: []*ir.Policy{
			ordered(50, 1, sel("app=db"), allowIn(51, peers(api), nil)),
			policy(52, "prod", sel("app=db"), isoIn, denyIn(53, peers(anyPeer()), nil)),
		}, from: "prod/api", to: "prod/db", port: 5432, want: true, ingressBy: []int{51}, isolated: [2]bool{false, true}}, orderedIngress: 51},
		{decideCase: decideCase{name: "pass then namespace allow", pols: []*ir.Policy{
			ordered(60, 1, sel(), passIn(61, peers(anyPeer()), nil)),
			dbIsolatedFromWeb,
		}, from: "prod/web", to: "prod/db", port: 5432, want: true, ingressBy: []int{501}, isolated: [2]bool{false, true}}, orderedIngress: 61},
		{decideCase: decideCase{name: "pass then isolation", pols: []*ir.Policy{
			ordered(60, 1, sel(), passIn(61, peers(anyPeer()), nil)),
			dbIsolatedFromWeb,
		}, from: "prod/api", to: "prod/db", port: 5432, want: false, isolated: [2]bool{false, true}}, orderedIngress: 61},
		{decideCase: decideCase{name: "pass skips a default-tier deny", pols: []*ir.Policy{
			ordered(70, 1, sel(), passIn(71, peers(web), nil)),
			policy(72, "prod", sel("app=db"), isoNone, denyIn(73, peers(web), nil)),
		}, from: "prod/web", to: "prod/db", port: 5432, want: true}, orderedIngress: 71},
		{decideCase: decideCase{name: "without the pass the deny decides", pols: []*ir.Policy{
			policy(72, "prod", sel("app=db"), isoNone, denyIn(73, peers(web), nil)),
		}, from: "prod/web", to: "prod/db", port: 5432, want: false, deniedBy: []int{73}}},
		{decideCase: decideCase{name: "pass skips a cluster-wide allow", pols: []*ir.Policy{
			ordered(80, 1, sel(), passIn(81, peers(anyPeer()), nil)),
			policy(82, "", sel("app=db"), isoIn, allowIn(83, peers(api), nil)),
		}, from: "prod/api", to: "prod/db", port: 5432, want: false, isolated: [2]bool{false, true}}, orderedIngress: 81},
		{decideCase: decideCase{name: "without the pass the cluster-wide allow decides", pols: []*ir.Policy{
			policy(82, "", sel("app=db"), isoIn, allowIn(83, peers(api), nil)),
		}, from: "prod/api", to: "prod/db", port: 5432, want: true, ingressBy: []int{83}, isolated: [2]bool{false, true}}},
		{decideCase: decideCase{name: "pass skips a non-isolating namespace allow", pols: []*ir.Policy{
			ordered(90, 1, sel(), passIn(91, peers(anyPeer()), nil)),
			policy(92, "prod", sel("app=db"), isoIn),
			policy(93, "prod", sel("app=db"), isoNone, allowIn(94, peers(api), nil)),
		}, from: "prod/api", to: "prod/db", port: 5432, want: false, isolated: [2]bool{false, true}}, orderedIngress: 91},
		{decideCase: decideCase{name: "pass skips the later ordered rules", pols: []*ir.Policy{
			ordered(100, 1, sel(), passOut(101, peers(db), nil), denyOut(102, peers(anyPeer()), nil)),
			ordered(103, 2, sel(), denyOut(104, peers(anyPeer()), nil)),
		}, from: "prod/web", to: "prod/db", port: 5432, want: true}, orderedEgress: 101},
		{decideCase: decideCase{name: "pass without any policy of the namespace allows", pols: []*ir.Policy{
			ordered(100, 1, sel(), passOut(101, peers(db), nil)),
		}, from: "prod/web", to: "prod/db", port: 5432, want: true}, orderedEgress: 101},
		{decideCase: decideCase{name: "no ordered match: the default tier decides", pols: []*ir.Policy{
			ordered(110, 1, sel(), denyIn(111, peers(podsInNS(sel("env=dev"))), nil)),
			dbIsolatedFromWeb,
		}, from: "prod/web", to: "prod/db", port: 5432, want: true, ingressBy: []int{501}, isolated: [2]bool{false, true}}},
		{decideCase: decideCase{name: "no ordered match, isolated and no allow", pols: []*ir.Policy{
			ordered(110, 1, sel(), denyIn(111, peers(podsInNS(sel("env=dev"))), nil)),
			dbIsolatedFromWeb,
		}, from: "prod/api", to: "prod/db", port: 5432, want: false, isolated: [2]bool{false, true}}},
		{decideCase: decideCase{name: "an ordered policy alone does not isolate", pols: []*ir.Policy{
			ordered(115, 1, sel("app=db"), denyIn(116, peers(api), nil)),
		}, from: "prod/web", to: "prod/db", port: 5432, want: true}},
		// One block (one priority) with rules on several subjects: the
		// rules' source order decides, across policies.
		{decideCase: decideCase{name: "order across subjects: allow first", pols: []*ir.Policy{
			ordered(120, 3, sel("app=web"), denyOut(122, peers(db), nil)),
			ordered(121, 3, sel(), allowOut(121, peers(db), nil)),
		}, from: "prod/web", to: "prod/db", port: 5432, want: true, egressBy: []int{121}}, orderedEgress: 121},
		{decideCase: decideCase{name: "order across subjects: deny first", pols: []*ir.Policy{
			ordered(130, 3, sel("app=web"), allowOut(131, peers(db), nil)),
			ordered(130, 3, sel(), denyOut(130, peers(db), nil)),
		}, from: "prod/web", to: "prod/db", port: 5432, want: false, deniedBy: []int{130}}, orderedEgress: 130},
		{decideCase: decideCase{name: "egress and ingress are decided apart", pols: []*ir.Policy{
			ordered(140, 1, sel("app=web"), allowOut(141, peers(db), nil)),
			ordered(142, 2, sel("app=db"), denyIn(143, peers(web), nil)),
		}, from: "prod/web", to: "prod/db", port: 5432, want: false, egressBy: []int{141}, deniedBy: []int{143}}, orderedEgress: 141, orderedIngress: 143},
		{decideCase: decideCase{name: "an ordered subject filtered by namespace", pols: []*ir.Policy{
			func() *ir.Policy {
				p := ordered(150, 1, sel("app=web"), denyOut(151, peers(anyPeer()), nil))
				ns := sel("env=dev")
				p.Subject.Namespaces = &ns
				return p
			}(),
		}, from: "prod/web", to: "prod/db", port: 5432, want: true}},
	}
	for _, c := range cases {
		runDecideCases(t, []decideCase{c.decideCase})
		t.Run(c.name+"/ordered", func(t *testing.T) {
			e := New(program(c.pols...), testWorld())
			v := e.Decide(Flow{From: endpoint(t, e, c.from), To: endpoint(t, e, c.to), Port: c.port})
			line := func(s Side) int {
				if s.Ordered == nil {
					return 0
				}
				if s.OrderedPolicy == nil || s.OrderedPolicy.Tier != ir.TierOrdered {
					t.Errorf("Ordered set without its ordered policy: %+v", s.OrderedPolicy)
				}
				return s.Ordered.Span.Start.Line
			}
			if got := line(v.Egress); got != c.orderedEgress {
				t.Errorf("Egress.Ordered at line %d, want %d", got, c.orderedEgress)
			}
			if got := line(v.Ingress); got != c.orderedIngress {
				t.Errorf("Ingress.Ordered at line %d, want %d", got, c.orderedIngress)
			}
		})
	}
}

// TestExplainOrdered: a failed expectation names the ordered rule that
// decided, and a pass.
func TestExplainOrdered(t *testing.T) {
	db := podsPeer("app=db")
	prog := program(
		ordered(10, 7, sel(), passIn(11, peers(anyPeer()), nil)),
		policy(20, "prod", sel("app=db"), isoIn),
		ordered(30, 3, sel("app=web"), denyOut(31, peers(podsPeer("app=api")), nil)),
	)
	prog.Expectations = []*ir.Expectation{
		{Span: span(40), Namespace: "prod", From: ir.Endpoint{Peer: podsPeer("app=web")}, To: ir.Endpoint{Peer: db}, Port: port(ir.TCP, 5432), Allowed: true},
		{Span: span(41), Namespace: "prod", From: ir.Endpoint{Peer: podsPeer("app=web")}, To: ir.Endpoint{Peer: podsPeer("app=api")}, Port: port(ir.TCP, 80), Allowed: true},
	}
	diags := New(prog, testWorld()).CheckExpectations()
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%d: %s", d.Span.Start.Line, d.Message))
		for _, n := range d.Notes {
			got = append(got, fmt.Sprintf("  %d: %s", n.Span.Start.Line, n.Message))
		}
	}
	want := []string{
		"40: expected prod/web -> prod/db:5432/TCP to be allowed, but it is denied",
		"  11: passed to namespace policies by this ordered rule (priority 7; on the ingress side of prod/db): only their isolation and allow rules decide",
		"  20: no rule allows it; prod/db is isolated for ingress by this policy",
		"41: expected prod/web -> prod/api:80/TCP to be allowed, but it is denied",
		"  31: denied by this ordered rule, the first that matches (priority 3; on the egress side of prod/web)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// orderedProgram extends gen.program with the ordered tier: one to three
// ordered policies over priorities 1 and 2 (so that some share a priority
// and their rules interleave by line), with allow, deny and pass rules.
func (g gen) orderedProgram() *ir.Program {
	prog := g.program()
	type slot struct {
		pol  *ir.Policy
		prio int32
	}
	var ords []*ir.Policy
	for i, n := 0, 1+g.r.Intn(3); i < n; i++ {
		p := ordered(2000+i, int32(1+g.r.Intn(2)), g.selector())
		switch g.r.Intn(4) {
		case 0:
			ns := sel("env=" + g.pick("x", "y"))
			p.Subject.Namespaces = &ns
		case 1:
			p.Subject.Nodes = true
		}
		ords = append(ords, p)
	}
	// Rules get increasing lines in a random order of policies, so that a
	// priority's rules alternate between its policies.
	line := 3000
	for k, m := 0, 1+g.r.Intn(6); k < m; k++ {
		p := ords[g.r.Intn(len(ords))]
		act := []ir.Action{ir.Allow, ir.Deny, ir.Pass}[g.r.Intn(3)]
		dir := ir.Ingress
		if g.r.Intn(2) == 0 {
			dir = ir.Egress
		}
		p.Rules = append(p.Rules, rule(line, dir, act, peers(g.peer()), g.traffic()))
		line++
	}
	pols := append(prog.Policies, ords...)
	// Shuffle: the evaluator may not depend on the order of policies for
	// ordered rules.
	g.r.Shuffle(len(pols), func(i, j int) { pols[i], pols[j] = pols[j], pols[i] })
	return program(pols...)
}

// naiveOrdered decides a flow by restating the rule of ir.TierOrdered
// directly, independently of the evaluator's combination of rules. It uses
// the evaluator only to ask whether one rule matches the flow: a program of
// that rule alone, as an allow of a policy isolating its direction, lets
// the flow through on that side exactly when the rule matches (the
// default-tier evaluator, which TestProperties and the engine comparisons
// check). Which policies select an endpoint is computed here from the
// selectors.
func naiveOrdered(prog *ir.Program, w *World, f Flow) bool {
	side := func(d ir.Direction, x Endpoint) bool {
		matches := func(p *ir.Policy, r *ir.Rule) bool {
			probe := *p
			probe.Tier, probe.Priority = ir.TierDefault, 0
			probe.Isolation = ir.Isolation{Ingress: d == ir.Ingress, Egress: d == ir.Egress}
			pr := *r
			pr.Action = ir.Allow
			probe.Rules = []*ir.Rule{&pr}
			v := New(&ir.Program{Policies: []*ir.Policy{&probe}, DNS: prog.DNS}, w).Decide(f)
			if d == ir.Egress {
				return v.Egress.Allowed
			}
			return v.Ingress.Allowed
		}
		var sel []*ir.Policy
		for _, p := range prog.Policies {
			if naiveSelects(p, x, w) {
				sel = append(sel, p)
			}
		}
		type ordRule struct {
			p *ir.Policy
			r *ir.Rule
		}
		var ord []ordRule
		for _, p := range sel {
			if p.Tier != ir.TierOrdered {
				continue
			}
			for _, r := range p.Rules {
				if r.Direction == d {
					ord = append(ord, ordRule{p, r})
				}
			}
		}
		sort.SliceStable(ord, func(i, j int) bool {
			if ord[i].p.Priority != ord[j].p.Priority {
				return ord[i].p.Priority < ord[j].p.Priority
			}
			return ord[i].r.Span.Start.Line < ord[j].r.Span.Start.Line
		})
		isolated := false
		for _, p := range sel {
			if p.Tier == ir.TierDefault && ((d == ir.Ingress && p.Isolation.Ingress) || (d == ir.Egress && p.Isolation.Egress)) {
				isolated = true
			}
		}
		passed := false
		for _, o := range ord {
			if !matches(o.p, o.r) {
				continue
			}
			switch o.r.Action {
			case ir.Allow:
				return true
			case ir.Deny:
				return false
			}
			passed = true
			break
		}
		allowed, denied := false, false
		for _, p := range sel {
			if p.Tier != ir.TierDefault {
				continue
			}
			isolating := (d == ir.Ingress && p.Isolation.Ingress) || (d == ir.Egress && p.Isolation.Egress)
			for _, r := range p.Rules {
				if r.Direction != d {
					continue
				}
				if passed && (r.Action != ir.Allow || p.Namespace == "" || !isolating) {
					continue
				}
				if matches(p, r) {
					if r.Action == ir.Deny {
						denied = true
					} else {
						allowed = true
					}
				}
			}
		}
		return !denied && (!isolated || allowed)
	}
	return side(ir.Egress, f.From) && side(ir.Ingress, f.To)
}

// naiveSelects reports whether policy p applies to endpoint x of w.
func naiveSelects(p *ir.Policy, x Endpoint, w *World) bool {
	switch x.Kind {
	case EndpointPod:
		if p.Subject.Nodes || !p.Subject.Pods.Matches(x.Pod.Labels) {
			return false
		}
		if p.Namespace != "" {
			return p.Namespace == x.Pod.Namespace
		}
		if p.Subject.Namespaces == nil {
			return true
		}
		labels := map[string]string{NamespaceNameLabel: x.Pod.Namespace}
		for _, ns := range w.Namespaces {
			if ns.Name == x.Pod.Namespace {
				for k, v := range ns.Labels {
					labels[k] = v
				}
			}
		}
		return p.Subject.Namespaces.Matches(labels)
	case EndpointNode:
		return p.Subject.Nodes && p.Namespace == "" && p.Subject.Pods.Matches(x.Node.Labels)
	case EndpointHost:
		return p.Subject.Nodes && p.Namespace == "" && p.Subject.Pods.Matches(nil)
	}
	return false
}

// TestOrderedAgainstNaive compares the evaluator with naiveOrdered on random
// programs with ordered policies, every flow of flows().
func TestOrderedAgainstNaive(t *testing.T) {
	seeds := int64(150)
	if testing.Short() {
		seeds = 40
	}
	var total, allowed, decidedByOrdered, passed int
	for seed := int64(0); seed < seeds; seed++ {
		g := gen{rand.New(rand.NewSource(seed))}
		w, prog := g.world(), g.orderedProgram()
		e := New(prog, w)
		for _, f := range flows(e) {
			v := e.Decide(f)
			total++
			if v.Allowed {
				allowed++
			}
			for _, s := range []Side{v.Egress, v.Ingress} {
				if s.Ordered != nil {
					decidedByOrdered++
					if s.Ordered.Action == ir.Pass {
						passed++
					}
				}
			}
			if want := naiveOrdered(prog, w, f); v.Allowed != want {
				t.Fatalf("seed %d: %s: evaluator says allowed=%v, the naive reading %v\nprogram:\n%s\nverdict %+v", seed, f, v.Allowed, want, ir.Format(prog), v)
			}
		}
	}
	t.Logf("%d flows: %d allowed; %d sides decided by an ordered rule, %d of them passed", total, allowed, decidedByOrdered, passed)
	if decidedByOrdered == 0 || passed == 0 {
		t.Errorf("the generator did not exercise ordered rules (%d decided, %d passed)", decidedByOrdered, passed)
	}
}

// The test below restates, besides the ordered semantics, the matching of
// rules, for a subset of the IR (pods by label in named, labelled or every
// namespace, IP blocks with excepts, "*"; every traffic, ports, ranges,
// protocol ANY and named ports), so that it shares no code with the
// evaluator at all (selectors match through ir.Selector).

// simplePeer returns a peer of the subset.
func (g gen) simplePeer() ir.Peer {
	switch g.r.Intn(6) {
	case 0:
		p := podsIn(g.pick("a", "b", "c"))
		p.Pods = g.selector()
		return p
	case 1:
		p := podsInNS(sel("env=" + g.pick("x", "y")))
		p.Pods = g.selector()
		return p
	case 2:
		return cidrPeer("10.9.0.0/16", "10.9.1.0/24")
	case 3:
		return anyPeer()
	}
	p := podsPeer()
	p.Pods = g.selector()
	return p
}

// simpleTraffic returns traffic of the subset (nil: every traffic).
func (g gen) simpleTraffic() *traffic {
	switch g.r.Intn(5) {
	case 0:
		return nil
	case 1:
		return onPorts(ports(port(ir.TCP, 80)))
	case 2:
		return onPorts(ports(portRange(ir.TCP, 80, 81), port(ir.UDP, 0)))
	case 3:
		return onPorts(ports(namedPortOf(ir.TCP, "p")))
	}
	return onPorts(ports(port(ir.ProtoAny, 81)))
}

// simpleOrderedProgram returns a program of the subset: pod policies of
// the default tier (namespaced and cluster-wide, isolating or not, allow
// and deny rules) and ordered policies over priorities 1 and 2.
func (g gen) simpleOrderedProgram() *ir.Program {
	var pols []*ir.Policy
	line := 1
	for i, n := 0, 1+g.r.Intn(4); i < n; i++ {
		p := policy(line, g.pick("a", "b", "c", ""), g.selector(), ir.Isolation{Ingress: g.r.Intn(2) == 0, Egress: g.r.Intn(2) == 0})
		line++
		for j, m := 0, g.r.Intn(4); j < m; j++ {
			act := ir.Allow
			if g.r.Intn(4) == 0 {
				act = ir.Deny
			}
			p.Rules = append(p.Rules, rule(line, ir.Direction(g.r.Intn(2)), act, peers(g.simplePeer()), g.simpleTraffic()))
			line++
		}
		pols = append(pols, p)
	}
	var ords []*ir.Policy
	for i, n := 0, 1+g.r.Intn(3); i < n; i++ {
		p := ordered(2000+i, int32(1+g.r.Intn(2)), g.selector())
		if g.r.Intn(3) == 0 {
			ns := sel("env=" + g.pick("x", "y"))
			p.Subject.Namespaces = &ns
		}
		ords = append(ords, p)
	}
	for k, m := 3000, 3000+1+g.r.Intn(6); k < m; k++ {
		p := ords[g.r.Intn(len(ords))]
		act := []ir.Action{ir.Allow, ir.Deny, ir.Pass}[g.r.Intn(3)]
		p.Rules = append(p.Rules, rule(k, ir.Direction(g.r.Intn(2)), act, peers(g.simplePeer(), g.simplePeer()), g.simpleTraffic()))
	}
	pols = append(pols, ords...)
	g.r.Shuffle(len(pols), func(i, j int) { pols[i], pols[j] = pols[j], pols[i] })
	return program(pols...)
}

// indepMatches reports whether rule r of pol matches flow f on the side of
// direction d, restated for the subset.
func indepMatches(pol *ir.Policy, r *ir.Rule, d ir.Direction, f Flow, w *World) bool {
	peer := f.To
	if d == ir.Ingress {
		peer = f.From
	}
	peerOK := false
	for _, p := range r.Peers {
		switch p.Kind {
		case ir.PeerAny:
			peerOK = true
		case ir.PeerPods:
			if peer.Kind != EndpointPod || !p.Pods.Matches(peer.Pod.Labels) {
				continue
			}
			ns := peer.Pod.Namespace
			switch p.Namespace.Scope {
			case ir.NamespacePolicy:
				peerOK = peerOK || pol.Namespace == "" || pol.Namespace == ns
			case ir.NamespaceNamed:
				peerOK = peerOK || p.Namespace.Name == ns
			case ir.NamespaceLabels:
				peerOK = peerOK || p.Namespace.Labels.Matches(indepNamespaceLabels(ns, w))
			}
		case ir.PeerCIDR:
			if peer.Kind != EndpointExternal || !p.CIDR.Contains(peer.External.IP) {
				continue
			}
			excepted := false
			for _, x := range p.Except {
				excepted = excepted || x.Contains(peer.External.IP)
			}
			peerOK = peerOK || !excepted
		default:
			panic("indepMatches: peer outside the subset")
		}
	}
	if !peerOK {
		return false
	}
	if r.AllTraffic {
		return true
	}
	if f.ICMP != nil {
		return false // no ICMP rule in the subset
	}
	proto := f.Protocol
	if proto == "" {
		proto = ir.TCP
	}
	for _, pr := range r.Ports {
		for _, pt := range pr.Ports {
			if pt.Protocol != proto && !(pt.Protocol == ir.ProtoAny && (proto == ir.TCP || proto == ir.UDP || proto == ir.SCTP)) {
				continue
			}
			switch {
			case pt.Name != "":
				if f.To.Kind != EndpointPod {
					continue
				}
				for _, cp := range f.To.Pod.Ports {
					cpProto := cp.Protocol
					if cpProto == "" {
						cpProto = ir.TCP
					}
					if cp.Name == pt.Name && cp.Port == f.Port && cpProto == proto {
						return true
					}
				}
			case pt.Port == 0:
				return true
			case f.Port >= pt.Port && f.Port <= max(pt.Port, pt.EndPort):
				return true
			}
		}
	}
	return false
}

func indepNamespaceLabels(ns string, w *World) map[string]string {
	labels := map[string]string{NamespaceNameLabel: ns}
	for _, n := range w.Namespaces {
		if n.Name == ns {
			for k, v := range n.Labels {
				labels[k] = v
			}
		}
	}
	return labels
}

// indepDecide decides f over prog, restating both the ordered semantics
// and the matching of rules.
func indepDecide(prog *ir.Program, w *World, f Flow) bool {
	side := func(d ir.Direction, x Endpoint) bool {
		type ordRule struct {
			p *ir.Policy
			r *ir.Rule
		}
		var ord []ordRule
		isolated, passed := false, false
		for _, p := range prog.Policies {
			if !naiveSelects(p, x, w) {
				continue
			}
			if p.Tier == ir.TierOrdered {
				for _, r := range p.Rules {
					if r.Direction == d {
						ord = append(ord, ordRule{p, r})
					}
				}
			} else if (d == ir.Ingress && p.Isolation.Ingress) || (d == ir.Egress && p.Isolation.Egress) {
				isolated = true
			}
		}
		// Priority, then line (the generator's lines are unique).
		for i := 1; i < len(ord); i++ {
			for j := i; j > 0; j-- {
				a, b := ord[j-1], ord[j]
				if a.p.Priority < b.p.Priority || a.p.Priority == b.p.Priority && a.r.Span.Start.Line < b.r.Span.Start.Line {
					break
				}
				ord[j-1], ord[j] = b, a
			}
		}
		for _, o := range ord {
			if indepMatches(o.p, o.r, d, f, w) {
				if o.r.Action != ir.Pass {
					return o.r.Action == ir.Allow
				}
				passed = true
				break
			}
		}
		allowed := false
		for _, p := range prog.Policies {
			if p.Tier != ir.TierDefault || !naiveSelects(p, x, w) {
				continue
			}
			isolating := (d == ir.Ingress && p.Isolation.Ingress) || (d == ir.Egress && p.Isolation.Egress)
			for _, r := range p.Rules {
				if r.Direction != d || !indepMatches(p, r, d, f, w) {
					continue
				}
				switch {
				case passed && (r.Action != ir.Allow || p.Namespace == "" || !isolating):
				case r.Action == ir.Deny:
					return false
				default:
					allowed = true
				}
			}
		}
		return !isolated || allowed
	}
	return side(ir.Egress, f.From) && side(ir.Ingress, f.To)
}

// TestOrderedIndependent compares the evaluator with indepDecide, which
// shares no code with it, on random programs of the subset and every flow
// between pods and externals.
func TestOrderedIndependent(t *testing.T) {
	seeds := int64(300)
	if testing.Short() {
		seeds = 60
	}
	var total, allowed, ordered int
	for seed := int64(0); seed < seeds; seed++ {
		g := gen{rand.New(rand.NewSource(1000 + seed))}
		w, prog := g.world(), g.simpleOrderedProgram()
		e := New(prog, w)
		for _, f := range flows(e) {
			if f.From.Kind != EndpointPod && f.From.Kind != EndpointExternal || f.To.Kind != EndpointPod && f.To.Kind != EndpointExternal {
				continue // nodes, the host and the API server are outside the subset
			}
			v := e.Decide(f)
			total++
			if v.Allowed {
				allowed++
			}
			if v.Egress.Ordered != nil || v.Ingress.Ordered != nil {
				ordered++
			}
			if want := indepDecide(prog, w, f); v.Allowed != want {
				t.Fatalf("seed %d: %s: evaluator says allowed=%v, the independent reading %v\nprogram:\n%s\nverdict %+v", seed, f, v.Allowed, want, ir.Format(prog), v)
			}
		}
	}
	t.Logf("%d flows: %d allowed, %d with a side decided by an ordered rule", total, allowed, ordered)
	if ordered == 0 || allowed == 0 || allowed == total {
		t.Errorf("degenerate programs: %d flows, %d allowed, %d decided by ordered rules", total, allowed, ordered)
	}
}
