package decompile_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/decompile"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/nporacle"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// importYAML reads a file of NetworkPolicies and imports them.
func importYAML(file *source.File) (*ir.Program, diag.List) {
	objs, diags := yamlsrc.Read([]*source.File{file}, yamlsrc.Options{Kinds: k8s.ImportKinds})
	prog, d := k8s.Backend{}.Import(objs)
	diags.Append(d)
	return prog, diags
}

// withoutComments drops the whole-line comments of a decompiled source: the
// origins of imported policies, which a compiled program does not have.
func withoutComments(b []byte) []byte {
	var out []byte
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		if !bytes.HasPrefix(l, []byte("#")) {
			out = append(out, l...)
		}
	}
	return out
}

// TestImportRoundTrip imports random sets of NetworkPolicies
// (testgen.NewNetPol), decompiles the IR and compiles the output. The
// output must compile and decompile to itself (its origin comments aside),
// compile/eval must give both programs the same verdict on every sampled
// flow, and cyclonus must give the original objects and the
// NetworkPolicies emitted for the output the same verdict on every flow it
// judges.
func TestImportRoundTrip(t *testing.T) {
	n := testgen.ProgramCount(*programsFlag, "NETPOLC_PROGRAMS", 600, 100)
	var checked, flows atomic.Int64
	failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) string {
		c := testgen.NewNetPol(seed)
		var buf bytes.Buffer
		for _, np := range c.Policies {
			b, _ := yaml.Marshal(np)
			buf.WriteString("---\n")
			buf.Write(b)
		}
		file := source.NewFile("set.yaml", buf.Bytes())
		prog, diags := importYAML(file)
		if diags.HasErrors() || prog == nil {
			return ""
		}
		if msg := importRoundTrip(c, prog, file); msg != "" {
			return fmt.Sprintf("seed %d (replay: go test ./compile/decompile -run TestImportRoundTrip -netpolc.seed=%d -netpolc.programs=1): %s\n--- objects\n%s", seed, seed, msg, buf.Bytes())
		}
		checked.Add(1)
		flows.Add(int64(len(c.Flows())))
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	if checked.Load() < int64(n)*8/10 && len(failures) == 0 {
		t.Errorf("only %d of %d sets imported", checked.Load(), n)
	}
	t.Logf("import round trip: %d sets of NetworkPolicies through netpolc source, %d flows judged by eval and by cyclonus before and after", checked.Load(), flows.Load())
}

func importRoundTrip(c *testgen.NetPolCase, prog *ir.Program, file *source.File) string {
	out, dd := decompile.Decompile(prog)
	if dd.HasErrors() {
		return "decompile: " + backendtest.RenderDiags(source.NewSet(file), dd)
	}
	prog2, d2 := backendtest.CompileText("out.netpol", string(out), c.World)
	if d2.HasErrors() || prog2 == nil {
		return "the output does not compile:\n" + render("out.netpol", string(out), d2) + "--- output\n" + string(out)
	}
	if out2, _ := decompile.Decompile(prog2); !bytes.Equal(withoutComments(out), out2) {
		return fmt.Sprintf("not a fixed point:\n%s--- decompiling its IR gives\n%s", out, out2)
	}
	flows := c.Flows()
	ev1, ev2 := eval.New(prog, c.World), eval.New(prog2, c.World)
	for _, f := range flows {
		if a, b := ev1.Decide(f).Allowed, ev2.Decide(f).Allowed; a != b {
			return fmt.Sprintf("flow %s: the imported program allowed=%v, the output allowed=%v\n--- output\n%s", f, a, b, out)
		}
	}
	orig := make([]*networkingv1.NetworkPolicy, len(c.Policies))
	for i, np := range c.Policies {
		orig[i] = testgen.DefaultNetPol(np)
	}
	back, ok := networkPolicies(prog2)
	if !ok {
		return "the NetworkPolicy target refuses the output's program\n--- output\n" + string(out)
	}
	o1, o2 := nporacle.New(c.World, orig), nporacle.New(c.World, back)
	for _, f := range flows {
		if o1.Supports(f) && o1.Allowed(f) != o2.Allowed(f) {
			return fmt.Sprintf("flow %s: cyclonus on the objects allowed=%v, on the output's NetworkPolicies allowed=%v\n--- output\n%s", f, o1.Allowed(f), o2.Allowed(f), out)
		}
	}
	return ""
}

// TestImportCorpus decompiles the NetworkPolicy importer's corpus
// (backends/k8s/testdata/import, the files that import without errors):
// what "netpolc import" prints for them, compared with
// testdata/import/NAME.netpol (-update rewrites them). Each output must
// also mean what the objects mean (see equivalent).
func TestImportCorpus(t *testing.T) {
	paths, _ := filepath.Glob("../../backends/k8s/testdata/import/*.*")
	ran := 0
	for _, path := range paths {
		ext := filepath.Ext(path)
		name := strings.TrimSuffix(filepath.Base(path), ext)
		if ext != ".yaml" && ext != ".json" || strings.HasPrefix(name, "err-") || strings.Contains(name, "default-namespace") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		file := source.NewFile(filepath.Base(path), data)
		prog, diags := importYAML(file)
		if diags.HasErrors() || prog == nil {
			continue
		}
		ran++
		t.Run(name, func(t *testing.T) {
			checkDecompiled(t, prog, file, filepath.Join("testdata", "import", name+".netpol"))
		})
	}
	if ran < 20 {
		t.Fatalf("only %d corpus files imported", ran)
	}
}

// checkDecompiled decompiles prog, imported from file, and compares the
// output and its diagnostics with the golden file (-update rewrites it).
// An output without errors must compile, be format-stable and a fixed
// point, and give every flow of the program's world the verdict prog gives
// it.
func checkDecompiled(t *testing.T, prog *ir.Program, file *source.File, golden string) {
	t.Helper()
	out, dd := decompile.Decompile(prog)
	got := out
	if len(dd) > 0 {
		got = append(append([]byte{}, out...), backendtest.RenderDiags(source.NewSet(file), dd)...)
	}
	backendtest.Golden(t, golden, got, *update)
	if dd.HasErrors() {
		return
	}
	w := world(prog)
	prog2, d2 := backendtest.CompileText("out.netpol", string(out), w)
	if d2.HasErrors() || prog2 == nil {
		t.Fatalf("the output does not compile:\n%s", render("out.netpol", string(out), d2))
	}
	if msg := equivalent(prog2, withoutComments(out), w); msg != "" {
		t.Errorf("%s\n--- output\n%s", msg, out)
	}
	if msg := sameFlows(prog, prog2, w); msg != "" {
		t.Errorf("%s\n--- output\n%s", msg, out)
	}
}
