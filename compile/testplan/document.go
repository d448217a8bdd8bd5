package testplan

import (
	"encoding/json"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	k8syaml "sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/compile/eval"
)

// APIVersion and Kind identify the plan document (docs/testplan.md). A
// change that removes or renames a field, or changes its meaning, takes a
// new APIVersion; new optional fields do not.
const (
	APIVersion = "testplan.netpolc.io/v1alpha1"
	Kind       = "TestPlan"
)

// Probe kinds in the document: which ends are pods.
const (
	KindPodToPod      = "pod-to-pod"
	KindPodToExternal = "pod-to-external"
	KindExternalToPod = "external-to-pod"
)

// Document is the plan as written by "netpolc testplan --format json|yaml".
type Document struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Summary    Summary        `json:"summary"`
	Namespaces []DocNamespace `json:"namespaces"`
	Pods       []DocPod       `json:"pods"`
	Externals  []DocExternal  `json:"externals,omitempty"`
	Probes     []DocProbe     `json:"probes"`
	Skipped    []Skip         `json:"skipped,omitempty"`
	Warnings   []string       `json:"warnings,omitempty"`
}

// Summary counts the probes of a plan.
type Summary struct {
	Probes   int `json:"probes"`
	Allowed  int `json:"allowed"`
	Denied   int `json:"denied"`
	PodToPod int `json:"podToPod"`
}

// DocNamespace is a namespace of the plan's world.
type DocNamespace struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
}

// DocPod is a pod of the plan's world.
type DocPod struct {
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Labels    map[string]string `json:"labels,omitempty"`
	IP        string            `json:"ip"`
	Ports     []DocPort         `json:"ports,omitempty"`
	// Added says why the plan added the pod; "" for a pod of the world.
	Added string `json:"added,omitempty"`
}

// DocPort is a named container port.
type DocPort struct {
	Name     string `json:"name"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
}

// DocExternal is an address outside the cluster.
type DocExternal struct {
	IP    string   `json:"ip"`
	Names []string `json:"names,omitempty"`
}

// DocProbe is one probe.
type DocProbe struct {
	From     string `json:"from"` // "namespace/pod" or an address
	To       string `json:"to"`
	Kind     string `json:"kind"` // pod-to-pod, pod-to-external, external-to-pod
	Protocol string `json:"protocol"`
	Port     int    `json:"port"`
	Expected string `json:"expected"` // allowed or denied
	Reason   string `json:"reason"`
	Source   string `json:"source,omitempty"`
	Origin   string `json:"origin"`
	Note     string `json:"note,omitempty"`
}

// Document returns the plan as a document.
func (p *Plan) Document() *Document {
	d := &Document{APIVersion: APIVersion, Kind: Kind, Namespaces: []DocNamespace{}, Pods: []DocPod{}, Probes: []DocProbe{}, Skipped: p.Skipped, Warnings: p.Warnings}
	for _, ns := range p.World.Namespaces {
		d.Namespaces = append(d.Namespaces, DocNamespace{Name: ns.Name, Labels: ns.Labels})
	}
	for i, pod := range p.World.Pods {
		dp := DocPod{Namespace: pod.Namespace, Name: pod.Name, Labels: pod.Labels, IP: pod.IP.String()}
		if i < len(p.Added) {
			dp.Added = p.Added[i]
		}
		for _, cp := range pod.Ports {
			dp.Ports = append(dp.Ports, DocPort{Name: cp.Name, Port: int(cp.Port), Protocol: string(flowProto(cp.Protocol))})
		}
		d.Pods = append(d.Pods, dp)
	}
	for _, x := range p.World.Externals {
		d.Externals = append(d.Externals, DocExternal{IP: x.IP.String(), Names: x.Names})
	}
	for i := range p.Probes {
		pr := &p.Probes[i]
		d.Probes = append(d.Probes, DocProbe{
			From:     EndpointName(pr.Flow.From),
			To:       EndpointName(pr.Flow.To),
			Kind:     pr.Kind(),
			Protocol: string(flowProto(pr.Flow.Protocol)),
			Port:     int(pr.Flow.Port),
			Expected: Verdict(pr.Allowed),
			Reason:   pr.Reason,
			Source:   pr.Source,
			Origin:   pr.Origin,
			Note:     pr.Note,
		})
		d.Summary.Probes++
		if pr.Allowed {
			d.Summary.Allowed++
		} else {
			d.Summary.Denied++
		}
		if pr.PodToPod() {
			d.Summary.PodToPod++
		}
	}
	return d
}

// Kind says which ends of the probe are pods: KindPodToPod,
// KindPodToExternal or KindExternalToPod.
func (p *Probe) Kind() string {
	switch {
	case p.PodToPod():
		return KindPodToPod
	case p.Flow.From.Kind == eval.EndpointPod:
		return KindPodToExternal
	}
	return KindExternalToPod
}

// EndpointName names a probe endpoint: "namespace/pod" or the address.
func EndpointName(ep eval.Endpoint) string {
	if ep.Kind == eval.EndpointExternal && ep.External != nil {
		return ep.External.IP.String()
	}
	return ep.String()
}

// Verdict renders a verdict: "allowed" or "denied".
func Verdict(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "denied"
}

// JSON renders the plan's document as indented JSON, ending in a newline.
func (p *Plan) JSON() ([]byte, error) {
	out, err := json.MarshalIndent(p.Document(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// YAML renders the plan's document as YAML, fields in the order of JSON.
func (p *Plan) YAML() ([]byte, error) {
	js, err := json.Marshal(p.Document())
	if err != nil {
		return nil, err
	}
	// JSON is YAML: its node tree keeps the field order; in block style.
	var n yaml.Node
	if err := yaml.Unmarshal(js, &n); err != nil {
		return nil, err
	}
	blockStyle(&n, map[string]bool{})
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// blockStyle clears the styles JSON gave n and its children, so that the
// encoder writes block collections, and quotes the strings that need it in
// YAML 1.2 or that a YAML 1.1 reader (the Kubernetes tools') would take for
// something else: y, on, 010, ~.
// plain memoizes plainIsString.
func blockStyle(n *yaml.Node, plain map[string]bool) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		ok, seen := plain[n.Value]
		if !seen {
			ok = plainIsString(n.Value)
			plain[n.Value] = ok
		}
		if !ok {
			n.Style = yaml.DoubleQuotedStyle
		}
	}
	for _, c := range n.Content {
		blockStyle(c, plain)
	}
}

// plainIsString reports whether s, written plain, reads back as the string
// s in YAML 1.1.
func plainIsString(s string) bool {
	var v any
	if err := k8syaml.Unmarshal([]byte(s), &v); err != nil {
		return false
	}
	got, ok := v.(string)
	return ok && got == s
}
