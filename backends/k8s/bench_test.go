package k8s

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/lang/source"
)

// benchSource generates a program of arrows arrows over arrows/10 groups in
// 50 namespaces (one file per namespace); a quarter of the arrows cross
// namespaces.
func benchSource(arrows int) []*source.File {
	const namespaces = 50
	groups := arrows / 10
	perNS := (groups + namespaces - 1) / namespaces
	r := rand.New(rand.NewSource(1))
	ports := []string{"80", "443", "5432", "8080", "9090/udp", "8000-8100", "metrics", "53/any"}
	var files []*source.File
	for ns := 0; ns < namespaces; ns++ {
		var b strings.Builder
		fmt.Fprintf(&b, "namespace ns%d\n", ns)
		if ns%5 == 0 {
			b.WriteString("default deny\nallow dns\n")
		}
		for g := 0; g < perNS; g++ {
			fmt.Fprintf(&b, "g%d_%d = {app: app%d, tier: t%d}\n", ns, g, g, ns%3)
		}
		for a := 0; a < arrows/namespaces; a++ {
			src := fmt.Sprintf("g%d_%d", ns, r.Intn(perNS))
			var dst string
			if r.Intn(4) == 0 {
				other := r.Intn(namespaces)
				dst = fmt.Sprintf("ns%d/{app: app%d}", other, r.Intn(perNS))
			} else {
				dst = fmt.Sprintf("g%d_%d", ns, r.Intn(perNS))
			}
			fmt.Fprintf(&b, "%s -> %s:%s\n", src, dst, ports[r.Intn(len(ports))])
		}
		files = append(files, source.NewFile(fmt.Sprintf("ns%d.netpol", ns), []byte(b.String())))
	}
	return files
}

func compileAndEmit(b *testing.B, files []*source.File) []backends.Object {
	res, diags := compile.Compile(files, compile.Options{})
	if diags.HasErrors() || res.Program == nil {
		b.Fatalf("compile: %v", diags[0])
	}
	objs, ed := New().Emit(res.Program, backends.Options{})
	if ed.HasErrors() {
		b.Fatalf("emit: %v", ed[0])
	}
	return objs
}

// BenchmarkCompileToYAML: source to NetworkPolicy YAML (parse, compile,
// emit with validation, marshal), for 1k, 10k and 100k arrows.
func BenchmarkCompileToYAML(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		files := benchSource(n)
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

// BenchmarkEmit: the k8s backend alone (capabilities, mapping, names,
// validation) on the compiled 10k-arrow program.
func BenchmarkEmit(b *testing.B) {
	res, diags := compile.Compile(benchSource(10000), compile.Options{})
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

// BenchmarkMarshalYAML: marshalling the objects of the 10k-arrow program
// only, the floor for BenchmarkCompileToYAML/arrows=10000.
func BenchmarkMarshalYAML(b *testing.B) {
	objs := compileAndEmit(b, benchSource(10000))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := backends.WriteYAML(io.Discard, objs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRatio is issue 9's measure: at each size, every iteration
// compiles the source to YAML (parse, compile, emit with validation,
// marshal) and then only marshals the objects of the same program, and the
// benchmark reports both times and allocations and their ratios:
// x-marshal is compile-to-YAML time over marshal-only time, x-marshal-B the
// same for bytes allocated. The goal is x-marshal <= 1.3 and x-marshal-B <=
// 3 at 10k arrows. backends/cilium has the same benchmark.
func BenchmarkRatio(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		files := benchSource(n)
		b.Run(fmt.Sprintf("arrows=%d", n), func(b *testing.B) {
			objs := compileAndEmit(b, files)
			ratio(b, func() {
				if err := backends.WriteYAML(io.Discard, compileAndEmit(b, files)); err != nil {
					b.Fatal(err)
				}
			}, func() {
				if err := backends.WriteYAML(io.Discard, objs); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// ratio runs full and then floor once per iteration and reports the time
// and bytes allocated of each per iteration, and full's over floor's.
func ratio(b *testing.B, full, floor func()) {
	b.ReportAllocs()
	b.ResetTimer()
	var fullNs, floorNs time.Duration
	var fullB, floorB uint64
	var ms runtime.MemStats
	alloc := func() uint64 { runtime.ReadMemStats(&ms); return ms.TotalAlloc }
	for i := 0; i < b.N; i++ {
		a0, t0 := alloc(), time.Now()
		full()
		t1, a1 := time.Now(), alloc()
		floor()
		t2, a2 := time.Now(), alloc()
		fullNs += t1.Sub(t0)
		floorNs += t2.Sub(t1)
		fullB += a1 - a0
		floorB += a2 - a1
	}
	n := float64(b.N)
	b.ReportMetric(float64(fullNs.Nanoseconds())/n, "compile-ns/op")
	b.ReportMetric(float64(floorNs.Nanoseconds())/n, "marshal-ns/op")
	b.ReportMetric(float64(fullNs)/float64(floorNs), "x-marshal")
	b.ReportMetric(float64(fullB)/n, "compile-B/op")
	b.ReportMetric(float64(floorB)/n, "marshal-B/op")
	b.ReportMetric(float64(fullB)/float64(floorB), "x-marshal-B")
}
