package analysis_test

import (
	"strings"
	"testing"

	"github.com/netpolc/netpolc/compile/analysis"
	"github.com/netpolc/netpolc/compile/ir"
)

// FuzzParseEndpoint: any name resolves to an endpoint or is an error,
// never a panic; a resolved endpoint has a name, and any port string
// resolves on it or is an error.
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"shop/web-b", "web-a", "shop/Deployment/web", "node/n1", "host", "kube-apiserver", "10.0.0.1", "[2001:db8::1]", "[::1", "api.example.com", "db-0", "a/b/c/d", "", "/", "//", "node/", "1.2.3.4.5"} {
		f.Add(s, "pg")
	}
	w := testWorld()
	f.Fuzz(func(t *testing.T, name, port string) {
		r, err := analysis.ParseEndpoint(w, name)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if strings.TrimSpace(analysis.EndpointName(r.Endpoint)) == "" {
			t.Fatalf("%q: endpoint without a name", name)
		}
		for _, proto := range []ir.Protocol{"", ir.TCP, ir.UDP} {
			n, _, err := analysis.ResolvePort(r.Endpoint, port, proto)
			if err == nil && n == 0 {
				t.Fatalf("%q on %q resolved to port 0", port, name)
			}
		}
	})
}
