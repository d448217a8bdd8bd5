package netpolapi

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
	"sigs.k8s.io/network-policy-api/apis/v1alpha1"
)

var (
	_ backends.Importer = Importer{}
	_ backends.Importer = (*Backend)(nil)
)

// importDir holds the hand-written corpus of the importer: manifests
// modelled on the API's documented uses, and error cases (err-*).
const importDir = "testdata/import"

// importFiles reads files and imports their admin policies and
// NetworkPolicies (what the target emits together); the diagnostics are
// those of every step.
func importFiles(files []*source.File) (*ir.Program, diag.List) {
	kinds := append(append([]yamlsrc.Kind{}, k8s.ImportKinds...), ImportKinds...)
	objs, diags := yamlsrc.Read(files, yamlsrc.Options{Kinds: kinds})
	var nps, mine []*yamlsrc.Object
	for _, o := range objs {
		if isImportKind(o) {
			mine = append(mine, o)
		} else {
			nps = append(nps, o)
		}
	}
	var progs []*ir.Program
	if len(nps) > 0 {
		p, d := k8s.New().(backends.Importer).Import(nps)
		diags.Append(d)
		progs = append(progs, p)
	}
	if len(mine) > 0 {
		p, d := Importer{}.Import(mine)
		diags.Append(d)
		progs = append(progs, p)
	}
	if len(progs) == 0 {
		return nil, diags
	}
	return ir.Merge(progs...), diags
}

// TestImportCorpus imports each file of testdata/import (NAME.yaml or
// NAME.json) and compares the diagnostics and the IR (with each policy's
// origin, tier and priority) with NAME.golden (-update rewrites it). Files
// named err-*.* must fail, and their golden holds the positioned
// diagnostics; the others must import without error, with every node
// spanned, and must mean the same after a trip through the target in each
// API version (emitted, written, imported back: the same verdict on every
// flow of a world built from the program).
func TestImportCorpus(t *testing.T) {
	t.Parallel()
	trips := 0
	for _, cf := range backendtest.Corpus(t, importDir, 14, 14) {
		data, err := os.ReadFile(cf.Path)
		if err != nil {
			t.Fatal(err)
		}
		file := source.NewFile(filepath.ToSlash(cf.Path), data)
		prog, diags := importFiles([]*source.File{file})
		t.Run(cf.Name, func(t *testing.T) {
			var got strings.Builder
			got.WriteString(backendtest.RenderDiags(source.NewSet(file), diags.Normalize()))
			if diags.HasErrors() != cf.Err {
				t.Errorf("errors: %v, want %v", diags.HasErrors(), cf.Err)
			}
			if prog != nil && !diags.HasErrors() {
				got.WriteString("--- ir\n")
				got.WriteString(ir.Format(prog))
				for _, pol := range prog.Policies {
					fmt.Fprintf(&got, "origin %s: %s", pol.Origin, pol.Tier)
					if pol.Tier == ir.TierOrdered {
						fmt.Fprintf(&got, " priority %d", pol.Priority)
					}
					got.WriteString("\n")
				}
			}
			backendtest.Golden(t, filepath.Join(importDir, cf.Name+".golden"), []byte(got.String()), *update)
			if cf.Err || prog == nil {
				return
			}
			backendtest.CheckSpans(t, prog, file.Name)
			for _, v := range Versions() {
				if tripped(t, prog, v) {
					trips++
				}
			}
		})
	}
	if trips < 12 {
		t.Errorf("only %d trips of the corpus through the target went through", trips)
	}
}

// tripped emits prog with the target in version v (every object
// validated), writes and imports the objects back and requires the same
// verdicts. It reports false when the target refuses the program (logged:
// not an importer bug).
func tripped(t *testing.T, prog *ir.Program, v string) bool {
	t.Helper()
	_, objs, diags := backends.Run(testBackend(t, v), prog, backends.Options{})
	if diags.HasErrors() {
		t.Logf("%s: the target refuses the program:\n%v", v, diags)
		return false
	}
	out := backendtest.YAML(t, objs)
	back, d := importFiles([]*source.File{source.NewFile("emitted.yaml", out)})
	if d.HasErrors() {
		t.Fatalf("%s: re-import: %v\n%s", v, d, out)
	}
	if msg := sameVerdicts(prog, back, worldOf(prog)); msg != "" {
		t.Errorf("%s: the re-imported objects mean something else: %s\n--- imported\n%s--- emitted\n%s--- re-imported\n%s", v, msg, ir.Format(prog), out, ir.Format(back))
	}
	return true
}

// worldOf is the representative world of p with an external address in
// every CIDR and for every DNS name p names, a few more addresses, and a
// local node.
func worldOf(p *ir.Program) *eval.World {
	var extra []ir.Peer
	for _, pol := range p.Policies {
		for _, r := range pol.Rules {
			for _, peer := range r.Peers {
				if peer.Kind == ir.PeerCIDR || peer.Kind == ir.PeerFQDN {
					extra = append(extra, peer)
				}
			}
		}
	}
	w := eval.RepresentativeWorld(p, extra...)
	for _, a := range []string{"8.8.8.8", "169.254.169.254", "10.1.2.3", "192.0.2.7", "2001:db8::7", "fd00:ec2::254"} {
		w.Externals = append(w.Externals, eval.External{IP: netip.MustParseAddr(a)})
	}
	w.Nodes = append(w.Nodes, eval.Node{Name: "local", Labels: map[string]string{"kubernetes.io/hostname": "local"}, IP: netip.MustParseAddr("172.31.255.1"), Local: true})
	return w
}

// sameVerdicts compares the verdicts of two programs on every flow
// between two endpoints of w (one of them a pod), on every port of
// interest over TCP, UDP and SCTP, and on ICMP; it returns the first
// difference.
func sameVerdicts(a, b *ir.Program, w *eval.World) string {
	ports := testgen.InterestingPorts(a, w, 53, 443, 8080)
	for _, extra := range testgen.InterestingPorts(b, w) {
		ports = append(ports, extra)
	}
	eps := testgen.Endpoints(w)
	eps = append(eps, eval.APIServer())
	ea, eb := eval.New(a, w), eval.New(b, w)
	for _, from := range eps {
		for _, to := range eps {
			if from.Kind != eval.EndpointPod && to.Kind != eval.EndpointPod {
				continue
			}
			var flows []eval.Flow
			for _, port := range ports {
				for _, proto := range []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP} {
					flows = append(flows, eval.Flow{From: from, To: to, Protocol: proto, Port: port})
				}
			}
			flows = append(flows, eval.Flow{From: from, To: to, ICMP: &ir.ICMPType{Family: ir.ICMPv4, Type: "8"}})
			for _, f := range flows {
				va, vb := ea.Decide(f), eb.Decide(f)
				if va.Allowed != vb.Allowed {
					return fmt.Sprintf("flow %s: allowed=%v before, %v after", f, va.Allowed, vb.Allowed)
				}
			}
		}
	}
	return ""
}

// FuzzImport reads and imports arbitrary text: the importer must not
// panic and never report an internal error (IR that fails ir.Validate);
// what it imports without error must decompile-free stay within the IR's
// invariants. The corpus files are the seeds.
func FuzzImport(f *testing.F) {
	paths, _ := filepath.Glob(importDir + "/*.*")
	for _, p := range paths {
		if ext := filepath.Ext(p); ext == ".yaml" || ext == ".json" {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := source.NewFile("fuzz.yaml", data)
		objs, _ := yamlsrc.Read([]*source.File{file}, yamlsrc.Options{Kinds: ImportKinds})
		prog, diags := Importer{}.Import(objs)
		for _, d := range diags {
			if d.Code == codeInternal {
				t.Fatalf("internal error: %v\n%s", d, data)
			}
		}
		if prog != nil {
			if err := ir.Validate(prog); err != nil {
				t.Fatalf("invalid IR without an internal error: %v", err)
			}
		}
	})
}

// TestLint checks Lint's finding and that it returns the import's
// diagnostics: the lines of the warnings on a policy with a rule after a
// deny of everything, one after a rule that covers it, one that is not
// covered (a different port), and a baseline rule after its deny of
// everything.
func TestLint(t *testing.T) {
	src := `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: a
spec:
  priority: 1
  subject:
    namespaces: {}
  egress:
  - action: Pass
    to:
    - pods:
        namespaceSelector: {}
        podSelector: {matchLabels: {app: db}}
    ports:
    - portRange: {start: 5000, end: 6000}
  - action: Deny
    to:
    - pods:
        namespaceSelector: {matchLabels: {env: prod}}
        podSelector: {matchLabels: {app: db, tier: x}}
    ports:
    - portNumber: {port: 5432}
  - action: Deny
    to:
    - pods:
        namespaceSelector: {}
        podSelector: {matchLabels: {app: db}}
    ports:
    - portNumber: {port: 7000}
  - action: Deny
    to:
    - networks: [0.0.0.0/0, "::/0"]
  - action: Allow
    to:
    - namespaces: {}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata:
  name: default
spec:
  subject:
    namespaces: {}
  egress:
  - action: Deny
    to:
    - networks: [0.0.0.0/0, "::/0"]
  - action: Allow
    to:
    - namespaces: {}
`
	objs, _ := yamlsrc.Read([]*source.File{source.NewFile("lint.yaml", []byte(src))}, yamlsrc.Options{Kinds: ImportKinds})
	var got []string
	for _, d := range Lint(objs).Normalize() {
		got = append(got, fmt.Sprintf("%d %s %s", d.Span.Start.Line, d.Severity, d.Code))
	}
	want := []string{"17 warning unreachable-rule", "34 warning unreachable-rule", "49 warning no-effect"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestImportCorpusAgainstReference judges the corpus with the reference of
// the API's tiers of diff_test.go, which reads the upstream objects and
// never sees the IR (it shares no code with the importer), against
// compile/eval on the imported program: the same verdict on every flow
// between a pod and a pod, node or external address of the program's
// world, on the ports of interest over TCP, UDP and SCTP. The reference
// judges objects as the API server stores them, so omitted protocols are
// defaulted to TCP as the CRDs do; it does not resolve domain names, so
// the world's external addresses carry none. Files with two objects of
// one priority are left out (the reference refuses them).
func TestImportCorpusAgainstReference(t *testing.T) {
	judged, flows := 0, 0
	for _, cf := range backendtest.Corpus(t, importDir, 14, 14) {
		if cf.Err {
			continue
		}
		data, err := os.ReadFile(cf.Path)
		if err != nil {
			t.Fatal(err)
		}
		file := source.NewFile(filepath.ToSlash(cf.Path), data)
		objs, _ := yamlsrc.Read([]*source.File{file}, yamlsrc.Options{Kinds: ImportKinds})
		prog, diags := Importer{}.Import(objs)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", cf.Name, diags)
		}
		set, ok := referenceObjects(t, objs)
		if !ok {
			continue
		}
		w := worldOf(prog)
		for i := range w.Externals {
			w.Externals[i].Names = nil
		}
		ref := &reference{w: w, set: readSet(t, set)}
		ev := eval.New(prog, w)
		pods, others := podsAndOthers(w)
		ports := probePorts(prog, w)
		for _, from := range pods {
			var pairs [][2]eval.Endpoint
			for _, to := range append(append([]eval.Endpoint{}, pods...), others...) {
				pairs = append(pairs, [2]eval.Endpoint{from, to})
			}
			for _, o := range others {
				pairs = append(pairs, [2]eval.Endpoint{o, from})
			}
			for _, pair := range pairs {
				for _, port := range ports {
					for _, proto := range []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP} {
						f := eval.Flow{From: pair[0], To: pair[1], Protocol: proto, Port: port}
						flows++
						if got, want := ev.Decide(f).Allowed, referenceAllowed(ref, f); got != want {
							t.Fatalf("%s: %s: the imported program allowed=%v, the reference on the objects allowed=%v\n--- imported\n%s", cf.Name, f, got, want, ir.Format(prog))
						}
					}
				}
			}
		}
		judged++
	}
	t.Logf("%d corpus files, %d flows judged alike", judged, flows)
	if judged < 12 {
		t.Errorf("only %d corpus files judged", judged)
	}
}

// referenceAllowed is reference.allowed for objects without
// NetworkPolicies (the corpus has none; the NetworkPolicy oracle judges no
// node endpoints): the Admin tier, then the Baseline tier, then allowed.
func referenceAllowed(ref *reference, f eval.Flow) bool {
	proto := string(f.Protocol)
	if proto == "" {
		proto = "TCP"
	}
	side := func(d ir.Direction) bool {
		subject, peer := f.From, f.To
		if d == ir.Ingress {
			subject, peer = f.To, f.From
		}
		if subject.Kind != eval.EndpointPod {
			return true
		}
		switch ref.tier(ref.set.admin, d, subject, peer, f.To, proto, f.Port) {
		case "Accept":
			return true
		case "Deny":
			return false
		}
		return ref.tier(ref.set.baseline, d, subject, peer, f.To, proto, f.Port) != "Deny"
	}
	return side(ir.Egress) && side(ir.Ingress)
}

// referenceObjects decodes objs into the types the reference reads (CNP,
// ANP, BANP), with the CRDs' defaulting of omitted protocols (TCP); false
// when two objects of one tier share a priority.
func referenceObjects(t *testing.T, objs []*yamlsrc.Object) ([]any, bool) {
	t.Helper()
	var out []any
	prios := map[string]bool{}
	for _, o := range objs {
		if !isImportKind(o) {
			continue
		}
		tcp := func(p *corev1.Protocol) {
			if *p == "" {
				*p = corev1.ProtocolTCP
			}
		}
		key := ""
		switch o.Kind {
		case KindANP:
			var v ANP
			if d := o.Decode(&v); d.HasErrors() {
				t.Fatal(d)
			}
			for _, rs := range [][]*[]v1alpha1.AdminNetworkPolicyPort{ingressPorts(v.Spec.Ingress), egressPorts(v.Spec.Egress)} {
				for _, ps := range rs {
					for i := range *ps {
						if p := (*ps)[i].PortNumber; p != nil {
							tcp(&p.Protocol)
						}
						if p := (*ps)[i].PortRange; p != nil {
							tcp(&p.Protocol)
						}
					}
				}
			}
			key = fmt.Sprintf("admin %d", v.Spec.Priority)
			out = append(out, &v)
		case KindBANP:
			var v BANP
			if d := o.Decode(&v); d.HasErrors() {
				t.Fatal(d)
			}
			key = "baseline"
			out = append(out, &v)
		default:
			var v CNP
			if d := o.Decode(&v); d.HasErrors() {
				t.Fatal(d)
			}
			key = fmt.Sprintf("%s %d", v.Spec.Tier, v.Spec.Priority)
			out = append(out, &v)
		}
		if prios[key] {
			return nil, false
		}
		prios[key] = true
	}
	return out, true
}

// podsAndOthers returns the endpoints of w's pods, and those of its nodes
// and externals, each in world order.
func podsAndOthers(w *eval.World) (pods, others []eval.Endpoint) {
	for i := range w.Pods {
		pods = append(pods, eval.PodEndpoint(&w.Pods[i]))
	}
	for i := range w.Nodes {
		others = append(others, eval.NodeEndpoint(&w.Nodes[i]))
	}
	for i := range w.Externals {
		others = append(others, eval.ExternalEndpoint(&w.Externals[i]))
	}
	return pods, others
}

func ingressPorts(rs []v1alpha1.AdminNetworkPolicyIngressRule) []*[]v1alpha1.AdminNetworkPolicyPort {
	var out []*[]v1alpha1.AdminNetworkPolicyPort
	for _, r := range rs {
		if r.Ports != nil {
			out = append(out, r.Ports)
		}
	}
	return out
}

func egressPorts(rs []v1alpha1.AdminNetworkPolicyEgressRule) []*[]v1alpha1.AdminNetworkPolicyPort {
	var out []*[]v1alpha1.AdminNetworkPolicyPort
	for _, r := range rs {
		if r.Ports != nil {
			out = append(out, r.Ports)
		}
	}
	return out
}

// TestImportNetworksClusterRanges: networks are read as addresses outside
// the cluster. Without the cluster's ranges that is a warning at each
// network (none inside 169.254.0.0/16); with them, networks clear of the
// ranges read silently, networks that overlap them are an error at the
// network, and 0.0.0.0/0 with ::/0 is still every address (*).
func TestImportNetworksClusterRanges(t *testing.T) {
	src := `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: guard
spec:
  priority: 10
  subject:
    namespaces: {}
  egress:
  - action: Deny
    to:
    - networks: [169.254.169.254/32, 203.0.113.0/24]
  - action: Deny
    to:
    - networks: [10.0.0.0/8]
  - action: Allow
    to:
    - networks: [0.0.0.0/0, '::/0']
`
	cluster := []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}
	for _, c := range []struct {
		cluster []netip.Prefix
		want    string
	}{
		{nil, "warning networks-match-pods 12:38; warning networks-match-pods 15:18"},
		{cluster, "error networks-match-pods 15:18"},
		{[]netip.Prefix{netip.MustParsePrefix("172.16.0.0/12")}, ""},
	} {
		file := source.NewFile("anp.yaml", []byte(src))
		objs, diags := yamlsrc.Read([]*source.File{file}, yamlsrc.Options{Kinds: ImportKinds})
		prog, d := Importer{ClusterCIDRs: c.cluster}.Import(objs)
		diags.Append(d)
		var got []string
		for _, d := range diags {
			got = append(got, fmt.Sprintf("%s %s %d:%d", d.Severity, d.Code, d.Span.Start.Line, d.Span.Start.Col))
		}
		if strings.Join(got, "; ") != c.want {
			t.Errorf("cluster %v: got %q, want %q", c.cluster, strings.Join(got, "; "), c.want)
		}
		if (prog == nil || len(prog.Policies) == 0) != strings.Contains(c.want, "error") {
			t.Errorf("cluster %v: program %v", c.cluster, prog)
		}
	}
}

// TestImportTiesRoundTrip: two admin objects of one priority whose order
// cannot matter import as one block, whose second run has no priority of
// its own when the next object takes the next priority: it shares the
// priority (a warning), and the objects written import again with the
// same meaning (before, the target refused the block). Each version.
func TestImportTiesRoundTrip(t *testing.T) {
	src := `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: team-a
spec:
  priority: 50
  subject:
    namespaces:
      matchLabels: {team: a}
  ingress:
  - action: Deny
    from:
    - namespaces:
        matchLabels: {team: b}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: team-b
spec:
  priority: 50
  subject:
    namespaces:
      matchLabels: {team: b}
  ingress:
  - action: Deny
    from:
    - namespaces:
        matchLabels: {team: a}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: monitoring
spec:
  priority: 51
  subject:
    namespaces: {}
  ingress:
  - action: Allow
    from:
    - namespaces:
        matchLabels: {team: a}
    ports:
    - portNumber: {protocol: TCP, port: 9090}
`
	prog, diags := importFiles([]*source.File{source.NewFile("ties.yaml", []byte(src))})
	if diags.HasErrors() || prog == nil {
		t.Fatalf("import: %v", diags)
	}
	for _, v := range Versions() {
		if !tripped(t, prog, v) {
			t.Errorf("%s: the target refuses the imported objects", v)
			continue
		}
		_, objs, diags := backends.Run(testBackend(t, v), prog, backends.Options{})
		shared := 0
		for _, d := range diags {
			if d.Code == codeSharedPriority {
				shared++
			}
		}
		prios := map[string]int{}
		for _, o := range decodeAll(t, backendtest.YAML(t, objs)) {
			switch x := o.(type) {
			case *ANP:
				prios[x.Name] = int(x.Spec.Priority)
			case *CNP:
				prios[x.Name] = int(x.Spec.Priority)
			}
		}
		if shared != 1 || len(prios) != 3 || fmt.Sprint(sortedValues(prios)) != "[50 50 51]" {
			t.Errorf("%s: %d shared-priority warnings, priorities %v; want one warning and 50, 50, 51", v, shared, prios)
		}
	}
}

func sortedValues(m map[string]int) []int {
	var out []int
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
