package netpolapi

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/internal/crdschema"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testBackend is the target in version as the package's tests use it:
// every object Emit returns is checked (checkObject).
func testBackend(t testing.TB, version string) backends.Backend {
	t.Helper()
	return testBackendWith(t, Options{Version: version, ClusterCIDRs: testgen.ClusterCIDRs()})
}

// testBackendWith returns the target configured with opts, with its
// objects checked as testBackend's.
func testBackendWith(t testing.TB, opts Options) backends.Backend {
	t.Helper()
	b, err := New(opts)
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

var (
	crdOnce sync.Once
	crdVal  *crdschema.Validator
	crdErr  error
)

// crds is the ClusterNetworkPolicy CRD of the module's release
// (config/crd/experimental: domainNames, nodes and named ports are
// experimental fields), read from the module's directory: its schema and
// CEL rules, as the API server applies them.
func crds(t testing.TB) *crdschema.Validator {
	t.Helper()
	crdOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/network-policy-api").Output()
		if err != nil {
			crdErr = fmt.Errorf("go list -m sigs.k8s.io/network-policy-api: %w", err)
			return
		}
		dir := strings.TrimSpace(string(out))
		data, err := os.ReadFile(filepath.Join(dir, "config", "crd", "experimental", "policy.networking.k8s.io_clusternetworkpolicies.yaml"))
		if err != nil {
			crdErr = err
			return
		}
		crdVal, crdErr = crdschema.New(data)
	})
	if crdErr != nil {
		t.Fatalf("loading the ClusterNetworkPolicy CRD: %v", crdErr)
	}
	return crdVal
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
		if _, ok := obj.(*CNP); ok {
			if errs := crds(t).Validate(doc); len(errs) > 0 {
				t.Fatalf("the CRD refuses the object: %v\n%s", errs.ToAggregate(), doc)
			}
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
