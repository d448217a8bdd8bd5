package decompile

import (
	"slices"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/ast"
)

// This file writes ordered policies (ir.TierOrdered): one ordered block
// ("clusterwide priority N") per priority, its rules in evaluation order
// (ir.OrderLess), each a one-sided statement ("[deny|pass] ingress PEERS ->
// SUBJECT:PORTS", "[deny|pass] egress SUBJECT -> PEERS:PORTS"), since the
// order of the statements is the order of the rules.

// orderedRule is a rule of an ordered policy.
type orderedRule struct {
	pol *ir.Policy
	r   *ir.Rule
}

// collectOrdered checks an ordered policy: cluster-wide, not isolating,
// rules the language writes in an ordered block.
func (d *decompiler) collectOrdered(pol *ir.Policy) {
	if pol.Namespace != "" {
		d.errorf(pol.Span, "an ordered policy in namespace %s (ordered blocks are cluster-wide)", pol.Namespace)
		return
	}
	if pol.Isolation != (ir.Isolation{}) {
		d.errorf(pol.Span, "an ordered policy that isolates its subject")
	}
	if pol.Priority < 0 || pol.Priority > ir.MaxPriority {
		d.errorf(pol.Span, "the priority %d (0 to %d)", pol.Priority, ir.MaxPriority)
	}
	d.checkSubject(pol)
	if selectsNothing(pol.Subject.Pods) || pol.Subject.Namespaces != nil && selectsNothing(*pol.Subject.Namespaces) {
		d.diags.Warnf(CodeSelectsNothing, pol.Subject.Span, "left out the ordered policy of %s: its subject selects nothing", ir.FormatPolicySubject(pol))
		return
	}
	for _, r := range pol.Rules {
		if len(r.Peers) == 0 {
			d.errorf(r.Span, "a rule without peers")
		}
		for _, p := range r.Peers {
			d.checkPeer(pol, r, p)
			if p.Kind == ir.PeerFQDN && r.Action == ir.Pass {
				d.errorf(p.Span, "a DNS name in a pass rule")
			}
		}
		for _, pr := range r.Ports {
			if len(pr.HTTP) > 0 || len(pr.DNS) > 0 {
				d.errorf(pr.Span, "L7 rules in an ordered rule")
			}
			d.checkUnit(r, unit{ports: pr.Ports, span: pr.Span})
		}
		if len(r.ICMP) > 0 {
			d.checkUnit(r, unit{icmp: r.ICMP, span: r.Span})
		}
	}
	d.orderedPols = append(d.orderedPols, pol)
}

// orderedStmts returns the ordered blocks: for each priority, lowest
// first, "clusterwide priority N" and its rules' statements.
func (d *decompiler) orderedStmts() []written {
	var rules []orderedRule
	for _, pol := range d.orderedPols {
		for _, r := range pol.Rules {
			rules = append(rules, orderedRule{pol, r})
		}
	}
	slices.SortStableFunc(rules, func(a, b orderedRule) int {
		switch {
		case ir.OrderLess(a.pol, a.r, b.pol, b.r):
			return -1
		case ir.OrderLess(b.pol, b.r, a.pol, a.r):
			return 1
		}
		return 0
	})
	var out []written
	for i, or := range rules {
		if i == 0 || or.pol.Priority != rules[i-1].pol.Priority {
			out = append(out, written{ast: &ast.ClusterDecl{Priority: &ast.Number{Value: int(or.pol.Priority)}}})
		}
		var origins []string
		if or.pol.Origin != "" {
			origins = []string{or.pol.Origin}
		}
		for _, s := range d.orderedRuleStmts(or) {
			out = append(out, written{ast: s, origins: origins})
		}
	}
	return out
}

// orderedRuleStmts writes one ordered rule: one statement per traffic unit
// (and per part of splitNamedPorts), peers that select nothing left out.
func (d *decompiler) orderedRuleStmts(or orderedRule) []ast.Stmt {
	r := or.r
	var peers []ir.Peer
	for _, p := range r.Peers {
		if peerSelectsNothing(p) {
			d.diags.Warnf(CodeSelectsNothing, p.Span, "left out the peer %s: it selects nothing", ir.FormatPeer(p))
			continue
		}
		peers = append(peers, p)
	}
	var units []unit
	switch {
	case r.AllTraffic:
		units = append(units, unit{all: true, span: r.Span})
	case len(r.ICMP) > 0:
		units = append(units, unit{icmp: r.ICMP, span: r.Span})
	}
	for _, pr := range r.Ports {
		units = append(units, unit{ports: pr.Ports, span: pr.Span})
	}
	pp := &policy{Policy: or.pol}
	var out []ast.Stmt
	for _, u := range units {
		for _, part := range splitNamedPorts(r, u, peers) {
			rule := &ast.Rule{Deny: r.Action == ir.Deny, Pass: r.Action == ir.Pass}
			subj := d.orderedSubject(or.pol)
			if r.Direction == ir.Ingress {
				rule.Dir = ast.DirIngress
				for _, p := range part.peers {
					rule.Sources = append(rule.Sources, d.peer(p, pp, ""))
				}
				rule.Targets = []ast.Target{{Peer: subj, Ports: portSpecs(part.unit)}}
			} else {
				rule.Dir = ast.DirEgress
				rule.Sources = []ast.Peer{subj}
				for _, p := range part.peers {
					rule.Targets = append(rule.Targets, ast.Target{Peer: d.peer(p, pp, ""), Ports: portSpecs(part.unit)})
				}
			}
			out = append(out, rule)
		}
	}
	return out
}

// orderedSubject writes the subject of an ordered policy: "NS/{...}" for
// pods of one namespace by name (what an ordered block makes of it), else
// as in a clusterwide block.
func (d *decompiler) orderedSubject(pol *ir.Policy) ast.Peer {
	s := pol.Subject
	if ns := s.Namespaces; ns != nil && !s.Nodes && len(ns.MatchExpressions) == 0 && len(ns.MatchLabels) == 1 &&
		ns.MatchLabels[0].Key == namespaceNameLabel && identRE.MatchString(ns.MatchLabels[0].Value) &&
		!strings.Contains(ns.MatchLabels[0].Value, ".") {
		return &ast.PodPeer{Namespace: &ast.NamespaceName{Name: ast.Ident{Name: ns.MatchLabels[0].Value}}, Pods: selector(s.Pods)}
	}
	return d.subject(&policy{Policy: pol}, "")
}

// namespaceNameLabel is the label the API server sets on every namespace.
const namespaceNameLabel = "kubernetes.io/metadata.name"
