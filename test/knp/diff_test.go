package knp

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/netpolapi"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/internal/testsupport/knpdeviation"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

var (
	programsFlag = flag.Int("netpolc.programs", 0, "random programs for the differential test (default 1000, or $NETPOLC_PROGRAMS)")
	seedFlag     = flag.Int64("netpolc.seed", 1, "first seed of the differential test")
)

// agents hands out one Agent per concurrent check.
var agents = struct {
	sync.Mutex
	free []*Agent
}{}

func takeAgent() (*Agent, error) {
	agents.Lock()
	defer agents.Unlock()
	if n := len(agents.free); n > 0 {
		a := agents.free[n-1]
		agents.free = agents.free[:n-1]
		return a, nil
	}
	return NewAgent()
}

func giveAgent(a *Agent) {
	agents.Lock()
	defer agents.Unlock()
	agents.free = append(agents.free, a)
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	for _, a := range agents.free {
		a.Close()
	}
	os.Exit(code)
}

// v1alpha1 is the target as kube-network-policies reads it, every emitted
// object validated by its target's rules (targetcheck).
func v1alpha1() backends.Backend {
	b, err := netpolapi.New(netpolapi.Options{Version: netpolapi.V1Alpha1, ClusterCIDRs: testgen.ClusterCIDRs()})
	if err != nil {
		panic(err) // a known version: cannot happen
	}
	return targetcheck.Checked(b)
}

// caseResult is the outcome of one program.
type caseResult struct {
	rejected       bool // the program never compiled for the target
	err            string
	dropped        int // statements dropped (compiler or target refused them)
	flows, allowed int
	unjudged       map[string]int // flows the agent cannot judge, by reason
	explainedA     int            // disagreements explained by deviation (a)
	objects        int
	yaml           []byte
}

// compileFor compiles c for b, dropping the statements the compiler or the
// target refuses at a line (a few rounds), and returns the program and its
// objects. An internal error fails.
func compileFor(c *testgen.Case, b backends.Backend) (prog *ir.Program, objs []backends.Object, dropped int, failure string) {
	for attempt := 0; attempt < 6; attempt++ {
		p, d := backendtest.CompileGenerated(c)
		dropped += d
		if p == nil {
			return nil, nil, dropped, ""
		}
		emitted, diags := emitcheck.Emit(b, p, backends.Options{})
		if !diags.HasErrors() {
			return p, emitted, dropped, ""
		}
		var lines []int
		for _, dg := range diags {
			if dg.Severity != diag.Error {
				continue
			}
			if dg.Code == "internal" || !dg.Span.IsValid() {
				return nil, nil, dropped, "emit failed:\n" + backendtest.RenderDiags(source.NewSet(source.NewFile(backendtest.GenFile, []byte(c.Program.Source()))), diags)
			}
			lines = append(lines, dg.Span.Start.Line)
		}
		before := len(c.Program.Stmts)
		if !c.Program.DropLines(lines) {
			return nil, nil, dropped, ""
		}
		dropped += before - len(c.Program.Stmts)
	}
	return nil, nil, dropped, ""
}

// checkCase compiles c for the v1alpha1 target, loads the objects and the
// world into kube-network-policies, and compares its verdict with
// netpolc's evaluator on every judgeable flow of c.
func checkCase(c *testgen.Case) (res caseResult) {
	defer func() {
		if r := recover(); r != nil {
			res.err = fmt.Sprintf("panic: %v", r)
		}
	}()
	prog, objs, dropped, failure := compileFor(c, v1alpha1())
	res.dropped = dropped
	if failure != "" {
		res.err = failure
		return res
	}
	if prog == nil {
		res.rejected = true
		return res
	}
	var buf bytes.Buffer
	if err := backends.WriteYAML(&buf, objs); err != nil {
		res.err = err.Error()
		return res
	}
	res.yaml = buf.Bytes()
	kobjs, err := Decode(res.yaml)
	if err != nil {
		res.err = err.Error()
		return res
	}
	res.objects = kobjs.Len()
	a, err := takeAgent()
	if err != nil {
		res.err = err.Error()
		return res
	}
	defer giveAgent(a)
	if err := a.Load(c.World, kobjs); err != nil {
		res.err = err.Error()
		return res
	}
	ev := eval.New(prog, c.World)
	var alt *eval.Evaluator // lazily: the program without cluster-wide egress isolation
	skipped := baselineSkippedPods(c.World, kobjs)
	res.unjudged = map[string]int{}
	named := NamedPorts(kobjs)
	domains := DomainNames(kobjs)
	for _, f := range c.Flows() {
		if why := Judgeable(f); why != "" {
			res.unjudged[why]++
			continue
		}
		if UnresolvedDomain(domains, f) {
			res.unjudged["deviation (c) possible (a domainNames peer names the destination; no DNS agent here)"]++
			continue
		}
		if LooseNamedPort(named, f) {
			// The generators keep named ports out of admin objects;
			// should one appear, the flows it may decide are counted.
			res.unjudged["deviation (b) possible (an admin namedPort names a port of the destination)"]++
			continue
		}
		res.flows++
		want := ev.Decide(f).Allowed
		got := a.Allowed(f)
		if want {
			res.allowed++
		}
		if got == want {
			continue
		}
		if f.From.Kind == eval.EndpointPod && skipped[f.From.Pod] {
			if alt == nil {
				alt = eval.New(withoutClusterEgressIsolation(prog), c.World)
			}
			if alt.Decide(f).Allowed == got {
				res.explainedA++
				continue
			}
		}
		res.err = fmt.Sprintf("flow %s (%s): netpolc's evaluator says allowed=%v, kube-network-policies on the emitted objects says allowed=%v", f, flowAddrs(f), want, got)
		return res
	}
	return res
}

func flowAddrs(f eval.Flow) string {
	src, _ := EndpointIP(f.From)
	dst, _ := EndpointIP(f.To)
	return src.String() + " -> " + dst.String()
}

// baselineSkippedPods: knpdeviation.BaselineSkippedPods over the decoded
// NetworkPolicies.
func baselineSkippedPods(w *eval.World, objs Objects) map[*eval.Pod]bool {
	return knpdeviation.BaselineSkippedPods(w, objs.NetworkPolicies)
}

// withoutClusterEgressIsolation: knpdeviation.WithoutClusterEgressIsolation.
func withoutClusterEgressIsolation(p *ir.Program) *ir.Program {
	return knpdeviation.WithoutClusterEgressIsolation(p)
}

func programCount() int {
	return testgen.ProgramCount(*programsFlag, "NETPOLC_PROGRAMS", 1000, 0)
}

// TestDifferentialKubeNetworkPolicies compiles random programs (testgen.NewNetpolAPI:
// ordered blocks with allow, deny and pass rules, deny rules, cluster-wide
// and namespaced rules) for the netpol-api target (v1alpha1, the version the
// agent reads), loads the objects and the world into kube-network-policies
// v0.8.0 in process, and requires its verdict on the first packet of every
// judgeable flow to equal netpolc's evaluator's on the program. A
// disagreement is accepted only when deviation (a) explains it exactly
// (baselineSkippedPods); those are counted. Any other is shrunk to a minimal
// reproducer.
func TestDifferentialKubeNetworkPolicies(t *testing.T) {
	n := programCount()
	start := time.Now()
	var checked, rejected, flows, allowed, dropped, objects, devA, withBaseline atomic.Int64
	var mu sync.Mutex
	unjudged := map[string]int{}
	var ordered atomic.Int64
	failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) string {
		c := testgen.NewNetpolAPI(seed)
		res := checkCase(c)
		switch {
		case res.err != "":
			return reproducer(c, res)
		case res.rejected:
			rejected.Add(1)
			return ""
		}
		checked.Add(1)
		if seed%2 == 0 {
			ordered.Add(1)
		}
		flows.Add(int64(res.flows))
		allowed.Add(int64(res.allowed))
		dropped.Add(int64(res.dropped))
		objects.Add(int64(res.objects))
		devA.Add(int64(res.explainedA))
		if bytes.Contains(res.yaml, []byte("kind: BaselineAdminNetworkPolicy")) {
			withBaseline.Add(1)
		}
		mu.Lock()
		for k, v := range res.unjudged {
			unjudged[k] += v
		}
		mu.Unlock()
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	var un []string
	for _, k := range slices.Sorted(maps.Keys(unjudged)) {
		un = append(un, fmt.Sprintf("%d with %s", unjudged[k], k))
	}
	t.Logf("differential netpol-api (v1alpha1) vs kube-network-policies v0.8.0: %d programs checked (%d with ordered blocks, %d with a baseline object; %d never compiled for the target; %d statements dropped), %d objects, %d flows (%d allowed), %d disagreements explained by deviation (a) (baseline skipped for a pod a NetworkPolicy of the other direction selects); not judged: %s; steered away by the generator: named ports in admin objects (b), domainNames (c), nodes; %v",
		checked.Load(), ordered.Load(), withBaseline.Load(), rejected.Load(), dropped.Load(), objects.Load(), flows.Load(), allowed.Load(), devA.Load(), strings.Join(un, ", "), time.Since(start).Round(time.Millisecond))
	if checked.Load() < int64(n)*8/10 && len(failures) == 0 {
		t.Errorf("only %d of %d generated programs compiled for the target", checked.Load(), n)
	}
}

// reproducer shrinks a failing case and prints what replays it.
func reproducer(c *testgen.Case, first caseResult) string {
	fails := func(k *testgen.Case) bool {
		r := checkCase(k.Clone())
		return !r.rejected && r.err != ""
	}
	small := testgen.Shrink(c, fails)
	res := checkCase(small.Clone())
	var b strings.Builder
	fmt.Fprintf(&b, "kube-network-policies disagrees, seed %d (replay: test/knp/gooverlay.sh test -run TestDifferentialKubeNetworkPolicies -netpolc.seed=%d -netpolc.programs=1 .)\n", c.Seed, c.Seed)
	fmt.Fprintf(&b, "original failure: %s\n", first.err)
	fmt.Fprintf(&b, "failure after shrinking: %s\n", res.err)
	fmt.Fprintf(&b, "shrunk case, ready for test/knp/testdata/regress/NAME.txtar:\n")
	b.WriteString(testgen.RegressionFile(c.Seed, small.Program.Source(), small.World))
	fmt.Fprintf(&b, "--- emitted YAML\n%s", res.yaml)
	return b.String()
}

// TestDifferentialRegressions replays the cases of testdata/regress: a
// source ("in.netpol"), a world ("world.yaml") and "seed N" in the comment
// for the flow sampling. Each must compile for the target and agree; a
// comment line "deviation-a" also requires some flow to show deviation (a).
func TestDifferentialRegressions(t *testing.T) {
	paths, _ := filepath.Glob("testdata/regress/*.txtar")
	if len(paths) == 0 {
		t.Fatal("no regression cases")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			c, comment, err := testgen.ReadRegression(path)
			if err != nil {
				t.Fatal(err)
			}
			deviationA := slices.Contains(comment, "deviation-a")
			before := len(c.Program.Stmts)
			res := checkCase(c)
			switch {
			case res.err != "":
				t.Fatalf("%s\n%s", res.err, res.yaml)
			case res.rejected || res.dropped > 0 || len(c.Program.Stmts) != before:
				t.Fatalf("the case no longer compiles whole for the target (%d statements dropped)", res.dropped)
			case res.flows == 0:
				t.Fatal("no flow judged")
			case deviationA && res.explainedA == 0:
				t.Fatal("the case is kept for deviation (a) (its comment says deviation-a), but no flow showed it")
			}
			t.Logf("%d flows agree (%d allowed, %d explained by deviation (a))", res.flows, res.allowed, res.explainedA)
		})
	}
}
