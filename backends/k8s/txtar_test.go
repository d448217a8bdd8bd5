package k8s

import (
	"testing"

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
		Backend: New(),
		Check:   func(t testing.TB, yaml []byte) { decodeAll(t, yaml) },
		Update:  *update,
	})
}
