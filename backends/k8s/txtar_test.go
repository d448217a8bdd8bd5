package k8s

import (
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
)

// TestTxtar runs the cases of testdata/*.txtar (see backendtest.RunTxtar):
// .netpol sources, an optional "options" file ("degrade FEATURE=MODE"
// lines), and the expected "k8s.yaml" and "diagnostics". With -update the
// expectations are rewritten.
//
// Every case is run twice and the outputs must be byte-identical; every
// emitted object is strict-decoded and validated.
func TestTxtar(t *testing.T) {
	backendtest.RunTxtar(t, backendtest.TxtarCases{
		Glob:    "testdata/*.txtar",
		Backend: func(backendtest.CaseOptions) (backends.Backend, error) { return testBackend(), nil },
		Targets: allTargets(t),
		Check:   func(t testing.TB, yaml []byte) { decodeAll(t, yaml) },
		Update:  *update,
	})
}

// allTargets registers both of netpolc's targets, as the CLI does, so that
// an unsupported feature names the target that can express it.
func allTargets(t *testing.T) *backends.Registry {
	t.Helper()
	reg, err := backends.NewRegistry(New(), cilium.Backend{})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
