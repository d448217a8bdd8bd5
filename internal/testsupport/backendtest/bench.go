package backendtest

import (
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/internal/testsupport/shapes"
	"github.com/netpolc/netpolc/lang/source"
)

// BenchSource generates the benchmarks' program: arrows arrows over
// arrows/10 groups in 50 namespaces (one file per namespace), a quarter of
// them across namespaces (shapes.Generated). Every backend's benchmarks use
// it, so that the targets' numbers compare.
func BenchSource(arrows int) []*source.File { return shapes.Generated(arrows) }

// CompileAndEmit compiles files and runs the target stages of target on
// the program (backends.Run: capabilities, prepare, emit), as the command
// does.
func CompileAndEmit(b *testing.B, files []*source.File, target backends.Backend) []backends.Object {
	res, diags := compile.Compile(files, compile.Options{})
	if diags.HasErrors() || res.Program == nil {
		b.Fatalf("compile: %v", diags[0])
	}
	_, objs, ed := backends.Run(target, res.Program, backends.Options{})
	if ed.HasErrors() {
		b.Fatalf("%s: %v", target.Name(), ed[0])
	}
	return objs
}

// BenchRatio is issue 9's measure, run by each backend's BenchmarkRatio: at
// 1k, 10k and 100k arrows of BenchSource, every iteration compiles the
// source to YAML with target (parse, compile, the target stages,
// marshal) and then only marshals the objects of the same program. It
// reports both times and allocations and their ratios: x-marshal is
// compile-to-YAML time over marshal-only time, x-marshal-B the same for
// bytes allocated. The goal is x-marshal <= 1.3 and x-marshal-B <= 3.
func BenchRatio(b *testing.B, target backends.Backend) {
	for _, n := range []int{1000, 10000, 100000} {
		files := BenchSource(n)
		b.Run(fmt.Sprintf("arrows=%d", n), func(b *testing.B) {
			objs := CompileAndEmit(b, files, target)
			ratio(b, func() {
				if err := backends.WriteYAML(io.Discard, CompileAndEmit(b, files, target)); err != nil {
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

// BenchEmit measures the target stages of target alone (backends.Run:
// capabilities, the target's checks and IR adjustments, mapping and names)
// on the compiled 10k-arrow BenchSource program.
func BenchEmit(b *testing.B, target backends.Backend) {
	res, diags := compile.Compile(BenchSource(10000), compile.Options{})
	if diags.HasErrors() {
		b.Fatal(diags[0])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, ed := backends.Run(target, res.Program, backends.Options{}); ed.HasErrors() {
			b.Fatal(ed[0])
		}
	}
}
