// Package backendtest is the test support every backend shares, and the one
// package through which the backends' tests reach the compiler (and so the
// syntax; internal/archtest checks it): compiling
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
	"github.com/netpolc/netpolc/compile/decompile"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Compile compiles sources (file name -> content) as one program. The
// program is nil when compilation stopped with errors.
func Compile(sources map[string]string) (*ir.Program, *source.Set, diag.List) {
	return CompileWith(sources, nil)
}

// CompileWith is Compile with expectations verified over world w (nil: a
// representative world).
func CompileWith(sources map[string]string, w *eval.World) (*ir.Program, *source.Set, diag.List) {
	var srcs []*source.File
	for name, content := range sources {
		srcs = append(srcs, source.NewFile(name, []byte(content)))
	}
	prog, diags := CompileFiles(srcs, w)
	return prog, source.NewSet(srcs...), diags
}

// CompileFiles compiles files as one program, with expectations verified
// over world w (nil: a representative world). The program is nil when
// compilation stopped before it was built; after failed expectations it is
// returned with the errors.
func CompileFiles(files []*source.File, w *eval.World) (*ir.Program, diag.List) {
	res, diags := compile.Compile(files, compile.Options{World: w})
	if res == nil {
		return nil, diags
	}
	return res.Program, diags
}

// CompileText compiles one file of the given name and text (CompileFiles).
func CompileText(name, text string, w *eval.World) (*ir.Program, diag.List) {
	return CompileFiles([]*source.File{source.NewFile(name, []byte(text))}, w)
}

// The compiler's facts that the backends' tests check against: the label
// keys selectors may not name, and the codes of the errors about labels.
// They are re-exported here so that those tests reach the compiler, and so
// the syntax, only through this package.
var ReservedLabelKeys = compile.ReservedLabelKeys

// ReservedLabelKey is an entry of ReservedLabelKeys.
type ReservedLabelKey = compile.ReservedLabelKey

// Diagnostic codes of the compiler that the backends' tests expect.
const (
	CodeReservedLabelKey = compile.CodeReservedLabelKey
	CodeBadSelector      = compile.CodeBadSelector
	CodeBadLabelKey      = compile.CodeBadLabelKey
)

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

// ThroughSource decompiles p (compile/decompile, what netpolc import
// prints) and compiles the source again, with expectations over world w
// (nil: a representative world): the program a user gets by importing and
// compiling. It returns the source and the program; the program is nil
// when the source could not be written or did not compile.
func ThroughSource(p *ir.Program, w *eval.World) ([]byte, *ir.Program, diag.List) {
	src, diags := decompile.Decompile(p)
	if diags.HasErrors() {
		return src, nil, diags
	}
	prog, cd := CompileText("imported.netpol", string(src), w)
	diags.Append(cd)
	if cd.HasErrors() {
		return src, nil, diags
	}
	return src, prog, diags
}
