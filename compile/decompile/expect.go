package decompile

import (
	"slices"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/ast"
)

// This file writes the program's expectations back as "expect"
// statements, at the end of the block they were written in.

// expectBlock is the block an expectation is written in: its namespace's,
// or for one of no namespace (written before every block, or in a
// clusterwide block) "".
func expectBlock(x *ir.Expectation) string { return x.Namespace }

// checkExpectations reports the expectations the language cannot write and
// makes sure their blocks exist.
func (d *decompiler) checkExpectations() {
	for _, x := range d.prog.Expectations {
		// One of no namespace stands before the first block, unless there is
		// a clusterwide block.
		if blk := expectBlock(x); blk != "" && !d.governed[blk] {
			d.governed[blk] = true
			d.blocks = append(d.blocks, blk)
			slices.SortFunc(d.blocks, func(a, b string) int {
				switch {
				case a == b:
					return 0
				case a == "":
					return 1
				case b == "":
					return -1
				case a < b:
					return -1
				}
				return 1
			})
		}
		for _, e := range []ir.Endpoint{x.From, x.To} {
			p := e.Peer
			switch p.Kind {
			case ir.PeerPods:
				if p.Namespace.Scope == ir.NamespaceNamed {
					d.checkName(e.Span, "namespace", p.Namespace.Name)
				}
				d.checkSelector(e.Span, p.Pods)
			case ir.PeerService:
				d.errorf(e.Span, "a Service as an expectation's endpoint")
			case ir.PeerEntity:
				if !isEntity(string(p.Entity)) {
					d.errorf(e.Span, "the entity %q", string(p.Entity))
				}
			}
		}
		if x.ICMP != nil && x.ICMP.Type != "" && !isNumber(x.ICMP.Type) {
			d.errorf(x.Span, "the ICMP type name %q (the language writes ICMP types as numbers)", x.ICMP.Type)
		}
	}
}

func isNumber(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// expectPeers returns the peers the expectations of block blk mention, in
// absolute form, for group naming.
func (d *decompiler) expectPeers(blk string) [][]ir.Peer {
	var out [][]ir.Peer
	for _, x := range d.prog.Expectations {
		if expectBlock(x) == blk {
			out = append(out, []ir.Peer{x.From.Peer, x.To.Peer})
		}
	}
	return out
}

// expectations returns the "expect" statements of block blk.
func (d *decompiler) expectations(blk string) []ast.Stmt {
	var out []ast.Stmt
	pp := &policy{Policy: &ir.Policy{Namespace: blk}}
	for _, x := range d.prog.Expectations {
		if expectBlock(x) != blk {
			continue
		}
		e := &ast.Expect{From: d.peer(x.From.Peer, pp, blk), Allowed: x.Allowed}
		var port ast.PortSpec
		if x.ICMP != nil {
			port = portSpecs(unit{icmp: []ir.ICMPType{*x.ICMP}})[0]
		} else if x.Port.Protocol == ir.ProtoAny && x.Port.Port == 0 && x.Port.Name == "" {
			port = ast.PortSpec{All: true, Start: -1}
		} else {
			port = portSpecs(unit{ports: []ir.Port{x.Port}})[0]
		}
		e.To = ast.Target{Peer: d.peer(x.To.Peer, pp, blk), Ports: []ast.PortSpec{port}}
		if r := x.Request; r != nil {
			req := &ast.HTTPRule{}
			if r.Method != "" {
				req.Method = &ast.String{Value: r.Method}
			}
			if r.Path != "" {
				req.Path = &ast.String{Value: r.Path}
			}
			if r.Host != "" {
				req.Host = &ast.String{Value: r.Host}
			}
			names := make([]string, 0, len(r.Headers))
			for n := range r.Headers {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				h := ast.Header{Name: ast.String{Value: n}}
				if v := r.Headers[n]; v != "" {
					h.Value = &ast.String{Value: v}
				}
				req.Headers = append(req.Headers, h)
			}
			e.Request = req
		}
		out = append(out, e)
	}
	return out
}
