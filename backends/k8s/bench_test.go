package k8s

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/lang/source"
)

func compileAndEmit(b *testing.B, files []*source.File) []backends.Object {
	return backendtest.CompileAndEmit(b, files, New())
}

// BenchmarkCompileToYAML: source to NetworkPolicy YAML (parse, compile,
// the target stages, marshal), for 1k, 10k and 100k arrows.
func BenchmarkCompileToYAML(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		files := backendtest.BenchSource(n)
		b.Run(fmt.Sprintf("arrows=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for i := 0; i < b.N; i++ {
				objs := compileAndEmit(b, files)
				var buf bytes.Buffer
				if err := backends.WriteYAML(&buf, objs); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size), "bytes/op-output")
		})
	}
}

// BenchmarkEmit: the k8s backend alone on the compiled 10k-arrow program
// (see backendtest.BenchEmit).
func BenchmarkEmit(b *testing.B) { backendtest.BenchEmit(b, New()) }

// BenchmarkMarshalYAML: marshalling the objects of the 10k-arrow program
// only, the floor for BenchmarkCompileToYAML/arrows=10000.
func BenchmarkMarshalYAML(b *testing.B) {
	objs := compileAndEmit(b, backendtest.BenchSource(10000))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := backends.WriteYAML(io.Discard, objs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRatio: compile to YAML against marshal-only (see
// backendtest.BenchRatio).
func BenchmarkRatio(b *testing.B) { backendtest.BenchRatio(b, New()) }
