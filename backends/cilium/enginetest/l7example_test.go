package enginetest

import (
	"net/netip"
	"testing"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
)

// TestCiliumL7ExampleVerdicts asks Cilium's engine itself (not netpolc's
// evaluator) about the flows examples/cilium-l7 is about, over a world of
// hand-made pods: the ingress-nginx controller may GET /api/public/... and
// POST /api/auth/... with a JSON content type on web:8080 and nothing else;
// web may reach one-label *.amazonaws.com names on 443, the API server, and
// DNS through the proxy; other pods may not reach web.
func TestCiliumL7ExampleVerdicts(t *testing.T) {
	_, decoded, _ := emitExample(t, backendtest.ReadExample(t, examples+"/cilium-l7"))

	pod := func(ns, name string, ip byte, labels map[string]string) eval.Pod {
		return eval.Pod{Namespace: ns, Name: name, Labels: labels, IP: netip.AddrFrom4([4]byte{10, 244, 0, ip})}
	}
	w := &eval.World{
		Namespaces: []eval.Namespace{{Name: "production"}, {Name: "ingress-nginx"}, {Name: "kube-system"}},
		Pods: []eval.Pod{
			pod("production", "web-0", 1, map[string]string{"app": "web"}),
			pod("production", "database-0", 2, map[string]string{"app": "database"}),
			pod("production", "test-0", 3, map[string]string{"app": "test"}),
			pod("ingress-nginx", "controller-0", 4, map[string]string{"app.kubernetes.io/name": "ingress-nginx"}),
			pod("ingress-nginx", "other-0", 5, map[string]string{"app": "webhook"}),
			pod("kube-system", "coredns-0", 6, map[string]string{"k8s-app": "kube-dns"}),
		},
		Externals: []eval.External{
			{IP: netip.MustParseAddr("52.94.1.1"), Names: []string{"s3.amazonaws.com"}},
			{IP: netip.MustParseAddr("52.94.16.1"), Names: []string{"s3.us-east-1.amazonaws.com"}},
			{IP: netip.MustParseAddr("93.184.216.34"), Names: []string{"example.com"}},
		},
	}
	eng, err := New(w, decoded)
	if err != nil {
		t.Fatalf("Cilium rejects the emitted policies: %v", err)
	}
	ep := func(ns, name string) eval.Endpoint {
		for i := range w.Pods {
			if w.Pods[i].Namespace == ns && w.Pods[i].Name == name {
				return eval.PodEndpoint(&w.Pods[i])
			}
		}
		t.Fatalf("no pod %s/%s", ns, name)
		return eval.Endpoint{}
	}
	ext := func(i int) eval.Endpoint { return eval.ExternalEndpoint(&w.Externals[i]) }
	web, db, test := ep("production", "web-0"), ep("production", "database-0"), ep("production", "test-0")
	nginx, other, dns := ep("ingress-nginx", "controller-0"), ep("ingress-nginx", "other-0"), ep("kube-system", "coredns-0")
	req := func(method, path string, headers map[string]string) *ir.HTTPRequest {
		return &ir.HTTPRequest{Method: method, Path: path, Host: "web", Headers: headers}
	}
	jsonCT := map[string]string{"Content-Type": "application/json"}

	for _, c := range []struct {
		name string
		flow eval.Flow
		want bool
	}{
		{"nginx GET /api/public/x", eval.Flow{From: nginx, To: web, Protocol: ir.TCP, Port: 8080, HTTP: req("GET", "/api/public/x", nil)}, true},
		{"nginx GET /api/public (no trailing part)", eval.Flow{From: nginx, To: web, Protocol: ir.TCP, Port: 8080, HTTP: req("GET", "/api/public", nil)}, false},
		{"nginx DELETE /api/public/x", eval.Flow{From: nginx, To: web, Protocol: ir.TCP, Port: 8080, HTTP: req("DELETE", "/api/public/x", nil)}, false},
		{"nginx GET /api/private", eval.Flow{From: nginx, To: web, Protocol: ir.TCP, Port: 8080, HTTP: req("GET", "/api/private", nil)}, false},
		{"nginx POST /api/auth/login json", eval.Flow{From: nginx, To: web, Protocol: ir.TCP, Port: 8080, HTTP: req("POST", "/api/auth/login", jsonCT)}, true},
		{"nginx POST /api/auth/login without content type", eval.Flow{From: nginx, To: web, Protocol: ir.TCP, Port: 8080, HTTP: req("POST", "/api/auth/login", nil)}, false},
		{"other ingress-nginx pod GET /api/public/x", eval.Flow{From: other, To: web, Protocol: ir.TCP, Port: 8080, HTTP: req("GET", "/api/public/x", nil)}, false},
		{"test pod -> web:8080", eval.Flow{From: test, To: web, Protocol: ir.TCP, Port: 8080}, false},
		{"database -> web:8080", eval.Flow{From: db, To: web, Protocol: ir.TCP, Port: 8080}, false},
		{"web -> database:5432", eval.Flow{From: web, To: db, Protocol: ir.TCP, Port: 5432}, true},
		{"web -> s3.amazonaws.com:443", eval.Flow{From: web, To: ext(0), Protocol: ir.TCP, Port: 443}, true},
		{"web -> s3.us-east-1.amazonaws.com:443 (two labels)", eval.Flow{From: web, To: ext(1), Protocol: ir.TCP, Port: 443}, false},
		{"web -> example.com:443", eval.Flow{From: web, To: ext(2), Protocol: ir.TCP, Port: 443}, false},
		{"web -> kube-apiserver:443", eval.Flow{From: web, To: eval.APIServer(), Protocol: ir.TCP, Port: 443}, true},
		{"web looks up s3.amazonaws.com over UDP", eval.Flow{From: web, To: dns, Protocol: ir.UDP, Port: 53, DNSName: "s3.amazonaws.com"}, true},
		{"web looks up example.com over TCP", eval.Flow{From: web, To: dns, Protocol: ir.TCP, Port: 53, DNSName: "example.com"}, true},
	} {
		v, err := eng.Decide(c.flow)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if v.Allowed != c.want {
			t.Errorf("%s: Cilium's engine says allowed=%v, want %v (egress %+v, ingress %+v)", c.name, v.Allowed, c.want, v.Egress, v.Ingress)
		}
	}
	// The DNS lookups above go through Cilium's DNS proxy.
	if v, _ := eng.Decide(eval.Flow{From: web, To: dns, Protocol: ir.UDP, Port: 53}); !v.L7Restricted {
		t.Errorf("DNS from web is not redirected to Cilium's DNS proxy: %+v", v)
	}
}
