package cilium

import (
	"path/filepath"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
)

const examples = "../../examples"

// readExample returns the .netpol files of an example directory, named as
// from the repository root ("examples/NAME/x.netpol"), so that the goldens
// are exactly what "netpolc compile --target cilium examples/NAME" prints
// there, wherever the test runs.
func readExample(t *testing.T, dir string) map[string]string {
	t.Helper()
	return backendtest.ReadExample(t, filepath.Join(examples, dir)).SourcesIn(t, "examples/"+dir)
}

// TestExamples: each example compiles to valid Cilium policies, byte for
// byte as checked in (examples/NAME/cilium.yaml), with no diagnostics.
func TestExamples(t *testing.T) {
	for _, dir := range []string{"zero-trust", "cilium-l7"} {
		t.Run(dir, func(t *testing.T) {
			prog, set, diags := backendtest.Compile(readExample(t, dir))
			if diags.HasErrors() || prog == nil {
				t.Fatalf("compile:\n%s", backendtest.RenderDiags(set, diags))
			}
			objs, ed := emitcheck.Emit(testBackend(), prog, backends.Options{})
			if len(ed) > 0 {
				t.Fatalf("emit:\n%s", backendtest.RenderDiags(set, ed))
			}
			out := backendtest.YAML(t, objs)
			checkAll(t, out)
			backendtest.Golden(t, filepath.Join(examples, dir, "cilium.yaml"), out, *update)
		})
	}
}
