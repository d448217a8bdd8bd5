package cilium

import (
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
)

// BenchmarkEmit: the Cilium backend alone (capabilities, checks, mapping,
// names, validation) on the compiled 10k-arrow program.
func BenchmarkEmit(b *testing.B) {
	defer production()()
	res, diags := compile.Compile(backendtest.BenchSource(10000), compile.Options{})
	if diags.HasErrors() {
		b.Fatal(diags[0])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ed := New().Emit(res.Program, backends.Options{}); ed.HasErrors() {
			b.Fatal(ed[0])
		}
	}
}

// BenchmarkRatio: compile to YAML against marshal-only (see
// backendtest.BenchRatio), checking objects as Emit does outside tests.
func BenchmarkRatio(b *testing.B) {
	defer production()()
	backendtest.BenchRatio(b, New())
}

// production makes Emit check objects as it does outside tests (the
// package's tests also check them as written, see checkWritten) and
// returns the function that restores the tests' setting.
func production() func() {
	old := checkWritten
	checkWritten = false
	return func() { checkWritten = old }
}
