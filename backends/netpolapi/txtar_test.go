package netpolapi

import (
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
)

// TestTxtar runs the cases of testdata/*.txtar (see backendtest.RunTxtar):
// .netpol sources, an optional "options" file ("netpol-api-version V",
// "cluster-cidrs A,B", "degrade FEATURE=MODE"),
// and the expected "netpol-api.yaml" and "diagnostics". With -update the
// expectations are rewritten.
//
// Every case is run twice and the outputs must be byte-identical; every
// emitted object is validated as built (Validate, or package k8s's
// validators) and strict-decoded into its upstream type as written.
func TestTxtar(t *testing.T) {
	backendtest.RunTxtar(t, backendtest.TxtarCases{
		Glob: "testdata/*.txtar",
		Backend: func(o backendtest.CaseOptions) (backends.Backend, error) {
			cidrs, err := ParseClusterCIDRs(o.ClusterCIDRs)
			if err != nil {
				return nil, err
			}
			return testBackendWith(t, Options{Version: o.NetpolAPIVersion, ClusterCIDRs: cidrs}), nil
		},
		Targets: allTargets(t),
		Check:   func(t testing.TB, yaml []byte) { decodeAll(t, yaml) },
		Update:  *update,
	})
}
