package testplan_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/compile/testplan"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
)

func compileProgram(t *testing.T, src string, w *eval.World) *ir.Program {
	t.Helper()
	prog, diags := backendtest.CompileText("p.netpol", src, w)
	if diags.HasErrors() || prog == nil {
		t.Fatalf("compile: %v", diags)
	}
	return prog
}

func newPlan(t *testing.T, prog *ir.Program, w *eval.World) *testplan.Plan {
	t.Helper()
	plan, err := testplan.New(prog, w, testplan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Whatever the test checks, every verdict is the evaluator's.
	e := eval.New(prog, plan.World)
	for _, p := range plan.Probes {
		if v := e.Decide(p.Flow); v.Allowed != p.Allowed {
			t.Fatalf("probe %s: plan says %v, evaluator %v", p.Flow, p.Allowed, v.Allowed)
		}
	}
	return plan
}

// probe returns the probe whose flow renders as flow ("ns/a -> ns/b:80/TCP").
func probe(t *testing.T, plan *testplan.Plan, flow string) testplan.Probe {
	t.Helper()
	for _, p := range plan.Probes {
		if p.Flow.String() == flow {
			return p
		}
	}
	var all []string
	for _, p := range plan.Probes {
		all = append(all, p.Reason+" "+p.Flow.String())
	}
	t.Fatalf("no probe %s; the plan has:\n%s", flow, strings.Join(all, "\n"))
	return testplan.Probe{}
}

type want struct {
	flow    string
	reason  string
	allowed bool
	source  string // "" to not check
	origin  string
}

func check(t *testing.T, plan *testplan.Plan, wants []want) {
	t.Helper()
	for _, w := range wants {
		p := probe(t, plan, w.flow)
		if p.Reason != w.reason || p.Allowed != w.allowed || (w.source != "" && p.Source != w.source) || p.Origin != w.origin {
			t.Errorf("probe %s: got reason %s allowed %v source %q origin %q; want %s %v %q %q",
				w.flow, p.Reason, p.Allowed, p.Source, p.Origin, w.reason, w.allowed, w.source, w.origin)
		}
	}
}

const shop = `namespace shop
default deny
web = {app: web}
db = {app: db}
nginx = ingress-nginx/{app: nginx}
web -> db:[5432/tcp, 8000-8010]
nginx -> web:8080/tcp
expect web -> db:5432 allowed
expect db -> web:8080 denied
`

func TestRulePorts(t *testing.T) {
	plan := newPlan(t, compileProgram(t, shop, nil), nil)
	check(t, plan, []want{
		{"shop/web -> shop/db:5432/TCP", testplan.ReasonExpect, true, "p.netpol:6", "p.netpol:8"},
		{"shop/db -> shop/web:8080/TCP", testplan.ReasonExpect, false, "p.netpol:2, p.netpol:6", "p.netpol:9"},
		// The first and last port of the range; the port after each.
		{"shop/web -> shop/db:8000/TCP", testplan.ReasonPortAllowed, true, "p.netpol:6", "p.netpol:6"},
		{"shop/web -> shop/db:8010/TCP", testplan.ReasonPortAllowed, true, "p.netpol:6", "p.netpol:6"},
		{"shop/web -> shop/db:5433/TCP", testplan.ReasonPortNeighbour, false, "", "p.netpol:6"},
		{"shop/web -> shop/db:8011/TCP", testplan.ReasonPortNeighbour, false, "", "p.netpol:6"},
		{"shop/web -> shop/db:5432/UDP", testplan.ReasonOtherProtocol, false, "", "p.netpol:6"},
		{"shop/web -> shop/db:8000/UDP", testplan.ReasonOtherProtocol, false, "", "p.netpol:6"},
		// A pod of shop in no rule, as destination and as source.
		{"shop/web -> shop/stranger:5432/TCP", testplan.ReasonNamespaceOnly, false, "", "p.netpol:6"},
		{"shop/stranger -> shop/db:5432/TCP", testplan.ReasonStranger, false, "p.netpol:2, p.netpol:6", "p.netpol:6"},
		// nginx: its namespace without its labels, its labels elsewhere.
		{"ingress-nginx/nginx -> shop/web:8080/TCP", testplan.ReasonPortAllowed, true, "p.netpol:7", "p.netpol:7"},
		{"ingress-nginx/stranger -> shop/web:8080/TCP", testplan.ReasonNamespaceOnly, false, "", "p.netpol:7"},
		{"ingress-nginx/nginx -> shop/stranger:8080/TCP", testplan.ReasonStranger, false, "", "p.netpol:7"},
	})
	// The pods-only copy of nginx sits in a namespace that is not
	// ingress-nginx and carries nginx's labels.
	var podsOnly []testplan.Probe
	for _, p := range plan.Probes {
		if p.Reason == testplan.ReasonPodsOnly && p.Origin == "p.netpol:7" {
			podsOnly = append(podsOnly, p)
		}
	}
	if len(podsOnly) != 1 || podsOnly[0].Flow.From.Pod.Namespace == "ingress-nginx" ||
		podsOnly[0].Flow.From.Pod.Labels["app"] != "nginx" || podsOnly[0].Allowed {
		t.Errorf("pods-only probes of line 7: %+v", podsOnly)
	}
	if got := probe(t, plan, "ingress-nginx/nginx -> shop/web:8080/TCP").Note; got != "egress of ingress-nginx/nginx not governed" {
		t.Errorf("note: %q", got)
	}
}

func TestCIDREdges(t *testing.T) {
	prog := compileProgram(t, `namespace shop
web = {app: web}
egress web -> 10.0.0.0/8 except [10.1.0.0/16, 10.244.0.0/16]:443/tcp
`, nil)
	plan := newPlan(t, prog, nil)
	check(t, plan, []want{
		{"shop/web -> 10.0.0.1:443/TCP", testplan.ReasonPortAllowed, true, "p.netpol:3", "p.netpol:3"},
		{"shop/web -> 10.255.255.254:443/TCP", testplan.ReasonCIDREdge, true, "p.netpol:3", "p.netpol:3"},
		{"shop/web -> 9.255.255.255:443/TCP", testplan.ReasonCIDROutside, false, "p.netpol:3", "p.netpol:3"},
		{"shop/web -> 11.0.0.0:443/TCP", testplan.ReasonCIDROutside, false, "p.netpol:3", "p.netpol:3"},
		{"shop/web -> 10.1.0.0:443/TCP", testplan.ReasonExceptEdge, false, "p.netpol:3", "p.netpol:3"},
		{"shop/web -> 10.1.255.255:443/TCP", testplan.ReasonExceptEdge, false, "p.netpol:3", "p.netpol:3"},
		{"shop/web -> 10.0.0.1:444/TCP", testplan.ReasonPortNeighbour, false, "p.netpol:3", "p.netpol:3"},
	})
	for _, p := range plan.World.Pods {
		if !p.IP.IsValid() || !strings.HasPrefix(p.IP.String(), "10.244.") {
			t.Errorf("pod %s/%s: address %v, want one of 10.244.0.0/16", p.Namespace, p.Name, p.IP)
		}
	}
	// Pods get addresses no CIDR peer matches: 10.244.0.0/16 is inside
	// 10.0.0.0/8, so they come from the next range.
	prog = compileProgram(t, `namespace shop
web = {app: web}
egress web -> 10.0.0.0/8:443/tcp
`, nil)
	plan = newPlan(t, prog, nil)
	for _, p := range plan.World.Pods {
		if !p.IP.IsValid() || !strings.HasPrefix(p.IP.String(), "100.64.") {
			t.Errorf("pod %s/%s: address %v, want one of 100.64.0.0/10", p.Namespace, p.Name, p.IP)
		}
	}
	if len(plan.Warnings) != 0 {
		t.Errorf("warnings: %v", plan.Warnings)
	}
	// With no address outside the CIDR, pods get addresses inside it and
	// the plan warns.
	plan, err := testplan.New(prog, nil, testplan.Options{PodRanges: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/24")}})
	if err != nil || len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "inside the CIDR peers") {
		t.Errorf("New with a pod range inside the CIDR: err = %v, warnings %v", err, plan.Warnings)
	}
	for _, p := range plan.World.Pods {
		if !strings.HasPrefix(p.IP.String(), "10.244.0.") {
			t.Errorf("pod %s/%s: address %v, want one of 10.244.0.0/24", p.Namespace, p.Name, p.IP)
		}
	}
	if _, err := testplan.New(prog, nil, testplan.Options{PodRanges: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/31")}}); err == nil || !strings.Contains(err.Error(), "no free pod address") {
		t.Errorf("New with a range too small: err = %v", err)
	}
}

func TestDNS(t *testing.T) {
	plan := newPlan(t, compileProgram(t, `namespace shop
default deny
allow dns
`, nil), nil)
	var dns []string
	for _, p := range plan.Probes {
		if p.Reason == testplan.ReasonDNS {
			dns = append(dns, fmt.Sprintf("%s %v %s", p.Flow, p.Allowed, p.Source))
		}
	}
	wantDNS := []string{
		"shop/pod -> kube-system/kube-dns:53/UDP true p.netpol:3",
		"shop/pod -> kube-system/kube-dns:53/TCP true p.netpol:3",
	}
	if strings.Join(dns, "\n") != strings.Join(wantDNS, "\n") {
		t.Errorf("dns probes:\n%s\nwant:\n%s", strings.Join(dns, "\n"), strings.Join(wantDNS, "\n"))
	}
	check(t, plan, []want{
		{"shop/pod -> kube-system/kube-dns:54/UDP", testplan.ReasonPortNeighbour, false, "p.netpol:2", "p.netpol:3"},
	})
}

func TestNamedPortsAndWorld(t *testing.T) {
	w, err := eval.LoadWorld([]byte(`
namespaces: {shop: {}, monitoring: {team: obs}}
pods:
  - {namespace: shop, name: web-0, labels: {app: web}, ports: [{name: metrics, port: 9090}]}
  - {namespace: shop, name: web-1, labels: {app: web}, ip: 10.244.0.1}
  - {namespace: monitoring, name: prom-0, labels: {app: prom}}
`))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := eval.MarshalWorld(w)
	prog := compileProgram(t, `namespace shop
default deny ingress
monitoring/{app: prom} -> {app: web}:metrics
`, w)
	plan := newPlan(t, prog, w)
	if after, _ := eval.MarshalWorld(w); !bytes.Equal(before, after) {
		t.Errorf("New changed the world it was given")
	}
	check(t, plan, []want{
		{"monitoring/prom-0 -> shop/web-0:9090/TCP", testplan.ReasonPortAllowed, true, "p.netpol:3", "p.netpol:3"},
		{"monitoring/prom-0 -> shop/web-0:9091/TCP", testplan.ReasonPortNeighbour, false, "p.netpol:2, p.netpol:3", "p.netpol:3"},
		{"monitoring/prom-0 -> shop/web-0:9090/UDP", testplan.ReasonOtherProtocol, false, "", "p.netpol:3"},
	})
	// Every pod has an address, the world's kept, the others new and
	// unique.
	ips := map[string]bool{}
	for _, p := range plan.World.Pods {
		if !p.IP.IsValid() || ips[p.IP.String()] {
			t.Errorf("pod %s/%s: address %v", p.Namespace, p.Name, p.IP)
		}
		ips[p.IP.String()] = true
		if p.Name == "web-1" && p.IP.String() != "10.244.0.1" {
			t.Errorf("web-1 lost its address: %v", p.IP)
		}
	}
}

func TestSelfPeerAndSkipped(t *testing.T) {
	plan := newPlan(t, compileProgram(t, `namespace shop
default deny
web = {app: web}
web -> web:80/tcp
web -> web:icmp
web -> web:443/tcp
`, nil), nil)
	// A pod does not probe itself: a twin of web stands for the peer.
	check(t, plan, []want{
		{"shop/web -> shop/web-peer:80/TCP", testplan.ReasonPortAllowed, true, "p.netpol:4", "p.netpol:4"},
	})
	twins := 0
	for i, p := range plan.World.Pods {
		if plan.Added[i] == testplan.AddedPeer {
			twins++
			if p.Namespace != "shop" || p.Name != "web-peer" || p.Labels["app"] != "web" {
				t.Errorf("twin %s/%s %v", p.Namespace, p.Name, p.Labels)
			}
		}
	}
	if twins != 1 {
		t.Errorf("%d twins of web, want 1", twins)
	}
	for _, p := range plan.Probes {
		if p.Flow.From == p.Flow.To {
			t.Errorf("probe from a pod to itself: %s", p.Flow)
		}
	}
	found := false
	for _, s := range plan.Skipped {
		if s.Source == "p.netpol:5" && strings.Contains(s.What, "ICMP") {
			found = true
		}
	}
	if !found {
		t.Errorf("the ICMP rule is not in Skipped: %+v", plan.Skipped)
	}
}

func TestDeterministic(t *testing.T) {
	data, err := os.ReadFile("../../examples/zero-trust/production.netpol")
	if err != nil {
		t.Fatal(err)
	}
	var first []byte
	for i := 0; i < 5; i++ {
		prog := compileProgram(t, string(data), nil)
		plan := newPlan(t, prog, nil)
		out, err := plan.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = out
		} else if !bytes.Equal(out, first) {
			t.Fatalf("run %d gave another plan", i)
		}
	}
}

func TestLabelKeyRefused(t *testing.T) {
	prog := compileProgram(t, `namespace shop
web = {app: web}
web -> {"testplan.netpolc.io/plan": x}:80/tcp
`, nil)
	plan := newPlan(t, prog, nil)
	for name, render := range map[string]func(*ir.Program, *testplan.Plan, testplan.RunOptions) ([]byte, error){
		"manifests": testplan.Manifests, "script": testplan.Script,
	} {
		_, err := render(prog, plan, testplan.RunOptions{})
		var ke *testplan.LabelKeyError
		if !errors.As(err, &ke) || ke.Span.Start.Line != 3 {
			t.Errorf("%s: err = %v, want a LabelKeyError at line 3", name, err)
		}
	}
	// The plan itself does not need the label.
	if _, err := plan.YAML(); err != nil {
		t.Error(err)
	}
}

// TestYAMLReadsLikeJSON: the YAML plan reads back, with the YAML 1.1
// reader of the Kubernetes tools, as the JSON plan, also for label values
// YAML 1.1 takes for booleans, numbers or null.
func TestYAMLReadsLikeJSON(t *testing.T) {
	w, err := eval.LoadWorld([]byte(`
namespaces: {shop: {"on": "yes"}}
pods:
  - {namespace: shop, name: web, labels: {app: "y", v: "1.2", n: "null", o: "010", e: "1e3", t: "~"}}
  - {namespace: shop, name: db, labels: {app: "off"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	prog := compileProgram(t, `namespace shop
default deny
{app: "y"} -> {app: "off"}:5432/tcp
`, w)
	plan := newPlan(t, prog, w)
	y, err := plan.YAML()
	if err != nil {
		t.Fatal(err)
	}
	j, err := plan.JSON()
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(fromYAML, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(j, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the YAML plan reads as\n%s\nthe JSON plan is\n%s", fromYAML, j)
	}
}
