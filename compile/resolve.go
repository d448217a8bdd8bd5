package compile

import (
	"slices"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/diag"
)

// block is a "namespace NAME" or "clusterwide" block.
type block struct {
	stmt      ast.Stmt
	namespace string // "" for clusterwide
	cluster   bool
}

// group is a declared group. The check stage fills resolved.
type group struct {
	name  string
	decl  *ast.GroupDecl
	block *block // nil when declared before any block

	resolved []rpeer
	state    int // 0 not resolved, 1 resolving, 2 done
}

// keywords are the reserved words of docs/language.md section 1.
var keywords = []string{
	"namespace", "clusterwide", "default", "deny", "allow", "dns", "isolate", "expect",
	"ingress", "egress", "nonisolating", "ns", "node", "service", "entity", "except", "http",
}

// entityNames are the entities that can be written by name (section 4.4).
var entityNames = []string{
	"world", "world-ipv4", "world-ipv6", "cluster", "host", "remote-node", "kube-apiserver",
	"health", "init", "unmanaged", "cluster-mesh", "all",
}

func isReserved(name string) bool {
	return slices.Contains(keywords, name) || slices.Contains(entityNames, name)
}

// stmtPeers returns the peers written directly in s, in source order.
func stmtPeers(s ast.Stmt) []ast.Peer {
	switch s := s.(type) {
	case *ast.GroupDecl:
		return s.Peers
	case *ast.Isolate:
		return s.Subjects
	case *ast.AllowDNS:
		return s.For
	case *ast.DNSServer:
		if s.Server != nil {
			return []ast.Peer{s.Server}
		}
	case *ast.Rule:
		ps := append([]ast.Peer(nil), s.Sources...)
		for _, t := range s.Targets {
			if t.Peer != nil {
				ps = append(ps, t.Peer)
			}
		}
		return ps
	case *ast.Expect:
		var ps []ast.Peer
		if s.From != nil {
			ps = append(ps, s.From)
		}
		if s.To.Peer != nil {
			ps = append(ps, s.To.Peer)
		}
		return ps
	}
	return nil
}

// resolve assigns statements to blocks, declares groups and checks every
// name: unknown and reserved names, duplicate declarations, cycles, the
// NS/group form, statements outside a block and a repeated dns server.
func (c *compiler) resolve() diag.List {
	var diags diag.List

	// Blocks and group declarations.
	for _, f := range c.order {
		var cur *block
		for _, s := range f.Stmts {
			switch s := s.(type) {
			case *ast.NamespaceDecl:
				cur = &block{stmt: s, namespace: s.Name.Name}
				c.governed[s.Name.Name] = true
			case *ast.ClusterDecl:
				cur = &block{stmt: s, cluster: true}
			case *ast.GroupDecl:
				c.declareGroup(&diags, s, cur)
			case *ast.Rule, *ast.DefaultDeny, *ast.Isolate, *ast.AllowDNS:
				if cur == nil {
					diags.Errorf(CodeOutsideBlock, s.Span(), msgOutsideBlock, stmtWord(s)).Detail = detailOutsideBlock
				}
			case *ast.DNSServer:
				if c.dnsServer == nil {
					c.dnsServer = s
				} else {
					d := diags.Errorf(CodeDuplicateDNS, s.Span(), msgDuplicateDNS)
					d.Notes = append(d.Notes, diag.Note{Span: c.dnsServer.Span(), Message: noteFirstDNS})
				}
			}
			c.blockOf[s] = cur
		}
	}

	// Names used in peers.
	for _, f := range c.order {
		for _, s := range f.Stmts {
			for _, p := range stmtPeers(s) {
				c.resolveNames(&diags, p)
			}
		}
	}

	// Cycles, reported once per cycle at its first declaration.
	reported := map[string]bool{}
	for _, name := range c.groupNames() {
		if reported[name] {
			continue
		}
		if path := c.findCycle(name); path != nil {
			for _, n := range path {
				reported[n] = true
			}
			g := c.groups[name]
			diags.Errorf(CodeGroupCycle, g.decl.Name.Span(), msgGroupCycle, name, strings.Join(path, " -> "))
		}
	}
	return diags
}

func stmtWord(s ast.Stmt) string {
	switch s.(type) {
	case *ast.DefaultDeny:
		return msgStmtDefault
	case *ast.Isolate:
		return msgStmtIsolate
	case *ast.AllowDNS:
		return msgStmtAllowDNS
	case *ast.Expect:
		return msgStmtExpect
	}
	return msgStmtRule
}

func (c *compiler) declareGroup(diags *diag.List, s *ast.GroupDecl, cur *block) {
	name := s.Name.Name
	if isReserved(name) {
		diags.Errorf(CodeReservedName, s.Name.Span(), msgReservedName, name).Detail = detailReservedName
		return
	}
	if prev, ok := c.groups[name]; ok {
		d := diags.Errorf(CodeDuplicateGroup, s.Name.Span(), msgDuplicateGroup, name)
		d.Notes = append(d.Notes, diag.Note{Span: prev.decl.Name.Span(), Message: noteFirstGroup})
		return
	}
	c.groups[name] = &group{name: name, decl: s, block: cur}
}

func (c *compiler) groupNames() []string {
	names := make([]string, 0, len(c.groups))
	for n := range c.groups {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// resolveNames checks the names a peer uses.
func (c *compiler) resolveNames(diags *diag.List, p ast.Peer) {
	switch p := p.(type) {
	case *ast.GroupRef:
		c.lookupGroup(diags, p.Name)
	case *ast.EntityPeer:
		if !slices.Contains(ir.Entities, ir.Entity(p.Name)) {
			var cands []string
			for _, e := range ir.Entities {
				cands = append(cands, string(e))
			}
			d := diags.Errorf(CodeUnknownEntity, p.Span(), msgUnknownEntity, p.Name)
			if s, ok := diag.Closest(p.Name, cands); ok {
				d.Detail = capitalize(sprintf(msgDidYouMean, s))
				d.Suggestion = s
			}
		}
	case *ast.PodPeer:
		if p.Group == nil {
			return
		}
		g := c.lookupGroup(diags, *p.Group)
		if g == nil {
			return
		}
		if reason := c.notPodsOnly(g, map[string]bool{}); reason != "" {
			d := diags.Errorf(CodeNotPodsOnly, p.Span(), msgNotPodsOnly, c.quoteNamespace(p.Namespace), g.name, g.name, reason)
			d.Detail = detailNotPodsOnly
			d.Notes = append(d.Notes, diag.Note{Span: g.decl.Span(), Message: sprintf(noteGroupDeclaredHere, g.name)})
		}
	}
}

func (c *compiler) quoteNamespace(ns ast.NamespaceRef) string {
	if ns == nil {
		return ""
	}
	if n, ok := ns.(*ast.NamespaceName); ok {
		return n.Name.Name
	}
	return c.quote(ns.Span())
}

// lookupGroup returns the group called id, or reports it as unknown with a
// suggestion.
func (c *compiler) lookupGroup(diags *diag.List, id ast.Ident) *group {
	if g, ok := c.groups[id.Name]; ok {
		return g
	}
	d := diags.Errorf(CodeUnknownName, id.Span(), msgUnknownName, id.Name)
	d.Detail = detailUnknownName
	cands := append(c.groupNames(), entityNames...)
	if s, ok := diag.Closest(id.Name, cands); ok {
		d.Detail = capitalize(sprintf(msgDidYouMean, s)) + " " + detailUnknownName
		d.Suggestion = s
	}
	return nil
}

// notPodsOnly says why g cannot be used as NS/g ("" if it can): every peer
// must be a pod selector without a namespace, or a pods-only group.
func (c *compiler) notPodsOnly(g *group, seen map[string]bool) string {
	if seen[g.name] {
		return "" // a cycle, reported elsewhere
	}
	seen[g.name] = true
	for _, p := range g.decl.Peers {
		switch p := p.(type) {
		case *ast.PodPeer:
			if p.Namespace != nil || p.Group != nil || p.Pods == nil {
				return msgGroupNotPodsReasonN
			}
		case *ast.GroupRef:
			if h, ok := c.groups[p.Name.Name]; ok {
				if r := c.notPodsOnly(h, seen); r != "" {
					return r
				}
			}
		default:
			return msgGroupNotPodsReasonK
		}
	}
	return ""
}

// groupRefs lists the groups g's peers refer to, in order.
func groupRefs(g *group) []string {
	var out []string
	for _, p := range g.decl.Peers {
		switch p := p.(type) {
		case *ast.GroupRef:
			out = append(out, p.Name.Name)
		case *ast.PodPeer:
			if p.Group != nil {
				out = append(out, p.Group.Name)
			}
		}
	}
	return out
}

// findCycle returns a path name -> ... -> name if name is on a cycle.
func (c *compiler) findCycle(start string) []string {
	var path []string
	onPath := map[string]bool{}
	done := map[string]bool{}
	var visit func(n string) []string
	visit = func(n string) []string {
		g, ok := c.groups[n]
		if !ok || done[n] {
			return nil
		}
		if onPath[n] {
			if n != start {
				return nil // a cycle not through start; found from its own start
			}
			return append(append([]string(nil), path...), n)
		}
		onPath[n] = true
		path = append(path, n)
		for _, r := range groupRefs(g) {
			if cyc := visit(r); cyc != nil {
				return cyc
			}
		}
		path = path[:len(path)-1]
		onPath[n] = false
		done[n] = true
		return nil
	}
	return visit(start)
}
