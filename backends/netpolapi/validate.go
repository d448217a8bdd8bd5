package netpolapi

import (
	"fmt"
	"net/netip"
	"regexp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/network-policy-api/apis/v1alpha1"
	"sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolc/netpolc/backends"
)

// Validate checks an admin object the target emits (CNP, ANP, BANP) against the rules of the API's CRDs (sizes of lists, one field per
// peer, protocol and port, ranges, canonical CIDRs, the domain-name
// pattern, named ports only towards pods, the baseline's name, label
// selectors) and netpolc's conventions (apiVersion and kind set, the
// managed-by label, domain names only in accept rules). The tests run it
// on every object emitted; Emit does not.
func Validate(o backends.Object) error {
	var errs field.ErrorList
	meta := func(tm metav1.TypeMeta, om metav1.ObjectMeta, apiVersion, kind string) {
		if tm.APIVersion != apiVersion || tm.Kind != kind || o.APIVersion != apiVersion || o.Kind != kind {
			errs = append(errs, field.Invalid(field.NewPath("apiVersion"), tm.APIVersion+" "+tm.Kind, "want "+apiVersion+" "+kind))
		}
		for _, msg := range validation.IsDNS1123Label(om.Name) {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), om.Name, msg))
		}
		if om.Namespace != "" {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "namespace"), om.Namespace, "cluster-scoped"))
		}
		if om.Labels[backends.ManagedByLabel] != backends.ManagedBy {
			errs = append(errs, field.Required(field.NewPath("metadata", "labels"), backends.ManagedByLabel))
		}
	}
	switch v := o.Value.(type) {
	case *CNP:
		apiVersion := Group + "/" + V1Alpha2
		if v.APIVersion == Group+"/"+V1Beta1 {
			apiVersion = v.APIVersion
		}
		meta(v.TypeMeta, v.ObjectMeta, apiVersion, KindCNP)
		errs = append(errs, validateCNP(&v.Spec)...)
	case *ANP:
		meta(v.TypeMeta, v.ObjectMeta, Group+"/"+V1Alpha1, KindANP)
		errs = append(errs, validateANP(&v.Spec)...)
	case *BANP:
		meta(v.TypeMeta, v.ObjectMeta, Group+"/"+V1Alpha1, KindBANP)
		if v.Name != BaselineName {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), v.Name, "must be "+BaselineName))
		}
		errs = append(errs, validateBANP(&v.Spec)...)
	default:
		return fmt.Errorf("%T is not an object of %s", o.Value, Name)
	}
	return errs.ToAggregate()
}

// domainPattern is the pattern of the CRDs' DomainName.
var domainPattern = regexp.MustCompile(`^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$`)

var selectorOpts = metav1validation.LabelSelectorValidationOptions{}

func count(path *field.Path, n, lo, hi int) field.ErrorList {
	if n < lo || n > hi {
		return field.ErrorList{field.Invalid(path, n, fmt.Sprintf("must have %d to %d items", lo, hi))}
	}
	return nil
}

func oneOf(path *field.Path, set ...bool) field.ErrorList {
	n := 0
	for _, s := range set {
		if s {
			n++
		}
	}
	if n != 1 {
		return field.ErrorList{field.Invalid(path, n, "exactly one field must be set")}
	}
	return nil
}

// peerView is a rule's peer or an object's subject of either API version,
// the fields they share: what is nil is not set. The pod selectors are set
// together, from a pods peer or subject.
type peerView struct {
	namespaces, podNamespaces, pods, nodes *metav1.LabelSelector
	networks, domains                      []string
}

// check checks that exactly one of v's fields is set (an ingress peer's
// nodes, networks and domains are always nil) and checks each field set.
func (v peerView) check(pp *field.Path) field.ErrorList {
	errs := oneOf(pp, v.namespaces != nil, v.pods != nil, v.nodes != nil, v.networks != nil, v.domains != nil)
	if v.namespaces != nil {
		errs = append(errs, selector(v.namespaces, pp.Child("namespaces"))...)
	}
	if v.pods != nil {
		errs = append(errs, selector(v.podNamespaces, pp.Child("pods", "namespaceSelector"))...)
		errs = append(errs, selector(v.pods, pp.Child("pods", "podSelector"))...)
	}
	if v.nodes != nil {
		errs = append(errs, selector(v.nodes, pp.Child("nodes"))...)
	}
	if v.networks != nil {
		errs = append(errs, networks(v.networks, pp.Child("networks"))...)
	}
	if v.domains != nil {
		errs = append(errs, domains(v.domains, pp.Child("domainNames"))...)
	}
	return errs
}

// strs is xs as plain strings, nil where xs is nil.
func strs[T ~string](xs []T) []string {
	if xs == nil {
		return nil
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func selector(s *metav1.LabelSelector, path *field.Path) field.ErrorList {
	return metav1validation.ValidateLabelSelector(s, selectorOpts, path)
}

func networks(ns []string, path *field.Path) field.ErrorList {
	errs := count(path, len(ns), 1, maxValues)
	seen := map[string]bool{}
	for i, n := range ns {
		p, err := netip.ParsePrefix(n)
		if err != nil || p.Masked() != p || len(n) > 43 {
			errs = append(errs, field.Invalid(path.Index(i), n, "not a canonical CIDR"))
		}
		if seen[n] {
			errs = append(errs, field.Duplicate(path.Index(i), n))
		}
		seen[n] = true
	}
	return errs
}

func domains(ds []string, path *field.Path) field.ErrorList {
	errs := count(path, len(ds), 1, maxValues)
	seen := map[string]bool{}
	for i, d := range ds {
		if !domainPattern.MatchString(d) {
			errs = append(errs, field.Invalid(path.Index(i), d, "not a domain name"))
		}
		if seen[d] {
			errs = append(errs, field.Duplicate(path.Index(i), d))
		}
		seen[d] = true
	}
	return errs
}

func portNumber(n int32, path *field.Path) field.ErrorList {
	if n < 1 || n > 65535 {
		return field.ErrorList{field.Invalid(path, n, "must be 1 to 65535")}
	}
	return nil
}

func validateCNP(spec *v1alpha2.ClusterNetworkPolicySpec) field.ErrorList {
	var errs field.ErrorList
	path := field.NewPath("spec")
	if spec.Tier != v1alpha2.AdminTier && spec.Tier != v1alpha2.BaselineTier {
		errs = append(errs, field.NotSupported(path.Child("tier"), spec.Tier, []string{"Admin", "Baseline"}))
	}
	if spec.Priority < 0 || spec.Priority > MaxPriority {
		errs = append(errs, field.Invalid(path.Child("priority"), spec.Priority, "must be 0 to 1000"))
	}
	subj := peerView{namespaces: spec.Subject.Namespaces}
	if spec.Subject.Pods != nil {
		subj.podNamespaces, subj.pods = &spec.Subject.Pods.NamespaceSelector, &spec.Subject.Pods.PodSelector
	}
	errs = append(errs, subj.check(path.Child("subject"))...)
	errs = append(errs, count(path.Child("ingress"), len(spec.Ingress), 0, 25)...)
	errs = append(errs, count(path.Child("egress"), len(spec.Egress), 0, 25)...)
	if len(spec.Ingress) == 0 && len(spec.Egress) == 0 {
		errs = append(errs, field.Required(path, "an object without rules"))
	}
	action := func(a v1alpha2.ClusterNetworkPolicyRuleAction, p *field.Path) {
		switch a {
		case v1alpha2.ClusterNetworkPolicyRuleActionAccept, v1alpha2.ClusterNetworkPolicyRuleActionDeny, v1alpha2.ClusterNetworkPolicyRuleActionPass:
		default:
			errs = append(errs, field.NotSupported(p, a, []string{"Accept", "Deny", "Pass"}))
		}
		if spec.Tier == v1alpha2.BaselineTier && a == v1alpha2.ClusterNetworkPolicyRuleActionPass {
			errs = append(errs, field.Invalid(p, a, "netpolc writes no Pass in the baseline tier"))
		}
	}
	named := false
	protocols := func(ps []v1alpha2.ClusterNetworkPolicyProtocol, p *field.Path) {
		named = false
		if ps == nil {
			return
		}
		errs = append(errs, count(p, len(ps), 1, 25)...)
		for i, pr := range ps {
			pp := p.Index(i)
			errs = append(errs, oneOf(pp, pr.TCP != nil, pr.UDP != nil, pr.SCTP != nil, pr.DestinationNamedPort != "")...)
			var dp *v1alpha2.Port
			switch {
			case pr.TCP != nil:
				dp = pr.TCP.DestinationPort
			case pr.UDP != nil:
				dp = pr.UDP.DestinationPort
			case pr.SCTP != nil:
				dp = pr.SCTP.DestinationPort
			default:
				named = true
				for _, msg := range validation.IsValidPortName(pr.DestinationNamedPort) {
					errs = append(errs, field.Invalid(pp.Child("destinationNamedPort"), pr.DestinationNamedPort, msg))
				}
				continue
			}
			if dp == nil {
				errs = append(errs, field.Required(pp, "destinationPort"))
				continue
			}
			errs = append(errs, oneOf(pp.Child("destinationPort"), dp.Number != 0, dp.Range != nil)...)
			if dp.Range != nil {
				errs = append(errs, portNumber(dp.Range.Start, pp.Child("destinationPort", "range", "start"))...)
				errs = append(errs, portNumber(dp.Range.End, pp.Child("destinationPort", "range", "end"))...)
				if dp.Range.Start >= dp.Range.End {
					errs = append(errs, field.Invalid(pp.Child("destinationPort", "range"), dp.Range, "Start port must be less than End port"))
				}
			} else if dp.Number != 0 {
				errs = append(errs, portNumber(dp.Number, pp.Child("destinationPort", "number"))...)
			}
		}
	}
	for i, r := range spec.Ingress {
		rp := path.Child("ingress").Index(i)
		if len(r.Name) > maxRuleName {
			errs = append(errs, field.TooLong(rp.Child("name"), r.Name, maxRuleName))
		}
		action(r.Action, rp.Child("action"))
		protocols(r.Protocols, rp.Child("protocols"))
		errs = append(errs, count(rp.Child("from"), len(r.From), 1, 25)...)
		for j, peer := range r.From {
			v := peerView{namespaces: peer.Namespaces}
			if peer.Pods != nil {
				v.podNamespaces, v.pods = &peer.Pods.NamespaceSelector, &peer.Pods.PodSelector
			}
			errs = append(errs, v.check(rp.Child("from").Index(j))...)
		}
	}
	for i, r := range spec.Egress {
		rp := path.Child("egress").Index(i)
		if len(r.Name) > maxRuleName {
			errs = append(errs, field.TooLong(rp.Child("name"), r.Name, maxRuleName))
		}
		action(r.Action, rp.Child("action"))
		protocols(r.Protocols, rp.Child("protocols"))
		errs = append(errs, count(rp.Child("to"), len(r.To), 1, 25)...)
		for j, peer := range r.To {
			pp := rp.Child("to").Index(j)
			v := peerView{namespaces: peer.Namespaces, nodes: peer.Nodes, networks: strs(peer.Networks), domains: strs(peer.DomainNames)}
			if peer.Pods != nil {
				v.podNamespaces, v.pods = &peer.Pods.NamespaceSelector, &peer.Pods.PodSelector
			}
			errs = append(errs, v.check(pp)...)
			if peer.DomainNames != nil {
				if r.Action != v1alpha2.ClusterNetworkPolicyRuleActionAccept {
					errs = append(errs, field.Invalid(pp.Child("domainNames"), r.Action, "domain names are for Accept rules only"))
				}
			}
			if named && (peer.Networks != nil || peer.Nodes != nil || peer.DomainNames != nil) {
				errs = append(errs, field.Invalid(pp, "namedPort", "networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames"))
			}
		}
	}
	return errs
}

// anpPorts checks the ports of a v1alpha1 rule and reports a named port.
func anpPorts(ports *[]v1alpha1.AdminNetworkPolicyPort, p *field.Path) (field.ErrorList, bool) {
	if ports == nil {
		return nil, false
	}
	errs := count(p, len(*ports), 1, 100)
	named := false
	proto := func(pr string, pp *field.Path) {
		switch pr {
		case "TCP", "UDP", "SCTP":
		default:
			errs = append(errs, field.NotSupported(pp, pr, []string{"TCP", "UDP", "SCTP"}))
		}
	}
	for i, port := range *ports {
		pp := p.Index(i)
		errs = append(errs, oneOf(pp, port.PortNumber != nil, port.NamedPort != nil, port.PortRange != nil)...)
		switch {
		case port.PortNumber != nil:
			proto(string(port.PortNumber.Protocol), pp.Child("portNumber", "protocol"))
			errs = append(errs, portNumber(port.PortNumber.Port, pp.Child("portNumber", "port"))...)
		case port.PortRange != nil:
			proto(string(port.PortRange.Protocol), pp.Child("portRange", "protocol"))
			errs = append(errs, portNumber(port.PortRange.Start, pp.Child("portRange", "start"))...)
			errs = append(errs, portNumber(port.PortRange.End, pp.Child("portRange", "end"))...)
			if port.PortRange.Start >= port.PortRange.End {
				errs = append(errs, field.Invalid(pp.Child("portRange"), port.PortRange, "Start port must be less than End port"))
			}
		case port.NamedPort != nil:
			named = true
			for _, msg := range validation.IsValidPortName(*port.NamedPort) {
				errs = append(errs, field.Invalid(pp.Child("namedPort"), *port.NamedPort, msg))
			}
		}
	}
	return errs, named
}

func anpSubject(s *v1alpha1.AdminNetworkPolicySubject, sp *field.Path) field.ErrorList {
	v := peerView{namespaces: s.Namespaces}
	if s.Pods != nil {
		v.podNamespaces, v.pods = &s.Pods.NamespaceSelector, &s.Pods.PodSelector
	}
	return v.check(sp)
}

func anpIngressPeers(from []v1alpha1.AdminNetworkPolicyIngressPeer, p *field.Path) field.ErrorList {
	errs := count(p, len(from), 1, 100)
	for j, peer := range from {
		v := peerView{namespaces: peer.Namespaces}
		if peer.Pods != nil {
			v.podNamespaces, v.pods = &peer.Pods.NamespaceSelector, &peer.Pods.PodSelector
		}
		errs = append(errs, v.check(p.Index(j))...)
	}
	return errs
}

func anpEgressPeers(to []v1alpha1.AdminNetworkPolicyEgressPeer, named, allow bool, p *field.Path) field.ErrorList {
	errs := count(p, len(to), 1, 100)
	for j, peer := range to {
		pp := p.Index(j)
		v := peerView{namespaces: peer.Namespaces, nodes: peer.Nodes, networks: strs(peer.Networks), domains: strs(peer.DomainNames)}
		if peer.Pods != nil {
			v.podNamespaces, v.pods = &peer.Pods.NamespaceSelector, &peer.Pods.PodSelector
		}
		errs = append(errs, v.check(pp)...)
		if peer.DomainNames != nil {
			if !allow {
				errs = append(errs, field.Invalid(pp.Child("domainNames"), "", "domain names are for Allow rules only"))
			}
		}
		if named && (peer.Networks != nil || peer.Nodes != nil || peer.DomainNames != nil) {
			errs = append(errs, field.Invalid(pp, "namedPort", "networks/nodes/domainNames peer cannot be set with namedPorts"))
		}
	}
	return errs
}

func validateANP(spec *v1alpha1.AdminNetworkPolicySpec) field.ErrorList {
	var errs field.ErrorList
	path := field.NewPath("spec")
	if spec.Priority < 0 || spec.Priority > MaxPriority {
		errs = append(errs, field.Invalid(path.Child("priority"), spec.Priority, "must be 0 to 1000"))
	}
	errs = append(errs, anpSubject(&spec.Subject, path.Child("subject"))...)
	errs = append(errs, count(path.Child("ingress"), len(spec.Ingress), 0, 100)...)
	errs = append(errs, count(path.Child("egress"), len(spec.Egress), 0, 100)...)
	if len(spec.Ingress) == 0 && len(spec.Egress) == 0 {
		errs = append(errs, field.Required(path, "an object without rules"))
	}
	action := func(a v1alpha1.AdminNetworkPolicyRuleAction, p *field.Path) {
		switch a {
		case v1alpha1.AdminNetworkPolicyRuleActionAllow, v1alpha1.AdminNetworkPolicyRuleActionDeny, v1alpha1.AdminNetworkPolicyRuleActionPass:
		default:
			errs = append(errs, field.NotSupported(p, a, []string{"Allow", "Deny", "Pass"}))
		}
	}
	for i, r := range spec.Ingress {
		rp := path.Child("ingress").Index(i)
		if len(r.Name) > maxRuleName {
			errs = append(errs, field.TooLong(rp.Child("name"), r.Name, maxRuleName))
		}
		action(r.Action, rp.Child("action"))
		pe, _ := anpPorts(r.Ports, rp.Child("ports"))
		errs = append(errs, pe...)
		errs = append(errs, anpIngressPeers(r.From, rp.Child("from"))...)
	}
	for i, r := range spec.Egress {
		rp := path.Child("egress").Index(i)
		if len(r.Name) > maxRuleName {
			errs = append(errs, field.TooLong(rp.Child("name"), r.Name, maxRuleName))
		}
		action(r.Action, rp.Child("action"))
		pe, named := anpPorts(r.Ports, rp.Child("ports"))
		errs = append(errs, pe...)
		errs = append(errs, anpEgressPeers(r.To, named, r.Action == v1alpha1.AdminNetworkPolicyRuleActionAllow, rp.Child("to"))...)
	}
	return errs
}

func validateBANP(spec *v1alpha1.BaselineAdminNetworkPolicySpec) field.ErrorList {
	var errs field.ErrorList
	path := field.NewPath("spec")
	errs = append(errs, anpSubject(&spec.Subject, path.Child("subject"))...)
	errs = append(errs, count(path.Child("ingress"), len(spec.Ingress), 0, 100)...)
	errs = append(errs, count(path.Child("egress"), len(spec.Egress), 0, 100)...)
	action := func(a v1alpha1.BaselineAdminNetworkPolicyRuleAction, p *field.Path) {
		switch a {
		case v1alpha1.BaselineAdminNetworkPolicyRuleActionAllow, v1alpha1.BaselineAdminNetworkPolicyRuleActionDeny:
		default:
			errs = append(errs, field.NotSupported(p, a, []string{"Allow", "Deny"}))
		}
	}
	for i, r := range spec.Ingress {
		rp := path.Child("ingress").Index(i)
		action(r.Action, rp.Child("action"))
		pe, _ := anpPorts(r.Ports, rp.Child("ports"))
		errs = append(errs, pe...)
		errs = append(errs, anpIngressPeers(r.From, rp.Child("from"))...)
	}
	for i, r := range spec.Egress {
		rp := path.Child("egress").Index(i)
		action(r.Action, rp.Child("action"))
		pe, named := anpPorts(r.Ports, rp.Child("ports"))
		errs = append(errs, pe...)
		to := make([]v1alpha1.AdminNetworkPolicyEgressPeer, len(r.To))
		for k, p := range r.To {
			to[k] = v1alpha1.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: p.Pods, Nodes: p.Nodes, Networks: p.Networks}
		}
		errs = append(errs, anpEgressPeers(to, named, true, rp.Child("to"))...)
	}
	return errs
}
