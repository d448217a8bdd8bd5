package enginetest

import (
	"fmt"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// npOracle decides flows between pods and external addresses with
// cyclonus's NetworkPolicy matcher (github.com/mattfenwick/cyclonus), an
// evaluator of NetworkPolicy objects that shares no code with netpolc.
//
// The one modelling choice of the test: an ipBlock never selects a pod, as
// on a Cilium cluster (ipBlocks select traffic to and from outside the
// cluster; Cilium-managed endpoints are matched by identity, never by
// address). Kubernetes leaves this to the plugin and cyclonus matches
// ipBlocks against pod IPs, so flows between two pods are judged on the
// policies without their ipBlock peers.
type npOracle struct {
	full, podsOnly *matcher.Policy
	nsLabels       map[string]map[string]string
}

// decodeNPs strict-decodes a YAML stream of NetworkPolicies.
func decodeNPs(data []byte) ([]*networkingv1.NetworkPolicy, error) {
	var out []*networkingv1.NetworkPolicy
	for _, doc := range backends.SplitYAML(data) {
		var np networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict(doc, &np); err != nil {
			return nil, fmt.Errorf("strict decode: %v\n%s", err, doc)
		}
		if np.Kind != "NetworkPolicy" || np.APIVersion != "networking.k8s.io/v1" {
			return nil, fmt.Errorf("not a networking.k8s.io/v1 NetworkPolicy:\n%s", doc)
		}
		out = append(out, &np)
	}
	return out, nil
}

// newNPOracle loads the NetworkPolicies of a YAML stream for world w.
func newNPOracle(w *eval.World, data []byte) (*npOracle, error) {
	nps, err := decodeNPs(data)
	if err != nil {
		return nil, err
	}
	o := &npOracle{
		full:     matcher.BuildNetworkPolicies(true, nps),
		podsOnly: matcher.BuildNetworkPolicies(true, dropIPBlocks(nps)),
		nsLabels: map[string]map[string]string{},
	}
	for _, ns := range w.Namespaces {
		l := map[string]string{"kubernetes.io/metadata.name": ns.Name}
		for k, v := range ns.Labels {
			l[k] = v
		}
		o.nsLabels[ns.Name] = l
	}
	for _, p := range w.Pods {
		if o.nsLabels[p.Namespace] == nil {
			o.nsLabels[p.Namespace] = map[string]string{"kubernetes.io/metadata.name": p.Namespace}
		}
	}
	return o, nil
}

// dropIPBlocks returns copies of nps without ipBlock peers; a rule left
// without peers is dropped (an empty from/to would allow every peer).
func dropIPBlocks(nps []*networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy {
	keep := func(peers []networkingv1.NetworkPolicyPeer) ([]networkingv1.NetworkPolicyPeer, bool) {
		if len(peers) == 0 {
			return nil, true
		}
		var out []networkingv1.NetworkPolicyPeer
		for _, p := range peers {
			if p.IPBlock == nil {
				out = append(out, p)
			}
		}
		return out, len(out) > 0
	}
	var out []*networkingv1.NetworkPolicy
	for _, np := range nps {
		cp := np.DeepCopy()
		cp.Spec.Ingress, cp.Spec.Egress = nil, nil
		for _, r := range np.Spec.Ingress {
			if peers, ok := keep(r.From); ok {
				cp.Spec.Ingress = append(cp.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: peers, Ports: r.Ports})
			}
		}
		for _, r := range np.Spec.Egress {
			if peers, ok := keep(r.To); ok {
				cp.Spec.Egress = append(cp.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: peers, Ports: r.Ports})
			}
		}
		out = append(out, cp)
	}
	return out
}

// supports reports whether the oracle can judge f: between pods and
// external addresses, without ICMP, request or lookup.
func (o *npOracle) supports(f eval.Flow) bool {
	ok := func(ep eval.Endpoint) bool {
		return ep.Kind == eval.EndpointPod || ep.Kind == eval.EndpointExternal
	}
	return ok(f.From) && ok(f.To) && f.ICMP == nil && f.HTTP == nil && f.DNSName == "" &&
		(f.From.Kind == eval.EndpointPod || f.To.Kind == eval.EndpointPod)
}

// result is cyclonus's answer for f (see supports).
func (o *npOracle) result(f eval.Flow) *matcher.AllowedResult {
	pol := o.full
	if f.From.Kind == eval.EndpointPod && f.To.Kind == eval.EndpointPod {
		pol = o.podsOnly
	}
	return pol.IsTrafficAllowed(o.traffic(f))
}

// allowed is cyclonus's verdict on f.
func (o *npOracle) allowed(f eval.Flow) bool { return o.result(f).IsAllowed() }

// matched reports whether a rule of the policies matches f on its egress
// side (of the source) and on its ingress side (of the destination).
func (o *npOracle) matched(f eval.Flow) (egress, ingress bool) {
	r := o.result(f)
	return len(r.Egress.AllowingTargets) > 0, len(r.Ingress.AllowingTargets) > 0
}

func (o *npOracle) traffic(f eval.Flow) *matcher.Traffic {
	peer := func(ep eval.Endpoint) *matcher.TrafficPeer {
		if ep.Kind == eval.EndpointPod {
			return &matcher.TrafficPeer{IP: ep.Pod.IP.String(), Internal: &matcher.InternalPeer{
				PodLabels: ep.Pod.Labels, Namespace: ep.Pod.Namespace, NamespaceLabels: o.nsLabels[ep.Pod.Namespace],
			}}
		}
		return &matcher.TrafficPeer{IP: ep.External.IP.String()}
	}
	proto := f.Protocol
	if proto == "" {
		proto = ir.TCP
	}
	t := &matcher.Traffic{
		Source: peer(f.From), Destination: peer(f.To),
		ResolvedPort: int(f.Port), Protocol: corev1.Protocol(proto),
	}
	if f.To.Kind == eval.EndpointPod {
		// A named port is the name of the destination pod's container port.
		for _, cp := range f.To.Pod.Ports {
			p := cp.Protocol
			if p == "" {
				p = ir.TCP
			}
			if p == proto && cp.Port == f.Port && (t.ResolvedPortName == "" || cp.Name < t.ResolvedPortName) {
				t.ResolvedPortName = cp.Name
			}
		}
	}
	return t
}
