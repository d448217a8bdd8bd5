package eval

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/compile/ir"
)

// WorldFile is one document of the world file format (see LoadWorld). Its
// JSON tags are the format's field names.
type WorldFile struct {
	Namespaces map[string]map[string]string `json:"namespaces,omitempty"`
	Pods       []WorldPod                   `json:"pods,omitempty"`
	Externals  []WorldExternal              `json:"externals,omitempty"`
	Nodes      []WorldNode                  `json:"nodes,omitempty"`
	Services   []WorldService               `json:"services,omitempty"`
}

// WorldPod is a pod of a WorldFile.
type WorldPod struct {
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Labels    map[string]string `json:"labels,omitempty"`
	IP        string            `json:"ip,omitempty"`
	Ports     []WorldPort       `json:"ports,omitempty"`
	Workload  string            `json:"workload,omitempty"`
}

// WorldPort is a named container port of a WorldPod.
type WorldPort struct {
	Name     string `json:"name"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol,omitempty"`
}

// WorldExternal is an external address of a WorldFile.
type WorldExternal struct {
	IP    string   `json:"ip"`
	Names []string `json:"names,omitempty"`
}

// WorldNode is a node of a WorldFile.
type WorldNode struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	IP     string            `json:"ip,omitempty"`
	Local  bool              `json:"local,omitempty"`
}

// WorldService is a Service of a WorldFile.
type WorldService struct {
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Labels    map[string]string `json:"labels,omitempty"`
	Selector  map[string]string `json:"selector,omitempty"`
}

// WorldProblem is a mistake in one entry of a WorldFile.
type WorldProblem struct {
	// Path names the field at fault by the format's keys and indexes, e.g.
	// ("pods", 0, "ip"); ("pods", 0) for the entry as a whole.
	Path    []any
	Message string // lower-case, no final period
}

// World converts f into a World, checking each entry on its own: required
// fields, IP addresses, ports and protocols, DNS names. What concerns
// several entries (a pod or node given twice, several local nodes) is left
// to the caller, who may merge several documents: LoadWorld checks it over
// its one document. Namespaces come out sorted by name; pods, externals,
// nodes and services in f's order. The World holds every entry, those with
// problems included.
func (f *WorldFile) World() (*World, []WorldProblem) {
	var probs []WorldProblem
	bad := func(path []any, format string, args ...any) {
		probs = append(probs, WorldProblem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	w := &World{}
	for _, name := range sortedKeys(f.Namespaces) {
		if name == "" {
			bad([]any{"namespaces", name}, "empty namespace name")
		}
		w.Namespaces = append(w.Namespaces, Namespace{Name: name, Labels: f.Namespaces[name]})
	}
	for i, p := range f.Pods {
		if p.Namespace == "" {
			bad([]any{"pods", i}, "missing namespace")
		}
		if p.Name == "" {
			bad([]any{"pods", i}, "missing name")
		}
		pod := Pod{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels, Workload: p.Workload}
		if kind, name, ok := strings.Cut(p.Workload, "/"); p.Workload != "" && (!ok || kind == "" || name == "" || strings.Contains(name, "/")) {
			bad([]any{"pods", i, "workload"}, "invalid workload %q (want Kind/name)", p.Workload)
		}
		if p.IP != "" {
			ip, err := netip.ParseAddr(p.IP)
			if err != nil {
				bad([]any{"pods", i, "ip"}, "invalid ip %q", p.IP)
			}
			pod.IP = ip
		}
		names := map[string]bool{}
		for j, cp := range p.Ports {
			at := []any{"pods", i, "ports", j}
			if cp.Name == "" {
				bad(at, "missing name (only named ports matter to policies)")
			} else if names[cp.Name] {
				bad(append(at, "name"), "duplicate port name %q", cp.Name)
			}
			names[cp.Name] = true
			if cp.Port < 1 || cp.Port > 65535 {
				bad(append(at, "port"), "port %d out of range 1-65535", cp.Port)
			}
			proto, ok := parseProtocol(cp.Protocol)
			if !ok {
				bad(append(at, "protocol"), "unknown protocol %q (want TCP, UDP or SCTP)", cp.Protocol)
			}
			pod.Ports = append(pod.Ports, ContainerPort{Name: cp.Name, Port: uint16(max(0, min(cp.Port, 65535))), Protocol: proto})
		}
		w.Pods = append(w.Pods, pod)
	}
	for i, x := range f.Externals {
		ip, err := netip.ParseAddr(x.IP)
		switch {
		case x.IP == "":
			bad([]any{"externals", i}, "missing ip")
		case err != nil:
			bad([]any{"externals", i, "ip"}, "invalid ip %q", x.IP)
		}
		ext := External{IP: ip}
		for j, n := range x.Names {
			n = ir.NormalizeName(n)
			if n == "" || strings.Contains(n, "*") {
				bad([]any{"externals", i, "names", j}, "invalid DNS name %q", x.Names[j])
			}
			ext.Names = append(ext.Names, n)
		}
		w.Externals = append(w.Externals, ext)
	}
	for i, n := range f.Nodes {
		if n.Name == "" {
			bad([]any{"nodes", i}, "missing name")
		}
		node := Node{Name: n.Name, Labels: n.Labels, Local: n.Local}
		if n.IP != "" {
			ip, err := netip.ParseAddr(n.IP)
			if err != nil {
				bad([]any{"nodes", i, "ip"}, "invalid ip %q", n.IP)
			}
			node.IP = ip
		}
		w.Nodes = append(w.Nodes, node)
	}
	for i, s := range f.Services {
		if s.Namespace == "" || s.Name == "" {
			bad([]any{"services", i}, "missing namespace or name")
		}
		w.Services = append(w.Services, Service{Namespace: s.Namespace, Name: s.Name, Labels: s.Labels, Selector: s.Selector})
	}
	return w, probs
}

// LoadWorld parses a world file, YAML or JSON. Unknown fields and duplicate
// keys are errors; every problem found is reported, joined in one error.
// Namespaces come out sorted by name; pods, externals, nodes and services in
// file order. The format:
//
//	namespaces:                  # name -> labels (kubernetes.io/metadata.name is implicit)
//	  production: {environment: prod}
//	  kube-system: {}
//	pods:
//	  - namespace: production    # required; created without labels if not listed
//	    name: web-0              # required, unique within the namespace
//	    labels: {app: web}
//	    ip: 10.0.0.5             # optional
//	    workload: Deployment/web # optional: the owning workload, Kind/name
//	    ports:                   # named container ports
//	      - {name: metrics, port: 9090, protocol: TCP}   # protocol: TCP (default), UDP, SCTP
//	externals:
//	  - ip: 52.94.1.1            # required
//	    names: [s3.amazonaws.com]  # DNS names resolving to ip (FQDN peers)
//	nodes:                       # optional
//	  - {name: worker-1, labels: {zone: a}, ip: 192.168.0.10, local: true}
//	services:                    # optional, for service(...) peers
//	  - {namespace: production, name: web, labels: {tier: front}, selector: {app: web}}
//
// The command's --world reads this format and Kubernetes objects, with
// positions (package backends/world); LoadWorld is for tests and programs
// that hold one such document.
func LoadWorld(data []byte) (*World, error) {
	var f WorldFile
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	w, probs := f.World()
	var errs []error
	for _, p := range probs {
		errs = append(errs, fmt.Errorf("world: %s: %s", problemPlace(&f, p.Path), p.Message))
	}
	pods := map[string]bool{}
	for i, p := range w.Pods {
		if p.Namespace == "" || p.Name == "" {
			continue
		}
		id := p.Namespace + "/" + p.Name
		if pods[id] {
			errs = append(errs, fmt.Errorf("world: pods[%d] (%s): duplicate pod %s", i, id, id))
		}
		pods[id] = true
	}
	nodes := map[string]bool{}
	locals := 0
	for i, n := range w.Nodes {
		if n.Name != "" && nodes[n.Name] {
			errs = append(errs, fmt.Errorf("world: nodes[%d]: duplicate node %s", i, n.Name))
		}
		nodes[n.Name] = true
		if n.Local {
			locals++
		}
	}
	if locals > 1 {
		errs = append(errs, fmt.Errorf("world: nodes: %d nodes are local; at most one can be", locals))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return w, nil
}

// problemPlace renders a WorldProblem's path as LoadWorld's messages do,
// down to the entry at fault: "pods[0] (ns/name).ports[1]" (the pod named
// when it has both names; the field within the entry is left to the
// message).
func problemPlace(f *WorldFile, path []any) string {
	last := len(path)
	for last > 1 {
		if _, ok := path[last-1].(string); !ok {
			break
		}
		last--
	}
	path = path[:last]
	var b strings.Builder
	for i, p := range path {
		switch p := p.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(p) + "]")
			if i == 1 && path[0] == "pods" && f.Pods[p].Namespace != "" && f.Pods[p].Name != "" {
				b.WriteString(" (" + f.Pods[p].Namespace + "/" + f.Pods[p].Name + ")")
			}
		case string:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		}
	}
	return b.String()
}

func parseProtocol(s string) (ir.Protocol, bool) {
	switch strings.ToUpper(s) {
	case "", "TCP":
		return ir.TCP, true
	case "UDP":
		return ir.UDP, true
	case "SCTP":
		return ir.SCTP, true
	}
	return "", false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// MarshalWorld renders w in the world file format (YAML), so that a
// representative world can be saved, edited and passed back with --world.
func MarshalWorld(w *World) ([]byte, error) {
	var f WorldFile
	if len(w.Namespaces) > 0 {
		f.Namespaces = map[string]map[string]string{}
		for _, ns := range w.Namespaces {
			l := ns.Labels
			if l == nil {
				l = map[string]string{}
			}
			f.Namespaces[ns.Name] = l
		}
	}
	for _, p := range w.Pods {
		pf := WorldPod{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels, Workload: p.Workload}
		if p.IP.IsValid() {
			pf.IP = p.IP.String()
		}
		for _, cp := range p.Ports {
			pf.Ports = append(pf.Ports, WorldPort{Name: cp.Name, Port: int(cp.Port), Protocol: string(flowProto(cp.Protocol))})
		}
		f.Pods = append(f.Pods, pf)
	}
	for _, x := range w.Externals {
		f.Externals = append(f.Externals, WorldExternal{IP: x.IP.String(), Names: x.Names})
	}
	for _, n := range w.Nodes {
		nf := WorldNode{Name: n.Name, Labels: n.Labels, Local: n.Local}
		if n.IP.IsValid() {
			nf.IP = n.IP.String()
		}
		f.Nodes = append(f.Nodes, nf)
	}
	for _, s := range w.Services {
		f.Services = append(f.Services, WorldService(s))
	}
	return yaml.Marshal(f)
}
