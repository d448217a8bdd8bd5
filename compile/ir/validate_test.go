package ir

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/source"
)

func validProgram() *Program {
	web := Peer{Kind: PeerPods, Pods: Selector{MatchLabels: []Label{{Key: "app", Value: "web"}}}}
	return &Program{
		Governed: []string{"a", "b"},
		DNS:      DefaultDNSServer(),
		Policies: []*Policy{{
			Name: "db", Namespace: "a",
			Subject: Subject{Pods: Selector{MatchLabels: []Label{{Key: "app", Value: "db"}}}},
			Rules: []*Rule{{
				Direction: Ingress, Peers: []Peer{web},
				Ports: []PortRule{{Ports: []Port{{Protocol: TCP, Port: 5432}}}},
			}},
		}},
	}
}

func TestValidate(t *testing.T) {
	if err := Validate(validProgram()); err != nil {
		t.Fatalf("valid program: %v", err)
	}
	dns := validProgram()
	dns.Policies[0].Rules = append(dns.Policies[0].Rules, DNSRule(dns.DNS, "a", []FQDN{{Pattern: "*"}}, source.Span{}))
	if err := Validate(dns); err != nil {
		t.Fatalf("program with DNSRule's rule: %v", err)
	}
	for name, tc := range map[string]struct {
		break_ func(p *Program)
		want   string
	}{
		"unsorted governed":            {func(p *Program) { p.Governed = []string{"b", "a"} }, "not sorted"},
		"pass in the default tier":     {func(p *Program) { p.Policies[0].Rules[0].Action = Pass }, "pass rule in a policy of the default tier"},
		"priority in the default tier": {func(p *Program) { p.Policies[0].Priority = 3 }, "priority 3 on a policy of the default tier"},
		"ordered in a namespace":       {func(p *Program) { p.Policies[0].Tier = TierOrdered }, "ordered policy in namespace a"},
		"ordered isolation": {func(p *Program) {
			p.Policies[0].Tier, p.Policies[0].Namespace, p.Policies[0].Isolation.Egress = TierOrdered, "", true
		}, "ordered policy isolates"},
		"ordered priority": {func(p *Program) {
			p.Policies[0].Tier, p.Policies[0].Namespace, p.Policies[0].Priority = TierOrdered, "", 1001
		}, "priority 1001 out of range"},
		"ordered L7": {func(p *Program) {
			p.Policies[0].Tier, p.Policies[0].Namespace = TierOrdered, ""
			p.Policies[0].Rules[0].Ports[0].HTTP = []HTTPRule{{Method: "GET"}}
		}, "L7 rules in an ordered policy"},
		"unknown tier": {func(p *Program) { p.Policies[0].Tier = 7 }, "unknown tier 7"},
		"no peers":     {func(p *Program) { p.Policies[0].Rules[0].Peers = nil }, "no peers"},
		"no traffic":   {func(p *Program) { p.Policies[0].Rules[0].Ports = nil }, "0 kinds of traffic"},
		"two traffics": {func(p *Program) { p.Policies[0].Rules[0].AllTraffic = true }, "2 kinds of traffic"},
		"empty port rule": {func(p *Program) {
			p.Policies[0].Rules[0].Ports = []PortRule{{}}
		}, "port rule without ports"},
		"non-canonical CIDR": {func(p *Program) {
			p.Policies[0].Rules[0].Peers = []Peer{{Kind: PeerCIDR, CIDR: netip.MustParsePrefix("10.0.0.1/8")}}
		}, "not canonical"},
		"except equal": {func(p *Program) {
			c := netip.MustParsePrefix("10.0.0.0/8")
			p.Policies[0].Rules[0].Peers = []Peer{{Kind: PeerCIDR, CIDR: c, Except: []netip.Prefix{c}}}
		}, "not strictly inside"},
		"except other family": {func(p *Program) {
			p.Policies[0].Rules[0].Peers = []Peer{{Kind: PeerCIDR, CIDR: netip.MustParsePrefix("10.0.0.0/8"),
				Except: []netip.Prefix{netip.MustParsePrefix("2001:db8::/64")}}}
		}, "not strictly inside"},
		"unsorted selector": {func(p *Program) {
			p.Policies[0].Subject.Pods.MatchLabels = []Label{{Key: "b", Value: "1"}, {Key: "a", Value: "1"}}
		}, "not sorted"},
		"duplicate label key": {func(p *Program) {
			p.Policies[0].Subject.Pods.MatchLabels = []Label{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}}
		}, "keys not unique"},
		"In without values": {func(p *Program) {
			p.Policies[0].Subject.Pods.MatchExpressions = []Expression{{Key: "a", Operator: OpIn}}
		}, "without values"},
		"HTTP on UDP": {func(p *Program) {
			p.Policies[0].Rules[0].Ports[0] = PortRule{Ports: []Port{{Protocol: UDP, Port: 53}}, HTTP: []HTTPRule{{Method: "GET"}}}
		}, "HTTP rules on 53/UDP"},
		"FQDN on ingress": {func(p *Program) {
			p.Policies[0].Rules[0].Peers = []Peer{{Kind: PeerFQDN, FQDN: FQDN{Pattern: "x.com", Exact: true}}}
		}, "DNS names only"},
		"range backwards": {func(p *Program) {
			p.Policies[0].Rules[0].Ports[0].Ports[0].EndPort = 80
		}, "ends before it starts"},
		"unknown entity": {func(p *Program) {
			p.Policies[0].Rules[0].Peers = []Peer{{Kind: PeerEntity, Entity: "moon"}}
		}, "unknown entity"},
		"namespaced node subject": {func(p *Program) { p.Policies[0].Subject.Nodes = true }, "node subject"},
		"own namespace by name": {func(p *Program) {
			p.Policies[0].Rules[0].Peers[0].Namespace = NamespaceRef{Scope: NamespaceNamed, Name: "a"}
		}, "want the relative form"},
		"repeated peer": {func(p *Program) {
			r := p.Policies[0].Rules[0]
			q := r.Peers[0]
			q.Span = source.Span{File: "other"}
			r.Peers = append(r.Peers, q)
		}, "repeated"},
		"rules out of order": {func(p *Program) {
			r := *p.Policies[0].Rules[0]
			p.Policies[0].Rules[0].Span = source.Span{File: "b"}
			r.Span = source.Span{File: "a"}
			p.Policies[0].Rules = append(p.Policies[0].Rules, &r)
		}, "canonical order"},
		"policies out of order": {func(p *Program) {
			q := *p.Policies[0]
			q.Namespace = "0"
			p.Policies = append(p.Policies, &q)
		}, "policies not ordered"},
		"DNS rule of another shape": {func(p *Program) {
			p.Policies[0].Rules[0].DNS = true
		}, "DNS rule"},
	} {
		p := validProgram()
		tc.break_(p)
		err := Validate(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error containing %q", name, err, tc.want)
		}
	}
}

func TestFormatDeterministic(t *testing.T) {
	p := validProgram()
	if a, b := Format(p), Format(p); a != b || !strings.Contains(a, "ingress allow from {app: web} ports [5432/TCP]") {
		t.Errorf("Format:\n%s", a)
	}
}

func TestRewritePeers(t *testing.T) {
	p := validProgram()
	r := p.Policies[0].Rules[0]
	web := r.Peers[0]
	world := Peer{Kind: PeerEntity, Entity: EntityWorld}
	all4 := Peer{Kind: PeerCIDR, CIDR: netip.MustParsePrefix("0.0.0.0/0")}
	r.Peers = []Peer{all4, world, web}
	before := FormatRule(r)

	same := RewritePeers(p, func(*Policy, Peer) ([]Peer, bool) { return nil, false })
	if same != p {
		t.Errorf("a rewrite that changes nothing returned a copy")
	}
	got := RewritePeers(p, func(_ *Policy, q Peer) ([]Peer, bool) {
		if q.Kind == PeerEntity && q.Entity == EntityWorld {
			return []Peer{all4, {Kind: PeerCIDR, CIDR: netip.MustParsePrefix("::/0")}}, true
		}
		return nil, false
	})
	if FormatRule(r) != before || p.Policies[0].Rules[0] != r {
		t.Errorf("the input program was modified: %s", FormatRule(r))
	}
	var keys []string
	for _, q := range got.Policies[0].Rules[0].Peers {
		keys = append(keys, PeerKey(q))
	}
	if want := []string{"0.0.0.0/0", "::/0", "{app: web}"}; strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Errorf("rewritten peers = %v, want %v (each once, in order)", keys, want)
	}
	if err := Validate(got); err != nil {
		t.Errorf("rewritten program: %v", err)
	}
}
