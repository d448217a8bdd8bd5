package decompile_test

import (
	"bytes"
	"flag"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/compile/decompile"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/nporacle"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/format"
	"github.com/netpolc/netpolc/lang/source"
)

var (
	programsFlag = flag.Int("netpolc.programs", 0, "random programs of each generator for the round-trip test (default 400, or $NETPOLC_PROGRAMS)")
	seedFlag     = flag.Int64("netpolc.seed", 1, "first seed of the round-trip test")
)

// TestRoundTrip compiles random programs (IR1), decompiles them, compiles
// the output (IR2) and requires: the output is lang/format-stable; it
// compiles without errors; decompiling IR2 gives the same text (a fixed
// point); compile/eval gives IR1 and IR2 the same verdict on every sampled
// flow; and, for the programs the NetworkPolicy target accepts, cyclonus
// gives the NetworkPolicies emitted for IR1 and for IR2 the same verdict
// on every flow it can judge. Programs come from testgen's generators
// (NetworkPolicy-like and Cilium-only constructs, and ordered blocks). A
// failure is shrunk to a minimal program.
func TestRoundTrip(t *testing.T) {
	n := testgen.ProgramCount(*programsFlag, "NETPOLC_PROGRAMS", 400, 200)
	start := time.Now()
	var checked, cyclonus, flows atomic.Int64
	for _, gen := range []struct {
		name   string
		newc   func(int64) *testgen.Case
		flows  func(*testgen.Case) []eval.Flow
		cilium bool
		n      int
	}{
		{"k8s", testgen.New, (*testgen.Case).Flows, false, n},
		{"cilium", testgen.NewCilium, (*testgen.Case).CiliumFlows, true, n},
		{"ordered", func(seed int64) *testgen.Case { return testgen.NewOrdered(seed, testgen.OrderedOptions{}) }, (*testgen.Case).Flows, false, max(1, n/4)},
	} {
		failures := testgen.RunSeeds(*seedFlag, gen.n, 3, func(seed int64) string {
			c := gen.newc(seed)
			res := roundTrip(c, gen.flows)
			if res.err != "" {
				return reproducer(gen.name, c, res, gen.flows)
			}
			if res.checked {
				checked.Add(1)
				flows.Add(int64(res.flows))
				if res.cyclonus {
					cyclonus.Add(1)
				}
			}
			return ""
		})
		for _, f := range failures {
			t.Error(f)
		}
	}
	t.Logf("round trip: %d programs (%d also through cyclonus), %d flows, %v",
		checked.Load(), cyclonus.Load(), flows.Load(), time.Since(start).Round(time.Millisecond))
	if checked.Load() < int64(n) {
		t.Errorf("only %d of %d programs compiled", checked.Load(), 2*n)
	}
}

type result struct {
	checked  bool // the program compiled and was checked
	cyclonus bool // also through cyclonus
	flows    int
	err      string
	out      []byte // the decompiled source of IR1
}

func roundTrip(c *testgen.Case, flowsOf func(*testgen.Case) []eval.Flow) (res result) {
	defer func() {
		if r := recover(); r != nil {
			res.err = fmt.Sprintf("panic: %v", r)
		}
	}()
	prog1, _ := backendtest.CompileGenerated(c)
	if prog1 == nil {
		return res
	}
	res.checked = true
	out1, diags := decompile.Decompile(prog1)
	if diags.HasErrors() {
		res.err = "decompile: " + render(backendtest.GenFile, c.Program.Source(), diags)
		return res
	}
	res.out = out1
	if formatted, fd := format.Source(source.NewFile("out.netpol", out1)); fd.HasErrors() || !bytes.Equal(formatted, out1) {
		res.err = fmt.Sprintf("the output is not format-stable:\n%s", formatted)
		return res
	}
	prog2, d2 := backendtest.CompileText("out.netpol", string(out1), c.World)
	if d2.HasErrors() || prog2 == nil {
		res.err = "the output does not compile:\n" + render("out.netpol", string(out1), d2)
		return res
	}
	out2, d3 := decompile.Decompile(prog2)
	if d3.HasErrors() {
		res.err = "decompile of the output's IR: " + render("out.netpol", string(out1), d3)
		return res
	}
	if !bytes.Equal(out1, out2) {
		res.err = fmt.Sprintf("not a fixed point: decompiling the output's IR gives\n%s", out2)
		return res
	}
	flows := flowsOf(c)
	ev1, ev2 := eval.New(prog1, c.World), eval.New(prog2, c.World)
	for _, f := range flows {
		v1, v2 := ev1.Decide(f), ev2.Decide(f)
		if v1.Allowed != v2.Allowed || v1.L7Restricted != v2.L7Restricted {
			res.err = fmt.Sprintf("flow %s: IR1 allowed=%v (L7 restricted %v), IR2 allowed=%v (L7 restricted %v)",
				f, v1.Allowed, v1.L7Restricted, v2.Allowed, v2.L7Restricted)
			return res
		}
	}
	res.flows = len(flows)
	nps1, ok := networkPolicies(prog1)
	if !ok {
		return res
	}
	nps2, ok := networkPolicies(prog2)
	if !ok {
		res.err = "the NetworkPolicy target accepts IR1 but not IR2"
		return res
	}
	o1, o2 := nporacle.New(c.World, nps1), nporacle.New(c.World, nps2)
	for _, f := range flows {
		if !o1.Supports(f) {
			continue
		}
		if a1, a2 := o1.Allowed(f), o2.Allowed(f); a1 != a2 {
			res.err = fmt.Sprintf("flow %s: cyclonus on IR1's NetworkPolicies allowed=%v, on IR2's allowed=%v", f, a1, a2)
			return res
		}
	}
	res.cyclonus = true
	return res
}

// networkPolicies emits p for the NetworkPolicy target, every object
// validated; false when the target does not accept p.
func networkPolicies(p *ir.Program) ([]*networkingv1.NetworkPolicy, bool) {
	objs, diags := targetcheck.Emit(k8s.New(), p, backends.Options{})
	if diags.HasErrors() {
		return nil, false
	}
	var out []*networkingv1.NetworkPolicy
	for _, o := range objs {
		out = append(out, o.Value.(*networkingv1.NetworkPolicy))
	}
	return out, true
}

// render prints diagnostics on the source they point into.
func render(name, src string, diags diag.List) string {
	return backendtest.RenderDiags(source.NewSet(source.NewFile(name, []byte(src))), diags)
}

// reproducer shrinks a failing case and prints what replays it.
func reproducer(gen string, c *testgen.Case, first result, flowsOf func(*testgen.Case) []eval.Flow) string {
	small := testgen.Shrink(c, func(k *testgen.Case) bool { return roundTrip(k.Clone(), flowsOf).err != "" })
	res := roundTrip(small.Clone(), flowsOf)
	var b strings.Builder
	fmt.Fprintf(&b, "round trip failure, generator %s, seed %d (replay: go test ./compile/decompile -run TestRoundTrip -netpolc.seed=%d -netpolc.programs=1)\n", gen, c.Seed, c.Seed)
	fmt.Fprintf(&b, "original failure: %s\n", first.err)
	fmt.Fprintf(&b, "failure after shrinking: %s\n", res.err)
	fmt.Fprintf(&b, "--- shrunk program\n%s--- decompiled\n%s", small.Program.Source(), res.out)
	return b.String()
}
