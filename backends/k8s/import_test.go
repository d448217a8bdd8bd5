package k8s

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/internal/testsupport/nporacle"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

var _ backends.Importer = Backend{}

// importFiles reads files and imports their NetworkPolicies; the
// diagnostics are those of both steps.
func importFiles(files []*source.File, namespace string) (*ir.Program, []*yamlsrc.Object, diag.List) {
	objs, diags := yamlsrc.Read(files, yamlsrc.Options{Kinds: ImportKinds, Namespace: namespace})
	prog, d := Backend{}.Import(objs)
	diags.Append(d)
	return prog, objs, diags
}

// originals decodes the NetworkPolicies read, with the namespace Read gave
// them and the API server's defaults, as cyclonus expects them.
func originals(t testing.TB, objs []*yamlsrc.Object) []*networkingv1.NetworkPolicy {
	var out []*networkingv1.NetworkPolicy
	for _, o := range objs {
		var np networkingv1.NetworkPolicy
		if d := o.Decode(&np); d.HasErrors() {
			t.Fatalf("decode %s: %v", o, d)
		}
		np.Namespace = o.Namespace
		out = append(out, testgen.DefaultNetPol(&np))
	}
	return out
}

// reemit emits prog with the k8s backend (every object validated) and
// reads the YAML back.
func reemit(prog *ir.Program) ([]*networkingv1.NetworkPolicy, []byte, error) {
	objs, diags := emitcheck.Emit(testBackend(), prog, backends.Options{})
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("emit: %v", diags)
	}
	var buf bytes.Buffer
	if err := backends.WriteYAML(&buf, objs); err != nil {
		return nil, nil, err
	}
	nps, err := decodeAndValidate(buf.Bytes())
	return nps, buf.Bytes(), err
}

// sameVerdicts compares cyclonus on the original objects with cyclonus on
// the re-emitted ones, flow by flow; it returns the number of flows judged
// and the first disagreement.
func sameVerdicts(w *eval.World, orig, back []*networkingv1.NetworkPolicy, flows []eval.Flow) (int, string) {
	a, b := nporacle.New(w, orig), nporacle.New(w, back)
	n := 0
	for _, f := range flows {
		if !a.Supports(f) {
			continue
		}
		n++
		if x, y := a.Allowed(f), b.Allowed(f); x != y {
			return n, fmt.Sprintf("flow %s: cyclonus on the original objects says allowed=%v, on the re-emitted ones allowed=%v", f, x, y)
		}
	}
	return n, ""
}

// checkSpans reports the first node of prog whose span is not a span of
// file (every node is spanned at the YAML it came from).
func checkSpans(prog *ir.Program, file *source.File) string {
	bad := func(what string, sp source.Span) string {
		if !sp.IsValid() || sp.File != file.Name || sp.Start.Offset > sp.End.Offset || sp.End.Offset > len(file.Content) {
			return fmt.Sprintf("%s has span %+v, not one of %s", what, sp, file.Name)
		}
		return ""
	}
	for _, pol := range prog.Policies {
		e := cmp.Or(bad("policy "+pol.Origin, pol.Span), bad("subject of "+pol.Origin, pol.Subject.Span))
		for _, r := range pol.Rules {
			e = cmp.Or(e, bad("rule of "+pol.Origin, r.Span))
			for _, p := range r.Peers {
				e = cmp.Or(e, bad("peer "+ir.FormatPeer(p), p.Span))
			}
			for _, pr := range r.Ports {
				e = cmp.Or(e, bad("ports of "+pol.Origin, pr.Span))
				for _, pt := range pr.Ports {
					e = cmp.Or(e, bad("port "+ir.FormatPort(pt), pt.Span))
				}
			}
		}
		if e != "" {
			return e
		}
	}
	return ""
}

// --- the differential test

// asMap is np as generic JSON data, with the lists it has empty (not nil)
// written empty, as "from: []" (testgen.EmptyLists).
func asMap(np *networkingv1.NetworkPolicy) map[string]any {
	b, _ := json.Marshal(np)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, path := range testgen.EmptyLists(np) {
		var cur any = m
		for _, p := range path[:len(path)-1] {
			switch p := p.(type) {
			case string:
				cur = cur.(map[string]any)[p]
			case int:
				cur = cur.([]any)[p]
			}
		}
		cur.(map[string]any)[path[len(path)-1].(string)] = []any{}
	}
	return m
}

// marshalSet writes nps in one of the forms people have
// (testgen.MarshalForm).
func marshalSet(policies []*networkingv1.NetworkPolicy, form int) []byte {
	nps := make([]any, len(policies))
	for i, np := range policies {
		nps[i] = asMap(np)
	}
	return testgen.MarshalForm(nps, form)
}

// importResult is the outcome of one random set.
type importResult struct {
	err      string
	flows    int
	policies int
	yaml     []byte // the emitted YAML
}

func checkImport(seed int64, nps []*networkingv1.NetworkPolicy, w *eval.World, flows []eval.Flow) (res importResult) {
	defer func() {
		if r := recover(); r != nil {
			res.err = fmt.Sprintf("panic: %v", r)
		}
	}()
	data := marshalSet(nps, int(seed))
	file := source.NewFile("set.yaml", data)
	prog, objs, diags := importFiles([]*source.File{file}, "")
	if diags.HasErrors() || prog == nil {
		return importResult{err: "import failed:\n" + backendtest.RenderDiags(source.NewSet(file), diags)}
	}
	if len(objs) != len(nps) {
		return importResult{err: fmt.Sprintf("read %d objects of %d", len(objs), len(nps))}
	}
	if e := checkSpans(prog, file); e != "" {
		return importResult{err: e}
	}
	orig := make([]*networkingv1.NetworkPolicy, len(nps))
	for i, np := range nps {
		orig[i] = testgen.DefaultNetPol(np)
	}
	back, out, err := reemit(prog)
	res.yaml, res.policies = out, len(prog.Policies)
	if err != nil {
		res.err = err.Error()
		return res
	}
	res.flows, res.err = sameVerdicts(w, orig, back, flows)
	return res
}

// TestImportDifferential generates random NetworkPolicy sets
// (testgen.NewNetPol), writes them as YAML or JSON, reads and imports them,
// emits the IR with this backend, and requires cyclonus to give the same
// verdict on the original objects and on the re-emitted ones for every
// flow of the generated world. A mismatch is shrunk to a minimal set.
func TestImportDifferential(t *testing.T) {
	t.Parallel()
	n := programCount()
	start := time.Now()
	var sets, policies, flows atomic.Int64
	failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) string {
		c := testgen.NewNetPol(seed)
		fl := c.Flows()
		res := checkImport(seed, c.Policies, c.World, fl)
		if res.err != "" {
			return importReproducer(c, fl, res)
		}
		sets.Add(1)
		policies.Add(int64(res.policies))
		flows.Add(int64(res.flows))
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("import differential: %d NetworkPolicy sets, %d policies, %d flows judged by cyclonus twice, %v",
		sets.Load(), policies.Load(), flows.Load(), time.Since(start).Round(time.Millisecond))
}

// importReproducer shrinks a failing set (dropping policies, rules, peers
// and ports while it still fails) and prints it.
func importReproducer(c *testgen.NetPolCase, flows []eval.Flow, first importResult) string {
	fails := func(nps []*networkingv1.NetworkPolicy) bool {
		return len(nps) > 0 && checkImport(c.Seed, nps, c.World, flows).err != ""
	}
	cur := c.Policies
	for changed := true; changed; {
		changed = false
		for _, cand := range smaller(cur) {
			if fails(cand) {
				cur, changed = cand, true
				break
			}
		}
	}
	res := checkImport(c.Seed, cur, c.World, flows)
	world, _ := eval.MarshalWorld(c.World)
	var b strings.Builder
	fmt.Fprintf(&b, "import mismatch, seed %d (replay: go test ./backends/k8s -run TestImportDifferential -netpolc.seed=%d -netpolc.programs=1)\n", c.Seed, c.Seed)
	fmt.Fprintf(&b, "original failure: %s\nafter shrinking: %s\n", first.err, res.err)
	fmt.Fprintf(&b, "--- input (minimal)\n%s--- world\n%s--- emitted\n%s", marshalSet(cur, 0), world, res.yaml)
	return b.String()
}

// smaller returns the sets one step smaller than nps: a policy, a rule, a
// peer or a port less.
func smaller(nps []*networkingv1.NetworkPolicy) [][]*networkingv1.NetworkPolicy {
	var out [][]*networkingv1.NetworkPolicy
	with := func(i int, np *networkingv1.NetworkPolicy) {
		cp := append([]*networkingv1.NetworkPolicy(nil), nps...)
		cp[i] = np
		out = append(out, cp)
	}
	for i := range nps {
		out = append(out, append(append([]*networkingv1.NetworkPolicy(nil), nps[:i]...), nps[i+1:]...))
	}
	for i, np := range nps {
		for j := range np.Spec.Ingress {
			cp := np.DeepCopy()
			cp.Spec.Ingress = append(cp.Spec.Ingress[:j], cp.Spec.Ingress[j+1:]...)
			with(i, cp)
			r := np.Spec.Ingress[j]
			for k := range r.From {
				cp := np.DeepCopy()
				cp.Spec.Ingress[j].From = append(cp.Spec.Ingress[j].From[:k], cp.Spec.Ingress[j].From[k+1:]...)
				with(i, cp)
			}
			for k := range r.Ports {
				cp := np.DeepCopy()
				cp.Spec.Ingress[j].Ports = append(cp.Spec.Ingress[j].Ports[:k], cp.Spec.Ingress[j].Ports[k+1:]...)
				with(i, cp)
			}
		}
		for j := range np.Spec.Egress {
			cp := np.DeepCopy()
			cp.Spec.Egress = append(cp.Spec.Egress[:j], cp.Spec.Egress[j+1:]...)
			with(i, cp)
			r := np.Spec.Egress[j]
			for k := range r.To {
				cp := np.DeepCopy()
				cp.Spec.Egress[j].To = append(cp.Spec.Egress[j].To[:k], cp.Spec.Egress[j].To[k+1:]...)
				with(i, cp)
			}
			for k := range r.Ports {
				cp := np.DeepCopy()
				cp.Spec.Egress[j].Ports = append(cp.Spec.Egress[j].Ports[:k], cp.Spec.Egress[j].Ports[k+1:]...)
				with(i, cp)
			}
		}
	}
	return out
}

// --- the corpus

const importDir = "testdata/import"

// TestImportCorpus imports each hand-written file of testdata/import
// (NAME.yaml or NAME.json) and compares the diagnostics and the IR with
// NAME.golden (-update rewrites it). Files named err-*.* must fail and
// their golden holds the positioned diagnostics; the others must import
// without error, and cyclonus must judge every flow of a world made for
// them alike on the original objects and on the re-emitted ones.
func TestImportCorpus(t *testing.T) {
	t.Parallel()
	for _, cf := range backendtest.Corpus(t, importDir, 30, 5) {
		path, name := cf.Path, cf.Name
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			file := source.NewFile(filepath.ToSlash(path), data)
			namespace := ""
			if strings.Contains(name, "default-namespace") {
				namespace = "defaulted"
			}
			prog, objs, diags := importFiles([]*source.File{file}, namespace)
			var got strings.Builder
			got.WriteString(backendtest.RenderDiags(source.NewSet(file), diags.Normalize()))
			wantErr := cf.Err
			if diags.HasErrors() != wantErr {
				t.Errorf("errors: %v, want %v", diags.HasErrors(), wantErr)
			}
			if prog != nil && !diags.HasErrors() {
				got.WriteString("--- ir\n")
				got.WriteString(ir.Format(prog))
				for _, pol := range prog.Policies {
					fmt.Fprintf(&got, "origin %s\n", pol.Origin)
				}
			}
			backendtest.Golden(t, filepath.Join(importDir, name+".golden"), []byte(got.String()), *update)
			if wantErr || prog == nil {
				return
			}
			if e := checkSpans(prog, file); e != "" {
				t.Error(e)
			}
			orig := originals(t, objs)
			back, out, err := reemit(prog)
			if err != nil {
				t.Fatal(err)
			}
			w := testgen.CorpusWorld(prog)
			c := &testgen.Case{Seed: 1, World: w}
			n, mismatch := sameVerdicts(w, orig, back, c.Flows())
			if mismatch != "" {
				t.Errorf("%s\nre-emitted:\n%s", mismatch, out)
			}
			if n == 0 {
				t.Errorf("no flow judged")
			}
		})
	}
}

// FuzzImport checks that reading and importing any text never panics and
// never ends in an internal error (ir.Validate failing on the result).
func FuzzImport(f *testing.F) {
	paths, _ := filepath.Glob(importDir + "/*.yaml")
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data))
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		_, _, diags := importFiles([]*source.File{source.NewFile("f.yaml", []byte(in))}, "fuzz")
		for _, d := range diags {
			if d.Code == "internal" {
				t.Fatalf("internal error: %s\n%s", d.Message, in)
			}
		}
	})
}
