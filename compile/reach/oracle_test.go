package reach_test

import (
	"bytes"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	netpolc "github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/compile/reach"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/internal/testsupport/nporacle"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/source"
)

var (
	oracleProgramsFlag = flag.Int("netpolc.oracle", 0, "random programs for the full-matrix cyclonus test (default 500, or $NETPOLC_ORACLE_PROGRAMS)")
	oracleSeedFlag     = flag.Int64("netpolc.oracleseed", 1, "first seed of the full-matrix cyclonus test")
)

var protocols = []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP}

// intervals returns, per protocol, the port intervals within which no rule
// of progs and no container port of dst tells two ports apart: every
// policy engine decides all ports of one interval alike.
func intervals(progs []*ir.Program, dst eval.Endpoint) map[ir.Protocol][]reach.PortRange {
	cuts := map[ir.Protocol]map[int]bool{}
	for _, proto := range protocols {
		cuts[proto] = map[int]bool{1: true, 65536: true}
	}
	mark := func(proto ir.Protocol, first, last int) {
		switch proto {
		case ir.ProtoAny:
			for _, p := range protocols {
				cuts[p][first], cuts[p][last+1] = true, true
			}
		case "":
			proto = ir.TCP
			fallthrough
		default:
			if cuts[proto] != nil {
				cuts[proto][first], cuts[proto][last+1] = true, true
			}
		}
	}
	for _, prog := range progs {
		for _, pol := range prog.Policies {
			for _, r := range pol.Rules {
				for _, pr := range r.Ports {
					for _, p := range pr.Ports {
						if p.Port == 0 {
							continue
						}
						last := p.Port
						if p.EndPort != 0 {
							last = p.EndPort
						}
						mark(p.Protocol, int(p.Port), int(last))
					}
				}
			}
		}
	}
	if dst.Kind == eval.EndpointPod {
		for _, cp := range dst.Pod.Ports {
			mark(cp.Protocol, int(cp.Port), int(cp.Port))
		}
	}
	out := map[ir.Protocol][]reach.PortRange{}
	for _, proto := range protocols {
		var vs []int
		for v := range cuts[proto] {
			vs = append(vs, v)
		}
		sort.Ints(vs)
		for i := 0; i+1 < len(vs); i++ {
			out[proto] = append(out[proto], reach.PortRange{First: uint16(vs[i]), Last: uint16(vs[i+1] - 1)})
		}
	}
	return out
}

// uniform reports whether c allows all of r or none of it (on proto), and
// which.
func uniform(c reach.Conns, proto ir.Protocol, r reach.PortRange) (allowed, ok bool) {
	in := c.Ports(proto).Intersect(reach.PortSet{r})
	switch {
	case len(in) == 0:
		return false, true
	case len(in) == 1 && in[0] == r:
		return true, true
	}
	return false, false
}

// emitK8s compiles nothing: it emits prog as NetworkPolicies (checked as
// the k8s backend's tests check them) and returns the objects and YAML.
func emitK8s(prog *ir.Program) ([]*networkingv1.NetworkPolicy, []byte, error) {
	objs, diags := emitcheck.Emit(emitcheck.Checked(k8s.New(), func(o backends.Object) error {
		np := o.Value.(*networkingv1.NetworkPolicy)
		if errs := k8s.Validate(np); len(errs) > 0 {
			return errs.ToAggregate()
		}
		return nil
	}), prog, backends.Options{})
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("emit: %v", diags)
	}
	var nps []*networkingv1.NetworkPolicy
	for _, o := range objs {
		nps = append(nps, o.Value.(*networkingv1.NetworkPolicy))
	}
	var buf bytes.Buffer
	if err := backends.WriteYAML(&buf, objs); err != nil {
		return nil, nil, err
	}
	return nps, buf.Bytes(), nil
}

// importYAML imports policy YAML as `netpolc matrix` reads it.
func importYAML(name string, data []byte) (*ir.Program, error) {
	prog, diags := netpolc.Import([]*source.File{source.NewFile(name, data)}, netpolc.ImportOptions{})
	if diags.HasErrors() || prog == nil {
		return nil, fmt.Errorf("import: %v", diags)
	}
	return prog, nil
}

// compareCyclonus checks every pair of endpoints cyclonus can judge (pod to
// pod, pod to external and back) on every port interval of every protocol:
// the engine's Conns must be uniform on the interval and agree with
// cyclonus on the emitted NetworkPolicies. Every Analysis in as must give
// the same cells. It returns the number of probes and the first
// disagreement.
func compareCyclonus(w *eval.World, nps []*networkingv1.NetworkPolicy, progs []*ir.Program, as []*reach.Analysis) (int, int, string) {
	oracle := nporacle.New(w, nps)
	judge := oracle.Judge(w)
	eps := as[0].Endpoints()
	probes, allowed := 0, 0
	for i, from := range eps {
		for j, to := range eps {
			c := as[0].Allowed(i, j)
			for k, b := range as[1:] {
				if d := b.Allowed(i, j); !d.Equal(c) {
					return probes, allowed, fmt.Sprintf("%s -> %s: analysis 0 says %q, analysis %d says %q", from, to, c, k+1, d)
				}
			}
			if !c.L7.IsEmpty() {
				return probes, allowed, fmt.Sprintf("%s -> %s: L7 marks %q from NetworkPolicy", from, to, c)
			}
			probe := eval.Flow{From: from, To: to}
			if !oracle.Supports(probe) {
				continue
			}
			for proto, rs := range intervals(progs, to) {
				for _, r := range rs {
					got, ok := uniform(c, proto, r)
					if !ok {
						return probes, allowed, fmt.Sprintf("%s -> %s: %q splits the interval %d-%d/%s", from, to, c, r.First, r.Last, proto)
					}
					probe.Protocol, probe.Port = proto, r.First
					probes++
					want := judge.Side(probe, false) && judge.Side(probe, true)
					if probes%8 == 0 && oracle.Allowed(probe) != want {
						return probes, allowed, fmt.Sprintf("flow %s: the Judge says allowed=%v, cyclonus's IsTrafficAllowed the opposite", probe, want)
					}
					if want {
						allowed++
					}
					if got != want {
						return probes, allowed, fmt.Sprintf("%s -> %s ports %d-%d/%s: engine %q, cyclonus allowed=%v", from, to, r.First, r.Last, proto, c, want)
					}
				}
			}
		}
	}
	return probes, allowed, ""
}

// TestCyclonusFullMatrix compiles random programs, emits them as
// NetworkPolicy and compares, on the full matrix of every world, cyclonus
// on the objects with the engine on the compiled program and on the
// program netpolc imports back from the YAML.
func TestCyclonusFullMatrix(t *testing.T) {
	n := testgen.ProgramCount(*oracleProgramsFlag, "NETPOLC_ORACLE_PROGRAMS", 500, 100)
	start := time.Now()
	var checked, probes, allowed atomic.Int64
	failures := testgen.RunSeeds(*oracleSeedFlag, n, 3, func(seed int64) string {
		c := testgen.New(seed)
		prog, _ := backendtest.CompileGenerated(c)
		if prog == nil {
			return ""
		}
		nps, data, err := emitK8s(prog)
		if err != nil {
			return fmt.Sprintf("seed %d: %v", seed, err)
		}
		imported, err := importYAML("gen.yaml", data)
		if err != nil {
			return fmt.Sprintf("seed %d: %v\n%s", seed, err, data)
		}
		as := []*reach.Analysis{reach.New(prog, c.World, reach.Options{Parallelism: 1}), reach.New(imported, c.World, reach.Options{Parallelism: 1})}
		p, a, f := compareCyclonus(c.World, nps, []*ir.Program{prog, imported}, as)
		if f != "" {
			return fmt.Sprintf("seed %d: %s\n%s--- NetworkPolicies\n%s", seed, f, c.Program.Source(), data)
		}
		checked.Add(1)
		probes.Add(int64(p))
		allowed.Add(int64(a))
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("engine vs cyclonus: %d programs, %d probes (%d allowed), %v", checked.Load(), probes.Load(), allowed.Load(), time.Since(start).Round(time.Millisecond))
	if checked.Load() < int64(n)*8/10 && len(failures) == 0 {
		t.Errorf("only %d of %d programs checked", checked.Load(), n)
	}
}

// TestCyclonusExamples compares the engine with cyclonus on every example
// that compiles for NetworkPolicy, over its own world (world.yaml) when it
// has one and over its representative world with external addresses:
// the compiled program and the one imported back from the emitted
// NetworkPolicies, every pod pair and pod to external, every port
// interval.
func TestCyclonusExamples(t *testing.T) {
	ran := 0
	for _, ex := range backendtest.Examples(t, "../../examples") {
		dir := ex.Dir
		prog, set, diags := backendtest.Compile(ex.Sources)
		if diags.HasErrors() || prog == nil {
			t.Fatalf("%s: %s", dir, backendtest.RenderDiags(set, diags))
		}
		nps, data, err := emitK8s(prog)
		if err != nil {
			if !strings.Contains(err.Error(), "unsupported") {
				t.Fatalf("%s: %v", dir, err)
			}
			continue // not expressible as NetworkPolicy (cilium-l7)
		}
		imported, err := importYAML("k8s.yaml", data)
		if err != nil {
			t.Fatal(err)
		}
		worlds := map[string]*eval.World{"representative": representative(prog)}
		if b, err := os.ReadFile(dir + "/world.yaml"); err == nil {
			if worlds["world.yaml"], err = eval.LoadWorld(b); err != nil {
				t.Fatal(err)
			}
		}
		for name, w := range worlds {
			as := []*reach.Analysis{reach.New(prog, w, reach.Options{}), reach.New(imported, w, reach.Options{})}
			n, _, f := compareCyclonus(w, nps, []*ir.Program{prog, imported}, as)
			if f != "" {
				t.Errorf("%s over its %s world: %s", filepath.Base(dir), name, f)
				continue
			}
			t.Logf("%s over its %s world: %d probes agree", filepath.Base(dir), name, n)
		}
		ran++
	}
	if ran == 0 {
		t.Fatal("no example compiles for NetworkPolicy")
	}
}

// representative is the representative world of p with pod IPs and
// external addresses on both sides of the examples' CIDRs.
func representative(p *ir.Program) *eval.World {
	w := eval.RepresentativeWorld(p)
	for i := range w.Pods {
		if !w.Pods[i].IP.IsValid() {
			w.Pods[i].IP = netip.AddrFrom4([4]byte{10, 244, 200, byte(i + 1)})
		}
	}
	for _, ip := range []string{"8.8.8.8", "52.94.1.1", "104.16.0.1", "169.254.169.254", "10.1.2.3", "192.168.1.1"} {
		w.Externals = append(w.Externals, eval.External{IP: netip.MustParseAddr(ip)})
	}
	return w
}
