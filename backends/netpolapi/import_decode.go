package netpolapi

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/network-policy-api/apis/v1alpha1"
	"sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolc/netpolc/compile/ir"
)

// This file reads the three kinds into one neutral form (importObject), checking
// what is particular to each kind's schema; import_check.go checks what
// they share, import_convert.go gives the neutral form its meaning.

// importObject is an AdminNetworkPolicy, BaselineAdminNetworkPolicy or
// ClusterNetworkPolicy in a form common to the three.
type importObject struct {
	baseline bool
	priority int32
	actions  []string // the valid actions, in the order the API lists them
	allow    string   // the name of the allow action: Allow or Accept
	limit    int      // the most rules, peers and ports a list may hold
	// strictCIDR: a CIDR with host bits is refused (the v1alpha2 and v1beta1
	// CRDs); otherwise it is read masked, with a warning.
	strictCIDR bool
	subject    subjectSpec
	rules      []*ruleSpec // ingress, then egress, each in source order
}

// subjectSpec is a subject: exactly one of its fields is set.
type subjectSpec struct {
	namespaces *metav1.LabelSelector
	pods       *podsSpec
}

// podsSpec selects pods in the namespaces a selector selects.
type podsSpec struct {
	namespaces, pods metav1.LabelSelector
}

// ruleSpec is one ingress or egress rule.
type ruleSpec struct {
	dir        ir.Direction
	path       []any // ("spec", "ingress"|"egress", i)
	name       string
	action     string
	peerField  string // "from" or "to"
	peers      []peerSpec
	portsField string     // "ports" or "protocols"
	ports      []portSpec // nil when the field is absent
}

// peerSpec is one peer: exactly one of its fields should be set.
type peerSpec struct {
	path        []any
	namespaces  *metav1.LabelSelector
	pods        *podsSpec
	nodes       *metav1.LabelSelector
	networks    []string
	domainNames []string
	fields      []string // the fields written, by JSON name
}

// portKind says which field of a port entry is set.
type portKind int

const (
	portKindNumber portKind = iota
	portKindRange
	portKindNamed
)

// portSpec is one port entry.
type portSpec struct {
	path       []any
	kind       portKind
	protocol   string // TCP, UDP or SCTP as written; "" means TCP
	protoPath  []any  // where the protocol is written; nil when it is not
	port, end  int32  // portKindNumber: port; portKindRange: port to end
	name       string // portKindNamed
	numberPath []any  // of the number or the range
}

var (
	anpActions  = []string{string(v1alpha1.AdminNetworkPolicyRuleActionAllow), string(v1alpha1.AdminNetworkPolicyRuleActionDeny), string(v1alpha1.AdminNetworkPolicyRuleActionPass)}
	banpActions = []string{string(v1alpha1.BaselineAdminNetworkPolicyRuleActionAllow), string(v1alpha1.BaselineAdminNetworkPolicyRuleActionDeny)}
	cnpActions  = []string{string(v1alpha2.ClusterNetworkPolicyRuleActionAccept), string(v1alpha2.ClusterNetworkPolicyRuleActionDeny), string(v1alpha2.ClusterNetworkPolicyRuleActionPass)}
)

// v1alpha1Limit is the most rules, peers and ports of a v1alpha1 list;
// cnpLimit that of ClusterNetworkPolicy.
const (
	v1alpha1Limit = 100
	cnpLimit      = 25
)

// fromANP reads an AdminNetworkPolicy.
func (c *converter) fromANP(anp *v1alpha1.AdminNetworkPolicy) *importObject {
	obj := &importObject{priority: anp.Spec.Priority, actions: anpActions, allow: string(v1alpha1.AdminNetworkPolicyRuleActionAllow), limit: v1alpha1Limit}
	if !c.required("spec") {
		return obj
	}
	c.required("spec", "priority")
	obj.subject = c.v1alpha1Subject(anp.Spec.Subject)
	c.maxItems([]any{"spec", "ingress"}, len(anp.Spec.Ingress), obj.limit)
	c.maxItems([]any{"spec", "egress"}, len(anp.Spec.Egress), obj.limit)
	for i, r := range anp.Spec.Ingress {
		obj.rules = append(obj.rules, c.v1alpha1Ingress(i, r.Name, string(r.Action), r.Ports, r.From))
	}
	for i, r := range anp.Spec.Egress {
		rs := c.v1alpha1Rule(ir.Egress, i, r.Name, string(r.Action), r.Ports)
		for j, p := range r.To {
			rs.peers = append(rs.peers, c.v1alpha1Peer(join(rs.path, "to", j), p.Namespaces, p.Pods, p.Nodes, p.Networks, p.DomainNames))
		}
		obj.rules = append(obj.rules, rs)
	}
	return obj
}

// fromBANP reads a BaselineAdminNetworkPolicy.
func (c *converter) fromBANP(banp *v1alpha1.BaselineAdminNetworkPolicy) *importObject {
	obj := &importObject{baseline: true, actions: banpActions, allow: string(v1alpha1.BaselineAdminNetworkPolicyRuleActionAllow), limit: v1alpha1Limit}
	if c.o.Name != BaselineName {
		c.errorf(codeInvalid, []any{"metadata", "name"}, msgBANPName, c.o.Name).Detail = detailBANPName
	}
	if !c.required("spec") {
		return obj
	}
	obj.subject = c.v1alpha1Subject(banp.Spec.Subject)
	c.maxItems([]any{"spec", "ingress"}, len(banp.Spec.Ingress), obj.limit)
	c.maxItems([]any{"spec", "egress"}, len(banp.Spec.Egress), obj.limit)
	for i, r := range banp.Spec.Ingress {
		obj.rules = append(obj.rules, c.v1alpha1Ingress(i, r.Name, string(r.Action), r.Ports, r.From))
	}
	for i, r := range banp.Spec.Egress {
		rs := c.v1alpha1Rule(ir.Egress, i, r.Name, string(r.Action), r.Ports)
		for j, p := range r.To {
			rs.peers = append(rs.peers, c.v1alpha1Peer(join(rs.path, "to", j), p.Namespaces, p.Pods, p.Nodes, p.Networks, nil))
		}
		obj.rules = append(obj.rules, rs)
	}
	return obj
}

// v1alpha1Ingress reads an ingress rule of an AdminNetworkPolicy or a
// BaselineAdminNetworkPolicy: their peers are of one type.
func (c *converter) v1alpha1Ingress(i int, name, action string, ports *[]v1alpha1.AdminNetworkPolicyPort, from []v1alpha1.AdminNetworkPolicyIngressPeer) *ruleSpec {
	rs := c.v1alpha1Rule(ir.Ingress, i, name, action, ports)
	for j, p := range from {
		rs.peers = append(rs.peers, c.v1alpha1Peer(join(rs.path, "from", j), p.Namespaces, p.Pods, nil, nil, nil))
	}
	return rs
}

// required reports whether the field at path is present, and reports it
// as missing otherwise.
func (c *converter) required(path ...any) bool {
	if c.present(path...) {
		return true
	}
	c.errorf(codeInvalid, path, msgRequired, fieldName(path))
	return false
}

// maxItems reports a list of n entries at path that is longer than limit.
func (c *converter) maxItems(path []any, n, limit int) {
	if n > limit {
		c.errorf(codeInvalid, path, msgTooMany, fieldName(path), n, limit)
	}
}

// v1alpha1Subject reads the subject of an AdminNetworkPolicy or
// BaselineAdminNetworkPolicy.
func (c *converter) v1alpha1Subject(s v1alpha1.AdminNetworkPolicySubject) subjectSpec {
	path := []any{"spec", "subject"}
	if !c.required(path...) {
		return subjectSpec{}
	}
	out := subjectSpec{namespaces: s.Namespaces}
	if s.Pods != nil {
		out.pods = c.v1alpha1Pods(join(path, "pods"), s.Pods)
	}
	c.oneOf(path, "namespaces", s.Namespaces != nil, "pods", s.Pods != nil)
	return out
}

// v1alpha1Pods reads a NamespacedPod, whose two selectors are required.
func (c *converter) v1alpha1Pods(path []any, p *v1alpha1.NamespacedPod) *podsSpec {
	c.required(join(path, "namespaceSelector")...)
	c.required(join(path, "podSelector")...)
	return &podsSpec{namespaces: p.NamespaceSelector, pods: p.PodSelector}
}

// oneOf reports a mapping at path that does not set exactly one of the
// fields given as (name, set) pairs.
func (c *converter) oneOf(path []any, fields ...any) {
	n := 0
	var names []string
	for i := 0; i+1 < len(fields); i += 2 {
		names = append(names, fields[i].(string))
		if fields[i+1].(bool) {
			n++
		}
	}
	if n != 1 {
		c.errorf(codeInvalid, path, msgOneOf, fieldName(path), orList(names))
	}
}

// v1alpha1Rule reads the common part of a v1alpha1 rule (i of direction
// dir); the caller adds its peers.
func (c *converter) v1alpha1Rule(dir ir.Direction, i int, name, action string, ports *[]v1alpha1.AdminNetworkPolicyPort) *ruleSpec {
	rs := &ruleSpec{dir: dir, path: []any{"spec", dir.String(), i}, name: name, action: action, peerField: "from", portsField: "ports"}
	if dir == ir.Egress {
		rs.peerField = "to"
	}
	c.required(join(rs.path, "action")...)
	if c.required(join(rs.path, rs.peerField)...) && !c.o.Has(join(rs.path, rs.peerField, 0)...) {
		c.errorf(codeInvalid, join(rs.path, rs.peerField), msgEmptyList, fieldName(join(rs.path, rs.peerField)))
	}
	if ports == nil || !c.present(join(rs.path, "ports")...) {
		return rs
	}
	rs.ports = []portSpec{}
	if len(*ports) == 0 {
		c.errorf(codeInvalid, join(rs.path, "ports"), msgEmptyList, fieldName(join(rs.path, "ports")))
	}
	for k, p := range *ports {
		path := join(rs.path, "ports", k)
		c.oneOf(path, "portNumber", p.PortNumber != nil, "namedPort", p.NamedPort != nil, "portRange", p.PortRange != nil)
		switch {
		case p.PortNumber != nil:
			ps := portSpec{path: path, kind: portKindNumber, protocol: string(p.PortNumber.Protocol), port: p.PortNumber.Port,
				numberPath: join(path, "portNumber", "port")}
			if c.present(join(path, "portNumber", "protocol")...) {
				ps.protoPath = join(path, "portNumber", "protocol")
			}
			c.required(join(path, "portNumber", "port")...)
			rs.ports = append(rs.ports, ps)
		case p.PortRange != nil:
			ps := portSpec{path: path, kind: portKindRange, protocol: string(p.PortRange.Protocol), port: p.PortRange.Start, end: p.PortRange.End,
				numberPath: join(path, "portRange")}
			if c.present(join(path, "portRange", "protocol")...) {
				ps.protoPath = join(path, "portRange", "protocol")
			}
			c.required(join(path, "portRange", "start")...)
			c.required(join(path, "portRange", "end")...)
			rs.ports = append(rs.ports, ps)
		case p.NamedPort != nil:
			rs.ports = append(rs.ports, portSpec{path: path, kind: portKindNamed, name: *p.NamedPort, numberPath: join(path, "namedPort")})
		}
	}
	return rs
}

// v1alpha1Peer reads one v1alpha1 peer.
func (c *converter) v1alpha1Peer(path []any, namespaces *metav1.LabelSelector, pods *v1alpha1.NamespacedPod, nodes *metav1.LabelSelector, networks []v1alpha1.CIDR, domains []v1alpha1.DomainName) peerSpec {
	ps := peerSpec{path: path, namespaces: namespaces, nodes: nodes}
	if pods != nil {
		ps.pods = c.v1alpha1Pods(join(path, "pods"), pods)
	}
	for _, n := range networks {
		ps.networks = append(ps.networks, string(n))
	}
	for _, d := range domains {
		ps.domainNames = append(ps.domainNames, string(d))
	}
	c.peerFields(&ps)
	return ps
}

// peerFields records which fields of peer ps are written and reports a
// peer that does not set exactly one.
func (c *converter) peerFields(ps *peerSpec) {
	for _, f := range []string{"namespaces", "pods", "nodes", "networks", "domainNames"} {
		if c.present(join(ps.path, f)...) {
			ps.fields = append(ps.fields, f)
		}
	}
	if len(ps.fields) != 1 {
		names := []string{"namespaces", "pods"}
		if ps.path[1] == "egress" {
			names = append(names, "nodes", "networks")
			if c.o.Kind != KindBANP {
				names = append(names, "domainNames")
			}
		}
		c.errorf(codeInvalid, ps.path, msgOneOf, fieldName(ps.path), orList(names))
	}
}

// fromCNP reads the spec of a ClusterNetworkPolicy (v1alpha2, or v1beta1
// read through v1alpha2's type).
func (c *converter) fromCNP(spec *v1alpha2.ClusterNetworkPolicySpec) *importObject {
	obj := &importObject{priority: spec.Priority, actions: cnpActions, allow: string(v1alpha2.ClusterNetworkPolicyRuleActionAccept),
		limit: cnpLimit, strictCIDR: true}
	if !c.required("spec") {
		return obj
	}
	c.required("spec", "priority")
	if c.required("spec", "tier") {
		switch spec.Tier {
		case v1alpha2.AdminTier:
		case v1alpha2.BaselineTier:
			obj.baseline = true
		default:
			c.errorf(codeInvalid, []any{"spec", "tier"}, msgTier, spec.Tier)
		}
	}
	path := []any{"spec", "subject"}
	if c.required(path...) {
		s := spec.Subject
		obj.subject.namespaces = s.Namespaces
		if s.Pods != nil {
			obj.subject.pods = c.cnpPods(join(path, "pods"), s.Pods)
		}
		c.oneOf(path, "namespaces", s.Namespaces != nil, "pods", s.Pods != nil)
	}
	c.maxItems([]any{"spec", "ingress"}, len(spec.Ingress), obj.limit)
	c.maxItems([]any{"spec", "egress"}, len(spec.Egress), obj.limit)
	for i, r := range spec.Ingress {
		rs := c.cnpRule(ir.Ingress, i, r.Name, string(r.Action), r.Protocols)
		for j, p := range r.From {
			pp := join(rs.path, "from", j)
			ps := peerSpec{path: pp, namespaces: p.Namespaces}
			if p.Pods != nil {
				ps.pods = c.cnpPods(join(pp, "pods"), p.Pods)
			}
			c.peerFields(&ps)
			rs.peers = append(rs.peers, ps)
		}
		obj.rules = append(obj.rules, rs)
	}
	for i, r := range spec.Egress {
		rs := c.cnpRule(ir.Egress, i, r.Name, string(r.Action), r.Protocols)
		for j, p := range r.To {
			pp := join(rs.path, "to", j)
			ps := peerSpec{path: pp, namespaces: p.Namespaces, nodes: p.Nodes}
			if p.Pods != nil {
				ps.pods = c.cnpPods(join(pp, "pods"), p.Pods)
			}
			for _, n := range p.Networks {
				ps.networks = append(ps.networks, string(n))
			}
			for _, d := range p.DomainNames {
				ps.domainNames = append(ps.domainNames, string(d))
			}
			c.peerFields(&ps)
			rs.peers = append(rs.peers, ps)
		}
		obj.rules = append(obj.rules, rs)
	}
	return obj
}

// cnpPods reads a v1alpha2 NamespacedPod: its pod selector is required, an
// absent namespace selector selects every namespace.
func (c *converter) cnpPods(path []any, p *v1alpha2.NamespacedPod) *podsSpec {
	c.required(join(path, "podSelector")...)
	return &podsSpec{namespaces: p.NamespaceSelector, pods: p.PodSelector}
}

// cnpRule reads the common part of a ClusterNetworkPolicy rule.
func (c *converter) cnpRule(dir ir.Direction, i int, name, action string, protocols []v1alpha2.ClusterNetworkPolicyProtocol) *ruleSpec {
	rs := &ruleSpec{dir: dir, path: []any{"spec", dir.String(), i}, name: name, action: action, peerField: "from", portsField: "protocols"}
	if dir == ir.Egress {
		rs.peerField = "to"
	}
	c.required(join(rs.path, "action")...)
	if c.required(join(rs.path, rs.peerField)...) && !c.o.Has(join(rs.path, rs.peerField, 0)...) {
		c.errorf(codeInvalid, join(rs.path, rs.peerField), msgEmptyList, fieldName(join(rs.path, rs.peerField)))
	}
	if !c.present(join(rs.path, "protocols")...) {
		return rs
	}
	rs.ports = []portSpec{}
	if len(protocols) == 0 {
		c.errorf(codeInvalid, join(rs.path, "protocols"), msgEmptyList, fieldName(join(rs.path, "protocols")))
	}
	for k, p := range protocols {
		path := join(rs.path, "protocols", k)
		c.oneOf(path, "tcp", p.TCP != nil, "udp", p.UDP != nil, "sctp", p.SCTP != nil, "destinationNamedPort", c.present(join(path, "destinationNamedPort")...))
		var dp *v1alpha2.Port
		proto := ""
		switch {
		case p.TCP != nil:
			dp, proto = p.TCP.DestinationPort, "tcp"
		case p.UDP != nil:
			dp, proto = p.UDP.DestinationPort, "udp"
		case p.SCTP != nil:
			dp, proto = p.SCTP.DestinationPort, "sctp"
		default:
			rs.ports = append(rs.ports, portSpec{path: path, kind: portKindNamed, name: p.DestinationNamedPort, numberPath: join(path, "destinationNamedPort")})
			continue
		}
		// The protocol's mapping must have its one field (MinProperties).
		if !c.required(join(path, proto, "destinationPort")...) {
			continue
		}
		dpath := join(path, proto, "destinationPort")
		c.oneOf(dpath, "number", c.present(join(dpath, "number")...), "range", dp.Range != nil)
		ps := portSpec{path: path, protocol: strings.ToUpper(proto)}
		switch {
		case dp.Range != nil:
			ps.kind, ps.port, ps.end, ps.numberPath = portKindRange, dp.Range.Start, dp.Range.End, join(dpath, "range")
			c.required(join(dpath, "range", "start")...)
			c.required(join(dpath, "range", "end")...)
		default:
			ps.kind, ps.port, ps.numberPath = portKindNumber, dp.Number, join(dpath, "number")
		}
		rs.ports = append(rs.ports, ps)
	}
	return rs
}
