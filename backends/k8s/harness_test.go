package k8s

import (
	"errors"
	"flag"
	"fmt"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testBackend is the NetworkPolicy backend as the package's tests use it:
// every object Emit returns is checked with Validate and CheckConventions
// (checkObject). Emit itself checks nothing.
func testBackend() backends.Backend { return emitcheck.Checked(New(), checkObject) }

// checkObject validates one emitted NetworkPolicy as the API server would
// (Validate) and against netpolc's conventions (CheckConventions).
func checkObject(o backends.Object) error {
	np, ok := o.Value.(*networkingv1.NetworkPolicy)
	if !ok {
		return fmt.Errorf("%T is not a NetworkPolicy", o.Value)
	}
	var errs []error
	for _, err := range Validate(np) {
		errs = append(errs, err)
	}
	for _, err := range CheckConventions(np) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

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
