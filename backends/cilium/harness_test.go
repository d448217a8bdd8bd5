package cilium

import (
	"flag"
	"sync"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium/internal/crdcheck"
	"github.com/netpolc/netpolc/internal/testsupport/ciliumcheck"
)

var update = flag.Bool("update", false, "rewrite golden files")

var (
	crdOnce      sync.Once
	crdValidator *crdcheck.Validator
	crdErr       error
)

func crds(t testing.TB) *crdcheck.Validator {
	t.Helper()
	crdOnce.Do(func() { crdValidator, crdErr = crdcheck.New() })
	if crdErr != nil {
		t.Fatalf("loading the Cilium CRDs: %v", crdErr)
	}
	return crdValidator
}

// checkAll validates every document of a YAML stream as written: strict
// decoding into the Cilium types, the agent's Parse, netpolc's conventions,
// and the CRD schema and CEL rules.
func checkAll(t testing.TB, data []byte) []any {
	t.Helper()
	var out []any
	for _, doc := range backends.SplitYAML(data) {
		obj, err := ciliumcheck.DecodeStrict(doc)
		if err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		if _, err := ciliumcheck.Parse(obj); err != nil {
			t.Fatalf("Parse: %v\n%s", err, doc)
		}
		if err := ciliumcheck.CheckConventions(obj); err != nil {
			t.Fatalf("conventions: %v\n%s", err, doc)
		}
		if errs := crds(t).Validate(doc); len(errs) > 0 {
			t.Fatalf("CRD validation: %v\n%s", errs.ToAggregate(), doc)
		}
		out = append(out, obj)
	}
	return out
}
