package compile

import (
	"cmp"
	"slices"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
)

// lint warns about rules that have no effect or an effect the author
// probably did not intend: duplicates, rules shadowed by earlier ones,
// "reply" rules, and egress isolation that cuts pods off from DNS. It reads
// the lowered program and changes nothing; the warnings about reply rules,
// which read the checked statements, were found by lower before it
// released them.
func (c *compiler) lint() diag.List {
	var diags diag.List
	var sc lintScratch
	for _, ps := range c.policies {
		lintPolicy(&diags, ps.pol, &sc)
	}
	diags.Append(c.replies)
	c.lintDNS(&diags)
	return diags
}

// lintPolicy warns at rules that repeat or are covered by an earlier rule of
// the same policy, direction and action. sc is reused from policy to
// policy.
func lintPolicy(diags *diag.List, p *ir.Policy, sc *lintScratch) {
	// A rule's text (ir.FormatRule) decides whether two rules are the same;
	// it is computed once, and only for rules that pass mayBeSame.
	keys := make([]string, len(p.Rules))
	key := func(i int) string {
		if keys[i] == "" {
			keys[i] = ir.FormatRule(p.Rules[i])
		}
		return keys[i]
	}
	// The rules are indexed by coverBuckets, so that each rule is compared
	// only with the earlier rules that might repeat or cover it: linear
	// time for a server with many clients, instead of every pair. The
	// index is one sorted slice: (bucket, rule) pairs.
	index := sc.index[:0]
	for i, r := range p.Rules {
		for pi := range r.Peers {
			index = append(index, indexEntry{ruleBucket{r.Direction, r.Action, bucketOf(&r.Peers[pi])}, i})
		}
	}
	slices.SortFunc(index, compareIndexEntries)
	index = slices.Compact(index)
	sc.index = index
	for i, r := range p.Rules {
		cands := sc.cands[:0]
		sc.lbs = candidateBuckets(sc.lbs[:0], r)
		for _, lb := range sc.lbs {
			b := ruleBucket{r.Direction, r.Action, lb}
			k, _ := slices.BinarySearchFunc(index, b, func(e indexEntry, b ruleBucket) int { return compareRuleBuckets(e.bucket, b) })
			for ; k < len(index) && index[k].bucket == b && index[k].rule < i; k++ {
				cands = append(cands, index[k].rule)
			}
		}
		slices.Sort(cands)
		cands = slices.Compact(cands)
		sc.cands = cands
		for _, j := range cands { // in rule order: the first that decides is named
			q := p.Rules[j]
			if mayBeSame(q, r) && key(j) == key(i) {
				if q.Span == r.Span {
					break // one statement lowered twice into the same policy (e.g. a, a -> b)
				}
				d := diags.Warnf(CodeDuplicateRule, r.Span, msgDuplicateRule)
				d.Notes = append(d.Notes, diag.Note{Span: q.Span, Message: noteDuplicateRule})
				break
			}
			if ruleCovers(q, r) {
				d := diags.Warnf(CodeShadowedRule, r.Span, msgShadowedRule)
				d.Detail = detailShadowedRule
				d.Notes = append(d.Notes, diag.Note{Span: q.Span, Message: noteShadowedRule})
				break
			}
		}
	}
}

// lintScratch is lintPolicy's memory, reused from policy to policy.
type lintScratch struct {
	index []indexEntry
	cands []int
	lbs   []labelBucket
}

// ruleBucket is where lintPolicy files a rule: its direction, action and
// the labelBucket of one of its peers.
type ruleBucket struct {
	dir ir.Direction
	act ir.Action
	lb  labelBucket
}

// indexEntry files rule (an index into the policy's rules) under bucket.
type indexEntry struct {
	bucket ruleBucket
	rule   int
}

func compareRuleBuckets(a, b ruleBucket) int {
	return cmp.Or(cmp.Compare(a.dir, b.dir), cmp.Compare(a.act, b.act), cmp.Compare(a.lb.kind, b.lb.kind),
		strings.Compare(a.lb.key, b.lb.key), strings.Compare(a.lb.value, b.lb.value),
		compareBool(a.lb.byNamespace, b.lb.byNamespace), cmp.Compare(a.lb.scope, b.lb.scope))
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func compareIndexEntries(a, b indexEntry) int {
	return cmp.Or(compareRuleBuckets(a.bucket, b.bucket), cmp.Compare(a.rule, b.rule))
}

// labelBucket is where lintPolicy files a rule, once per peer: under the
// first label a pod or node peer requires (a peer that requires app=a
// covers only peers that require app=a too); for a pod peer that requires
// no label, under its namespace when it names one or is the policy's (a
// peer of namespace N covers only peers of namespace N); else under
// anyBucket.
type labelBucket struct {
	kind       ir.PeerKind
	key, value string // a label; or, with byNamespace, value is the namespace
	// byNamespace files a pod peer by its namespace: scope NamespaceNamed
	// (value) or NamespacePolicy.
	byNamespace bool
	scope       ir.NamespaceScope
}

// anyBucket holds the rules with a peer that a label cannot narrow.
var anyBucket = labelBucket{kind: -1}

func bucketOf(p *ir.Peer) labelBucket {
	if (p.Kind == ir.PeerPods || p.Kind == ir.PeerNodes) && len(p.Pods.MatchLabels) > 0 {
		l := p.Pods.MatchLabels[0]
		return labelBucket{kind: p.Kind, key: l.Key, value: l.Value}
	}
	if b, ok := namespaceBucket(p); ok {
		return b
	}
	return anyBucket
}

// namespaceBucket is the bucket of a pod peer's namespace, when it names
// one or is the policy's.
func namespaceBucket(p *ir.Peer) (labelBucket, bool) {
	if p.Kind != ir.PeerPods {
		return labelBucket{}, false
	}
	switch p.Namespace.Scope {
	case ir.NamespaceNamed:
		return labelBucket{kind: p.Kind, value: p.Namespace.Name, byNamespace: true, scope: ir.NamespaceNamed}, true
	case ir.NamespacePolicy:
		return labelBucket{kind: p.Kind, byNamespace: true, scope: ir.NamespacePolicy}, true
	}
	return labelBucket{}, false
}

// candidateBuckets appends to out the buckets where a rule that repeats or
// covers r can be: such a rule covers r's first peer, so it has a peer
// filed under anyBucket, under a label that r's first peer requires (a
// matchLabels entry, or one value of an "in" requirement, which includes
// every way a selector can force a label's value), or under the namespace
// of r's first peer.
func candidateBuckets(out []labelBucket, r *ir.Rule) []labelBucket {
	out = append(out, anyBucket)
	if len(r.Peers) == 0 {
		return out
	}
	p := &r.Peers[0]
	if p.Kind != ir.PeerPods && p.Kind != ir.PeerNodes {
		return out
	}
	for _, l := range p.Pods.MatchLabels {
		out = append(out, labelBucket{kind: p.Kind, key: l.Key, value: l.Value})
	}
	for _, x := range p.Pods.MatchExpressions {
		if x.Operator == ir.OpIn {
			for _, v := range x.Values {
				out = append(out, labelBucket{kind: p.Kind, key: x.Key, value: v})
			}
		}
	}
	if b, ok := namespaceBucket(p); ok {
		out = append(out, b)
	}
	return out
}

// mayBeSame is a cheap necessary condition for two rules to have the same
// text: the same shape of traffic and peers.
func mayBeSame(q, r *ir.Rule) bool {
	if q.AllTraffic != r.AllTraffic || q.DNS != r.DNS || len(q.Peers) != len(r.Peers) ||
		len(q.Ports) != len(r.Ports) || len(q.ICMP) != len(r.ICMP) {
		return false
	}
	for i := range q.Ports {
		qp, rp := &q.Ports[i], &r.Ports[i]
		if len(qp.Ports) != len(rp.Ports) || len(qp.HTTP) != len(rp.HTTP) || len(qp.DNS) != len(rp.DNS) {
			return false
		}
		if len(qp.Ports) > 0 && (qp.Ports[0].Port != rp.Ports[0].Port || qp.Ports[0].Protocol != rp.Ports[0].Protocol) {
			return false
		}
	}
	for i := range q.Peers {
		if q.Peers[i].Kind != r.Peers[i].Kind {
			return false
		}
	}
	return true
}

// ruleCovers reports whether q allows (or denies) everything r does: every
// peer of r is inside a peer of q and every port of r inside q's traffic.
// q and r are rules of one policy (their peers are relative to the same
// namespace).
func ruleCovers(q, r *ir.Rule) bool {
	if !trafficCovers(q, r) { // the cheaper test first
		return false
	}
	for _, rp := range r.Peers {
		if !slices.ContainsFunc(q.Peers, func(qp ir.Peer) bool { return peerCovers(qp, rp) }) {
			return false
		}
	}
	return true
}

// peerCovers reports whether q includes p, both peers of rules of one
// policy (canonical form: NamespacePolicy is the policy's namespace, never
// written as NamespaceNamed).
func peerCovers(q, p ir.Peer) bool {
	if q.Kind == ir.PeerAny {
		return true
	}
	if q.Kind == ir.PeerEntity && q.Entity == ir.EntityAll {
		return true
	}
	if q.Kind != p.Kind {
		return false
	}
	switch q.Kind {
	case ir.PeerPods:
		nsOK := false
		switch {
		case q.Namespace.Scope == ir.NamespaceLabels && q.Namespace.Labels.IsEmpty():
			nsOK = true
		case q.Namespace.Scope == ir.NamespacePolicy:
			nsOK = p.Namespace.Scope == ir.NamespacePolicy
		case q.Namespace.Scope == ir.NamespaceNamed:
			nsOK = p.Namespace.Scope == ir.NamespaceNamed && p.Namespace.Name == q.Namespace.Name
		case q.Namespace.Scope == ir.NamespaceLabels:
			nsOK = p.Namespace.Scope == ir.NamespaceLabels && p.Namespace.Labels.Implies(q.Namespace.Labels)
		}
		return nsOK && p.Pods.Implies(q.Pods)
	case ir.PeerNodes:
		return p.Pods.Implies(q.Pods)
	case ir.PeerCIDR:
		return q.CIDRCovers(&p)
	case ir.PeerEntity:
		return q.Entity == p.Entity ||
			q.Entity == ir.EntityWorld && (p.Entity == ir.EntityWorldIPv4 || p.Entity == ir.EntityWorldIPv6)
	case ir.PeerFQDN:
		return q.FQDN.Covers(p.FQDN)
	case ir.PeerService:
		return ir.FormatPeer(q) == ir.FormatPeer(p)
	}
	return false
}

func trafficCovers(q, r *ir.Rule) bool {
	if q.AllTraffic {
		return true
	}
	if r.AllTraffic {
		return false
	}
	for _, it := range r.ICMP {
		if !slices.ContainsFunc(q.ICMP, func(qt ir.ICMPType) bool {
			return qt.Family == it.Family && (qt.Type == "" || qt.Type == it.Type)
		}) {
			return false
		}
	}
	for _, pr := range r.Ports {
		if !slices.ContainsFunc(q.Ports, func(qr ir.PortRule) bool { return portRuleCovers(qr, pr) }) {
			return false
		}
	}
	return true
}

func portRuleCovers(q, p ir.PortRule) bool {
	for _, pp := range p.Ports {
		if !slices.ContainsFunc(q.Ports, func(qp ir.Port) bool { return qp.Covers(pp) }) {
			return false
		}
	}
	if len(q.HTTP) > 0 {
		if len(p.HTTP) == 0 {
			return false
		}
		for _, h := range p.HTTP {
			if !slices.ContainsFunc(q.HTTP, func(g ir.HTTPRule) bool { return ir.FormatHTTPRule(g) == ir.FormatHTTPRule(h) }) {
				return false
			}
		}
	}
	if len(q.DNS) > 0 {
		if len(p.DNS) == 0 {
			return false
		}
		for _, f := range p.DNS {
			if !slices.ContainsFunc(q.DNS, func(g ir.FQDN) bool { return g.Covers(f) }) {
				return false
			}
		}
	}
	return true
}

// replyLike reports whether a target's ports look like the ports replies
// come back on: everything, every TCP port, or an ephemeral port range.
func replyLike(tr *traffic) bool {
	if tr.all {
		return true
	}
	for _, p := range tr.ports {
		if p.Name != "" {
			continue
		}
		if p.Port == 0 && (p.Protocol == ir.TCP || p.Protocol == ir.ProtoAny) {
			return true
		}
		if p.Port >= 1024 && p.EndPort >= 60999 {
			return true
		}
	}
	return false
}

// lintReplies warns at "b -> a:*" (or every TCP port, or an ephemeral
// range) when "a -> b" is allowed too, naming the first such arrow. Only
// the arrows that could be "a -> b" for some reply-like target are looked
// at, through an index of (source, target peer) pairs: linear time for a
// server with many clients on every port, instead of every pair of arrows.
func (c *compiler) lintReplies(diags *diag.List) {
	var arrows []*checked
	for i := range c.stmts {
		if st := &c.stmts[i]; st.kind == stmtRule && !st.deny && !st.pass {
			arrows = append(arrows, st)
		}
	}
	// fwd[{a, b}] holds the first two arrows (in order; -1: none) with a
	// among their sources and b among the peers of their targets, for
	// every a and b that "b -> a:*" asks about.
	type pair struct{ from, to string }
	fwd := map[pair][2]int{}
	for _, back := range arrows {
		for _, t := range back.targets {
			if t.traffic == nil || !replyLike(t.traffic) {
				continue
			}
			for i := range t.peers {
				for j := range back.sources {
					fwd[pair{t.peers[i].identity(), back.sources[j].identity()}] = [2]int{-1, -1}
				}
			}
		}
	}
	if len(fwd) == 0 {
		return
	}
	for n, st := range arrows {
		for i := range st.sources {
			from := st.sources[i].identity()
			for _, t := range st.targets {
				for j := range t.peers {
					k := pair{from, t.peers[j].identity()}
					f, ok := fwd[k]
					switch {
					case !ok || f[0] == n || f[1] != -1:
						continue
					case f[0] == -1:
						f[0] = n
					default:
						f[1] = n
					}
					fwd[k] = f
				}
			}
		}
	}
	for n, back := range arrows {
		for _, t := range back.targets {
			if t.traffic == nil || !replyLike(t.traffic) {
				continue
			}
			// The first other arrow a -> b: a among t's peers, b among
			// back's sources.
			first := -1
			for i := range t.peers {
				for j := range back.sources {
					for _, m := range fwd[pair{t.peers[i].identity(), back.sources[j].identity()}] {
						if m != -1 && m != n {
							if first == -1 || m < first {
								first = m
							}
							break
						}
					}
				}
			}
			if first == -1 {
				continue
			}
			// b: the first of back's sources that the arrow reaches.
			f := arrows[first]
			for _, b := range back.sources {
				if !slices.ContainsFunc(f.targets, func(ft checkedTarget) bool {
					return slices.ContainsFunc(ft.peers, func(x rpeer) bool { return x.identity() == b.identity() })
				}) {
					continue
				}
				bq, aq := c.quotePeer(b.src), c.quotePeer(t.src)
				d := diags.Warnf(CodeReplyRule, back.span, msgReplyRule, bq, aq, aq, bq)
				d.Detail = sprintf(detailReplyRule, bq, aq)
				d.Notes = append(d.Notes, diag.Note{Span: f.span, Message: noteReplyRule})
				break
			}
		}
	}
}

// lintDNS warns where egress isolation leaves pods without DNS.
func (c *compiler) lintDNS(diags *diag.List) {
	dns := c.prog.DNS
	reaches := func(p *ir.Policy) bool {
		if p == nil {
			return false
		}
		server := ir.DNSServerPeer(dns, p.Namespace)
		for _, r := range p.Rules {
			if r.Direction != ir.Egress || r.Action != ir.Allow {
				continue
			}
			if !slices.ContainsFunc(r.Peers, func(q ir.Peer) bool { return peerCovers(q, server) }) {
				continue
			}
			probe := &ir.Rule{Ports: []ir.PortRule{{Ports: []ir.Port{{Protocol: ir.UDP, Port: dns.Port}}}}}
			if r.AllTraffic || trafficCovers(stripL7(r), probe) {
				return true
			}
		}
		return false
	}
	// namespace -> its {} policies: one of the default tier, and (cluster-wide)
	// one per ordered block. An ordered allow to the DNS server counts as
	// reaching it (an earlier ordered rule might still deny or pass: this is
	// a warning, not a proof).
	allOf := map[string][]*ir.Policy{}
	for _, ps := range c.policies {
		s := ps.pol.Subject
		if s.Pods.IsEmpty() && s.Namespaces == nil && !s.Nodes {
			allOf[ps.pol.Namespace] = append(allOf[ps.pol.Namespace], ps.pol)
		}
	}
	for _, ps := range c.policies {
		p := ps.pol
		if !p.Isolation.Egress || p.Subject.Nodes {
			continue
		}
		if reaches(p) || slices.ContainsFunc(allOf[p.Namespace], reaches) || slices.ContainsFunc(allOf[""], reaches) {
			continue
		}
		who := ps.group
		if who == "" {
			who = ir.FormatPolicySubject(p)
		}
		d := diags.Warnf(CodeNoDNS, ps.iso[ir.Egress], msgNoDNS, who)
		d.Detail = sprintf(detailNoDNS, ir.FormatPeer(ir.DNSServerPeer(dns, "")), dns.Port)
	}
}

// stripL7 drops DNS lookup restrictions, which still let DNS through.
func stripL7(r *ir.Rule) *ir.Rule {
	c := *r
	c.Ports = nil
	for _, pr := range r.Ports {
		pr.DNS = nil
		c.Ports = append(c.Ports, pr)
	}
	return &c
}
