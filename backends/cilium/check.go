package cilium

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// checkExpressible reports what Cilium (at version ver) cannot express
// although the capabilities allow the feature in general: "**." patterns
// before 1.19, ICMP without a type, HTTP rules in host policies.
func checkExpressible(p *ir.Program, ver Version) diag.List {
	var diags diag.List
	anyDepth := func(span source.Span, f ir.FQDN) {
		if !f.Exact && strings.HasPrefix(f.Pattern, "**.") && !ver.AtLeast(1, 19) {
			diags.Errorf(codeUnsupported, span, msgAnyDepthOld, ver, f.Pattern).Detail = detailAnyDepthOld
		}
	}
	// Programs repeat selectors: each pod label key is judged once.
	inID := map[string]bool{}
	podKeys := func(span source.Span, s ir.Selector) {
		check := func(key string) {
			ok, seen := inID[key]
			if !seen {
				ok = inIdentity(key)
				inID[key] = ok
			}
			if !ok {
				diags.Errorf(codeUnsupported, span, msgFilteredPodKey, key).Detail = detailFilteredKey
			}
		}
		for _, l := range s.MatchLabels {
			check(l.Key)
		}
		for i, x := range s.MatchExpressions {
			// Each key once (as Selector.Keys): a key may also have a label
			// or an earlier requirement.
			if !slices.ContainsFunc(s.MatchLabels, func(l ir.Label) bool { return l.Key == x.Key }) &&
				!slices.ContainsFunc(s.MatchExpressions[:i], func(y ir.Expression) bool { return y.Key == x.Key }) {
				check(x.Key)
			}
		}
	}
	for _, pol := range p.Policies {
		if !pol.Subject.Nodes {
			podKeys(spanOr(pol.Subject.Span, pol.Span), pol.Subject.Pods)
		}
		if pol.Subject.Namespaces != nil {
			namespaceKeys(&diags, spanOr(pol.Subject.Span, pol.Span), *pol.Subject.Namespaces)
		}
		for _, r := range pol.Rules {
			for _, peer := range r.Peers {
				if peer.Kind == ir.PeerFQDN {
					anyDepth(spanOr(peer.Span, r.Span), peer.FQDN)
				}
			}
			for _, pr := range r.Ports {
				for _, f := range pr.DNS {
					anyDepth(spanOr(pr.Span, r.Span), f)
				}
				if pol.Subject.Nodes && len(pr.HTTP) > 0 {
					diags.Errorf(codeUnsupported, spanOr(pr.Span, r.Span), msgHostHTTP).Detail = detailHostHTTP
				}
			}
			for _, peer := range r.Peers {
				if peer.Kind != ir.PeerPods {
					continue
				}
				podKeys(spanOr(peer.Span, r.Span), peer.Pods)
				if peer.Namespace.Scope == ir.NamespaceLabels {
					namespaceKeys(&diags, spanOr(peer.Span, r.Span), peer.Namespace.Labels)
				}
			}
			for _, t := range r.ICMP {
				if t.Type == "" {
					diags.Errorf(codeUnsupported, spanOr(t.Span, r.Span), msgICMPAnyType).Detail = detailICMPAnyType
				}
			}
		}
	}
	return diags
}

// namespaceKeys reports the namespace label keys of s that Cilium cannot
// match: keys that are no longer valid label keys once Cilium's
// namespace-label prefix is put before them (a key without a "/" becomes the
// name part of the prefixed key, which may not exceed 63 characters), and
// keys that the default identity filter leaves out.
func namespaceKeys(diags *diag.List, span source.Span, s ir.Selector) {
	for _, key := range s.Keys() {
		if errs := validation.IsQualifiedName(NamespaceLabelsPrefix + key); len(errs) > 0 {
			diags.Errorf(codeUnsupported, span, msgLongNamespaceKey, key).Detail = fmt.Sprintf(detailLongNamespaceKey, NamespaceLabelsPrefix, strings.Join(errs, "; "))
		} else if !inIdentity(NamespaceLabelsPrefix + key) {
			diags.Errorf(codeUnsupported, span, msgFilteredNamespaceKey, key).Detail = detailFilteredKey
		}
	}
}

// checkL7Voided reports every L4-only allowance that overlaps an
// L7-restricted one (HTTP, or DNS lookups narrower than "*") of an
// overlapping subject in the same direction: Cilium merges them into "every
// request", so the L7 rules would not apply. The check is conservative on
// what it cannot decide (namespace labels, DNS names, services): it assumes
// an overlap, except between a named and a numbered port, which it assumes
// apart. See docs/semantics.md, section 2.11.
func checkL7Voided(p *ir.Program) diag.List {
	var diags diag.List
	type site struct {
		pol *ir.Policy
		r   *ir.Rule
		pr  *ir.PortRule // nil: AllTraffic
	}
	var l4, l7 []site
	for _, pol := range p.Policies {
		for _, r := range pol.Rules {
			if r.Action != ir.Allow {
				continue
			}
			if r.AllTraffic {
				l4 = append(l4, site{pol, r, nil})
			}
			for i := range r.Ports {
				pr := &r.Ports[i]
				switch {
				case len(pr.HTTP) > 0 || (len(pr.DNS) > 0 && !anyLookup(pr.DNS)):
					l7 = append(l7, site{pol, r, pr})
				case len(pr.DNS) == 0:
					l4 = append(l4, site{pol, r, pr})
				}
			}
		}
	}
	seen := map[[2]source.Span]bool{}
	for _, a := range l4 {
		for _, b := range l7 {
			if a.r.Direction != b.r.Direction || a.pr == b.pr || !subjectsOverlap(a.pol, b.pol) {
				continue
			}
			if a.pr != nil && !portsOverlap(a.pr.Ports, b.pr.Ports) {
				continue
			}
			if !peersOverlap(a.pol, a.r.Peers, b.pol, b.r.Peers) {
				continue
			}
			key := [2]source.Span{a.r.Span, b.r.Span}
			if seen[key] {
				continue
			}
			seen[key] = true
			kind := "HTTP"
			if len(b.pr.HTTP) == 0 {
				kind = "DNS lookup"
			}
			what := "every port"
			if a.pr != nil {
				what = ir.FormatPorts(a.pr.Ports)
			}
			d := diags.Errorf(codeL7Voided, a.r.Span, msgL7Voided, what, kind)
			d.Detail = detailL7Voided
			d.Notes = append(d.Notes, diag.Note{Span: b.r.Span, Message: fmt.Sprintf(noteL7Voided, kind)})
		}
	}
	return diags
}

func anyLookup(names []ir.FQDN) bool {
	for _, n := range names {
		if !n.Exact && n.Pattern == "*" {
			return true
		}
	}
	return false
}

// subjectsOverlap reports whether two policies may select a common endpoint.
func subjectsOverlap(a, b *ir.Policy) bool {
	if a.Subject.Nodes != b.Subject.Nodes {
		return false
	}
	if a.Namespace != "" && b.Namespace != "" && a.Namespace != b.Namespace {
		return false
	}
	if a.Subject.Namespaces != nil && b.Subject.Namespaces != nil && !a.Subject.Namespaces.MayIntersect(*b.Subject.Namespaces) {
		return false
	}
	return a.Subject.Pods.MayIntersect(b.Subject.Pods)
}

// portsOverlap reports whether a port of a and a port of b may match a
// common port. Unlike ir.Port.MayOverlap, it takes a named and a numbered
// port apart (see checkL7Voided).
func portsOverlap(a, b []ir.Port) bool {
	numbered := func(p ir.Port) bool { return p.Port != 0 }
	for _, x := range a {
		for _, y := range b {
			apart := x.Name != "" && numbered(y) || numbered(x) && y.Name != ""
			if x.MayOverlap(y) && !apart {
				return true
			}
		}
	}
	return false
}

func peersOverlap(pa *ir.Policy, a []ir.Peer, pb *ir.Policy, b []ir.Peer) bool {
	for _, x := range a {
		for _, y := range b {
			if peerOverlap(pa, x, pb, y) || peerOverlap(pb, y, pa, x) {
				return true
			}
		}
	}
	return false
}

// peerOverlap reports whether x (a peer of a rule of px) and y may select a
// common endpoint, for the kinds x is responsible for; peersOverlap tries
// both orders.
func peerOverlap(px *ir.Policy, x ir.Peer, py *ir.Policy, y ir.Peer) bool {
	switch x.Kind {
	case ir.PeerAny:
		return true
	case ir.PeerEntity:
		switch x.Entity {
		case ir.EntityAll:
			return true
		case ir.EntityWorld, ir.EntityWorldIPv4, ir.EntityWorldIPv6:
			switch y.Kind {
			case ir.PeerFQDN:
				return true
			case ir.PeerCIDR:
				return x.Entity == ir.EntityWorld || (x.Entity == ir.EntityWorldIPv4) == y.CIDR.Addr().Is4()
			case ir.PeerEntity:
				return y.Entity == x.Entity || y.Entity == ir.EntityWorld || x.Entity == ir.EntityWorld
			}
			return false
		case ir.EntityCluster, ir.EntityClusterMesh:
			switch y.Kind {
			case ir.PeerPods, ir.PeerNodes, ir.PeerService:
				return true
			case ir.PeerEntity:
				return y.Entity != ir.EntityWorld && y.Entity != ir.EntityWorldIPv4 && y.Entity != ir.EntityWorldIPv6 && y.Entity != ir.EntityNone
			}
			return false
		case ir.EntityNone:
			return false
		default: // host, remote-node, kube-apiserver, health, init, ingress, unmanaged
			switch y.Kind {
			case ir.PeerNodes:
				return x.Entity == ir.EntityHost || x.Entity == ir.EntityRemoteNode || x.Entity == ir.EntityKubeAPIServer
			case ir.PeerEntity:
				return y.Entity == x.Entity
			}
			return false
		}
	case ir.PeerPods:
		switch y.Kind {
		case ir.PeerPods:
			return namespacesOverlap(px, x.Namespace, py, y.Namespace) && x.Pods.MayIntersect(y.Pods)
		case ir.PeerService:
			return true
		}
		return false
	case ir.PeerNodes:
		return y.Kind == ir.PeerNodes && x.Pods.MayIntersect(y.Pods)
	case ir.PeerService:
		return y.Kind == ir.PeerService
	case ir.PeerCIDR:
		switch y.Kind {
		case ir.PeerCIDR:
			return x.CIDRMayOverlap(&y)
		case ir.PeerFQDN:
			return true
		}
		return false
	case ir.PeerFQDN:
		return y.Kind == ir.PeerFQDN && x.FQDN.MayOverlap(y.FQDN)
	}
	return false
}

// nsRef is a pod peer's namespaces resolved against its policy: any
// namespace, one by name, or those matching labels.
func nsOf(pol *ir.Policy, ref ir.NamespaceRef) (name string, labels *ir.Selector, any bool) {
	switch ref.Scope {
	case ir.NamespacePolicy:
		if pol.Namespace == "" {
			return "", nil, true
		}
		return pol.Namespace, nil, false
	case ir.NamespaceNamed:
		return ref.Name, nil, false
	}
	sel := ref.Labels
	return "", &sel, false
}

const namespaceNameLabel = "kubernetes.io/metadata.name"

func namespacesOverlap(px *ir.Policy, x ir.NamespaceRef, py *ir.Policy, y ir.NamespaceRef) bool {
	xn, xl, xany := nsOf(px, x)
	yn, yl, yany := nsOf(py, y)
	switch {
	case xany || yany:
		return true
	case xl == nil && yl == nil:
		return xn == yn
	case xl != nil && yl != nil:
		return xl.MayIntersect(*yl)
	case xl != nil:
		return xl.MayIntersect(ir.Selector{MatchLabels: []ir.Label{{Key: namespaceNameLabel, Value: yn}}})
	default:
		return yl.MayIntersect(ir.Selector{MatchLabels: []ir.Label{{Key: namespaceNameLabel, Value: xn}}})
	}
}
