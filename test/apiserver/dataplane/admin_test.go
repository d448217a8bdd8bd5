package dataplane

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/netpolapi"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/testplan"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/test/apiserver/policylock"
)

// adminTarget is the netpol-api target in the version kube-network-policies
// reads (AdminNetworkPolicy and BaselineAdminNetworkPolicy v1alpha1), every
// object validated by its target's rules.
func adminTarget(t *testing.T) backends.Backend {
	b, err := netpolapi.New(netpolapi.Options{Version: netpolapi.V1Alpha1, ClusterCIDRs: testgen.ClusterCIDRs()})
	if err != nil {
		t.Fatal(err)
	}
	return targetcheck.Checked(b)
}

// TestAdminPolicies runs the agent in its admin-policy mode and enforces
// the netpol-api target's output (v1alpha1 admin policies plus
// NetworkPolicies) for every example that compiles for it, over its
// world.yaml when it has one, and for random programs with deny rules
// (testgen.NewNetpolAPI: ordered blocks, deny, cluster-wide and namespaced
// rules); every packet verdict must be the evaluator's, or,
// where the agent's deviation (a) changes it, the evaluator's without
// cluster-wide egress isolation (counted). The agent returns to its
// NetworkPolicy mode afterwards. It is the package's first test (its file
// sorts first): it holds the policy API lock while the integration tests,
// which run beside it, check everything but the network-policy API, whose
// tests come last there (zz_netpolapi_test.go).
func TestAdminPolicies(t *testing.T) {
	h := setup(t)
	unlock, err := policylock.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if err := h.useAgent(true); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := h.useAgent(false); err != nil {
			t.Errorf("back to the NetworkPolicy mode: %v", err)
		}
	}()

	root := filepath.Join("..", "..", "..")
	dirs, err := os.ReadDir(filepath.Join(root, "examples"))
	if err != nil {
		t.Fatal(err)
	}
	examples := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, sources := exampleFiles(t, root, d.Name())
		var w *eval.World
		if data, err := os.ReadFile(filepath.Join(root, "examples", d.Name(), "world.yaml")); err == nil {
			if w, err = eval.LoadWorld(data); err != nil {
				t.Fatal(err)
			}
		}
		res, diags := netpolc.Build(files, netpolc.Options{Target: adminTarget(t), Compile: compile.Options{World: w}})
		if diags.HasErrors() {
			for _, dg := range diags {
				if dg.Code == "internal" {
					t.Errorf("example %s: %v", d.Name(), dg)
				}
			}
			t.Logf("example %s does not compile for netpol-api (%d errors)", d.Name(), diags.Errors())
			continue
		}
		examples++
		t.Run("example/"+d.Name(), func(t *testing.T) {
			start := time.Now()
			p, err := newProgram("examples/"+d.Name()+" (netpol-api v1alpha1)", res.Program, w, testplan.Options{}, res.Objects, sources)
			if err != nil {
				t.Fatal(err)
			}
			p.admin = true
			p.replay = "go test ./test/apiserver/dataplane -run 'TestAdminPolicies/example/" + d.Name() + "' (through test/apiserver/realk8s.sh run)"
			var st stats
			for _, f := range h.run(p, &st) {
				t.Error(f)
			}
			summary(t, "admin-policy mode, example %s (netpol-api v1alpha1: %s): %s, %v", d.Name(), objectKinds(res.Objects), &st, time.Since(start).Round(time.Millisecond))
		})
	}
	if examples == 0 {
		t.Error("no example compiles for the netpol-api target")
	}

	// Random programs: $NETPOLC_DATAPLANE_ADMIN_PROGRAMS, default 20.
	want := testgen.ProgramCount(0, "NETPOLC_DATAPLANE_ADMIN_PROGRAMS", 20, 0)
	start := time.Now()
	var st stats
	failed, noDeny := 0, 0
	for seed := *seedFlag; st.programs.Load() < int64(want) && seed < *seedFlag+int64(want)*6 && failed < 3; seed++ {
		tc := testgen.NewNetpolAPI(seed)
		if !strings.Contains(tc.Program.Source(), "deny ") {
			noDeny++
			continue
		}
		prog, _ := backendtest.CompileGenerated(tc)
		if prog == nil {
			st.rejectedPrograms.Add(1)
			continue
		}
		objs, diags := emitcheck.Emit(adminTarget(t), prog, backends.Options{})
		if diags.HasErrors() {
			t.Errorf("seed %d: emit failed: %v\n%s", seed, diags, tc.Program.Source())
			failed++
			continue
		}
		name := fmt.Sprintf("testgen.NewNetpolAPI seed %d (netpol-api v1alpha1)", seed)
		replay := fmt.Sprintf("NETPOLC_DATAPLANE_ADMIN_PROGRAMS=1 go test ./test/apiserver/dataplane -run TestAdminPolicies -netpolc.seed=%d (through test/apiserver/realk8s.sh run)", seed)
		if !h.runGenerated(t, tc, name, replay, true, prog, objs, &st) {
			failed++
		}
	}
	summary(t, "admin-policy mode, random programs with deny rules (netpol-api v1alpha1): %s (skipped: %d without a deny rule), %v",
		&st, noDeny, time.Since(start).Round(time.Millisecond))
	if failed == 0 && st.programs.Load() < int64(want) {
		t.Errorf("only %d of the %d programs wanted were enforced", st.programs.Load(), want)
	}
}

// objectKinds counts objects by kind.
func objectKinds(objs []backends.Object) string {
	n := map[string]int{}
	var order []string
	for _, o := range objs {
		if n[o.Kind] == 0 {
			order = append(order, o.Kind)
		}
		n[o.Kind]++
	}
	var out []string
	for _, k := range order {
		out = append(out, fmt.Sprintf("%d %s", n[k], k))
	}
	return strings.Join(out, ", ")
}
