package decompile

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/lexicon"
)

// This file decides what the output says before it is built: which rules
// "allow dns" writes by itself on the DNS server's side, which pairs of
// statements become arrows, and which pod selectors get a group name.

func isEntity(s string) bool { return lexicon.IsEntity(s) }

// ordered returns the policies in output order: by block, then canonical
// order within the block.
func (d *decompiler) ordered() []*policy {
	var out []*policy
	for _, b := range d.blocks {
		out = append(out, d.pols[b]...)
	}
	return out
}

// clientPeer is the peer the compiler derives from the subject of pol for
// the server side of an "allow dns" written for it.
func clientPeer(pol *ir.Policy) ir.Peer {
	s := pol.Subject
	switch {
	case pol.Namespace != "":
		return ir.Peer{Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: pol.Namespace}, Pods: s.Pods}
	case s.Nodes:
		return ir.Peer{Kind: ir.PeerNodes, Pods: s.Pods}
	}
	ref := ir.NamespaceRef{Scope: ir.NamespaceLabels}
	if s.Namespaces != nil {
		ref.Labels = *s.Namespaces
	}
	return ir.Peer{Kind: ir.PeerPods, Namespace: ref, Pods: s.Pods}
}

// ingressIsolated mirrors the compiler's test of whether "allow dns" also
// writes the DNS server's side: some policy of namespace ns (or a
// cluster-wide policy of every namespace) isolates for ingress the pods
// that pods selects by labels.
func (d *decompiler) ingressIsolated(ns string, pods ir.Selector) bool {
	if len(pods.MatchExpressions) > 0 {
		return false
	}
	labels := map[string]string{}
	for _, l := range pods.MatchLabels {
		labels[l.Key] = l.Value
	}
	for _, pol := range d.prog.Policies {
		if !pol.Isolation.Ingress || pol.Subject.Nodes || pol.Subject.Namespaces != nil || (pol.Namespace != ns && pol.Namespace != "") {
			continue
		}
		if pol.Subject.Pods.Matches(labels) {
			return true
		}
	}
	return false
}

// serverEnds removes from the DNS server's policies the ingress peers that
// the compiler writes by itself for each "allow dns" of the output (when
// the server's namespace is governed and its pods isolated for ingress).
// An "allow dns" whose server side the policies lack cannot be written: it
// would allow more.
func (d *decompiler) serverEnds() {
	dns := d.prog.DNS
	if !d.governed[dns.Namespace] || !d.ingressIsolated(dns.Namespace, dns.Pods) {
		return
	}
	ports := ir.FormatPorts(ir.DNSPorts(dns, dns.Span))
	var servers []*policy
	for _, pp := range d.pols[dns.Namespace] {
		if !pp.Subject.Nodes && pp.Subject.Namespaces == nil && pp.Subject.Pods.String() == dns.Pods.String() {
			servers = append(servers, pp)
		}
	}
	removed := map[string]bool{}
	for _, pp := range d.ordered() {
		for _, s := range pp.stmts {
			if !s.dns {
				continue
			}
			want := ir.PeerKey(ir.Relative(clientPeer(pp.Policy), dns.Namespace))
			found := removed[want]
			for _, sp := range servers {
				for _, t := range sp.stmts {
					if t.dir != ir.Ingress || t.action != ir.Allow || t.dns || len(t.unit.ports) == 0 ||
						len(t.unit.http) > 0 || len(t.unit.lookups) > 0 || ir.FormatPorts(t.unit.ports) != ports {
						continue
					}
					n := len(t.peers)
					t.peers = slices.DeleteFunc(t.peers, func(p ir.Peer) bool { return ir.PeerKey(p) == want })
					if len(t.peers) < n {
						found, removed[want], sp.autoIngress = true, true, true
					}
				}
			}
			if !found {
				d.errorf(s.span, "an \"allow dns\" for %s: the DNS server's namespace %s is governed and its pods isolated for ingress, so \"allow dns\" would also allow these clients there, which the policies do not",
					ir.FormatPolicySubject(pp.Policy), dns.Namespace)
			}
		}
	}
	for _, sp := range servers {
		sp.stmts = slices.DeleteFunc(sp.stmts, func(t *stmt) bool { return len(t.peers) == 0 })
	}
}

// isolating reports whether s, written for its policy, isolates the
// policy's subject: allow rules do when the policy is isolated in their
// direction (otherwise they are written nonisolating).
func (s *stmt) isolating() bool {
	return s.action == ir.Allow && s.pol.isolated(s.dir)
}

func (p *policy) isolated(dir ir.Direction) bool {
	if dir == ir.Ingress {
		return p.Isolation.Ingress
	}
	return p.Isolation.Egress
}

// podPeer is the subject of a namespaced pod policy as a peer of another
// policy, in absolute form.
func podPeer(pol *ir.Policy) (ir.Peer, bool) {
	if pol.Namespace == "" || pol.Subject.Nodes || pol.Subject.Namespaces != nil {
		return ir.Peer{}, false
	}
	return ir.Peer{Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: pol.Namespace}, Pods: pol.Subject.Pods}, true
}

// arrowEnd reports whether s can be one end of an arrow: an isolating allow
// rule of a namespaced pod policy towards exactly one pod peer of a named
// namespace; it returns that peer in absolute form.
func arrowEnd(s *stmt) (ir.Peer, bool) {
	if _, ok := podPeer(s.pol.Policy); !ok || s.dns || !s.isolating() || len(s.peers) != 1 {
		return ir.Peer{}, false
	}
	p := ir.Absolute(s.peers[0], s.pol.Namespace)
	if p.Kind != ir.PeerPods || p.Namespace.Scope != ir.NamespaceNamed {
		return ir.Peer{}, false
	}
	return p, true
}

// pair finds the arrows: an egress statement of policy A whose peers are
// the subjects B1..Bn, each of which has an ingress statement whose one
// peer is A's subject, with the same traffic (A -> B1:T, ..., Bn:T); or an
// ingress statement of B whose peers (two or more) are the subjects
// A1..An, each of which has an egress statement whose one peer is B's
// subject (A1, ..., An -> B:T). The statements of each policy are unique
// by direction and traffic, so these shapes are found whatever the order.
// The first source's egress statement prints the arrow, where that
// policy's statements are.
func (d *decompiler) pair() {
	all := d.ordered()
	bySubject := map[string]*policy{}
	rank := map[*policy]int{}
	for i, pp := range all {
		rank[pp] = i
		if self, ok := podPeer(pp.Policy); ok {
			bySubject[ir.PeerKey(self)] = pp
		}
	}
	// end returns the free arrowable statement of the policy whose subject
	// peer p is, in direction dir, with traffic ukey and the one peer want.
	end := func(p ir.Peer, dir ir.Direction, ukey, want string) *stmt {
		pp := bySubject[ir.PeerKey(p)]
		if pp == nil {
			return nil
		}
		for _, t := range pp.stmts {
			if t.arrow != nil || t.dir != dir || t.unit.key() != ukey {
				continue
			}
			if q, ok := arrowEnd(t); ok && len(t.peers) == 1 && ir.PeerKey(q) == want {
				return t
			}
		}
		return nil
	}
	for _, pp := range all {
		self, ok := podPeer(pp.Policy)
		if !ok {
			continue
		}
		for _, s := range pp.stmts {
			if s.arrow != nil || !arrowEnds(s) {
				continue
			}
			ukey := s.unit.key()
			var others []*stmt
			opposite := ir.Ingress
			if s.dir == ir.Ingress {
				if len(s.peers) < 2 {
					continue // an arrow between two policies is found from its egress end
				}
				opposite = ir.Egress
			}
			for _, p := range s.peers {
				t := end(ir.Absolute(p, pp.Namespace), opposite, ukey, ir.PeerKey(self))
				if t == nil || t == s || slices.Contains(others, t) {
					others = nil
					break
				}
				others = append(others, t)
			}
			if others == nil {
				continue
			}
			a := &arrow{}
			members := append([]*stmt{s}, others...)
			if s.dir == ir.Egress {
				a.sources, a.host = []*policy{pp}, s
				for _, t := range others {
					a.targets = append(a.targets, t.pol)
				}
			} else {
				a.targets = []*policy{pp}
				for _, t := range others {
					a.sources = append(a.sources, t.pol)
					if a.host == nil || rank[t.pol] < rank[a.host.pol] {
						a.host = t
					}
				}
			}
			for _, m := range members {
				m.arrow = a
			}
		}
	}
}

// arrowEnds reports whether every peer of s can be an end of an arrow
// with s (see arrowEnd, which checks the one peer of the other ends).
func arrowEnds(s *stmt) bool {
	if _, ok := podPeer(s.pol.Policy); !ok || s.dns || !s.isolating() || len(s.peers) == 0 {
		return false
	}
	for _, p := range s.peers {
		p = ir.Absolute(p, s.pol.Namespace)
		if p.Kind != ir.PeerPods || p.Namespace.Scope != ir.NamespaceNamed {
			return false
		}
	}
	return true
}

// printed reports whether s is printed where its policy's statements are.
func (s *stmt) printed() bool { return s.arrow == nil || s.arrow.host == s }

// group is a name given to the pods of a selector in a named namespace.
type group struct {
	name string
	peer ir.Peer // absolute
	uses int
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*$`)

// nameGroups counts, for each pod selector of a named namespace, the
// statements that mention it, and names those used more than once. A name
// already taken is qualified by the namespace (shop-web), then numbered
// (web-2).
func (d *decompiler) nameGroups() {
	count := func(seen map[string]bool, p ir.Peer) {
		if p.Kind != ir.PeerPods || p.Namespace.Scope != ir.NamespaceNamed || p.Pods.IsEmpty() {
			return
		}
		k := ir.PeerKey(p)
		if seen[k] {
			return
		}
		seen[k] = true
		g := d.groups[k]
		if g == nil {
			g = &group{peer: p}
			d.groups[k] = g
		}
		g.uses++
	}
	for _, pp := range d.ordered() {
		self, isPods := podPeer(pp.Policy)
		if isPods && pp.needsIsolate() {
			count(map[string]bool{}, self)
		}
		for _, s := range pp.stmts {
			if !s.printed() {
				continue
			}
			seen := map[string]bool{}
			if isPods {
				count(seen, self)
			}
			if s.dns {
				continue // the DNS server is not written
			}
			if s.arrow != nil {
				for _, q := range append(slices.Clone(s.arrow.sources), s.arrow.targets...) {
					p, _ := podPeer(q.Policy)
					count(seen, p)
				}
				continue
			}
			for _, p := range s.peers {
				count(seen, ir.Absolute(p, pp.Namespace))
			}
		}
	}
	for _, blk := range append(slices.DeleteFunc(slices.Clone(d.blocks), func(b string) bool { return b == "" }), "") {
		for _, ps := range d.expectPeers(blk) {
			seen := map[string]bool{}
			for _, p := range ps {
				count(seen, ir.Absolute(p, blk))
			}
		}
	}
	var keys []string
	for k, g := range d.groups {
		if g.uses < 2 {
			delete(d.groups, k)
			continue
		}
		keys = append(keys, k)
	}
	// Groups of governed namespaces choose first, then by key.
	slices.SortFunc(keys, func(a, b string) int {
		ga, gb := d.governed[d.groups[a].peer.Namespace.Name], d.governed[d.groups[b].peer.Namespace.Name]
		if ga != gb {
			if ga {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	taken := map[string]bool{}
	for _, k := range keys {
		g := d.groups[k]
		base := groupName(g.peer.Pods)
		for i, name := 0, base; ; i++ {
			switch i {
			case 0:
			case 1:
				name = g.peer.Namespace.Name + "-" + base
			default:
				name = base + "-" + strconv.Itoa(i)
			}
			if !taken[name] && identRE.MatchString(name) && !lexicon.IsReserved(name) && !lexicon.IsKeyword(name) {
				g.name, taken[name] = name, true
				break
			}
		}
	}
}

// groupName derives a group name from a selector's values: {app: web} is
// "web", {app: web, tier: db} "web-db" (at most three words); a name that
// would not read as one gets its key in front ({tier: 1} is "tier-1").
func groupName(s ir.Selector) string {
	var words []string
	for _, l := range s.MatchLabels {
		words = append(words, l.Value)
	}
	for _, x := range s.MatchExpressions {
		key := x.Key[strings.LastIndex(x.Key, "/")+1:]
		switch x.Operator {
		case ir.OpIn:
			words = append(words, x.Values...)
		case ir.OpNotIn:
			words = append(append(words, "not"), x.Values...)
		case ir.OpExists:
			words = append(words, key)
		case ir.OpDoesNotExist:
			words = append(words, "no", key)
		}
	}
	words = slices.DeleteFunc(words, func(w string) bool { return w == "" })
	if len(words) > 3 {
		words = words[:3]
	}
	name := strings.Join(words, "-")
	if !identRE.MatchString(name) || lexicon.IsReserved(name) || lexicon.IsKeyword(name) {
		keys := s.Keys()
		if len(keys) > 0 {
			key := keys[0][strings.LastIndex(keys[0], "/")+1:]
			name = key + "-" + name
		}
	}
	if !identRE.MatchString(name) || lexicon.IsReserved(name) || lexicon.IsKeyword(name) {
		name = "pods"
	}
	return name
}

// isAllPods reports whether the policy is for every pod of its namespace
// (or of every namespace, cluster-wide): the subject of "default deny".
func (p *policy) isAllPods() bool {
	return !p.Subject.Nodes && p.Subject.Namespaces == nil && p.Subject.Pods.IsEmpty()
}

// isolatedBy reports whether the output's statements for p isolate it in
// dir without an "isolate".
func (p *policy) isolatedBy(dir ir.Direction) bool {
	if dir == ir.Ingress && p.autoIngress {
		return true
	}
	for _, s := range p.stmts {
		if s.dir == dir && s.isolating() {
			return true
		}
	}
	return false
}

// needsDefaultDeny reports whether p, a policy of every pod, needs a
// "default deny": when its statements do not isolate it in a direction it
// is isolated in. It then isolates every direction p is isolated in, as
// "default deny" is usually written (with "allow dns" after it).
func (p *policy) needsDefaultDeny() bool {
	return p.Isolation.Ingress && !p.isolatedBy(ir.Ingress) || p.Isolation.Egress && !p.isolatedBy(ir.Egress)
}

// needsIsolate reports whether p needs an "isolate" statement (policies of
// every pod get "default deny" instead).
func (p *policy) needsIsolate() bool {
	if p.isAllPods() {
		return false
	}
	return p.Isolation.Ingress && !p.isolatedBy(ir.Ingress) || p.Isolation.Egress && !p.isolatedBy(ir.Egress)
}
