package cilium

import (
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/ciliumcheck"
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
		Glob: "testdata/*.txtar",
		Backend: func(o backendtest.CaseOptions) (backends.Backend, error) {
			b, err := New(Options{Version: o.CiliumVersion})
			if err != nil {
				return nil, err
			}
			return ciliumcheck.Checked(b), nil
		},
		Check:  func(t testing.TB, yaml []byte) { checkAll(t, yaml) },
		Update: *update,
	})
}
