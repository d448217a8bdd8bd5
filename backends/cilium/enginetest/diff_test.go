package enginetest

import (
	"flag"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
)

var (
	programsFlag = flag.Int("netpolc.programs", 0, "random programs for the differential test (default 300, or $NETPOLC_PROGRAMS)")
	seedFlag     = flag.Int64("netpolc.seed", 1, "first seed of the differential test")
)

func programCount() int {
	return testgen.ProgramCount(*programsFlag, "NETPOLC_PROGRAMS", 300, 200)
}

// TestDifferentialCiliumEngine compiles random programs (HTTP, DNS names,
// entities, deny rules, CIDRs with except, namespaces by name and label),
// emits them with the Cilium backend, loads the YAML into Cilium's policy
// engine and checks that every sampled flow gets the verdict compile/eval
// gives on ciliumExpected(program): the program with the DNS-proxy rules the
// Cilium target adds, modelled in this package from the documented
// behaviour, not taken from the backend. Programs that also compile for
// NetworkPolicy are emitted with the k8s backend too, loaded through
// Cilium's NetworkPolicy translator, and the two engines must agree at
// L3/L4. A mismatch is shrunk to a minimal reproducer.
func TestDifferentialCiliumEngine(t *testing.T) {
	runDifferential(t, "cilium programs", testgen.NewCilium, programCount())
}

// TestDifferentialCiliumEngineL4 does the same with the L3/L4 programs of
// the k8s differential test (testgen.New), which both backends express:
// every program is also checked through the k8s backend.
func TestDifferentialCiliumEngineL4(t *testing.T) {
	runDifferential(t, "L3/L4 programs", testgen.New, max(1, programCount()/2))
}

func runDifferential(t *testing.T, what string, generate func(int64) *testgen.Case, n int) {
	start := time.Now()
	var st stats
	failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) string {
		c := generate(seed)
		res := checkCase(c)
		st.add(res)
		if res.err != "" {
			return reproducer(t.Name(), c, res)
		}
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%s vs Cilium's engine: %s, %v", what, st.String(), time.Since(start).Round(time.Millisecond))
	if st.checked.Load() < int64(n)*7/10 && len(failures) == 0 {
		t.Errorf("only %d of %d generated programs compiled and emitted", st.checked.Load(), n)
	}
}

type stats struct {
	checked, rejected, dropped, flows, allowed, l7, requests, k8sPrograms, k8sFlows atomic.Int64
}

func (s *stats) add(r caseResult) {
	if r.rejected {
		s.rejected.Add(1)
		return
	}
	s.checked.Add(1)
	s.dropped.Add(int64(r.dropped))
	s.flows.Add(int64(r.flows))
	s.allowed.Add(int64(r.allowed))
	s.l7.Add(int64(r.l7))
	s.requests.Add(int64(r.requests))
	if r.k8sFlows > 0 {
		s.k8sPrograms.Add(1)
		s.k8sFlows.Add(int64(r.k8sFlows))
	}
}

func (s *stats) String() string {
	return fmt.Sprintf("%d programs checked (%d rejected, %d statements dropped), %d flows (%d allowed, %d L7-restricted, %d with an HTTP request or DNS lookup); k8s backend through Cilium: %d programs, %d flows",
		s.checked.Load(), s.rejected.Load(), s.dropped.Load(), s.flows.Load(), s.allowed.Load(), s.l7.Load(), s.requests.Load(), s.k8sPrograms.Load(), s.k8sFlows.Load())
}

// caseResult is the outcome of one differential check.
type caseResult struct {
	rejected                     bool   // the compiler or the backend refused the program
	err                          string // a failure: a mismatch, or objects Cilium rejects
	dropped                      int    // statements dropped because they did not compile
	flows, allowed, l7, requests int
	k8sFlows                     int
	yaml                         []byte
	k8sYAML                      []byte
}

const genFile = "gen.netpol"

// compileCase compiles c and emits it for Cilium, dropping the statements
// that the compiler rejects or that the backend cannot express (a few
// rounds). Any other backend error (internal, an invalid object) is
// returned as a failure: it is never a reason to skip a program.
func compileCase(c *testgen.Case) (*ir.Program, []backends.Object, int, string) {
	before := len(c.Program.Stmts)
	for attempt := 0; attempt < 5; attempt++ {
		prog, diags := backendtest.CompileText(genFile, c.Program.Source(), c.World)
		var lines []int
		if !diags.HasErrors() && prog != nil {
			objs, ed := targetcheck.Emit(cilium.Backend{}, prog, backends.Options{})
			if !ed.HasErrors() {
				return prog, objs, before - len(c.Program.Stmts), ""
			}
			for _, d := range ed {
				if d.Severity != diag.Error {
					continue
				}
				if !backendError(d) || !d.Span.IsValid() {
					return nil, nil, 0, "cilium backend: " + d.Error()
				}
				lines = append(lines, d.Span.Start.Line)
			}
		} else {
			for _, d := range diags {
				if d.Severity != diag.Error {
					continue
				}
				if !expectedError(d) || !d.Span.IsValid() {
					return nil, nil, 0, "compile: " + d.Error()
				}
				lines = append(lines, d.Span.Start.Line)
			}
		}
		if !c.Program.DropLines(lines) {
			return nil, nil, 0, ""
		}
	}
	return nil, nil, 0, ""
}

func checkCase(c *testgen.Case) (res caseResult) {
	defer func() {
		if r := recover(); r != nil {
			res.err = fmt.Sprintf("panic: %v", r)
		}
	}()
	testgen.WithNodes(c.World)
	prog, objs, dropped, failure := compileCase(c)
	res.dropped = dropped
	if failure != "" {
		res.err = failure
		return res
	}
	if prog == nil {
		res.rejected = true
		return res
	}
	var err error
	if res.yaml, err = YAML(objs); err != nil {
		res.err = err.Error()
		return res
	}
	eng, err := Load(c.World, res.yaml)
	if err != nil {
		res.err = err.Error()
		return res
	}
	flows := c.CiliumFlows()
	res.flows, res.allowed, res.l7, res.requests, res.err = compareFlows(prog, c.World, eng, flows)
	if res.err != "" {
		return res
	}

	// The same program through the k8s backend and Cilium's NetworkPolicy
	// translator, when NetworkPolicy expresses it: L3/L4 verdicts agree.
	// Only "unsupported" skips the comparison; any other error fails.
	k8sObjs, kd := targetcheck.Emit(k8s.New(), prog, backends.Options{})
	if kd.HasErrors() {
		res.err = onlyUnsupported(kd)
		return res
	}
	if res.k8sYAML, err = YAML(k8sObjs); err != nil {
		res.err = err.Error()
		return res
	}
	keng, err := Load(c.World, res.k8sYAML)
	if err != nil {
		res.err = err.Error()
		return res
	}
	res.k8sFlows, res.err = compareBackends(eng, keng, flows)
	return res
}

// onlyUnsupported returns "" when every error of diags says the target
// cannot express a construct ("unsupported"), else the first other error.
func onlyUnsupported(diags diag.List) string {
	for _, d := range diags {
		if d.Severity == diag.Error && d.Code != "unsupported" {
			return "k8s backend: " + d.Error()
		}
	}
	return ""
}

// compareFlows decides flows with compile/eval on ciliumExpected(prog)
// and with Cilium's engine; it returns counts and the first disagreement.
func compareFlows(prog *ir.Program, w *eval.World, eng *Engine, flows []eval.Flow) (n, allowed, l7, requests int, mismatch string) {
	ev := eval.New(ciliumExpected(prog), w)
	for _, f := range flows {
		n++
		want := ev.Decide(f)
		got, err := eng.Decide(f)
		if err != nil {
			return n, allowed, l7, requests, fmt.Sprintf("flow %s: engine: %v", f, err)
		}
		if want.Allowed {
			allowed++
		}
		if want.L7Restricted {
			l7++
		}
		if f.HTTP != nil || f.DNSName != "" {
			requests++
		}
		if got.Allowed != want.Allowed || got.L7Restricted != want.L7Restricted {
			return n, allowed, l7, requests, fmt.Sprintf("flow %s: netpolc eval says allowed=%v l7restricted=%v (egress %s, ingress %s); Cilium's engine says allowed=%v l7restricted=%v (egress %+v, ingress %+v)\n  source identity %s\n  destination identity %s",
				f, want.Allowed, want.L7Restricted, describeSide(want.Egress), describeSide(want.Ingress),
				got.Allowed, got.L7Restricted, got.Egress, got.Ingress, eng.Labels(f.From), eng.Labels(f.To))
		}
	}
	return n, allowed, l7, requests, ""
}

// compareBackends checks that the engine loaded with the k8s backend's
// NetworkPolicies agrees at L3/L4 with the one loaded with the CNPs, on the
// flows without request.
func compareBackends(cnp, np *Engine, flows []eval.Flow) (int, string) {
	n := 0
	for _, f := range flows {
		if f.HTTP != nil || f.DNSName != "" {
			continue
		}
		n++
		a, err := cnp.Decide(f)
		if err != nil {
			return n, err.Error()
		}
		b, err := np.Decide(f)
		if err != nil {
			return n, err.Error()
		}
		if a.Allowed != b.Allowed {
			return n, fmt.Sprintf("flow %s: Cilium on the cilium backend's CNPs says allowed=%v (egress %+v, ingress %+v); Cilium on the k8s backend's NetworkPolicies says allowed=%v (egress %+v, ingress %+v)",
				f, a.Allowed, a.Egress, a.Ingress, b.Allowed, b.Egress, b.Ingress)
		}
	}
	return n, ""
}

func describeSide(s eval.Side) string {
	return fmt.Sprintf("{governed=%v isolated=%v allowedBy=%d deniedBy=%d l7=%s allowed=%v}",
		s.Governed, s.Isolated, len(s.AllowedBy), len(s.DeniedBy), s.L7, s.Allowed)
}

// reproducer shrinks a failing case and prints what replays it: seed,
// source, world, the failing flow with both verdicts, and the YAML.
func reproducer(test string, c *testgen.Case, first caseResult) string {
	fails := func(k *testgen.Case) bool {
		r := checkCase(k.Clone())
		return !r.rejected && r.err != ""
	}
	small := testgen.Shrink(c, fails)
	res := checkCase(small.Clone())
	var b strings.Builder
	fmt.Fprintf(&b, "differential mismatch, seed %d (replay: go test -run '^%s$' -netpolc.seed=%d -netpolc.programs=1)\n", c.Seed, test, c.Seed)
	fmt.Fprintf(&b, "original failure: %s\n", first.err)
	fmt.Fprintf(&b, "failure after shrinking: %s\n", res.err)
	fmt.Fprintf(&b, "shrunk case, ready for testdata/regress/NAME.txtar:\n")
	b.WriteString(testgen.RegressionFile(c.Seed, small.Program.Source(), small.World))
	fmt.Fprintf(&b, "--- emitted CiliumNetworkPolicies\n%s", res.yaml)
	if len(res.k8sYAML) > 0 {
		fmt.Fprintf(&b, "--- emitted NetworkPolicies\n%s", res.k8sYAML)
	}
	return b.String()
}
