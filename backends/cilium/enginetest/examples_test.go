package enginetest

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
)

const examples = "../../../examples"

// TestDifferentialExamples compiles every example, emits it with the Cilium
// backend and compares Cilium's engine with compile/eval on
// ciliumExpected(program) over the example's representative world plus
// external addresses (some with DNS names) and a remote node: every ordered
// pair of endpoints, every port the program uses and its neighbours, on TCP,
// UDP and SCTP; every TCP flow again with each HTTP request of the
// program's expectations and of the generator; DNS lookups to the DNS pods.
// Examples that compile for NetworkPolicy are also loaded through Cilium's
// NetworkPolicy translator and must agree at L3/L4.
func TestDifferentialExamples(t *testing.T) {
	ran := 0
	for _, ex := range backendtest.Examples(t, examples) {
		t.Run(ex.Name, func(t *testing.T) {
			prog, decoded, yamlOut := emitExample(t, ex)
			w := exampleWorld(prog)
			eng, err := New(w, decoded)
			if err != nil {
				t.Fatalf("Cilium rejects the emitted policies: %v", err)
			}
			flows := exampleFlows(prog, w)
			n, allowed, l7, requests, mismatch := compareFlows(prog, w, eng, flows)
			if mismatch != "" {
				t.Fatalf("%s\n--- emitted YAML\n%s", mismatch, yamlOut)
			}
			t.Logf("%d flows agree (%d allowed, %d L7-restricted, %d with a request)", n, allowed, l7, requests)

			kobjs, kd := targetcheck.Emit(k8s.New(), prog, backends.Options{})
			if kd.HasErrors() {
				if failure := onlyUnsupported(kd); failure != "" {
					t.Fatal(failure)
				}
				return // not expressible as NetworkPolicy (cilium-l7)
			}
			kdata, err := YAML(kobjs)
			if err != nil {
				t.Fatal(err)
			}
			keng, err := Load(w, kdata)
			if err != nil {
				t.Fatal(err)
			}
			kn, mismatch := compareBackends(eng, keng, flows)
			if mismatch != "" {
				t.Fatalf("%s\n--- emitted NetworkPolicies\n%s", mismatch, kdata)
			}
			t.Logf("k8s backend through Cilium: %d L3/L4 flows agree", kn)
		})
		ran++
	}
	if ran == 0 {
		t.Fatal("no examples")
	}
}

// emitExample compiles the .netpol files of an example as one program and
// emits it with the Cilium backend: the program, the strict-decoded objects
// and their YAML.
func emitExample(t *testing.T, ex backendtest.Example) (*ir.Program, Objects, []byte) {
	t.Helper()
	prog, diags := backendtest.CompileFiles(ex.Files(), nil)
	if diags.HasErrors() || prog == nil {
		t.Fatalf("compile: %v", diags)
	}
	objs, ed := targetcheck.Emit(cilium.Backend{}, prog, backends.Options{})
	if ed.HasErrors() {
		if onlyUnsupported(ed) == "" {
			// Not expressible for Cilium (cluster-guard's ordered rules),
			// which its cilium.errors golden covers.
			t.Skipf("Cilium cannot express the example: %v", ed)
		}
		t.Fatalf("emit: %v", ed)
	}
	data, err := YAML(objs)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := DecodeYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	return prog, decoded, data
}

// exampleWorld is the representative world of p plus external addresses
// (some resolving to DNS names the examples use) and a remote node.
func exampleWorld(p *ir.Program) *eval.World {
	w := eval.RepresentativeWorld(p)
	for i := range w.Pods {
		if !w.Pods[i].IP.IsValid() {
			w.Pods[i].IP = netip.AddrFrom4([4]byte{10, 244, 200, byte(i + 1)})
		}
	}
	for _, x := range []eval.External{
		{IP: netip.MustParseAddr("8.8.8.8")},
		{IP: netip.MustParseAddr("52.94.1.1"), Names: []string{"s3.amazonaws.com"}},
		{IP: netip.MustParseAddr("52.94.16.1"), Names: []string{"s3.us-east-1.amazonaws.com"}},
		{IP: netip.MustParseAddr("104.16.0.1")},
		{IP: netip.MustParseAddr("169.254.169.254")},
		{IP: netip.MustParseAddr("10.1.2.3")},
		{IP: netip.MustParseAddr("192.168.1.1")},
		{IP: netip.MustParseAddr("2001:db8::7")},
	} {
		w.Externals = append(w.Externals, x)
	}
	testgen.WithNodes(w)
	return w
}

// exampleFlows returns the flows TestDifferentialExamples checks.
func exampleFlows(p *ir.Program, w *eval.World) []eval.Flow {
	var requests []ir.HTTPRequest
	for _, x := range p.Expectations {
		if x.Request != nil {
			requests = append(requests, *x.Request)
		}
	}
	for i := range requests {
		if requests[i].Host == "" {
			requests[i].Host = "web"
		}
	}
	ports := testgen.InterestingPorts(p, w, 443, 6443)
	eps := testgen.Endpoints(w)
	eps = append(eps, eval.APIServer(), eval.LocalHost())
	subject := func(ep eval.Endpoint) bool { return ep.Kind == eval.EndpointPod }
	var flows []eval.Flow
	for _, from := range eps {
		for _, to := range eps {
			if !subject(from) && !subject(to) {
				continue
			}
			for _, port := range ports {
				for _, proto := range []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP} {
					f := eval.Flow{From: from, To: to, Protocol: proto, Port: port}
					flows = append(flows, f)
					if proto == ir.TCP && (to.Kind == eval.EndpointPod || to.Kind == eval.EndpointExternal) {
						for i := range requests {
							g := f
							g.HTTP = &requests[i]
							flows = append(flows, g)
						}
					}
				}
			}
		}
	}
	for i := range w.Pods {
		if w.Pods[i].Labels["k8s-app"] != "kube-dns" {
			continue
		}
		for j := range w.Pods {
			for _, name := range []string{"s3.amazonaws.com", "example.com", "web.production.svc.cluster.local"} {
				for _, proto := range []ir.Protocol{ir.UDP, ir.TCP} {
					flows = append(flows, eval.Flow{From: eval.PodEndpoint(&w.Pods[j]), To: eval.PodEndpoint(&w.Pods[i]), Protocol: proto, Port: 53, DNSName: name})
				}
			}
		}
	}
	return flows
}

// TestDifferentialRegressions replays testdata/regress/*.txtar: a source
// ("in.netpol"), a world ("world.yaml", compile/eval's format) and "seed N"
// in the comment for the flow sampling.
func TestDifferentialRegressions(t *testing.T) {
	paths, _ := filepath.Glob("testdata/regress/*.txtar")
	if len(paths) == 0 {
		t.Fatal("no regression cases")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			c, _, err := testgen.ReadRegression(path)
			if err != nil {
				t.Fatal(err)
			}
			res := checkCase(c)
			if res.rejected {
				t.Fatalf("does not compile:\n%s", c.Program.Source())
			}
			if res.err != "" {
				t.Fatalf("%s\n--- emitted YAML\n%s", res.err, res.yaml)
			}
			if res.flows == 0 {
				t.Fatal("no flows")
			}
		})
	}
}
