package netpolapi

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

var _ backends.Importer = Importer{}

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
			checkSpans(t, prog, file.Name)
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

// checkSpans requires every node of prog to be spanned in file.
func checkSpans(t *testing.T, prog *ir.Program, file string) {
	t.Helper()
	check := func(what string, sp source.Span) {
		if !sp.IsValid() || sp.File != file || sp.End.Offset < sp.Start.Offset {
			t.Errorf("%s has no span in %s: %+v", what, file, sp)
		}
	}
	for _, pol := range prog.Policies {
		check("policy "+pol.Origin, pol.Span)
		check("subject of "+pol.Origin, pol.Subject.Span)
		for _, r := range pol.Rules {
			what := ir.FormatRule(r)
			check(what, r.Span)
			for _, p := range r.Peers {
				check("peer "+ir.FormatPeer(p)+" of "+what, p.Span)
			}
			for _, pr := range r.Ports {
				check("port rule of "+what, pr.Span)
				for _, pt := range pr.Ports {
					check("port "+ir.FormatPort(pt)+" of "+what, pt.Span)
				}
			}
		}
	}
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
	var eps []eval.Endpoint
	for i := range w.Pods {
		eps = append(eps, eval.PodEndpoint(&w.Pods[i]))
	}
	for i := range w.Externals {
		eps = append(eps, eval.ExternalEndpoint(&w.Externals[i]))
	}
	for i := range w.Nodes {
		eps = append(eps, eval.NodeEndpoint(&w.Nodes[i]))
	}
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

// TestV1beta1IsV1alpha2 checks what the importer relies on to read a
// v1beta1 ClusterNetworkPolicy through v1alpha2's type: the two specs have
// the same JSON fields, of the same shapes, all the way down.
func TestV1beta1IsV1alpha2(t *testing.T) {
	a := jsonShape(reflect.TypeFor[v1alpha2.ClusterNetworkPolicySpec](), map[reflect.Type]bool{})
	b := jsonShape(reflect.TypeFor[v1beta1.ClusterNetworkPolicySpec](), map[reflect.Type]bool{})
	if a != b {
		t.Fatalf("the specs differ:\nv1alpha2: %s\nv1beta1:  %s", a, b)
	}
	if len(a) < 500 {
		t.Fatalf("the shape is too short to be the spec: %s", a)
	}
}

// jsonShape renders the JSON fields of t and their kinds, recursively.
func jsonShape(t reflect.Type, seen map[reflect.Type]bool) string {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice:
		return t.Kind().String() + " " + jsonShape(t.Elem(), seen)
	case reflect.Map:
		return "map[" + jsonShape(t.Key(), seen) + "]" + jsonShape(t.Elem(), seen)
	case reflect.Struct:
		if seen[t] {
			return "(recursive)"
		}
		seen[t] = true
		defer delete(seen, t)
		var fields []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			fields = append(fields, tag+":"+jsonShape(f.Type, seen))
		}
		sort.Strings(fields)
		return "{" + strings.Join(fields, ",") + "}"
	}
	return t.Kind().String()
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
