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
// backendtest.BenchRatio).
func BenchmarkRatio(b *testing.B) { backendtest.BenchRatio(b, New()) }
