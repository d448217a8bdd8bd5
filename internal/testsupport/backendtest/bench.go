package backendtest

import (
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

// BenchSource generates the benchmarks' program: arrows arrows over
// arrows/10 groups in 50 namespaces (one file per namespace), a quarter of
// them across namespaces. Every backend's benchmarks use it, so that the
// targets' numbers compare.
func BenchSource(arrows int) []*source.File {
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
