package reach

import (
	"math/bits"
	"sort"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// bitset is a set of classes.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (s bitset) has(i int32) bool { return s[i/64]&(1<<(uint(i)%64)) != 0 }
func (s bitset) set(i int32)      { s[i/64] |= 1 << (uint(i) % 64) }

func (s bitset) or(t bitset) {
	for i := range s {
		s[i] |= t[i]
	}
}

func (s bitset) forEach(f func(i int32)) {
	for w, x := range s {
		for x != 0 {
			b := bits.TrailingZeros64(x)
			f(int32(w*64 + b))
			x &^= 1 << b
		}
	}
}

// matcher matches selectors and peers against classes, each distinct peer
// once, with the semantics of compile/eval.
type matcher struct {
	classes  []class
	world    *eval.World
	byNS     map[string][]int32 // pod classes per namespace
	pods     []int32            // every pod class
	others   []int32            // every class that is not a pod
	nsLabels map[string]map[string]string
	nsNames  []string
	peers    map[string]int32 // index in sets, by ir.PeerKey of the absolute, normalized peer
	sets     []bitset
	nsSel    map[string][]string
}

func newMatcher(classes []class, w *eval.World) *matcher {
	m := &matcher{classes: classes, world: w, byNS: map[string][]int32{}, nsLabels: map[string]map[string]string{},
		peers: map[string]int32{}, nsSel: map[string][]string{}}
	for i := range classes {
		c := &classes[i]
		if c.kind == eval.EndpointPod {
			if _, ok := m.byNS[c.ns]; !ok {
				m.nsNames = append(m.nsNames, c.ns)
				m.nsLabels[c.ns] = c.nsLabels
			}
			m.byNS[c.ns] = append(m.byNS[c.ns], int32(i))
			m.pods = append(m.pods, int32(i))
		} else {
			m.others = append(m.others, int32(i))
		}
	}
	for _, ns := range w.Namespaces {
		if _, ok := m.nsLabels[ns.Name]; !ok {
			l := make(map[string]string, len(ns.Labels)+1)
			for k, v := range ns.Labels {
				l[k] = v
			}
			l[eval.NamespaceNameLabel] = ns.Name
			m.nsLabels[ns.Name] = l
			m.nsNames = append(m.nsNames, ns.Name)
		}
	}
	return m
}

// namespacesMatching returns the namespaces (with pods) whose labels match
// sel, once per distinct selector.
func (m *matcher) namespacesMatching(sel ir.Selector) []string {
	k := sel.String()
	if out, ok := m.nsSel[k]; ok {
		return out
	}
	out := []string{}
	for _, ns := range m.nsNames {
		if len(m.byNS[ns]) > 0 && sel.Matches(m.nsLabels[ns]) {
			out = append(out, ns)
		}
	}
	m.nsSel[k] = out
	return out
}

// peer returns the classes matching peer p of a rule of a policy of
// namespace ns ("" for cluster-wide), and an identity of that set (equal
// peers get the same).
func (m *matcher) peer(p *ir.Peer, ns string) (bitset, int32) {
	q := *p
	q.Pods = p.Pods.Normalized()
	switch p.Kind {
	case ir.PeerPods:
		if p.Namespace.Scope == ir.NamespaceLabels {
			q.Namespace.Labels = p.Namespace.Labels.Normalized()
		}
	case ir.PeerService:
		if q.Service.Namespace == "" {
			q.Service.Namespace = ns
		}
		if p.Service.Selector != nil {
			s := p.Service.Selector.Normalized()
			q.Service.Selector = &s
		}
	}
	q = ir.Absolute(q, ns)
	k := ir.PeerKey(q)
	if id, ok := m.peers[k]; ok {
		return m.sets[id], id
	}
	s := newBitset(len(m.classes))
	m.fill(s, &q)
	id := int32(len(m.sets))
	m.peers[k] = id
	m.sets = append(m.sets, s)
	return s, id
}

// fill sets the classes matching q, an absolute normalized peer (a
// NamespacePolicy pod peer is one of a cluster-wide policy: any namespace).
func (m *matcher) fill(s bitset, q *ir.Peer) {
	switch q.Kind {
	case ir.PeerPods:
		var nss []string
		switch q.Namespace.Scope {
		case ir.NamespacePolicy:
			nss = m.nsNames
		case ir.NamespaceNamed:
			nss = []string{q.Namespace.Name}
		default:
			nss = m.namespacesMatching(q.Namespace.Labels)
		}
		for _, ns := range nss {
			for _, c := range m.byNS[ns] {
				if q.Pods.Matches(m.classes[c].labels) {
					s.set(c)
				}
			}
		}
	case ir.PeerService:
		for _, c := range m.byNS[q.Service.Namespace] {
			if m.serviceSelects(q, m.classes[c].labels) {
				s.set(c)
			}
		}
	case ir.PeerAny:
		for i := range m.classes {
			s.set(int32(i))
		}
	case ir.PeerEntity:
		if q.Entity == ir.EntityCluster || q.Entity == ir.EntityClusterMesh || q.Entity == ir.EntityAll {
			for _, c := range m.pods {
				s.set(c)
			}
		}
		for _, c := range m.others {
			if entityMatches(q.Entity, &m.classes[c]) {
				s.set(c)
			}
		}
	default:
		for _, c := range m.others {
			if m.otherMatches(q, &m.classes[c]) {
				s.set(c)
			}
		}
	}
}

// otherMatches decides CIDR, FQDN and node peers on a class that is not a
// pod (those peers never match pods).
func (m *matcher) otherMatches(q *ir.Peer, c *class) bool {
	switch q.Kind {
	case ir.PeerCIDR:
		return c.kind == eval.EndpointExternal && q.CIDRMatches(c.ip())
	case ir.PeerFQDN:
		if c.kind != eval.EndpointExternal {
			return false
		}
		for _, n := range c.ep.External.Names {
			if q.FQDN.Matches(n) {
				return true
			}
		}
	case ir.PeerNodes:
		// Node peers never match the local host (Cilium adds
		// reserved:remote-node to fromNodes/toNodes selectors).
		return (c.kind == eval.EndpointNode || c.kind == eval.EndpointHost) && !c.isLocalHost() && q.Pods.Matches(c.labels)
	}
	return false
}

// serviceSelects reports whether a pod with labels in the peer's Service
// namespace is selected by one of the Services q names.
func (m *matcher) serviceSelects(q *ir.Peer, labels map[string]string) bool {
	return m.world.ServiceSelects(q.Service.Namespace, q.Service.Name, q.Service.Selector, labels)
}

// entityMatches decides an entity on a class that is not a pod.
func entityMatches(ent ir.Entity, c *class) bool {
	switch ent {
	case ir.EntityAll:
		return true
	case ir.EntityWorld:
		return c.kind == eval.EndpointExternal
	case ir.EntityWorldIPv4:
		return c.kind == eval.EndpointExternal && c.ip().Unmap().Is4()
	case ir.EntityWorldIPv6:
		return c.kind == eval.EndpointExternal && c.ip().Is6() && !c.ip().Is4In6()
	case ir.EntityCluster, ir.EntityClusterMesh:
		return c.kind != eval.EndpointExternal
	case ir.EntityHost:
		return c.isLocalHost()
	case ir.EntityRemoteNode:
		return c.kind == eval.EndpointNode && !c.ep.Node.Local
	case ir.EntityKubeAPIServer:
		return c.kind == eval.EndpointAPIServer
	}
	return false
}

// subject returns the classes policy pol selects, in increasing order.
func (m *matcher) subject(pol *ir.Policy) []int32 {
	var s []int32
	sel := pol.Subject.Pods.Normalized()
	switch {
	case pol.Subject.Nodes:
		if pol.Namespace != "" {
			return s
		}
		for _, c := range m.others {
			cl := &m.classes[c]
			if (cl.kind == eval.EndpointNode || cl.kind == eval.EndpointHost) && sel.Matches(cl.labels) {
				s = append(s, c)
			}
		}
	case pol.Namespace != "":
		for _, c := range m.byNS[pol.Namespace] {
			if sel.Matches(m.classes[c].labels) {
				s = append(s, c)
			}
		}
	default:
		nss := m.nsNames
		if pol.Subject.Namespaces != nil {
			nss = m.namespacesMatching(pol.Subject.Namespaces.Normalized())
		}
		for _, ns := range nss {
			for _, c := range m.byNS[ns] {
				if sel.Matches(m.classes[c].labels) {
					s = append(s, c)
				}
			}
		}
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	}
	return s
}
