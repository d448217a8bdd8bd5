package netpolapi

import (
	"flag"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

var importProgramsFlag = flag.Int("netpolc.import-programs", 0, "random programs of each generator of TestEmitImport (default 40) and random sets of TestImportRandomAgainstReference (default 50), or $NETPOLC_IMPORT_PROGRAMS")

// TestEmitImport compiles random programs, emits them with the target (in
// each API version, every object validated), writes the objects, imports
// them back (the admin objects with this importer, the NetworkPolicies
// with package k8s's) and requires the imported program to give every
// sampled flow of the program's world the verdict compile/eval gives the
// compiled program. The compiler and the importer reach the IR on their
// own, so a misreading of the API by either side shows. Programs come from
// testgen.NewOrdered restricted to what the target expresses (ordered
// blocks with allow, deny and pass, baseline isolation, namespaces'
// NetworkPolicies) and from testgen.NewCilium (deny rules and cluster-wide
// rules, as a CiliumClusterwideNetworkPolicy with deny rules says them).
// The programs the target refuses (named ports of one protocol among them:
// named-port-protocol), and those it writes wider with a warning (a
// degradation, none here), are counted and skipped.
func TestEmitImport(t *testing.T) {
	n := testgen.ProgramCount(*importProgramsFlag, "NETPOLC_IMPORT_PROGRAMS", 40, 30)
	for _, gen := range []struct {
		name    string
		newc    func(int64) *testgen.Case
		flows   func(*testgen.Case) []eval.Flow
		minTrip int // trips that must go through, of n programs
	}{
		{"ordered", func(s int64) *testgen.Case { return testgen.NewOrdered(s, testgen.OrderedOptions{NetpolAPI: true}) }, (*testgen.Case).Flows, n / 4},
		{"ordered-no-named-ports", func(s int64) *testgen.Case {
			return testgen.NewOrdered(s, testgen.OrderedOptions{NetpolAPI: true, NoNamedPorts: true})
		}, (*testgen.Case).Flows, 2 * n},
		{"cilium", testgen.NewCilium, (*testgen.Case).CiliumFlows, 1}, // most use entities, L7 or DNS names
	} {
		var trips, refused, widened, flows, ordered atomic.Int64
		failures := testgen.RunSeeds(1, n, 3, func(seed int64) string {
			c := gen.newc(seed)
			prog, _ := backendtest.CompileGenerated(c)
			if prog == nil {
				return ""
			}
			for _, v := range Versions() {
				_, objs, diags := backends.Run(testBackend(t, v), prog, backends.Options{})
				if diags.HasErrors() {
					refused.Add(1)
					continue
				}
				if slices.ContainsFunc(diags, func(d diag.Diagnostic) bool { return d.Code == codeDegraded }) {
					// The target warned that the objects mean more than the
					// program (a degradation): not a trip that must agree.
					widened.Add(1)
					continue
				}
				out := backendtest.YAML(t, objs)
				back, d := importFiles([]*source.File{source.NewFile("emitted.yaml", out)})
				if d.HasErrors() || back == nil {
					return fmt.Sprintf("%s seed %d, %s: the emitted objects do not import: %v\n--- source\n%s--- emitted\n%s", gen.name, seed, v, d, c.Program.Source(), out)
				}
				fs := gen.flows(c)
				ea, eb := eval.New(prog, c.World), eval.New(back, c.World)
				for _, f := range fs {
					if va, vb := ea.Decide(f), eb.Decide(f); va.Allowed != vb.Allowed {
						return fmt.Sprintf("%s seed %d, %s: flow %s: compiled allowed=%v, emitted and imported allowed=%v\n--- source\n%s--- emitted\n%s--- imported\n%s",
							gen.name, seed, v, f, va.Allowed, vb.Allowed, c.Program.Source(), out, ir.Format(back))
					}
				}
				trips.Add(1)
				flows.Add(int64(len(fs)))
				for _, pol := range back.Policies {
					if pol.Tier == ir.TierOrdered {
						ordered.Add(1)
						break
					}
				}
			}
			return ""
		})
		for _, f := range failures {
			t.Error(f)
		}
		t.Logf("%s: %d trips (%d with ordered policies), %d refused by the target, %d widened with a warning, %d flows",
			gen.name, trips.Load(), ordered.Load(), refused.Load(), widened.Load(), flows.Load())
		if trips.Load() < int64(gen.minTrip) {
			t.Errorf("%s: only %d of %d programs went through the target", gen.name, trips.Load(), 3*n)
		}
	}
}
