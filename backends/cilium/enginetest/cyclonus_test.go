package enginetest

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/internal/testsupport/nporacle"
)

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

// newNPOracle loads the NetworkPolicies of a YAML stream for world w into
// cyclonus's matcher (internal/testsupport/nporacle).
func newNPOracle(w *eval.World, data []byte) (*nporacle.Oracle, error) {
	nps, err := decodeNPs(data)
	if err != nil {
		return nil, err
	}
	return nporacle.New(w, nps), nil
}
