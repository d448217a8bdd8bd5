package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/clustergen"
	"github.com/netpolc/netpolc/internal/testsupport/nporacle"
)

// matrixJSON is what the test reads of `netpolc matrix --format json`
// (docs/analysis.md has the schema), decoded here on its own rather than
// with the renderer's types, so that a change of the schema shows.
type matrixJSON struct {
	Granularity string `json:"granularity"`
	Nodes       []struct {
		Name      string `json:"name"`
		Kind      string `json:"kind"`
		Namespace string `json:"namespace"`
	} `json:"nodes"`
	Connections []struct {
		From string      `json:"from"`
		To   string      `json:"to"`
		TCP  [][2]uint16 `json:"tcp"`
		UDP  [][2]uint16 `json:"udp"`
		SCTP [][2]uint16 `json:"sctp"`
	} `json:"connections"`
}

// TestMatrixCommandCyclonus runs the command `netpolc matrix --world
// cluster.yaml --per-pod --format json policies.yaml` on the benchmark's
// 500-pod cluster (internal/testsupport/clustergen: the world as `kubectl
// get -A -o yaml` prints it, the NetworkPolicies as a YAML stream) and
// compares every cell of its output with cyclonus on the same
// NetworkPolicy objects: every pair of pods, and every pod with every
// external address the output shows (both ways), on every port the
// policies and the pods' named ports mention for a protocol, its
// neighbours and the ends of the port space, and the ports mentioned for
// the other protocols, for TCP, UDP and SCTP (probePorts). compile/reach's
// TestBenchmarkClusterCyclonus checks the library path on every port
// interval; this checks what the command prints.
func TestMatrixCommandCyclonus(t *testing.T) {
	start := time.Now()
	c := clustergen.Generate(500)
	dir := t.TempDir()
	world, policies := filepath.Join(dir, "cluster.yaml"), filepath.Join(dir, "policies.yaml")
	for name, data := range map[string][]byte{world: c.WorldYAML, policies: c.PolicyYAML} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := runApp(t, "", "matrix", "--world", world, "--per-pod", "--format", "json", policies)
	if res.code != exitOK {
		t.Fatalf("netpolc matrix: %s", res)
	}
	var m matrixJSON
	if err := json.Unmarshal([]byte(res.stdout), &m); err != nil {
		t.Fatalf("the output is not the documented JSON: %v", err)
	}
	if m.Granularity != "pod" {
		t.Fatalf("granularity %q, want pod", m.Granularity)
	}
	ran := time.Since(start)

	// The endpoints of the rows: the generated pods by name, and an
	// external for each external row ("8.8.8.8", or "CIDR (ADDRESS)" for
	// one the command added for a CIDR of the policies).
	w := *c.World
	w.Externals = nil
	pods := map[string]*eval.Pod{}
	for i := range w.Pods {
		pods[w.Pods[i].Namespace+"/"+w.Pods[i].Name] = &w.Pods[i]
	}
	var rows []string
	for _, n := range m.Nodes {
		switch n.Kind {
		case "pod":
			if pods[n.Name] == nil {
				t.Fatalf("the output has a pod %s the cluster does not", n.Name)
			}
			rows = append(rows, n.Name)
		case "external":
			addr := n.Name
			if i := strings.LastIndexByte(addr, '('); i >= 0 {
				addr = strings.TrimSuffix(addr[i+1:], ")")
			}
			ip, err := netip.ParseAddr(addr)
			if err != nil {
				t.Fatalf("external row %q: %v", n.Name, err)
			}
			w.Externals = append(w.Externals, eval.External{IP: ip})
			rows = append(rows, n.Name)
		}
	}
	if got := len(rows) - len(w.Externals); got != len(c.World.Pods) {
		t.Fatalf("the output has %d pod rows, the cluster %d pods", got, len(c.World.Pods))
	}
	endpoint := map[string]eval.Endpoint{}
	x := 0
	for _, r := range rows {
		if p := pods[r]; p != nil {
			endpoint[r] = eval.PodEndpoint(p)
		} else {
			endpoint[r] = eval.ExternalEndpoint(&w.Externals[x])
			x++
		}
	}
	type cellKey struct{ from, to string }
	cells := map[cellKey]map[ir.Protocol][][2]uint16{}
	for _, cn := range m.Connections {
		cells[cellKey{cn.From, cn.To}] = map[ir.Protocol][][2]uint16{ir.TCP: cn.TCP, ir.UDP: cn.UDP, ir.SCTP: cn.SCTP}
	}
	probes := probePorts(c)
	judge := nporacle.New(&w, c.Policies).Judge(&w)

	var mu sync.Mutex
	var failures []string
	var judged, allowed int
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, yes := 0, 0
			for i := range next {
				from := rows[i]
				for _, to := range rows {
					ef, et := endpoint[from], endpoint[to]
					if ef.Kind != eval.EndpointPod && et.Kind != eval.EndpointPod {
						continue // policies never decide it; the output says n/a
					}
					cell := cells[cellKey{from, to}]
					for _, proto := range []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP} {
						for _, port := range probes[proto] {
							f := eval.Flow{From: ef, To: et, Protocol: proto, Port: port}
							want := judge.Side(f, false) && judge.Side(f, true)
							got := slices.ContainsFunc(cell[proto], func(r [2]uint16) bool { return r[0] <= port && port <= r[1] })
							n++
							if want {
								yes++
							}
							if got != want {
								mu.Lock()
								if len(failures) < 10 {
									failures = append(failures, fmt.Sprintf("%s -> %s %d/%s: netpolc matrix allowed=%v, cyclonus allowed=%v (cell %v)", from, to, port, proto, got, want, cell))
								}
								mu.Unlock()
							}
						}
					}
				}
			}
			mu.Lock()
			judged += n
			allowed += yes
			mu.Unlock()
		}()
	}
	for i := range rows {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	if allowed == 0 || allowed == judged {
		t.Errorf("cyclonus allows %d of %d probes: the cluster tests nothing", allowed, judged)
	}
	t.Logf("%d pods and %d externals, %d connections printed, %d probes agree with cyclonus (%d allowed); the command ran in %v, all in %v",
		len(c.World.Pods), len(w.Externals), len(m.Connections), judged, allowed, ran.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// probePorts are the ports probed per protocol: every port the policies
// name for it (both ends of a range) and every container port of it, each
// with its neighbours, the ends of the port space, and the ports named for
// the other protocols (so that nothing allowed on one protocol shows on
// another).
func probePorts(c *clustergen.Cluster) map[ir.Protocol][]uint16 {
	protos := []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP}
	set := map[ir.Protocol]map[int]bool{ir.TCP: {}, ir.UDP: {}, ir.SCTP: {}}
	named := map[int]bool{}
	add := func(proto ir.Protocol, p int) {
		named[p] = true
		for _, q := range []int{p - 1, p, p + 1} {
			if q >= 1 && q <= 65535 {
				set[proto][q] = true
			}
		}
	}
	for _, proto := range protos {
		add(proto, 1)
		add(proto, 65535)
	}
	for _, np := range c.Policies {
		var pps []networkingv1.NetworkPolicyPort
		for _, r := range np.Spec.Ingress {
			pps = append(pps, r.Ports...)
		}
		for _, r := range np.Spec.Egress {
			pps = append(pps, r.Ports...)
		}
		for _, p := range pps {
			if p.Port == nil {
				continue
			}
			proto := ir.TCP
			if p.Protocol != nil {
				proto = ir.Protocol(*p.Protocol)
			}
			pr := portOf(p.Port.IntValue(), p.EndPort)
			for _, q := range pr {
				if q > 0 {
					add(proto, q)
				}
			}
		}
	}
	for _, p := range c.World.Pods {
		for _, cp := range p.Ports {
			add(cp.Protocol, int(cp.Port))
		}
	}
	out := map[ir.Protocol][]uint16{}
	for _, proto := range protos {
		for p := range named {
			set[proto][p] = true
		}
		for p := range set[proto] {
			out[proto] = append(out[proto], uint16(p))
		}
		slices.Sort(out[proto])
	}
	return out
}

// portOf is a policy port's first and last number (0 for a named port).
func portOf(port int, end *int32) [2]int {
	if end != nil {
		return [2]int{port, int(*end)}
	}
	return [2]int{port, port}
}
