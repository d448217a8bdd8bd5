package ir

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"

	"github.com/netpolc/netpolc/lang/source"
)

// Validate checks the invariants listed in the package documentation:
// non-empty peer and port lists (unless AllTraffic), exactly one kind of
// traffic per rule, canonical CIDRs with strictly contained excepts,
// normalized selectors, well-formed ports, L7 rules only where they can
// apply, and the canonical form: policies ordered by namespace and span,
// rules by RuleLess, peers relative to their policy's namespace and unique
// by PeerKey within a rule, DNS rules of DNSRule's shape. It returns every
// violation found, joined.
func Validate(p *Program) error {
	v := &validator{}
	if p == nil {
		return errors.New("nil program")
	}
	if !sort.StringsAreSorted(p.Governed) {
		v.errf("governed namespaces are not sorted")
	}
	v.selector(place{what: "dns server", index: -1, rule: -1}, p.DNS.Pods)
	if p.DNS.Namespace == "" || p.DNS.Port == 0 {
		v.errf("dns server: missing namespace or port")
	}
	for i, pol := range p.Policies {
		if pol == nil {
			v.errf("policy %d: nil", i)
			continue
		}
		where := place{what: "policy", index: i, name: pol.Name, rule: -1}
		if i > 0 && p.Policies[i-1] != nil && policyLess(pol, p.Policies[i-1]) {
			v.errf("%s: policies not ordered by namespace and span", where)
		}
		v.selector(where.at("subject"), pol.Subject.Pods)
		if pol.Subject.Namespaces != nil {
			if pol.Namespace != "" {
				v.errf("%s: namespace selector on a namespaced subject", where)
			}
			v.selector(where.at("subject namespaces"), *pol.Subject.Namespaces)
		}
		if pol.Subject.Nodes && pol.Namespace != "" {
			v.errf("%s: node subject in a namespace", where)
		}
		v.tier(where, pol)
		for j, r := range pol.Rules {
			rw := where
			rw.rule = j
			v.rule(rw, r)
			if r == nil {
				continue
			}
			if j > 0 && pol.Rules[j-1] != nil && RuleLess(r, pol.Rules[j-1]) {
				v.errf("%s: rules not in canonical order", rw)
			}
			v.canonicalPeers(rw, r, pol.Namespace)
			if r.DNS {
				v.dnsRule(rw, r, p.DNS, pol.Namespace)
			}
		}
	}
	for i, x := range p.Expectations {
		where := place{what: "expectation", index: i, rule: -1}
		v.peer(where.at("from"), x.From.Peer)
		v.peer(where.at("to"), x.To.Peer)
		if x.ICMP == nil {
			v.port(where, x.Port)
		}
	}
	return errors.Join(v.errs...)
}

type validator struct{ errs []error }

// tier checks the invariants of tiers: ordered policies are cluster-wide,
// never isolate and have no L7 rules; only they have a priority (0 to 1000)
// and Pass rules.
func (v *validator) tier(where place, pol *Policy) {
	switch pol.Tier {
	case TierDefault:
		if pol.Priority != 0 {
			v.errf("%s: priority %d on a policy of the default tier", where, pol.Priority)
		}
		for j, r := range pol.Rules {
			if r != nil && r.Action == Pass {
				rw := where
				rw.rule = j
				v.errf("%s: pass rule in a policy of the default tier", rw)
			}
		}
	case TierOrdered:
		if pol.Namespace != "" {
			v.errf("%s: ordered policy in namespace %s (ordered policies are cluster-wide)", where, pol.Namespace)
		}
		if pol.Isolation != (Isolation{}) {
			v.errf("%s: ordered policy isolates", where)
		}
		if pol.Priority < 0 || pol.Priority > MaxPriority {
			v.errf("%s: priority %d out of range (0-%d)", where, pol.Priority, MaxPriority)
		}
		for j, r := range pol.Rules {
			if r == nil {
				continue
			}
			for _, pr := range r.Ports {
				if len(pr.HTTP) > 0 || len(pr.DNS) > 0 {
					rw := where
					rw.rule = j
					v.errf("%s: L7 rules in an ordered policy", rw)
				}
			}
		}
	default:
		v.errf("%s: unknown tier %d", where, int(pol.Tier))
	}
}

// place says where in the program a check is, for messages; it is only
// formatted when something is wrong.
type place struct {
	what  string // "policy", "expectation", "dns server"
	index int    // -1: none
	name  string // the policy's name
	rule  int    // -1: not in a rule
	part  string // e.g. "pods", "subject namespaces"
}

// at returns p narrowed to a part.
func (p place) at(part string) place {
	if p.part != "" {
		part = p.part + " " + part
	}
	p.part = part
	return p
}

func (p place) String() string {
	s := p.what
	if p.index >= 0 {
		s += " " + strconv.Itoa(p.index)
	}
	if p.name != "" {
		s += " (" + p.name + ")"
	}
	if p.rule >= 0 {
		s += " rule " + strconv.Itoa(p.rule)
	}
	if p.part != "" {
		s += " " + p.part
	}
	return s
}

// policyLess is the order of a program's policies: by namespace (cluster-wide
// first), then by span.
func policyLess(a, b *Policy) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return source.Less(a.Span, b.Span)
}

// canonicalPeers checks that r's peers are relative to the policy's
// namespace ns and unique by PeerKey.
func (v *validator) canonicalPeers(where place, r *Rule, ns string) {
	seen := make(map[string]bool, len(r.Peers))
	for i := range r.Peers {
		p := &r.Peers[i]
		if ns != "" && p.Kind == PeerPods && p.Namespace.Scope == NamespaceNamed && p.Namespace.Name == ns {
			v.errf("%s: peer %s names the policy's own namespace (want the relative form)", where, FormatPeer(*p))
		}
		if len(r.Peers) == 1 {
			break // nothing can repeat
		}
		k := PeerKey(*p)
		if seen[k] {
			v.errf("%s: peer %s repeated", where, k)
		}
		seen[k] = true
	}
}

// dnsRule checks that a rule marked DNS has the shape DNSRule builds.
func (v *validator) dnsRule(where place, r *Rule, dns DNSServer, ns string) {
	want := DNSRule(dns, ns, nil, r.Span)
	ok := r.Direction == Egress && r.Action == Allow && !r.AllTraffic && len(r.ICMP) == 0 &&
		len(r.Peers) == 1 && PeerKey(r.Peers[0]) == PeerKey(want.Peers[0]) && len(r.Ports) == 1 &&
		len(r.Ports[0].HTTP) == 0 && len(r.Ports[0].Ports) == len(want.Ports[0].Ports)
	if ok {
		for i, pt := range r.Ports[0].Ports {
			w := want.Ports[0].Ports[i]
			ok = ok && pt.Protocol == w.Protocol && pt.Port == w.Port && pt.EndPort == 0 && pt.Name == ""
		}
	}
	if !ok {
		v.errf("%s: a DNS rule that is not DNSRule's egress to the DNS server", where)
	}
}

func (v *validator) errf(format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf(format, args...))
}

func (v *validator) rule(where place, r *Rule) {
	if r == nil {
		v.errf("%s: nil", where)
		return
	}
	if len(r.Peers) == 0 {
		v.errf("%s: no peers", where)
	}
	for _, p := range r.Peers {
		v.peer(where, p)
		if p.Kind == PeerFQDN && (r.Direction != Egress || r.Action != Allow) {
			v.errf("%s: DNS names only in allow egress rules", where)
		}
		if p.Kind == PeerService && r.Direction != Egress {
			v.errf("%s: services only in egress rules", where)
		}
	}
	kinds := 0
	if r.AllTraffic {
		kinds++
	}
	if len(r.Ports) > 0 {
		kinds++
	}
	if len(r.ICMP) > 0 {
		kinds++
	}
	if kinds != 1 {
		v.errf("%s: %d kinds of traffic (want exactly one of all traffic, ports, ICMP)", where, kinds)
	}
	for _, pr := range r.Ports {
		if len(pr.Ports) == 0 {
			v.errf("%s: port rule without ports", where)
		}
		for _, pt := range pr.Ports {
			v.port(where, pt)
			if len(pr.HTTP) > 0 && (pt.Protocol != TCP || (pt.Port == 0 && pt.Name == "")) {
				v.errf("%s: HTTP rules on %s", where, FormatPort(pt))
			}
		}
		if len(pr.HTTP) > 0 && r.Action != Allow {
			v.errf("%s: HTTP rules in a deny rule", where)
		}
		if len(pr.DNS) > 0 && (r.Action != Allow || r.Direction != Egress) {
			v.errf("%s: DNS rules outside an allow egress rule", where)
		}
	}
	for _, t := range r.ICMP {
		if t.Family != ICMPv4 && t.Family != ICMPv6 {
			v.errf("%s: ICMP family %q", where, t.Family)
		}
	}
}

func (v *validator) port(where place, p Port) {
	switch p.Protocol {
	case TCP, UDP, SCTP, ProtoAny:
	default:
		v.errf("%s: protocol %q", where, p.Protocol)
	}
	switch {
	case p.Name != "":
		if p.Port != 0 || p.EndPort != 0 {
			v.errf("%s: named port %q with a number", where, p.Name)
		}
	case p.Port == 0:
		if p.EndPort != 0 {
			v.errf("%s: range end without a start", where)
		}
	case p.EndPort != 0 && p.EndPort < p.Port:
		v.errf("%s: range %d-%d ends before it starts", where, p.Port, p.EndPort)
	}
}

func (v *validator) peer(where place, p Peer) {
	switch p.Kind {
	case PeerPods:
		v.selector(where.at("pods"), p.Pods)
		switch p.Namespace.Scope {
		case NamespacePolicy:
		case NamespaceNamed:
			if p.Namespace.Name == "" {
				v.errf("%s: named namespace without a name", where)
			}
		case NamespaceLabels:
			v.selector(where.at("namespaces"), p.Namespace.Labels)
		default:
			v.errf("%s: namespace scope %d", where, p.Namespace.Scope)
		}
	case PeerNodes:
		v.selector(where.at("nodes"), p.Pods)
	case PeerCIDR:
		if !p.CIDR.IsValid() {
			v.errf("%s: invalid CIDR", where)
			return
		}
		if p.CIDR.Masked() != p.CIDR {
			v.errf("%s: CIDR %s is not canonical", where, p.CIDR)
		}
		if !slices.IsSortedFunc(p.Except, func(a, b netip.Prefix) int {
			if c := a.Addr().Compare(b.Addr()); c != 0 {
				return c
			}
			return a.Bits() - b.Bits()
		}) {
			v.errf("%s: excepts are not sorted", where)
		}
		for _, e := range p.Except {
			if !e.IsValid() || e.Masked() != e {
				v.errf("%s: except %s is not canonical", where, e)
			}
			if e.Addr().Is4() != p.CIDR.Addr().Is4() || e.Bits() <= p.CIDR.Bits() || !p.CIDR.Contains(e.Addr()) {
				v.errf("%s: except %s is not strictly inside %s", where, e, p.CIDR)
			}
		}
	case PeerEntity:
		if !slices.Contains(Entities, p.Entity) {
			v.errf("%s: unknown entity %q", where, p.Entity)
		}
	case PeerFQDN:
		if p.FQDN.Pattern == "" {
			v.errf("%s: empty DNS name", where)
		}
	case PeerService:
		if p.Service.Namespace == "" || (p.Service.Name == "") == (p.Service.Selector == nil) {
			v.errf("%s: a service needs a namespace and either a name or a selector", where)
		}
		if p.Service.Selector != nil {
			v.selector(where.at("service"), *p.Service.Selector)
		}
	case PeerAny:
	default:
		v.errf("%s: peer kind %d", where, p.Kind)
	}
}

// selector checks that s is normalized: sorted, without duplicates, with
// unique matchLabels keys.
func (v *validator) selector(where place, s Selector) {
	for i := 1; i < len(s.MatchLabels); i++ {
		if s.MatchLabels[i-1].Key >= s.MatchLabels[i].Key {
			v.errf("%s: matchLabels not sorted or keys not unique", where)
			break
		}
	}
	for i, e := range s.MatchExpressions {
		if i > 0 && s.MatchExpressions[i-1].sortKey() >= e.sortKey() {
			v.errf("%s: matchExpressions not sorted or not unique", where)
		}
		for j := 1; j < len(e.Values); j++ {
			if e.Values[j-1] >= e.Values[j] {
				v.errf("%s: values of %s not sorted or not unique", where, e.Key)
				break
			}
		}
		switch e.Operator {
		case OpIn, OpNotIn:
			if len(e.Values) == 0 {
				v.errf("%s: %s %s without values", where, e.Key, e.Operator)
			}
		case OpExists, OpDoesNotExist:
			if len(e.Values) != 0 {
				v.errf("%s: %s %s with values", where, e.Key, e.Operator)
			}
		default:
			v.errf("%s: operator %q", where, e.Operator)
		}
	}
}
