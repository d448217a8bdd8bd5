package decompile_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/compile/decompile"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/lang/source"
)

// at is a span on line n of an imported file, so that each error's
// position can be checked.
func at(n int) source.Span {
	f := source.NewFile("objects.yaml", []byte(strings.Repeat("x\n", 40)))
	return f.Span(2*(n-1), 2*(n-1)+1)
}

func sel(kv ...string) ir.Selector {
	var s ir.Selector
	for i := 0; i+1 < len(kv); i += 2 {
		s.MatchLabels = append(s.MatchLabels, ir.Label{Key: kv[i], Value: kv[i+1]})
	}
	return s.Normalize()
}

func pods(ns string, s ir.Selector) ir.Peer {
	if ns == "" {
		return ir.Peer{Kind: ir.PeerPods, Pods: s}
	}
	return ir.Peer{Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: ns}, Pods: s}
}

func tcp(port uint16) []ir.PortRule {
	return []ir.PortRule{{Ports: []ir.Port{{Protocol: ir.TCP, Port: port}}}}
}

// program is one policy of namespace shop for {app: web}, isolated in both
// directions, with rules.
func program(rules ...*ir.Rule) *ir.Program {
	return &ir.Program{
		Governed: []string{"shop"},
		DNS:      ir.DefaultDNSServer(),
		Policies: []*ir.Policy{{
			Span: at(1), Origin: "NetworkPolicy shop/web", Namespace: "shop",
			Subject:   ir.Subject{Span: at(1), Pods: sel("app", "web")},
			Isolation: ir.Isolation{Ingress: true, Egress: true},
			Rules:     rules,
		}},
	}
}

// TestNotExpressible checks each construct the language cannot state: an
// error at the span of the IR node, naming it, and no output.
func TestNotExpressible(t *testing.T) {
	value := "x"
	for _, c := range []struct {
		name string
		prog *ir.Program
		line int
		want string
	}{
		{"http-on-deny", program(&ir.Rule{Span: at(3), Direction: ir.Egress, Action: ir.Deny,
			Peers: []ir.Peer{pods("", sel("app", "db"))},
			Ports: []ir.PortRule{{Span: at(4), Ports: []ir.Port{{Protocol: ir.TCP, Port: 80}}, HTTP: []ir.HTTPRule{{Method: "GET"}}}}}),
			4, "HTTP rules on a deny rule"},
		{"http-on-udp", program(&ir.Rule{Span: at(3), Direction: ir.Ingress, Action: ir.Allow,
			Peers: []ir.Peer{pods("", sel("app", "db"))},
			Ports: []ir.PortRule{{Span: at(4), Ports: []ir.Port{{Span: at(5), Protocol: ir.UDP, Port: 80}}, HTTP: []ir.HTTPRule{{Method: "GET"}}}}}),
			5, "HTTP needs TCP ports"},
		{"lookups-towards-other-peer", program(&ir.Rule{Span: at(3), Direction: ir.Egress, Action: ir.Allow,
			Peers: []ir.Peer{{Kind: ir.PeerCIDR, CIDR: netip.MustParsePrefix("8.8.8.8/32")}},
			Ports: []ir.PortRule{{Span: at(6), Ports: []ir.Port{{Protocol: ir.UDP, Port: 53}}, DNS: []ir.FQDN{{Pattern: "*"}}}}}),
			6, "DNS lookup rules towards a peer that is not the cluster DNS server"},
		{"fqdn-source", program(&ir.Rule{Span: at(3), Direction: ir.Ingress, Action: ir.Allow,
			Peers: []ir.Peer{{Span: at(7), Kind: ir.PeerFQDN, FQDN: ir.FQDN{Pattern: "a.example.com", Exact: true}}}, Ports: tcp(80)}),
			7, "a DNS name as a source"},
		{"fqdn-deny", program(&ir.Rule{Span: at(3), Direction: ir.Egress, Action: ir.Deny,
			Peers: []ir.Peer{{Span: at(8), Kind: ir.PeerFQDN, FQDN: ir.FQDN{Pattern: "*.example.com"}}}, Ports: tcp(80)}),
			8, "a DNS name in a deny rule"},
		{"exact-fqdn-with-star", program(&ir.Rule{Span: at(3), Direction: ir.Egress, Action: ir.Allow,
			Peers: []ir.Peer{{Span: at(9), Kind: ir.PeerFQDN, FQDN: ir.FQDN{Pattern: "*.example.com", Exact: true}}}, Ports: tcp(80)}),
			9, "an exact DNS name with \"*\""},
		{"service-source", program(&ir.Rule{Span: at(3), Direction: ir.Ingress, Action: ir.Allow,
			Peers: []ir.Peer{{Span: at(10), Kind: ir.PeerService, Service: ir.Service{Namespace: "shop", Name: "db"}}}, Ports: tcp(80)}),
			10, "a Service as a source"},
		{"icmp-type-name", program(&ir.Rule{Span: at(3), Direction: ir.Egress, Action: ir.Allow,
			Peers: []ir.Peer{pods("", sel("app", "db"))}, ICMP: []ir.ICMPType{{Span: at(11), Family: ir.ICMPv4, Type: "EchoRequest"}}}),
			11, "the ICMP type name \"EchoRequest\""},
		{"unknown-entity", program(&ir.Rule{Span: at(3), Direction: ir.Egress, Action: ir.Allow,
			Peers: []ir.Peer{{Span: at(12), Kind: ir.PeerEntity, Entity: "moon"}}, Ports: tcp(80)}),
			12, "the entity \"moon\""},
		{"reserved-label-key", program(&ir.Rule{Span: at(3), Direction: ir.Egress, Action: ir.Allow,
			Peers: []ir.Peer{{Span: at(13), Kind: ir.PeerPods, Pods: sel("io.kubernetes.pod.namespace", "x")}}, Ports: tcp(80)}),
			13, "the label key io.kubernetes.pod.namespace, which Cilium reserves"},
		{"dns-rule-of-another-server", program(&ir.Rule{Span: at(14), Direction: ir.Egress, Action: ir.Allow, DNS: true,
			Peers: []ir.Peer{pods("dns", sel("app", "coredns"))},
			Ports: []ir.PortRule{{Ports: []ir.Port{{Protocol: ir.UDP, Port: 53}, {Protocol: ir.TCP, Port: 53}}}}}),
			14, "a DNS rule that is not the one \"allow dns\" writes"},
		{"namespace-name", program(&ir.Rule{Span: at(3), Direction: ir.Egress, Action: ir.Allow,
			Peers: []ir.Peer{{Span: at(16), Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: "1shop"}}}, Ports: tcp(80)}),
			16, "the namespace name \"1shop\", which does not start with a letter"},
		{"header-without-name", program(&ir.Rule{Span: at(3), Direction: ir.Ingress, Action: ir.Allow,
			Peers: []ir.Peer{pods("", sel("app", "db"))},
			Ports: []ir.PortRule{{Ports: []ir.Port{{Protocol: ir.TCP, Port: 80}}, HTTP: []ir.HTTPRule{{Span: at(15), Headers: []ir.HeaderMatch{{Value: &value}}}}}}}),
			15, "an HTTP header rule without a name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, diags := decompile.Decompile(c.prog)
			if out != nil || !diags.HasErrors() {
				t.Fatalf("no error; output:\n%s", out)
			}
			d := diags[0]
			if d.Code != decompile.CodeNotExpressible || d.Span.Start.Line != c.line || !strings.Contains(d.Message, c.want) {
				t.Errorf("got %s at line %d: %s; want line %d and %q", d.Code, d.Span.Start.Line, d.Message, c.line, c.want)
			}
		})
	}
}

// TestSubjects checks the subjects the language cannot write: nodes or
// namespace labels in a namespaced policy, and an "allow dns" of a policy
// not isolated for egress.
func TestSubjects(t *testing.T) {
	p := program()
	p.Policies[0].Subject.Nodes = true
	if _, diags := decompile.Decompile(p); !diags.HasErrors() || !strings.Contains(diags[0].Message, "host policies are cluster-wide") {
		t.Errorf("node subject in a namespace: %v", diags)
	}
	p = program(ir.DNSRule(ir.DefaultDNSServer(), "shop", nil, at(3)))
	p.Policies[0].Isolation.Egress = false
	if _, diags := decompile.Decompile(p); !diags.HasErrors() || !strings.Contains(diags[0].Message, "not isolated for egress") || diags[0].Span.Start.Line != 3 {
		t.Errorf("allow dns without egress isolation: %v", diags)
	}
}

// TestImported checks what imported policies look like: one comment per
// object, policies of the same subject merged, peers and subjects that
// select nothing left out with a warning, an egress named port towards "*"
// written towards the pods of every namespace, and group names that
// collide.
func TestImported(t *testing.T) {
	nothing := ir.Selector{MatchExpressions: []ir.Expression{{Key: "a", Operator: ir.OpExists}, {Key: "a", Operator: ir.OpDoesNotExist}}}
	p := program(
		&ir.Rule{Span: at(3), Direction: ir.Ingress, Action: ir.Allow,
			Peers: []ir.Peer{pods("", sel("app", "db")), {Span: at(4), Kind: ir.PeerPods, Pods: nothing}}, Ports: tcp(80)},
		&ir.Rule{Span: at(5), Direction: ir.Egress, Action: ir.Allow, Peers: []ir.Peer{{Kind: ir.PeerAny}},
			Ports: []ir.PortRule{{Ports: []ir.Port{{Protocol: ir.TCP, Port: 443}, {Protocol: ir.TCP, Name: "metrics"}}}}},
		&ir.Rule{Span: at(6), Direction: ir.Egress, Action: ir.Allow, Peers: []ir.Peer{pods("other", sel("app", "web"))}, Ports: tcp(80)},
		&ir.Rule{Span: at(7), Direction: ir.Egress, Action: ir.Allow, Peers: []ir.Peer{pods("other", sel("app", "web"))}, Ports: tcp(81)},
	)
	p.Policies = append(p.Policies,
		&ir.Policy{Span: at(20), Origin: "NetworkPolicy shop/web-2", Namespace: "shop",
			Subject: ir.Subject{Pods: sel("app", "web")}, Isolation: ir.Isolation{Ingress: true},
			Rules: []*ir.Rule{{Span: at(21), Direction: ir.Ingress, Action: ir.Allow, Peers: []ir.Peer{{Kind: ir.PeerAny}}, Ports: tcp(8080)}}},
		&ir.Policy{Span: at(30), Origin: "NetworkPolicy shop/none", Namespace: "shop",
			Subject: ir.Subject{Span: at(30), Pods: nothing}, Isolation: ir.Isolation{Ingress: true}})
	out, diags := decompile.Decompile(p)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := `other-web = other/{app: web}

namespace shop
web = {app: web}

# NetworkPolicy shop/web
# NetworkPolicy shop/web-2
ingress {app: db} -> web:80
egress web -> *:443
egress web -> ns{}:metrics
egress web -> other-web:80
egress web -> other-web:81
ingress * -> web:8080
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	var warnings []string
	for _, d := range diags {
		warnings = append(warnings, d.Message)
	}
	if len(diags) != 2 || diags[0].Code != decompile.CodeSelectsNothing || !strings.Contains(strings.Join(warnings, "\n"), "left out the policy of shop/{a, !a}") {
		t.Errorf("warnings: %v", warnings)
	}
}

// TestExpectations checks that expectations come back where they were
// written: before every block, or at the end of their namespace's block.
func TestExpectations(t *testing.T) {
	src := `expect ns0/{app: a} -> 8.8.8.8:443 denied
namespace ns0
egress {app: a} -> 1.1.1.1:443
expect {app: a} -> 1.1.1.1:443 allowed
expect {app: a} -> 1.1.1.1:* allowed
expect {app: a} -> "api.example.com":icmp/8 denied
expect ext/{app: b} -> {app: a}:http http { GET /x header X-A: 1 } allowed
`
	prog, diags := backendtest.CompileText("in.netpol", src, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out, diags := decompile.Decompile(prog)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := `expect a -> 8.8.8.8:443 denied

namespace ns0
a = {app: a}

egress a -> 1.1.1.1:443

expect a -> 1.1.1.1:443 allowed
expect a -> 1.1.1.1:* allowed
expect a -> "api.example.com":icmp/8 denied
expect ext/{app: b} -> a:http http { GET /x header X-A: 1 } allowed
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if msg := equivalent(prog, out, world(prog)); msg != "" {
		t.Error(msg)
	}
}

// TestCiliumShapes decompiles IR as a Cilium importer would build it: a
// cluster-wide subject restricted by namespace labels, a host policy,
// "nonisolating" rules (enableDefaultDeny false), a deny rule, DNS names,
// ICMP, DNS lookups, a Service of the policy's namespace, an HTTP path with
// a space; the output must compile to the same meaning.
func TestCiliumShapes(t *testing.T) {
	team := sel("team", "a")
	p := &ir.Program{DNS: ir.DefaultDNSServer(), Governed: []string{"shop"}, ClusterWide: true}
	p.Policies = []*ir.Policy{
		{Origin: "CiliumClusterwideNetworkPolicy x", Subject: ir.Subject{Pods: sel("app", "x"), Namespaces: &team}, Isolation: ir.Isolation{Ingress: true, Egress: true},
			Rules: []*ir.Rule{
				{Direction: ir.Ingress, Action: ir.Allow, Peers: []ir.Peer{{Kind: ir.PeerPods, Pods: sel("app", "y")}}, Ports: tcp(80)},
				{Direction: ir.Ingress, Action: ir.Deny, Peers: []ir.Peer{{Kind: ir.PeerEntity, Entity: ir.EntityWorld}}, AllTraffic: true},
				{Direction: ir.Egress, Action: ir.Allow, Peers: []ir.Peer{{Kind: ir.PeerFQDN, FQDN: ir.FQDN{Pattern: "api.example.com"}}}, Ports: tcp(443)},
				{Direction: ir.Egress, Action: ir.Allow, Peers: []ir.Peer{{Kind: ir.PeerCIDR, CIDR: netip.MustParsePrefix("10.0.0.0/8")}}, ICMP: []ir.ICMPType{{Family: ir.ICMPv4, Type: "8"}}},
				ir.DNSRule(ir.DefaultDNSServer(), "", []ir.FQDN{{Pattern: "*.example.com"}}, source.Span{}),
			}},
		{Subject: ir.Subject{Nodes: true, Pods: sel("role", "edge")}, Isolation: ir.Isolation{Ingress: true},
			Rules: []*ir.Rule{{Direction: ir.Egress, Action: ir.Allow, Peers: []ir.Peer{{Kind: ir.PeerEntity, Entity: ir.EntityKubeAPIServer}}, Ports: tcp(6443)}}},
		{Namespace: "shop", Subject: ir.Subject{Pods: sel("app", "web")}, Isolation: ir.Isolation{Ingress: true},
			Rules: []*ir.Rule{
				{Direction: ir.Egress, Action: ir.Allow, Peers: []ir.Peer{{Kind: ir.PeerService, Service: ir.Service{Name: "db"}}}, Ports: tcp(5432)},
				{Direction: ir.Ingress, Action: ir.Allow, Peers: []ir.Peer{{Kind: ir.PeerNodes, Pods: sel("role", "edge")}}, Ports: []ir.PortRule{{Ports: []ir.Port{{Protocol: ir.TCP, Port: 80}}, HTTP: []ir.HTTPRule{{Method: "GET", Path: "/a b"}}}}},
			}},
	}
	out, diags := decompile.Decompile(p)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	want := `namespace shop
web = {app: web}

egress nonisolating web -> service(shop/db):5432
ingress node{role: edge} -> web:80 http {
  GET "/a b"
}

clusterwide

isolate node{role: edge} ingress
egress nonisolating node{role: edge} -> kube-apiserver:6443

# CiliumClusterwideNetworkPolicy x
ingress {app: y} -> ns{team: a}/{app: x}:80
deny ingress world -> ns{team: a}/{app: x}:*
egress ns{team: a}/{app: x} -> "api.example.com":443
egress ns{team: a}/{app: x} -> 10.0.0.0/8:icmp/8
allow dns for ns{team: a}/{app: x} lookups "*.example.com"
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if msg := equivalent(p, withoutComments(out), world(p)); msg != "" {
		t.Error(msg)
	}
}
