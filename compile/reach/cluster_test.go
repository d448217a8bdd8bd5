package reach_test

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netpolc/netpolc/backends/world"
	"github.com/netpolc/netpolc/lang/source"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/compile/reach"
	"github.com/netpolc/netpolc/internal/testsupport/clustergen"
	"github.com/netpolc/netpolc/internal/testsupport/nporacle"
)

// TestBenchmarkClusterCyclonus checks the engine on the benchmark's
// 500-pod cluster (internal/testsupport/clustergen) as `netpolc matrix
// --world` reads it: the world from its kubectl-style YAML (backends/world)
// and the NetworkPolicy YAML imported, against cyclonus on the same
// NetworkPolicy objects: every pair of pods (and every pod with every
// external address, both ways), every port interval of TCP, UDP and SCTP.
func TestBenchmarkClusterCyclonus(t *testing.T) {
	c := clustergen.Generate(500)
	w, diags := world.Read([]*source.File{source.NewFile("cluster.yaml", c.WorldYAML)}, world.Options{})
	if diags.HasErrors() || w == nil {
		t.Fatalf("world: %v", diags)
	}
	if err := sameWorld(w, c.World); err != nil {
		t.Fatalf("the world read from the kubectl output is not the generated one: %v", err)
	}
	prog, err := importYAML("policies.yaml", c.PolicyYAML)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(prog.Policies), len(c.Policies); got != want {
		t.Fatalf("imported %d policies, want %d", got, want)
	}
	checkCyclonusMatrix(t, w, c.Policies, prog)
}

// sameWorld compares what policies see of two worlds: namespaces and their
// labels, pods (name, labels, IP, named ports, workload) and externals, in
// order.
func sameWorld(got, want *eval.World) error {
	nsLabels := func(ns eval.Namespace) map[string]string {
		l := map[string]string{eval.NamespaceNameLabel: ns.Name}
		for k, v := range ns.Labels {
			l[k] = v
		}
		return l
	}
	if len(got.Namespaces) != len(want.Namespaces) {
		return fmt.Errorf("%d namespaces, want %d", len(got.Namespaces), len(want.Namespaces))
	}
	for i := range got.Namespaces {
		g, w := got.Namespaces[i], want.Namespaces[i]
		if g.Name != w.Name || !maps.Equal(nsLabels(g), nsLabels(w)) {
			return fmt.Errorf("namespace %d: %+v, want %+v", i, g, w)
		}
	}
	if len(got.Pods) != len(want.Pods) {
		return fmt.Errorf("%d pods, want %d", len(got.Pods), len(want.Pods))
	}
	for i := range got.Pods {
		g, w := got.Pods[i], want.Pods[i]
		if g.Namespace != w.Namespace || g.Name != w.Name || g.IP != w.IP || g.Workload != w.Workload || !maps.Equal(g.Labels, w.Labels) || !slices.Equal(g.Ports, w.Ports) {
			return fmt.Errorf("pod %d: %+v, want %+v", i, g, w)
		}
	}
	if !slices.EqualFunc(got.Externals, want.Externals, func(a, b eval.External) bool { return a.IP == b.IP && slices.Equal(a.Names, b.Names) }) {
		return fmt.Errorf("externals %v, want %v", got.Externals, want.Externals)
	}
	return nil
}

// checkCyclonusMatrix compares reach.New(prog, w) with cyclonus on nps on
// every pair cyclonus judges, every port interval, in parallel.
func checkCyclonusMatrix(t *testing.T, w *eval.World, nps []*networkingv1.NetworkPolicy, prog *ir.Program) {
	start := time.Now()
	a := reach.New(prog, w, reach.Options{})
	judge := nporacle.New(w, nps).Judge(w)
	eps := a.Endpoints()
	ivs := make([]map[ir.Protocol][]reach.PortRange, len(eps))
	for j, to := range eps {
		ivs[j] = intervals([]*ir.Program{prog}, to)
	}
	var probes, allowedCells atomic.Int64
	var mu sync.Mutex
	var failures []string
	rows := make(chan int)
	var wg sync.WaitGroup
	for g := 0; g < runtime.GOMAXPROCS(0); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, allowed := 0, 0
			for i := range rows {
				from := eps[i]
				for j, to := range eps {
					f := eval.Flow{From: from, To: to}
					if from.Kind != eval.EndpointPod && to.Kind != eval.EndpointPod {
						continue
					}
					if from.Kind != eval.EndpointPod && from.Kind != eval.EndpointExternal || to.Kind != eval.EndpointPod && to.Kind != eval.EndpointExternal {
						continue
					}
					c := a.Allowed(i, j)
					if !c.IsEmpty() {
						allowed++
					}
					if f := mismatch(c, judge, f, ivs[j], &n); f != "" {
						mu.Lock()
						if len(failures) < 5 {
							failures = append(failures, f)
						}
						mu.Unlock()
					}
				}
			}
			probes.Add(int64(n))
			allowedCells.Add(int64(allowed))
		}()
	}
	for i := range eps {
		rows <- i
	}
	close(rows)
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d endpoints, %d policies: %d cells with connections, %d probes judged by cyclonus, %v",
		len(eps), len(prog.Policies), allowedCells.Load(), probes.Load(), time.Since(start).Round(time.Millisecond))
}

// mismatch compares cell c of flow f (its ports unset) with cyclonus on
// every interval of ivs; it counts the probes in n.
func mismatch(c reach.Conns, judge *nporacle.Judge, f eval.Flow, ivs map[ir.Protocol][]reach.PortRange, n *int) string {
	if !c.L7.IsEmpty() {
		return fmt.Sprintf("%s -> %s: L7 marks %q from NetworkPolicy", f.From, f.To, c)
	}
	for _, proto := range protocols {
		for _, r := range ivs[proto] {
			got, ok := uniform(c, proto, r)
			if !ok {
				return fmt.Sprintf("%s -> %s: %q splits the interval %d-%d/%s", f.From, f.To, c, r.First, r.Last, proto)
			}
			f.Protocol, f.Port = proto, r.First
			*n++
			want := judge.Side(f, false) && judge.Side(f, true)
			if got != want {
				return fmt.Sprintf("%s -> %s ports %d-%d/%s: engine %q, cyclonus allowed=%v", f.From, f.To, r.First, r.Last, proto, c, want)
			}
		}
	}
	return ""
}
