package cilium

import (
	"testing"

	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
)

// TestTxtar runs the cases of testdata/*.txtar (see backendtest.RunTxtar):
// .netpol sources, an optional "options" file ("cilium-version V" and
// "degrade FEATURE=MODE" lines), and the expected "cilium.yaml" and
// "diagnostics". With -update the expectations are rewritten.
//
// Every case is run twice and the outputs must be byte-identical; every
// emitted document is strict-decoded, parsed by Cilium, and validated
// against the CRD schema and CEL rules.
func TestTxtar(t *testing.T) {
	backendtest.RunTxtar(t, backendtest.TxtarCases{
		Glob:    "testdata/*.txtar",
		Backend: testBackend(),
		Check:   func(t testing.TB, yaml []byte) { checkAll(t, yaml) },
		Update:  *update,
	})
}
