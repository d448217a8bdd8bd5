package testgen

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// NetPolCase is a random set of NetworkPolicy objects, as people write
// them (API defaults left out), over a generated world: the test case of
// the NetworkPolicy importer.
type NetPolCase struct {
	// Case holds the seed and the world (its Program is empty); Flows
	// samples its flows.
	Case
	Policies []*networkingv1.NetworkPolicy
}

// NewNetPol generates the NetworkPolicy case of seed: 1 to 4 policies in
// each of 1 or 2 governed namespaces of a world as New makes it. Every
// policy is valid for the API server. The generator covers every feature of
// networking.k8s.io/v1: omitted and explicit policyTypes (either order,
// and rules of a direction policyTypes does not list), empty podSelector,
// matchLabels and matchExpressions with In, NotIn, Exists and DoesNotExist
// (on any key: NotIn on a missing key is a point where cyclonus deviates
// from Kubernetes, so compare cyclonus with cyclonus only), ingress/egress
// omitted, [] or [{}], from/to omitted or empty (an empty, non-nil slice
// stands for a list written empty: encoding/json omits it, so writers that
// mean to keep it must, see EmptyLists), podSelector,
// namespaceSelector ({}, labels, kubernetes.io/metadata.name, expressions)
// alone or ANDed with a podSelector, ipBlock (IPv4 and IPv6, with except,
// excepts repeated or unsorted), ports omitted or empty, [{}], a protocol
// only, numbers with or without a protocol (TCP, UDP, SCTP), endPort ranges
// (endPort equal to port included) and named ports.
func NewNetPol(seed int64) *NetPolCase {
	g := newGen(seed)
	r := g.r
	c := &NetPolCase{Case: Case{Seed: seed}}
	c.World = g.world()
	n := 0
	for _, ns := range g.governed {
		for i, k := 0, 1+r.Intn(4); i < k; i++ {
			c.Policies = append(c.Policies, g.netpol(ns, fmt.Sprintf("np-%d", n)))
			n++
		}
	}
	return c
}

func (g *gen) netpol(ns, name string) *networkingv1.NetworkPolicy {
	np := &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: g.labelSelector(podKeys, 2)},
	}
	if g.chance(0.2) {
		np.Labels = map[string]string{"app.kubernetes.io/part-of": "shop"}
	}
	switch g.r.Intn(6) {
	case 0, 1: // omitted: the API server's defaulting
	case 2:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	case 3:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	case 4:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	default:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress, networkingv1.PolicyTypeIngress}
	}
	rules := func() int {
		switch g.r.Intn(6) {
		case 0:
			return -1 // [{}]
		case 1:
			return 0
		}
		return 1 + g.r.Intn(3)
	}
	if n := rules(); n < 0 {
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{}}
	} else {
		if n == 0 && g.chance(0.5) {
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{} // ingress: []
		}
		for i := 0; i < n; i++ {
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: g.npPeers(), Ports: g.npPorts()})
		}
	}
	if g.chance(0.5) {
		if n := rules(); n < 0 {
			np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{}}
		} else {
			if n == 0 && g.chance(0.5) {
				np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{} // egress: []
			}
			for i := 0; i < n; i++ {
				np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: g.npPeers(), Ports: g.npPorts()})
			}
		}
	}
	return np
}

// Label keys and values of the generated worlds' pods and namespaces.
var (
	podKeys = map[string][]string{"app": {"a", "b", "c"}, "tier": {"x", "y"}, "opt": {"1", "2"}, "k8s-app": {"kube-dns"}}
	nsKeys  = map[string][]string{"env": {"dev", "prod"}, "team": {"red", "blue"}}
)

// labelSelector returns a selector of 0 to max terms over keys.
func (g *gen) labelSelector(keys map[string][]string, max int) metav1.LabelSelector {
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names) // deterministic
	var ls metav1.LabelSelector
	for i, n := 0, g.r.Intn(max+1); i < n; i++ {
		k := names[g.r.Intn(len(names))]
		vals := keys[k]
		switch g.r.Intn(6) {
		case 0, 1:
			if ls.MatchLabels == nil {
				ls.MatchLabels = map[string]string{}
			}
			ls.MatchLabels[k] = vals[g.r.Intn(len(vals))]
		case 2:
			ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: metav1.LabelSelectorOpIn, Values: g.values(vals)})
		case 3:
			ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: metav1.LabelSelectorOpNotIn, Values: g.values(vals)})
		case 4:
			ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: metav1.LabelSelectorOpExists})
		default:
			ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: metav1.LabelSelectorOpDoesNotExist})
		}
	}
	return ls
}

// values returns 1 or 2 of vals, in any order, sometimes repeated.
func (g *gen) values(vals []string) []string {
	out := []string{vals[g.r.Intn(len(vals))]}
	if g.chance(0.4) {
		out = append(out, vals[g.r.Intn(len(vals))])
	}
	return out
}

// IP blocks of the generated policies: documentation and public ranges,
// the pod range and every address, with excepts strictly inside.
var npBlocks = []struct {
	cidr   string
	except []string
}{
	{"203.0.113.0/24", nil},
	{"203.0.113.0/24", []string{"203.0.113.128/25", "203.0.113.0/28"}},
	{"203.0.113.0/24", []string{"203.0.113.7/32", "203.0.113.7/32"}},
	{"198.51.100.0/24", nil},
	{"0.0.0.0/0", []string{"10.0.0.0/8"}},
	{"0.0.0.0/0", []string{"169.254.169.254/32", "10.0.0.0/8", "192.168.0.0/16"}},
	{"8.8.8.8/32", nil},
	{"10.244.0.0/16", nil},
	{"2001:db8::/32", nil},
	{"2001:db8::/32", []string{"2001:db8:1::/48"}},
	{"::/0", []string{"2001:db8::/32"}},
	{"2606:4700::1/128", nil},
}

// npPeers returns a peer list: nil (omitted), empty, or 1 to 3 peers.
func (g *gen) npPeers() []networkingv1.NetworkPolicyPeer {
	switch g.r.Intn(8) {
	case 0:
		return nil
	case 1:
		return []networkingv1.NetworkPolicyPeer{}
	}
	var out []networkingv1.NetworkPolicyPeer
	for i, n := 0, 1+g.r.Intn(3); i < n; i++ {
		out = append(out, g.npPeer())
	}
	return out
}

func (g *gen) npPeer() networkingv1.NetworkPolicyPeer {
	pods := func() *metav1.LabelSelector { s := g.labelSelector(podKeys, 2); return &s }
	namespaces := func() *metav1.LabelSelector {
		var s metav1.LabelSelector
		switch g.r.Intn(4) {
		case 0: // every namespace
		case 1:
			all := append(append([]string{}, namespaceNames...), referencedNS, dnsNS)
			s.MatchLabels = map[string]string{"kubernetes.io/metadata.name": all[g.r.Intn(len(all))]}
		case 2:
			s.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpIn,
				Values: []string{namespaceNames[g.r.Intn(len(namespaceNames))], referencedNS}}}
		default:
			s = g.labelSelector(nsKeys, 2)
		}
		return &s
	}
	switch g.r.Intn(6) {
	case 0, 1:
		return networkingv1.NetworkPolicyPeer{PodSelector: pods()}
	case 2:
		return networkingv1.NetworkPolicyPeer{NamespaceSelector: namespaces()}
	case 3, 4:
		return networkingv1.NetworkPolicyPeer{NamespaceSelector: namespaces(), PodSelector: pods()}
	}
	b := npBlocks[g.r.Intn(len(npBlocks))]
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: b.cidr, Except: append([]string(nil), b.except...)}}
}

// npPorts returns a port list: nil (omitted), empty, or 1 to 3 ports.
func (g *gen) npPorts() []networkingv1.NetworkPolicyPort {
	switch g.r.Intn(6) {
	case 0, 1:
		return nil
	case 2:
		return []networkingv1.NetworkPolicyPort{}
	}
	var out []networkingv1.NetworkPolicyPort
	for i, n := 0, 1+g.r.Intn(3); i < n; i++ {
		out = append(out, g.npPort())
	}
	return out
}

func (g *gen) npPort() networkingv1.NetworkPolicyPort {
	var p networkingv1.NetworkPolicyPort
	protos := []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
	if g.chance(0.7) {
		proto := protos[g.r.Intn(len(protos))]
		p.Protocol = &proto
	}
	num := func(v int) *intstr.IntOrString { x := intstr.FromInt32(int32(v)); return &x }
	switch g.r.Intn(7) {
	case 0: // a protocol only, or ports: [{}]
	case 1, 2:
		p.Port = num([]int{53, 80, 443, 5432, 7000, 8050, 8080, 8081, 9090}[g.r.Intn(9)])
	case 3:
		rng := [][2]int{{8000, 8100}, {8080, 8081}, {7000, 7010}, {50, 60}, {9090, 9090}, {1, 65535}}[g.r.Intn(6)]
		p.Port = num(rng[0])
		end := int32(rng[1])
		p.EndPort = &end
	default:
		name := intstr.FromString([]string{"http", "metrics", "dns", "sig", "alt", "dns-tcp", "nope"}[g.r.Intn(7)])
		p.Port = &name
	}
	return p
}

// DefaultNetPol returns a copy of np with the API server's defaults set, as
// it stores the object (SetDefaults_NetworkPolicy): a port without a
// protocol gets TCP, and omitted policyTypes become Ingress, plus Egress
// when the policy has egress rules. Evaluators such as cyclonus expect
// defaulted objects.
func DefaultNetPol(np *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
	cp := np.DeepCopy()
	tcp := func(ports []networkingv1.NetworkPolicyPort) {
		for i := range ports {
			if ports[i].Protocol == nil {
				p := corev1.ProtocolTCP
				ports[i].Protocol = &p
			}
		}
	}
	for i := range cp.Spec.Ingress {
		tcp(cp.Spec.Ingress[i].Ports)
	}
	for i := range cp.Spec.Egress {
		tcp(cp.Spec.Egress[i].Ports)
	}
	if len(cp.Spec.PolicyTypes) == 0 {
		cp.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(cp.Spec.Egress) > 0 {
			cp.Spec.PolicyTypes = append(cp.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
	return cp
}

// EmptyLists returns the paths of the lists of np that are empty but not
// nil (spec.ingress, spec.egress, and each rule's from/to and ports), which
// stand for lists written empty ("from: []"); encoding/json omits them
// (omitempty), so a writer that means to keep them adds them back.
func EmptyLists(np *networkingv1.NetworkPolicy) [][]any {
	var out [][]any
	if np.Spec.Ingress != nil && len(np.Spec.Ingress) == 0 {
		out = append(out, []any{"spec", "ingress"})
	}
	if np.Spec.Egress != nil && len(np.Spec.Egress) == 0 {
		out = append(out, []any{"spec", "egress"})
	}
	for i, r := range np.Spec.Ingress {
		if r.From != nil && len(r.From) == 0 {
			out = append(out, []any{"spec", "ingress", i, "from"})
		}
		if r.Ports != nil && len(r.Ports) == 0 {
			out = append(out, []any{"spec", "ingress", i, "ports"})
		}
	}
	for i, r := range np.Spec.Egress {
		if r.To != nil && len(r.To) == 0 {
			out = append(out, []any{"spec", "egress", i, "to"})
		}
		if r.Ports != nil && len(r.Ports) == 0 {
			out = append(out, []any{"spec", "egress", i, "ports"})
		}
	}
	return out
}
