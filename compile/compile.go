// Package compile turns netpolc source files into the intent IR: parse,
// resolve names, check, lower, and verify the program's expectations. The
// stages are listed in Stages; compilation stops after a stage that reported
// errors, and every stage collects all the errors it finds.
package compile

import (
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Options controls a compilation.
type Options struct {
	// World, when set, is the world expectations are evaluated over;
	// otherwise a representative world is derived from the program's groups.
	World *eval.World
}

// Result is what a compilation produced. Program is nil when a stage before
// lowering failed.
type Result struct {
	Files   []*ast.File
	Program *ir.Program
}

// Compile compiles files as one program.
func Compile(files []*source.File, opts Options) (*Result, diag.List) {
	var diags diag.List
	diags.Errorf("internal", source.Span{}, "compile: not implemented yet")
	return &Result{}, diags
}
