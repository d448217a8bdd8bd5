// Package knpdeviation computes, independently of kube-network-policies'
// code, where the agent's v0.8.0 verdicts on the netpol-api target's output
// may differ from the API's meaning through its known deviation (a): the
// agent skips the BaselineAdminNetworkPolicy of a pod in a direction
// whenever any NetworkPolicy selects the pod, even one of the other policy
// type, where the API consults the baseline unless a NetworkPolicy isolates
// the pod in that direction. The target writes only cluster-wide egress
// isolation into the baseline, so the deviation bears on egress only. Used
// by test/knp (in process) and test/apiserver/dataplane (real packets),
// which count the flows it explains and fail on every other disagreement.
package knpdeviation

import (
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// BaselineSkippedPods returns the pods of w for which the agent skips the
// baseline in egress although the API applies it: pods some NetworkPolicy
// of nps selects, none of them with policy type Egress. Selection is
// decided with apimachinery's label selectors, as the API server's are.
func BaselineSkippedPods(w *eval.World, nps []*networkingv1.NetworkPolicy) map[*eval.Pod]bool {
	out := map[*eval.Pod]bool{}
	for i := range w.Pods {
		p := &w.Pods[i]
		selected, egress := false, false
		for _, np := range nps {
			if np.Namespace != p.Namespace {
				continue
			}
			sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
			if err != nil || !sel.Matches(labels.Set(p.Labels)) {
				continue
			}
			selected = true
			for _, pt := range np.Spec.PolicyTypes {
				if pt == networkingv1.PolicyTypeEgress {
					egress = true
				}
			}
		}
		if selected && !egress {
			out[p] = true
		}
	}
	return out
}

// WithoutClusterEgressIsolation returns a copy of p whose cluster-wide
// policies do not isolate egress: what the baseline object (cluster-wide
// egress isolation, and nothing else, by the target's split) means when the
// agent skips it. Its verdict on a flow from a pod of BaselineSkippedPods
// is the one the agent's deviation gives.
func WithoutClusterEgressIsolation(p *ir.Program) *ir.Program {
	q := *p
	q.Policies = nil
	for _, pol := range p.Policies {
		if pol.Namespace == "" && pol.Isolation.Egress {
			c := *pol
			c.Isolation.Egress = false
			pol = &c
		}
		q.Policies = append(q.Policies, pol)
	}
	return &q
}
