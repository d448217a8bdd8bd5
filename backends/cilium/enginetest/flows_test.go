package enginetest

import (
	"net/netip"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/nporacle"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/lang/diag"
)

// The tests of this file decide hand-written flows on the objects netpolc
// emits for a hand-written source, with Cilium's engine (and cyclonus when
// NetworkPolicy expresses the program), against verdicts written by hand
// from docs/language.md. No netpolc evaluator and no backend helper computes
// an expectation: source text -> compile -> YAML -> external engine.

// flowWorld is the world of the hand-written flow tests.
func flowWorld() *eval.World {
	pod := func(ns, name string, ip string, labels map[string]string) eval.Pod {
		return eval.Pod{Namespace: ns, Name: name, Labels: labels, IP: netip.MustParseAddr(ip)}
	}
	ext := func(ip string, names ...string) eval.External {
		return eval.External{IP: netip.MustParseAddr(ip), Names: names}
	}
	return &eval.World{
		Namespaces: []eval.Namespace{{Name: "shop"}, {Name: "kube-system"}, {Name: "dns2"}},
		Pods: []eval.Pod{
			pod("shop", "web", "10.244.0.1", map[string]string{"app": "web"}),
			pod("shop", "db", "10.244.0.2", map[string]string{"app": "db"}),
			pod("shop", "other", "10.244.0.3", map[string]string{"app": "other"}),
			{Namespace: "kube-system", Name: "coredns", Labels: map[string]string{"k8s-app": "kube-dns"}, IP: netip.MustParseAddr("10.244.9.10"),
				Ports: []eval.ContainerPort{{Name: "dns", Port: 53, Protocol: ir.UDP}, {Name: "dns-tcp", Port: 53, Protocol: ir.TCP}}},
			pod("dns2", "resolver", "10.244.8.10", map[string]string{"k8s-app": "other-dns"}),
		},
		Externals: []eval.External{
			ext("203.0.113.1", "a.example.com"),
			ext("203.0.113.2", "a.b.example.com"),
			ext("203.0.113.3", "example.com"),
			ext("203.0.113.4", "badexample.com"),
			ext("203.0.113.200"),
			ext("8.8.8.8", "dns.google"),
		},
	}
}

// flowCase is a hand-written flow and its expected verdict.
type flowCase struct {
	from, to string // "ns/pod" or an external IP
	proto    ir.Protocol
	port     uint16
	lookup   string // a DNS lookup carried by the flow
	allowed  bool
	// proxied: the flow is allowed at L4 and redirected to Cilium's proxy
	// (checked on Cilium only, for flows without a lookup).
	proxied bool
}

// endpoint finds "ns/pod" or an external IP in w.
func endpoint(t *testing.T, w *eval.World, s string) eval.Endpoint {
	t.Helper()
	for i := range w.Pods {
		if w.Pods[i].Namespace+"/"+w.Pods[i].Name == s {
			return eval.PodEndpoint(&w.Pods[i])
		}
	}
	for i := range w.Externals {
		if w.Externals[i].IP.String() == s {
			return eval.ExternalEndpoint(&w.Externals[i])
		}
	}
	t.Fatalf("no endpoint %s", s)
	return eval.Endpoint{}
}

// emitSource compiles src and emits it for b; every error fails the test.
// It returns the YAML and the diagnostics.
func emitSource(t *testing.T, src string, w *eval.World, b backends.Backend) ([]byte, diag.List) {
	t.Helper()
	prog, diags := backendtest.CompileText("in.netpol", src, w)
	if diags.HasErrors() || prog == nil {
		t.Fatalf("compile: %v", diags)
	}
	objs, ed := targetcheck.Emit(b, prog, backends.Options{})
	if ed.HasErrors() {
		t.Fatalf("%s backend: %v", b.Name(), ed)
	}
	out, err := YAML(objs)
	if err != nil {
		t.Fatal(err)
	}
	return out, ed
}

// checkFlows decides cases with Cilium's engine on src's Cilium output and,
// when withNP, with cyclonus on its NetworkPolicy output.
func checkFlows(t *testing.T, src string, withNP bool, cases []flowCase) {
	t.Helper()
	w := flowWorld()
	cnp, _ := emitSource(t, src, w, cilium.Backend{})
	eng, err := Load(w, cnp)
	if err != nil {
		t.Fatalf("%v\n%s", err, cnp)
	}
	var np *nporacle.Oracle
	var npYAML []byte
	if withNP {
		npYAML, _ = emitSource(t, src, w, k8s.New())
		if np, err = newNPOracle(w, npYAML); err != nil {
			t.Fatal(err)
		}
	}
	failed := false
	for _, c := range cases {
		proto := c.proto
		if proto == "" {
			proto = ir.TCP
		}
		f := eval.Flow{From: endpoint(t, w, c.from), To: endpoint(t, w, c.to), Protocol: proto, Port: c.port, DNSName: c.lookup}
		v, err := eng.Decide(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if v.Allowed != c.allowed {
			t.Errorf("%s: Cilium's engine says allowed=%v, want %v (egress %+v, ingress %+v)", f, v.Allowed, c.allowed, v.Egress, v.Ingress)
			failed = true
		}
		if c.lookup == "" && c.allowed && v.L7Restricted != c.proxied {
			t.Errorf("%s: Cilium's engine says redirected to the proxy=%v, want %v (egress %+v, ingress %+v)", f, v.L7Restricted, c.proxied, v.Egress, v.Ingress)
			failed = true
		}
		if np != nil && np.Supports(f) {
			if got := np.Allowed(f); got != c.allowed {
				t.Errorf("%s: cyclonus on the NetworkPolicies says allowed=%v, want %v", f, got, c.allowed)
				failed = true
			}
		}
	}
	if failed {
		t.Logf("source:\n%s--- CiliumNetworkPolicies\n%s", src, cnp)
		if withNP {
			t.Logf("--- NetworkPolicies\n%s", npYAML)
		}
	}
}

// TestFlowsPortRange: a port range admits its two ends and what lies
// between, on its protocol only, on both targets.
func TestFlowsPortRange(t *testing.T) {
	src := `namespace shop
web = {app: web}
db = {app: db}
web -> db:8000-8010/tcp
`
	checkFlows(t, src, true, []flowCase{
		{from: "shop/web", to: "shop/db", port: 7999, allowed: false},
		{from: "shop/web", to: "shop/db", port: 8000, allowed: true},
		{from: "shop/web", to: "shop/db", port: 8001, allowed: true},
		{from: "shop/web", to: "shop/db", port: 8005, allowed: true},
		{from: "shop/web", to: "shop/db", port: 8009, allowed: true},
		{from: "shop/web", to: "shop/db", port: 8010, allowed: true},
		{from: "shop/web", to: "shop/db", port: 8011, allowed: false},
		{from: "shop/web", to: "shop/db", proto: ir.UDP, port: 8005, allowed: false},
		{from: "shop/web", to: "shop/db", proto: ir.SCTP, port: 8005, allowed: false},
		// db is isolated for ingress, web for egress.
		{from: "shop/other", to: "shop/db", port: 8005, allowed: false},
		{from: "shop/web", to: "shop/other", port: 8005, allowed: false},
	})
	// A range on an egress-only rule towards an IP block.
	src = `namespace shop
web = {app: web}
web -> 203.0.113.0/24:[100-200/udp, 443]
`
	checkFlows(t, src, true, []flowCase{
		{from: "shop/web", to: "203.0.113.1", proto: ir.UDP, port: 99, allowed: false},
		{from: "shop/web", to: "203.0.113.1", proto: ir.UDP, port: 100, allowed: true},
		{from: "shop/web", to: "203.0.113.1", proto: ir.UDP, port: 200, allowed: true},
		{from: "shop/web", to: "203.0.113.1", proto: ir.UDP, port: 201, allowed: false},
		{from: "shop/web", to: "203.0.113.1", proto: ir.TCP, port: 150, allowed: false},
		{from: "shop/web", to: "203.0.113.1", proto: ir.TCP, port: 443, allowed: true},
		{from: "shop/web", to: "8.8.8.8", proto: ir.UDP, port: 150, allowed: false},
	})
}

// TestFlowsFQDNPatterns: "*." matches one label, "**." one or more whole
// labels, neither the bare domain nor a name that merely ends with it; the
// same for the names a DNS rule lets through.
func TestFlowsFQDNPatterns(t *testing.T) {
	src := `namespace shop
allow dns
web = {app: web}
other = {app: other}
web -> "**.example.com":443
other -> "*.example.com":443
`
	checkFlows(t, src, false, []flowCase{
		{from: "shop/web", to: "203.0.113.1", port: 443, allowed: true},  // a.example.com
		{from: "shop/web", to: "203.0.113.2", port: 443, allowed: true},  // a.b.example.com
		{from: "shop/web", to: "203.0.113.3", port: 443, allowed: false}, // example.com
		{from: "shop/web", to: "203.0.113.4", port: 443, allowed: false}, // badexample.com
		{from: "shop/web", to: "203.0.113.1", port: 80, allowed: false},
		{from: "shop/other", to: "203.0.113.1", port: 443, allowed: true},
		{from: "shop/other", to: "203.0.113.2", port: 443, allowed: false},
		{from: "shop/other", to: "203.0.113.3", port: 443, allowed: false},
		{from: "shop/other", to: "203.0.113.4", port: 443, allowed: false},
	})
	src = `namespace shop
allow dns for {app: web} lookups "**.example.com"
allow dns for {app: other} lookups "*.example.com"
`
	lookup := func(from, name string, allowed bool) flowCase {
		return flowCase{from: from, to: "kube-system/coredns", proto: ir.UDP, port: 53, lookup: name, allowed: allowed}
	}
	checkFlows(t, src, false, []flowCase{
		lookup("shop/web", "a.example.com", true),
		lookup("shop/web", "a.b.example.com", true),
		lookup("shop/web", "example.com", false),
		lookup("shop/web", "badexample.com", false),
		lookup("shop/other", "a.example.com", true),
		lookup("shop/other", "a.b.example.com", false),
		lookup("shop/other", "example.com", false),
		lookup("shop/other", "badexample.com", false),
	})
}

// TestFlowsDeny: a deny rule wins over every allow, on a single port, on a
// port range and towards an IP block, and denies nothing else.
func TestFlowsDeny(t *testing.T) {
	src := `namespace shop
web = {app: web}
db = {app: db}
web -> db:*/tcp
deny web -> db:5432
deny web -> db:9000-9010/tcp
web -> 203.0.113.0/24:443
deny web -> 203.0.113.0/25:443
deny ingress 203.0.113.0/25 -> {app: other}:*
`
	checkFlows(t, src, false, []flowCase{
		{from: "shop/web", to: "shop/db", port: 5432, allowed: false},
		{from: "shop/web", to: "shop/db", port: 5431, allowed: true},
		{from: "shop/web", to: "shop/db", port: 5433, allowed: true},
		{from: "shop/web", to: "shop/db", port: 8999, allowed: true},
		{from: "shop/web", to: "shop/db", port: 9000, allowed: false},
		{from: "shop/web", to: "shop/db", port: 9005, allowed: false},
		{from: "shop/web", to: "shop/db", port: 9010, allowed: false},
		{from: "shop/web", to: "shop/db", port: 9011, allowed: true},
		{from: "shop/web", to: "203.0.113.1", port: 443, allowed: false},  // in the denied /25
		{from: "shop/web", to: "203.0.113.200", port: 443, allowed: true}, // in the /24, not in the /25
		{from: "shop/web", to: "203.0.113.200", port: 80, allowed: false},
		// other's ingress is not isolated; the ingress deny cuts the /25
		// off, on every port.
		{from: "203.0.113.1", to: "shop/other", port: 8080, allowed: false},
		{from: "203.0.113.1", to: "shop/other", proto: ir.UDP, port: 53, allowed: false},
		{from: "203.0.113.200", to: "shop/other", port: 8080, allowed: true},
		{from: "203.0.113.200", to: "shop/db", port: 5432, allowed: false}, // db is isolated by web -> db
		{from: "shop/web", to: "shop/db", proto: ir.UDP, port: 5432, allowed: false},
	})
	// Deny rules do not isolate: nothing else is affected.
	src = `namespace shop
web = {app: web}
db = {app: db}
deny web -> db:5432
`
	checkFlows(t, src, false, []flowCase{
		{from: "shop/web", to: "shop/db", port: 5432, allowed: false},
		{from: "shop/web", to: "shop/db", port: 5433, allowed: true},
		{from: "shop/other", to: "shop/db", port: 5432, allowed: true},
		{from: "shop/web", to: "8.8.8.8", port: 443, allowed: true},
	})
}

// TestFlowsDNSProxyAdded: pods with a DNS-name target and no "allow dns"
// get their DNS traffic to the cluster DNS server (kube-system,
// k8s-app=kube-dns, port 53, UDP and TCP) allowed through Cilium's DNS
// proxy, every name allowed; not another DNS server, nor other pods. With
// an "allow dns" that covers them and lists lookups, nothing is added:
// other names stay refused.
func TestFlowsDNSProxyAdded(t *testing.T) {
	src := `namespace shop
default deny
web = {app: web}
web -> "a.example.com":443
`
	w := flowWorld()
	if _, diags := emitSource(t, src, w, cilium.Backend{}); !hasCode(diags, "dns-proxy-added") {
		t.Errorf("no dns-proxy-added warning: %v", diags)
	}
	checkFlows(t, src, false, []flowCase{
		{from: "shop/web", to: "kube-system/coredns", proto: ir.UDP, port: 53, allowed: true, proxied: true},
		{from: "shop/web", to: "kube-system/coredns", proto: ir.TCP, port: 53, allowed: true, proxied: true},
		{from: "shop/web", to: "kube-system/coredns", proto: ir.UDP, port: 53, lookup: "a.example.com", allowed: true},
		{from: "shop/web", to: "kube-system/coredns", proto: ir.TCP, port: 53, lookup: "dns.google", allowed: true},
		{from: "shop/web", to: "kube-system/coredns", proto: ir.UDP, port: 5353, allowed: false},
		{from: "shop/web", to: "dns2/resolver", proto: ir.UDP, port: 53, allowed: false},
		{from: "shop/web", to: "8.8.8.8", proto: ir.UDP, port: 53, allowed: false},
		{from: "shop/other", to: "kube-system/coredns", proto: ir.UDP, port: 53, allowed: false},
		{from: "shop/web", to: "203.0.113.1", port: 443, allowed: true},
		{from: "shop/web", to: "203.0.113.2", port: 443, allowed: false},
	})
	// Covered by "allow dns ... lookups": no rule added, the lookups stay
	// restricted.
	src = `namespace shop
default deny
web = {app: web}
allow dns for web lookups "a.example.com"
web -> "a.example.com":443
`
	if _, diags := emitSource(t, src, w, cilium.Backend{}); hasCode(diags, "dns-proxy-added") {
		t.Errorf("dns-proxy-added although allow dns covers web: %v", diags)
	}
	checkFlows(t, src, false, []flowCase{
		{from: "shop/web", to: "kube-system/coredns", proto: ir.UDP, port: 53, allowed: true, proxied: true},
		{from: "shop/web", to: "kube-system/coredns", proto: ir.UDP, port: 53, lookup: "a.example.com", allowed: true},
		{from: "shop/web", to: "kube-system/coredns", proto: ir.UDP, port: 53, lookup: "dns.google", allowed: false},
		{from: "shop/web", to: "203.0.113.1", port: 443, allowed: true},
	})
}

func hasCode(diags diag.List, code diag.Code) bool {
	for _, d := range diags {
		if d.Code == code {
			return true
		}
	}
	return false
}
