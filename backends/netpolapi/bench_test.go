package netpolapi

import (
	"testing"

	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
)

// BenchmarkEmit: the target alone on the compiled 10k-arrow program (see
// backendtest.BenchEmit), in both object versions.
func BenchmarkEmit(b *testing.B) {
	for _, v := range []string{V1Alpha2, V1Alpha1} {
		b.Run(v, func(b *testing.B) {
			be, err := New(Options{Version: v})
			if err != nil {
				b.Fatal(err)
			}
			backendtest.BenchEmit(b, be)
		})
	}
}
