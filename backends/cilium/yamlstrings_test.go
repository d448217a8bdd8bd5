package cilium

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	"github.com/cilium/cilium/pkg/policy/api"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/ciliumcheck"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
)

// yamlStrings are HTTP paths and header values that the YAML writer must
// keep exactly: characters YAML reads as line breaks (NEL, LS, PS), control
// characters, whitespace at the ends, and words YAML 1.1 reads as booleans,
// null or a merge key. The language rejects some of them (see
// compile/httptext.go); the backend and the writer must keep them anyway.
var yamlStrings = []string{
	"/a\u0085b", "/a\u2028b", "/a\u2029b", "/t\tab", "/c\rr", "/n\x00ul", "/d\x7fel", "/c1\u0080\u009f",
	"/b\ufeffom", " /lead", "/trail ", " ", "yes", "no", "~", "null", "true", "<<", "/caf\u00e9", "/\U0001F600",
}

// TestYAMLKeepsHTTPStrings: for each awkward string as an HTTP path and as a
// header value, the YAML netpolc writes decodes (strictly, into the Cilium
// types) to exactly the objects it built, and the path is the one given.
func TestYAMLKeepsHTTPStrings(t *testing.T) {
	for _, s := range yamlStrings {
		t.Run(fmt.Sprintf("%q", s), func(t *testing.T) {
			prog := backendtest.HTTPProgram(t, "p.netpol", s, s)
			objs, ed := emitcheck.Emit(testBackend(), prog, backends.Options{})
			if ed.HasErrors() {
				t.Fatalf("emit: %v", ed)
			}
			data := backendtest.YAML(t, objs) // proves each document reads back as its object
			decoded := checkAll(t, data)
			sorted := backends.SortObjects(objs)
			if len(decoded) != len(sorted) {
				t.Fatalf("%d documents for %d objects", len(decoded), len(sorted))
			}
			paths := 0
			for i, obj := range decoded {
				if err := ciliumcheck.SameAsBuilt(obj, sorted[i].Value); err != nil {
					t.Errorf("%s: %v", sorted[i].Name, err)
				}
				for _, pr := range readHTTP(obj) {
					paths++
					if pr.Path != s || len(pr.Headers) != 1 || pr.Headers[0] != "X-V: "+s {
						t.Errorf("%s: path %q headers %q, want %q and %q", sorted[i].Name, pr.Path, pr.Headers, s, "X-V: "+s)
					}
				}
			}
			if paths != 2 { // the client's egress and the server's ingress
				t.Errorf("%d HTTP rules read back, want 2\n%s", paths, data)
			}
			// The JSON output keeps the strings too.
			var js bytes.Buffer
			if err := backends.WriteJSON(&js, objs); err != nil {
				t.Fatal(err)
			}
			var list struct{ Items []json.RawMessage }
			if err := json.Unmarshal(js.Bytes(), &list); err != nil || len(list.Items) != len(sorted) {
				t.Fatalf("JSON list: %v\n%s", err, js.Bytes())
			}
			for i, item := range list.Items {
				var back ciliumv2.CiliumNetworkPolicy
				if err := json.Unmarshal(item, &back); err != nil {
					t.Fatal(err)
				}
				if err := ciliumcheck.SameAsBuilt(&back, sorted[i].Value); err != nil {
					t.Errorf("JSON %s: %v", sorted[i].Name, err)
				}
			}
		})
	}
}

// readHTTP returns the HTTP rules of every allow rule of a decoded object.
func readHTTP(obj any) []api.PortRuleHTTP {
	var out []api.PortRuleHTTP
	rule := ciliumcheck.Spec(obj)
	add := func(ports api.PortRules) {
		for _, pr := range ports {
			if pr.Rules != nil {
				out = append(out, pr.Rules.HTTP...)
			}
		}
	}
	for _, r := range rule.Ingress {
		add(r.ToPorts)
	}
	for _, r := range rule.Egress {
		add(r.ToPorts)
	}
	return out
}
