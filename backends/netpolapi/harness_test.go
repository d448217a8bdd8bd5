package netpolapi

import (
	"errors"
	"flag"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testBackend is the target in version as the package's tests use it:
// every object Emit returns is checked (checkObject).
func testBackend(t testing.TB, version string) backends.Backend {
	t.Helper()
	b, err := New(Options{Version: version})
	if err != nil {
		t.Fatal(err)
	}
	return emitcheck.Checked(b, checkObject)
}

// checkObject validates one emitted object: an admin object with Validate
// (the CRDs' rules) and CheckConventions, a NetworkPolicy with package
// k8s's validators.
func checkObject(o backends.Object) error {
	if np, ok := o.Value.(*networkingv1.NetworkPolicy); ok {
		var errs []error
		for _, err := range k8s.Validate(np) {
			errs = append(errs, err)
		}
		for _, err := range k8s.CheckConventions(np) {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	return Validate(o)
}

// allTargets registers netpolc's targets, as the CLI does.
func allTargets(t testing.TB) *backends.Registry {
	t.Helper()
	api, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := backends.NewRegistry(k8s.New(), cilium.Backend{}, api)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// decodeAll strict-decodes every document of a YAML stream into the
// upstream type of its kind (unknown fields fail), checks apiVersion, kind
// and that no status is written, and validates it; it returns the decoded
// objects.
func decodeAll(t testing.TB, data []byte) []any {
	t.Helper()
	var out []any
	for _, doc := range backends.SplitYAML(data) {
		obj, err := decodeStrict(doc)
		if err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		out = append(out, obj)
	}
	return out
}

// decodeStrict decodes and validates one written document: a
// NetworkPolicy strictly into its type, an admin object with DecodeStrict,
// each then validated.
func decodeStrict(doc []byte) (any, error) {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return nil, err
	}
	if meta.APIVersion == k8s.APIVersion && meta.Kind == k8s.Kind {
		var np networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict(doc, &np); err != nil {
			return nil, err
		}
		return &np, checkObject(backends.Object{Kind: k8s.Kind, Value: &np})
	}
	o, err := DecodeStrict(doc)
	if err != nil {
		return nil, err
	}
	return o.Value, Validate(o)
}
