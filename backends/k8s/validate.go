package k8s

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate re-implements the API server's validation of a NetworkPolicy on
// create (kubernetes pkg/apis/networking/validation ValidateNetworkPolicy,
// docs/semantics.md 1.8), on the v1 type, without importing k8s.io/kubernetes:
//
//   - metadata: name a DNS-1123 subdomain, namespace a DNS-1123 label,
//     label keys and values, annotation keys and total size (apimachinery's
//     ValidateObjectMeta, which the API server uses);
//   - spec.podSelector and every peer selector: valid label selectors
//     (operators, values required for In/NotIn and forbidden otherwise,
//     qualified keys, label values);
//   - ports: protocol TCP, UDP or SCTP; port 1-65535 or an IANA_SVC_NAME;
//     endPort only with a numeric port, >= port and a valid port number;
//   - peers: at least one of podSelector, namespaceSelector, ipBlock, and
//     ipBlock alone;
//   - ipBlock: cidr required and valid, every except valid and a strict
//     subset of cidr (same family, contained, longer prefix). CIDRs are
//     checked as with StrictIPCIDRValidation (beta in 1.36): canonical form
//     only;
//   - policyTypes: Ingress or Egress, at most two. Stricter than the API
//     server: no duplicates.
func Validate(np *networkingv1.NetworkPolicy) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&np.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, validateSpec(&np.Spec, field.NewPath("spec"))...)
}

var selectorOpts = metav1validation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: false}

func validateSpec(spec *networkingv1.NetworkPolicySpec, fldPath *field.Path) field.ErrorList {
	allErrs := metav1validation.ValidateLabelSelector(&spec.PodSelector, selectorOpts, fldPath.Child("podSelector"))
	for i, rule := range spec.Ingress {
		rulePath := fldPath.Child("ingress").Index(i)
		for j := range rule.Ports {
			allErrs = append(allErrs, validatePort(&rule.Ports[j], rulePath.Child("ports").Index(j))...)
		}
		for j := range rule.From {
			allErrs = append(allErrs, validatePeer(&rule.From[j], rulePath.Child("from").Index(j))...)
		}
	}
	for i, rule := range spec.Egress {
		rulePath := fldPath.Child("egress").Index(i)
		for j := range rule.Ports {
			allErrs = append(allErrs, validatePort(&rule.Ports[j], rulePath.Child("ports").Index(j))...)
		}
		for j := range rule.To {
			allErrs = append(allErrs, validatePeer(&rule.To[j], rulePath.Child("to").Index(j))...)
		}
	}
	typesPath := fldPath.Child("policyTypes")
	allowed := []string{string(networkingv1.PolicyTypeIngress), string(networkingv1.PolicyTypeEgress)}
	if len(spec.PolicyTypes) > len(allowed) {
		return append(allErrs, field.Invalid(typesPath, spec.PolicyTypes, "may not specify more than two policyTypes"))
	}
	seen := map[networkingv1.PolicyType]bool{}
	for i, t := range spec.PolicyTypes {
		switch {
		case t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress:
			allErrs = append(allErrs, field.NotSupported(typesPath.Index(i), t, allowed))
		case seen[t]:
			allErrs = append(allErrs, field.Duplicate(typesPath.Index(i), t))
		}
		seen[t] = true
	}
	return allErrs
}

func validatePort(port *networkingv1.NetworkPolicyPort, portPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if port.Protocol != nil {
		switch *port.Protocol {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		default:
			allErrs = append(allErrs, field.NotSupported(portPath.Child("protocol"), *port.Protocol,
				[]string{string(corev1.ProtocolTCP), string(corev1.ProtocolUDP), string(corev1.ProtocolSCTP)}))
		}
	}
	switch {
	case port.Port == nil:
		if port.EndPort != nil {
			allErrs = append(allErrs, field.Invalid(portPath.Child("endPort"), *port.EndPort, "may not be specified when `port` is not specified"))
		}
	case port.Port.Type == intstr.Int:
		for _, msg := range validation.IsValidPortNum(int(port.Port.IntVal)) {
			allErrs = append(allErrs, field.Invalid(portPath.Child("port"), port.Port.IntVal, msg))
		}
		if port.EndPort != nil {
			if *port.EndPort < port.Port.IntVal {
				allErrs = append(allErrs, field.Invalid(portPath.Child("endPort"), *port.EndPort, "must be greater than or equal to `port`"))
			}
			for _, msg := range validation.IsValidPortNum(int(*port.EndPort)) {
				allErrs = append(allErrs, field.Invalid(portPath.Child("endPort"), *port.EndPort, msg))
			}
		}
	default:
		if port.EndPort != nil {
			allErrs = append(allErrs, field.Invalid(portPath.Child("endPort"), *port.EndPort, "may not be specified when `port` is non-numeric"))
		}
		for _, msg := range validation.IsValidPortName(port.Port.StrVal) {
			allErrs = append(allErrs, field.Invalid(portPath.Child("port"), port.Port.StrVal, msg))
		}
	}
	return allErrs
}

func validatePeer(peer *networkingv1.NetworkPolicyPeer, peerPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	n := 0
	if peer.PodSelector != nil {
		n++
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(peer.PodSelector, selectorOpts, peerPath.Child("podSelector"))...)
	}
	if peer.NamespaceSelector != nil {
		n++
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(peer.NamespaceSelector, selectorOpts, peerPath.Child("namespaceSelector"))...)
	}
	if peer.IPBlock != nil {
		n++
		allErrs = append(allErrs, validateIPBlock(peer.IPBlock, peerPath.Child("ipBlock"))...)
	}
	if n == 0 {
		allErrs = append(allErrs, field.Required(peerPath, "must specify a peer"))
	} else if n > 1 && peer.IPBlock != nil {
		allErrs = append(allErrs, field.Forbidden(peerPath, "may not specify both ipBlock and another peer"))
	}
	return allErrs
}

func validateIPBlock(b *networkingv1.IPBlock, fldPath *field.Path) field.ErrorList {
	if b.CIDR == "" {
		return field.ErrorList{field.Required(fldPath.Child("cidr"), "")}
	}
	allErrs := validation.IsValidCIDRForLegacyField(fldPath.Child("cidr"), b.CIDR, true, nil)
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil || len(allErrs) > 0 {
		return allErrs
	}
	for i, s := range b.Except {
		exPath := fldPath.Child("except").Index(i)
		errs := validation.IsValidCIDRForLegacyField(exPath, s, true, nil)
		allErrs = append(allErrs, errs...)
		ex, err := netip.ParsePrefix(s)
		if err != nil || len(errs) > 0 {
			continue
		}
		if ex.Addr().Is4() != cidr.Addr().Is4() || !cidr.Contains(ex.Addr()) || cidr.Bits() >= ex.Bits() {
			allErrs = append(allErrs, field.Invalid(exPath, s, "must be a strict subset of `cidr`"))
		}
	}
	return allErrs
}

// CheckConventions checks what netpolc promises beyond API validity:
// policyTypes written and listing every direction that has rules (a rule in
// an unlisted direction is ignored upstream but enforced by Cilium), an
// explicit protocol on every port (never ports: [{}]), names short enough
// for a label value, and the managed-by label.
func CheckConventions(np *networkingv1.NetworkPolicy) field.ErrorList {
	var allErrs field.ErrorList
	spec := field.NewPath("spec")
	if len(np.Spec.PolicyTypes) == 0 {
		allErrs = append(allErrs, field.Required(spec.Child("policyTypes"), "netpolc always writes policyTypes"))
	}
	has := map[networkingv1.PolicyType]bool{}
	for _, t := range np.Spec.PolicyTypes {
		has[t] = true
	}
	if len(np.Spec.Ingress) > 0 && !has[networkingv1.PolicyTypeIngress] {
		allErrs = append(allErrs, field.Forbidden(spec.Child("ingress"), "ingress rules without Ingress in policyTypes"))
	}
	if len(np.Spec.Egress) > 0 && !has[networkingv1.PolicyTypeEgress] {
		allErrs = append(allErrs, field.Forbidden(spec.Child("egress"), "egress rules without Egress in policyTypes"))
	}
	checkPorts := func(ports []networkingv1.NetworkPolicyPort, p *field.Path) {
		for i, port := range ports {
			if port.Protocol == nil {
				allErrs = append(allErrs, field.Required(p.Index(i).Child("protocol"), "netpolc always writes the protocol"))
			}
		}
	}
	for i, r := range np.Spec.Ingress {
		checkPorts(r.Ports, spec.Child("ingress").Index(i).Child("ports"))
	}
	for i, r := range np.Spec.Egress {
		checkPorts(r.Ports, spec.Child("egress").Index(i).Child("ports"))
	}
	if len(np.Name) > MaxNameLength {
		allErrs = append(allErrs, field.TooLong(field.NewPath("metadata", "name"), np.Name, MaxNameLength))
	}
	if np.Labels[ManagedByLabel] != ManagedBy {
		allErrs = append(allErrs, field.Required(field.NewPath("metadata", "labels").Key(ManagedByLabel), "netpolc marks its objects"))
	}
	return allErrs
}
