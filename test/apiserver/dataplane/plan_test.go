package dataplane

import (
	"fmt"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/compile/testplan"
)

// generatedPlanOptions label the pods and namespaces a test plan adds to a
// generated world the way the generator labels all of its own: every pod
// has an app and a tier label, every namespace an env label. cyclonus reads
// a NotIn requirement on a missing key as no match, while Kubernetes
// (apimachinery's label selectors, which the API server and the agent use)
// and netpolc's evaluator read it as a match; the generator's worlds never
// leave such a key missing, and neither may the pods the plan adds, or the
// two oracles would disagree on them. (The dataplane sides with Kubernetes:
// with label-less strangers, seed 14's ns0/p0 -> ns1/stranger:7000/TCP was
// accepted by the agent as the evaluator said, against cyclonus.)
var generatedPlanOptions = testplan.Options{
	StrangerLabels:  map[string]string{"app": "stranger", "tier": "stranger"},
	NamespaceLabels: map[string]string{"env": "stranger"},
}

// newProgram prepares prog for the dataplane with its test plan
// (compile/testplan, what `netpolc testplan` prints): the plan's world (w,
// or the program's representative world, extended with the pods the probes
// need, every pod with an address) and its probes.
func newProgram(name string, prog *ir.Program, w *eval.World, opts testplan.Options, objs []backends.Object, sources map[string][]string) (*program, error) {
	plan, err := testplan.New(prog, w, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: test plan: %w", name, err)
	}
	p := &program{name: name, prog: prog, world: plan.World, objs: objs, sources: sources}
	for _, pr := range plan.Probes {
		p.planned = append(p.planned, plannedProbe{flow: pr.Flow, allowed: pr.Allowed, source: pr.Source, reason: pr.Reason})
	}
	for _, pod := range p.world.Pods {
		if !pod.IP.Is4() {
			return nil, fmt.Errorf("%s: pod %s/%s has no IPv4 address (%v): the dataplane is IPv4 only", name, pod.Namespace, pod.Name, pod.IP)
		}
	}
	return p, nil
}
