package k8s

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// validNP is a valid policy exercising every field; each case below breaks
// one rule.
const validNP = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
  labels: {app.kubernetes.io/managed-by: netpolc}
  annotations: {netpolc.io/source: "a.netpol:3"}
spec:
  podSelector:
    matchLabels: {app: web}
    matchExpressions:
    - {key: tier, operator: In, values: [a, b]}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {}
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}
      podSelector: {matchLabels: {app: x}}
    - ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}
    ports:
    - {protocol: TCP, port: 80}
    - {protocol: UDP, port: 1000, endPort: 2000}
    - {protocol: SCTP, port: metrics}
    - {protocol: TCP}
  egress:
  - to:
    - ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8::/48"]}
  - {}
`

func parseNP(t *testing.T, s string) *networkingv1.NetworkPolicy {
	t.Helper()
	var np networkingv1.NetworkPolicy
	if err := yaml.UnmarshalStrict([]byte(s), &np); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return &np
}

func TestValidateAcceptsValid(t *testing.T) {
	np := parseNP(t, validNP)
	if errs := Validate(np); len(errs) != 0 {
		t.Fatalf("valid policy rejected: %v", errs)
	}
	if errs := CheckConventions(np); len(errs) != 0 {
		t.Fatalf("conventions: %v", errs)
	}
}

func TestValidateRejects(t *testing.T) {
	p := func(v corev1.Protocol) *corev1.Protocol { return &v }
	i32 := func(v int32) *int32 { return &v }
	port := func(v intstr.IntOrString) *intstr.IntOrString { return &v }
	ingressPorts := func(ports ...networkingv1.NetworkPolicyPort) func(*networkingv1.NetworkPolicy) {
		return func(np *networkingv1.NetworkPolicy) { np.Spec.Ingress[0].Ports = ports }
	}
	from := func(peers ...networkingv1.NetworkPolicyPeer) func(*networkingv1.NetworkPolicy) {
		return func(np *networkingv1.NetworkPolicy) { np.Spec.Ingress[0].From = peers }
	}
	block := func(cidr string, except ...string) func(*networkingv1.NetworkPolicy) {
		return from(networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}})
	}
	sel := func(ls metav1.LabelSelector) func(*networkingv1.NetworkPolicy) {
		return from(networkingv1.NetworkPolicyPeer{PodSelector: &ls})
	}
	cases := []struct {
		name   string
		break_ func(*networkingv1.NetworkPolicy)
		want   string // substring of the error
	}{
		{"name empty", func(np *networkingv1.NetworkPolicy) { np.Name = "" }, "metadata.name: Required"},
		{"name upper case", func(np *networkingv1.NetworkPolicy) { np.Name = "Web" }, "metadata.name: Invalid"},
		{"name too long", func(np *networkingv1.NetworkPolicy) { np.Name = strings.Repeat("a", 254) }, "metadata.name: Invalid"},
		{"name underscore", func(np *networkingv1.NetworkPolicy) { np.Name = "a_b" }, "metadata.name: Invalid"},
		{"namespace empty", func(np *networkingv1.NetworkPolicy) { np.Namespace = "" }, "metadata.namespace: Required"},
		{"namespace with dot", func(np *networkingv1.NetworkPolicy) { np.Namespace = "a.b" }, "metadata.namespace: Invalid"},
		{"label key", func(np *networkingv1.NetworkPolicy) { np.Labels["-bad"] = "x" }, "metadata.labels: Invalid"},
		{"label value", func(np *networkingv1.NetworkPolicy) { np.Labels["ok"] = "bad value" }, "metadata.labels: Invalid"},
		{"annotation key", func(np *networkingv1.NetworkPolicy) { np.Annotations["a/b/c"] = "x" }, "metadata.annotations: Invalid"},
		{"annotations too large", func(np *networkingv1.NetworkPolicy) { np.Annotations["big"] = strings.Repeat("x", 256*1024) }, "metadata.annotations: Too long"},
		{"podSelector bad operator", func(np *networkingv1.NetworkPolicy) {
			np.Spec.PodSelector.MatchExpressions[0].Operator = "Equals"
		}, "spec.podSelector.matchExpressions[0].operator: Invalid"},
		{"podSelector In without values", func(np *networkingv1.NetworkPolicy) {
			np.Spec.PodSelector.MatchExpressions[0].Values = nil
		}, "spec.podSelector.matchExpressions[0].values: Required"},
		{"podSelector Exists with values", sel(metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "a", Operator: metav1.LabelSelectorOpExists, Values: []string{"x"}}}}),
			"spec.ingress[0].from[0].podSelector.matchExpressions[0].values: Forbidden"},
		{"selector bad key", sel(metav1.LabelSelector{MatchLabels: map[string]string{"bad key": "x"}}), "podSelector.matchLabels: Invalid"},
		{"selector bad value", sel(metav1.LabelSelector{MatchLabels: map[string]string{"k": "-x-"}}), "podSelector.matchLabels: Invalid"},
		{"protocol ICMP", ingressPorts(networkingv1.NetworkPolicyPort{Protocol: p("ICMP")}), "spec.ingress[0].ports[0].protocol: Unsupported value"},
		{"port 0", ingressPorts(networkingv1.NetworkPolicyPort{Protocol: p("TCP"), Port: port(intstr.FromInt32(0))}), "ports[0].port: Invalid"},
		{"port 65536", ingressPorts(networkingv1.NetworkPolicyPort{Protocol: p("TCP"), Port: port(intstr.FromInt32(65536))}), "ports[0].port: Invalid"},
		{"port name too long", ingressPorts(networkingv1.NetworkPolicyPort{Protocol: p("TCP"), Port: port(intstr.FromString("abcdefghijklmnopq"))}), "ports[0].port: Invalid"},
		{"port name digits only", ingressPorts(networkingv1.NetworkPolicyPort{Protocol: p("TCP"), Port: port(intstr.FromString("123"))}), "ports[0].port: Invalid"},
		{"port name double dash", ingressPorts(networkingv1.NetworkPolicyPort{Protocol: p("TCP"), Port: port(intstr.FromString("a--b"))}), "ports[0].port: Invalid"},
		{"endPort without port", ingressPorts(networkingv1.NetworkPolicyPort{Protocol: p("TCP"), EndPort: i32(90)}), "endPort: Invalid value: 90: may not be specified when `port` is not specified"},
		{"endPort with named port", ingressPorts(networkingv1.NetworkPolicyPort{Protocol: p("TCP"), Port: port(intstr.FromString("http")), EndPort: i32(90)}), "non-numeric"},
		{"endPort below port", ingressPorts(networkingv1.NetworkPolicyPort{Protocol: p("TCP"), Port: port(intstr.FromInt32(100)), EndPort: i32(90)}), "must be greater than or equal to `port`"},
		{"endPort too large", ingressPorts(networkingv1.NetworkPolicyPort{Protocol: p("TCP"), Port: port(intstr.FromInt32(100)), EndPort: i32(70000)}), "endPort: Invalid value: 70000"},
		{"empty peer", from(networkingv1.NetworkPolicyPeer{}), "spec.ingress[0].from[0]: Required value: must specify a peer"},
		{"ipBlock with podSelector", from(networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{},
			IPBlock: &networkingv1.IPBlock{CIDR: "203.0.113.0/24"}}), "may not specify both ipBlock and another peer"},
		{"ipBlock with namespaceSelector", from(networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{},
			IPBlock: &networkingv1.IPBlock{CIDR: "203.0.113.0/24"}}), "may not specify both ipBlock and another peer"},
		{"cidr missing", block(""), "ipBlock.cidr: Required"},
		{"cidr garbage", block("10.0.0/8"), "ipBlock.cidr: Invalid"},
		{"cidr not canonical", block("10.0.0.1/8"), "ipBlock.cidr: Invalid"},
		{"cidr leading zero", block("010.0.0.0/8"), "ipBlock.cidr: Invalid"},
		{"cidr ipv4-mapped", block("::ffff:10.0.0.0/104"), "ipBlock.cidr: Invalid"},
		{"except equal", block("10.0.0.0/8", "10.0.0.0/8"), "must be a strict subset of `cidr`"},
		{"except outside", block("10.0.0.0/8", "11.0.0.0/16"), "must be a strict subset of `cidr`"},
		{"except wider", block("10.0.0.0/16", "10.0.0.0/8"), "must be a strict subset of `cidr`"},
		{"except other family", block("10.0.0.0/8", "2001:db8::/32"), "must be a strict subset of `cidr`"},
		{"except not canonical", block("10.0.0.0/8", "10.1.0.1/16"), "ipBlock.except[0]: Invalid"},
		{"egress peer invalid", func(np *networkingv1.NetworkPolicy) {
			np.Spec.Egress[0].To = []networkingv1.NetworkPolicyPeer{{}}
		}, "spec.egress[0].to[0]: Required"},
		{"egress port invalid", func(np *networkingv1.NetworkPolicy) {
			np.Spec.Egress[0].Ports = []networkingv1.NetworkPolicyPort{{Protocol: p("GRE")}}
		}, "spec.egress[0].ports[0].protocol: Unsupported value"},
		{"policyType unknown", func(np *networkingv1.NetworkPolicy) { np.Spec.PolicyTypes = []networkingv1.PolicyType{"Both"} }, "spec.policyTypes[0]: Unsupported value"},
		{"policyTypes three", func(np *networkingv1.NetworkPolicy) {
			np.Spec.PolicyTypes = []networkingv1.PolicyType{"Ingress", "Egress", "Ingress"}
		}, "may not specify more than two policyTypes"},
		{"policyTypes duplicate", func(np *networkingv1.NetworkPolicy) {
			np.Spec.PolicyTypes = []networkingv1.PolicyType{"Egress", "Egress"}
		}, "spec.policyTypes[1]: Duplicate value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			np := parseNP(t, validNP)
			c.break_(np)
			errs := Validate(np)
			if len(errs) == 0 {
				t.Fatalf("accepted; want an error containing %q", c.want)
			}
			if !strings.Contains(errs.ToAggregate().Error(), c.want) {
				t.Fatalf("errors %v; want one containing %q", errs, c.want)
			}
		})
	}
}

func TestCheckConventionsRejects(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(*networkingv1.NetworkPolicy)
		want   string
	}{
		{"no policyTypes", func(np *networkingv1.NetworkPolicy) { np.Spec.PolicyTypes = nil }, "spec.policyTypes: Required"},
		{"ingress not listed", func(np *networkingv1.NetworkPolicy) {
			np.Spec.PolicyTypes = []networkingv1.PolicyType{"Egress"}
		}, "ingress rules without Ingress"},
		{"egress not listed", func(np *networkingv1.NetworkPolicy) {
			np.Spec.PolicyTypes = []networkingv1.PolicyType{"Ingress"}
		}, "egress rules without Egress"},
		{"ports [{}]", func(np *networkingv1.NetworkPolicy) {
			np.Spec.Ingress[0].Ports = []networkingv1.NetworkPolicyPort{{}}
		}, "spec.ingress[0].ports[0].protocol: Required"},
		{"name longer than a label", func(np *networkingv1.NetworkPolicy) { np.Name = strings.Repeat("a", 64) }, "metadata.name: Too long"},
		{"unmarked", func(np *networkingv1.NetworkPolicy) { np.Labels = nil }, "managed-by"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			np := parseNP(t, validNP)
			c.break_(np)
			errs := CheckConventions(np)
			if !strings.Contains(errs.ToAggregate().Error(), c.want) {
				t.Fatalf("errors %v; want one containing %q", errs, c.want)
			}
		})
	}
}
