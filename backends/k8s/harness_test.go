package k8s

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
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

// decodeAll strict-decodes every document of a YAML stream into a
// NetworkPolicy and checks it with Validate and CheckConventions.
func decodeAll(t testing.TB, data []byte) []*networkingv1.NetworkPolicy {
	t.Helper()
	var out []*networkingv1.NetworkPolicy
	for _, doc := range splitYAML(data) {
		var np networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict(doc, &np); err != nil {
			t.Fatalf("strict decode: %v\n%s", err, doc)
		}
		if np.APIVersion != APIVersion || np.Kind != Kind {
			t.Fatalf("apiVersion/kind %s/%s\n%s", np.APIVersion, np.Kind, doc)
		}
		if errs := Validate(&np); len(errs) > 0 {
			t.Fatalf("invalid NetworkPolicy: %v\n%s", errs, doc)
		}
		if errs := CheckConventions(&np); len(errs) > 0 {
			t.Fatalf("conventions: %v\n%s", errs, doc)
		}
		out = append(out, &np)
	}
	return out
}

func splitYAML(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(data, []byte("\n---\n")) {
		if len(bytes.TrimSpace(d)) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
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

func yamlUnmarshalStrict(doc []byte, v any) error { return yaml.UnmarshalStrict(doc, v) }
