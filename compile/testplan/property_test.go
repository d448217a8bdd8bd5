package testplan_test

import (
	"flag"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/compile/testplan"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/internal/testsupport/nporacle"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
)

var (
	programsFlag = flag.Int("netpolc.programs", 0, "random programs for the property test (default 300, or $NETPOLC_PROGRAMS)")
	seedFlag     = flag.Int64("netpolc.seed", 1, "first seed of the property test")
)

// genOptions keeps the generator's label invariants on the endpoints a plan
// adds: its pods always carry app and tier, its namespaces env (cyclonus
// reads NotIn on a missing key as a mismatch, Kubernetes as a match).
var genOptions = testplan.Options{
	StrangerLabels:  map[string]string{"app": "stranger", "tier": "stranger"},
	NamespaceLabels: map[string]string{"env": "other"},
}

// TestPlanProperties builds the plan of random programs over their worlds
// and checks: every probe's Allowed is a fresh evaluator's verdict on the
// plan's world; the world given is unchanged; flows point into the plan's
// world; no flow repeats; pod addresses are set and unique, and no CIDR
// peer of the program matches an added pod's; and cyclonus on the
// NetworkPolicies the k8s backend emits agrees on every pod-to-pod probe.
func TestPlanProperties(t *testing.T) {
	n := testgen.ProgramCount(*programsFlag, "NETPOLC_PROGRAMS", 300, 60)
	var checked, probes, podProbes, allowed atomic.Int64
	reasons := make([]atomic.Int64, len(testplan.Reasons()))
	failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) string {
		c := testgen.New(seed)
		prog, _ := backendtest.CompileGenerated(c)
		if prog == nil {
			return ""
		}
		before, err := eval.MarshalWorld(c.World)
		if err != nil {
			return err.Error()
		}
		plan, err := testplan.New(prog, c.World, genOptions)
		if err != nil {
			return fmt.Sprintf("seed %d: %v\n%s", seed, err, c.Program.Source())
		}
		if after, _ := eval.MarshalWorld(c.World); string(after) != string(before) {
			return fmt.Sprintf("seed %d: New changed the world it was given", seed)
		}
		if msg := checkPlan(prog, plan); msg != "" {
			return fmt.Sprintf("seed %d: %s\n%s", seed, msg, c.Program.Source())
		}
		objs, diags := emitcheck.Emit(k8s.New(), prog, backends.Options{})
		if diags.HasErrors() {
			return fmt.Sprintf("seed %d: emit: %v", seed, diags)
		}
		var nps []*networkingv1.NetworkPolicy
		for _, o := range objs {
			if np, ok := o.Value.(*networkingv1.NetworkPolicy); ok {
				nps = append(nps, np)
			}
		}
		oracle := nporacle.New(plan.World, nps)
		for _, p := range plan.Probes {
			probes.Add(1)
			if p.Allowed {
				allowed.Add(1)
			}
			for i, r := range testplan.Reasons() {
				if r == p.Reason {
					reasons[i].Add(1)
				}
			}
			if !p.PodToPod() {
				continue
			}
			podProbes.Add(1)
			if got := oracle.Allowed(p.Flow); got != p.Allowed {
				return fmt.Sprintf("seed %d: probe %s (%s): plan says allowed=%v, cyclonus on the k8s output says %v\n%s", seed, p.Flow, p.Reason, p.Allowed, got, c.Program.Source())
			}
		}
		checked.Add(1)
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d programs, %d probes (%d pod to pod, %d allowed)", checked.Load(), probes.Load(), podProbes.Load(), allowed.Load())
	for i, r := range testplan.Reasons() {
		t.Logf("  %-15s %d", r, reasons[i].Load())
		// Over a few dozen programs every reason shows up; a reason that
		// never does means its derivation broke.
		if reasons[i].Load() == 0 && checked.Load() >= 50 && r != testplan.ReasonExpect {
			t.Errorf("no probe with reason %s over %d programs", r, checked.Load())
		}
	}
	if checked.Load() < int64(n)*8/10 {
		t.Errorf("only %d of %d programs checked", checked.Load(), n)
	}
}

// checkPlan checks the invariants of a plan that do not need an oracle.
func checkPlan(prog *ir.Program, plan *testplan.Plan) string {
	fresh := eval.New(prog, plan.World)
	seen := map[string]bool{}
	inWorld := func(ep eval.Endpoint) bool {
		switch ep.Kind {
		case eval.EndpointPod:
			for i := range plan.World.Pods {
				if ep.Pod == &plan.World.Pods[i] {
					return true
				}
			}
		case eval.EndpointExternal:
			for i := range plan.World.Externals {
				if ep.External == &plan.World.Externals[i] {
					return true
				}
			}
		}
		return false
	}
	for _, p := range plan.Probes {
		if !inWorld(p.Flow.From) || !inWorld(p.Flow.To) {
			return fmt.Sprintf("probe %s does not point into the plan's world", p.Flow)
		}
		if p.Flow.From == p.Flow.To {
			return fmt.Sprintf("probe %s goes from an endpoint to itself", p.Flow)
		}
		if v := fresh.Decide(p.Flow); v.Allowed != p.Allowed {
			return fmt.Sprintf("probe %s (%s): plan says allowed=%v, the evaluator %v", p.Flow, p.Reason, p.Allowed, v.Allowed)
		}
		if p.Flow.HTTP != nil || p.Flow.DNSName != "" || p.Flow.ICMP != nil {
			return fmt.Sprintf("probe %s is not an L4 connection", p.Flow)
		}
		if p.Reason == "" || p.Origin == "" {
			return fmt.Sprintf("probe %s has no reason or origin", p.Flow)
		}
		if p.Source == "" && p.Note == "" {
			return fmt.Sprintf("probe %s: neither a source nor a note says what decides it", p.Flow)
		}
		k := p.Flow.String()
		if seen[k] {
			return fmt.Sprintf("probe %s twice", k)
		}
		seen[k] = true
	}
	ips := map[netip.Addr]string{}
	for _, pod := range plan.World.Pods {
		if !pod.IP.IsValid() {
			return fmt.Sprintf("pod %s/%s has no address", pod.Namespace, pod.Name)
		}
		if other, ok := ips[pod.IP]; ok {
			return fmt.Sprintf("pods %s and %s/%s share %s", other, pod.Namespace, pod.Name, pod.IP)
		}
		ips[pod.IP] = pod.Namespace + "/" + pod.Name
	}
	for _, x := range plan.World.Externals {
		if pod, ok := ips[x.IP]; ok {
			return fmt.Sprintf("external %s has the address of pod %s", x.IP, pod)
		}
	}
	return ""
}

// TestPlanPropertiesCilium checks the invariants of checkPlan on the
// programs of the Cilium differential tests (testgen.NewCilium: deny rules,
// FQDN peers, entities, nodes, ICMP, L7 rules), whose plans skip what they
// cannot probe.
func TestPlanPropertiesCilium(t *testing.T) {
	n := testgen.ProgramCount(*programsFlag, "NETPOLC_PROGRAMS", 300, 60)
	var checked, probes, skipped atomic.Int64
	failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) string {
		c := testgen.NewCilium(seed)
		prog, _ := backendtest.CompileGenerated(c)
		if prog == nil {
			return ""
		}
		plan, err := testplan.New(prog, c.World, testplan.Options{})
		if err != nil {
			return fmt.Sprintf("seed %d: %v\n%s", seed, err, c.Program.Source())
		}
		if msg := checkPlan(prog, plan); msg != "" {
			return fmt.Sprintf("seed %d: %s\n%s", seed, msg, c.Program.Source())
		}
		checked.Add(1)
		probes.Add(int64(len(plan.Probes)))
		skipped.Add(int64(len(plan.Skipped)))
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d programs, %d probes, %d things skipped", checked.Load(), probes.Load(), skipped.Load())
	if checked.Load() < int64(n)*8/10 {
		t.Errorf("only %d of %d programs checked", checked.Load(), n)
	}
}

// TestPlanPropertiesOrdered checks the invariants of checkPlan on programs
// with ordered blocks (testgen.NewOrdered), and that the probes exercise
// them: some probe is decided by an ordered allow, deny and pass.
func TestPlanPropertiesOrdered(t *testing.T) {
	n := testgen.ProgramCount(*programsFlag, "NETPOLC_PROGRAMS", 200, 40)
	var checked, probes atomic.Int64
	var byAction [3]atomic.Int64 // ir.Allow, ir.Deny, ir.Pass
	failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) string {
		c := testgen.NewOrdered(seed, testgen.OrderedOptions{})
		prog, _ := backendtest.CompileGenerated(c)
		if prog == nil {
			return ""
		}
		plan, err := testplan.New(prog, c.World, genOptions)
		if err != nil {
			return fmt.Sprintf("seed %d: %v\n%s", seed, err, c.Program.Source())
		}
		if msg := checkPlan(prog, plan); msg != "" {
			return fmt.Sprintf("seed %d: %s\n%s", seed, msg, c.Program.Source())
		}
		fresh := eval.New(prog, plan.World)
		for _, p := range plan.Probes {
			v := fresh.Decide(p.Flow)
			for _, s := range []eval.Side{v.Egress, v.Ingress} {
				if s.Ordered != nil {
					byAction[s.Ordered.Action].Add(1)
				}
			}
		}
		checked.Add(1)
		probes.Add(int64(len(plan.Probes)))
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d programs, %d probes; sides decided by an ordered allow %d, deny %d, pass %d",
		checked.Load(), probes.Load(), byAction[ir.Allow].Load(), byAction[ir.Deny].Load(), byAction[ir.Pass].Load())
	for a := range byAction {
		if byAction[a].Load() == 0 && checked.Load() >= 20 {
			t.Errorf("no probe is decided by an ordered %s rule", ir.Action(a))
		}
	}
	if checked.Load() < int64(n)*8/10 {
		t.Errorf("only %d of %d programs checked", checked.Load(), n)
	}
}
