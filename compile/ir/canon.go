package ir

import (
	"slices"

	"github.com/netpolc/netpolc/lang/source"
)

// This file holds the constructors of the canonical form (see the package
// documentation): every producer of IR (the compiler, importers, the
// target-aware stages of backends) builds peers, peer lists, rule orders and
// the DNS rule with these functions, and Validate checks the result.

// Relative returns p in the canonical form for a rule of a policy of
// namespace ns: a pod peer of the namespace named ns refers to "the policy's
// namespace" (NamespacePolicy). For a cluster-wide policy (ns == "") and
// every other peer, p is returned as is.
func Relative(p Peer, ns string) Peer {
	if ns != "" && p.Kind == PeerPods && p.Namespace.Scope == NamespaceNamed && p.Namespace.Name == ns {
		p.Namespace = NamespaceRef{Scope: NamespacePolicy}
	}
	return p
}

// Absolute undoes Relative: in a policy of namespace ns, a NamespacePolicy
// pod peer becomes a peer of the namespace named ns, so that peers of
// policies of different namespaces compare. For ns == "" (cluster-wide, where
// NamespacePolicy means any namespace) p is returned as is.
func Absolute(p Peer, ns string) Peer {
	if ns != "" && p.Kind == PeerPods && p.Namespace.Scope == NamespacePolicy {
		p.Namespace = NamespaceRef{Scope: NamespaceNamed, Name: ns}
	}
	return p
}

// PeerKey is the identity of a peer: two peers with the same key select the
// same endpoints in the same policy (spans are ignored). It is the one key
// peers are de-duplicated with.
func PeerKey(p Peer) string { return FormatPeer(p) }

// PeersIn returns peers in canonical form for a policy of namespace ns:
// each made Relative, the first of each PeerKey kept, in the given order.
func PeersIn(peers []Peer, ns string) []Peer {
	if len(peers) == 1 { // nothing to de-duplicate
		return []Peer{Relative(peers[0], ns)}
	}
	out := make([]Peer, 0, len(peers))
	seen := make(map[string]bool, len(peers))
	for _, p := range peers {
		p = Relative(p, ns)
		k := PeerKey(p)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	return out
}

// RuleLess is the order of a policy's rules: by the source span of what
// wrote them (file, then offset); rules with equal spans keep their order.
func RuleLess(a, b *Rule) bool { return source.Less(a.Span, b.Span) }

// SortRules puts rules in canonical order (RuleLess, stable).
func SortRules(rules []*Rule) {
	slices.SortStableFunc(rules, func(a, b *Rule) int {
		switch {
		case RuleLess(a, b):
			return -1
		case RuleLess(b, a):
			return 1
		}
		return 0
	})
}

// DNSRule is the egress rule that lets a policy of namespace ns look names
// up at the cluster DNS server dns: UDP and TCP to the server's port,
// restricted to lookups when it is non-empty (Rule.DNS is set). span is the
// source of what asked for it; it is also each port's span.
func DNSRule(dns DNSServer, ns string, lookups []FQDN, span source.Span) *Rule {
	return &Rule{
		Span: span, Direction: Egress, Action: Allow, DNS: true,
		Peers: []Peer{DNSServerPeer(dns, ns)},
		Ports: []PortRule{{Span: span, Ports: DNSPorts(dns, span), DNS: slices.Clone(lookups)}},
	}
}

// DNSPorts are the ports of the DNS server: UDP and TCP, in that order.
func DNSPorts(dns DNSServer, span source.Span) []Port {
	return []Port{
		{Span: span, Protocol: UDP, Port: dns.Port},
		{Span: span, Protocol: TCP, Port: dns.Port},
	}
}

// DNSServerPeer is the DNS server's pods as a peer of a policy of
// namespace ns.
func DNSServerPeer(dns DNSServer, ns string) Peer {
	return Relative(Peer{Span: dns.Span, Kind: PeerPods, Pods: dns.Pods,
		Namespace: NamespaceRef{Scope: NamespaceNamed, Name: dns.Namespace}}, ns)
}

// RewriteRules returns p with rules replaced as f says: f returns the rule
// that stands for r in pol, and false when r stays as it is (f must not
// modify r). p is not modified: the policies whose rules change are
// copied, the others shared, and p itself is returned when nothing changes.
func RewriteRules(p *Program, f func(pol *Policy, r *Rule) (*Rule, bool)) *Program {
	var out *Program
	for i, pol := range p.Policies {
		var cp *Policy
		for j, r := range pol.Rules {
			nr, ok := f(pol, r)
			if !ok {
				continue
			}
			if out == nil {
				c := *p
				c.Policies = slices.Clone(p.Policies)
				out = &c
			}
			if cp == nil {
				c := *pol
				c.Rules = slices.Clone(pol.Rules)
				cp = &c
				out.Policies[i] = cp
			}
			cp.Rules[j] = nr
		}
	}
	if out == nil {
		return p
	}
	return out
}

// RewritePeers returns p with every rule's peers replaced as f says: f
// returns the peers that stand for peer in a rule of pol, and false when
// peer stays as it is. Rewritten peer lists are made canonical again
// (PeersIn), so that peers that f maps to the same one are kept once. p
// is not modified (RewriteRules). Backends use it to express a peer in the
// form their target writes (e.g. an entity as the CIDRs it stands for),
// before emitting.
func RewritePeers(p *Program, f func(pol *Policy, peer Peer) ([]Peer, bool)) *Program {
	return RewriteRules(p, func(pol *Policy, r *Rule) (*Rule, bool) {
		var peers []Peer
		for k, peer := range r.Peers {
			repl, ok := f(pol, peer)
			if !ok {
				if peers != nil {
					peers = append(peers, peer)
				}
				continue
			}
			if peers == nil {
				peers = append(make([]Peer, 0, len(r.Peers)+len(repl)), r.Peers[:k]...)
			}
			peers = append(peers, repl...)
		}
		if peers == nil {
			return nil, false
		}
		nr := *r
		nr.Peers = PeersIn(peers, pol.Namespace)
		return &nr, true
	})
}

// ProgramOf returns the program of the imported policies pols: in
// canonical order, governing the namespaces of its namespaced policies,
// cluster-wide when one is, with the default DNS server. Importers build
// their program with it.
func ProgramOf(pols []*Policy) *Program {
	p := &Program{DNS: DefaultDNSServer(), Policies: pols}
	governed := map[string]bool{}
	for _, pol := range pols {
		if pol.Namespace == "" {
			p.ClusterWide = true
		} else {
			governed[pol.Namespace] = true
		}
	}
	for ns := range governed {
		p.Governed = append(p.Governed, ns)
	}
	slices.Sort(p.Governed)
	sortPolicies(p.Policies)
	return p
}

// Merge returns one program holding the policies of progs in canonical
// order (by namespace, then span), the union of their governed namespaces,
// and cluster-wide when one is. Programs imported from different objects
// merge this way; the DNS server and the expectations are those of the
// first program. The policies are shared, not copied.
func Merge(progs ...*Program) *Program {
	out := &Program{DNS: DefaultDNSServer()}
	governed := map[string]bool{}
	for i, p := range progs {
		if p == nil {
			continue
		}
		if i == 0 {
			out.DNS = p.DNS
			out.Expectations = p.Expectations
		}
		out.Policies = append(out.Policies, p.Policies...)
		out.ClusterWide = out.ClusterWide || p.ClusterWide
		for _, ns := range p.Governed {
			governed[ns] = true
		}
	}
	for ns := range governed {
		out.Governed = append(out.Governed, ns)
	}
	slices.Sort(out.Governed)
	sortPolicies(out.Policies)
	return out
}

// sortPolicies puts policies in canonical order (policyLess, stable).
func sortPolicies(pols []*Policy) {
	slices.SortStableFunc(pols, func(a, b *Policy) int {
		switch {
		case policyLess(a, b):
			return -1
		case policyLess(b, a):
			return 1
		}
		return 0
	})
}
