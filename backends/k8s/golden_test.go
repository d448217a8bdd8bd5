package k8s

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/lang/diag"
)

// readExample returns the .netpol files of an example directory, named by
// their paths.
func readExample(t *testing.T, dir string) map[string]string {
	t.Helper()
	return backendtest.ReadExample(t, dir).SourcesIn(t, filepath.ToSlash(dir))
}

const examples = "../../examples"

// TestExampleZeroTrust: the zero-trust example compiles to valid
// NetworkPolicy, byte for byte as checked in.
func TestExampleZeroTrust(t *testing.T) {
	dir := examples + "/zero-trust"
	files := readExample(t, dir)
	prog, set, diags := backendtest.Compile(relative(files, examples))
	if diags.HasErrors() || prog == nil {
		t.Fatalf("compile:\n%s", backendtest.RenderDiags(set, diags))
	}
	objs, ed := emitcheck.Emit(testBackend(), prog, backends.Options{})
	if ed.HasErrors() {
		t.Fatalf("emit:\n%s", backendtest.RenderDiags(set, ed))
	}
	out := backendtest.YAML(t, objs)
	decodeAll(t, out)
	backendtest.Golden(t, dir+"/k8s.yaml", out, *update)
}

// TestExampleCiliumL7: the cilium-l7 example does not compile for k8s: one
// positioned error per rule that needs Cilium.
func TestExampleCiliumL7(t *testing.T) {
	dir := examples + "/cilium-l7"
	files := readExample(t, dir)
	prog, set, diags := backendtest.Compile(relative(files, examples))
	if diags.HasErrors() || prog == nil {
		t.Fatalf("compile:\n%s", backendtest.RenderDiags(set, diags))
	}
	objs, ed := emitcheck.Emit(testBackend(), prog, backends.Options{Targets: allTargets(t)})
	if !ed.HasErrors() || len(objs) != 0 {
		t.Fatalf("emit succeeded with %d objects; want errors", len(objs))
	}
	backendtest.Golden(t, dir+"/k8s.errors", []byte(backendtest.RenderDiags(set, ed)), *update)
}

// relative renames files relative to root, so that spans (and goldens) do
// not depend on where the test runs.
func relative(files map[string]string, root string) map[string]string {
	out := map[string]string{}
	for name, content := range files {
		// Named as from the repository root, so that the goldens are exactly
		// what "netpolc compile --target k8s examples/NAME" prints there.
		out["examples/"+strings.TrimPrefix(name, root+"/")] = content
	}
	return out
}

// diagLines renders each diagnostic on one line, for compact assertions.
func diagLines(list diag.List) []string {
	var out []string
	for _, d := range list.Normalize() {
		out = append(out, d.Error())
	}
	sort.Strings(out)
	return out
}
