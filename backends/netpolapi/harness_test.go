package netpolapi

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/network-policy-api/apis/v1alpha1"
	"sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/network-policy-api/apis/v1beta1"
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

// decodeStrict decodes and validates one written document.
func decodeStrict(doc []byte) (any, error) {
	var meta struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Status     map[string]any `json:"status"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return nil, err
	}
	if meta.Status != nil || strings.Contains(string(doc), "\nstatus:") {
		return nil, fmt.Errorf("a status is written")
	}
	strict := func(v any) error {
		if err := yaml.UnmarshalStrict(doc, v); err != nil {
			return fmt.Errorf("strict decode as %s %s: %w", meta.APIVersion, meta.Kind, err)
		}
		return nil
	}
	switch {
	case meta.APIVersion == k8s.APIVersion && meta.Kind == k8s.Kind:
		var np networkingv1.NetworkPolicy
		if err := strict(&np); err != nil {
			return nil, err
		}
		return &np, checkObject(backends.Object{Kind: k8s.Kind, Value: &np})
	case meta.APIVersion == Group+"/"+V1Alpha2 && meta.Kind == KindCNP:
		var cnp v1alpha2.ClusterNetworkPolicy
		if err := strict(&cnp); err != nil {
			return nil, err
		}
		return &cnp, Validate(backends.Object{APIVersion: meta.APIVersion, Kind: meta.Kind, Name: cnp.Name,
			Value: &CNP{TypeMeta: cnp.TypeMeta, ObjectMeta: cnp.ObjectMeta, Spec: cnp.Spec}})
	case meta.APIVersion == Group+"/"+V1Beta1 && meta.Kind == KindCNP:
		var cnp v1beta1.ClusterNetworkPolicy
		if err := strict(&cnp); err != nil {
			return nil, err
		}
		return &cnp, Validate(backends.Object{APIVersion: meta.APIVersion, Kind: meta.Kind, Name: cnp.Name,
			Value: &CNPBeta{TypeMeta: cnp.TypeMeta, ObjectMeta: cnp.ObjectMeta, Spec: cnp.Spec}})
	case meta.APIVersion == Group+"/"+V1Alpha1 && meta.Kind == KindANP:
		var anp v1alpha1.AdminNetworkPolicy
		if err := strict(&anp); err != nil {
			return nil, err
		}
		return &anp, Validate(backends.Object{APIVersion: meta.APIVersion, Kind: meta.Kind, Name: anp.Name,
			Value: &ANP{TypeMeta: anp.TypeMeta, ObjectMeta: anp.ObjectMeta, Spec: anp.Spec}})
	case meta.APIVersion == Group+"/"+V1Alpha1 && meta.Kind == KindBANP:
		var banp v1alpha1.BaselineAdminNetworkPolicy
		if err := strict(&banp); err != nil {
			return nil, err
		}
		return &banp, Validate(backends.Object{APIVersion: meta.APIVersion, Kind: meta.Kind, Name: banp.Name,
			Value: &BANP{TypeMeta: banp.TypeMeta, ObjectMeta: banp.ObjectMeta, Spec: banp.Spec}})
	}
	return nil, fmt.Errorf("unexpected apiVersion %q kind %q", meta.APIVersion, meta.Kind)
}
