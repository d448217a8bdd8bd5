// Package k8s is netpolc's Kubernetes NetworkPolicy target
// (networking.k8s.io/v1): it emits one NetworkPolicy per IR policy, with the
// exact upstream semantics of docs/semantics.md section 1, and refuses, at the
// source line, whatever NetworkPolicy cannot express.
//
// Mapping (IR -> NetworkPolicy):
//   - Policy -> one object in Policy.Namespace; spec.podSelector from the
//     subject; spec.policyTypes always written, from Policy.Isolation
//     (Ingress before Egress; docs/semantics.md, section 1.2); rules only for
//     the listed directions; an isolated direction without rules gets no
//     rules (deny all). A policy that isolates nothing and has no rules is a
//     no-op and emits nothing.
//   - Rule -> one rule (ingress or egress): its peers in from/to and the
//     ports of all its port rules in ports (peers AND ports, exactly the IR
//     rule). AllTraffic -> no ports. A PeerAny peer -> no from/to.
//   - Peer: pods of the policy namespace -> podSelector; of a named
//     namespace -> namespaceSelector {kubernetes.io/metadata.name: N} plus the
//     podSelector in the same peer (AND) unless it is empty; of labelled
//     namespaces -> namespaceSelector (empty: {}, every namespace) plus the
//     podSelector; CIDR -> ipBlock (except sorted); world -> ipBlock
//     0.0.0.0/0 and ::/0 (world-ipv4/-ipv6: one of them).
//   - Port: protocol always written; a range -> port + endPort; a named port
//     -> port: NAME; every port of a protocol -> {protocol: X} only; protocol
//     any -> one entry each for TCP, UDP and SCTP. Never ports: [{}].
//
// Everything else (entities, FQDN, services, nodes, ICMP, deny rules,
// non-isolating rules, cluster-wide and node policies, HTTP and DNS-lookup
// rules) is an "unsupported" error; HTTP rules degrade to their L4 ports
// with --degrade l7=l4, recorded per rule as a warning and in the object's
// netpolc.io/not-enforced annotation.
//
// The stages (see package backends): Prepare needs no checks beyond the
// capabilities and changes nothing (it returns its input), and reports the
// warnings of what the output widens (degraded HTTP rules, world as
// ipBlocks); Emit only maps. Emit validates nothing: Validate (the API
// server's rules) and CheckConventions are run by the tests on every
// object emitted.
package k8s

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Object metadata netpolc writes.
const (
	// ManagedByLabel marks every object netpolc writes.
	ManagedByLabel = backends.ManagedByLabel
	ManagedBy      = backends.ManagedBy
	// SourceAnnotation lists the source lines behind an object.
	SourceAnnotation = backends.SourceAnnotation
	// NotEnforcedAnnotation lists what a degraded object does not enforce.
	NotEnforcedAnnotation = backends.NotEnforcedAnnotation
	// NamespaceNameLabel is the label the API server sets on every namespace.
	NamespaceNameLabel = "kubernetes.io/metadata.name"
)

// APIVersion and Kind of the emitted objects.
const (
	APIVersion = "networking.k8s.io/v1"
	Kind       = "NetworkPolicy"
)

// Backend is the NetworkPolicy target.
type Backend struct{}

// New returns the NetworkPolicy backend.
func New() backends.Backend { return Backend{} }

// Name implements backends.Backend.
func (Backend) Name() string { return "k8s" }

// Description implements backends.Backend.
func (Backend) Description() string {
	return "Kubernetes NetworkPolicy (networking.k8s.io/v1)"
}

// Capabilities implements backends.Backend.
func (Backend) Capabilities() backends.Capabilities { return Capabilities() }

// Capabilities returns what NetworkPolicy expresses, as data.
func Capabilities() backends.Capabilities {
	y, p, n := backends.Yes.With, backends.Partial.With, backends.No.With
	return backends.Capabilities{
		backends.FeatureL4:             y("ports with an explicit protocol"),
		backends.FeatureAllTraffic:     y("a rule without ports"),
		backends.FeaturePortRange:      p("endPort (GA in 1.25); a CNI without endPort support enforces only the first port"),
		backends.FeatureNamedPort:      y("resolved against the destination pod's container ports"),
		backends.FeatureSCTP:           p("SCTP needs CNI support"),
		backends.FeatureProtoAny:       y("one port entry each for TCP, UDP and SCTP"),
		backends.FeatureICMP:           n("NetworkPolicy has no ICMP rules; ICMP handling is undefined."),
		backends.FeatureNamespaceName:  y("namespaceSelector on kubernetes.io/metadata.name"),
		backends.FeatureNamespaceLabel: y("namespaceSelector"),
		backends.FeatureCIDR:           y("ipBlock with except"),
		backends.FeatureWorld:          p("ipBlock 0.0.0.0/0 and ::/0; CNIs that match ipBlocks against pod IPs also admit pods"),
		backends.FeatureEntity:         n("NetworkPolicy has no entities (nodes, the API server); only world maps to ipBlocks."),
		backends.FeatureHost:           n("NetworkPolicy cannot select nodes."),
		backends.FeatureFQDN:           n("NetworkPolicy has no DNS-name peers; an ipBlock snapshot would be a different policy."),
		backends.FeatureFQDNAnyDepth:   n("NetworkPolicy has no DNS-name peers."),
		backends.FeatureFQDNOneLabel:   n("NetworkPolicy has no DNS-name peers."),
		backends.FeatureHTTP:           n("NetworkPolicy has no L7 rules."),
		backends.FeatureDNSRules:       n("NetworkPolicy cannot restrict DNS lookups."),
		backends.FeatureDeny:           n("NetworkPolicy only allows; policies are a pure union."),
		backends.FeatureClusterWide:    n("NetworkPolicy is namespaced."),
		backends.FeatureNodeSubject:    n("NetworkPolicy selects pods only."),
		backends.FeatureNodePeer:       n("NetworkPolicy cannot select nodes as peers."),
		backends.FeatureService:        n("NetworkPolicy cannot select Services."),
		backends.FeatureNonIsolating:   n("Every NetworkPolicy rule isolates the pods it selects in its direction."),
		backends.FeatureAnyPeer:        y("a rule without from/to"),
		backends.FeatureOrdered:        n("NetworkPolicy cannot order rules: allows add up, whatever their order."),
		backends.FeaturePass:           n("NetworkPolicy has no admin tier to pass from."),
	}
}

// Degradations implements backends.Degrader.
func (Backend) Degradations() []backends.Degradation {
	return []backends.Degradation{{
		Feature: backends.FeatureHTTP, Mode: "l4",
		Note: "the rule's ports are allowed at L4 and its HTTP restrictions are not enforced",
	}}
}

// Prepare implements backends.Backend. NetworkPolicy needs no checks
// beyond its capabilities and no change of the IR, so it returns p itself;
// it reports what the output will not enforce exactly: every HTTP rule
// widened to its L4 ports (--degrade l7=l4, which CheckCapabilities let
// through) and every world peer written as an ipBlock of every address.
func (b Backend) Prepare(p *ir.Program, opts backends.Options) (*ir.Program, diag.List) {
	var diags diag.List
	_, degradeHTTP := backends.DegradationFor(b, opts, backends.FeatureHTTP)
	for _, pol := range emittedPolicies(p) {
		for _, r := range pol.Rules {
			if !emitsRule(pol, r) {
				continue
			}
			for _, peer := range r.Peers {
				if peer.Kind == ir.PeerEntity && (peer.Entity == ir.EntityWorld || peer.Entity == ir.EntityWorldIPv4 || peer.Entity == ir.EntityWorldIPv6) {
					diags.Warnf("world-ipblock", peer.Span, "%s becomes an ipBlock of every address, which some network plugins also match against pod IPs", peer.Entity).Detail =
						"NetworkPolicy has no peer for \"outside the cluster\". netpolc writes 0.0.0.0/0 and ::/0; Cilium and the upstream reference ignore pod IPs there, but plugins such as Calico match ipBlocks against pod and node IPs too, which admits every pod. To stay exact on such a plugin, write the CIDR yourself with the cluster's pod and node ranges as except."
				}
			}
			if lost := lostHTTP(r); len(lost) > 0 && degradeHTTP {
				diags.Warnf("degraded", r.Span, "HTTP rules widened to their L4 ports (--degrade l7=l4): %s are not enforced", strings.Join(lost, "; ")).Detail =
					"Every request on these ports from these peers is allowed; the object carries the annotation " + NotEnforcedAnnotation + "."
			}
		}
	}
	return ir.RewritePeers(p, targetPeer), diags
}

// Every address of each family: what the world entities become.
var (
	allIPv4 = netip.MustParsePrefix("0.0.0.0/0")
	allIPv6 = netip.MustParsePrefix("::/0")
)

// targetPeer expresses a peer in the form a NetworkPolicy writes it, so that
// peers written alike are one peer of the prepared program (ir.RewritePeers
// keeps each once): a world entity becomes the CIDRs of every address of its
// families (the world-ipblock warning says what that means), and namespaces
// selected only by their name label become that namespace by name.
func targetPeer(_ *ir.Policy, peer ir.Peer) ([]ir.Peer, bool) {
	cidr := func(c netip.Prefix) ir.Peer { return ir.Peer{Span: peer.Span, Kind: ir.PeerCIDR, CIDR: c} }
	switch {
	case peer.Kind == ir.PeerEntity && peer.Entity == ir.EntityWorld:
		return []ir.Peer{cidr(allIPv4), cidr(allIPv6)}, true
	case peer.Kind == ir.PeerEntity && peer.Entity == ir.EntityWorldIPv4:
		return []ir.Peer{cidr(allIPv4)}, true
	case peer.Kind == ir.PeerEntity && peer.Entity == ir.EntityWorldIPv6:
		return []ir.Peer{cidr(allIPv6)}, true
	case peer.Kind == ir.PeerPods && peer.Namespace.Scope == ir.NamespaceLabels:
		l := peer.Namespace.Labels
		if len(l.MatchExpressions) == 0 && len(l.MatchLabels) == 1 && l.MatchLabels[0].Key == NamespaceNameLabel {
			peer.Namespace = ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: l.MatchLabels[0].Value}
			return []ir.Peer{peer}, true
		}
	}
	return nil, false
}

// Emit implements backends.Backend: it maps a program that passed
// CheckCapabilities and Prepare to NetworkPolicy objects. The HTTP rules
// left in such a program are those of the l7=l4 degradation: their ports
// are written at L4 and the rules in the netpolc.io/not-enforced
// annotation.
func (b Backend) Emit(p *ir.Program) ([]backends.Object, diag.List) {
	e := &emitter{}
	nps := e.emit(p)
	if e.diags.HasErrors() {
		return nil, e.diags
	}
	objs := make([]backends.Object, 0, len(nps))
	for _, np := range nps {
		objs = append(objs, backends.Object{
			APIVersion: APIVersion, Kind: Kind,
			Namespace: np.obj.Namespace, Name: np.obj.Name, Value: np.obj,
		})
	}
	return objs, e.diags
}

// emittedPolicies returns the policies of p that write an object: namespaced pod
// policies (the others fail CheckCapabilities) that isolate or allow
// something, in program order.
func emittedPolicies(p *ir.Program) []*ir.Policy {
	pols := make([]*ir.Policy, 0, len(p.Policies))
	for _, pol := range p.Policies {
		if pol.Namespace == "" || pol.Subject.Nodes {
			continue // reported by CheckCapabilities
		}
		if !pol.Isolation.Ingress && !pol.Isolation.Egress && len(pol.Rules) == 0 {
			continue
		}
		pols = append(pols, pol)
	}
	return pols
}

// emitsRule reports whether r of pol becomes a NetworkPolicy rule: deny
// and non-isolating rules fail CheckCapabilities.
func emitsRule(pol *ir.Policy, r *ir.Rule) bool {
	if r.Action != ir.Allow {
		return false
	}
	return (r.Direction != ir.Ingress || pol.Isolation.Ingress) && (r.Direction != ir.Egress || pol.Isolation.Egress)
}

// lostHTTP describes the HTTP rules of r, which NetworkPolicy writes at L4
// only (the l7=l4 degradation).
func lostHTTP(r *ir.Rule) []string {
	if r.AllTraffic {
		return nil
	}
	var lost []string
	for _, pr := range r.Ports {
		if len(pr.HTTP) > 0 {
			lost = append(lost, describeHTTP(pr))
		}
	}
	return lost
}

// emitted is one object and the span of the policy behind it.
type emitted struct {
	obj  *networkingv1.NetworkPolicy
	span source.Span
}

type emitter struct {
	diags diag.List
}

// emit returns the objects of p sorted by namespace and name.
func (e *emitter) emit(p *ir.Program) []emitted {
	// Names come from a canonical order (not the order of the input files)
	// so that name suffixes do not depend on it.
	pols := emittedPolicies(p)
	names := backends.PolicyNames(pols)
	out := make([]emitted, 0, len(pols))
	for _, pol := range pols {
		np := e.policy(pol)
		np.Name = names[pol]
		out = append(out, emitted{obj: np, span: pol.Span})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].obj, out[j].obj
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return out
}

func (e *emitter) policy(pol *ir.Policy) *networkingv1.NetworkPolicy {
	np := &networkingv1.NetworkPolicy{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: pol.Namespace,
			Labels:    map[string]string{ManagedByLabel: ManagedBy},
		},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: LabelSelector(pol.Subject.Pods)},
	}
	if pol.Isolation.Ingress {
		np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
	}
	if pol.Isolation.Egress {
		np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
	}

	spans := []source.Span{pol.Span}
	var notEnforced []string
	// Rules in the IR's order: source order.
	for _, r := range pol.Rules {
		if r.Action != ir.Allow {
			continue // reported by CheckCapabilities
		}
		if !emitsRule(pol, r) {
			continue // non-isolating: reported by CheckCapabilities
		}
		peers, all, ok := e.peers(r)
		if !ok {
			continue
		}
		ports, lost, ok := e.ports(r)
		if !ok {
			continue
		}
		if len(lost) > 0 {
			// Reported by Prepare.
			note := fmt.Sprintf("l7 http %s (%s)", strings.Join(lost, "; "), backends.LineOf(r.Span))
			notEnforced = append(notEnforced, note)
		}
		spans = append(spans, r.Span)
		if all {
			peers = nil
		}
		if r.Direction == ir.Ingress {
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: peers, Ports: ports})
		} else {
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: peers, Ports: ports})
		}
	}
	np.Annotations = map[string]string{SourceAnnotation: backends.SourceLines(spans)}
	if np.Annotations[SourceAnnotation] == "" {
		delete(np.Annotations, SourceAnnotation)
	}
	if len(notEnforced) > 0 {
		np.Annotations[NotEnforcedAnnotation] = strings.Join(notEnforced, "; ")
	}
	if len(np.Annotations) == 0 {
		np.Annotations = nil
	}
	return np
}

// peers maps the peers of r, one NetworkPolicy peer each (Prepare made
// them distinct as written: targetPeer); all reports a PeerAny (the rule
// then has no from/to). ok is false when a peer cannot be expressed: an
// internal error, since CheckCapabilities and Prepare let none through.
func (e *emitter) peers(r *ir.Rule) (peers []networkingv1.NetworkPolicyPeer, all, ok bool) {
	add := func(p networkingv1.NetworkPolicyPeer) { peers = append(peers, p) }
	for _, peer := range r.Peers {
		switch peer.Kind {
		case ir.PeerAny:
			all = true
		case ir.PeerPods:
			pods := LabelSelector(peer.Pods)
			switch peer.Namespace.Scope {
			case ir.NamespacePolicy:
				add(networkingv1.NetworkPolicyPeer{PodSelector: &pods})
			case ir.NamespaceNamed:
				ns := metav1.LabelSelector{MatchLabels: map[string]string{NamespaceNameLabel: peer.Namespace.Name}}
				add(withPods(ns, peer.Pods, pods))
			case ir.NamespaceLabels:
				add(withPods(LabelSelector(peer.Namespace.Labels), peer.Pods, pods))
			}
		case ir.PeerCIDR:
			add(networkingv1.NetworkPolicyPeer{IPBlock: ipBlock(peer.CIDR, peer.Except)})
		default:
			e.diags.Errorf("internal", r.Span, "a NetworkPolicy cannot express peer %s", ir.FormatPeer(peer))
			return nil, false, false
		}
	}
	if !all && len(peers) == 0 {
		// An IR rule always has peers; an empty from/to would allow everyone.
		e.diags.Errorf("internal", r.Span, "rule without peers")
		return nil, false, false
	}
	return peers, all, true
}

// withPods is a namespaceSelector peer, AND the pod selector when it selects
// less than every pod.
func withPods(ns metav1.LabelSelector, sel ir.Selector, pods metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	p := networkingv1.NetworkPolicyPeer{NamespaceSelector: &ns}
	if !sel.IsEmpty() {
		p.PodSelector = &pods
	}
	return p
}

func ipBlock(cidr netip.Prefix, except []netip.Prefix) *networkingv1.IPBlock {
	return &networkingv1.IPBlock{CIDR: cidr.Masked().String(), Except: backends.Excepts(except)}
}

// ports maps the port rules of r. lost describes the HTTP rules dropped by
// the l7=l4 degradation. ok is false when r cannot be expressed (already
// reported).
func (e *emitter) ports(r *ir.Rule) (ports []networkingv1.NetworkPolicyPort, lost []string, ok bool) {
	if r.AllTraffic {
		return nil, nil, true
	}
	if len(r.ICMP) > 0 || len(r.Ports) == 0 {
		return nil, nil, false
	}
	seen := map[string]bool{}
	for _, pr := range r.Ports {
		if len(pr.DNS) > 0 {
			return nil, nil, false
		}
		if len(pr.HTTP) > 0 {
			// Only the l7=l4 degradation lets HTTP rules through
			// CheckCapabilities.
			lost = append(lost, describeHTTP(pr))
		}
		for _, port := range pr.Ports {
			for _, np := range npPorts(port) {
				k := portKey(np)
				if !seen[k] {
					seen[k] = true
					ports = append(ports, np)
				}
			}
		}
	}
	if len(ports) == 0 {
		e.diags.Errorf("internal", r.Span, "rule without ports")
		return nil, nil, false
	}
	return ports, lost, true
}

// npPorts maps one IR port; protocol any expands to TCP, UDP and SCTP.
func npPorts(p ir.Port) []networkingv1.NetworkPolicyPort {
	protos := []ir.Protocol{p.Protocol}
	if p.Protocol == ir.ProtoAny {
		protos = []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP}
	} else if p.Protocol == "" {
		protos = []ir.Protocol{ir.TCP}
	}
	out := make([]networkingv1.NetworkPolicyPort, 0, len(protos))
	for _, proto := range protos {
		pr := corev1.Protocol(proto)
		np := networkingv1.NetworkPolicyPort{Protocol: &pr}
		switch {
		case p.Name != "":
			v := intstr.FromString(p.Name)
			np.Port = &v
		case p.Port != 0:
			v := intstr.FromInt32(int32(p.Port))
			np.Port = &v
			if p.EndPort != 0 && p.EndPort != p.Port {
				end := int32(p.EndPort)
				np.EndPort = &end
			}
		}
		out = append(out, np)
	}
	return out
}

// describeHTTP renders the HTTP rules of pr and its ports for the
// not-enforced annotation, with ir's printers:
// `"GET" "/api/public/.*"; "POST" "/api/auth/.*" on 8080/TCP`.
func describeHTTP(pr ir.PortRule) string {
	return ir.FormatHTTPRules(pr.HTTP) + " on " + ir.FormatPorts(pr.Ports)
}

// LabelSelector converts an IR selector; the empty selector is {}.
func LabelSelector(s ir.Selector) metav1.LabelSelector {
	var ls metav1.LabelSelector
	if len(s.MatchLabels) > 0 {
		ls.MatchLabels = make(map[string]string, len(s.MatchLabels))
		for _, l := range s.MatchLabels {
			ls.MatchLabels[l.Key] = l.Value
		}
	}
	for _, e := range s.MatchExpressions {
		req := metav1.LabelSelectorRequirement{Key: e.Key, Operator: metav1.LabelSelectorOperator(e.Operator)}
		if len(e.Values) > 0 {
			req.Values = append([]string(nil), e.Values...)
		}
		ls.MatchExpressions = append(ls.MatchExpressions, req)
	}
	return ls
}

// portKey identifies a port entry for de-duplication.
func portKey(p networkingv1.NetworkPolicyPort) string {
	k := string(*p.Protocol)
	if p.Port != nil {
		k += " " + p.Port.String()
	}
	if p.EndPort != nil {
		k += "-" + strconv.Itoa(int(*p.EndPort))
	}
	return k
}
