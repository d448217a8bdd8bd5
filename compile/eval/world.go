package eval

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/compile/ir"
)

// worldFile is the world file format; see LoadWorld.
type worldFile struct {
	Namespaces map[string]map[string]string `json:"namespaces,omitempty"`
	Pods       []podFile                    `json:"pods,omitempty"`
	Externals  []externalFile               `json:"externals,omitempty"`
	Nodes      []nodeFile                   `json:"nodes,omitempty"`
	Services   []serviceFile                `json:"services,omitempty"`
}

type podFile struct {
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Labels    map[string]string `json:"labels,omitempty"`
	IP        string            `json:"ip,omitempty"`
	Ports     []portFile        `json:"ports,omitempty"`
	Workload  string            `json:"workload,omitempty"`
}

type portFile struct {
	Name     string `json:"name"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol,omitempty"`
}

type externalFile struct {
	IP    string   `json:"ip"`
	Names []string `json:"names,omitempty"`
}

type nodeFile struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	IP     string            `json:"ip,omitempty"`
	Local  bool              `json:"local,omitempty"`
}

type serviceFile struct {
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Labels    map[string]string `json:"labels,omitempty"`
	Selector  map[string]string `json:"selector,omitempty"`
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
func LoadWorld(data []byte) (*World, error) {
	var f worldFile
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("world: "+format, args...)) }
	w := &World{}
	for _, name := range sortedKeys(f.Namespaces) {
		if name == "" {
			bad("namespaces: empty namespace name")
		}
		w.Namespaces = append(w.Namespaces, Namespace{Name: name, Labels: f.Namespaces[name]})
	}
	pods := map[string]bool{}
	for i, p := range f.Pods {
		where := fmt.Sprintf("pods[%d]", i)
		if p.Namespace == "" {
			bad("%s: missing namespace", where)
		}
		if p.Name == "" {
			bad("%s: missing name", where)
		}
		id := p.Namespace + "/" + p.Name
		if p.Namespace != "" && p.Name != "" {
			where += " (" + id + ")"
			if pods[id] {
				bad("%s: duplicate pod %s", where, id)
			}
			pods[id] = true
		}
		pod := Pod{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels, Workload: p.Workload}
		if kind, name, ok := strings.Cut(p.Workload, "/"); p.Workload != "" && (!ok || kind == "" || name == "" || strings.Contains(name, "/")) {
			bad("%s: invalid workload %q (want Kind/name)", where, p.Workload)
		}
		if p.IP != "" {
			ip, err := netip.ParseAddr(p.IP)
			if err != nil {
				bad("%s: invalid ip %q", where, p.IP)
			}
			pod.IP = ip
		}
		names := map[string]bool{}
		for j, cp := range p.Ports {
			pw := fmt.Sprintf("%s.ports[%d]", where, j)
			if cp.Name == "" {
				bad("%s: missing name (only named ports matter to policies)", pw)
			} else if names[cp.Name] {
				bad("%s: duplicate port name %q", pw, cp.Name)
			}
			names[cp.Name] = true
			if cp.Port < 1 || cp.Port > 65535 {
				bad("%s: port %d out of range 1-65535", pw, cp.Port)
			}
			proto, ok := parseProtocol(cp.Protocol)
			if !ok {
				bad("%s: unknown protocol %q (want TCP, UDP or SCTP)", pw, cp.Protocol)
			}
			pod.Ports = append(pod.Ports, ContainerPort{Name: cp.Name, Port: uint16(cp.Port), Protocol: proto})
		}
		w.Pods = append(w.Pods, pod)
	}
	for i, x := range f.Externals {
		where := fmt.Sprintf("externals[%d]", i)
		ip, err := netip.ParseAddr(x.IP)
		switch {
		case x.IP == "":
			bad("%s: missing ip", where)
		case err != nil:
			bad("%s: invalid ip %q", where, x.IP)
		}
		ext := External{IP: ip}
		for j, n := range x.Names {
			n = ir.NormalizeName(n)
			if n == "" || strings.Contains(n, "*") {
				bad("%s.names[%d]: invalid DNS name %q", where, j, x.Names[j])
			}
			ext.Names = append(ext.Names, n)
		}
		w.Externals = append(w.Externals, ext)
	}
	nodes := map[string]bool{}
	locals := 0
	for i, n := range f.Nodes {
		where := fmt.Sprintf("nodes[%d]", i)
		if n.Name == "" {
			bad("%s: missing name", where)
		} else if nodes[n.Name] {
			bad("%s: duplicate node %s", where, n.Name)
		}
		nodes[n.Name] = true
		node := Node{Name: n.Name, Labels: n.Labels, Local: n.Local}
		if n.IP != "" {
			ip, err := netip.ParseAddr(n.IP)
			if err != nil {
				bad("%s: invalid ip %q", where, n.IP)
			}
			node.IP = ip
		}
		if n.Local {
			locals++
		}
		w.Nodes = append(w.Nodes, node)
	}
	if locals > 1 {
		bad("nodes: %d nodes are local; at most one can be", locals)
	}
	for i, s := range f.Services {
		where := fmt.Sprintf("services[%d]", i)
		if s.Namespace == "" || s.Name == "" {
			bad("%s: missing namespace or name", where)
		}
		w.Services = append(w.Services, Service{Namespace: s.Namespace, Name: s.Name, Labels: s.Labels, Selector: s.Selector})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return w, nil
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
	var f worldFile
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
		pf := podFile{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels, Workload: p.Workload}
		if p.IP.IsValid() {
			pf.IP = p.IP.String()
		}
		for _, cp := range p.Ports {
			pf.Ports = append(pf.Ports, portFile{Name: cp.Name, Port: int(cp.Port), Protocol: string(flowProto(cp.Protocol))})
		}
		f.Pods = append(f.Pods, pf)
	}
	for _, x := range w.Externals {
		f.Externals = append(f.Externals, externalFile{IP: x.IP.String(), Names: x.Names})
	}
	for _, n := range w.Nodes {
		nf := nodeFile{Name: n.Name, Labels: n.Labels, Local: n.Local}
		if n.IP.IsValid() {
			nf.IP = n.IP.String()
		}
		f.Nodes = append(f.Nodes, nf)
	}
	for _, s := range w.Services {
		f.Services = append(f.Services, serviceFile(s))
	}
	return yaml.Marshal(f)
}
