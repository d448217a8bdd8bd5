package cilium

import (
	"slices"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// anyName is the DNS rule that lets every lookup through the proxy.
var anyName = ir.FQDN{Pattern: "*"}

// dnsAdded is one DNS-proxy rule added to a policy.
type dnsAdded struct {
	pol  *ir.Policy
	rule *ir.Rule
	at   source.Span // the first toFQDNs rule of the policy
}

// effective returns the program the objects express (see Prepare) and the
// DNS-proxy rules it added.
func effective(p *ir.Program) (*ir.Program, []dnsAdded) {
	out := *p
	out.Policies = make([]*ir.Policy, len(p.Policies))
	var added []dnsAdded
	for i, pol := range p.Policies {
		cp := *pol
		cp.Rules = make([]*ir.Rule, len(pol.Rules))
		for j, r := range pol.Rules {
			cp.Rules[j] = withAnyLookup(r)
		}
		if at, ok := fqdnRule(pol); ok && !dnsCovered(p, pol) {
			r := ir.DNSRule(p.DNS, pol.Namespace, []ir.FQDN{anyName}, at)
			cp.Rules = append(cp.Rules, r)
			ir.SortRules(cp.Rules)
			added = append(added, dnsAdded{pol: pol, rule: r, at: at})
		}
		out.Policies[i] = &cp
	}
	return &out, added
}

// withAnyLookup returns r, or a copy whose DNS port rules without lookups
// carry the pattern "*" when r is an "allow dns" rule.
func withAnyLookup(r *ir.Rule) *ir.Rule {
	if !r.DNS || r.Action != ir.Allow {
		return r
	}
	cp := *r
	cp.Ports = slices.Clone(r.Ports)
	for i := range cp.Ports {
		if len(cp.Ports[i].DNS) == 0 && len(cp.Ports[i].HTTP) == 0 {
			cp.Ports[i].DNS = []ir.FQDN{anyName}
		}
	}
	return &cp
}

// fqdnRule returns the span of the first allow egress rule of pol with a DNS
// name peer.
func fqdnRule(pol *ir.Policy) (source.Span, bool) {
	var first source.Span
	found := false
	for _, r := range pol.Rules {
		if r.Direction != ir.Egress || r.Action != ir.Allow {
			continue
		}
		for _, peer := range r.Peers {
			if peer.Kind == ir.PeerFQDN {
				if !found || source.Less(r.Span, first) {
					first = r.Span
				}
				found = true
				break
			}
		}
	}
	return first, found
}

// dnsCovered reports whether an "allow dns" rule of p applies to every
// endpoint pol selects: a DNS rule of a policy whose subject contains pol's
// (same namespace, or a cluster-wide policy over every namespace, and a pod
// selector that pol's implies). Undecided cases count as not covered: the
// added rule is then redundant, never missing.
func dnsCovered(p *ir.Program, pol *ir.Policy) bool {
	for _, q := range p.Policies {
		if !hasDNSRule(q) || q.Subject.Nodes != pol.Subject.Nodes {
			continue
		}
		switch {
		case q.Namespace == pol.Namespace && q.Namespace != "":
		case q.Namespace == "" && q.Subject.Namespaces == nil:
		case q.Namespace == "" && pol.Namespace == "" && pol.Subject.Namespaces != nil &&
			pol.Subject.Namespaces.Implies(*q.Subject.Namespaces):
		default:
			continue
		}
		if pol.Subject.Pods.Implies(q.Subject.Pods) {
			return true
		}
	}
	return false
}

func hasDNSRule(pol *ir.Policy) bool {
	for _, r := range pol.Rules {
		if r.DNS && r.Action == ir.Allow && r.Direction == ir.Egress {
			return true
		}
	}
	return false
}

// reportAdded reports each added DNS-proxy rule: a warning, or an error
// when it would widen an "allow dns ... lookups" restriction. The added rule
// lets every name through for every endpoint of its policy, and Cilium
// merges the rules that select an endpoint, so endpoints that the added
// rule's policy and a restricted DNS rule may both select would lose the
// restriction. Overlaps are decided conservatively (selectors that may
// intersect, a cluster-wide policy on either side), so the error may be
// reported for subjects that never share a pod; the fix it proposes is
// exact either way.
func reportAdded(diags *diag.List, p *ir.Program, added []dnsAdded) {
	for _, a := range added {
		if q, r := restrictedOverlap(p, a.pol); r != nil {
			d := diags.Errorf(codeUnsupported, a.at, msgProxyWidens, ir.FormatPolicySubject(a.pol), ir.FormatPolicySubject(q))
			d.Detail = detailProxyWidens
			d.Notes = append(d.Notes, diag.Note{Span: r.Span, Message: noteProxyWidens})
			continue
		}
		server := p.DNS.Namespace + "/" + p.DNS.Pods.String()
		d := diags.Warnf(codeDNSProxyAdded, a.at, msgDNSProxyAdded, ir.FormatPolicySubject(a.pol), server, p.DNS.Port)
		d.Detail = detailDNSProxyAdded
	}
}

// restrictedOverlap returns a policy of p, and its "allow dns" rule that
// restricts lookups, whose subject may share endpoints with pol's.
func restrictedOverlap(p *ir.Program, pol *ir.Policy) (*ir.Policy, *ir.Rule) {
	for _, q := range p.Policies {
		r := restrictedDNSRule(q)
		if r == nil || q.Subject.Nodes != pol.Subject.Nodes ||
			(q.Namespace != pol.Namespace && q.Namespace != "" && pol.Namespace != "") ||
			!q.Subject.Pods.MayIntersect(pol.Subject.Pods) {
			continue
		}
		return q, r
	}
	return nil, nil
}

// restrictedDNSRule returns the first "allow dns" egress rule of pol that
// restricts lookups (no port rule lets every name through), or nil.
func restrictedDNSRule(pol *ir.Policy) *ir.Rule {
	for _, r := range pol.Rules {
		if !r.DNS || r.Action != ir.Allow || r.Direction != ir.Egress {
			continue
		}
		restricted := true
		for _, pr := range r.Ports {
			if len(pr.DNS) == 0 || slices.Contains(pr.DNS, anyName) {
				restricted = false
			}
		}
		if restricted {
			return r
		}
	}
	return nil
}
