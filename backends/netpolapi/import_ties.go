package netpolapi

import (
	"fmt"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
)

// This file finds admin policies of the same priority whose order matters.
// The API does not order them: "if two (or more) policies with the same
// priority could both match a connection, then the implementation can apply
// any of the matching policies" (AdminNetworkPolicySpec.Priority). Their
// order is irrelevant when no connection can be matched first by a rule of
// each with different actions; the check below is sound (it may see a
// conflict where shadowing rules would hide it, never the reverse): two
// rules conflict when they have the same direction, different actions,
// subjects that may share a pod, peers that may share an endpoint and
// traffic that may share a flow, each judged as compile/eval matches them.

// ties reports every pair of ordered policies (in input order) that has
// the same priority and conflicting rules, at the later one, and returns
// the later ones, which are left out.
func (im *importer) ties(ordered []*imported) map[*ir.Policy]bool {
	var out map[*ir.Policy]bool
	for j, b := range ordered {
		for _, a := range ordered[:j] {
			if a.pol.Priority != b.pol.Priority {
				continue
			}
			ra, rb := conflict(a.pol, b.pol)
			if ra == nil {
				continue
			}
			d := im.diags.Errorf(codePriorityTie, b.pol.Span, msgTie, origin(b.pol), origin(a.pol), b.pol.Priority,
				origin(b.pol), describeRule(rb), origin(a.pol), describeRule(ra))
			d.Detail = detailTie
			d.Notes = []diag.Note{{Span: ra.Span, Message: "this rule"}, {Span: rb.Span, Message: "and this rule"}}
			if out == nil {
				out = map[*ir.Policy]bool{}
			}
			out[b.pol] = true
			break
		}
	}
	return out
}

func origin(p *ir.Policy) string { return p.Origin }

// describeRule names a rule for the tie message: "ingress deny".
func describeRule(r *ir.Rule) string { return fmt.Sprintf("%s %s", r.Direction, r.Action) }

// conflict returns a rule of a and a rule of b that may match the same
// connection with different actions; nil when there are none.
func conflict(a, b *ir.Policy) (*ir.Rule, *ir.Rule) {
	if !subjectsMeet(a.Subject, b.Subject) {
		return nil, nil
	}
	for _, ra := range a.Rules {
		for _, rb := range b.Rules {
			if ra.Direction == rb.Direction && ra.Action != rb.Action && peersMeet(ra.Peers, rb.Peers) && trafficMeets(ra, rb) {
				return ra, rb
			}
		}
	}
	return nil, nil
}

// subjectsMeet reports whether two cluster-wide pod subjects may share a pod.
func subjectsMeet(a, b ir.Subject) bool {
	if !a.Pods.MayIntersect(b.Pods) {
		return false
	}
	if a.Namespaces == nil || b.Namespaces == nil {
		return true
	}
	return a.Namespaces.MayIntersect(*b.Namespaces)
}

func peersMeet(as, bs []ir.Peer) bool {
	for _, a := range as {
		for _, b := range bs {
			if peerMeets(a, b) {
				return true
			}
		}
	}
	return false
}

// peerMeets reports whether two peers of cluster-wide policies may match
// the same endpoint: pods, nodes and external addresses are apart (a CIDR
// or a DNS name matches external addresses only, a node peer other nodes
// than the local host).
func peerMeets(a, b ir.Peer) bool {
	if a.Kind == ir.PeerAny || b.Kind == ir.PeerAny {
		return true
	}
	external := func(p ir.Peer) bool { return p.Kind == ir.PeerCIDR || p.Kind == ir.PeerFQDN }
	switch {
	case a.Kind == ir.PeerPods && b.Kind == ir.PeerPods:
		return namespaceSelector(a.Namespace).MayIntersect(namespaceSelector(b.Namespace)) && a.Pods.MayIntersect(b.Pods)
	case a.Kind == ir.PeerNodes && b.Kind == ir.PeerNodes:
		return a.Pods.MayIntersect(b.Pods)
	case a.Kind == ir.PeerCIDR && b.Kind == ir.PeerCIDR:
		return a.CIDRMayOverlap(&b)
	case a.Kind == ir.PeerFQDN && b.Kind == ir.PeerFQDN:
		return a.FQDN.MayOverlap(b.FQDN)
	case external(a) && external(b):
		return true // a name may resolve to any address
	case a.Kind == ir.PeerEntity && b.Kind == ir.PeerEntity:
		return a.Entity == b.Entity
	}
	return false
}

// namespaceSelector returns the namespaces of a pod peer of a cluster-wide
// policy as a selector.
func namespaceSelector(r ir.NamespaceRef) ir.Selector {
	switch r.Scope {
	case ir.NamespaceNamed:
		return ir.Selector{MatchLabels: []ir.Label{{Key: namespaceNameLabel, Value: r.Name}}}
	case ir.NamespaceLabels:
		return r.Labels
	}
	return ir.Selector{} // NamespacePolicy of a cluster-wide policy: every namespace
}

// trafficMeets reports whether two rules may match the same flow.
func trafficMeets(a, b *ir.Rule) bool {
	if a.AllTraffic || b.AllTraffic {
		return true
	}
	for _, pa := range a.Ports {
		for _, pb := range b.Ports {
			for _, x := range pa.Ports {
				for _, y := range pb.Ports {
					if x.MayOverlap(y) {
						return true
					}
				}
			}
		}
	}
	return false
}
