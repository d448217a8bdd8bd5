package netpolapi

import (
	"path/filepath"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
)

const examples = "../../examples"

// readExample returns the .netpol files of an example directory, named as
// from the repository root ("examples/NAME/x.netpol"), so that the goldens
// are exactly what "netpolc compile --target netpol-api examples/NAME"
// prints there.
func readExample(t *testing.T, dir string) map[string]string {
	t.Helper()
	return backendtest.ReadExample(t, filepath.Join(examples, dir)).SourcesIn(t, "examples/"+dir)
}

// TestExamples: each example compiles for the target as checked in: the
// objects (examples/NAME/netpol-api.yaml, and netpol-api-v1alpha1.yaml for
// the AdminNetworkPolicy version), every one validated and strict-decoded
// into its upstream type, or the positioned errors (netpol-api.errors).
// The cluster-guard example's ordered block is refused, at its lines, by
// the targets that cannot order rules (its k8s.errors and cilium.errors).
func TestExamples(t *testing.T) {
	for _, c := range []struct {
		dir, version, golden string
		fails                bool
	}{
		{"zero-trust", "", "netpol-api.yaml", false},
		{"cilium-l7", "", "netpol-api.errors", true},
		{"cluster-guard", "", "netpol-api.yaml", false},
		{"cluster-guard", V1Alpha1, "netpol-api-v1alpha1.yaml", false},
	} {
		t.Run(c.dir+"/"+c.golden, func(t *testing.T) {
			prog, set, diags := backendtest.Compile(readExample(t, c.dir))
			if diags.HasErrors() || prog == nil {
				t.Fatalf("compile:\n%s", backendtest.RenderDiags(set, diags))
			}
			objs, ed := emitcheck.Emit(testBackend(t, c.version), prog, backends.Options{Targets: allTargets(t)})
			path := filepath.Join(examples, c.dir, c.golden)
			if c.fails {
				if !ed.HasErrors() || len(objs) != 0 {
					t.Fatalf("emit succeeded with %d objects; want errors", len(objs))
				}
				backendtest.Golden(t, path, []byte(backendtest.RenderDiags(set, ed)), *update)
				return
			}
			if len(ed) > 0 {
				t.Fatalf("emit:\n%s", backendtest.RenderDiags(set, ed))
			}
			out := backendtest.YAML(t, objs)
			decodeAll(t, out)
			backendtest.Golden(t, path, out, *update)
		})
	}
	t.Run("cluster-guard/others", func(t *testing.T) {
		prog, set, diags := backendtest.Compile(readExample(t, "cluster-guard"))
		if diags.HasErrors() || prog == nil {
			t.Fatalf("compile:\n%s", backendtest.RenderDiags(set, diags))
		}
		for name, b := range map[string]backends.Backend{"k8s": k8s.New(), "cilium": cilium.Backend{}} {
			_, objs, ed := backends.Run(b, prog, backends.Options{Targets: allTargets(t)})
			if !ed.HasErrors() || len(objs) != 0 {
				t.Fatalf("%s: emit succeeded with %d objects; want errors", name, len(objs))
			}
			backendtest.Golden(t, filepath.Join(examples, "cluster-guard", name+".errors"), []byte(backendtest.RenderDiags(set, ed)), *update)
		}
	})
}
