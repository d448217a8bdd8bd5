package analysis

import (
	"fmt"
	"sort"
	"strings"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// Graph is a picture of flows: nodes grouped in clusters (namespaces), and
// labelled edges. Build it with IntendedGraph or AnalysedGraph; render it
// with DOT, Mermaid or SVG. Everything is sorted: the same input gives the
// same bytes.
type Graph struct {
	Title    string
	Clusters []Cluster // sorted by name
	Nodes    []GraphNode
	Edges    []GraphEdge // sorted by From, To, Label
}

// Cluster is a namespace (or a namespace selector, "ns{env: dev}") holding
// nodes.
type Cluster struct {
	ID    string
	Label string
}

// Node shapes, by what a node stands for.
const (
	ShapePods     = "pods"     // pods: a group, a workload or a pod
	ShapeExternal = "external" // addresses outside the cluster: CIDRs, the world
	ShapeFQDN     = "fqdn"     // DNS names
	ShapeEntity   = "entity"   // nodes, the host, the kube-apiserver, other entities
)

// GraphNode is a node of a graph.
type GraphNode struct {
	ID      string // unique; safe in DOT, Mermaid and SVG ids: [a-z0-9_]
	Label   string
	Cluster string // Cluster.ID, or "" outside every cluster
	Shape   string
}

// GraphEdge is a flow from one node to another.
type GraphEdge struct {
	From, To string // node IDs
	Label    string // the ports ("5432/TCP, 8080/TCP"), or the connections
	// L7: HTTP (or DNS) rules restrict the requests of some of the ports.
	L7 bool
	// FQDN: the destination is a DNS name.
	FQDN bool
	// Deny: a deny rule (intended graphs only).
	Deny bool
	// OneSided is "egress" or "ingress" when only that side's rules write
	// the flow (the other end is in a namespace the program does not
	// govern, or has no rule for it); "" when both do, or for analysed
	// graphs.
	OneSided string
}

// graphBuilder assigns stable IDs.
type graphBuilder struct {
	g        Graph
	nodes    map[string]int // key -> index in g.Nodes
	clusters map[string]bool
}

func newGraphBuilder(title string) *graphBuilder {
	return &graphBuilder{g: Graph{Title: title}, nodes: map[string]int{}, clusters: map[string]bool{}}
}

func (b *graphBuilder) cluster(name string) string {
	if name == "" {
		return ""
	}
	for _, c := range b.g.Clusters {
		if c.Label == name {
			return c.ID
		}
	}
	// Distinct names may map to one ID ("a.b", "a-b"): number the later.
	id := "cluster_" + safeID(name)
	for n := 2; b.clusters[id]; n++ {
		id = fmt.Sprintf("cluster_%s_%d", safeID(name), n)
	}
	b.clusters[id] = true
	b.g.Clusters = append(b.g.Clusters, Cluster{ID: id, Label: name})
	return id
}

// node returns the ID of the node with key, adding it. IDs are the keys
// until finish numbers the nodes.
func (b *graphBuilder) node(key, label, cluster, shape string) string {
	if _, ok := b.nodes[key]; !ok {
		b.nodes[key] = len(b.g.Nodes)
		b.g.Nodes = append(b.g.Nodes, GraphNode{ID: key, Label: label, Cluster: b.cluster(cluster), Shape: shape})
	}
	return key
}

// safeID maps s to [a-z0-9_].
func safeID(s string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			sb.WriteRune(r)
		} else {
			sb.WriteByte('_')
		}
	}
	return strings.Trim(sb.String(), "_")
}

// finish sorts the graph and numbers the nodes (n1, n2, ...) and the
// clusters (cluster_NAME).
func (b *graphBuilder) finish() *Graph {
	g := b.g
	sort.Slice(g.Clusters, func(i, j int) bool { return g.Clusters[i].Label < g.Clusters[j].Label })
	sort.SliceStable(g.Nodes, func(i, j int) bool {
		a, c := g.Nodes[i], g.Nodes[j]
		if (a.Cluster == "") != (c.Cluster == "") {
			return c.Cluster == "" // clusters first
		}
		if a.Cluster != c.Cluster {
			return a.Cluster < c.Cluster
		}
		if a.Label != c.Label {
			return a.Label < c.Label
		}
		return a.ID < c.ID
	})
	ids := map[string]string{}
	for i := range g.Nodes {
		ids[g.Nodes[i].ID] = fmt.Sprintf("n%d", i+1)
		g.Nodes[i].ID = ids[g.Nodes[i].ID]
	}
	for i := range g.Edges {
		g.Edges[i].From, g.Edges[i].To = ids[g.Edges[i].From], ids[g.Edges[i].To]
	}
	sort.SliceStable(g.Edges, func(i, j int) bool {
		a, c := g.Edges[i], g.Edges[j]
		if a.From != c.From {
			return a.From < c.From
		}
		if a.To != c.To {
			return a.To < c.To
		}
		return a.Label < c.Label
	})
	return &g
}

// IntendedGraph is the picture of prog's rules: one node per group of pods
// (per namespace and selector), CIDR, DNS name or entity, one edge per pair
// that a rule allows (or denies), labelled with the ports. The flow of an
// arrow, written on both ends, is one edge.
func IntendedGraph(prog *ir.Program) *Graph {
	b := newGraphBuilder("intended flows")
	// Group names: where a policy's subject is a group, and the groups
	// that expectations name.
	names := map[string]string{}
	for _, x := range prog.Expectations {
		for _, ep := range []ir.Endpoint{x.From, x.To} {
			p := ep.Peer
			if ep.Group == "" || p.Kind != ir.PeerPods || p.Namespace.Scope == ir.NamespacePolicy && x.Namespace == "" {
				continue
			}
			if k := podsKey(peerNamespace(x.Namespace, &p), p.Pods); names[k] == "" {
				names[k] = ep.Group
			}
		}
	}
	for _, pol := range prog.Policies {
		if !pol.Subject.Nodes && pol.Subject.Namespaces == nil && pol.Namespace != "" && !pol.Subject.Pods.IsEmpty() {
			names[podsKey(pol.Namespace, pol.Subject.Pods)] = pol.Name
		}
	}
	if k := podsKey(prog.DNS.Namespace, prog.DNS.Pods); names[k] == "" && prog.DNS.Namespace != "" {
		names[k] = "dns"
	}
	type edgeKey struct {
		from, to string
		deny     bool
	}
	type edgeAcc struct {
		ports   map[string]bool
		l7      bool
		fqdn    bool
		egress  bool
		ingress bool
	}
	edges := map[edgeKey]*edgeAcc{}
	var order []edgeKey
	for _, pol := range prog.Policies {
		subj := b.subjectNode(pol, names)
		for _, r := range pol.Rules {
			if r.Action == ir.Pass {
				continue // a pass allows and denies nothing itself
			}
			label, l7 := ruleTraffic(r)
			for i := range r.Peers {
				p := &r.Peers[i]
				peer := b.peerNode(pol, p, names)
				k := edgeKey{from: subj, to: peer, deny: r.Action == ir.Deny}
				if r.Direction == ir.Ingress {
					k.from, k.to = peer, subj
				}
				acc, ok := edges[k]
				if !ok {
					acc = &edgeAcc{ports: map[string]bool{}}
					edges[k] = acc
					order = append(order, k)
				}
				for _, l := range label {
					acc.ports[l] = true
				}
				acc.l7 = acc.l7 || l7
				acc.fqdn = acc.fqdn || p.Kind == ir.PeerFQDN
				if r.Direction == ir.Egress {
					acc.egress = true
				} else {
					acc.ingress = true
				}
			}
		}
	}
	for _, k := range order {
		acc := edges[k]
		var ports []string
		for p := range acc.ports {
			ports = append(ports, p)
		}
		sort.Strings(ports)
		e := GraphEdge{From: k.from, To: k.to, Label: strings.Join(ports, ", "), L7: acc.l7, FQDN: acc.fqdn, Deny: k.deny}
		pods := strings.HasPrefix(k.from, "pods|") && strings.HasPrefix(k.to, "pods|")
		switch {
		case !pods:
			// An external end has no side of its own.
		case acc.egress && !acc.ingress:
			e.OneSided = "egress"
		case acc.ingress && !acc.egress:
			e.OneSided = "ingress"
		}
		b.g.Edges = append(b.g.Edges, e)
	}
	return b.finish()
}

func podsKey(ns string, sel ir.Selector) string { return "pods|" + ns + "|" + sel.String() }

// peerNamespace names the namespaces of a pod peer written in namespace ns
// ("" for cluster-wide): a namespace, or "ns{...}" for a selector.
func peerNamespace(ns string, p *ir.Peer) string {
	switch p.Namespace.Scope {
	case ir.NamespaceNamed:
		return p.Namespace.Name
	case ir.NamespaceLabels:
		return "ns" + p.Namespace.Labels.String()
	}
	if ns == "" {
		return "ns{}"
	}
	return ns
}

func (b *graphBuilder) subjectNode(pol *ir.Policy, names map[string]string) string {
	switch {
	case pol.Subject.Nodes:
		return b.node("nodes|"+pol.Subject.Pods.String(), "node"+pol.Subject.Pods.String(), "", ShapeEntity)
	case pol.Namespace == "":
		if name, ok := namespaceByName(pol.Subject.Namespaces); ok {
			// Pods of one namespace by name (an ordered block's NS/{...}):
			// the same node as that namespace's pods.
			k := podsKey(name, pol.Subject.Pods)
			return b.node(k, podsLabel(pol.Subject.Pods, names[k]), name, ShapePods)
		}
		ns := "ns{}"
		if pol.Subject.Namespaces != nil {
			ns = "ns" + pol.Subject.Namespaces.String()
		}
		return b.node(podsKey(ns, pol.Subject.Pods), podsLabel(pol.Subject.Pods, ""), ns, ShapePods)
	}
	k := podsKey(pol.Namespace, pol.Subject.Pods)
	return b.node(k, podsLabel(pol.Subject.Pods, names[k]), pol.Namespace, ShapePods)
}

// namespaceByName returns the namespace a namespace selector selects by
// its name label alone (kubernetes.io/metadata.name=NAME).
func namespaceByName(s *ir.Selector) (string, bool) {
	if s == nil || len(s.MatchExpressions) > 0 || len(s.MatchLabels) != 1 || s.MatchLabels[0].Key != eval.NamespaceNameLabel {
		return "", false
	}
	return s.MatchLabels[0].Value, true
}

func podsLabel(sel ir.Selector, name string) string {
	switch {
	case name != "" && !sel.IsEmpty():
		return name + "\n" + sel.String()
	case sel.IsEmpty():
		return "all pods"
	}
	return sel.String()
}

func (b *graphBuilder) peerNode(pol *ir.Policy, p *ir.Peer, names map[string]string) string {
	switch p.Kind {
	case ir.PeerPods:
		ns := peerNamespace(pol.Namespace, p)
		k := podsKey(ns, p.Pods)
		return b.node(k, podsLabel(p.Pods, names[k]), ns, ShapePods)
	case ir.PeerCIDR:
		label := p.CIDR.String()
		for i, x := range p.Except {
			if i == 0 {
				label += "\nexcept " + x.String()
			} else {
				label += ",\n" + x.String()
			}
		}
		return b.node("cidr|"+ir.PeerKey(*p), label, "", ShapeExternal)
	case ir.PeerFQDN:
		return b.node("fqdn|"+p.FQDN.Pattern, p.FQDN.Pattern, "", ShapeFQDN)
	case ir.PeerEntity:
		shape := ShapeEntity
		switch p.Entity {
		case ir.EntityWorld, ir.EntityWorldIPv4, ir.EntityWorldIPv6:
			shape = ShapeExternal
		}
		return b.node("entity|"+string(p.Entity), string(p.Entity), "", shape)
	case ir.PeerService:
		ns := p.Service.Namespace
		if ns == "" {
			ns = pol.Namespace
		}
		return b.node("service|"+ns+"|"+ir.PeerKey(*p), ir.FormatPeer(*p), ns, ShapePods)
	case ir.PeerNodes:
		return b.node("nodes|"+p.Pods.String(), "node"+p.Pods.String(), "", ShapeEntity)
	}
	return b.node("any", "anything", "", ShapeEntity)
}

// ruleTraffic returns the labels of r's traffic ("5432/TCP", "all",
// "icmp/8", "8080/TCP HTTP") and whether L7 rules restrict some of it.
func ruleTraffic(r *ir.Rule) ([]string, bool) {
	var out []string
	l7 := false
	if r.AllTraffic {
		out = append(out, "all")
	}
	for _, pr := range r.Ports {
		suffix := ""
		switch {
		case len(pr.HTTP) > 0:
			suffix, l7 = " HTTP", true
		case len(pr.DNS) > 0:
			suffix, l7 = " DNS", true
		}
		for _, p := range pr.Ports {
			out = append(out, ir.FormatPort(p)+suffix)
		}
	}
	for _, t := range r.ICMP {
		out = append(out, ir.FormatICMP(t))
	}
	return out, l7
}

// AnalysedGraph is the picture of the connections of c: one node per node
// of c, one edge per pair with allowed connections, labelled with them.
// Pairs allowing everything are left out unless all (they are most pairs
// of pods no policy selects); the title says how many.
func AnalysedGraph(c *Connectivity, all bool) *Graph {
	b := newGraphBuilder("analysed connectivity")
	ids := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		shape := ShapePods
		switch n.Kind {
		case KindExternal:
			shape = ShapeExternal
			if len(n.Names) > 0 {
				shape = ShapeFQDN
			}
		case KindNode, KindAPIServer, KindHost:
			shape = ShapeEntity
		}
		label := n.Name
		if n.Namespace != "" {
			label = strings.TrimPrefix(n.Name, n.Namespace+"/")
		}
		ids[i] = b.node("node|"+n.Name, label, n.Namespace, shape)
	}
	left := 0
	for i := range c.Nodes {
		for j := range c.Nodes {
			if !c.Policed(i, j) {
				continue
			}
			x := c.Cell(i, j)
			if x.IsEmpty() {
				continue
			}
			if x.All() && !all {
				left++
				continue
			}
			fqdn := c.Nodes[j].Kind == KindExternal && b.g.Nodes[b.nodes["node|"+c.Nodes[j].Name]].Shape == ShapeFQDN
			b.g.Edges = append(b.g.Edges, GraphEdge{From: ids[i], To: ids[j], Label: x.String(), L7: !x.L7.IsEmpty(), FQDN: fqdn})
		}
	}
	if left > 0 {
		b.g.Title += fmt.Sprintf(" (%d pairs that allow everything left out)", left)
	}
	return b.finish()
}
