package enginetest

import (
	"net/netip"
	"os"
	"testing"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// TestEngineShopExample loads the hand-written CiliumNetworkPolicies of the
// worked example of docs/semantics.md (section 4) and checks the verdicts
// that section gives, at L3/L4, HTTP and DNS.
func TestEngineShopExample(t *testing.T) {
	data, err := os.ReadFile("testdata/shop-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := DecodeYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	w := &eval.World{
		Namespaces: []eval.Namespace{{Name: "shop"}, {Name: "ingress-nginx"}, {Name: "kube-system"}},
		Pods: []eval.Pod{
			{Namespace: "shop", Name: "web", Labels: map[string]string{"app": "web"}, IP: netip.MustParseAddr("10.244.0.1")},
			{Namespace: "shop", Name: "db", Labels: map[string]string{"app": "database"}, IP: netip.MustParseAddr("10.244.0.2")},
			{Namespace: "shop", Name: "other", Labels: map[string]string{"app": "other"}, IP: netip.MustParseAddr("10.244.0.3")},
			{Namespace: "ingress-nginx", Name: "nginx", Labels: map[string]string{"app": "nginx"}, IP: netip.MustParseAddr("10.244.1.1")},
			{Namespace: "kube-system", Name: "coredns", Labels: map[string]string{"k8s-app": "kube-dns"}, IP: netip.MustParseAddr("10.244.2.1")},
		},
		Externals: []eval.External{
			{IP: netip.MustParseAddr("52.94.1.1"), Names: []string{"s3.us-east-1.amazonaws.com"}},
			{IP: netip.MustParseAddr("8.8.8.8"), Names: []string{"dns.google"}},
		},
	}
	e, err := New(w, objs)
	if err != nil {
		t.Fatal(err)
	}
	pod := func(name string) eval.Endpoint {
		for i := range w.Pods {
			if w.Pods[i].Name == name {
				return eval.PodEndpoint(&w.Pods[i])
			}
		}
		t.Fatalf("no pod %s", name)
		return eval.Endpoint{}
	}
	ext := func(i int) eval.Endpoint { return eval.ExternalEndpoint(&w.Externals[i]) }
	get := func(path string) *ir.HTTPRequest {
		return &ir.HTTPRequest{Method: "GET", Path: path, Host: "web.shop"}
	}
	for _, tc := range []struct {
		name    string
		flow    eval.Flow
		allowed bool
		l7      bool // allowed at L4 only, L7-restricted
	}{
		{"web to database", eval.Flow{From: pod("web"), To: pod("db"), Port: 5432}, true, false},
		{"web to database wrong port", eval.Flow{From: pod("web"), To: pod("db"), Port: 5433}, false, false},
		{"other to database", eval.Flow{From: pod("other"), To: pod("db"), Port: 5432}, false, false},
		{"database to web", eval.Flow{From: pod("db"), To: pod("web"), Port: 8080}, false, false},
		{"nginx to web L4", eval.Flow{From: pod("nginx"), To: pod("web"), Port: 8080}, true, true},
		{"nginx GET public", eval.Flow{From: pod("nginx"), To: pod("web"), Port: 8080, HTTP: get("/api/public/x?y=1")}, true, false},
		{"nginx GET public no slash", eval.Flow{From: pod("nginx"), To: pod("web"), Port: 8080, HTTP: get("/api/public")}, false, false},
		{"nginx DELETE public", eval.Flow{From: pod("nginx"), To: pod("web"), Port: 8080, HTTP: &ir.HTTPRequest{Method: "DELETE", Path: "/api/public/x", Host: "web"}}, false, false},
		{"nginx POST auth", eval.Flow{From: pod("nginx"), To: pod("web"), Port: 8080, HTTP: &ir.HTTPRequest{Method: "POST", Path: "/api/auth/login", Host: "web"}}, true, false},
		{"web DNS udp", eval.Flow{From: pod("web"), To: pod("coredns"), Protocol: ir.UDP, Port: 53}, true, true},
		{"web DNS lookup", eval.Flow{From: pod("web"), To: pod("coredns"), Protocol: ir.UDP, Port: 53, DNSName: "s3.us-east-1.amazonaws.com"}, true, false},
		{"other DNS tcp", eval.Flow{From: pod("other"), To: pod("coredns"), Port: 53}, true, true},
		{"web to s3", eval.Flow{From: pod("web"), To: ext(0), Port: 443}, true, false},
		{"web to s3 port 80", eval.Flow{From: pod("web"), To: ext(0), Port: 80}, false, false},
		{"web to google", eval.Flow{From: pod("web"), To: ext(1), Port: 443}, false, false},
		{"internet to web", eval.Flow{From: ext(1), To: pod("web"), Port: 8080}, false, false},
	} {
		v, err := e.Decide(tc.flow)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if v.Allowed != tc.allowed || v.L7Restricted != tc.l7 {
			t.Errorf("%s: %s: allowed=%v l7restricted=%v, want %v %v (egress %+v, ingress %+v)",
				tc.name, tc.flow, v.Allowed, v.L7Restricted, tc.allowed, tc.l7, v.Egress, v.Ingress)
		}
	}
}
