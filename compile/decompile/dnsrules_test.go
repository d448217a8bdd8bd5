package decompile

import (
	"strings"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/source"
)

// TestWithDNSRules: an imported egress rule of exactly "allow dns"'s shape
// is written "allow dns", unless the program names DNS names (then the DNS
// proxy that Cilium adds for "allow dns" would change what toFQDNs rules
// match).
func TestWithDNSRules(t *testing.T) {
	prog := func(extra ...ir.Peer) *ir.Program {
		web := ir.Selector{MatchLabels: []ir.Label{{Key: "app", Value: "web"}}}
		dns := ir.DNSRule(ir.DefaultDNSServer(), "shop", nil, source.Span{})
		dns.DNS = false // as imported from a NetworkPolicy
		pol := &ir.Policy{Name: "web", Namespace: "shop", Origin: "NetworkPolicy shop/web", Subject: ir.Subject{Pods: web},
			Isolation: ir.Isolation{Egress: true}, Rules: []*ir.Rule{dns}}
		if len(extra) > 0 {
			pol.Rules = append(pol.Rules, &ir.Rule{Direction: ir.Egress, Peers: extra,
				Ports: []ir.PortRule{{Ports: []ir.Port{{Protocol: ir.TCP, Port: 443}}}}})
		}
		return &ir.Program{Governed: []string{"shop"}, DNS: ir.DefaultDNSServer(), Policies: []*ir.Policy{pol}}
	}
	plain := prog()
	src, diags := Decompile(plain)
	if diags.HasErrors() || !strings.Contains(string(src), "allow dns") {
		t.Errorf("the DNS-shaped rule is not written as allow dns:\n%s%v", src, diags)
	}
	if plain.Policies[0].Rules[0].DNS {
		t.Errorf("Decompile modified its input")
	}
	withFQDN := prog(ir.Peer{Kind: ir.PeerFQDN, FQDN: ir.FQDN{Pattern: "api.example.com", Exact: true}})
	src, diags = Decompile(withFQDN)
	if diags.HasErrors() || strings.Contains(string(src), "allow dns") {
		t.Errorf("with a DNS name in the program, the rule must stay explicit:\n%s%v", src, diags)
	}
	fromCilium := prog()
	fromCilium.Policies[0].Origin = "CiliumNetworkPolicy shop/web"
	src, diags = Decompile(fromCilium)
	if diags.HasErrors() || strings.Contains(string(src), "allow dns") {
		t.Errorf("a Cilium policy's L4 DNS rule (no DNS proxy asked for) must stay explicit:\n%s%v", src, diags)
	}
}
