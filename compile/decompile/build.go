package decompile

import (
	"slices"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/ast"
)

// This file builds the syntax tree of the output.

// file builds the output: the DNS server and the groups of namespaces
// without a block first, then one block per namespace and the clusterwide
// block, each with its groups and then its policies' statements. The
// objects a policy was imported from are named in a comment above the
// first statement that writes to it.
func (d *decompiler) file() *ast.File {
	f := &ast.File{}
	add := func(s ast.Stmt, blank bool) {
		s.Comments().BlankBefore = blank && len(f.Stmts) > 0
		f.Stmts = append(f.Stmts, s)
	}
	if dns := d.prog.DNS; !sameDNS(dns, ir.DefaultDNSServer()) {
		add(&ast.DNSServer{
			Server: &ast.PodPeer{Namespace: &ast.NamespaceName{Name: ast.Ident{Name: dns.Namespace}}, Pods: selector(dns.Pods)},
			Port:   ast.PortSpec{Start: int(dns.Port)},
		}, false)
	}
	d.groupDecls("", func(s ast.Stmt, first bool) { add(s, first) })
	said := map[string]bool{} // origins already named in a comment
	if !slices.Contains(d.blocks, "") {
		for i, s := range d.expectations("") {
			add(s, i == 0)
		}
	}
	for _, blk := range d.blocks {
		if blk == "" {
			add(&ast.ClusterDecl{}, true)
		} else {
			add(&ast.NamespaceDecl{Name: ast.Ident{Name: blk}}, true)
			d.groupDecls(blk, func(s ast.Stmt, first bool) { add(s, false) })
		}
		for _, pp := range d.pols[blk] {
			for i, s := range d.policyStmts(pp, blk) {
				for _, o := range s.origins {
					if !said[o] {
						said[o] = true
						s.ast.Comments().Leading = append(s.ast.Comments().Leading, ast.Comment{Text: "# " + oneLine(o)})
					}
				}
				add(s.ast, i == 0)
			}
		}
		for i, s := range d.expectations(blk) {
			add(s, i == 0)
		}
	}
	for _, s := range d.orderedStmts() {
		for _, o := range s.origins {
			if !said[o] {
				said[o] = true
				s.ast.Comments().Leading = append(s.ast.Comments().Leading, ast.Comment{Text: "# " + oneLine(o)})
			}
		}
		_, block := s.ast.(*ast.ClusterDecl)
		add(s.ast, block)
	}
	return f
}

func sameDNS(a, b ir.DNSServer) bool {
	return a.Namespace == b.Namespace && a.Port == b.Port && a.Pods.String() == b.Pods.String()
}

// oneLine makes s fit in a comment: control characters become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s)
}

// groupDecls declares the groups of the pods of namespace blk, or, for "",
// of the namespaces without a block.
func (d *decompiler) groupDecls(blk string, add func(ast.Stmt, bool)) {
	var gs []*group
	for _, g := range d.groups {
		ns := g.peer.Namespace.Name
		if blk == ns || blk == "" && !d.governed[ns] {
			gs = append(gs, g)
		}
	}
	sortGroups(gs)
	for i, g := range gs {
		p := &ast.PodPeer{Pods: selector(g.peer.Pods)}
		if blk == "" {
			p.Namespace = &ast.NamespaceName{Name: ast.Ident{Name: g.peer.Namespace.Name}}
		}
		add(&ast.GroupDecl{Name: ast.Ident{Name: g.name}, Peers: []ast.Peer{p}}, i == 0)
	}
}

func sortGroups(gs []*group) {
	for i := 1; i < len(gs); i++ {
		for j := i; j > 0 && gs[j].name < gs[j-1].name; j-- {
			gs[j], gs[j-1] = gs[j-1], gs[j]
		}
	}
}

// written is a statement of the output with the origins of the policies
// it writes to.
type written struct {
	ast     ast.Stmt
	origins []string
}

// policyStmts returns the statements of pp printed in its block blk.
func (d *decompiler) policyStmts(pp *policy, blk string) []written {
	var out []written
	if pp.isAllPods() && pp.needsDefaultDeny() {
		out = append(out, written{&ast.DefaultDeny{Dir: direction(pp.Isolation.Ingress, pp.Isolation.Egress)}, pp.origins})
	} else if pp.needsIsolate() {
		in := pp.Isolation.Ingress && !pp.isolatedBy(ir.Ingress)
		eg := pp.Isolation.Egress && !pp.isolatedBy(ir.Egress)
		out = append(out, written{&ast.Isolate{Subjects: []ast.Peer{d.subject(pp, blk)}, Dir: direction(in, eg)}, pp.origins})
	}
	for _, s := range pp.stmts {
		if s.printed() {
			w := written{d.stmt(s, blk), pp.origins}
			if s.arrow != nil {
				w.origins = nil
				for _, q := range append(slices.Clone(s.arrow.sources), s.arrow.targets...) {
					for _, o := range q.origins {
						if !slices.Contains(w.origins, o) {
							w.origins = append(w.origins, o)
						}
					}
				}
			}
			out = append(out, w)
		}
	}
	return out
}

func direction(ingress, egress bool) ast.Direction {
	switch {
	case ingress && egress:
		return ast.DirBoth
	case ingress:
		return ast.DirIngress
	}
	return ast.DirEgress
}

// stmt builds the statement of s, in block blk.
func (d *decompiler) stmt(s *stmt, blk string) ast.Stmt {
	pp := s.pol
	if s.dns {
		if !pp.Isolation.Egress {
			d.errorf(s.span, "an \"allow dns\" rule of %s, which is not isolated for egress (\"allow dns\" isolates its subjects)", ir.FormatPolicySubject(pp.Policy))
		}
		a := &ast.AllowDNS{}
		if !pp.isAllPods() {
			a.For = []ast.Peer{d.subject(pp, blk)}
		}
		for _, l := range s.unit.lookups {
			a.Lookups = append(a.Lookups, ast.String{Value: l.Pattern})
		}
		return a
	}
	r := &ast.Rule{Deny: s.action == ir.Deny}
	ports := portSpecs(s.unit)
	if len(s.unit.http) > 0 {
		r.HTTP = httpBlock(s.unit.http)
	}
	if a := s.arrow; a != nil {
		for _, q := range a.sources {
			r.Sources = append(r.Sources, d.subject(q, blk))
		}
		for i, q := range a.targets {
			if i > 0 {
				ports = portSpecs(s.unit)
			}
			r.Targets = append(r.Targets, ast.Target{Peer: d.subject(q, blk), Ports: ports})
		}
		return r
	}
	r.NonIsolating = s.action == ir.Allow && !s.isolating()
	if s.dir == ir.Ingress {
		r.Dir = ast.DirIngress
		for _, p := range s.peers {
			r.Sources = append(r.Sources, d.peer(p, pp, blk))
		}
		r.Targets = []ast.Target{{Peer: d.subject(pp, blk), Ports: ports}}
		return r
	}
	r.Dir = ast.DirEgress
	r.Sources = []ast.Peer{d.subject(pp, blk)}
	for i, p := range s.peers {
		if i > 0 {
			ports = portSpecs(s.unit)
		}
		r.Targets = append(r.Targets, ast.Target{Peer: d.peer(p, pp, blk), Ports: ports})
	}
	return r
}

// subject writes the subject of pp as a peer in block blk.
func (d *decompiler) subject(pp *policy, blk string) ast.Peer {
	if p, ok := podPeer(pp.Policy); ok {
		return d.peer(p, pp, blk)
	}
	s := pp.Subject
	if s.Nodes {
		return &ast.NodePeer{Selector: *selector(s.Pods)}
	}
	if s.Namespaces == nil {
		return &ast.PodPeer{Pods: selector(s.Pods)}
	}
	return &ast.PodPeer{Namespace: &ast.NamespaceLabels{Selector: *selector(*s.Namespaces)}, Pods: selector(s.Pods)}
}

// peer writes p, a peer of a rule of pp, in block blk ("" for the
// clusterwide block).
func (d *decompiler) peer(p ir.Peer, pp *policy, blk string) ast.Peer {
	p = ir.Absolute(p, pp.Namespace)
	switch p.Kind {
	case ir.PeerPods:
		switch p.Namespace.Scope {
		case ir.NamespaceNamed:
			if g := d.groups[ir.PeerKey(p)]; g != nil {
				return &ast.GroupRef{Name: ast.Ident{Name: g.name}}
			}
			if blk == p.Namespace.Name {
				return &ast.PodPeer{Pods: selector(p.Pods)}
			}
			return &ast.PodPeer{Namespace: &ast.NamespaceName{Name: ast.Ident{Name: p.Namespace.Name}}, Pods: selector(p.Pods)}
		case ir.NamespacePolicy: // cluster-wide: every namespace
			return &ast.PodPeer{Pods: selector(p.Pods)}
		}
		if blk == "" && p.Namespace.Labels.IsEmpty() {
			return &ast.PodPeer{Pods: selector(p.Pods)}
		}
		out := &ast.PodPeer{Namespace: &ast.NamespaceLabels{Selector: *selector(p.Namespace.Labels)}}
		if !p.Pods.IsEmpty() {
			out.Pods = selector(p.Pods)
		}
		return out
	case ir.PeerCIDR:
		out := &ast.CIDRPeer{CIDR: ast.String{Value: prefix(p.CIDR.String(), p.CIDR.Addr().Is4() && p.CIDR.Bits() == 32)}}
		for _, e := range p.Except {
			out.Except = append(out.Except, ast.String{Value: prefix(e.String(), e.Addr().Is4() && e.Bits() == 32)})
		}
		return out
	case ir.PeerEntity:
		return &ast.EntityPeer{Name: string(p.Entity)}
	case ir.PeerFQDN:
		return &ast.FQDNPeer{Pattern: ast.String{Value: p.FQDN.Pattern}}
	case ir.PeerService:
		ns := p.Service.Namespace
		if ns == "" {
			ns = pp.Namespace
		}
		out := &ast.ServicePeer{Namespace: ast.Ident{Name: ns}}
		if p.Service.Selector != nil {
			out.Selector = selector(*p.Service.Selector)
		} else {
			out.Name = &ast.Ident{Name: p.Service.Name}
		}
		return out
	case ir.PeerNodes:
		return &ast.NodePeer{Selector: *selector(p.Pods)}
	}
	return &ast.AnyPeer{}
}

// prefix writes a CIDR, an IPv4 host without its "/32".
func prefix(s string, host bool) string {
	if host {
		return strings.TrimSuffix(s, "/32")
	}
	return s
}

// selector writes s: labels, then requirements, in s's (sorted) order.
func selector(s ir.Selector) *ast.Selector {
	out := &ast.Selector{}
	str := func(v string) ast.String { return ast.String{Value: v} }
	for _, l := range s.MatchLabels {
		out.Terms = append(out.Terms, ast.LabelTerm{Key: str(l.Key), Op: ast.OpEq, Values: []ast.String{str(l.Value)}})
	}
	for _, x := range s.MatchExpressions {
		t := ast.LabelTerm{Key: str(x.Key)}
		switch x.Operator {
		case ir.OpIn:
			t.Op = ast.OpIn
		case ir.OpNotIn:
			t.Op = ast.OpNotIn
			if len(x.Values) == 1 {
				t.Op = ast.OpNotEq
			}
		case ir.OpExists:
			t.Op = ast.OpExists
		case ir.OpDoesNotExist:
			t.Op = ast.OpNotExists
		}
		for _, v := range x.Values {
			t.Values = append(t.Values, str(v))
		}
		out.Terms = append(out.Terms, t)
	}
	return out
}

// portSpecs writes the traffic of u as port items.
func portSpecs(u unit) []ast.PortSpec {
	switch {
	case u.all:
		return []ast.PortSpec{{All: true, Start: -1}}
	case len(u.icmp) > 0:
		var out []ast.PortSpec
		for _, t := range u.icmp {
			proto := "icmp"
			if t.Family == ir.ICMPv6 {
				proto = "icmpv6"
			}
			out = append(out, ast.PortSpec{IsICMP: true, Start: -1, Protocol: ast.Ident{Name: proto}, ICMPType: ast.String{Value: t.Type}})
		}
		return out
	}
	var out []ast.PortSpec
	for _, p := range u.ports {
		ps := ast.PortSpec{Start: -1, Name: p.Name}
		proto := strings.ToLower(string(p.Protocol))
		switch {
		case p.Name != "":
		case p.Port == 0:
			ps.All = true
		default:
			ps.Start = int(p.Port)
			if p.EndPort != 0 && p.EndPort != p.Port {
				ps.End = int(p.EndPort)
			}
		}
		if proto != "tcp" || ps.All {
			ps.Protocol = ast.Ident{Name: proto}
		}
		out = append(out, ps)
	}
	return out
}

// httpBlock writes HTTP rules, one per line.
func httpBlock(rules []ir.HTTPRule) *ast.HTTPBlock {
	b := &ast.HTTPBlock{}
	opt := func(s string) *ast.String {
		if s == "" {
			return nil
		}
		return &ast.String{Value: s}
	}
	for _, h := range rules {
		r := ast.HTTPRule{Method: opt(h.Method), Path: opt(h.Path), Host: opt(h.Host)}
		for _, m := range h.Headers {
			hd := ast.Header{Name: ast.String{Value: m.Name}}
			if m.Value != nil {
				hd.Value = &ast.String{Value: *m.Value}
			}
			r.Headers = append(r.Headers, hd)
		}
		b.Rules = append(b.Rules, r)
	}
	return b
}
