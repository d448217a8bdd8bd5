package enginetest

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/compile/reach"
	"github.com/netpolc/netpolc/internal/testsupport/clustergen"
	"github.com/netpolc/netpolc/lang/source"
)

// benchPorts are the ports both engines are asked about for every pod
// pair.
var benchPorts = []uint16{8080, 5432, 443}

// BenchmarkVersusCilium runs, on the benchmark cluster
// (internal/testsupport/clustergen) at several sizes, netpolc's library
// path of `netpolc matrix` (import the NetworkPolicy YAML, reach.New, every
// cell of the pod matrix) and Cilium's engine as the agent works (load the
// same NetworkPolicy YAML through Cilium's translator, compute each pod's
// policy once, then look up every pod pair on benchPorts), and reports
// both times, their ratio and the heap each leaves in use. Both must give
// the same verdicts on benchPorts.
func BenchmarkVersusCilium(b *testing.B) {
	for _, pods := range []int{50, 500, 2000} {
		c := clustergen.Generate(pods)
		b.Run(fmt.Sprintf("pods=%d/policies=%d", len(c.World.Pods), len(c.Policies)), func(b *testing.B) {
			var ours, theirs time.Duration
			var ourHeap, theirHeap uint64
			for i := 0; i < b.N; i++ {
				runtime.GC()
				start := time.Now()
				allowed, heap := netpolcMatrix(b, c)
				ours += time.Since(start)
				ourHeap = max(ourHeap, heap)
				runtime.GC()
				start = time.Now()
				ciliumAllowed, heap := ciliumMatrix(b, c)
				theirs += time.Since(start)
				theirHeap = max(theirHeap, heap)
				if allowed != ciliumAllowed {
					b.Fatalf("netpolc allows %d pod-pair ports of %v, Cilium %d", allowed, benchPorts, ciliumAllowed)
				}
			}
			b.ReportMetric(float64(ours.Milliseconds())/float64(b.N), "netpolc-ms")
			b.ReportMetric(float64(theirs.Milliseconds())/float64(b.N), "cilium-ms")
			b.ReportMetric(float64(theirs)/float64(ours), "ratio")
			b.ReportMetric(float64(ourHeap)/(1<<20), "netpolc-heapMB")
			b.ReportMetric(float64(theirHeap)/(1<<20), "cilium-heapMB")
		})
	}
}

// netpolcMatrix is the library path of `netpolc matrix` over the generated
// world; it returns the pod-pair ports of benchPorts allowed and the heap
// in use at the end.
func netpolcMatrix(b *testing.B, c *clustergen.Cluster) (int, uint64) {
	// What netpolc.Import does for NetworkPolicies (the facade itself
	// reaches the syntax, which tests here stay off).
	objs, diags := yamlsrc.Read([]*source.File{source.NewFile("policies.yaml", c.PolicyYAML)}, yamlsrc.Options{Kinds: k8s.ImportKinds})
	prog, d := k8s.New().(backends.Importer).Import(objs)
	diags.Append(d)
	if diags.HasErrors() || prog == nil {
		b.Fatal(diags)
	}
	a := reach.New(prog, c.World, reach.Options{})
	allowed := 0
	n := len(c.World.Pods) // pods come first in Endpoints
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			cell := a.Allowed(i, j)
			for _, p := range benchPorts {
				if cell.Contains(ir.TCP, p) {
					allowed++
				}
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return allowed, ms.HeapInuse
}

// ciliumMatrix loads the NetworkPolicies into Cilium's engine, computes
// each pod's policy once and looks every pod pair up on benchPorts.
func ciliumMatrix(b *testing.B, c *clustergen.Cluster) (int, uint64) {
	eng, err := Load(c.World, c.PolicyYAML)
	if err != nil {
		b.Fatal(err)
	}
	if err := eng.Precompute(); err != nil {
		b.Fatal(err)
	}
	w := c.World
	allowed := 0
	for i := range w.Pods {
		for j := range w.Pods {
			f := eval.Flow{From: eval.PodEndpoint(&w.Pods[i]), To: eval.PodEndpoint(&w.Pods[j]), Protocol: ir.TCP}
			for _, p := range benchPorts {
				f.Port = p
				ok, err := eng.AllowedL4(f)
				if err != nil {
					b.Fatal(err)
				}
				if ok {
					allowed++
				}
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return allowed, ms.HeapInuse
}
