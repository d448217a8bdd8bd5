package reach

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// class is a set of endpoints that no policy of the program can tell apart:
// same kind, namespace, values of every label key a selector mentions,
// container ports of every name a rule mentions (pods); same IP and DNS
// names (externals); same labels and locality (nodes). Every member of a
// class decides alike as subject, as peer and as destination, so the
// engine decides classes and Allowed looks its endpoints' classes up.
type class struct {
	kind     eval.EndpointKind
	ep       eval.Endpoint     // a representative member
	ns       string            // pods
	labels   map[string]string // pods and nodes (nil for the local host)
	nsLabels map[string]string // pods: the namespace's labels with the name label
	ports    int32             // pods: index of the named container ports in engine.portSets
}

// namedPort is a named container port of a destination that a rule's
// named port may resolve to.
type namedPort struct {
	name  string
	proto int // protocol index
	port  uint16
}

// selectorKeys adds the label keys s looks at.
func selectorKeys(keys map[string]bool, s ir.Selector) {
	for _, l := range s.MatchLabels {
		keys[l.Key] = true
	}
	for _, x := range s.MatchExpressions {
		keys[x.Key] = true
	}
}

// relevance returns the label keys any selector of the program or any
// Service of the world looks at, and the container port names any rule
// names: the only parts of an endpoint that decide.
func relevance(prog *ir.Program, w *eval.World) (keys, portNames map[string]bool) {
	keys, portNames = map[string]bool{}, map[string]bool{}
	for _, pol := range prog.Policies {
		selectorKeys(keys, pol.Subject.Pods)
		for _, r := range pol.Rules {
			for i := range r.Peers {
				p := &r.Peers[i]
				selectorKeys(keys, p.Pods)
			}
			for _, pr := range r.Ports {
				for _, p := range pr.Ports {
					if p.Name != "" {
						portNames[p.Name] = true
					}
				}
			}
		}
	}
	for _, s := range w.Services {
		for k := range s.Selector {
			keys[k] = true
		}
	}
	return keys, portNames
}

// buildClasses groups the endpoints eps of w into classes; it returns the
// classes, the class of each endpoint, and the distinct named-port lists
// (index 0: none).
func buildClasses(prog *ir.Program, w *eval.World, eps []eval.Endpoint) ([]class, []int32, [][]namedPort) {
	keys, portNames := relevance(prog, w)
	nsLabels := map[string]map[string]string{}
	for _, ns := range w.Namespaces {
		l := make(map[string]string, len(ns.Labels)+1)
		for k, v := range ns.Labels {
			l[k] = v
		}
		l[eval.NamespaceNameLabel] = ns.Name
		nsLabels[ns.Name] = l
	}
	portSets := [][]namedPort{nil}
	portIdx := map[string]int32{"": 0}
	byKey := map[string]int32{}
	var classes []class
	classOf := make([]int32, len(eps))
	var b strings.Builder
	var kv []string
	var np []namedPort
	for i, ep := range eps {
		b.Reset()
		b.WriteByte(byte('0' + ep.Kind))
		c := class{kind: ep.Kind, ep: ep}
		switch ep.Kind {
		case eval.EndpointPod:
			p := ep.Pod
			c.ns, c.labels = p.Namespace, p.Labels
			c.nsLabels = nsLabels[p.Namespace]
			if c.nsLabels == nil {
				c.nsLabels = map[string]string{eval.NamespaceNameLabel: p.Namespace}
				nsLabels[p.Namespace] = c.nsLabels
			}
			b.WriteString(p.Namespace)
			b.WriteByte(0)
			kv = writeLabels(&b, kv, p.Labels, keys)
			np = np[:0]
			for _, cp := range p.Ports {
				if portNames[cp.Name] {
					np = append(np, namedPort{cp.Name, protoIndex(cp.Protocol), cp.Port})
				}
			}
			if len(np) > 0 {
				sort.Slice(np, func(x, y int) bool {
					if np[x].name != np[y].name {
						return np[x].name < np[y].name
					}
					if np[x].proto != np[y].proto {
						return np[x].proto < np[y].proto
					}
					return np[x].port < np[y].port
				})
				var pk strings.Builder
				for _, n := range np {
					pk.WriteString(n.name)
					pk.WriteByte(0)
					pk.WriteString(strconv.Itoa(n.proto*65536 + int(n.port)))
					pk.WriteByte(0)
				}
				id, ok := portIdx[pk.String()]
				if !ok {
					id = int32(len(portSets))
					portIdx[pk.String()] = id
					portSets = append(portSets, append([]namedPort(nil), np...))
				}
				c.ports = id
				b.WriteByte(1)
				b.WriteString(strconv.Itoa(int(id)))
			}
		case eval.EndpointExternal:
			x := ep.External
			b.WriteString(x.IP.String())
			for _, n := range x.Names {
				b.WriteByte(0)
				b.WriteString(n)
			}
		case eval.EndpointNode:
			c.labels = ep.Node.Labels
			if ep.Node.Local {
				b.WriteByte('L')
			}
			kv = writeLabels(&b, kv, ep.Node.Labels, keys)
		}
		k := b.String()
		id, ok := byKey[k]
		if !ok {
			id = int32(len(classes))
			byKey[k] = id
			classes = append(classes, c)
		}
		classOf[i] = id
	}
	return classes, classOf, portSets
}

// writeLabels writes the labels of l whose keys are in keys, sorted.
func writeLabels(b *strings.Builder, kv []string, l map[string]string, keys map[string]bool) []string {
	kv = kv[:0]
	for k, v := range l {
		if keys[k] {
			kv = append(kv, k+"\x01"+v)
		}
	}
	sort.Strings(kv)
	for _, s := range kv {
		b.WriteByte(0)
		b.WriteString(s)
	}
	return kv
}

// isLocalHost reports whether the class is the local host or the Local node.
func (c *class) isLocalHost() bool {
	return c.kind == eval.EndpointHost || (c.kind == eval.EndpointNode && c.ep.Node.Local)
}

func (c *class) ip() netip.Addr {
	if c.kind == eval.EndpointExternal {
		return c.ep.External.IP
	}
	return netip.Addr{}
}
