// Package reach computes who can reach whom: for a program over a world,
// the connections allowed from every endpoint to every other, at L3/L4
// (protocols, port ranges, ICMP types) with the L7-restricted ports
// marked, with exactly the semantics of compile/eval. The commands matrix,
// diff and graph are built on it.
package reach

import (
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// Options tune an Analysis.
type Options struct {
	Parallelism int // goroutines used; 0: GOMAXPROCS
}

// Analysis is the connectivity of one program over one world. It is safe
// for concurrent use. It keeps pointers into the World, which must not
// change afterwards.
type Analysis struct {
	ev  *eval.Evaluator
	eps []eval.Endpoint
	eng *engine
}

// New analyses prog over w: every endpoint of the world (pods, externals,
// nodes, the kube-apiserver and the local host, in eval's Endpoints order)
// against every other, at L3/L4, with the semantics of compile/eval.
func New(prog *ir.Program, w *eval.World, opts Options) *Analysis {
	if prog == nil {
		prog = &ir.Program{}
	}
	ev := eval.New(prog, w)
	a := &Analysis{ev: ev, eps: ev.Endpoints()}
	a.eng = newEngine(prog, ev.World(), a.eps, opts.Parallelism)
	return a
}

// Endpoints returns the endpoints of the world, in the evaluator's
// Endpoints order: Allowed takes indices into it.
func (a *Analysis) Endpoints() []eval.Endpoint {
	return append([]eval.Endpoint(nil), a.eps...)
}

// Evaluator returns the evaluator the analysis is exact against (for
// explaining a decision).
func (a *Analysis) Evaluator() *eval.Evaluator { return a.ev }

// Allowed returns the connections allowed from endpoint i to endpoint j
// (indices into Endpoints): both sides applied (the egress side of i, the
// ingress side of j), named ports resolved on j. The slices of the result
// are shared with other cells: do not modify them.
func (a *Analysis) Allowed(i, j int) Conns {
	e := a.eng
	return e.get(e.pair(e.classOf[i], e.classOf[j]))
}

// Pair returns a number for the connections allowed from endpoint i to
// endpoint j: pairs with the same number allow the same connections
// (PairConns returns them), so that a caller going through many cells
// judges each such set once.
func (a *Analysis) Pair(i, j int) int32 {
	e := a.eng
	return e.pair(e.classOf[i], e.classOf[j])
}

// PairConns returns the connections of a number Pair returned.
func (a *Analysis) PairConns(id int32) Conns { return a.eng.get(id) }

// Class returns the class of endpoint i: endpoints of one class are told
// apart by no policy, so their rows and columns are equal (Allowed(i, x) ==
// Allowed(j, x) and Allowed(x, i) == Allowed(x, j) for every x, also for
// x == i or j). Classes are numbered from 0 in order of first endpoint.
func (a *Analysis) Class(i int) int { return int(a.eng.classOf[i]) }

// Classes returns the number of classes.
func (a *Analysis) Classes() int { return a.eng.n }
