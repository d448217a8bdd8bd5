package reach_test

import (
	"fmt"
	"runtime"
	"testing"

	netpolc "github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends/world"
	"github.com/netpolc/netpolc/compile/reach"
	"github.com/netpolc/netpolc/internal/testsupport/clustergen"
	"github.com/netpolc/netpolc/lang/source"
)

// benchSizes are the pod counts of the benchmark cluster.
var benchSizes = []int{50, 500, 2000, 10000}

// BenchmarkMatrix measures the library path of `netpolc matrix --world
// cluster.yaml policies.yaml` on the generated benchmark cluster
// (internal/testsupport/clustergen): read the world from the kubectl-style
// YAML, import the NetworkPolicy YAML, analyse and read every cell of the
// pod matrix. It reports the cells and the endpoint classes.
func BenchmarkMatrix(b *testing.B) {
	for _, pods := range benchSizes {
		c := clustergen.Generate(pods)
		b.Run(fmt.Sprintf("pods=%d/policies=%d", len(c.World.Pods), len(c.Policies)), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.WorldYAML) + len(c.PolicyYAML)))
			for i := 0; i < b.N; i++ {
				w, diags := world.Read([]*source.File{source.NewFile("cluster.yaml", c.WorldYAML)}, world.Options{})
				if diags.HasErrors() {
					b.Fatal(diags)
				}
				prog, diags := netpolc.Import([]*source.File{source.NewFile("policies.yaml", c.PolicyYAML)}, netpolc.ImportOptions{})
				if diags.HasErrors() {
					b.Fatal(diags)
				}
				a := reach.New(prog, w, reach.Options{})
				n := len(a.Endpoints())
				allowed := 0
				for x := 0; x < n; x++ {
					for y := 0; y < n; y++ {
						if !a.Allowed(x, y).IsEmpty() {
							allowed++
						}
					}
				}
				b.ReportMetric(float64(n*n), "cells")
				b.ReportMetric(float64(allowed), "allowed")
				b.ReportMetric(float64(a.Classes()), "classes")
			}
		})
	}
}

// BenchmarkEngine measures reach.New alone (classes, peer sets, sides and
// the class-pair table), from the imported program.
func BenchmarkEngine(b *testing.B) {
	for _, pods := range benchSizes {
		c := clustergen.Generate(pods)
		prog, diags := netpolc.Import([]*source.File{source.NewFile("policies.yaml", c.PolicyYAML)}, netpolc.ImportOptions{})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		b.Run(fmt.Sprintf("pods=%d", len(c.World.Pods)), func(b *testing.B) {
			b.ReportAllocs()
			var ms runtime.MemStats
			for i := 0; i < b.N; i++ {
				a := reach.New(prog, c.World, reach.Options{})
				runtime.ReadMemStats(&ms)
				b.ReportMetric(float64(a.Classes()), "classes")
			}
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heapMB")
		})
	}
}

// BenchmarkWorld measures reading the world from the kubectl-style YAML
// alone.
func BenchmarkWorld(b *testing.B) {
	for _, pods := range benchSizes {
		c := clustergen.Generate(pods)
		b.Run(fmt.Sprintf("pods=%d", len(c.World.Pods)), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.WorldYAML)))
			for i := 0; i < b.N; i++ {
				if _, diags := world.Read([]*source.File{source.NewFile("cluster.yaml", c.WorldYAML)}, world.Options{}); diags.HasErrors() {
					b.Fatal(diags)
				}
			}
		})
	}
}

// BenchmarkImport measures reading and importing the policy YAML alone.
func BenchmarkImport(b *testing.B) {
	for _, pods := range benchSizes {
		c := clustergen.Generate(pods)
		b.Run(fmt.Sprintf("policies=%d", len(c.Policies)), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.PolicyYAML)))
			for i := 0; i < b.N; i++ {
				if _, diags := netpolc.Import([]*source.File{source.NewFile("policies.yaml", c.PolicyYAML)}, netpolc.ImportOptions{}); diags.HasErrors() {
					b.Fatal(diags)
				}
			}
		})
	}
}

// BenchmarkCells measures reading every cell of the endpoint matrix of an
// analysis already built.
func BenchmarkCells(b *testing.B) {
	for _, pods := range []int{500, 2000} {
		c := clustergen.Generate(pods)
		prog, diags := netpolc.Import([]*source.File{source.NewFile("policies.yaml", c.PolicyYAML)}, netpolc.ImportOptions{})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		a := reach.New(prog, c.World, reach.Options{})
		n := len(a.Endpoints())
		b.Run(fmt.Sprintf("pods=%d", len(c.World.Pods)), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				empty := 0
				for x := 0; x < n; x++ {
					for y := 0; y < n; y++ {
						if a.Allowed(x, y).IsEmpty() {
							empty++
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n*n), "ns/cell")
			}
		})
	}
}
