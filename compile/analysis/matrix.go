package analysis

import (
	"fmt"
	"sort"
	"strings"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/compile/reach"
)

// Node kinds: what a row or column of a matrix (or a node of a graph)
// stands for.
const (
	KindWorkload  = "workload"       // the pods of one workload, alike
	KindPod       = "pod"            // one pod
	KindExternal  = "external"       // an address outside the cluster
	KindNode      = "node"           // a cluster node
	KindAPIServer = "kube-apiserver" // the Kubernetes API server
	KindHost      = "host"           // the local host
)

// Node is a row and column of a matrix: one endpoint, or the pods of one
// workload when they are alike (every pod of the workload is allowed the
// same connections to and from every endpoint of the world).
type Node struct {
	// Name is unique in the matrix: "production/Deployment/web" for a
	// workload, "production/web-0" for a pod, "8.8.8.8" or
	// "52.94.0.0/20 (52.94.0.1)" for an external, "node/NAME",
	// "kube-apiserver", "host".
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	// Workload is "Kind/name" for a workload or a pod of one.
	Workload string `json:"workload,omitempty"`
	// Pods are the pod names of a workload node.
	Pods []string `json:"pods,omitempty"`
	// Peers are the policy peers an external added for them stands for
	// ("52.94.0.0/20", `"*.amazonaws.com"`).
	Peers []string `json:"peers,omitempty"`
	// Names are the DNS names of an external.
	Names []string `json:"names,omitempty"`
	// Split: a pod of a workload whose pods are not alike, shown apart.
	Split bool `json:"split,omitempty"`

	members []int // endpoint indices; the first represents the node
}

// Connectivity is the allowed connections between the nodes of one
// program over one world: the analysis grouped for display.
type Connectivity struct {
	Nodes []Node
	ans   []*reach.Analysis        // over one world; Cell reads the first
	cells []map[[2]int]reach.Conns // per analysis, memo of CellOf
}

// GroupOptions say how endpoints become nodes.
type GroupOptions struct {
	// PerPod: one node per pod instead of one per workload.
	PerPod bool
	// Labels are the policy peers of the world's externals, by index in
	// World.Externals (WithExternals).
	Labels map[int][]string
}

// Group groups the endpoints of ans (analyses of programs over the one
// world w) into nodes: the pods of a workload into one node when they are
// alike in every analysis (unless PerPod), every other endpoint a node of
// its own. Nodes are ordered: pods and workloads by namespace and name,
// then externals, nodes, the kube-apiserver and the host.
func Group(w *eval.World, opts GroupOptions, ans ...*reach.Analysis) *Connectivity {
	eps := ans[0].Endpoints()
	c := &Connectivity{ans: ans}
	workloads := map[string]int{} // ns/workload -> node index
	extIdx := map[*eval.External]int{}
	for i := range w.Externals {
		extIdx[&w.Externals[i]] = i
	}
	for i, ep := range eps {
		switch ep.Kind {
		case eval.EndpointPod:
			p := ep.Pod
			if p.Workload != "" && !opts.PerPod {
				key := p.Namespace + "/" + p.Workload
				if k, ok := workloads[key]; ok {
					c.Nodes[k].members = append(c.Nodes[k].members, i)
					c.Nodes[k].Pods = append(c.Nodes[k].Pods, p.Name)
					continue
				}
				workloads[key] = len(c.Nodes)
				c.Nodes = append(c.Nodes, Node{Name: key, Kind: KindWorkload, Namespace: p.Namespace, Workload: p.Workload, Pods: []string{p.Name}, members: []int{i}})
				continue
			}
			c.Nodes = append(c.Nodes, Node{Name: ep.String(), Kind: KindPod, Namespace: p.Namespace, Workload: p.Workload, members: []int{i}})
		case eval.EndpointExternal:
			n := Node{Name: ep.String(), Kind: KindExternal, Names: ep.External.Names, members: []int{i}}
			if k, ok := extIdx[ep.External]; ok && len(opts.Labels[k]) > 0 {
				n.Peers = opts.Labels[k]
				n.Name = strings.Join(n.Peers, ", ") + " (" + ep.External.IP.String() + ")"
			}
			c.Nodes = append(c.Nodes, n)
		case eval.EndpointNode:
			c.Nodes = append(c.Nodes, Node{Name: ep.String(), Kind: KindNode, members: []int{i}})
		case eval.EndpointAPIServer:
			c.Nodes = append(c.Nodes, Node{Name: ep.String(), Kind: KindAPIServer, members: []int{i}})
		default:
			c.Nodes = append(c.Nodes, Node{Name: ep.String(), Kind: KindHost, members: []int{i}})
		}
	}
	c.split(eps)
	sort.SliceStable(c.Nodes, func(i, j int) bool {
		a, b := &c.Nodes[i], &c.Nodes[j]
		if ka, kb := kindOrder(a.Kind), kindOrder(b.Kind); ka != kb {
			return ka < kb
		}
		if a.Kind == KindWorkload || a.Kind == KindPod {
			if a.Namespace != b.Namespace {
				return a.Namespace < b.Namespace
			}
			return a.Name < b.Name
		}
		return false // externals, nodes: world order
	})
	return c
}

func kindOrder(k string) int {
	switch k {
	case KindWorkload, KindPod:
		return 0
	case KindExternal:
		return 1
	case KindNode:
		return 2
	case KindAPIServer:
		return 3
	}
	return 4
}

// split replaces each workload node whose pods are not alike by one node
// per pod. Pods are alike when each is allowed the same connections as the
// first to and from every endpoint.
func (c *Connectivity) split(eps []eval.Endpoint) {
	var out []Node
	for _, n := range c.Nodes {
		if n.Kind != KindWorkload || c.alike(n.members, len(eps)) {
			out = append(out, n)
			continue
		}
		for _, m := range n.members {
			p := eps[m].Pod
			out = append(out, Node{Name: eps[m].String(), Kind: KindPod, Namespace: p.Namespace, Workload: p.Workload, Split: true, members: []int{m}})
		}
	}
	c.Nodes = out
}

func (c *Connectivity) alike(members []int, n int) bool {
	first := members[0]
	for _, an := range c.ans {
		sameClass := true
		for _, m := range members[1:] {
			sameClass = sameClass && an.Class(m) == an.Class(first)
		}
		if sameClass {
			continue // the engine tells them apart by no policy
		}
		for _, m := range members[1:] {
			for j := 0; j < n; j++ {
				if !an.Allowed(m, j).Equal(an.Allowed(first, j)) || !an.Allowed(j, m).Equal(an.Allowed(j, first)) {
					return false
				}
			}
		}
	}
	return true
}

// Cell returns the connections allowed from node i to node j (indices
// into Nodes) in the first analysis.
func (c *Connectivity) Cell(i, j int) reach.Conns { return c.CellOf(0, i, j) }

// CellOf returns the connections allowed from node i to node j in analysis
// k (in the order given to Group).
func (c *Connectivity) CellOf(k, i, j int) reach.Conns {
	return c.ans[k].Allowed(c.Nodes[i].members[0], c.Nodes[j].members[0])
}

// Policed reports whether a policy could apply to a connection from node i
// to node j: one of them is a pod, a node or the local host. Externals and
// the kube-apiserver are never subjects, so between two of them
// everything is allowed and nothing is worth showing.
func (c *Connectivity) Policed(i, j int) bool {
	subject := func(k string) bool { return k != KindExternal && k != KindAPIServer }
	return subject(c.Nodes[i].Kind) || subject(c.Nodes[j].Kind)
}

// Find returns the index of the node named name: its Name, the name of one
// of its pods (NS/POD), or a workload as NS/KIND/NAME when its pods were
// split (the first of them). ok is false when none is.
func (c *Connectivity) Find(name string) (int, bool) {
	for i, n := range c.Nodes {
		if n.Name == name {
			return i, true
		}
	}
	for i, n := range c.Nodes {
		for _, p := range n.Pods {
			if n.Namespace+"/"+p == name {
				return i, true
			}
		}
		if n.Split && n.Namespace+"/"+n.Workload == name {
			return i, true
		}
	}
	return -1, false
}

// Names returns the names of the nodes, for suggestions.
func (c *Connectivity) Names() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Name
	}
	return out
}

// PortQuery reduces cells to one port: --port P[/PROTO].
type PortQuery struct {
	Protocol ir.Protocol
	Port     uint16
}

func (q PortQuery) String() string { return fmt.Sprintf("%d/%s", q.Port, q.Protocol) }

// cellText renders a cell: its connections ("-" for none), or with a port
// query "yes", "L7" (allowed at L4, requests restricted) or "-".
func cellText(x reach.Conns, q *PortQuery) string {
	if q != nil {
		switch {
		case !x.Contains(q.Protocol, q.Port):
			return "-"
		case x.L7Restricted(q.Protocol, q.Port):
			return "L7"
		}
		return "yes"
	}
	if x.IsEmpty() {
		return "-"
	}
	return x.String()
}
