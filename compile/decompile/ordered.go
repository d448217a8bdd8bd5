package decompile

import (
	"cmp"
	"slices"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/ast"
)

// This file writes ordered policies (ir.TierOrdered: the "clusterwide
// priority N" blocks, imported admin policies) as ordered blocks: one block
// per priority, ascending, after the other blocks. In a block, rules are
// tried in source order across subjects, so every rule is one statement,
// in the evaluation order of the IR (ir.OrderLess: within a priority, the
// rules' source order), and no statement merges rules: a merge would move
// a rule past another. A statement is one-sided ("[deny|pass] ingress
// PEERS -> SUBJECT:T" or "[deny|pass] egress SUBJECT -> PEERS:T"), except
// that an egress rule and an ingress rule written by one statement (the
// same span) that state the same flow from both ends are one arrow
// ("[deny|pass] A -> B:T"), as the compiler writes an arrow of an ordered
// block.

// orderedStmt is one statement of an ordered block.
type orderedStmt struct {
	s *stmt
	// rule is the IR rule the statement writes; mirror, when set, the rule
	// of the other end of the same arrow.
	rule, mirror *ir.Rule
	mirrorPol    *policy
}

// addOrdered records the statements of an ordered policy.
func (d *decompiler) addOrdered(pol *ir.Policy) {
	if pol.Namespace != "" || pol.Subject.Nodes {
		d.errorf(pol.Span, "ordered rules of %s: ordered rules are cluster-wide rules of pods", ir.FormatPolicySubject(pol))
		return
	}
	if pol.Isolation.Ingress || pol.Isolation.Egress {
		d.errorf(pol.Span, "ordered rules of %s that isolate it: ordered rules never isolate", ir.FormatPolicySubject(pol))
		return
	}
	if pol.Priority < 0 || pol.Priority > ir.MaxPriority {
		d.errorf(pol.Span, "the priority %d (the language writes 0 to %d)", pol.Priority, ir.MaxPriority)
		return
	}
	d.checkSubject(pol)
	if selectsNothing(pol.Subject.Pods) || pol.Subject.Namespaces != nil && selectsNothing(*pol.Subject.Namespaces) {
		d.diags.Warnf(CodeSelectsNothing, pol.Subject.Span, "left out the ordered policy of %s: its subject selects nothing", ir.FormatPolicySubject(pol))
		return
	}
	if d.blocksOrdered == nil {
		d.blocksOrdered = map[int32][]*orderedStmt{}
	}
	pp := &policy{Policy: pol, key: ir.FormatPolicySubject(pol)}
	if pol.Origin != "" {
		pp.origins = []string{pol.Origin}
	}
	for _, r := range pol.Rules {
		if r.DNS && slices.ContainsFunc(r.Ports, func(pr ir.PortRule) bool { return len(pr.DNS) > 0 }) {
			d.errorf(r.Span, "DNS lookup rules in an ordered rule")
			continue
		}
		units := d.units(r, false)
		if units == nil {
			continue
		}
		var peers []ir.Peer
		for _, p := range r.Peers {
			if peerSelectsNothing(p) {
				d.diags.Warnf(CodeSelectsNothing, p.Span, "left out the peer %s: it selects nothing", ir.FormatPeer(p))
				continue
			}
			d.checkPeer(pol, r, p)
			if p.Kind == ir.PeerFQDN && r.Action == ir.Pass {
				d.errorf(p.Span, "a DNS name in a pass rule")
			}
			peers = append(peers, p)
		}
		for _, u := range units {
			d.checkUnit(r, u)
			if len(u.http) > 0 {
				d.errorf(u.span, "HTTP rules in an ordered rule")
			}
			for _, part := range splitNamedPorts(r, u, peers) {
				s := &stmt{pol: pp, dir: r.Direction, action: r.Action, unit: part.unit, span: r.Span, peers: part.peers}
				d.blocksOrdered[pol.Priority] = append(d.blocksOrdered[pol.Priority], &orderedStmt{s: s, rule: r})
			}
		}
	}
}

// orderBlocks sorts the statements of each ordered block in evaluation
// order and pairs the two ends of arrows.
func (d *decompiler) orderBlocks() {
	for _, stmts := range d.blocksOrdered {
		slices.SortStableFunc(stmts, func(a, b *orderedStmt) int {
			switch {
			case ir.RuleLess(a.rule, b.rule):
				return -1
			case ir.RuleLess(b.rule, a.rule):
				return 1
			}
			return 0
		})
		d.blocksOrdered[stmtsPriority(stmts)] = pairOrdered(mergeOrdered(stmts))
	}
}

// mergeOrdered folds adjacent statements of one span, policy, direction,
// action and traffic into one with all their peers: the compiler writes a
// rule per target of a statement, an importer one rule with every peer.
// They are of one action, so their order among themselves does not
// matter.
func mergeOrdered(stmts []*orderedStmt) []*orderedStmt {
	out := stmts[:0]
	for _, o := range stmts {
		if n := len(out); n > 0 {
			last := out[n-1]
			if last.rule.Span == o.rule.Span && last.s.pol == o.s.pol && last.s.dir == o.s.dir &&
				last.s.action == o.s.action && last.s.unit.key() == o.s.unit.key() {
				for _, p := range o.s.peers {
					last.s.addPeer(p)
				}
				continue
			}
		}
		out = append(out, o)
	}
	return out
}

func stmtsPriority(stmts []*orderedStmt) int32 {
	if len(stmts) == 0 {
		return 0
	}
	return stmts[0].s.pol.Priority
}

// pairOrdered folds an egress statement and an ingress statement of the
// same span that state the same flow from both ends into one arrow: the
// egress statement's one peer is exactly the ingress policy's subject, the
// ingress statement's one peer exactly the egress policy's subject, with
// the same action and traffic. Rules of one span are adjacent in
// evaluation order and of different directions, so folding them moves no
// rule past another that it could be ordered against.
func pairOrdered(stmts []*orderedStmt) []*orderedStmt {
	out := stmts[:0]
	used := make([]bool, len(stmts))
	for i, e := range stmts {
		if used[i] {
			continue
		}
		if e.s.dir == ir.Egress && len(e.s.peers) == 1 {
			for j := i + 1; j < len(stmts) && stmts[j].rule.Span == e.rule.Span; j++ {
				g := stmts[j]
				if used[j] || g.s.dir != ir.Ingress || g.s.action != e.s.action || len(g.s.peers) != 1 || g.s.unit.key() != e.s.unit.key() {
					continue
				}
				if ir.PeerKey(e.s.peers[0]) == ir.PeerKey(subjectPeer(g.s.pol.Policy)) && ir.PeerKey(g.s.peers[0]) == ir.PeerKey(subjectPeer(e.s.pol.Policy)) {
					e.mirror, e.mirrorPol, used[j] = g.rule, g.s.pol, true
					break
				}
			}
		}
		out = append(out, e)
	}
	return out
}

// subjectPeer is the subject of a cluster-wide pod policy as the peer a
// rule of an ordered block names it by: pods of the namespaces its labels
// select (every namespace: NamespaceLabels with an empty selector).
func subjectPeer(pol *ir.Policy) ir.Peer {
	ref := ir.NamespaceRef{Scope: ir.NamespaceLabels}
	if ns := pol.Subject.Namespaces; ns != nil {
		if name, ok := namespaceName(*ns); ok {
			ref = ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: name}
		} else {
			ref.Labels = *ns
		}
	}
	return ir.Peer{Kind: ir.PeerPods, Namespace: ref, Pods: pol.Subject.Pods}
}

// namespaceName returns X when s is exactly the selector of the namespace
// named X (its kubernetes.io/metadata.name label) and the language can
// write X as a name ("X/{...}"); other names stay a selector.
func namespaceName(s ir.Selector) (string, bool) {
	if len(s.MatchLabels) == 1 && len(s.MatchExpressions) == 0 && s.MatchLabels[0].Key == namespaceNameLabel &&
		identRE.MatchString(s.MatchLabels[0].Value) && !strings.Contains(s.MatchLabels[0].Value, ".") {
		return s.MatchLabels[0].Value, true
	}
	return "", false
}

// namespaceNameLabel is the label the API server sets on every namespace.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// orderedPriorities returns the priorities of the ordered blocks, ascending.
func (d *decompiler) orderedPriorities() []int32 {
	var out []int32
	for p, stmts := range d.blocksOrdered {
		if len(stmts) > 0 {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, cmp.Compare)
	return out
}

// orderedBlock writes the ordered block of priority prio: its declaration,
// then its statements with the origins of the policies each writes to.
func (d *decompiler) orderedBlock(prio int32) []written {
	out := []written{{ast: &ast.ClusterDecl{Priority: &ast.Number{Value: int(prio)}}}}
	for _, o := range d.blocksOrdered[prio] {
		w := written{ast: d.orderedRule(o), origins: o.s.pol.origins}
		if o.mirrorPol != nil {
			w.origins = append(slices.Clone(w.origins), o.mirrorPol.origins...)
		}
		out = append(out, w)
	}
	return out
}

// orderedRule builds the statement of o.
func (d *decompiler) orderedRule(o *orderedStmt) ast.Stmt {
	s := o.s
	r := &ast.Rule{Deny: s.action == ir.Deny, Pass: s.action == ir.Pass}
	ports := portSpecs(s.unit)
	if o.mirror != nil {
		r.Sources = []ast.Peer{d.orderedSubject(s.pol)}
		r.Targets = []ast.Target{{Peer: d.orderedSubject(o.mirrorPol), Ports: ports}}
		return r
	}
	if s.dir == ir.Ingress {
		r.Dir = ast.DirIngress
		for _, p := range s.peers {
			r.Sources = append(r.Sources, d.peer(p, s.pol, ""))
		}
		r.Targets = []ast.Target{{Peer: d.orderedSubject(s.pol), Ports: ports}}
		return r
	}
	r.Dir = ast.DirEgress
	r.Sources = []ast.Peer{d.orderedSubject(s.pol)}
	for i, p := range s.peers {
		if i > 0 {
			ports = portSpecs(s.unit)
		}
		r.Targets = append(r.Targets, ast.Target{Peer: d.peer(p, s.pol, ""), Ports: ports})
	}
	return r
}

// orderedSubject writes the subject of an ordered policy: in an ordered
// block, pods of a namespace by name are the pods of that namespace
// whether it is governed or not.
func (d *decompiler) orderedSubject(pp *policy) ast.Peer {
	return d.peer(subjectPeer(pp.Policy), pp, "")
}
