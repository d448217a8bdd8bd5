package cilium

import (
	"os"
	"path/filepath"
	"strings"
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
	paths, err := filepath.Glob(filepath.Join(examples, dir, "*.netpol"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no sources in %s", dir)
	}
	files := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files["examples/"+strings.TrimPrefix(filepath.ToSlash(p), examples+"/")] = string(b)
	}
	return files
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
