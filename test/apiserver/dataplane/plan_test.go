package dataplane

import (
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// newProgram prepares prog for the dataplane: its world (w, or the
// evaluator's representative world of prog) with an address for every pod,
// and the flows to probe.
func newProgram(name string, prog *ir.Program, w *eval.World, objs []backends.Object, sources map[string][]string) (*program, error) {
	if w == nil {
		w = eval.RepresentativeWorld(prog)
	}
	return &program{name: name, prog: prog, world: withAddresses(w), objs: objs, sources: sources}, nil
}
