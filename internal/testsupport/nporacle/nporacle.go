// Package nporacle judges flows of a netpolc test world against
// NetworkPolicy objects with cyclonus's matcher
// (github.com/mattfenwick/cyclonus/pkg/matcher), an evaluator of
// NetworkPolicy written by others that shares no code with netpolc. The k8s
// backend's tests and the engine-vs-engine tests of the Cilium backend use it
// as their NetworkPolicy oracle; it is test support, never linked into
// netpolc.
//
// The one modelling choice: an ipBlock never selects a pod. Kubernetes leaves
// it to the network plugin; Cilium (and netpolc's evaluator) match ipBlocks
// only against addresses outside the cluster, while cyclonus matches them
// against pod IPs too, so flows between two pods are judged on the policies
// without their ipBlock peers (docs/semantics.md, section 1.5).
package nporacle

import (
	"github.com/mattfenwick/cyclonus/pkg/matcher"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
)

// namespaceNameLabel is the label the API server sets on every namespace.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// Oracle is cyclonus's matcher loaded with a set of NetworkPolicies, for
// the pods and namespaces of one world.
type Oracle struct {
	full, podsOnly *matcher.Policy
	nsLabels       map[string]map[string]string
}

// New loads nps for world w.
func New(w *eval.World, nps []*networkingv1.NetworkPolicy) *Oracle {
	o := &Oracle{
		full:     matcher.BuildNetworkPolicies(true, nps),
		podsOnly: matcher.BuildNetworkPolicies(true, withoutIPBlocks(nps)),
		nsLabels: map[string]map[string]string{},
	}
	for _, ns := range w.Namespaces {
		l := map[string]string{namespaceNameLabel: ns.Name}
		for k, v := range ns.Labels {
			l[k] = v
		}
		o.nsLabels[ns.Name] = l
	}
	for _, p := range w.Pods {
		if o.nsLabels[p.Namespace] == nil {
			o.nsLabels[p.Namespace] = map[string]string{namespaceNameLabel: p.Namespace}
		}
	}
	return o
}

// Supports reports whether the oracle can judge f: between pods, or a pod
// and an external address, without ICMP, HTTP request or DNS lookup.
func (o *Oracle) Supports(f eval.Flow) bool {
	ok := func(ep eval.Endpoint) bool {
		return ep.Kind == eval.EndpointPod || ep.Kind == eval.EndpointExternal
	}
	return ok(f.From) && ok(f.To) && f.ICMP == nil && f.HTTP == nil && f.DNSName == "" &&
		(f.From.Kind == eval.EndpointPod || f.To.Kind == eval.EndpointPod)
}

// Result is cyclonus's answer for f, which Supports must accept.
func (o *Oracle) Result(f eval.Flow) *matcher.AllowedResult {
	pol := o.full
	if f.From.Kind == eval.EndpointPod && f.To.Kind == eval.EndpointPod {
		pol = o.podsOnly
	}
	return pol.IsTrafficAllowed(o.traffic(f))
}

// Allowed is cyclonus's verdict on f.
func (o *Oracle) Allowed(f eval.Flow) bool { return o.Result(f).IsAllowed() }

// AllowedIPBlocksMatchingPods is cyclonus's verdict on f when ipBlocks
// match pod addresses too, as some network plugins implement them (the
// reference agent kube-network-policies does): the verdict such a plugin
// must give. It differs from Allowed only for a flow between pods whose
// address an ipBlock of the policies covers.
func (o *Oracle) AllowedIPBlocksMatchingPods(f eval.Flow) bool {
	return o.full.IsTrafficAllowed(o.traffic(f)).IsAllowed()
}

// Matched reports whether a rule of the policies matches f on its egress
// side (the source's policies) and on its ingress side (the destination's).
func (o *Oracle) Matched(f eval.Flow) (egress, ingress bool) {
	r := o.Result(f)
	return len(r.Egress.AllowingTargets) > 0, len(r.Ingress.AllowingTargets) > 0
}

// traffic converts f into cyclonus's terms; a named port is the name of the
// destination pod's container port.
func (o *Oracle) traffic(f eval.Flow) *matcher.Traffic {
	peer := o.peer
	proto := f.Protocol
	if proto == "" {
		proto = ir.TCP
	}
	t := &matcher.Traffic{
		Source: peer(f.From), Destination: peer(f.To),
		ResolvedPort: int(f.Port), Protocol: corev1.Protocol(proto),
	}
	if f.To.Kind == eval.EndpointPod {
		t.ResolvedPortName = testgen.ContainerPortName(f.To.Pod, proto, f.Port)
	}
	return t
}

// peer is ep in cyclonus's terms.
func (o *Oracle) peer(ep eval.Endpoint) *matcher.TrafficPeer {
	if ep.Kind == eval.EndpointPod {
		return &matcher.TrafficPeer{IP: ep.Pod.IP.String(), Internal: &matcher.InternalPeer{
			PodLabels: ep.Pod.Labels, Namespace: ep.Pod.Namespace, NamespaceLabels: o.nsLabels[ep.Pod.Namespace],
		}}
	}
	return &matcher.TrafficPeer{IP: ep.External.IP.String()}
}

// withoutIPBlocks returns copies of nps whose rules have no ipBlock peers; a
// rule left without peers is dropped (an empty from/to would allow every
// peer).
func withoutIPBlocks(nps []*networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy {
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
	out := make([]*networkingv1.NetworkPolicy, 0, len(nps))
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

// Judge decides many flows over one world faster than Allowed, with the
// same verdicts: it finds, once per pod and direction, the targets
// (cyclonus's per-policy-selector rule sets) applying to the pod, as
// cyclonus's Policy.IsIngressOrEgressAllowed does on every call, and then
// asks only those targets (Target.Allows) on each flow. It converts every
// endpoint of the world once. It is safe for concurrent use.
type Judge struct {
	o *Oracle
	// targets per pod: [full, podsOnly][ingress, egress].
	targets map[*eval.Pod]*[2][2][]*matcher.Target
	peers   map[eval.Endpoint]*matcher.TrafficPeer
}

// Judge returns a Judge for the flows between the pods and externals of w.
func (o *Oracle) Judge(w *eval.World) *Judge {
	j := &Judge{o: o, targets: map[*eval.Pod]*[2][2][]*matcher.Target{}, peers: map[eval.Endpoint]*matcher.TrafficPeer{}}
	for i := range w.Pods {
		p := &w.Pods[i]
		t := &[2][2][]*matcher.Target{}
		for k, pol := range []*matcher.Policy{o.full, o.podsOnly} {
			t[k][0] = pol.TargetsApplyingToPod(true, p.Namespace, p.Labels)
			t[k][1] = pol.TargetsApplyingToPod(false, p.Namespace, p.Labels)
		}
		j.targets[p] = t
		ep := eval.PodEndpoint(p)
		j.peers[ep] = o.peer(ep)
	}
	for i := range w.Externals {
		ep := eval.ExternalEndpoint(&w.Externals[i])
		j.peers[ep] = o.peer(ep)
	}
	return j
}

// Side is cyclonus's verdict on the ingress side (of f.To) or the egress
// side (of f.From) of f, a flow between endpoints of the world (pods and
// externals) that Supports accepts.
func (j *Judge) Side(f eval.Flow, ingress bool) bool {
	subject, other := f.From, f.To
	dir := 1
	if ingress {
		subject, other, dir = f.To, f.From, 0
	}
	if subject.Kind != eval.EndpointPod {
		return true // cyclonus never blocks a host outside the cluster
	}
	k := 0
	if f.From.Kind == eval.EndpointPod && f.To.Kind == eval.EndpointPod {
		k = 1
	}
	targets := j.targets[subject.Pod][k][dir]
	if len(targets) == 0 {
		return true
	}
	proto := f.Protocol
	if proto == "" {
		proto = ir.TCP
	}
	name := ""
	if f.To.Kind == eval.EndpointPod {
		name = testgen.ContainerPortName(f.To.Pod, proto, f.Port)
	}
	peer := j.peers[other]
	for _, tg := range targets {
		if tg.Allows(peer, int(f.Port), name, corev1.Protocol(proto)) {
			return true
		}
	}
	return false
}
