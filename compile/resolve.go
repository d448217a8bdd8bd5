package compile

import (
	"maps"
	"slices"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/lexicon"
)

// block is a "namespace NAME" or "clusterwide" block.
//
// A block of several namespaces ("namespace a, b, c") applies each of its
// statements once per namespace: check and lower see one instance block per
// namespace (instances), each a block of that one namespace (of points back
// to the block as written).
type block struct {
	stmt      ast.Stmt
	namespace string // "" for clusterwide; the first namespace of a block of several
	cluster   bool
	// ordered marks "clusterwide priority N" (cluster is set too): its
	// rules are ordered admin rules (ir.TierOrdered) of that priority.
	ordered  bool
	priority int32

	// names are the namespaces of a block of several, in the order written
	// (repeats dropped); nil for a block of one.
	names []string
	// instances has one block per name; nil for a block of one.
	instances []*block
	// of is the block of several namespaces an instance belongs to.
	of *block
	// peers caches, for an instance, the peers resolved in it (the
	// compiler's peers table holds those of every other block).
	peers map[ast.Peer][]rpeer
}

// multi reports whether b is a block of several namespaces as written.
func (b *block) multi() bool { return b != nil && len(b.instances) > 0 }

// each returns the blocks a statement of b is applied in: its instances,
// or b itself (nil too: a statement outside any block).
func (b *block) each() []*block {
	if b.multi() {
		return b.instances
	}
	return []*block{b}
}

// namespaces returns the namespaces a statement of b applies in.
func (b *block) namespaces() []string {
	switch {
	case b == nil || b.cluster:
		return nil
	case b.multi():
		return b.names
	}
	return []string{b.namespace}
}

// group is a declared group with what resolve learned about it.
type group struct {
	name  string
	decl  *ast.GroupDecl
	block *block // nil when declared before any block

	// leaves are the peers the group stands for, with group references
	// expanded: each peer as written in some group declaration, once, in
	// depth-first order, with the block it is declared in (where it is
	// resolved). nil for a group on a cycle.
	leaves []leaf
	// podsReason says why the group cannot be used as NS/g ("" if it can).
	podsReason string

	// relative marks a group declared in a block of several namespaces
	// whose leaves include pod selectors without a namespace written in
	// such a block: those select the pods of the namespace each statement
	// using the group applies in, which must be one of block.names.
	relative bool

	// id numbers the groups in declaration order (componentsOf); comp is
	// the number of the group's strongly connected component in the graph
	// of group references, from 1; 0 when the group is on no cycle.
	id, comp int
	// alias is the group a group of one group reference names (g2 = g1),
	// found by componentsOf; nil for other groups and unknown names.
	alias *group

	// The IR peers of the group (check fills them, once; for a relative
	// group, once per namespace in peersIn).
	peers      []rpeer
	peersReady bool
	peersIn    map[string][]rpeer
}

// leaf is a peer as written in a group declaration, with the block of that
// declaration.
type leaf struct {
	peer  ast.Peer
	block *block
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

// resolve builds the symbol table: it assigns statements to blocks, declares
// groups, finds cycles, expands every group into the peers it stands for
// (its leaves), and checks every name: unknown and reserved names,
// duplicate declarations, the NS/group form, statements outside a block and
// a repeated dns server.
func (c *compiler) resolve() diag.List {
	var diags diag.List

	// Blocks and group declarations, into tables sized once.
	decls := 0
	for _, f := range c.order {
		for _, s := range f.Stmts {
			if _, ok := s.(*ast.GroupDecl); ok {
				decls++
			}
		}
	}
	c.blockOf = make([][]*block, len(c.order))
	c.groups = make(map[string]*group, decls)
	priorities := map[int]*ast.ClusterDecl{} // ordered blocks by priority
	for fi, f := range c.order {
		var cur *block
		c.blockOf[fi] = make([]*block, len(f.Stmts))
		for si, s := range f.Stmts {
			switch s := s.(type) {
			case *ast.NamespaceDecl:
				cur = c.namespaceBlock(&diags, s)
			case *ast.ClusterDecl:
				cur = &block{stmt: s, cluster: true}
				if s.Priority != nil {
					orderedBlock(&diags, s, cur, priorities)
				}
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
			c.blockOf[fi][si] = cur
		}
	}

	// The group graph, walked once: its strongly connected components
	// (cycles, reported once per cycle at its first declaration; only groups
	// on a cycle are searched, each within its component, so a long chain
	// of groups costs linear time), then every group's leaves in dependency
	// order.
	comp := c.componentsOf()
	cyclic := slices.Sorted(maps.Keys(comp))
	reported := map[string]bool{}
	for _, name := range cyclic {
		if reported[name] {
			continue
		}
		if path := c.findCycle(name, comp); path != nil {
			for _, n := range path {
				reported[n] = true
			}
			g := c.groups[name]
			diags.Errorf(CodeGroupCycle, g.decl.Name.Span(), msgGroupCycle, name, strings.Join(path, " -> "))
		}
	}
	for _, g := range c.groupOrder {
		if g.comp == 0 {
			c.expand(g)
		}
	}

	// Names used in peers; check resolves each of them (c.peers).
	peers := 0
	for fi, f := range c.order {
		for si, s := range f.Stmts {
			ps := stmtPeers(s)
			peers += len(ps)
			for _, p := range ps {
				c.resolveNames(&diags, p, c.blockOf[fi][si])
			}
		}
	}
	c.peers = make(map[ast.Peer][]rpeer, peers)
	return diags
}

// orderedBlock makes blk the ordered block of "clusterwide priority N". The
// priority is 0 to MaxPriority, and no other ordered block may have it: the
// order of two blocks of one priority would be undefined.
func orderedBlock(diags *diag.List, s *ast.ClusterDecl, blk *block, seen map[int]*ast.ClusterDecl) {
	n := s.Priority.Value
	blk.ordered = true
	if n < 0 || n > MaxPriority {
		diags.Errorf(CodeBadPriority, s.Priority.Span(), msgBadPriority, n, MaxPriority).Detail = detailBadPriority
		return
	}
	blk.priority = int32(n)
	if first, ok := seen[n]; ok {
		d := diags.Errorf(CodeDuplicatePriority, s.Priority.Span(), msgDuplicatePriority, n)
		d.Detail = detailDuplicatePriority
		d.Notes = append(d.Notes, diag.Note{Span: first.Priority.Span(), Message: noteFirstPriority})
		return
	}
	seen[n] = s
}

// MaxPriority is the largest priority of an ordered block, as in the
// Kubernetes network policy API (AdminNetworkPolicy and
// ClusterNetworkPolicy priorities are 0 to 1000).
const MaxPriority = ir.MaxPriority

// namespaceBlock opens the block of a namespace statement and marks its
// namespaces governed. A namespace listed twice is an error (the block
// applies once in it).
func (c *compiler) namespaceBlock(diags *diag.List, s *ast.NamespaceDecl) *block {
	b := &block{stmt: s, namespace: s.Name.Name}
	c.governed[s.Name.Name] = true
	if len(s.More) == 0 {
		return b
	}
	seen := map[string]ast.Ident{}
	for _, n := range s.Names() {
		if first, dup := seen[n.Name]; dup {
			d := diags.Errorf(CodeDuplicateNamespace, n.Span(), msgDuplicateNamespace, n.Name)
			d.Notes = append(d.Notes, diag.Note{Span: first.Span(), Message: noteFirstNamespace})
			continue
		}
		seen[n.Name] = n
		c.governed[n.Name] = true
		b.names = append(b.names, n.Name)
	}
	if len(b.names) < 2 {
		b.names = nil
		return b
	}
	for _, n := range b.names {
		b.instances = append(b.instances, &block{stmt: s, namespace: n, of: b})
	}
	return b
}

// nsLess reports whether a leaf is a pod selector without a namespace
// written in a block of several namespaces: it selects pods of the
// namespace its group is applied in.
func nsLess(lf leaf) bool {
	p, ok := lf.peer.(*ast.PodPeer)
	return ok && p.Namespace == nil && lf.block.multi()
}

// expand sets g's leaves and podsReason from its peers and the leaves of
// the groups it refers to, which are expanded already (or on a cycle). A
// group that only aliases another shares its leaves.
func (c *compiler) expand(g *group) {
	if _, ok := onlyPeer(g.decl).(*ast.GroupRef); ok {
		if h := g.alias; h != nil {
			g.leaves, g.podsReason = h.leaves, h.podsReason
		}
		g.relative = g.block.multi() && slices.ContainsFunc(g.leaves, nsLess)
		return
	}
	seen := map[ast.Peer]bool{}
	add := func(lf leaf) {
		if !seen[lf.peer] {
			seen[lf.peer] = true
			g.leaves = append(g.leaves, lf)
		}
	}
	for _, p := range g.decl.Peers {
		if ref, ok := p.(*ast.GroupRef); ok {
			if h, ok := c.groups[ref.Name.Name]; ok {
				for _, lf := range h.leaves {
					add(lf)
				}
			}
			continue
		}
		add(leaf{peer: p, block: g.block})
	}
	if g.block.multi() {
		g.relative = slices.ContainsFunc(g.leaves, nsLess)
	}
	for _, lf := range g.leaves {
		switch p := lf.peer.(type) {
		case *ast.PodPeer:
			if p.Namespace != nil || p.Group != nil || p.Pods == nil {
				g.podsReason = msgGroupNotPodsReasonN
			}
		default:
			g.podsReason = msgGroupNotPodsReasonK
		}
		if g.podsReason != "" {
			break
		}
	}
}

// onlyPeer returns the peer of a group of one peer, else nil.
func onlyPeer(d *ast.GroupDecl) ast.Peer {
	if len(d.Peers) != 1 {
		return nil
	}
	return d.Peers[0]
}

// podSelectors returns the pod selectors of a pods-only group, each once,
// in the order of its leaves.
func podSelectors(g *group) []*ast.Selector {
	out := make([]*ast.Selector, 0, len(g.leaves))
	for _, lf := range g.leaves {
		if p, ok := lf.peer.(*ast.PodPeer); ok && p.Pods != nil {
			out = append(out, p.Pods)
		}
	}
	return out
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
	if lexicon.IsReserved(name) {
		diags.Errorf(CodeReservedName, s.Name.Span(), msgReservedName, name).Detail = detailReservedName
		return
	}
	if prev, ok := c.groups[name]; ok {
		d := diags.Errorf(CodeDuplicateGroup, s.Name.Span(), msgDuplicateGroup, name)
		d.Notes = append(d.Notes, diag.Note{Span: prev.decl.Name.Span(), Message: noteFirstGroup})
		return
	}
	g := &group{name: name, decl: s, block: cur}
	c.groups[name] = g
	c.groupList = append(c.groupList, g)
}

func (c *compiler) groupNames() []string {
	names := make([]string, 0, len(c.groups))
	for n := range c.groups {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// resolveNames checks the names a peer of a statement of blk uses.
func (c *compiler) resolveNames(diags *diag.List, p ast.Peer, blk *block) {
	switch p := p.(type) {
	case *ast.GroupRef:
		if g := c.lookupGroup(diags, p.Name); g != nil && g.relative {
			c.checkRelativeUse(diags, g, p, blk)
		}
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
		if reason := g.podsReason; reason != "" {
			d := diags.Errorf(CodeNotPodsOnly, p.Span(), msgNotPodsOnly, c.quoteNamespace(p.Namespace), g.name, g.name, reason)
			d.Detail = detailNotPodsOnly
			d.Notes = append(d.Notes, diag.Note{Span: g.decl.Span(), Message: sprintf(noteGroupDeclaredHere, g.name)})
		}
	}
}

// checkRelativeUse checks a use of a relative group in a statement of blk:
// the statement must apply only in namespaces the group is declared for.
func (c *compiler) checkRelativeUse(diags *diag.List, g *group, p *ast.GroupRef, blk *block) {
	declared := strings.Join(g.block.names, ", ")
	var where string
	switch {
	case blk == nil:
		where = msgWhereOutside
	case blk.cluster:
		where = msgWhereClusterwide
	default:
		var other []string
		for _, ns := range blk.namespaces() {
			if !slices.Contains(g.block.names, ns) {
				other = append(other, ns)
			}
		}
		if len(other) == 0 {
			return
		}
		where = sprintf(msgWhereNamespaces, strings.Join(other, ", "))
	}
	d := diags.Errorf(CodeRelativeGroup, p.Span(), msgRelativeGroup, g.name, declared, where)
	d.Detail = sprintf(detailRelativeGroup, g.name)
	d.Notes = append(d.Notes, diag.Note{Span: g.decl.Span(), Message: sprintf(noteGroupDeclaredHere, g.name)})
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
	cands := append(c.groupNames(), lexicon.BareEntities()...)
	if s, ok := diag.Closest(id.Name, cands); ok {
		d.Detail = capitalize(sprintf(msgDidYouMean, s)) + " " + detailUnknownName
		d.Suggestion = s
	}
	return nil
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

// componentsOf finds the strongly connected components of the graph of
// group references (Tarjan's algorithm, iterative so that a chain of 100,000
// groups needs no deep stack). It returns, for every group on a cycle, its
// component's number (from 1, also in group.comp); groups on no cycle are
// absent. It also sets c.groupOrder: every group after the groups it refers
// to (except along a cycle). Groups are numbered and walked in the order
// of their declarations (c.groupList), which is deterministic (files sorted
// by name); the components and the reported cycles do not depend on it.
func (c *compiler) componentsOf() map[string]int {
	groups := c.groupList
	for i, g := range groups {
		g.id = i
	}
	refs := make([][]int, len(groups))
	for i, g := range groups {
		for _, r := range groupRefs(g) {
			if h, ok := c.groups[r]; ok {
				refs[i] = append(refs[i], h.id)
			}
		}
		if _, ok := onlyPeer(g.decl).(*ast.GroupRef); ok && len(refs[i]) == 1 {
			g.alias = groups[refs[i][0]] // the one reference, a known name
		}
	}
	type frame struct{ node, next int } // next: index into refs[node]
	var (
		index   = make([]int, len(groups)) // discovery order, from 1; 0: not yet
		low     = make([]int, len(groups))
		onStack = make([]bool, len(groups))
		stack   = make([]int, 0, len(groups)) // as deep as a chain of every group
		work    = make([]frame, 0, len(groups))
		order   = 0
		comp    = map[string]int{}
		ncomp   = 0
	)
	discover := func(n int) {
		order++
		index[n], low[n] = order, order
		stack, onStack[n] = append(stack, n), true
		work = append(work, frame{node: n})
	}
	for root := range groups {
		if index[root] != 0 {
			continue
		}
		discover(root)
		for len(work) > 0 {
			f := &work[len(work)-1]
			n := f.node
			if f.next < len(refs[n]) {
				r := refs[n][f.next]
				f.next++
				switch {
				case index[r] == 0:
					discover(r)
				case onStack[r]:
					low[n] = min(low[n], index[r])
				}
				continue
			}
			work = work[:len(work)-1]
			if len(work) > 0 {
				parent := work[len(work)-1].node
				low[parent] = min(low[parent], low[n])
			}
			if low[n] != index[n] {
				continue
			}
			// n is the root of a component: pop it.
			i := len(stack) - 1
			for stack[i] != n {
				i--
			}
			members := stack[i:]
			stack = stack[:i]
			cyclic := len(members) > 1 || slices.Contains(refs[n], n)
			if cyclic {
				ncomp++
			}
			for _, m := range members {
				c.groupOrder = append(c.groupOrder, groups[m])
				onStack[m] = false
				if cyclic {
					comp[groups[m].name] = ncomp
					groups[m].comp = ncomp
				}
			}
		}
	}
	return comp
}

// findCycle returns a path start -> ... -> start. start is on a cycle
// (comp[start] != 0), and the search stays inside its component: no other
// group leads back to start.
func (c *compiler) findCycle(start string, comp map[string]int) []string {
	var path []string
	onPath := map[string]bool{}
	done := map[string]bool{}
	var visit func(n string) []string
	visit = func(n string) []string {
		g, ok := c.groups[n]
		if !ok || done[n] || comp[n] != comp[start] {
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
