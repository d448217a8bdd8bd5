package enginetest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// importCount is the number of random sets TestImportEngine checks:
// -netpolc.programs or $NETPOLC_PROGRAMS when set, else 250 (100 under
// -short).
func importCount() int {
	return testgen.ProgramCount(*programsFlag, "NETPOLC_PROGRAMS", 250, 100)
}

// importRoundTrip reads data (Cilium policies) with yamlsrc, imports them,
// emits the program with the Cilium target (every object validated) and
// returns the objects as read (decoded by yamlsrc into Cilium's types) and
// the emitted YAML. rejected is set when the Cilium target refuses the
// program for what it cannot write (an L4 rule voiding an L7 one, a
// DNS-proxy rule it would add): a limit of the target, not of the
// importer.
func importRoundTrip(name string, data []byte) (orig Objects, prog *ir.Program, emitted []byte, rejected bool, failure string) {
	file := source.NewFile(name, data)
	objs, diags := yamlsrc.Read([]*source.File{file}, yamlsrc.Options{Kinds: cilium.ImportKinds})
	prog, d := cilium.Backend{}.Import(objs)
	diags.Append(d)
	if diags.HasErrors() || prog == nil {
		return orig, nil, nil, false, "import failed:\n" + backendtest.RenderDiags(source.NewSet(file), diags)
	}
	for _, o := range objs {
		switch o.Kind {
		case cilium.KindCNP:
			var cnp v2.CiliumNetworkPolicy
			if d := o.Decode(&cnp); d.HasErrors() {
				return orig, nil, nil, false, d[0].Error()
			}
			cnp.Namespace = o.Namespace
			orig.CNPs = append(orig.CNPs, &cnp)
		case cilium.KindCCNP:
			var ccnp v2.CiliumClusterwideNetworkPolicy
			if d := o.Decode(&ccnp); d.HasErrors() {
				return orig, nil, nil, false, d[0].Error()
			}
			orig.CCNPs = append(orig.CCNPs, &ccnp)
		}
	}
	prepared, out, ed := backends.Run(targetcheck.Checked(cilium.Backend{}), prog, backends.Options{})
	for _, x := range ed {
		switch {
		case x.Code == "dns-proxy-added":
			return orig, prog, nil, true, ""
		case x.Severity != diag.Error:
		case x.Code == "l7-voided" || x.Code == "unsupported":
			return orig, prog, nil, true, ""
		default:
			return orig, prog, nil, false, "cilium target: " + x.Error()
		}
	}
	y, err := YAML(out)
	if err != nil {
		return orig, prog, nil, false, err.Error()
	}
	// The emitted objects import back to the program they were emitted
	// from (host policies and ICMP included, which the engine does not
	// judge).
	back, bd := cilium.Backend{}.Import(readEmitted(y))
	if bd.HasErrors() || back == nil {
		return orig, prog, y, false, fmt.Sprintf("re-import of the emitted objects: %v", bd)
	}
	if a, b := backendtest.StrippedIR(prepared), backendtest.StrippedIR(back); a != b {
		return orig, prog, y, false, fmt.Sprintf("re-imported IR differs:\n--- prepared\n%s--- re-imported\n%s", a, b)
	}
	return orig, prog, y, false, ""
}

// readEmitted reads the Cilium policies of netpolc's own output.
func readEmitted(data []byte) []*yamlsrc.Object {
	objs, _ := yamlsrc.Read([]*source.File{source.NewFile("emitted.yaml", data)}, yamlsrc.Options{Kinds: cilium.ImportKinds})
	return objs
}

// sameEngineVerdicts loads the original objects and the emitted YAML into
// Cilium's engine over w and compares the verdicts on every flow; it
// returns the flows judged, those with an HTTP request or DNS lookup, and
// the first disagreement.
func sameEngineVerdicts(w *eval.World, orig Objects, emitted []byte, flows []eval.Flow) (n, requests int, mismatch string) {
	a, err := New(w, copyObjects(orig))
	if err != nil {
		return 0, 0, "Cilium rejects the original objects: " + err.Error()
	}
	return engineVerdicts(a, w, emitted, flows)
}

// engineVerdicts is sameEngineVerdicts with the engine of the original
// objects already loaded.
func engineVerdicts(a *Engine, w *eval.World, emitted []byte, flows []eval.Flow) (n, requests int, mismatch string) {
	b, err := Load(w, emitted)
	if err != nil {
		return 0, 0, "Cilium rejects the re-emitted objects: " + err.Error()
	}
	for _, f := range flows {
		x, err := a.Decide(f)
		if err != nil {
			return n, requests, fmt.Sprintf("flow %s: %v", f, err)
		}
		y, err := b.Decide(f)
		if err != nil {
			return n, requests, fmt.Sprintf("flow %s: %v", f, err)
		}
		n++
		if f.HTTP != nil || f.DNSName != "" {
			requests++
		}
		if x.Allowed != y.Allowed || x.L7Restricted != y.L7Restricted {
			return n, requests, fmt.Sprintf("flow %s: Cilium on the original objects says allowed=%v l7restricted=%v (egress %+v, ingress %+v); on the re-emitted ones allowed=%v l7restricted=%v (egress %+v, ingress %+v)\n  source identity %s\n  destination identity %s",
				f, x.Allowed, x.L7Restricted, x.Egress, x.Ingress, y.Allowed, y.L7Restricted, y.Egress, y.Ingress, a.Labels(f.From), a.Labels(f.To))
		}
	}
	return n, requests, ""
}

// copyObjects copies objs: Cilium's Parse sanitizes the rules in place.
func copyObjects(objs Objects) Objects {
	var out Objects
	for _, o := range objs.CNPs {
		out.CNPs = append(out.CNPs, o.DeepCopy())
	}
	for _, o := range objs.CCNPs {
		out.CCNPs = append(out.CCNPs, o.DeepCopy())
	}
	return out
}

// evalModels reports whether compile/eval and the engine model every
// policy of p alike, so that eval's verdicts on the imported program can
// be compared with the engine's on the original objects. Left out: host
// policies (the engine decides for pods only), node peers (the engine's
// remote node has no labels), Services (the engine does not translate
// toServices) and L7 rules in a direction the policy does not isolate
// (Cilium 1.20 then adds an L7 wildcard when no other policy isolates the
// endpoint, where eval keeps the L7 rules).
func evalModels(p *ir.Program) bool {
	for _, pol := range p.Policies {
		if pol.Subject.Nodes {
			return false
		}
		for _, r := range pol.Rules {
			for _, peer := range r.Peers {
				if peer.Kind == ir.PeerService || peer.Kind == ir.PeerNodes {
					return false
				}
			}
			isolated := pol.Isolation.Ingress
			if r.Direction == ir.Egress {
				isolated = pol.Isolation.Egress
			}
			for _, pr := range r.Ports {
				if (len(pr.HTTP) > 0 || len(pr.DNS) > 0) && !isolated {
					return false
				}
			}
		}
	}
	return true
}

// evalAgrees compares compile/eval on the imported program with Cilium's
// engine on the original objects, flow by flow: the IR means what the
// objects mean.
func evalAgrees(prog *ir.Program, w *eval.World, a *Engine, flows []eval.Flow) string {
	ev := eval.New(prog, w)
	for _, f := range flows {
		want := ev.Decide(f)
		got, err := a.Decide(f)
		if err != nil {
			return fmt.Sprintf("flow %s: %v", f, err)
		}
		if got.Allowed != want.Allowed || got.L7Restricted != want.L7Restricted {
			return fmt.Sprintf("flow %s: compile/eval on the imported IR says allowed=%v l7restricted=%v (egress %s, ingress %s); Cilium's engine on the original objects says allowed=%v l7restricted=%v (egress %+v, ingress %+v)\n--- imported IR\n%s",
				f, want.Allowed, want.L7Restricted, describeSide(want.Egress), describeSide(want.Ingress), got.Allowed, got.L7Restricted, got.Egress, got.Ingress, ir.Format(prog))
		}
	}
	return ""
}

// importResult is the outcome of one random set.
type importResult struct {
	evalJudged                bool // compile/eval judged the imported program too
	rejected                  bool
	err                       string
	policies, flows, requests int
	input, emitted            []byte
}

func checkImportSet(c *testgen.CiliumPolCase, flows []eval.Flow) (res importResult) {
	defer func() {
		if r := recover(); r != nil {
			res.err = fmt.Sprintf("panic: %v", r)
		}
	}()
	res.input = testgen.MarshalForm(c.Objects(), int(c.Seed))
	orig, prog, emitted, rejected, failure := importRoundTrip("set.yaml", res.input)
	res.emitted = emitted
	if failure != "" {
		res.err = failure
		return res
	}
	if rejected {
		res.rejected = true
		return res
	}
	res.policies = len(prog.Policies)
	a, err := New(c.World, copyObjects(orig))
	if err != nil {
		res.err = "Cilium rejects the original objects: " + err.Error()
		return res
	}
	res.flows, res.requests, res.err = engineVerdicts(a, c.World, emitted, flows)
	if res.err == "" && evalModels(prog) {
		res.evalJudged = true
		res.err = evalAgrees(prog, c.World, a, flows)
	}
	return res
}

// TestImportEngine generates random CNP/CCNP sets (testgen.NewCiliumPol),
// writes them as YAML or JSON, reads and imports them, emits the program
// with the Cilium target, and requires Cilium's engine to give the same
// verdict on the original objects and on the re-emitted ones for every
// flow of the generated world, HTTP requests and DNS lookups included.
// The emitted objects must import back to the same IR, and where both
// model the policies (evalModels), compile/eval on the imported IR must
// agree with the engine on the originals. A mismatch is shrunk to a
// minimal set, printed as YAML.
func TestImportEngine(t *testing.T) {
	n := importCount()
	start := time.Now()
	var sets, rejected, policies, flows, requests, evalSets atomic.Int64
	failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) string {
		c := testgen.NewCiliumPol(seed)
		fl := c.CiliumFlows()
		res := checkImportSet(c, fl)
		if res.err != "" {
			return importReproducer(c, fl, res)
		}
		if res.rejected {
			rejected.Add(1)
			return ""
		}
		sets.Add(1)
		policies.Add(int64(res.policies))
		flows.Add(int64(res.flows))
		requests.Add(int64(res.requests))
		if res.evalJudged {
			evalSets.Add(1)
		}
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("import round trip through Cilium's engine: %d CNP/CCNP sets checked (%d refused by the Cilium target), %d policies, %d flows judged twice (%d with an HTTP request or DNS lookup); %d sets also judged by compile/eval on the imported IR; %v",
		sets.Load(), rejected.Load(), policies.Load(), flows.Load(), requests.Load(), evalSets.Load(), time.Since(start).Round(time.Millisecond))
	if sets.Load() < int64(n)*7/10 && len(failures) == 0 {
		t.Errorf("only %d of %d generated sets went through the Cilium target", sets.Load(), n)
	}
}

// importReproducer shrinks a failing set (dropping objects and rules while
// it still fails) and prints it.
func importReproducer(c *testgen.CiliumPolCase, flows []eval.Flow, first importResult) string {
	fails := func(k *testgen.CiliumPolCase) bool {
		return len(k.Objects()) > 0 && checkImportSet(k, flows).err != ""
	}
	cur := c
	for changed := true; changed; {
		changed = false
		for _, cand := range cur.Smaller() {
			if fails(cand) {
				cur, changed = cand, true
				break
			}
		}
	}
	res := checkImportSet(cur, flows)
	world, _ := eval.MarshalWorld(c.World)
	var b strings.Builder
	fmt.Fprintf(&b, "import mismatch, seed %d (replay: go test -run TestImportEngine -netpolc.seed=%d -netpolc.programs=1)\n", c.Seed, c.Seed)
	fmt.Fprintf(&b, "original failure: %s\nafter shrinking: %s\n", first.err, res.err)
	fmt.Fprintf(&b, "--- input (minimal)\n%s\n--- world\n%s--- emitted\n%s", testgen.MarshalForm(cur.Objects(), 0), world, res.emitted)
	return b.String()
}

// --- the corpus

const importCorpusDir = "../testdata/import"

// TestImportCorpusEngine replays the importer's hand-written corpus
// (backends/cilium/testdata/import, all but the err-* files) through
// Cilium's engine: each file is imported and emitted again, and the
// engine must judge every flow of a world made for it alike on the
// original and on the re-emitted objects; where both model the policies
// (evalModels), compile/eval on the imported IR must agree with the
// engine on the originals.
func TestImportCorpusEngine(t *testing.T) {
	files, judged, evalJudged := 0, 0, 0
	for _, cf := range backendtest.Corpus(t, importCorpusDir, 30, 7) {
		if cf.Err {
			continue
		}
		path := cf.Path
		files++
		t.Run(cf.Name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			orig, prog, emitted, rejected, failure := importRoundTrip(filepath.ToSlash(path), data)
			if failure != "" {
				t.Fatal(failure)
			}
			if rejected {
				t.Skip("the Cilium target refuses the program")
			}
			w := testgen.CorpusWorld(prog)
			c := &testgen.Case{Seed: 1, World: w}
			n, _, mismatch := sameEngineVerdicts(w, orig, emitted, c.CiliumFlows())
			if mismatch != "" {
				t.Errorf("%s\nre-emitted:\n%s", mismatch, emitted)
			}
			if n == 0 {
				t.Errorf("no flow judged")
			}
			judged++
			if evalModels(prog) {
				a, err := New(w, copyObjects(orig))
				if err != nil {
					t.Fatal(err)
				}
				if mismatch := evalAgrees(prog, w, a, c.CiliumFlows()); mismatch != "" {
					t.Error(mismatch)
				}
				evalJudged++
			}
		})
	}
	if files < 30 {
		t.Errorf("the corpus has %d files that import; want at least 30", files)
	}
	t.Logf("corpus: %d files, %d judged by Cilium's engine, %d also by compile/eval on the imported IR", files, judged, evalJudged)
}
