package cilium

import (
	"testing"

	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
)

// BenchmarkEmit: the Cilium backend alone on the compiled 10k-arrow program
// (see backendtest.BenchEmit).
func BenchmarkEmit(b *testing.B) { backendtest.BenchEmit(b, Backend{}) }

// BenchmarkRatio: compile to YAML against marshal-only (see
// backendtest.BenchRatio).
func BenchmarkRatio(b *testing.B) { backendtest.BenchRatio(b, Backend{}) }
