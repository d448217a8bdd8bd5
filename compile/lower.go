package compile

import (
	"path"
	"slices"
	"sort"
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

// lower turns the checked statements into the IR program, then lints it
// (duplicate, shadowed and reply rules, egress without DNS) and validates
// the IR invariants.
func (c *compiler) lower() diag.List {
	var diags diag.List
	l := &lowerer{c: c, diags: &diags, byKey: map[string]*policyState{}}
	prog := &ir.Program{DNS: c.dns}
	for ns := range c.governed {
		prog.Governed = append(prog.Governed, ns)
	}
	sort.Strings(prog.Governed)

	for _, f := range c.order {
		for _, s := range f.Stmts {
			blk := c.blockOf[s]
			switch s := s.(type) {
			case *ast.DefaultDeny:
				if blk == nil {
					continue
				}
				ps, _ := l.policy(blockAll(blk), blk, s.Span())
				l.isolate(ps, s.Dir, s.Span())
			case *ast.Isolate:
				for _, p := range s.Subjects {
					for _, rp := range c.peers[p] {
						ps, ok := l.policy(rp, blk, s.Span())
						if !ok {
							l.nothingToWrite(rp.peer.Span, p)
							continue
						}
						l.isolate(ps, s.Dir, s.Span())
					}
				}
			case *ast.AllowDNS:
				l.allowDNS(s, blk)
			case *ast.Rule:
				l.rule(s, blk)
			case *ast.Expect:
				if x := c.expects[s]; x != nil {
					prog.Expectations = append(prog.Expectations, x)
				}
			}
		}
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
		prog.Policies = append(prog.Policies, ps.pol)
		if ps.pol.Namespace == "" {
			prog.ClusterWide = true
		}
	}
	c.prog = prog
	if diags.HasErrors() {
		return diags
	}
	l.lint(prog)
	if err := ir.Validate(prog); err != nil {
		diags.Errorf(CodeInternal, source.Span{}, msgInternal, err)
	}
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
	return rpeer{peer: p}
}

// subject says whether rp, used in a statement of blk, is governed: pods in
// a governed namespace named, or (in a clusterwide block) pods of every or
// label-selected namespaces, or nodes.
func (l *lowerer) subject(rp rpeer, blk *block) (ns string, subj ir.Subject, ok bool) {
	p := rp.peer
	cluster := blk != nil && blk.cluster
	switch {
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
	key := ns + "\x00" + subj.Pods.String()
	if subj.Namespaces != nil {
		key += "\x00ns" + subj.Namespaces.String()
	}
	if subj.Nodes {
		key += "\x00nodes"
	}
	if ps, ok := l.byKey[key]; ok {
		return ps, true
	}
	ps := &policyState{first: stmt, group: rp.group, pol: &ir.Policy{
		Span: stmt, Name: policyName(rp, subj), Namespace: ns, Subject: subj,
	}}
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

// relativize makes a pod peer in the policy's own namespace refer to "the
// policy's namespace".
func relativize(p ir.Peer, ns string) ir.Peer {
	if ns != "" && p.Kind == ir.PeerPods && p.Namespace.Scope == ir.NamespaceNamed && p.Namespace.Name == ns {
		p.Namespace = ir.NamespaceRef{Scope: ir.NamespacePolicy}
	}
	return p
}

// peersFor relativizes and de-duplicates peers for a policy in ns.
func peersFor(rps []rpeer, ns string) []ir.Peer {
	var out []ir.Peer
	seen := map[string]bool{}
	for _, rp := range rps {
		p := relativize(rp.peer, ns)
		k := ir.FormatPeer(p)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	return out
}

// rules builds the rules for peers with a target's traffic: one rule for
// "*", one for the ports (with the HTTP rules), one for ICMP.
func rules(dir ir.Direction, action ir.Action, peers []ir.Peer, tr *traffic, span source.Span) []*ir.Rule {
	base := func() *ir.Rule {
		return &ir.Rule{Span: span, Direction: dir, Action: action, Peers: slices.Clone(peers)}
	}
	var out []*ir.Rule
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

func (l *lowerer) rule(r *ast.Rule, blk *block) {
	if blk == nil {
		return
	}
	action := ir.Allow
	if r.Deny {
		action = ir.Deny
	}
	isolating := !r.Deny && !r.NonIsolating
	span := r.Span()
	var srcs []rpeer
	for _, p := range r.Sources {
		srcs = append(srcs, l.c.peers[p]...)
	}
	srcGoverned := make([]bool, len(srcs))
	for i, s := range srcs {
		_, _, srcGoverned[i] = l.subject(s, blk)
		if r.Dir == ast.DirEgress && !srcGoverned[i] {
			l.nothingToWrite(s.peer.Span, s.src)
		}
	}
	for i := range r.Targets {
		t := &r.Targets[i]
		tr := l.c.traffic[t]
		tps := l.c.peers[t.Peer]
		if tr == nil {
			continue
		}
		// Egress: each governed source gets the target's peers.
		for si, s := range srcs {
			if r.Dir == ast.DirBoth && !srcGoverned[si] {
				for _, tp := range tps {
					if _, _, ok := l.subject(tp, blk); !ok {
						l.diags.Errorf(CodeNothingToWrite, tp.peer.Span, msgNothingToWriteBoth,
							l.c.quotePeer(s.src), l.c.quotePeer(t.Peer)).Detail = detailNothingToWrite
					}
				}
			}
			if r.Dir == ast.DirIngress || !srcGoverned[si] {
				continue
			}
			ps, _ := l.policy(s, blk, span)
			if peers := peersFor(tps, ps.pol.Namespace); len(peers) > 0 {
				l.add(ps, rules(ir.Egress, action, peers, tr, span), isolating, span)
			}
		}
		// Ingress: all sources towards one target subject are one rule.
		for _, tp := range tps {
			if r.Dir == ast.DirEgress {
				break
			}
			ps, ok := l.policy(tp, blk, span)
			if !ok {
				if r.Dir == ast.DirIngress {
					l.nothingToWrite(tp.peer.Span, t.Peer)
				}
				continue
			}
			if peers := peersFor(srcs, ps.pol.Namespace); len(peers) > 0 {
				l.add(ps, rules(ir.Ingress, action, peers, tr, span), isolating, span)
			}
		}
	}
}

func (l *lowerer) allowDNS(s *ast.AllowDNS, blk *block) {
	if blk == nil {
		return
	}
	type subj struct {
		rp  rpeer
		src ast.Peer
	}
	var subjects []subj
	if len(s.For) == 0 {
		subjects = append(subjects, subj{rp: blockAll(blk)})
	}
	for _, p := range s.For {
		for _, rp := range l.c.peers[p] {
			subjects = append(subjects, subj{rp, p})
		}
	}
	var lookups []ir.FQDN
	for _, lk := range s.Lookups {
		var d diag.List // already checked
		f, _ := fqdn(&d, lk)
		lookups = append(lookups, f)
	}
	dns := l.c.dns
	server := ir.Peer{Span: dns.Span, Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: dns.Namespace}, Pods: dns.Pods}
	dnsPorts := func() []ir.Port {
		return []ir.Port{
			{Span: s.Span(), Protocol: ir.UDP, Port: dns.Port},
			{Span: s.Span(), Protocol: ir.TCP, Port: dns.Port},
		}
	}
	var clients []rpeer
	for _, sj := range subjects {
		ps, ok := l.policy(sj.rp, blk, s.Span())
		if !ok {
			l.nothingToWrite(sj.rp.peer.Span, sj.src)
			continue
		}
		clients = append(clients, sj.rp)
		pr := ir.PortRule{Span: s.Span(), Ports: dnsPorts(), DNS: slices.Clone(lookups)}
		r := &ir.Rule{Span: s.Span(), Direction: ir.Egress, Action: ir.Allow,
			Peers: []ir.Peer{relativize(server, ps.pol.Namespace)}, Ports: []ir.PortRule{pr}, DNS: true}
		l.add(ps, []*ir.Rule{r}, true, s.Span())
	}
	if len(clients) > 0 {
		l.dnsIngress = append(l.dnsIngress, pendingDNS{server: server, clients: clients, ports: dnsPorts(), blk: blk, span: s.Span()})
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
	for _, d := range l.dnsIngress {
		ns, subj, ok := l.subject(rpeer{peer: d.server}, d.blk)
		if !ok || !l.ingressIsolated(ns, subj.Pods) {
			continue
		}
		sps, _ := l.policy(rpeer{peer: d.server}, d.blk, d.span)
		r := &ir.Rule{Span: d.span, Direction: ir.Ingress, Action: ir.Allow,
			Peers: peersFor(d.clients, sps.pol.Namespace), Ports: []ir.PortRule{{Span: d.span, Ports: d.ports}}}
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
