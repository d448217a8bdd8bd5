package compile

import (
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// policyState is a policy being built, with what the lint needs to know
// about where it came from.
type policyState struct {
	pol   *ir.Policy
	first source.Span    // the statement that created it
	group string         // the group the subject was named by, if any
	iso   [2]source.Span // the statements that first isolated ingress, egress
}

// lowerer builds the program: one policy per subject.
type lowerer struct {
	c     *compiler
	diags *diag.List
	byKey map[string]*policyState
	list  []*policyState
	// dnsIngress holds the server ends of "allow dns", written last.
	dnsIngress []pendingDNS
}

// lower turns the checked statements into the IR program, in canonical
// form (see package ir): one policy per subject, peers relative to the
// policy's namespace and de-duplicated, rules in source order, policies by
// namespace and first statement.
func (c *compiler) lower() diag.List {
	var diags diag.List
	l := &lowerer{c: c, diags: &diags, byKey: map[string]*policyState{}}
	prog := &ir.Program{DNS: c.dns}
	for ns := range c.governed {
		prog.Governed = append(prog.Governed, ns)
	}
	sort.Strings(prog.Governed)

	// The lint of reply rules reads the checked statements, which are
	// released below as they are lowered; its warnings wait for lint.
	c.lintReplies(&c.replies)
	for i := range c.stmts {
		st := &c.stmts[i]
		switch st.kind {
		case stmtDefaultDeny:
			if st.blk != nil {
				ps, _ := l.policy(blockAll(st.blk), st.blk, st.span)
				l.isolate(ps, st.dir, st.span)
			}
		case stmtIsolate:
			for _, u := range st.subjects {
				for _, rp := range u.peers {
					ps, ok := l.policy(rp, st.blk, st.span)
					if !ok {
						l.nothingToWrite(rp.span(), u.src)
						continue
					}
					l.isolate(ps, st.dir, st.span)
				}
			}
		case stmtAllowDNS:
			l.allowDNS(st)
		case stmtRule:
			l.rule(st)
		case stmtExpect:
			if st.expect != nil {
				prog.Expectations = append(prog.Expectations, st.expect)
			}
		}
		c.stmts[i] = checked{} // lowered: its peers and ports are the program's now
	}

	l.dnsServerEnds()
	sort.SliceStable(l.list, func(i, j int) bool {
		a, b := l.list[i], l.list[j]
		if a.pol.Namespace != b.pol.Namespace {
			return a.pol.Namespace < b.pol.Namespace
		}
		return source.Less(a.first, b.first)
	})
	for _, ps := range l.list {
		ir.SortRules(ps.pol.Rules)
		prog.Policies = append(prog.Policies, ps.pol)
		if ps.pol.Namespace == "" {
			prog.ClusterWide = true
		}
	}
	c.prog, c.policies = prog, l.list
	// No later stage reads the tables of resolve and check (only lowering
	// errors quote peers): release them before lint.
	c.stmts, c.peers, c.groups, c.groupList, c.groupOrder, c.blockOf = nil, nil, nil, nil, nil, nil
	return diags
}

// blockAll is every pod of a block: the subject of "default deny" and of
// "allow dns" without "for".
func blockAll(blk *block) rpeer {
	p := ir.Peer{Kind: ir.PeerPods, Span: blk.stmt.Span()}
	if blk.cluster {
		p.Namespace = ir.NamespaceRef{Scope: ir.NamespaceLabels}
	} else {
		p.Namespace = ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: blk.namespace}
	}
	return rpeer{peer: &p}
}

// subject says whether rp, used in a statement of blk, is governed: pods in
// a governed namespace named, or (in a clusterwide block) pods of every or
// label-selected namespaces, or nodes.
func (l *lowerer) subject(rp rpeer, blk *block) (ns string, subj ir.Subject, ok bool) {
	p := rp.irPeer()
	cluster := blk != nil && blk.cluster
	switch {
	case p.Kind == ir.PeerPods && p.Namespace.Scope == ir.NamespaceNamed && blk != nil && blk.ordered:
		// Ordered rules are cluster-wide admin rules: pods of a namespace by
		// name are a cluster-wide subject filtered by the namespace's name
		// label, governed or not.
		sel := ir.Selector{MatchLabels: []ir.Label{{Key: namespaceNameLabel, Value: p.Namespace.Name}}}
		return "", ir.Subject{Span: p.Span, Pods: p.Pods, Namespaces: &sel}, true
	case p.Kind == ir.PeerPods && p.Namespace.Scope == ir.NamespaceNamed && l.c.governed[p.Namespace.Name]:
		return p.Namespace.Name, ir.Subject{Span: p.Span, Pods: p.Pods}, true
	case p.Kind == ir.PeerPods && p.Namespace.Scope == ir.NamespaceLabels && cluster:
		subj = ir.Subject{Span: p.Span, Pods: p.Pods}
		if !p.Namespace.Labels.IsEmpty() {
			sel := p.Namespace.Labels
			subj.Namespaces = &sel
		}
		return "", subj, true
	case p.Kind == ir.PeerNodes && cluster:
		return "", ir.Subject{Span: p.Span, Nodes: true, Pods: p.Pods}, true
	}
	return "", ir.Subject{}, false
}

// policy returns the policy of rp's subject, creating it; ok is false when
// rp is not governed.
func (l *lowerer) policy(rp rpeer, blk *block, stmt source.Span) (*policyState, bool) {
	ns, subj, ok := l.subject(rp, blk)
	if !ok {
		return nil, false
	}
	// The subject is a function of the peer alone, so the peer's key is
	// the subject's.
	key := rp.key
	if key == "" {
		key = ir.PeerKey(*rp.peer)
	}
	if blk != nil && blk.ordered {
		// Each ordered block has its own policies, of its priority.
		key = "ordered " + strconv.Itoa(int(blk.priority)) + " " + key
	}
	if ps, ok := l.byKey[key]; ok {
		return ps, true
	}
	ps := &policyState{first: stmt, group: rp.group, pol: &ir.Policy{
		Span: stmt, Name: policyName(rp, subj), Namespace: ns, Subject: subj,
	}}
	if blk != nil && blk.ordered {
		ps.pol.Tier, ps.pol.Priority = ir.TierOrdered, blk.priority
	}
	l.byKey[key] = ps
	l.list = append(l.list, ps)
	return ps, true
}

// policyName derives a name from the group or the selector's values.
func policyName(rp rpeer, subj ir.Subject) string {
	if rp.group != "" {
		return rp.group
	}
	var words []string
	if subj.Nodes {
		words = append(words, "nodes")
	}
	if subj.Namespaces != nil {
		words = append(words, selectorWords(*subj.Namespaces)...)
	}
	words = append(words, selectorWords(subj.Pods)...)
	switch {
	case len(words) == 0:
		return "all-pods"
	case len(words) == 1 && subj.Nodes:
		return "all-nodes"
	}
	return strings.Join(words, "-")
}

func selectorWords(s ir.Selector) []string {
	var w []string
	for _, l := range s.MatchLabels {
		w = append(w, l.Value)
	}
	for _, e := range s.MatchExpressions {
		key := path.Base(e.Key)
		switch e.Operator {
		case ir.OpIn:
			w = append(w, e.Values...)
		case ir.OpNotIn:
			w = append(w, "not")
			w = append(w, e.Values...)
		case ir.OpExists:
			w = append(w, key)
		case ir.OpDoesNotExist:
			w = append(w, "no", key)
		}
	}
	return w
}

func (l *lowerer) isolate(ps *policyState, dir ast.Direction, stmt source.Span) {
	if dir != ast.DirEgress && !ps.pol.Isolation.Ingress {
		ps.pol.Isolation.Ingress, ps.iso[ir.Ingress] = true, stmt
	}
	if dir != ast.DirIngress && !ps.pol.Isolation.Egress {
		ps.pol.Isolation.Egress, ps.iso[ir.Egress] = true, stmt
	}
}

func (l *lowerer) nothingToWrite(at source.Span, p ast.Peer) {
	l.diags.Errorf(CodeNothingToWrite, at, msgNothingToWrite, l.c.quotePeer(p)).Detail = detailNothingToWrite
}

// peersIn returns the IR peers of rps in canonical form for a policy of
// namespace ns (ir.PeersIn).
func peersIn(rps []rpeer, ns string) []ir.Peer {
	if len(rps) == 1 {
		return []ir.Peer{ir.Relative(rps[0].irPeer(), ns)}
	}
	peers := make([]ir.Peer, len(rps))
	for i, rp := range rps {
		peers[i] = rp.irPeer()
	}
	return ir.PeersIn(peers, ns)
}

// rules builds the rules for peers with a target's traffic: one rule for
// "*", one for the ports (with the HTTP rules), one for ICMP.
//
// peers is the caller's own slice: the first rule takes it, the others
// get copies.
func rules(dir ir.Direction, action ir.Action, peers []ir.Peer, tr *traffic, span source.Span) []*ir.Rule {
	owned := false
	base := func() *ir.Rule {
		ps := peers
		if owned {
			ps = slices.Clone(peers)
		}
		owned = true
		return &ir.Rule{Span: span, Direction: dir, Action: action, Peers: ps}
	}
	out := make([]*ir.Rule, 0, 2)
	if tr.all {
		r := base()
		r.AllTraffic = true
		return append(out, r)
	}
	if len(tr.ports) > 0 {
		r := base()
		pr := ir.PortRule{Span: tr.span, Ports: slices.Clone(tr.ports)}
		if action == ir.Allow {
			pr.HTTP = slices.Clone(tr.http)
		}
		r.Ports = []ir.PortRule{pr}
		out = append(out, r)
	}
	if len(tr.icmp) > 0 {
		r := base()
		r.ICMP = slices.Clone(tr.icmp)
		out = append(out, r)
	}
	return out
}

func (l *lowerer) add(ps *policyState, rs []*ir.Rule, isolating bool, stmt source.Span) {
	if len(rs) == 0 {
		return
	}
	ps.pol.Rules = append(ps.pol.Rules, rs...)
	if isolating {
		dir := ast.DirIngress
		if rs[0].Direction == ir.Egress {
			dir = ast.DirEgress
		}
		l.isolate(ps, dir, stmt)
	}
}

func (l *lowerer) rule(st *checked) {
	blk := st.blk
	if blk == nil {
		return
	}
	action := ir.Allow
	switch {
	case st.deny:
		action = ir.Deny
	case st.pass:
		action = ir.Pass
	}
	// Ordered rules never isolate (ir.TierOrdered).
	isolating := action == ir.Allow && !st.nonIsolating && !blk.ordered
	span := st.span
	srcs := st.sources
	srcGoverned := make([]bool, len(srcs))
	for i := range srcs {
		s := &srcs[i]
		_, _, srcGoverned[i] = l.subject(*s, blk)
		if st.dir == ast.DirEgress && !srcGoverned[i] {
			l.nothingToWrite(s.span(), s.src)
		}
	}
	for ti := range st.targets {
		t := &st.targets[ti]
		tr, tps := t.traffic, t.peers
		if tr == nil {
			continue
		}
		// Egress: each governed source gets the target's peers.
		for si := range srcs {
			s := &srcs[si]
			if st.dir == ast.DirBoth && !srcGoverned[si] {
				for _, tp := range tps {
					if _, _, ok := l.subject(tp, blk); !ok {
						l.diags.Errorf(CodeNothingToWrite, tp.span(), msgNothingToWriteBoth,
							l.c.quotePeer(s.src), l.c.quotePeer(t.src)).Detail = detailNothingToWrite
					}
				}
			}
			if st.dir == ast.DirIngress || !srcGoverned[si] {
				continue
			}
			ps, _ := l.policy(*s, blk, span)
			if peers := peersIn(tps, ps.pol.Namespace); len(peers) > 0 {
				l.add(ps, rules(ir.Egress, action, peers, tr, span), isolating, span)
			}
		}
		// Ingress: all sources towards one target subject are one rule.
		for tpi := range tps {
			if st.dir == ast.DirEgress {
				break
			}
			tp := &tps[tpi]
			ps, ok := l.policy(*tp, blk, span)
			if !ok {
				if st.dir == ast.DirIngress {
					l.nothingToWrite(tp.span(), t.src)
				}
				continue
			}
			if peers := peersIn(srcs, ps.pol.Namespace); len(peers) > 0 {
				l.add(ps, rules(ir.Ingress, action, peers, tr, span), isolating, span)
			}
		}
	}
}

func (l *lowerer) allowDNS(st *checked) {
	blk := st.blk
	if blk == nil {
		return
	}
	type subj struct {
		rp  rpeer
		src ast.Peer
	}
	var subjects []subj
	if len(st.subjects) == 0 {
		subjects = append(subjects, subj{rp: blockAll(blk)})
	}
	for _, u := range st.subjects {
		for _, rp := range u.peers {
			subjects = append(subjects, subj{rp, u.src})
		}
	}
	dns := l.c.dns
	var clients []rpeer
	for _, sj := range subjects {
		ps, ok := l.policy(sj.rp, blk, st.span)
		if !ok {
			l.nothingToWrite(sj.rp.span(), sj.src)
			continue
		}
		clients = append(clients, sj.rp)
		l.add(ps, []*ir.Rule{ir.DNSRule(dns, ps.pol.Namespace, st.lookups, st.span)}, !blk.ordered, st.span)
	}
	if blk.ordered && len(clients) > 0 {
		// An ordered "allow dns" admits both ends, as an ordered arrow
		// from its pods to the DNS server would: the server's side is an
		// ordered rule of the block too, whether or not the server's pods
		// are isolated.
		server := ir.DNSServerPeer(dns, "")
		sps, _ := l.policy(rpeer{peer: &server}, blk, st.span)
		r := &ir.Rule{Span: st.span, Direction: ir.Ingress, Action: ir.Allow,
			Peers: peersIn(clients, ""), Ports: []ir.PortRule{{Span: st.span, Ports: ir.DNSPorts(dns, st.span)}}}
		l.add(sps, []*ir.Rule{r}, false, st.span)
		return
	}
	if len(clients) > 0 {
		server := ir.DNSServerPeer(dns, "")
		l.dnsIngress = append(l.dnsIngress, pendingDNS{server: server, clients: clients, ports: ir.DNSPorts(dns, st.span), blk: blk, span: st.span})
	}
}

// pendingDNS is the server's end of an "allow dns", written once every
// statement is lowered (see dnsServerEnds).
type pendingDNS struct {
	server  ir.Peer
	clients []rpeer
	ports   []ir.Port
	blk     *block
	span    source.Span
}

// dnsServerEnds writes the ingress side of each "allow dns" on the DNS
// server's pods when the program governs the server's namespace AND isolates
// those pods for ingress (by "default deny", "isolate" or another rule):
// then, as for an arrow, both ends must allow. Unlike an arrow, "allow dns"
// never isolates the DNS server itself, which would cut off name resolution
// for every namespace the program does not govern. No DNS lookup rules on
// this side: Cilium filters lookups on egress only.
func (l *lowerer) dnsServerEnds() {
	// Whether the server's pods are isolated is asked once per subject
	// (every entry has the same server): the answer cannot change from one
	// entry to the next, since an entry only adds to pods already isolated.
	isolated := map[string]bool{}
	for _, d := range l.dnsIngress {
		ns, subj, ok := l.subject(rpeer{peer: &d.server}, d.blk)
		if !ok {
			continue
		}
		key := ns + "/" + subj.Pods.String()
		iso, known := isolated[key]
		if !known {
			iso = l.ingressIsolated(ns, subj.Pods)
			isolated[key] = iso
		}
		if !iso {
			continue
		}
		sps, _ := l.policy(rpeer{peer: &d.server}, d.blk, d.span)
		r := &ir.Rule{Span: d.span, Direction: ir.Ingress, Action: ir.Allow,
			Peers: peersIn(d.clients, sps.pol.Namespace), Ports: []ir.PortRule{{Span: d.span, Ports: d.ports}}}
		// The pods are isolated already, so isolating them here too changes
		// nothing (and keeps the rule expressible on NetworkPolicy).
		l.add(sps, []*ir.Rule{r}, true, d.span)
	}
}

// ingressIsolated reports whether some policy of namespace ns (or a
// cluster-wide pod policy of every namespace) surely isolates, for ingress,
// the pods that pods selects. It answers false when it cannot tell (a server
// selector with expressions, a cluster-wide policy filtered by namespace
// labels): then nothing is written, and an expectation shows what happens.
func (l *lowerer) ingressIsolated(ns string, pods ir.Selector) bool {
	if len(pods.MatchExpressions) > 0 {
		return false
	}
	labels := map[string]string{}
	for _, lb := range pods.MatchLabels {
		labels[lb.Key] = lb.Value
	}
	for _, ps := range l.list {
		pol := ps.pol
		if !pol.Isolation.Ingress || pol.Subject.Nodes || pol.Subject.Namespaces != nil || (pol.Namespace != ns && pol.Namespace != "") {
			continue
		}
		if pol.Subject.Pods.Matches(labels) {
			return true
		}
	}
	return false
}
