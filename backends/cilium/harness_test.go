package cilium

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium/internal/crdcheck"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

var update = flag.Bool("update", false, "rewrite golden files")

// compileSources compiles files (name -> content) as one program.
func compileSources(files map[string]string) (*ir.Program, *source.Set, diag.List) {
	var srcs []*source.File
	for name, content := range files {
		srcs = append(srcs, source.NewFile(name, []byte(content)))
	}
	set := source.NewSet(srcs...)
	res, diags := compile.Compile(srcs, compile.Options{})
	var prog *ir.Program
	if res != nil {
		prog = res.Program
	}
	return prog, set, diags
}

// toYAML renders objs as the CLI does.
func toYAML(t testing.TB, objs []backends.Object) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := backends.WriteYAML(&buf, objs); err != nil {
		t.Fatalf("WriteYAML: %v", err)
	}
	return buf.Bytes()
}

var (
	crdOnce      sync.Once
	crdValidator *crdcheck.Validator
	crdErr       error
)

func crds(t testing.TB) *crdcheck.Validator {
	t.Helper()
	crdOnce.Do(func() { crdValidator, crdErr = crdcheck.New() })
	if crdErr != nil {
		t.Fatalf("loading the Cilium CRDs: %v", crdErr)
	}
	return crdValidator
}

// checkAll validates every document of a YAML stream as written: strict
// decoding into the Cilium types, the agent's Parse, netpolc's conventions,
// and the CRD schema and CEL rules.
func checkAll(t testing.TB, data []byte) []any {
	t.Helper()
	var out []any
	for _, doc := range SplitYAML(data) {
		obj, err := DecodeStrict(doc)
		if err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		if _, err := Parse(obj); err != nil {
			t.Fatalf("Parse: %v\n%s", err, doc)
		}
		if err := CheckConventions(obj); err != nil {
			t.Fatalf("conventions: %v\n%s", err, doc)
		}
		if errs := crds(t).Validate(doc); len(errs) > 0 {
			t.Fatalf("CRD validation: %v\n%s", errs.ToAggregate(), doc)
		}
		out = append(out, obj)
	}
	return out
}

// renderDiags renders diagnostics as text without colour.
func renderDiags(set *source.Set, list diag.List) string {
	var buf bytes.Buffer
	_ = diag.WriteText(&buf, set, list.Normalize(), diag.TextOptions{})
	return buf.String()
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (run with -update to accept):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}
