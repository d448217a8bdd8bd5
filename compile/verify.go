package compile

import (
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
)

// verify evaluates the program's expectations over the world of the
// options, or over a representative world that has a pod for every group and
// for every expectation endpoint.
func (c *compiler) verify() diag.List {
	if c.prog == nil || len(c.prog.Expectations) == 0 {
		return nil
	}
	w := c.opts.World
	if w == nil {
		var extra []ir.Peer
		for _, x := range c.prog.Expectations {
			extra = append(extra, x.From.Peer, x.To.Peer)
		}
		w = eval.RepresentativeWorld(c.prog, extra...)
	}
	return eval.CheckExpectations(c.prog, w)
}
