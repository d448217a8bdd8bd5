package netpolapi

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/network-policy-api/apis/v1alpha1"
	"sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// The emitted objects are the upstream objects without their status (which
// the API server ignores on create, and which the upstream types would
// write as "status: {conditions: null}"): TypeMeta, ObjectMeta and the
// upstream spec.

// CNP is an emitted ClusterNetworkPolicy. Its spec is the v1alpha2 type
// for v1beta1 too: in v0.3.0 of the module the two versions have the same
// fields (TestBetaIsAlpha2), and Cilium, which the tests of the Cilium
// engine link, needs v0.2.0, which has no v1beta1.
type CNP struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              v1alpha2.ClusterNetworkPolicySpec `json:"spec"`
}

// ANP is an emitted AdminNetworkPolicy (v1alpha1).
type ANP struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              v1alpha1.AdminNetworkPolicySpec `json:"spec"`
}

// BANP is an emitted BaselineAdminNetworkPolicy (v1alpha1).
type BANP struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              v1alpha1.BaselineAdminNetworkPolicySpec `json:"spec"`
}

// maxRuleName is the longest rule name the CRDs accept.
const maxRuleName = 100

// emit maps a plan to objects: the admin and baseline objects, then the
// NetworkPolicies of package k8s.
func emit(pl *planned, version string) ([]backends.Object, diag.List) {
	var diags diag.List
	names := backends.NewNamer()
	var objs []backends.Object
	for _, obj := range append(append([]*adminObject(nil), pl.admin...), pl.baseline...) {
		name := BaselineName
		if !(version == V1Alpha1 && obj.tier == baselineTier) {
			name = names.Name("", backends.BaseName(baseName(obj)), strconv.Itoa(int(obj.priority))+"/"+obj.pol.Subject.Pods.String())
		}
		meta := metav1.ObjectMeta{
			Name:   name,
			Labels: map[string]string{backends.ManagedByLabel: backends.ManagedBy},
		}
		if lines := backends.SourceLines(obj.spans); lines != "" {
			meta.Annotations = map[string]string{backends.SourceAnnotation: lines}
		}
		if lost := notEnforced(obj); lost != "" {
			if meta.Annotations == nil {
				meta.Annotations = map[string]string{}
			}
			meta.Annotations[backends.NotEnforcedAnnotation] = lost
		}
		o, err := object(obj, meta, version)
		if err != nil {
			diags.Errorf(codeInternal, firstSpan(obj), "%v", err)
			continue
		}
		objs = append(objs, o)
	}
	npObjs, nd := k8s.New().Emit(pl.np)
	diags.Append(nd)
	if diags.HasErrors() {
		return nil, diags
	}
	return append(objs, npObjs...), diags
}

// notEnforced lists what the degraded rules of obj do not enforce, each
// once, in rule order; "" when none is degraded.
func notEnforced(obj *adminObject) string {
	var out []string
	seen := map[string]bool{}
	for _, r := range append(append([]rule(nil), obj.ingress...), obj.egress...) {
		for _, s := range r.notEnforced {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return strings.Join(out, "; ")
}

// baseName is the suggested name of an admin object: the policy's name,
// after its namespace for a namespaced one, and its role.
func baseName(obj *adminObject) string {
	name := obj.pol.Name
	if obj.pol.Namespace != "" {
		name = obj.pol.Namespace + "-" + name
	}
	switch obj.role {
	case roleOrdered:
		name += "-p" + strconv.Itoa(int(obj.priority))
	case roleDeny:
		name += "-deny"
	case roleAccept:
		name += "-allow"
	case roleIsolate:
		name += "-isolate"
	}
	return name
}

// object writes one admin object in version.
func object(obj *adminObject, meta metav1.ObjectMeta, version string) (backends.Object, error) {
	if version == V1Alpha1 {
		return objectV1Alpha1(obj, meta)
	}
	spec := specV1Alpha2(obj)
	apiVersion := Group + "/" + version
	tm := metav1.TypeMeta{APIVersion: apiVersion, Kind: KindCNP}
	return backends.Object{APIVersion: apiVersion, Kind: KindCNP, Name: meta.Name,
		Value: &CNP{TypeMeta: tm, ObjectMeta: meta, Spec: spec}}, nil
}

// ruleName names a rule after its source line, within the CRDs' limit.
func ruleName(span source.Span) string {
	name := backends.LineOf(span)
	if len(name) <= maxRuleName {
		return name
	}
	// Keep the end (the line number), cut at a character boundary.
	cut := len(name) - maxRuleName
	for cut < len(name) && !utf8.RuneStart(name[cut]) {
		cut++
	}
	return name[cut:]
}

// specV1Alpha2 is the ClusterNetworkPolicy spec of obj.
func specV1Alpha2(obj *adminObject) v1alpha2.ClusterNetworkPolicySpec {
	spec := v1alpha2.ClusterNetworkPolicySpec{Tier: v1alpha2.AdminTier, Priority: obj.priority}
	if obj.tier == baselineTier {
		spec.Tier = v1alpha2.BaselineTier
	}
	ns, pods := subject(obj.pol)
	if pods == nil {
		spec.Subject.Namespaces = &ns
	} else {
		spec.Subject.Pods = &v1alpha2.NamespacedPod{NamespaceSelector: ns, PodSelector: *pods}
	}
	for _, r := range obj.ingress {
		rule := v1alpha2.ClusterNetworkPolicyIngressRule{Name: ruleName(r.span), Action: actionV1Alpha2(r.action), Protocols: protocolsV1Alpha2(r.ports)}
		for _, p := range r.peers {
			ip := v1alpha2.ClusterNetworkPolicyIngressPeer{}
			switch p.kind {
			case peerNamespaces:
				sel := p.namespaces
				ip.Namespaces = &sel
			case peerPods:
				ip.Pods = &v1alpha2.NamespacedPod{NamespaceSelector: p.namespaces, PodSelector: p.pods}
			}
			rule.From = append(rule.From, ip)
		}
		spec.Ingress = append(spec.Ingress, rule)
	}
	for _, r := range obj.egress {
		rule := v1alpha2.ClusterNetworkPolicyEgressRule{Name: ruleName(r.span), Action: actionV1Alpha2(r.action), Protocols: protocolsV1Alpha2(r.ports)}
		for _, p := range r.peers {
			ep := v1alpha2.ClusterNetworkPolicyEgressPeer{}
			switch p.kind {
			case peerNamespaces:
				sel := p.namespaces
				ep.Namespaces = &sel
			case peerPods:
				ep.Pods = &v1alpha2.NamespacedPod{NamespaceSelector: p.namespaces, PodSelector: p.pods}
			case peerNodes:
				sel := p.pods
				ep.Nodes = &sel
			case peerNetworks:
				ep.Networks = typed[v1alpha2.CIDR](p.values)
			case peerDomains:
				ep.DomainNames = typed[v1alpha2.DomainName](p.values)
			}
			rule.To = append(rule.To, ep)
		}
		spec.Egress = append(spec.Egress, rule)
	}
	return spec
}

func actionV1Alpha2(a ir.Action) v1alpha2.ClusterNetworkPolicyRuleAction {
	switch a {
	case ir.Deny:
		return v1alpha2.ClusterNetworkPolicyRuleActionDeny
	case ir.Pass:
		return v1alpha2.ClusterNetworkPolicyRuleActionPass
	}
	return v1alpha2.ClusterNetworkPolicyRuleActionAccept
}

func protocolsV1Alpha2(ports []port) []v1alpha2.ClusterNetworkPolicyProtocol {
	var out []v1alpha2.ClusterNetworkPolicyProtocol
	for _, p := range ports {
		if p.name != "" {
			out = append(out, v1alpha2.ClusterNetworkPolicyProtocol{DestinationNamedPort: p.name})
			continue
		}
		dp := &v1alpha2.Port{Number: p.start}
		if p.end != 0 {
			dp = &v1alpha2.Port{Range: &v1alpha2.PortRange{Start: p.start, End: p.end}}
		}
		switch p.protocol {
		case ir.UDP:
			out = append(out, v1alpha2.ClusterNetworkPolicyProtocol{UDP: &v1alpha2.ClusterNetworkPolicyProtocolUDP{DestinationPort: dp}})
		case ir.SCTP:
			out = append(out, v1alpha2.ClusterNetworkPolicyProtocol{SCTP: &v1alpha2.ClusterNetworkPolicyProtocolSCTP{DestinationPort: dp}})
		default:
			out = append(out, v1alpha2.ClusterNetworkPolicyProtocol{TCP: &v1alpha2.ClusterNetworkPolicyProtocolTCP{DestinationPort: dp}})
		}
	}
	return out
}

// typed is vs as strings of type T, nil where vs is empty.
func typed[T ~string](vs []string) []T {
	var out []T
	for _, v := range vs {
		out = append(out, T(v))
	}
	return out
}

// subject is the namespace selector of pol's subject and, unless it is
// every pod of them, its pod selector.
func subject(pol *ir.Policy) (metav1.LabelSelector, *metav1.LabelSelector) {
	var ns metav1.LabelSelector
	switch {
	case pol.Namespace != "":
		ns = nameSelector(pol.Namespace)
	case pol.Subject.Namespaces != nil:
		ns = k8s.LabelSelector(*pol.Subject.Namespaces)
	}
	if pol.Subject.Pods.IsEmpty() {
		return ns, nil
	}
	pods := k8s.LabelSelector(pol.Subject.Pods)
	return ns, &pods
}

// objectV1Alpha1 writes obj as an AdminNetworkPolicy, or as the
// BaselineAdminNetworkPolicy.
func objectV1Alpha1(obj *adminObject, meta metav1.ObjectMeta) (backends.Object, error) {
	apiVersion := Group + "/" + V1Alpha1
	var subj v1alpha1.AdminNetworkPolicySubject
	ns, pods := subject(obj.pol)
	if pods == nil {
		subj.Namespaces = &ns
	} else {
		subj.Pods = &v1alpha1.NamespacedPod{NamespaceSelector: ns, PodSelector: *pods}
	}
	ingressPeers := func(r rule) []v1alpha1.AdminNetworkPolicyIngressPeer {
		var out []v1alpha1.AdminNetworkPolicyIngressPeer
		for _, p := range r.peers {
			ip := v1alpha1.AdminNetworkPolicyIngressPeer{}
			switch p.kind {
			case peerNamespaces:
				sel := p.namespaces
				ip.Namespaces = &sel
			case peerPods:
				ip.Pods = &v1alpha1.NamespacedPod{NamespaceSelector: p.namespaces, PodSelector: p.pods}
			}
			out = append(out, ip)
		}
		return out
	}
	egressPeers := func(r rule) []v1alpha1.AdminNetworkPolicyEgressPeer {
		var out []v1alpha1.AdminNetworkPolicyEgressPeer
		for _, p := range r.peers {
			ep := v1alpha1.AdminNetworkPolicyEgressPeer{}
			switch p.kind {
			case peerNamespaces:
				sel := p.namespaces
				ep.Namespaces = &sel
			case peerPods:
				ep.Pods = &v1alpha1.NamespacedPod{NamespaceSelector: p.namespaces, PodSelector: p.pods}
			case peerNodes:
				sel := p.pods
				ep.Nodes = &sel
			case peerNetworks:
				ep.Networks = typed[v1alpha1.CIDR](p.values)
			case peerDomains:
				ep.DomainNames = typed[v1alpha1.DomainName](p.values)
			}
			out = append(out, ep)
		}
		return out
	}

	if obj.tier == baselineTier {
		spec := v1alpha1.BaselineAdminNetworkPolicySpec{Subject: subj}
		for _, r := range obj.ingress {
			spec.Ingress = append(spec.Ingress, v1alpha1.BaselineAdminNetworkPolicyIngressRule{
				Name: ruleName(r.span), Action: baselineAction(r.action), From: ingressPeers(r), Ports: portsV1Alpha1(r.ports)})
		}
		for _, r := range obj.egress {
			rule := v1alpha1.BaselineAdminNetworkPolicyEgressRule{Name: ruleName(r.span), Action: baselineAction(r.action), Ports: portsV1Alpha1(r.ports)}
			for _, ep := range egressPeers(r) {
				if len(ep.DomainNames) > 0 {
					return backends.Object{}, fmt.Errorf("a baseline rule with domain names")
				}
				rule.To = append(rule.To, v1alpha1.BaselineAdminNetworkPolicyEgressPeer{Namespaces: ep.Namespaces, Pods: ep.Pods, Nodes: ep.Nodes, Networks: ep.Networks})
			}
			spec.Egress = append(spec.Egress, rule)
		}
		return backends.Object{APIVersion: apiVersion, Kind: KindBANP, Name: meta.Name, Value: &BANP{
			TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: KindBANP}, ObjectMeta: meta, Spec: spec}}, nil
	}
	spec := v1alpha1.AdminNetworkPolicySpec{Priority: obj.priority, Subject: subj}
	for _, r := range obj.ingress {
		spec.Ingress = append(spec.Ingress, v1alpha1.AdminNetworkPolicyIngressRule{
			Name: ruleName(r.span), Action: adminAction(r.action), From: ingressPeers(r), Ports: portsV1Alpha1(r.ports)})
	}
	for _, r := range obj.egress {
		spec.Egress = append(spec.Egress, v1alpha1.AdminNetworkPolicyEgressRule{
			Name: ruleName(r.span), Action: adminAction(r.action), To: egressPeers(r), Ports: portsV1Alpha1(r.ports)})
	}
	return backends.Object{APIVersion: apiVersion, Kind: KindANP, Name: meta.Name, Value: &ANP{
		TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: KindANP}, ObjectMeta: meta, Spec: spec}}, nil
}

func adminAction(a ir.Action) v1alpha1.AdminNetworkPolicyRuleAction {
	switch a {
	case ir.Deny:
		return v1alpha1.AdminNetworkPolicyRuleActionDeny
	case ir.Pass:
		return v1alpha1.AdminNetworkPolicyRuleActionPass
	}
	return v1alpha1.AdminNetworkPolicyRuleActionAllow
}

func baselineAction(a ir.Action) v1alpha1.BaselineAdminNetworkPolicyRuleAction {
	if a == ir.Deny {
		return v1alpha1.BaselineAdminNetworkPolicyRuleActionDeny
	}
	return v1alpha1.BaselineAdminNetworkPolicyRuleActionAllow
}

func portsV1Alpha1(ports []port) *[]v1alpha1.AdminNetworkPolicyPort {
	if ports == nil {
		return nil
	}
	out := make([]v1alpha1.AdminNetworkPolicyPort, 0, len(ports))
	for _, p := range ports {
		switch {
		case p.name != "":
			name := p.name
			out = append(out, v1alpha1.AdminNetworkPolicyPort{NamedPort: &name})
		case p.end != 0:
			out = append(out, v1alpha1.AdminNetworkPolicyPort{PortRange: &v1alpha1.PortRange{Protocol: corev1.Protocol(p.protocol), Start: p.start, End: p.end}})
		default:
			out = append(out, v1alpha1.AdminNetworkPolicyPort{PortNumber: &v1alpha1.Port{Protocol: corev1.Protocol(p.protocol), Port: p.start}})
		}
	}
	return &out
}
