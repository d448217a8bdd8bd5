// Package convertverdicts is the file format in which test/knp hands
// kube-network-policies' verdicts on Cilium sets converted to the netpol-api
// target to backends/cilium/enginetest, which compares them with Cilium's
// engine on the original sets. The two engines cannot be linked into one
// test binary (Cilium v1.20.2 does not build with the network-policy-api
// version the target uses), so the tests exchange this JSON file.
package convertverdicts

import "github.com/netpolc/netpolc/compile/eval"

// Name names a pod ("namespace/name") or an external address (its IP) of a
// world in a Flow; "" for any other endpoint.
func Name(ep eval.Endpoint) string {
	switch {
	case ep.Kind == eval.EndpointPod:
		return ep.Pod.Namespace + "/" + ep.Pod.Name
	case ep.Kind == eval.EndpointExternal:
		return ep.External.IP.String()
	}
	return ""
}

// File is the whole exchange.
type File struct {
	Sets []Set `json:"sets"`
}

// Set is one Cilium set and its conversion.
type Set struct {
	Origin    string `json:"origin"` // "compiled" (netpolc's Cilium output) or "written" (testgen.NewCiliumPol)
	Seed      int64  `json:"seed"`
	World     string `json:"world"`     // compile/eval's world file format
	Original  string `json:"original"`  // the Cilium objects, YAML
	Converted string `json:"converted"` // netpolc convert --to netpol-api (v1alpha1), YAML
	Flows     []Flow `json:"flows"`
}

// Flow is one flow between two endpoints of the world, named by Name, with kube-network-policies' verdict on
// the converted objects.
type Flow struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Protocol string `json:"protocol"`
	Port     uint16 `json:"port"`
	Allowed  bool   `json:"allowed"`
	// BaselineSkipped: kube-network-policies skips the baseline object for
	// the source pod (deviation a: a NetworkPolicy of the other direction
	// selects it); WithoutBaseline is then netpolc's evaluator's verdict on
	// the imported set without cluster-wide egress isolation, what the
	// agent decides when it skips the baseline.
	BaselineSkipped bool `json:"baselineSkipped,omitempty"`
	WithoutBaseline bool `json:"withoutBaseline,omitempty"`
}
