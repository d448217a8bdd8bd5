package compile

import (
	"net/netip"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// rpeer is a peer as resolved: one IR peer (pod peers carry an absolute
// namespace: Named or Labels, never NamespacePolicy), the group it came
// from, and the peer as written at the place of use.
//
// The IR peer is shared by every use of the peer (each use of a group
// points at the group's peers) and never modified: its Span is where it
// was converted. The span of this use is span(), and irPeer() is the IR
// peer with it.
type rpeer struct {
	peer  *ir.Peer
	group string   // "" when not from a group
	src   ast.Peer // nil for peers the compiler made (a block's pods, say)
	key   string   // ir.PeerKey(*peer), when resolvePeer made it ("": not known)
}

// span is where rp is used: its peer as written, else the IR peer's span.
func (rp *rpeer) span() source.Span {
	if rp.src != nil {
		return rp.src.Span()
	}
	return rp.peer.Span
}

// irPeer returns the IR peer of rp at the place of use (a copy: the
// shared peer is not modified).
func (rp *rpeer) irPeer() ir.Peer {
	p := *rp.peer
	p.Span = rp.span()
	return p
}

// identity returns ir.PeerKey(rp.peer), computed once where resolvePeer
// made rp.
func (rp *rpeer) identity() string {
	if rp.key != "" {
		return rp.key
	}
	return ir.PeerKey(*rp.peer)
}

// traffic is the lowered ports of one target.
type traffic struct {
	span  source.Span
	all   bool      // "*": every port of every protocol
	ports []ir.Port // numeric, ranges, named, every port of a protocol
	icmp  []ir.ICMPType
	http  []ir.HTTPRule // from the rule's http block
}

// stmtKind is the kind of a checked statement.
type stmtKind int

const (
	stmtDefaultDeny stmtKind = iota
	stmtIsolate
	stmtAllowDNS
	stmtRule
	stmtExpect
)

// checked is a statement that writes policy or a test, as check leaves it
// for lower: its block and its peers, ports and lookups as IR values, so
// that lower never looks at the syntax again.
type checked struct {
	kind stmtKind
	span source.Span
	blk  *block
	dir  ast.Direction // default deny, isolate, rule

	// isolate: the subjects; allow dns: the "for" peers (empty: the block).
	subjects []peerUse
	// allow dns: the names lookups are restricted to (empty: any).
	lookups []ir.FQDN

	// rule.
	deny, pass, nonIsolating bool
	sources                  []rpeer
	targets                  []checkedTarget

	// expect.
	expect *ir.Expectation
}

// peerUse is a peer as written and its IR peers.
type peerUse struct {
	src   ast.Peer
	peers []rpeer
}

// checkedTarget is one target of a rule: its peers and its traffic.
type checkedTarget struct {
	src     ast.Peer
	peers   []rpeer
	traffic *traffic
}

// check converts every peer, selector, port and name into IR values,
// checking them, and checks what each statement combines (HTTP with ports,
// deny with HTTP or DNS names, destination-only peers as sources, named
// ports towards addresses, the shape of expectations and of the dns
// server). It records the statements that lower turns into policy in
// c.stmts, in processing order.
func (c *compiler) check() diag.List {
	var diags diag.List
	c.dns = ir.DefaultDNSServer()

	// Groups, each in its declaring block (a relative group in each of
	// its namespaces).
	for _, g := range c.groupOrder {
		for _, blk := range g.block.each() {
			c.groupPeers(&diags, g, blk)
		}
	}

	n := 0 // the statements checkStmt records (once per namespace of a block of several)
	for _, f := range c.order {
		for _, s := range f.Stmts {
			switch s.(type) {
			case *ast.Rule, *ast.DefaultDeny, *ast.Isolate, *ast.AllowDNS, *ast.Expect:
				n++
			}
		}
	}
	c.stmts = make([]checked, 0, n)
	for fi, f := range c.order {
		for si, s := range f.Stmts {
			blk := c.blockOf[fi][si]
			switch s := s.(type) {
			case *ast.NamespaceDecl:
				for _, name := range s.Names() {
					checkNamespaceName(&diags, name)
				}
				continue
			case *ast.DNSServer:
				c.checkDNSServer(&diags, s, blk)
				continue
			}
			// A statement of a block of several namespaces is checked once
			// per namespace, as if the block were written once per
			// namespace; an error that does not depend on the namespace is
			// the same each time, and reported once (diag.List.Normalize).
			for _, in := range blk.each() {
				c.checkStmt(&diags, s, in)
			}
		}
	}
	return diags
}

// checkStmt checks a statement that writes policy or a test, applied in
// blk, and records it for lower.
func (c *compiler) checkStmt(diags *diag.List, s ast.Stmt, blk *block) {
	uses := func(ps []ast.Peer) []peerUse {
		out := make([]peerUse, 0, len(ps))
		for _, p := range ps {
			out = append(out, peerUse{src: p, peers: c.resolvePeer(diags, p, blk)})
		}
		return out
	}
	st := checked{span: s.Span(), blk: blk}
	ordered := blk != nil && blk.ordered
	switch s := s.(type) {
	case *ast.DefaultDeny:
		if ordered {
			diags.Errorf(CodeOrderedIsolation, s.Span(), msgOrderedIsolation, msgStmtDefault).Detail = detailOrderedIsolation
		}
		st.kind, st.dir = stmtDefaultDeny, s.Dir
	case *ast.Isolate:
		if ordered {
			diags.Errorf(CodeOrderedIsolation, s.Span(), msgOrderedIsolation, msgStmtIsolate).Detail = detailOrderedIsolation
		}
		st.kind, st.dir = stmtIsolate, s.Dir
		st.subjects = uses(s.Subjects)
	case *ast.AllowDNS:
		st.kind = stmtAllowDNS
		st.subjects = uses(s.For)
		for _, l := range s.Lookups {
			f, _ := fqdn(diags, l)
			st.lookups = append(st.lookups, f)
		}
		if ordered && len(s.Lookups) > 0 {
			at := source.Join(s.Lookups[0].Span(), s.Lookups[len(s.Lookups)-1].Span())
			diags.Errorf(CodeOrderedL7, at, msgOrderedLookups).Detail = detailOrderedL7
		}
	case *ast.Rule:
		switch {
		case s.Pass && !ordered:
			diags.Errorf(CodePassOutside, s.PassAt, msgPassOutside).Detail = detailPassOutside
		case s.NonIsolating && ordered:
			diags.Errorf(CodeOrderedIsolation, s.NonIsolatingAt, msgOrderedIsolation, msgStmtNonIsolating).Detail = detailOrderedIsolation
		}
		if s.HTTP != nil && ordered {
			diags.Errorf(CodeOrderedL7, s.HTTP.Span(), msgOrderedHTTP).Detail = detailOrderedL7
		}
		st.kind, st.dir, st.deny, st.pass, st.nonIsolating = stmtRule, s.Dir, s.Deny, s.Pass, s.NonIsolating
		st.sources, st.targets = c.checkRule(diags, s, blk)
	case *ast.Expect:
		st.kind = stmtExpect
		st.expect = c.checkExpect(diags, s, blk)
	default:
		return
	}
	c.stmts = append(c.stmts, st)
}

// groupPeers returns the IR peers of a group used in a statement of blk,
// converting its leaves in their declaring blocks, once. The result holds
// each peer once (by ir.PeerKey): a group that names the same peers twice
// (g2 = g1, g1) selects their union, and a group that only aliases another
// shares its peers.
//
// A leaf written without a namespace in a block of several namespaces is
// converted in the namespace the group is applied in: for a relative group
// that of blk (resolve checked that it is one of the group's), for any
// other group its declaring block's. A relative group's peers are kept per
// namespace.
func (c *compiler) groupPeers(diags *diag.List, g *group, blk *block) []rpeer {
	ctx := g.block
	if g.relative {
		if blk == nil || blk.cluster || blk.namespace == "" {
			blk = g.block.instances[0] // an error already (resolve)
		}
		ctx = blk
		if rps, ok := g.peersIn[ctx.namespace]; ok {
			return rps
		}
		if g.peersIn == nil {
			g.peersIn = map[string][]rpeer{}
		}
		g.peersIn[ctx.namespace] = nil // a cycle stops here
		rps := c.convertGroup(diags, g, ctx)
		g.peersIn[ctx.namespace] = rps
		return rps
	}
	if g.peersReady {
		return g.peers
	}
	g.peersReady = true
	g.peers = c.convertGroup(diags, g, ctx)
	return g.peers
}

// convertGroup converts g's leaves for groupPeers, applied in ctx.
func (c *compiler) convertGroup(diags *diag.List, g *group, ctx *block) []rpeer {
	var out []rpeer
	if _, ok := onlyPeer(g.decl).(*ast.GroupRef); ok {
		if h := g.alias; h != nil && len(h.leaves) > 0 {
			hp := c.groupPeers(diags, h, ctx)
			out = make([]rpeer, len(hp))
			for i, rp := range hp {
				rp.group = g.name
				out[i] = rp
			}
		}
		return out
	}
	seen := map[string]bool{}
	for _, lf := range g.leaves {
		// A leaf of a block of several namespaces is converted in one of
		// its instances (whose table caches it): for a pod selector
		// without a namespace, the instance of the namespace the group is
		// applied in; for another leaf, which does not depend on the
		// namespace, the first.
		blk := lf.block
		if blk.multi() {
			inst := blk.instances[0]
			if nsLess(lf) && ctx != nil {
				for _, in := range blk.instances {
					if in.namespace == ctx.namespace && !ctx.cluster {
						inst = in
					}
				}
			}
			blk = inst
		}
		for _, rp := range c.resolvePeer(diags, lf.peer, blk) {
			if k := rp.identity(); !seen[k] {
				seen[k] = true
				rp.group = g.name
				out = append(out, rp)
			}
		}
	}
	return out
}

// nsRef converts the namespace part of a pod peer; nil means the block's.
func (c *compiler) nsRef(diags *diag.List, ns ast.NamespaceRef, blk *block, at source.Span) (ir.NamespaceRef, bool) {
	switch ns := ns.(type) {
	case *ast.NamespaceName:
		checkNamespaceName(diags, ns.Name)
		return ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: ns.Name.Name}, true
	case *ast.NamespaceLabels:
		return ir.NamespaceRef{Scope: ir.NamespaceLabels, Labels: c.selector(diags, &ns.Selector)}, true
	}
	switch {
	case blk == nil:
		diags.Errorf(CodeNoNamespace, at, msgNoNamespace).Detail = detailNoNamespace
		return ir.NamespaceRef{Scope: ir.NamespaceLabels}, false
	case blk.cluster:
		return ir.NamespaceRef{Scope: ir.NamespaceLabels}, true
	default:
		return ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: blk.namespace}, true
	}
}

// resolvePeer turns a peer as written into IR peers and records them.
func (c *compiler) resolvePeer(diags *diag.List, p ast.Peer, blk *block) []rpeer {
	cache := c.peers
	if blk != nil && blk.of != nil {
		// An instance of a block of several namespaces: the same peer
		// as written may stand for other pods in each.
		if blk.peers == nil {
			blk.peers = map[ast.Peer][]rpeer{}
		}
		cache = blk.peers
	}
	if rps, ok := cache[p]; ok {
		return rps
	}
	span := p.Span()
	var out []rpeer
	add := func(ip ir.Peer, group string) {
		ip.Span = span
		out = append(out, rpeer{peer: &ip, group: group, src: p, key: ir.PeerKey(ip)})
	}
	switch p := p.(type) {
	case *ast.GroupRef:
		if g, ok := c.groups[p.Name.Name]; ok {
			gps := c.groupPeers(diags, g, blk)
			out = make([]rpeer, 0, len(gps))
			for _, rp := range gps {
				rp.group, rp.src = g.name, p
				out = append(out, rp) // the peer and its key are shared
			}
		}
	case *ast.PodPeer:
		ns, _ := c.nsRef(diags, p.Namespace, blk, span)
		switch {
		case p.Group != nil:
			if g, ok := c.groups[p.Group.Name]; ok {
				for _, sel := range podSelectors(g) {
					add(ir.Peer{Kind: ir.PeerPods, Namespace: ns, Pods: c.selector(diags, sel)}, g.name)
				}
			}
		default:
			add(ir.Peer{Kind: ir.PeerPods, Namespace: ns, Pods: c.selector(diags, p.Pods)}, "")
		}
	case *ast.CIDRPeer:
		ip := ir.Peer{Kind: ir.PeerCIDR}
		ip.CIDR, _ = parsePrefix(diags, p.CIDR)
		for _, e := range p.Except {
			ep, ok := parsePrefix(diags, e)
			if !ok || !ip.CIDR.IsValid() {
				continue
			}
			switch {
			case ep.Addr().Is4() != ip.CIDR.Addr().Is4():
				diags.Errorf(CodeExceptFamily, e.Span(), msgExceptFamily, e.Value, p.CIDR.Value)
			case ep.Bits() <= ip.CIDR.Bits() || !ip.CIDR.Contains(ep.Addr()):
				diags.Errorf(CodeExceptNotInside, e.Span(), msgExceptNotInside, e.Value, p.CIDR.Value).Detail = detailExceptInside
			default:
				ip.Except = append(ip.Except, ep)
			}
		}
		slices.SortFunc(ip.Except, comparePrefix)
		ip.Except = slices.Compact(ip.Except)
		if len(ip.Except) == 0 {
			ip.Except = nil
		}
		add(ip, "")
	case *ast.EntityPeer:
		add(ir.Peer{Kind: ir.PeerEntity, Entity: ir.Entity(p.Name)}, "")
	case *ast.FQDNPeer:
		f, _ := fqdn(diags, p.Pattern)
		add(ir.Peer{Kind: ir.PeerFQDN, FQDN: f}, "")
	case *ast.ServicePeer:
		checkNamespaceName(diags, p.Namespace)
		svc := ir.Service{Namespace: p.Namespace.Name}
		if p.Name != nil {
			if errs := validation.IsDNS1035Label(p.Name.Name); len(errs) > 0 {
				diags.Errorf(CodeBadServiceName, p.Name.Span(), msgBadServiceName, p.Name.Name).Detail = validationDetail(errs)
			}
			svc.Name = p.Name.Name
		} else {
			sel := c.selector(diags, p.Selector)
			svc.Selector = &sel
		}
		add(ir.Peer{Kind: ir.PeerService, Service: svc}, "")
	case *ast.NodePeer:
		add(ir.Peer{Kind: ir.PeerNodes, Pods: c.selector(diags, &p.Selector)}, "")
	case *ast.AnyPeer:
		add(ir.Peer{Kind: ir.PeerAny}, "")
	}
	cache[p] = out
	if _, ok := c.peers[p]; !ok && blk != nil && blk.of != nil {
		// For quotePeer only: no other block resolves a peer written in a
		// block of several namespaces.
		c.peers[p] = out
	}
	return out
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// target converts a target's ports, with the HTTP rules of its rule (nil
// for none, and for deny rules).
func (c *compiler) target(diags *diag.List, t *ast.Target, http *ast.HTTPBlock) *traffic {
	tr := &traffic{span: t.Span()}
	var allSpan source.Span
	for _, ps := range t.Ports {
		p, icmp, isICMP, all, _ := c.port(diags, ps)
		switch {
		case all:
			tr.all, allSpan = true, ps.Span()
		case isICMP:
			tr.icmp = append(tr.icmp, icmp)
		default:
			tr.ports = append(tr.ports, p)
		}
	}
	if tr.all && len(t.Ports) > 1 {
		for _, ps := range t.Ports {
			if ps.Span() != allSpan {
				diags.Warnf(CodeRedundantPort, ps.Span(), msgRedundantPort).Detail = detailRedundant
			}
		}
		tr.ports, tr.icmp = nil, nil
	}
	if http != nil {
		for _, hr := range http.Rules {
			r := ir.HTTPRule{Span: hr.Span()}
			checkHTTPText(diags, hr)
			if hr.Method != nil && hr.Method.Value != "*" {
				r.Method = checkRegex(diags, hr.Method)
			}
			r.Path = checkRegex(diags, hr.Path)
			r.Host = checkRegex(diags, hr.Host)
			for _, h := range hr.Headers {
				m := ir.HeaderMatch{Name: h.Name.Value}
				if h.Value != nil {
					v := h.Value.Value
					m.Value = &v
				}
				r.Headers = append(r.Headers, m)
			}
			tr.http = append(tr.http, r)
		}
	}
	return tr
}

func (c *compiler) checkRule(diags *diag.List, r *ast.Rule, blk *block) ([]rpeer, []checkedTarget) {
	var srcs []rpeer
	for _, p := range r.Sources {
		srcs = append(srcs, c.resolvePeer(diags, p, blk)...)
	}
	for _, s := range srcs {
		switch s.peer.Kind {
		case ir.PeerFQDN:
			diags.Errorf(CodeDestinationOnly, s.span(), msgFQDNSource).Detail = detailFQDNSource
		case ir.PeerService:
			diags.Errorf(CodeDestinationOnly, s.span(), msgServiceSource).Detail = detailServiceSource
		}
	}
	if r.Deny && r.HTTP != nil {
		diags.Errorf(CodeDenyL7, r.HTTP.Span(), msgDenyL7).Detail = detailDenyL7
	}
	targets := make([]checkedTarget, 0, len(r.Targets))
	for i := range r.Targets {
		t := &r.Targets[i]
		tps := c.resolvePeer(diags, t.Peer, blk)
		if len(t.Ports) == 0 {
			diags.Errorf(CodeMissingPorts, t.Span(), msgMissingPorts, c.quotePeer(t.Peer)).Detail = detailMissingPorts
		}
		var http *ast.HTTPBlock
		if !r.Deny && !r.Pass {
			http = r.HTTP
		}
		tr := c.target(diags, t, http)
		if r.HTTP != nil {
			c.checkHTTPPorts(diags, t, tr)
		}
		c.checkNamedPorts(diags, t, tps)
		targets = append(targets, checkedTarget{src: t.Peer, peers: tps, traffic: tr})
	}
	if r.Deny || r.Pass {
		all := slices.Clone(srcs)
		for _, t := range targets {
			all = append(all, t.peers...)
		}
		for _, p := range all {
			switch {
			case p.peer.Kind != ir.PeerFQDN:
			case r.Deny:
				diags.Errorf(CodeDenyFQDN, p.span(), msgDenyFQDN).Detail = detailDenyFQDN
			default:
				diags.Errorf(CodePassFQDN, p.span(), msgPassFQDN).Detail = detailPassFQDN
			}
		}
	}
	return srcs, targets
}

// checkHTTPPorts requires TCP ports (numbers, ranges or names) for HTTP.
func (c *compiler) checkHTTPPorts(diags *diag.List, t *ast.Target, tr *traffic) {
	for _, ps := range t.Ports {
		proto := strings.ToLower(ps.Protocol.Name)
		if ps.All || ps.IsICMP || (proto != "" && proto != "tcp") {
			diags.Errorf(CodeHTTPNeedsTCP, ps.Span(), msgHTTPNeedsTCP, c.quote(ps.Span())).Detail = detailHTTPNeedsTCP
		}
	}
}

// checkNamedPorts rejects named ports towards peers that have no
// container ports.
func (c *compiler) checkNamedPorts(diags *diag.List, t *ast.Target, tps []rpeer) {
	for _, ps := range t.Ports {
		if ps.Name == "" || ps.All || ps.IsICMP {
			continue
		}
		for _, tp := range tps {
			switch tp.peer.Kind {
			case ir.PeerCIDR, ir.PeerFQDN, ir.PeerEntity, ir.PeerAny:
				diags.Errorf(CodeNamedPortPeer, ps.Span(), msgNamedPortPeer, ps.Name, c.quotePeer(t.Peer)).Detail = detailNamedPortPeer
			}
		}
	}
}

func (c *compiler) checkDNSServer(diags *diag.List, s *ast.DNSServer, blk *block) {
	if s.Server == nil {
		return
	}
	if blk.multi() {
		// One server for the program: in a block of several namespaces
		// it must be the same pods in each.
		var first []rpeer
		for i, inst := range blk.instances {
			rps := c.resolvePeer(diags, s.Server, inst)
			if i == 0 {
				first = rps
			} else if len(rps) != len(first) || (len(rps) == 1 && rps[0].key != first[0].key) {
				diags.Errorf(CodeBadDNSServer, s.Server.Span(), msgBadDNSServerMulti)
				return
			}
		}
		blk = blk.instances[0]
	}
	rps := c.resolvePeer(diags, s.Server, blk)
	ok := len(rps) == 1 && rps[0].peer.Kind == ir.PeerPods && rps[0].peer.Namespace.Scope == ir.NamespaceNamed
	if !ok {
		diags.Errorf(CodeBadDNSServer, s.Server.Span(), msgBadDNSServer)
	}
	p, _, isICMP, all, pok := c.port(diags, s.Port)
	if pok && (isICMP || all || p.Name != "" || p.Port == 0 || p.EndPort != 0) {
		diags.Errorf(CodeBadDNSServer, s.Port.Span(), msgBadDNSPort)
		pok = false
	}
	if ok && pok && s == c.dnsServer {
		c.dns = ir.DNSServer{Span: s.Span(), Namespace: rps[0].peer.Namespace.Name, Pods: rps[0].peer.Pods, Port: p.Port}
	}
}

func (c *compiler) checkExpect(diags *diag.List, e *ast.Expect, blk *block) *ir.Expectation {
	x := &ir.Expectation{Span: e.Span(), Allowed: e.Allowed}
	if blk != nil {
		x.Namespace = blk.namespace
	}
	endpoint := func(p ast.Peer) (ir.Endpoint, bool) {
		if p == nil {
			return ir.Endpoint{}, false
		}
		rps := c.resolvePeer(diags, p, blk)
		if len(rps) != 1 {
			if len(rps) > 1 {
				diags.Errorf(CodeBadExpectation, p.Span(), msgExpectOnePeer, c.quotePeer(p), len(rps))
			}
			return ir.Endpoint{}, false
		}
		return ir.Endpoint{Span: p.Span(), Peer: rps[0].irPeer(), Group: rps[0].group}, true
	}
	var ok1, ok2 bool
	x.From, ok1 = endpoint(e.From)
	x.To, ok2 = endpoint(e.To.Peer)
	if ok1 {
		switch x.From.Peer.Kind {
		case ir.PeerFQDN:
			diags.Errorf(CodeDestinationOnly, x.From.Span, msgFQDNSource).Detail = detailFQDNSource
		case ir.PeerService:
			diags.Errorf(CodeDestinationOnly, x.From.Span, msgServiceSource).Detail = detailServiceSource
		}
	}
	if len(e.To.Ports) != 1 {
		diags.Errorf(CodeBadExpectation, e.To.Span(), msgExpectOnePort)
		return nil
	}
	ps := e.To.Ports[0]
	p, icmp, isICMP, all, ok := c.port(diags, ps)
	switch {
	case !ok:
	case all:
		// "*": every port of every protocol, ICMP included; the IR says
		// so with every port (0) of protocol ANY (see eval).
		x.Port = ir.Port{Span: ps.Span(), Protocol: ir.ProtoAny}
		if e.Request != nil {
			diags.Errorf(CodeBadExpectation, ps.Span(), msgExpectHTTPAll)
		}
	case ps.All && p.Protocol == ir.ProtoAny:
		d := diags.Errorf(CodeBadExpectation, ps.Span(), msgExpectAllAny)
		d.Suggestion = "*"
	case ps.All:
		// "*/udp": every port of one protocol.
		x.Port = p
		if e.Request != nil {
			diags.Errorf(CodeBadExpectation, ps.Span(), msgExpectHTTPAll)
		}
	case !isICMP && (p.EndPort != 0 || (p.Port == 0 && p.Name == "")):
		diags.Errorf(CodeBadExpectation, ps.Span(), msgExpectOnePort)
	case !isICMP && p.Protocol == ir.ProtoAny:
		diags.Errorf(CodeBadExpectation, ps.Span(), msgExpectProtocol, ps.Protocol.Name)
	case isICMP:
		x.ICMP = &icmp
	default:
		x.Port = p
	}
	if ok2 {
		c.checkNamedPorts(diags, &e.To, []rpeer{{peer: &x.To.Peer}})
	}
	if r := e.Request; r != nil {
		req := &ir.HTTPRequest{}
		if r.Method != nil {
			req.Method = r.Method.Value
		}
		if r.Path != nil {
			req.Path = r.Path.Value
		}
		if r.Host != nil {
			req.Host = r.Host.Value
		}
		for _, h := range r.Headers {
			if req.Headers == nil {
				req.Headers = map[string]string{}
			}
			v := ""
			if h.Value != nil {
				v = h.Value.Value
			}
			req.Headers[h.Name.Value] = v
		}
		x.Request = req
	}
	return x
}
