package enginetest

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
)

// commandSets is the number of random CNP/CCNP sets TestMatrixCommandCilium
// runs the command on.
const commandSets = 40

// commandMatrix is what the test reads of `netpolc matrix --format json`
// (docs/analysis.md has the schema).
type commandMatrix struct {
	Granularity string `json:"granularity"`
	Nodes       []struct {
		Name  string   `json:"name"`
		Kind  string   `json:"kind"`
		Names []string `json:"names"`
	} `json:"nodes"`
	Connections []struct {
		From string      `json:"from"`
		To   string      `json:"to"`
		TCP  [][2]uint16 `json:"tcp"`
		UDP  [][2]uint16 `json:"udp"`
		SCTP [][2]uint16 `json:"sctp"`
		L7   struct {
			TCP  [][2]uint16 `json:"tcp"`
			UDP  [][2]uint16 `json:"udp"`
			SCTP [][2]uint16 `json:"sctp"`
		} `json:"l7"`
	} `json:"connections"`
}

// TestMatrixCommandCilium builds the netpolc command and runs `netpolc
// matrix --world cluster.yaml --per-pod --format json set.yaml` on random
// CNP/CCNP sets (testgen.NewCiliumPol, the objects both engines model
// alike: modelledSet), each world written as `kubectl get -A -o yaml`
// prints its namespaces and pods plus a document of netpolc's world format
// for its nodes and external addresses; it compares every cell of the
// output with Cilium's engine on the same objects: every pair of rows of
// which one is a pod, every port interval of TCP, UDP and SCTP (both ends
// of each: every port a rule or a named port mentions and its neighbours),
// L7 restriction included.
func TestMatrixCommandCilium(t *testing.T) {
	start := time.Now()
	dir := t.TempDir()
	bin := filepath.Join(dir, "netpolc")
	// Built in the main module (whose go.mod lists the command's
	// dependencies), from the repository root.
	build := exec.Command("go", "build", "-o", bin, "./cmd/netpolc")
	build.Dir = filepath.Join("..", "..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	built := time.Since(start)
	var checked, probes, allowed, cells atomic.Int64
	failures := testgen.RunSeeds(*seedFlag, commandSets, 3, func(seed int64) string {
		c := modelledSet(testgen.NewCiliumPol(seed))
		if len(c.Objects()) == 0 {
			return ""
		}
		data := testgen.MarshalForm(c.Objects(), int(seed))
		orig, prog, failure := importCiliumSet("set.yaml", data)
		if failure != "" {
			return fmt.Sprintf("seed %d: %s", seed, failure)
		}
		if !evalModels(prog) {
			return ""
		}
		sub := filepath.Join(dir, fmt.Sprint(seed))
		world, set := filepath.Join(sub, "cluster.yaml"), filepath.Join(sub, "set.yaml")
		worldYAML, err := kubectlWorld(c.World)
		if err != nil {
			return fmt.Sprintf("seed %d: %v", seed, err)
		}
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err.Error()
		}
		for name, b := range map[string][]byte{world: worldYAML, set: data} {
			if err := os.WriteFile(name, b, 0o644); err != nil {
				return err.Error()
			}
		}
		out, err := exec.Command(bin, "matrix", "--world", world, "--per-pod", "--format", "json", set).Output()
		if err != nil {
			return fmt.Sprintf("seed %d: netpolc matrix: %v\n%s", seed, err, out)
		}
		n, yes, k, f := compareCommand(out, c.World, orig, prog)
		if f != "" {
			return fmt.Sprintf("seed %d: %s\n--- set\n%s\n--- world\n%s", seed, f, data, worldYAML)
		}
		checked.Add(1)
		probes.Add(int64(n))
		allowed.Add(int64(yes))
		cells.Add(int64(k))
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	if checked.Load() < commandSets/2 && len(failures) == 0 {
		t.Errorf("only %d of %d sets checked", checked.Load(), commandSets)
	}
	if allowed.Load() == 0 || allowed.Load() == probes.Load() {
		t.Errorf("Cilium's engine allows %d of %d probes: the sets test nothing", allowed.Load(), probes.Load())
	}
	t.Logf("netpolc matrix vs Cilium's engine: %d sets, %d cells with connections, %d probes agree (%d allowed); build %v, all %v",
		checked.Load(), cells.Load(), probes.Load(), allowed.Load(), built.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// compareCommand compares the command's JSON output (out) over world w
// with Cilium's engine on objs (prog: what netpolc imports of them, for the
// port intervals); it returns the probes compared, those allowed, the cells
// with connections and the first disagreement.
func compareCommand(out []byte, w *eval.World, objs Objects, prog *ir.Program) (probes, allowedProbes, cellCount int, failure string) {
	var m commandMatrix
	if err := json.Unmarshal(out, &m); err != nil {
		return 0, 0, 0, fmt.Sprintf("the output is not the documented JSON: %v", err)
	}
	if m.Granularity != "pod" {
		return 0, 0, 0, fmt.Sprintf("granularity %q, want pod", m.Granularity)
	}
	// The world with the externals the command shows (it adds one for
	// each CIDR and DNS name of the policies), for Cilium's engine.
	w2 := *w
	w2.Externals = slices.Clone(w.Externals)
	for _, n := range m.Nodes {
		if n.Kind != "external" {
			continue
		}
		ip, err := externalAddr(n.Name)
		if err != nil {
			return 0, 0, 0, err.Error()
		}
		if !slices.ContainsFunc(w2.Externals, func(x eval.External) bool { return x.IP == ip }) {
			w2.Externals = append(w2.Externals, eval.External{IP: ip, Names: n.Names})
		}
	}
	eng, err := New(&w2, copyObjects(objs))
	if err != nil {
		return 0, 0, 0, fmt.Sprintf("Cilium rejects the set: %v", err)
	}
	rows := map[string]eval.Endpoint{}
	var names []string
	for _, n := range m.Nodes {
		var ep eval.Endpoint
		switch n.Kind {
		case "pod":
			i := slices.IndexFunc(w2.Pods, func(p eval.Pod) bool { return p.Namespace+"/"+p.Name == n.Name })
			if i < 0 {
				return 0, 0, 0, fmt.Sprintf("the output has a pod %s the world does not", n.Name)
			}
			ep = eval.PodEndpoint(&w2.Pods[i])
		case "external":
			ip, _ := externalAddr(n.Name)
			i := slices.IndexFunc(w2.Externals, func(x eval.External) bool { return x.IP == ip })
			ep = eval.ExternalEndpoint(&w2.Externals[i])
		case "node":
			i := slices.IndexFunc(w2.Nodes, func(x eval.Node) bool { return "node/"+x.Name == n.Name })
			if i < 0 {
				return 0, 0, 0, fmt.Sprintf("the output has a node %s the world does not", n.Name)
			}
			ep = eval.NodeEndpoint(&w2.Nodes[i])
		case "kube-apiserver":
			ep = eval.APIServer()
		case "host":
			ep = eval.LocalHost()
		default:
			return 0, 0, 0, fmt.Sprintf("row %s of kind %q", n.Name, n.Kind)
		}
		rows[n.Name] = ep
		names = append(names, n.Name)
	}
	if got := len(names); got < len(w.Pods) {
		return 0, 0, 0, fmt.Sprintf("%d rows for %d pods", got, len(w.Pods))
	}
	type cell struct{ ports, l7 map[ir.Protocol][][2]uint16 }
	cells := map[[2]string]cell{}
	for _, cn := range m.Connections {
		cells[[2]string{cn.From, cn.To}] = cell{
			ports: map[ir.Protocol][][2]uint16{ir.TCP: cn.TCP, ir.UDP: cn.UDP, ir.SCTP: cn.SCTP},
			l7:    map[ir.Protocol][][2]uint16{ir.TCP: cn.L7.TCP, ir.UDP: cn.L7.UDP, ir.SCTP: cn.L7.SCTP},
		}
	}
	in := func(rs [][2]uint16, p uint16) bool {
		return slices.ContainsFunc(rs, func(r [2]uint16) bool { return r[0] <= p && p <= r[1] })
	}
	for _, from := range names {
		for _, to := range names {
			ef, et := rows[from], rows[to]
			if ef.Kind != eval.EndpointPod && et.Kind != eval.EndpointPod {
				continue // no policy decides it: the output says n/a
			}
			c := cells[[2]string{from, to}]
			for proto, rs := range portIntervals(prog, et) {
				for _, r := range rs {
					for _, port := range []uint16{r.First, r.Last} {
						probes++
						v, err := eng.Decide(eval.Flow{From: ef, To: et, Protocol: proto, Port: port})
						if err != nil {
							return probes, allowedProbes, len(cells), fmt.Sprintf("%s -> %s %d/%s: %v", from, to, port, proto, err)
						}
						allowed, restricted := in(c.ports[proto], port), in(c.l7[proto], port)
						if v.Allowed {
							allowedProbes++
						}
						if v.Allowed != allowed || v.L7Restricted != restricted {
							return probes, allowedProbes, len(cells), fmt.Sprintf("%s -> %s %d/%s: netpolc matrix allowed=%v l7=%v; Cilium's engine allowed=%v l7restricted=%v",
								from, to, port, proto, allowed, restricted, v.Allowed, v.L7Restricted)
						}
					}
				}
			}
		}
	}
	return probes, allowedProbes, len(cells), ""
}

// externalAddr is the address of an external row: "8.8.8.8", or
// "PEER (ADDRESS)" for one the command added for a peer of the policies.
func externalAddr(name string) (netip.Addr, error) {
	addr := name
	if i := strings.LastIndexByte(addr, '('); i >= 0 {
		addr = strings.TrimSuffix(addr[i+1:], ")")
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return ip, fmt.Errorf("external row %q: %v", name, err)
	}
	return ip, nil
}

// kubectlWorld writes w as `kubectl get ns,pods -A -o yaml` prints its
// namespaces and pods (a v1 List), followed by a document of netpolc's
// world format with its nodes, external addresses and Services.
func kubectlWorld(w *eval.World) ([]byte, error) {
	list := &corev1.List{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "List"}}
	add := func(o runtime.Object) { list.Items = append(list.Items, runtime.RawExtension{Object: o}) }
	for _, ns := range w.Namespaces {
		labels := map[string]string{eval.NamespaceNameLabel: ns.Name}
		for k, v := range ns.Labels {
			labels[k] = v
		}
		add(&corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns.Name, Labels: labels},
			Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
		})
	}
	for _, p := range w.Pods {
		pod := &corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: p.Labels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning},
		}
		for _, cp := range p.Ports {
			pod.Spec.Containers[0].Ports = append(pod.Spec.Containers[0].Ports, corev1.ContainerPort{Name: cp.Name, ContainerPort: int32(cp.Port), Protocol: corev1.Protocol(cp.Protocol)})
		}
		if p.IP.IsValid() {
			pod.Status.PodIP = p.IP.String()
			pod.Status.PodIPs = []corev1.PodIP{{IP: p.IP.String()}}
		}
		add(pod)
	}
	out, err := yaml.Marshal(list)
	if err != nil {
		return nil, err
	}
	rest := &eval.World{Externals: w.Externals, Nodes: w.Nodes, Services: w.Services}
	doc, err := eval.MarshalWorld(rest)
	if err != nil {
		return nil, err
	}
	return append(append(out, "---\n"...), doc...), nil
}
