package enginetest

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// importedSet reads and imports one random set, and returns the original
// objects (for Cilium's engine) and the imported program.
func importedSet(c *testgen.CiliumPolCase) (orig Objects, prog *ir.Program, input []byte, failure string) {
	input = testgen.MarshalForm(c.Objects(), int(c.Seed))
	objs, diags := readSet(input)
	prog, d := cilium.Backend{}.Import(objs)
	diags.Append(d)
	if diags.HasErrors() || prog == nil {
		return orig, nil, input, fmt.Sprintf("import: %v", diags)
	}
	orig, err := DecodeRead(objs)
	if err != nil {
		return orig, nil, input, err.Error()
	}
	return orig, prog, input, ""
}

// throughSourceResult is the outcome of one set of TestImportThroughSource.
type throughSourceResult struct {
	skipped         string // why the set was not judged ("" when it was)
	err             string
	flows, requests int
	input, src      []byte
}

// checkThroughSource imports a random set, decompiles it to netpolc source
// (what netpolc import prints), compiles the source for Cilium and
// requires Cilium's engine to judge the compiled objects as the original
// ones on every flow, HTTP requests and DNS lookups included.
func checkThroughSource(c *testgen.CiliumPolCase, flows []eval.Flow) (res throughSourceResult) {
	defer func() {
		if r := recover(); r != nil {
			res.err = fmt.Sprintf("panic: %v", r)
		}
	}()
	orig, prog, input, failure := importedSet(c)
	res.input = input
	if failure != "" {
		res.err = failure
		return res
	}
	src, compiled, diags := backendtest.ThroughSource(prog, c.World)
	res.src = src
	if compiled == nil {
		for _, d := range diags {
			if d.Code == "not-expressible" {
				// Grouped by the kind of construct (the message up to its
				// first quote or colon).
				what := d.Message
				if i := strings.IndexAny(what, "\"("); i > 0 {
					what = what[:i]
				}
				res.skipped = "not expressible: " + strings.TrimSpace(what)
				return res
			}
		}
		res.err = fmt.Sprintf("the imported source does not compile: %v\n%s", diags, src)
		return res
	}
	objs, ed := targetcheck.Emit(cilium.Backend{}, compiled, backends.Options{})
	for _, d := range ed {
		if d.Code == "dns-proxy-added" || d.Code == "l7-voided" || d.Code == "unsupported" {
			res.skipped = "refused by the Cilium target: " + string(d.Code)
			return res
		}
	}
	if ed.HasErrors() {
		res.err = fmt.Sprintf("cilium target: %v", ed)
		return res
	}
	y, err := YAML(objs)
	if err != nil {
		res.err = err.Error()
		return res
	}
	res.flows, res.requests, res.err = sameEngineVerdicts(c.World, orig, y, flows)
	return res
}

// TestImportThroughSource is the user's round trip: Cilium policies ->
// netpolc import (the decompiled source) -> netpolc compile --target
// cilium, judged by Cilium's engine against the original objects on every
// flow of the generated world.
func TestImportThroughSource(t *testing.T) {
	// A tenth of the random sets say what the language cannot (an "allow
	// dns" rule in a direction left open, say): generate more, so that
	// about as many are judged as TestImportEngine judges.
	n := importCount() * 6 / 5
	start := time.Now()
	var judged, flowsN, requests, skipped atomic.Int64
	var mu sync.Mutex
	reasons := map[string]int{}
	failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) string {
		c := testgen.NewCiliumPol(seed)
		fl := c.CiliumFlows()
		res := checkThroughSource(c, fl)
		switch {
		case res.err != "":
			return fmt.Sprintf("seed %d: %s\n--- input\n%s\n--- source\n%s", seed, res.err, res.input, res.src)
		case res.skipped != "":
			skipped.Add(1)
			mu.Lock()
			reasons[res.skipped]++
			mu.Unlock()
		default:
			judged.Add(1)
			flowsN.Add(int64(res.flows))
			requests.Add(int64(res.requests))
		}
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("Cilium policies through netpolc source: %d sets judged by Cilium's engine (%d skipped: %v), %d flows (%d with an HTTP request or DNS lookup), %v",
		judged.Load(), skipped.Load(), reasons, flowsN.Load(), requests.Load(), time.Since(start).Round(time.Millisecond))
	if judged.Load() < int64(n)*3/4 && len(failures) == 0 {
		t.Errorf("only %d of %d sets were judged", judged.Load(), n)
	}
}

// TestConvertCiliumToK8s is netpolc convert --to k8s judged by engines
// written by others: for random Cilium policy sets that the k8s target can
// express without a degradation, cyclonus on the converted NetworkPolicies
// must agree with Cilium's engine on the original objects on every L3/L4
// flow (HTTP requests and DNS lookups are Cilium's alone).
func TestConvertCiliumToK8s(t *testing.T) {
	n := importCount() * 3 / 10 // each set costs a search for its k8s part
	start := time.Now()
	var judged, flowsN, refused atomic.Int64
	failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) (failure string) {
		defer func() {
			if r := recover(); r != nil {
				failure = fmt.Sprintf("seed %d: panic: %v", seed, r)
			}
		}()
		c := reduceToK8s(testgen.NewCiliumPol(seed))
		if c == nil {
			refused.Add(1)
			return ""
		}
		orig, prog, input, fail := importedSet(c)
		if fail != "" {
			return fmt.Sprintf("seed %d: %s\n%s", seed, fail, input)
		}
		objs, ed := targetcheck.Emit(k8s.New(), prog, backends.Options{})
		if ed.HasErrors() {
			return fmt.Sprintf("seed %d: k8s target: %v", seed, ed)
		}
		y, err := YAML(objs)
		if err != nil {
			return err.Error()
		}
		oracle, err := newNPOracle(c.World, y)
		if err != nil {
			return fmt.Sprintf("seed %d: %v", seed, err)
		}
		eng, err := New(c.World, copyObjects(orig))
		if err != nil {
			return fmt.Sprintf("seed %d: Cilium rejects the original objects: %v", seed, err)
		}
		n := 0
		for _, f := range c.CiliumFlows() {
			if f.HTTP != nil || f.DNSName != "" || !oracle.Supports(f) {
				continue
			}
			want, err := eng.Decide(f)
			if err != nil {
				return fmt.Sprintf("seed %d: flow %s: %v", seed, f, err)
			}
			if got := oracle.Allowed(f); got != want.Allowed {
				return fmt.Sprintf("seed %d: flow %s: Cilium's engine on the original objects says allowed=%v, cyclonus on the converted NetworkPolicies %v\n--- input\n%s\n--- converted\n%s", seed, f, want.Allowed, got, input, y)
			}
			n++
		}
		judged.Add(1)
		flowsN.Add(int64(n))
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("convert cilium -> k8s: %d sets judged (random sets with what NetworkPolicy cannot express dropped; %d with nothing left), %d L3/L4 flows where cyclonus on the converted objects agrees with Cilium's engine on the originals, %v",
		judged.Load(), refused.Load(), flowsN.Load(), time.Since(start).Round(time.Millisecond))
	if judged.Load() < int64(n)/2 && len(failures) == 0 {
		t.Errorf("only %d of %d sets could be converted to NetworkPolicy", judged.Load(), n)
	}
}

// unsupportedOnK8s counts the errors of the k8s target on the set c
// imports to (-1: c does not import, or has no object).
func unsupportedOnK8s(c *testgen.CiliumPolCase) int {
	if len(c.Objects()) == 0 {
		return -1
	}
	_, prog, _, fail := importedSet(c)
	if fail != "" {
		return -1
	}
	_, _, ed := backends.Run(k8s.New(), prog, backends.Options{})
	n := 0
	for _, d := range ed {
		if d.Severity == diag.Error {
			n++
		}
	}
	return n
}

// reduceToK8s drops objects and rules of c (its Smaller candidates) until
// the k8s target can express what remains, so that most random sets yield
// a set to convert; nil when none is found.
func reduceToK8s(c *testgen.CiliumPolCase) *testgen.CiliumPolCase {
	n := unsupportedOnK8s(c)
	for steps := 0; n > 0 && steps < 40; steps++ {
		next, best := (*testgen.CiliumPolCase)(nil), n
		for _, cand := range c.Smaller() {
			if m := unsupportedOnK8s(cand); m >= 0 && m < best {
				next, best = cand, m
				if m == 0 {
					break
				}
			}
		}
		if next == nil {
			return nil
		}
		c, n = next, best
	}
	if n != 0 {
		return nil
	}
	return c
}

// readSet reads one set of Cilium policies from its YAML or JSON.
func readSet(data []byte) ([]*yamlsrc.Object, diag.List) {
	return yamlsrc.Read([]*source.File{source.NewFile("set.yaml", data)}, yamlsrc.Options{Kinds: cilium.ImportKinds})
}
