// Package backendtest is the test support every backend shares: compiling
// sources and generated programs (internal/testsupport/testgen), rendering
// diagnostics and objects as the CLI does, golden files, and the runner of
// txtar cases (see RunTxtar). Only _test.go files (of the backends and of
// the test modules) import it; unlike the backends, it depends on the
// compiler, and so on the syntax.
package backendtest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Compile compiles sources (file name -> content) as one program. The
// program is nil when compilation stopped with errors.
func Compile(sources map[string]string) (*ir.Program, *source.Set, diag.List) {
	return CompileWith(sources, compile.Options{})
}

// CompileWith is Compile with options (an explicit world, say).
func CompileWith(sources map[string]string, opts compile.Options) (*ir.Program, *source.Set, diag.List) {
	var srcs []*source.File
	for name, content := range sources {
		srcs = append(srcs, source.NewFile(name, []byte(content)))
	}
	set := source.NewSet(srcs...)
	res, diags := compile.Compile(srcs, opts)
	var prog *ir.Program
	if res != nil {
		prog = res.Program
	}
	return prog, set, diags
}

// RenderDiags renders diagnostics as text without colour, normalized.
func RenderDiags(set *source.Set, list diag.List) string {
	var buf bytes.Buffer
	_ = diag.WriteText(&buf, set, list.Normalize(), diag.TextOptions{})
	return buf.String()
}

// YAML renders objs as the CLI does, and proves that every document of the
// stream reads back as its object (backends.CheckYAML).
func YAML(t testing.TB, objs []backends.Object) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := backends.WriteYAML(&buf, objs); err != nil {
		t.Fatalf("WriteYAML: %v", err)
	}
	CheckYAMLStream(t, buf.Bytes(), objs)
	return buf.Bytes()
}

// Golden compares got with the file at path or, with update (the package's
// -update flag), rewrites the file.
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
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
