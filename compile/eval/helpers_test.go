package eval

import (
	"fmt"
	"net/netip"
	"sort"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/irbuild"
	"github.com/netpolc/netpolc/lang/source"
)

// Builders for hand-written IR. Rules and policies get a span whose line is
// the number given, so that tests can name deciding rules by line.

func span(line int) source.Span {
	// Offsets follow lines: rules are ordered by offset (ir.RuleLess).
	return source.Span{File: "test.netpol", Start: source.Pos{Line: line, Col: 1, Offset: 100 * line}, End: source.Pos{Line: line, Col: 2, Offset: 100*line + 1}}
}

// sel builds a selector from "k=v", "k" (exists), "!k", "k in a|b",
// "k notin a|b".
func sel(terms ...string) ir.Selector { return irbuild.Selector(terms...) }

func podsPeer(terms ...string) ir.Peer { return ir.Peer{Kind: ir.PeerPods, Pods: sel(terms...)} }

func podsIn(ns string, terms ...string) ir.Peer {
	return ir.Peer{Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: ns}, Pods: sel(terms...)}
}

func podsInNS(nsSel ir.Selector, terms ...string) ir.Peer {
	return ir.Peer{Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceLabels, Labels: nsSel}, Pods: sel(terms...)}
}

func cidrPeer(cidr string, except ...string) ir.Peer {
	p := ir.Peer{Kind: ir.PeerCIDR, CIDR: netip.MustParsePrefix(cidr)}
	for _, x := range except {
		p.Except = append(p.Except, netip.MustParsePrefix(x))
	}
	return p
}

func entity(e ir.Entity) ir.Peer { return ir.Peer{Kind: ir.PeerEntity, Entity: e} }

func fqdnPeer(pattern string, exact bool) ir.Peer {
	return ir.Peer{Kind: ir.PeerFQDN, FQDN: ir.FQDN{Pattern: pattern, Exact: exact}}
}

func anyPeer() ir.Peer { return ir.Peer{Kind: ir.PeerAny} }

func port(proto ir.Protocol, n uint16) ir.Port { return ir.Port{Protocol: proto, Port: n} }

func portRange(proto ir.Protocol, n, end uint16) ir.Port {
	return ir.Port{Protocol: proto, Port: n, EndPort: end}
}

func namedPortOf(proto ir.Protocol, name string) ir.Port { return ir.Port{Protocol: proto, Name: name} }

func ports(ps ...ir.Port) ir.PortRule { return ir.PortRule{Ports: ps} }

// traffic is what a rule matches: nil means AllTraffic.
type traffic struct {
	ports []ir.PortRule
	icmp  []ir.ICMPType
}

func onPorts(prs ...ir.PortRule) *traffic { return &traffic{ports: prs} }

func rule(line int, dir ir.Direction, act ir.Action, peers []ir.Peer, t *traffic) *ir.Rule {
	r := &ir.Rule{Span: span(line), Direction: dir, Action: act, Peers: peers}
	if t == nil {
		r.AllTraffic = true
	} else {
		r.Ports, r.ICMP = t.ports, t.icmp
	}
	return r
}

func allowIn(line int, peers []ir.Peer, t *traffic) *ir.Rule {
	return rule(line, ir.Ingress, ir.Allow, peers, t)
}
func allowOut(line int, peers []ir.Peer, t *traffic) *ir.Rule {
	return rule(line, ir.Egress, ir.Allow, peers, t)
}
func denyIn(line int, peers []ir.Peer, t *traffic) *ir.Rule {
	return rule(line, ir.Ingress, ir.Deny, peers, t)
}
func denyOut(line int, peers []ir.Peer, t *traffic) *ir.Rule {
	return rule(line, ir.Egress, ir.Deny, peers, t)
}

func peers(ps ...ir.Peer) []ir.Peer { return ps }

func policy(line int, ns string, subject ir.Selector, iso ir.Isolation, rules ...*ir.Rule) *ir.Policy {
	return &ir.Policy{Span: span(line), Name: fmt.Sprintf("p%d", line), Namespace: ns, Subject: ir.Subject{Pods: subject}, Isolation: iso, Rules: rules}
}

var (
	isoNone = ir.Isolation{}
	isoIn   = ir.Isolation{Ingress: true}
	isoOut  = ir.Isolation{Egress: true}
	isoBoth = ir.Isolation{Ingress: true, Egress: true}
)

func program(pols ...*ir.Policy) *ir.Program {
	gov := map[string]bool{}
	for _, p := range pols {
		if p.Namespace != "" {
			gov[p.Namespace] = true
		} else {
			continue
		}
	}
	prog := &ir.Program{Policies: pols, DNS: ir.DefaultDNSServer()}
	for ns := range gov {
		prog.Governed = append(prog.Governed, ns)
	}
	sort.Strings(prog.Governed)
	return prog
}

// testWorld is the world of the table tests.
func testWorld() *World {
	return &World{
		Namespaces: []Namespace{
			{Name: "prod", Labels: map[string]string{"env": "prod"}},
			{Name: "dev", Labels: map[string]string{"env": "dev"}},
			{Name: "kube-system"},
			{Name: "monitoring", Labels: map[string]string{"env": "prod", "team": "sre"}},
		},
		Pods: []Pod{
			{Namespace: "prod", Name: "web", Labels: map[string]string{"app": "web", "tier": "front"}, IP: netip.MustParseAddr("10.0.0.1"),
				Ports: []ContainerPort{{Name: "http", Port: 8080, Protocol: ir.TCP}, {Name: "metrics", Port: 9090}}},
			{Namespace: "prod", Name: "db", Labels: map[string]string{"app": "db"}, IP: netip.MustParseAddr("10.0.0.2"),
				Ports: []ContainerPort{{Name: "pg", Port: 5432, Protocol: ir.TCP}}},
			{Namespace: "prod", Name: "api", Labels: map[string]string{"app": "api", "tier": "back"}, IP: netip.MustParseAddr("10.0.0.3"),
				Ports: []ContainerPort{{Name: "http", Port: 80, Protocol: ir.TCP}}},
			{Namespace: "dev", Name: "tests", Labels: map[string]string{"app": "tests"}, IP: netip.MustParseAddr("10.0.1.1")},
			{Namespace: "dev", Name: "web", Labels: map[string]string{"app": "web"}, IP: netip.MustParseAddr("10.0.1.2")},
			{Namespace: "kube-system", Name: "coredns", Labels: map[string]string{"k8s-app": "kube-dns"}, IP: netip.MustParseAddr("10.0.2.1")},
			{Namespace: "monitoring", Name: "prometheus", Labels: map[string]string{"app": "prometheus"}, IP: netip.MustParseAddr("10.0.3.1")},
		},
		Externals: []External{
			{IP: netip.MustParseAddr("52.94.1.1"), Names: []string{"s3.amazonaws.com"}},
			{IP: netip.MustParseAddr("52.94.2.2"), Names: []string{"s3.eu-west-1.amazonaws.com"}},
			{IP: netip.MustParseAddr("8.8.8.8"), Names: []string{"dns.google"}},
			{IP: netip.MustParseAddr("10.0.0.7")}, // an external address inside the pod range
			{IP: netip.MustParseAddr("2001:db8::5")},
			{IP: netip.MustParseAddr("93.184.216.34"), Names: []string{"API.Example.COM."}},
		},
		Nodes: []Node{
			{Name: "n1", Labels: map[string]string{"role": "worker"}, IP: netip.MustParseAddr("192.168.0.1"), Local: true},
			{Name: "n2", Labels: map[string]string{"role": "control-plane"}, IP: netip.MustParseAddr("192.168.0.2")},
		},
	}
}

// endpoint finds an endpoint of e's world by name: "ns/pod", an IP, "node/n",
// "kube-apiserver", "host".
func endpoint(t testing.TB, e *Evaluator, name string) Endpoint {
	t.Helper()
	for _, ep := range e.Endpoints() {
		s := ep.String()
		if s == name || (ep.Kind == EndpointExternal && ep.External.IP.String() == name) {
			return ep
		}
	}
	t.Fatalf("no endpoint %q", name)
	return Endpoint{}
}

func lines(rules []*ir.Rule) []int {
	var out []int
	for _, r := range rules {
		out = append(out, r.Span.Start.Line)
	}
	return out
}
