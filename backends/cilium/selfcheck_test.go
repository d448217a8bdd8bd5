package cilium

import (
	"flag"
	"fmt"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
)

var selfCheckPrograms = flag.Int("selfcheck.n", 300, "random programs for TestSelfCheckRandom")

// The self-check reads netpolc's own Cilium output back into IR (readBack)
// and compares compile/eval's verdicts on it with those on Effective(p): the
// objects say what Effective says. It checks the emitter's structure
// (selectors, splitting, ports, isolation), not Cilium's semantics; the
// engine harness (enginetest) does that against Cilium's policy engine.

// emitAndRead emits p, validates every document and reads them back.
func emitAndRead(t *testing.T, p *ir.Program) (*ir.Program, error) {
	t.Helper()
	objs, diags := emitcheck.Emit(testBackend(), p, backends.Options{})
	if diags.HasErrors() {
		return nil, fmt.Errorf("emit: %v", diags)
	}
	return readBack(checkAll(t, backendtest.YAML(t, objs)), p.DNS)
}

// compareVerdicts decides every flow on want and got.
func compareVerdicts(want, got *ir.Program, w *eval.World, flows []eval.Flow) (int, error) {
	ew, eg := eval.New(want, w), eval.New(got, w)
	for _, f := range flows {
		vw, vg := ew.Decide(f), eg.Decide(f)
		if vw.Allowed != vg.Allowed || vw.L7Restricted != vg.L7Restricted {
			return 0, fmt.Errorf("%s: Effective says allowed=%v l7=%v, the emitted objects allowed=%v l7=%v",
				f, vw.Allowed, vw.L7Restricted, vg.Allowed, vg.L7Restricted)
		}
	}
	return len(flows), nil
}

// endpointFlows returns every pair of endpoints of w with a few ports.
func endpointFlows(e *eval.Evaluator) []eval.Flow {
	var flows []eval.Flow
	eps := e.Endpoints()
	for _, from := range eps {
		for _, to := range eps {
			for _, pp := range []struct {
				proto ir.Protocol
				port  uint16
			}{{ir.UDP, 53}, {ir.TCP, 53}, {ir.TCP, 443}, {ir.TCP, 5432}, {ir.TCP, 6379}, {ir.TCP, 8080}, {ir.TCP, 9090}} {
				flows = append(flows, eval.Flow{From: from, To: to, Protocol: pp.proto, Port: pp.port})
			}
		}
	}
	return flows
}

// TestSelfCheckExamples: the examples' expectations hold on what the
// emitted objects say, and every flow of their representative worlds gets
// the same verdict as on Effective.
func TestSelfCheckExamples(t *testing.T) {
	for _, dir := range []string{"zero-trust", "cilium-l7"} {
		t.Run(dir, func(t *testing.T) {
			prog, set, diags := backendtest.Compile(readExample(t, dir))
			if diags.HasErrors() {
				t.Fatalf("compile:\n%s", backendtest.RenderDiags(set, diags))
			}
			back, err := emitAndRead(t, prog)
			if err != nil {
				t.Fatal(err)
			}
			back.Expectations = prog.Expectations
			w := eval.RepresentativeWorld(prog)
			if d := eval.New(back, w).CheckExpectations(); len(d) > 0 {
				t.Fatalf("expectations on the emitted objects:\n%s", backendtest.RenderDiags(set, d))
			}
			n, err := compareVerdicts(Effective(prog), back, w, endpointFlows(eval.New(prog, w)))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d flows agree", n)
		})
	}
}

// TestSelfCheckRandom: random programs of internal/testsupport/testgen, each
// emitted, validated (strict decoding, Parse, conventions, CRD schema and
// CEL) and read back, agree with Effective on every sampled flow.
func TestSelfCheckRandom(t *testing.T) {
	n := *selfCheckPrograms
	if testing.Short() {
		n = 30
	}
	checked, flows := 0, 0
	for seed := int64(1); seed <= int64(n); seed++ {
		c := testgen.New(seed)
		prog, _ := backendtest.CompileGenerated(c)
		if prog == nil {
			continue
		}
		back, err := emitAndRead(t, prog)
		if err == nil {
			var k int
			k, err = compareVerdicts(Effective(prog), back, c.World, c.Flows())
			flows += k
		}
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, c.Program.Source())
		}
		checked++
	}
	if checked < n*8/10 {
		t.Errorf("only %d of %d programs compiled", checked, n)
	}
	t.Logf("%d programs, %d flows agree", checked, flows)
}
