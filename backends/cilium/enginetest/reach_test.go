package enginetest

import (
	"flag"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	v2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"

	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/compile/reach"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/source"
)

var reachProgramsFlag = flag.Int("netpolc.reach", 0, "random sets and programs for the full-matrix engine tests (default 560 sets and 150 programs, or $NETPOLC_REACH_PROGRAMS)")

func reachCount(def int) int {
	return testgen.ProgramCount(*reachProgramsFlag, "NETPOLC_REACH_PROGRAMS", def, def/5)
}

var reachProtocols = []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP}

// portIntervals returns, per protocol, the port intervals within which no
// rule of prog and no container port of dst tells two ports apart.
func portIntervals(prog *ir.Program, dst eval.Endpoint) map[ir.Protocol][]reach.PortRange {
	cuts := map[int]bool{1: true, 65536: true}
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
					cuts[int(p.Port)], cuts[int(last)+1] = true, true
				}
			}
		}
	}
	if dst.Kind == eval.EndpointPod {
		for _, cp := range dst.Pod.Ports {
			cuts[int(cp.Port)], cuts[int(cp.Port)+1] = true, true
		}
	}
	var vs []int
	for v := range cuts {
		vs = append(vs, v)
	}
	sort.Ints(vs)
	out := map[ir.Protocol][]reach.PortRange{}
	for _, proto := range reachProtocols {
		for i := 0; i+1 < len(vs); i++ {
			out[proto] = append(out[proto], reach.PortRange{First: uint16(vs[i]), Last: uint16(vs[i+1] - 1)})
		}
	}
	return out
}

// uniformOn reports whether s holds all of r or none of it, and which.
func uniformOn(s reach.PortSet, r reach.PortRange) (all, ok bool) {
	in := s.Intersect(reach.PortSet{r})
	switch {
	case len(in) == 0:
		return false, true
	case len(in) == 1 && in[0] == r:
		return true, true
	}
	return false, false
}

// compareMatrix checks the engine's cells (prog over w) against Cilium's
// engine eng on every pair of endpoints and every port interval of every
// protocol, L7 restriction included; it returns the number of probes and
// the first disagreement.
func compareMatrix(prog *ir.Program, w *eval.World, eng *Engine) (int, string) {
	a := reach.New(prog, w, reach.Options{Parallelism: 1})
	eps := a.Endpoints()
	probes := 0
	for i, from := range eps {
		for j, to := range eps {
			c := a.Allowed(i, j)
			for proto, rs := range portIntervals(prog, to) {
				for _, r := range rs {
					allowed, ok := uniformOn(c.Ports(proto), r)
					var l7 reach.PortSet
					switch proto {
					case ir.TCP:
						l7 = c.L7.TCP
					case ir.UDP:
						l7 = c.L7.UDP
					default:
						l7 = c.L7.SCTP
					}
					restricted, ok2 := uniformOn(l7, r)
					if !ok || !ok2 {
						return probes, fmt.Sprintf("%s -> %s: %q splits the interval %d-%d/%s", from, to, c, r.First, r.Last, proto)
					}
					probes++
					v, err := eng.Decide(eval.Flow{From: from, To: to, Protocol: proto, Port: r.First})
					if err != nil {
						return probes, fmt.Sprintf("%s -> %s %d/%s: %v", from, to, r.First, proto, err)
					}
					if l4, err := eng.AllowedL4(eval.Flow{From: from, To: to, Protocol: proto, Port: r.First}); err != nil || l4 != v.Allowed {
						return probes, fmt.Sprintf("%s -> %s %d/%s: AllowedL4 = %v (%v), Decide allowed=%v", from, to, r.First, proto, l4, err, v.Allowed)
					}
					if v.Allowed != allowed || v.L7Restricted != restricted {
						return probes, fmt.Sprintf("%s -> %s ports %d-%d/%s: netpolc's engine %q; Cilium's engine allowed=%v l7restricted=%v (egress %+v, ingress %+v)\n  source identity %s\n  destination identity %s",
							from, to, r.First, r.Last, proto, c, v.Allowed, v.L7Restricted, v.Egress, v.Ingress, eng.Labels(from), eng.Labels(to))
					}
				}
			}
		}
	}
	return probes, ""
}

// importCiliumSet reads a CNP/CCNP set as `netpolc matrix` would (yamlsrc
// and the Cilium importer) and decodes the same objects for Cilium.
func importCiliumSet(name string, data []byte) (Objects, *ir.Program, string) {
	var orig Objects
	file := source.NewFile(name, data)
	objs, diags := yamlsrc.Read([]*source.File{file}, yamlsrc.Options{Kinds: cilium.ImportKinds})
	prog, d := cilium.Backend{}.Import(objs)
	diags.Append(d)
	if diags.HasErrors() || prog == nil {
		return orig, nil, "import failed:\n" + backendtest.RenderDiags(source.NewSet(file), diags)
	}
	for _, o := range objs {
		switch o.Kind {
		case cilium.KindCNP:
			var cnp v2.CiliumNetworkPolicy
			if d := o.Decode(&cnp); d.HasErrors() {
				return orig, nil, d[0].Error()
			}
			cnp.Namespace = o.Namespace
			orig.CNPs = append(orig.CNPs, &cnp)
		case cilium.KindCCNP:
			var ccnp v2.CiliumClusterwideNetworkPolicy
			if d := o.Decode(&ccnp); d.HasErrors() {
				return orig, nil, d[0].Error()
			}
			orig.CCNPs = append(orig.CCNPs, &ccnp)
		}
	}
	return orig, prog, ""
}

// modelledSet returns c without the objects that use what compile/eval and
// Cilium's engine here do not model alike (evalModels: host policies, node
// peers, Services, L7 rules in a direction the policy does not isolate).
func modelledSet(c *testgen.CiliumPolCase) *testgen.CiliumPolCase {
	keep := func(o any) bool {
		_, prog, failure := importCiliumSet("object.yaml", testgen.MarshalForm([]any{o}, 0))
		return failure == "" && evalModels(prog)
	}
	out := *c
	out.CNPs, out.CCNPs = nil, nil
	for _, o := range c.CNPs {
		if keep(o) {
			out.CNPs = append(out.CNPs, o)
		}
	}
	for _, o := range c.CCNPs {
		if keep(o) {
			out.CCNPs = append(out.CCNPs, o)
		}
	}
	return &out
}

// TestReachCiliumPolicies generates random CNP/CCNP sets, imports them and
// compares netpolc's connectivity engine on the imported program with
// Cilium's engine on the original objects, on the full matrix of the
// world: every pair of endpoints, every port interval, TCP, UDP and SCTP,
// L7 restriction included. Objects that use what the two do not model
// alike are left out of each set (modelledSet); a set left empty is
// skipped and counted.
func TestReachCiliumPolicies(t *testing.T) {
	n := reachCount(560)
	start := time.Now()
	var checked, skipped, probes atomic.Int64
	failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) string {
		c := modelledSet(testgen.NewCiliumPol(seed))
		if len(c.Objects()) == 0 {
			skipped.Add(1)
			return ""
		}
		data := testgen.MarshalForm(c.Objects(), int(seed))
		orig, prog, failure := importCiliumSet("set.yaml", data)
		if failure != "" {
			return fmt.Sprintf("seed %d: %s", seed, failure)
		}
		if !evalModels(prog) {
			skipped.Add(1)
			return ""
		}
		eng, err := New(c.World, copyObjects(orig))
		if err != nil {
			return fmt.Sprintf("seed %d: Cilium rejects the set: %v", seed, err)
		}
		p, f := compareMatrix(prog, c.World, eng)
		if f != "" {
			world, _ := eval.MarshalWorld(c.World)
			return fmt.Sprintf("seed %d: %s\n--- set\n%s\n--- world\n%s--- imported\n%s", seed, f, testgen.MarshalForm(c.Objects(), 0), world, ir.Format(prog))
		}
		checked.Add(1)
		probes.Add(int64(p))
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("netpolc's engine vs Cilium's on imported CNP/CCNP sets: %d sets on full matrices (%d skipped), %d probes, %v",
		checked.Load(), skipped.Load(), probes.Load(), time.Since(start).Round(time.Millisecond))
	if checked.Load() < int64(n)*9/10 && len(failures) == 0 {
		t.Errorf("only %d of %d sets checked", checked.Load(), n)
	}
}

// TestReachCiliumOutput compiles random programs (testgen.NewCilium),
// emits them with the Cilium backend, imports the YAML back as `netpolc
// matrix` would, and compares netpolc's engine on it with Cilium's engine
// on the YAML, on full matrices.
func TestReachCiliumOutput(t *testing.T) {
	n := reachCount(150)
	start := time.Now()
	var checked, skipped, probes atomic.Int64
	failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) string {
		c := testgen.NewCilium(seed)
		testgen.WithNodes(c.World)
		prog, objs, _, failure := compileCase(c)
		if failure != "" {
			return fmt.Sprintf("seed %d: %s", seed, failure)
		}
		if prog == nil {
			return ""
		}
		data, err := YAML(objs)
		if err != nil {
			return fmt.Sprintf("seed %d: %v", seed, err)
		}
		_, imported, failure := importCiliumSet("out.yaml", data)
		if failure != "" {
			return fmt.Sprintf("seed %d: %s\n%s", seed, failure, data)
		}
		if !evalModels(imported) {
			skipped.Add(1)
			return ""
		}
		eng, err := Load(c.World, data)
		if err != nil {
			return fmt.Sprintf("seed %d: %v", seed, err)
		}
		p, f := compareMatrix(imported, c.World, eng)
		if f != "" {
			world, _ := eval.MarshalWorld(c.World)
			return fmt.Sprintf("seed %d: %s\n--- source\n%s--- world\n%s--- emitted\n%s", seed, f, c.Program.Source(), world, data)
		}
		checked.Add(1)
		probes.Add(int64(p))
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("netpolc's engine vs Cilium's on the Cilium output of random programs: %d programs on full matrices (%d skipped), %d probes, %v",
		checked.Load(), skipped.Load(), probes.Load(), time.Since(start).Round(time.Millisecond))
	if checked.Load() < int64(n)/2 && len(failures) == 0 {
		t.Errorf("only %d of %d programs checked", checked.Load(), n)
	}
}

// TestReachExamples compares netpolc's engine with Cilium's on the full
// matrix of every example's world (exampleWorld), on the example's Cilium
// output imported back as `netpolc matrix` reads it and on the program the
// output means (ciliumExpected: the compiled program with the DNS-proxy
// rules the target adds).
func TestReachExamples(t *testing.T) {
	ran := 0
	for _, ex := range backendtest.Examples(t, examples) {
		t.Run(ex.Name, func(t *testing.T) {
			prog, decoded, data := emitExample(t, ex)
			w := exampleWorld(prog)
			_, imported, failure := importCiliumSet("cilium.yaml", data)
			if failure != "" {
				t.Fatal(failure)
			}
			eng, err := New(w, decoded)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name string
				prog *ir.Program
			}{{"imported", imported}, {"expected", ciliumExpected(prog)}} {
				if !evalModels(c.prog) {
					t.Logf("%s: not modelled alike by both engines, skipped", c.name)
					continue
				}
				n, f := compareMatrix(c.prog, w, eng)
				if f != "" {
					t.Fatalf("%s program: %s\n--- emitted\n%s", c.name, f, data)
				}
				t.Logf("%s program: %d probes agree", c.name, n)
			}
		})
		ran++
	}
	if ran == 0 {
		t.Fatal("no examples")
	}
}
