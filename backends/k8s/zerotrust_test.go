package k8s

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/internal/testsupport/nporacle"
)

// TestZeroTrustWithCyclonus asks cyclonus (an independent NetworkPolicy
// matcher), not netpolc's evaluator, about the flows examples/zero-trust is
// about, over the example's own world file: the intended flows are allowed,
// and each mistake of the guide the example corrects is absent (OR peers for
// the dev tests, UDP-only DNS, hand-made "name" namespace labels, the
// "responses back" egress rule, the stray all-TCP port, the Prometheus port).
func TestZeroTrustWithCyclonus(t *testing.T) {
	dir := filepath.Join(examples, "zero-trust")
	files := readExample(t, dir)
	worldYAML, err := os.ReadFile(filepath.Join(dir, "world.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := eval.LoadWorld(worldYAML)
	if err != nil {
		t.Fatal(err)
	}
	// A namespace carrying the guide's hand-made label must gain nothing.
	w.Namespaces = append(w.Namespaces, eval.Namespace{Name: "impostor", Labels: map[string]string{"name": "kube-system"}})
	w.Pods = append(w.Pods, eval.Pod{Namespace: "impostor", Name: "fake-dns", Labels: map[string]string{"k8s-app": "kube-dns"}})
	for i := range w.Pods {
		w.Pods[i].IP = netip.AddrFrom4([4]byte{10, 244, 1, byte(i + 1)})
	}
	prog, set, diags := backendtest.CompileWith(files, w)
	if diags.HasErrors() || prog == nil {
		t.Fatalf("compile:\n%s", backendtest.RenderDiags(set, diags))
	}
	objs, ed := emitcheck.Emit(testBackend(), prog, backends.Options{})
	if ed.HasErrors() {
		t.Fatalf("emit:\n%s", backendtest.RenderDiags(set, ed))
	}
	nps, err := decodeAndValidate(backendtest.YAML(t, objs))
	if err != nil {
		t.Fatal(err)
	}
	oracle := nporacle.New(w, nps)
	pod := func(ns, name string) eval.Endpoint {
		for i := range w.Pods {
			if w.Pods[i].Namespace == ns && w.Pods[i].Name == name {
				return eval.PodEndpoint(&w.Pods[i])
			}
		}
		t.Fatalf("no pod %s/%s in the world", ns, name)
		return eval.Endpoint{}
	}
	ext := func(ip string) eval.Endpoint {
		for i := range w.Externals {
			if w.Externals[i].IP.String() == ip {
				return eval.ExternalEndpoint(&w.Externals[i])
			}
		}
		t.Fatalf("no external %s in the world", ip)
		return eval.Endpoint{}
	}
	web, db, redis := pod("production", "web-0"), pod("production", "database-0"), pod("production", "redis-0")
	api, batch := pod("production", "api-0"), pod("production", "batch-0")
	dns, fakeDNS := pod("kube-system", "coredns-0"), pod("impostor", "fake-dns")
	nginx, prom := pod("ingress-nginx", "controller-0"), pod("monitoring", "prometheus-0")
	devTests, devFrontend, ciTests, prodTests := pod("development", "tests-0"), pod("development", "frontend-0"), pod("ci", "tests-0"), pod("production", "tests-0")

	flow := func(from, to eval.Endpoint, proto ir.Protocol, port uint16) eval.Flow {
		return eval.Flow{From: from, To: to, Protocol: proto, Port: port}
	}
	for _, c := range []struct {
		name string
		flow eval.Flow
		want bool
	}{
		{"web -> database:5432", flow(web, db, ir.TCP, 5432), true},
		{"web -> redis:6379", flow(web, redis, ir.TCP, 6379), true},
		{"ingress-nginx controller -> web:8080", flow(nginx, web, ir.TCP, 8080), true},
		{"prometheus -> web's metrics port (9090 on web-0)", flow(prom, web, ir.TCP, 9090), true},
		{"web -> 8.8.8.8:443", flow(web, ext("8.8.8.8"), ir.TCP, 443), true},
		{"external-apis pod -> 52.94.1.1:443", flow(batch, ext("52.94.1.1"), ir.TCP, 443), true},
		{"external-apis pod -> 104.16.0.1:443", flow(batch, ext("104.16.0.1"), ir.TCP, 443), true},
		{"dev integration tests -> api:8080 (AND)", flow(devTests, api, ir.TCP, 8080), true},
		{"web -> kube-dns:53/udp", flow(web, dns, ir.UDP, 53), true},
		{"web -> kube-dns:53/tcp (the guide had UDP only)", flow(web, dns, ir.TCP, 53), true},
		{"database -> kube-dns:53/tcp", flow(db, dns, ir.TCP, 53), true},

		{"OR bug: any dev pod -> api:8080", flow(devFrontend, api, ir.TCP, 8080), false},
		{"OR bug: production integration tests -> api:8080", flow(prodTests, api, ir.TCP, 8080), false},
		{"integration tests outside dev -> api:8080", flow(ciTests, api, ir.TCP, 8080), false},
		{"responses-back rule: database -> web:8080", flow(db, web, ir.TCP, 8080), false},
		{"stray all-TCP port: database -> web:22", flow(db, web, ir.TCP, 22), false},
		{"hand-made name label: web -> impostor kube-dns:53/udp", flow(web, fakeDNS, ir.UDP, 53), false},
		{"guide's port 9090 is not web's: prometheus -> web:9091", flow(prom, web, ir.TCP, 9091), false},
		{"web -> database:5433", flow(web, db, ir.TCP, 5433), false},
		{"web -> 8.8.8.8:80", flow(web, ext("8.8.8.8"), ir.TCP, 80), false},
		{"web -> metadata 169.254.169.254:443", flow(web, ext("169.254.169.254"), ir.TCP, 443), false},
		{"web -> 10.1.2.3:443", flow(web, ext("10.1.2.3"), ir.TCP, 443), false},
		{"external-apis pod -> 8.8.8.8:443", flow(batch, ext("8.8.8.8"), ir.TCP, 443), false},
		{"ingress-nginx controller -> database:5432", flow(nginx, db, ir.TCP, 5432), false},
	} {
		if got := oracle.Allowed(c.flow); got != c.want {
			t.Errorf("%s: cyclonus says allowed=%v, want %v", c.name, got, c.want)
		}
	}
}
