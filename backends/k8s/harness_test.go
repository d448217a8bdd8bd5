package k8s

import (
	"flag"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
)

var update = flag.Bool("update", false, "rewrite golden files")

// decodeAll strict-decodes every document of a YAML stream into a
// NetworkPolicy and checks it with Validate and CheckConventions.
func decodeAll(t testing.TB, data []byte) []*networkingv1.NetworkPolicy {
	t.Helper()
	var out []*networkingv1.NetworkPolicy
	for _, doc := range backends.SplitYAML(data) {
		var np networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict(doc, &np); err != nil {
			t.Fatalf("strict decode: %v\n%s", err, doc)
		}
		if np.APIVersion != APIVersion || np.Kind != Kind {
			t.Fatalf("apiVersion/kind %s/%s\n%s", np.APIVersion, np.Kind, doc)
		}
		if errs := Validate(&np); len(errs) > 0 {
			t.Fatalf("invalid NetworkPolicy: %v\n%s", errs, doc)
		}
		if errs := CheckConventions(&np); len(errs) > 0 {
			t.Fatalf("conventions: %v\n%s", errs, doc)
		}
		out = append(out, &np)
	}
	return out
}

func yamlUnmarshalStrict(doc []byte, v any) error { return yaml.UnmarshalStrict(doc, v) }
