// Package analysis answers who can reach whom under a program, over a
// world: the explanation of one flow (which rules decide it on each side),
// the matrix of allowed connections between the world's workloads, the
// connections a change opens and closes, and the graph of intended or
// analysed flows (DOT, Mermaid, SVG). It works on the IR with the evaluator
// (compile/eval) and the connectivity engine (compile/reach); it sees
// neither the compiler, the syntax nor a target. docs/analysis.md describes
// the commands built on it.
package analysis

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
)

// EndpointSyntax documents how ParseEndpoint reads an endpoint name.
const EndpointSyntax = `An endpoint is one of:
   NS/POD          a pod of the world, by namespace and name (production/web-0)
   NS/KIND/NAME    the first pod of a workload (production/Deployment/web)
   POD             a pod name that is unique in the world
   node/NAME       a node of the world
   host            the local host (the node the flows are judged on)
   kube-apiserver  the Kubernetes API server
   IP              an address: the world's pod, node or external with that IP,
                   else an external address outside the world (8.8.8.8, [2001:db8::1])
   DNS-NAME        an external the world resolves from that name, else an external
                   with that name and no address (api.example.com)`

// ResolvedEndpoint is an endpoint a name stands for, and how it was found.
type ResolvedEndpoint struct {
	Endpoint eval.Endpoint
	// Note says what was chosen when the name did not name one endpoint
	// exactly ("the first of 3 pods of Deployment/web"); "" otherwise.
	Note string
}

// ParseEndpoint resolves name (EndpointSyntax) against the endpoints of w.
// An unknown or ambiguous name is an error that lists the candidates.
func ParseEndpoint(w *eval.World, name string) (ResolvedEndpoint, error) {
	if name == "" {
		return ResolvedEndpoint{}, fmt.Errorf("empty endpoint name")
	}
	switch name {
	case "host":
		for i := range w.Nodes {
			if w.Nodes[i].Local {
				return ResolvedEndpoint{Endpoint: eval.NodeEndpoint(&w.Nodes[i]), Note: "the local node"}, nil
			}
		}
		return ResolvedEndpoint{Endpoint: eval.LocalHost()}, nil
	case string(ir.EntityKubeAPIServer):
		return ResolvedEndpoint{Endpoint: eval.APIServer()}, nil
	}
	if addr, ok := parseAddr(name); ok {
		return addrEndpoint(w, addr), nil
	}
	if node, ok := strings.CutPrefix(name, "node/"); ok {
		for i := range w.Nodes {
			if w.Nodes[i].Name == node {
				return ResolvedEndpoint{Endpoint: eval.NodeEndpoint(&w.Nodes[i])}, nil
			}
		}
		var names []string
		for _, n := range w.Nodes {
			names = append(names, "node/"+n.Name)
		}
		return ResolvedEndpoint{}, unknown("node", name, names)
	}
	parts := strings.Split(name, "/")
	switch len(parts) {
	case 1:
		if strings.Contains(name, ".") {
			return dnsEndpoint(w, name)
		}
		var found []*eval.Pod
		for i := range w.Pods {
			if w.Pods[i].Name == name {
				found = append(found, &w.Pods[i])
			}
		}
		switch len(found) {
		case 1:
			return ResolvedEndpoint{Endpoint: eval.PodEndpoint(found[0])}, nil
		case 0:
			return ResolvedEndpoint{}, unknown("endpoint", name, endpointNames(w))
		}
		var xs []string
		for _, p := range found {
			xs = append(xs, p.Namespace+"/"+p.Name)
		}
		sort.Strings(xs)
		return ResolvedEndpoint{}, fmt.Errorf("ambiguous endpoint %q: pods %s; write NS/POD", name, strings.Join(xs, ", "))
	case 2:
		for i := range w.Pods {
			if p := &w.Pods[i]; p.Namespace == parts[0] && p.Name == parts[1] {
				return ResolvedEndpoint{Endpoint: eval.PodEndpoint(p)}, nil
			}
		}
		return ResolvedEndpoint{}, unknown("pod", name, endpointNames(w))
	case 3:
		workload := parts[1] + "/" + parts[2]
		var found []*eval.Pod
		for i := range w.Pods {
			if p := &w.Pods[i]; p.Namespace == parts[0] && strings.EqualFold(podWorkload(p), workload) {
				found = append(found, p)
			}
		}
		if len(found) == 0 {
			var names []string
			seen := map[string]bool{}
			for i := range w.Pods {
				p := &w.Pods[i]
				if wl := podWorkload(p); wl != "" && !seen[p.Namespace+"/"+wl] {
					seen[p.Namespace+"/"+wl] = true
					names = append(names, p.Namespace+"/"+wl)
				}
			}
			return ResolvedEndpoint{}, unknown("workload", name, names)
		}
		r := ResolvedEndpoint{Endpoint: eval.PodEndpoint(found[0])}
		if len(found) > 1 {
			r.Note = fmt.Sprintf("the first of %d pods of %s", len(found), found[0].Workload)
		}
		return r, nil
	}
	return ResolvedEndpoint{}, fmt.Errorf("bad endpoint %q: want NS/POD, NS/KIND/NAME, node/NAME, host, kube-apiserver, an IP or a DNS name", name)
}

// EndpointName names ep as eval.Endpoint.String does, except for an
// external without address, which is named by its first DNS name.
func EndpointName(ep eval.Endpoint) string {
	if ep.Kind == eval.EndpointExternal && ep.External != nil && !ep.External.IP.IsValid() && len(ep.External.Names) > 0 {
		return ep.External.Names[0]
	}
	return ep.String()
}

// parseAddr reads an IP address, optionally in brackets ([2001:db8::1]).
func parseAddr(s string) (netip.Addr, bool) {
	if t, ok := strings.CutPrefix(s, "["); ok {
		if t, ok = strings.CutSuffix(t, "]"); ok {
			s = t
		}
	}
	a, err := netip.ParseAddr(s)
	return a, err == nil
}

// addrEndpoint finds the endpoint of w with address a, or makes an external
// address outside the world.
func addrEndpoint(w *eval.World, a netip.Addr) ResolvedEndpoint {
	for i := range w.Pods {
		if w.Pods[i].IP == a {
			return ResolvedEndpoint{Endpoint: eval.PodEndpoint(&w.Pods[i])}
		}
	}
	for i := range w.Nodes {
		if w.Nodes[i].IP == a {
			return ResolvedEndpoint{Endpoint: eval.NodeEndpoint(&w.Nodes[i])}
		}
	}
	for i := range w.Externals {
		if w.Externals[i].IP == a {
			return ResolvedEndpoint{Endpoint: eval.ExternalEndpoint(&w.Externals[i])}
		}
	}
	return ResolvedEndpoint{Endpoint: eval.ExternalEndpoint(&eval.External{IP: a}), Note: "an address outside the world"}
}

// dnsEndpoint finds the external of w that name resolves to, or makes an
// external with that name and no address.
func dnsEndpoint(w *eval.World, name string) (ResolvedEndpoint, error) {
	want := strings.TrimSuffix(strings.ToLower(name), ".")
	if !isDNSName(want) {
		return ResolvedEndpoint{}, fmt.Errorf("%q is neither a pod nor a DNS name (labels of letters, digits, '-' and '_', separated by dots)", name)
	}
	for i := range w.Externals {
		for _, n := range w.Externals[i].Names {
			if strings.TrimSuffix(strings.ToLower(n), ".") == want {
				return ResolvedEndpoint{Endpoint: eval.ExternalEndpoint(&w.Externals[i])}, nil
			}
		}
	}
	return ResolvedEndpoint{
		Endpoint: eval.ExternalEndpoint(&eval.External{Names: []string{want}}),
		Note:     "a name the world does not resolve: no address, so CIDR rules do not match it",
	}, nil
}

// isDNSName reports whether s (lower case, without a trailing dot) is a
// DNS name: at most 253 characters, non-empty labels of at most 63
// characters of [a-z0-9_-].
func isDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' {
				return false
			}
		}
	}
	return true
}

// endpointNames lists the names of w's pods, nodes and the special
// endpoints, for suggestions.
func endpointNames(w *eval.World) []string {
	var names []string
	for _, p := range w.Pods {
		names = append(names, p.Namespace+"/"+p.Name)
	}
	for _, n := range w.Nodes {
		names = append(names, "node/"+n.Name)
	}
	return append(names, "host", string(ir.EntityKubeAPIServer))
}

// unknown is the error for a name that names nothing: the nearest known
// name, and the known names when they are few.
func unknown(what, name string, known []string) error {
	sort.Strings(known)
	msg := fmt.Sprintf("unknown %s %q", what, name)
	if best, ok := diag.Nearest(name, known, diag.Levenshtein, func(string) int { return len(name)/2 + 1 }); ok {
		msg += fmt.Sprintf(" (did you mean %q?)", best)
	}
	switch {
	case len(known) == 0:
		msg += fmt.Sprintf("; the world has no %s", what)
	case len(known) <= 12:
		msg += "; the world has " + strings.Join(known, ", ")
	}
	return fmt.Errorf("%s", msg)
}

// podWorkload is the workload of p, "Kind/name", or "" for a bare pod.
func podWorkload(p *eval.Pod) string { return p.Workload }
