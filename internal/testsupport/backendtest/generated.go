package backendtest

import (
	"fmt"

	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// GenFile is the file name a generated program is compiled under.
const GenFile = "gen.netpol"

// CompileGenerated compiles a generated case in its world, dropping the
// statements the compiler rejects (a few rounds), and returns the program
// and the number of statements dropped; nil if it never compiles. c's
// program keeps only the statements that compiled. An internal error of
// the compiler (code "internal") is a bug, never a reason to drop a
// statement: CompileGenerated panics with it, which fails the caller's test.
func CompileGenerated(c *testgen.Case) (*ir.Program, int) {
	before := len(c.Program.Stmts)
	for attempt := 0; attempt < 4; attempt++ {
		f := source.NewFile(GenFile, []byte(c.Program.Source()))
		res, diags := compile.Compile([]*source.File{f}, compile.Options{World: c.World})
		if !diags.HasErrors() && res != nil && res.Program != nil {
			return res.Program, before - len(c.Program.Stmts)
		}
		var lines []int
		for _, d := range diags {
			if d.Severity == diag.Error && d.Code == "internal" {
				panic(fmt.Sprintf("internal compiler error on a generated program: %s\n%s", d.Error(), c.Program.Source()))
			}
			if d.Severity == diag.Error && d.Span.IsValid() {
				lines = append(lines, d.Span.Start.Line)
			}
		}
		if !c.Program.DropLines(lines) {
			return nil, 0
		}
	}
	return nil, 0
}
