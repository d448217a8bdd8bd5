package ir

import (
	"net/netip"
	"testing"
)

func TestFormatPeer(t *testing.T) {
	tier := withExpr(sel("app", "web"), "tier", OpIn, "b", "a")
	for _, c := range []struct {
		p    Peer
		want string
	}{
		{Peer{Kind: PeerPods, Pods: tier}, "{app: web, tier in (a, b)}"},
		{Peer{Kind: PeerPods, Namespace: NamespaceRef{Scope: NamespaceNamed, Name: "monitoring"}, Pods: sel("app", "prometheus")}, "monitoring/{app: prometheus}"},
		{Peer{Kind: PeerPods, Namespace: NamespaceRef{Scope: NamespaceLabels, Labels: sel("env", "dev")}}, "ns{env: dev}/{}"},
		{Peer{Kind: PeerCIDR, CIDR: netip.MustParsePrefix("0.0.0.0/0"), Except: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.0.0/16")}}, "0.0.0.0/0 except [10.0.0.0/8, 192.168.0.0/16]"},
		{Peer{Kind: PeerCIDR, CIDR: netip.MustParsePrefix("2001:db8::/32")}, "2001:db8::/32"},
		{Peer{Kind: PeerFQDN, FQDN: pattern("*.example.com")}, `"*.example.com"`},
		{Peer{Kind: PeerFQDN, FQDN: name("api.example.com")}, `"api.example.com"`},
		{Peer{Kind: PeerEntity, Entity: EntityWorld}, "entity(world)"},
		{Peer{Kind: PeerAny}, "*"},
		{Peer{Kind: PeerNodes, Pods: withExpr(sel(), "role", OpExists)}, "node{role}"},
		{Peer{Kind: PeerService, Service: Service{Namespace: "default", Name: "kubernetes"}}, "service(default/kubernetes)"},
		{Peer{Kind: PeerService, Service: Service{Namespace: "shop", Selector: &Selector{MatchLabels: []Label{{Key: "tier", Value: "api"}}}}}, "service(shop/{tier: api})"},
	} {
		if got := FormatPeer(c.p); got != c.want {
			t.Errorf("FormatPeer = %q, want %q", got, c.want)
		}
	}
}

func TestFormatFQDN(t *testing.T) {
	for _, c := range []struct {
		f    FQDN
		want string
	}{
		{name("api.example.com"), `"api.example.com"`},
		{pattern("*.example.com"), `"*.example.com"`},
		{pattern("**.example.com"), `"**.example.com"`},
		{pattern("*"), `"*"`},
		// What the language cannot write stays distinct.
		{pattern("example.com"), `pattern "example.com"`},
		{name("*.example.com"), `name "*.example.com"`},
	} {
		if got := FormatFQDN(c.f); got != c.want {
			t.Errorf("FormatFQDN(%+v) = %s, want %s", c.f, got, c.want)
		}
	}
}

func TestFormatPorts(t *testing.T) {
	for _, c := range []struct {
		ports []Port
		want  string
	}{
		{[]Port{{Protocol: TCP, Port: 5432}}, "5432/TCP"},
		{[]Port{{Protocol: TCP, Port: 8000, EndPort: 8080}, {Protocol: UDP}}, "8000-8080/TCP, */UDP"},
		{[]Port{{Protocol: ProtoAny, Name: "metrics"}, {Protocol: SCTP, Port: 9}}, "metrics/ANY, 9/SCTP"},
		{nil, ""},
	} {
		if got := FormatPorts(c.ports); got != c.want {
			t.Errorf("FormatPorts = %q, want %q", got, c.want)
		}
	}
}

func TestFormatHTTPRules(t *testing.T) {
	v := "application/json"
	rules := []HTTPRule{
		{Method: "GET", Path: "/api/.*"},
		{Path: "/healthz", Host: `api\.example\.com`},
		{Method: "POST", Headers: []HeaderMatch{{Name: "Content-Type", Value: &v}, {Name: "X-Debug"}}},
		{Path: "/a\u0085b"},
	}
	want := `"GET" "/api/.*"; * "/healthz" host "api\\.example\\.com"; "POST" * header "Content-Type": "application/json" header "X-Debug"; * "/a\u0085b"`
	if got := FormatHTTPRules(rules); got != want {
		t.Errorf("FormatHTTPRules =\n%s\nwant\n%s", got, want)
	}
}

func TestFormatICMP(t *testing.T) {
	for _, c := range []struct {
		t    ICMPType
		want string
	}{
		{ICMPType{Family: ICMPv4, Type: "8"}, "icmp/8"},
		{ICMPType{Family: ICMPv6}, "icmpv6"},
		{ICMPType{Family: ICMPv6, Type: "EchoRequest"}, "icmpv6/EchoRequest"},
	} {
		if got := FormatICMP(c.t); got != c.want {
			t.Errorf("FormatICMP = %q, want %q", got, c.want)
		}
	}
}
