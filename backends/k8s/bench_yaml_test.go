package k8s

import (
	"io"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/lang/source"
)

// BenchmarkMarshalYAMLNonASCII is BenchmarkMarshalYAML with non-ASCII file
// names, which every object carries in its source annotation: the worst
// case of backends.MarshalYAML, where every document is read back and
// compared (printable ASCII takes the unchecked path).
func BenchmarkMarshalYAMLNonASCII(b *testing.B) {
	var files []*source.File
	for _, f := range backendtest.BenchSource(10000) {
		files = append(files, source.NewFile("politique-"+strings.TrimSuffix(f.Name, ".netpol")+"-été.netpol", f.Content))
	}
	objs := compileAndEmit(b, files)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := backends.WriteYAML(io.Discard, objs); err != nil {
			b.Fatal(err)
		}
	}
}
