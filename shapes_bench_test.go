package netpolc_test

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/internal/testsupport/shapes"
	"github.com/netpolc/netpolc/lang/source"
)

// shapeSizes are the sizes BenchmarkShapes compares, each with its double
// (in input: the mesh's second size has about twice the arrows, see
// shapes.MeshGroups).
var shapeSizes = []struct {
	shape string
	gen   func(int) []*source.File
	n, n2 int
}{
	{"hub", shapes.Hub, 1000, 2000},
	{"hub", shapes.Hub, 2000, 4000},
	{"hub-all-ports", shapes.HubAllPorts, 2000, 4000},
	{"mesh", shapes.Mesh, shapes.MeshGroups(1000), shapes.MeshGroups(2000)},
	{"mesh", shapes.Mesh, shapes.MeshGroups(5000), shapes.MeshGroups(10000)},
	{"namespaces", shapes.Namespaces, 1000, 2000},
	{"chain", shapes.Chain, 25000, 50000},
	{"chain", shapes.Chain, 50000, 100000},
	{"generated", shapes.Generated, 10000, 20000},
	{"generated", shapes.Generated, 50000, 100000},
}

// BenchmarkShapes measures how the cost of "netpolc check" (netpolc.Build
// without a target: parse, compile, lint, verify) grows with the size of
// each program shape of package shapes: every iteration checks the shape
// at n and then at n2 (its double), and the benchmark reports both CPU
// times, their ratio (x2-cpu), the bytes allocated at each size and their
// ratio (x2-B), and the garbage collections at n2 (see growth). Linear
// growth is a ratio of 2; the goal is at most 2.2.
func BenchmarkShapes(b *testing.B) {
	for _, s := range shapeSizes {
		small, large := s.gen(s.n), s.gen(s.n2)
		b.Run(fmt.Sprintf("check/%s/n=%d-%d", s.shape, s.n, s.n2), func(b *testing.B) {
			growth(b, func() { check(b, small) }, func() { check(b, large) })
		})
	}
	// Compiling to YAML adds the target stages and marshalling, which grow
	// with the number of objects and rules.
	for _, s := range []struct {
		shape string
		gen   func(int) []*source.File
		n, n2 int
	}{
		{"hub", shapes.Hub, 2000, 4000},
		{"generated", shapes.Generated, 10000, 20000},
	} {
		small, large := s.gen(s.n), s.gen(s.n2)
		b.Run(fmt.Sprintf("yaml-k8s/%s/n=%d-%d", s.shape, s.n, s.n2), func(b *testing.B) {
			growth(b, func() { compileYAML(b, small) }, func() { compileYAML(b, large) })
		})
	}
}

func check(b *testing.B, files []*source.File) {
	if _, diags := netpolc.Build(files, netpolc.Options{}); diags.HasErrors() {
		b.Fatal(diags[0])
	}
}

func compileYAML(b *testing.B, files []*source.File) {
	res, diags := netpolc.Build(files, netpolc.Options{Target: k8s.New()})
	if diags.HasErrors() {
		b.Fatal(diags[0])
	}
	if err := netpolc.Write(io.Discard, res.Objects, "yaml"); err != nil {
		b.Fatal(err)
	}
}

// growth runs small and then large once per iteration and reports, per
// iteration, the CPU time of each (n-cpu-ns/op, n2-cpu-ns/op) and large's
// over small's (x2-cpu), the bytes allocated by each and their ratio
// (x2-B), and the garbage collections during large (n2-gc/op). The CPU
// time is the process's user and system time: it includes the garbage
// collector's work on other threads but, unlike wall time, not the time
// spent waiting for a shared core. Both sizes run in every iteration, so
// that other processes disturb both alike; the totals, not the fastest
// runs, are compared (a longer run is more likely to be disturbed at all).
// Before each run (not measured) a collection returns the heap's memory to
// the system (debug.FreeOSMemory): each starts as a new process does, with
// only the benchmark's inputs live and every page of its heap to fault in.
// Otherwise the larger run would fault in the pages that the collector
// returned after it last ran, while the smaller one reuses what is kept.
func growth(b *testing.B, small, large func()) {
	b.ReportAllocs()
	var ms runtime.MemStats
	alloc := func() (uint64, uint32) { runtime.ReadMemStats(&ms); return ms.TotalAlloc, ms.NumGC }
	type sample struct {
		cpu   time.Duration
		bytes uint64
		gc    uint32
	}
	measure := func(f func(), s *sample) {
		debug.FreeOSMemory()
		a0, g0 := alloc()
		c0 := cpuTime()
		f()
		c1 := cpuTime()
		a1, g1 := alloc()
		s.cpu += c1 - c0
		s.bytes += a1 - a0
		s.gc += g1 - g0
	}
	var sm, lg sample
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		measure(small, &sm)
		measure(large, &lg)
	}
	n := float64(b.N)
	b.ReportMetric(float64(sm.cpu.Nanoseconds())/n, "n-cpu-ns/op")
	b.ReportMetric(float64(lg.cpu.Nanoseconds())/n, "n2-cpu-ns/op")
	b.ReportMetric(float64(lg.cpu)/float64(sm.cpu), "x2-cpu")
	b.ReportMetric(float64(sm.bytes)/n, "n-B/op")
	b.ReportMetric(float64(lg.bytes)/n, "n2-B/op")
	b.ReportMetric(float64(lg.bytes)/float64(sm.bytes), "x2-B")
	b.ReportMetric(float64(lg.gc)/n, "n2-gc/op")
}
