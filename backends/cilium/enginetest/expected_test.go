package enginetest

import (
	"slices"

	"github.com/netpolc/netpolc/compile/ir"
)

// ciliumExpected is the program whose compile/eval verdicts the Cilium
// output must have, built here from the compiled IR and the documented
// behaviour of the Cilium target (docs/language.md sections 4.3 and 8, and
// the "dns-proxy-added" warning of section 16), not from the backend's own
// code, so that a bug in the backend's additions cannot hide behind an
// oracle computed by the same code:
//
//   - "allow dns" sends the lookups through Cilium's DNS proxy, and without
//     "lookups" every name may be looked up: each of its port rules that
//     lists no names gets the pattern "*" (an L7 DNS rule that accepts
//     every lookup, so that the flows are L7-restricted, not L7-open);
//   - pods that are the subjects of a DNS-name target need their lookups to
//     pass the DNS proxy: when an allow rule with a DNS-name peer belongs
//     to a policy that no "allow dns" rule covers, Cilium's output carries,
//     for that policy's pods, an egress rule to the cluster DNS server
//     (Program.DNS: its namespace, pods and port) on UDP and TCP with the
//     lookup pattern "*".
//
// An "allow dns" rule covers a policy when its own policy selects every
// pod (or node) that the policy can select, whatever the labels: decided
// exactly here by covers, over every labelling of the keys the two
// selectors use. p is not modified.
func ciliumExpected(p *ir.Program) *ir.Program {
	out := *p
	out.Policies = make([]*ir.Policy, len(p.Policies))
	var dnsSubjects []*ir.Policy
	for _, pol := range p.Policies {
		for _, r := range pol.Rules {
			if r.DNS && r.Action == ir.Allow && r.Direction == ir.Egress {
				dnsSubjects = append(dnsSubjects, pol)
				break
			}
		}
	}
	for i, pol := range p.Policies {
		cp := *pol
		cp.Rules = nil
		usesNames := false
		for _, r := range pol.Rules {
			if r.DNS && r.Action == ir.Allow {
				r = anyLookup(r)
			}
			if r.Action == ir.Allow && r.Direction == ir.Egress {
				for _, peer := range r.Peers {
					usesNames = usesNames || peer.Kind == ir.PeerFQDN
				}
			}
			cp.Rules = append(cp.Rules, r)
		}
		if usesNames && !slices.ContainsFunc(dnsSubjects, func(q *ir.Policy) bool { return covers(q, pol) }) {
			cp.Rules = append(cp.Rules, proxyRule(p.DNS))
		}
		out.Policies[i] = &cp
	}
	return &out
}

// covers reports whether every endpoint policy pol may select is selected
// by policy q, in every world.
func covers(q, pol *ir.Policy) bool {
	if q.Subject.Nodes != pol.Subject.Nodes {
		return false
	}
	switch {
	case q.Namespace != "" && q.Namespace == pol.Namespace:
	case q.Namespace == "" && q.Subject.Namespaces == nil:
	case q.Namespace == "" && pol.Namespace == "" && pol.Subject.Namespaces != nil:
		if !contained(*pol.Subject.Namespaces, *q.Subject.Namespaces) {
			return false
		}
	default:
		return false
	}
	return contained(pol.Subject.Pods, q.Subject.Pods)
}

// contained reports whether every label set that a matches also matches b:
// it tries every assignment of the keys a and b use, each absent, set to a
// value one of them names, or set to a value neither names.
func contained(a, b ir.Selector) bool {
	values := map[string][]string{}
	note := func(k string, vs ...string) {
		if _, ok := values[k]; !ok {
			values[k] = nil
		}
		values[k] = append(values[k], vs...)
	}
	for _, s := range []ir.Selector{a, b} {
		for _, l := range s.MatchLabels {
			note(l.Key, l.Value)
		}
		for _, x := range s.MatchExpressions {
			note(x.Key, x.Values...)
		}
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	labels := map[string]string{}
	var try func(i int) bool // false: a counterexample exists
	try = func(i int) bool {
		if i == len(keys) {
			return !labelsMatch(a, labels) || labelsMatch(b, labels)
		}
		k := keys[i]
		delete(labels, k)
		if !try(i + 1) {
			return false
		}
		for _, v := range append(slices.Clone(values[k]), "netpolc-test-other-value") {
			labels[k] = v
			if !try(i + 1) {
				return false
			}
		}
		delete(labels, k)
		return true
	}
	return try(0)
}

// labelsMatch is Kubernetes label selector matching: every matchLabels
// pair present with its value; In: present with a listed value; NotIn:
// absent or not a listed value; Exists: present; DoesNotExist: absent.
func labelsMatch(s ir.Selector, labels map[string]string) bool {
	for _, l := range s.MatchLabels {
		if v, ok := labels[l.Key]; !ok || v != l.Value {
			return false
		}
	}
	for _, x := range s.MatchExpressions {
		v, ok := labels[x.Key]
		in := ok && slices.Contains(x.Values, v)
		switch x.Operator {
		case ir.OpIn:
			if !in {
				return false
			}
		case ir.OpNotIn:
			if in {
				return false
			}
		case ir.OpExists:
			if !ok {
				return false
			}
		case ir.OpDoesNotExist:
			if ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// anyLookup returns a copy of the "allow dns" rule r whose port rules
// without names accept every name through the DNS proxy.
func anyLookup(r *ir.Rule) *ir.Rule {
	cp := *r
	cp.Ports = nil
	for _, pr := range r.Ports {
		if len(pr.DNS) == 0 && len(pr.HTTP) == 0 {
			pr.DNS = []ir.FQDN{{Pattern: "*"}}
		}
		cp.Ports = append(cp.Ports, pr)
	}
	return &cp
}

// proxyRule is the egress rule to the cluster DNS server, UDP and TCP on
// its port, through the DNS proxy with every name allowed.
func proxyRule(dns ir.DNSServer) *ir.Rule {
	return &ir.Rule{
		Direction: ir.Egress, Action: ir.Allow, DNS: true,
		Peers: []ir.Peer{{Kind: ir.PeerPods, Pods: dns.Pods,
			Namespace: ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: dns.Namespace}}},
		Ports: []ir.PortRule{{
			Ports: []ir.Port{{Protocol: ir.UDP, Port: dns.Port}, {Protocol: ir.TCP, Port: dns.Port}},
			DNS:   []ir.FQDN{{Pattern: "*"}},
		}},
	}
}
