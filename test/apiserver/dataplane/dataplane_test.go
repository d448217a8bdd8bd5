package dataplane

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/compile/testplan"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

var (
	programsFlag = flag.Int("netpolc.programs", 0, "random programs to enforce (default 12, or $NETPOLC_DATAPLANE_PROGRAMS)")
	seedFlag     = flag.Int64("netpolc.seed", 1, "first seed of the random programs")
)

// summary logs a result line and prints it to stderr, which go test shows
// in local directory mode (realk8s.sh run) even when the test passes.
func summary(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf(format, args...)
	if !testing.Verbose() {
		fmt.Fprintf(os.Stderr, "dataplane: "+format+"\n", args...)
	}
}

// TestExamples enforces the examples' NetworkPolicies and probes them.
// zero-trust runs over its world.yaml. cilium-l7 is written for Cilium: it
// is compiled for NetworkPolicy with --degrade l7=l4 (its HTTP rule's port
// allowed at L4) and without the two statements NetworkPolicy cannot
// express at all (an FQDN and the kube-apiserver entity, both egress to
// endpoints that are not pods, so no probed flow depends on them), and
// compared at L4: the expected verdicts are the evaluator's on the whole
// program, for which a flow without request is "allowed at L4".
func TestExamples(t *testing.T) {
	h := setup(t)
	examples := []struct {
		dir     string
		world   string
		degrade map[backends.Feature]string
		// drop: the statements the k8s target rejects are left out of
		// the emitted policies (never out of the evaluated program).
		drop bool
	}{
		{dir: "zero-trust", world: "world.yaml"},
		{dir: "cilium-l7", degrade: map[backends.Feature]string{backends.FeatureHTTP: "l4"}, drop: true},
	}
	for _, ex := range examples {
		t.Run(ex.dir, func(t *testing.T) {
			start := time.Now()
			root := filepath.Join("..", "..", "..")
			files, sources := exampleFiles(t, root, ex.dir)
			var w *eval.World
			if ex.world != "" {
				data, err := os.ReadFile(filepath.Join(root, "examples", ex.dir, ex.world))
				if err != nil {
					t.Fatal(err)
				}
				if w, err = eval.LoadWorld(data); err != nil {
					t.Fatal(err)
				}
			}
			intent, diags := compile.Compile(files, compile.Options{World: w})
			if diags.HasErrors() {
				t.Fatalf("compile: %v", diags)
			}
			objs, dropped := emitK8s(t, files, w, ex.degrade, ex.drop)
			for _, d := range dropped {
				t.Logf("left out of the NetworkPolicies (the k8s target cannot express it): %s", d)
			}
			p, err := newProgram("examples/"+ex.dir, intent.Program, w, testplan.Options{}, objs, sources)
			if err != nil {
				t.Fatal(err)
			}
			p.replay = "go test ./test/apiserver/dataplane -run 'TestExamples/" + ex.dir + "' (through test/apiserver/realk8s.sh run)"
			var st stats
			for _, f := range h.run(p, &st) {
				t.Error(f)
			}
			summary(t, "example %s: %s, %v", ex.dir, &st, time.Since(start).Round(time.Millisecond))
		})
	}
}

// emitK8s builds files for the k8s target (every object validated). With
// drop, the lines of the statements the target rejects are blanked (line
// numbers stay) until the rest builds; it returns them as messages.
func emitK8s(t *testing.T, files []*source.File, w *eval.World, degrade map[backends.Feature]string, drop bool) ([]backends.Object, []string) {
	t.Helper()
	files = slices.Clone(files)
	var dropped []string
	for round := 0; round < 4; round++ {
		res, diags := netpolc.Build(files, netpolc.Options{
			Target: targetcheck.Checked(k8s.New()), Degrade: degrade, Compile: compile.Options{World: w},
		})
		if !diags.HasErrors() {
			if len(res.Objects) == 0 {
				t.Fatal("build: no objects")
			}
			return res.Objects, dropped
		}
		if !drop {
			t.Fatalf("build: %v", diags)
		}
		blank := map[string]map[int]bool{}
		for _, d := range diags {
			if d.Severity != diag.Error || !d.Span.IsValid() {
				t.Fatalf("build: %v", diags)
			}
			if blank[d.Span.File] == nil {
				blank[d.Span.File] = map[int]bool{}
			}
			blank[d.Span.File][d.Span.Start.Line] = true
			dropped = append(dropped, d.Error())
		}
		for i, f := range files {
			lines := strings.Split(string(f.Content), "\n")
			for n := range blank[f.Name] {
				lines[n-1] = ""
			}
			files[i] = source.NewFile(f.Name, []byte(strings.Join(lines, "\n")))
		}
	}
	t.Fatalf("build: still failing after dropping %d statements", len(dropped))
	return nil, nil
}

// TestRandomPrograms enforces random programs of the differential tests'
// generator (internal/testsupport/testgen), each over its own world, until
// -netpolc.programs of them emitted NetworkPolicies.
func TestRandomPrograms(t *testing.T) {
	h := setup(t)
	want := testgen.ProgramCount(*programsFlag, "NETPOLC_DATAPLANE_PROGRAMS", 12, 0)
	start := time.Now()
	var st stats
	failed := 0
	for seed := *seedFlag; st.programs.Load() < int64(want) && seed < *seedFlag+int64(want)*4 && failed < 3; seed++ {
		tc := testgen.New(seed)
		prog, _ := backendtest.CompileGenerated(tc)
		if prog == nil {
			st.rejectedPrograms.Add(1)
			continue
		}
		objs, diags := targetcheck.Emit(k8s.New(), prog, backends.Options{})
		if diags.HasErrors() {
			t.Errorf("seed %d: emit failed: %v\n%s", seed, diags, tc.Program.Source())
			failed++
			continue
		}
		if len(objs) == 0 {
			st.emptyPrograms.Add(1)
			continue
		}
		replay := fmt.Sprintf("go test ./test/apiserver/dataplane -run TestRandomPrograms -netpolc.seed=%d -netpolc.programs=1 (through test/apiserver/realk8s.sh run)", seed)
		if !h.runGenerated(t, tc, fmt.Sprintf("testgen seed %d", seed), replay, false, prog, objs, &st) {
			failed++
		}
	}
	summary(t, "random programs: %s (skipped: %d rejected by the compiler, %d emitting nothing), %v",
		&st, st.rejectedPrograms.Load(), st.emptyPrograms.Load(), time.Since(start).Round(time.Millisecond))
	if failed == 0 && st.programs.Load() < int64(want) {
		t.Errorf("only %d of the %d programs wanted emitted NetworkPolicies", st.programs.Load(), want)
	}
}

// runGenerated enforces the random program tc (compiled to prog, emitted as
// objs) under name, in the agent's admin-policy mode where admin is set,
// and reports each failure with replay and the numbered source. It reports
// whether the program passed.
func (h *harness) runGenerated(t *testing.T, tc *testgen.Case, name, replay string, admin bool, prog *ir.Program, objs []backends.Object, st *stats) bool {
	t.Helper()
	src := tc.Program.Source()
	p, err := newProgram(name, prog, tc.World, generatedPlanOptions, objs, map[string][]string{backendtest.GenFile: strings.Split(src, "\n")})
	if err != nil {
		t.Fatalf("seed %d: %v", tc.Seed, err)
	}
	p.admin = admin
	p.replay = replay
	fs := h.run(p, st)
	for _, f := range fs {
		t.Error(f)
	}
	if len(fs) > 0 {
		t.Errorf("program of seed %d:\n%s", tc.Seed, numbered(src))
	}
	return len(fs) == 0
}

func numbered(src string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimRight(src, "\n"), "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, l)
	}
	return b.String()
}

// exampleFiles reads the sources of an example, named as netpolc names them
// from the repository root.
func exampleFiles(t *testing.T, root, dir string) ([]*source.File, map[string][]string) {
	t.Helper()
	ex := backendtest.ReadExample(t, filepath.Join(root, "examples", dir))
	if len(ex.Sources) == 0 {
		t.Fatalf("no sources in examples/%s", dir)
	}
	files := ex.FilesIn("examples/" + dir)
	lines := map[string][]string{}
	for _, f := range files {
		lines[f.Name] = strings.Split(string(f.Content), "\n")
	}
	return files, lines
}
