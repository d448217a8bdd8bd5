package decompile_test

import (
	"bytes"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/netpolc/netpolc/compile/decompile"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/format"
	"github.com/netpolc/netpolc/lang/source"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenCase is a program to decompile: its sources by file name.
type goldenCase struct {
	name    string
	sources map[string]string
}

// goldenCases returns the examples and the compiler's txtar cases whose
// programs compile without errors.
func goldenCases(t *testing.T) []goldenCase {
	var cases []goldenCase
	for _, ex := range backendtest.Examples(t, "../../examples") {
		cases = append(cases, goldenCase{name: "example-" + ex.Name, sources: ex.Sources})
	}
	paths, _ := filepath.Glob("../testdata/*.txtar")
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c := goldenCase{name: strings.TrimSuffix(filepath.Base(path), ".txtar"), sources: map[string]string{}}
		for _, f := range txtar.Parse(data).Files {
			if strings.HasSuffix(f.Name, ".netpol") {
				c.sources[f.Name] = string(f.Data)
			}
		}
		if len(c.sources) > 0 {
			cases = append(cases, c)
		}
	}
	return cases
}

// TestGolden decompiles the examples and the compiler's test programs and
// compares the output with testdata/NAME.netpol (-update rewrites them);
// programs that do not compile are skipped. Each output must also be
// format-stable, compile, decompile to itself, and mean what the program
// means on every flow of the program's representative world (plus external
// addresses), on every port it names.
func TestGolden(t *testing.T) {
	ran := 0
	for _, c := range goldenCases(t) {
		prog, set, diags := backendtest.Compile(c.sources)
		if diags.HasErrors() || prog == nil {
			continue
		}
		ran++
		t.Run(c.name, func(t *testing.T) {
			out, dd := decompile.Decompile(prog)
			got := out
			if dd.HasErrors() {
				got = []byte(backendtest.RenderDiags(set, dd))
			}
			backendtest.Golden(t, filepath.Join("testdata", c.name+".netpol"), got, *update)
			if dd.HasErrors() {
				return
			}
			if msg := equivalent(prog, out, world(prog)); msg != "" {
				t.Errorf("%s\n--- output\n%s", msg, out)
			}
		})
	}
	if ran < 10 {
		t.Fatalf("only %d golden programs compiled", ran)
	}
}

// world is the representative world of p with external addresses, pod IPs
// outside every CIDR the programs use.
func world(p *ir.Program) *eval.World {
	w := eval.RepresentativeWorld(p)
	for i := range w.Pods {
		if !w.Pods[i].IP.IsValid() {
			w.Pods[i].IP = netip.AddrFrom4([4]byte{10, 244, 200, byte(i + 1)})
		}
	}
	for _, a := range []string{"8.8.8.8", "52.94.1.1", "104.16.0.1", "169.254.169.254", "10.1.2.3", "192.168.1.1", "2001:db8::7"} {
		w.Externals = append(w.Externals, eval.External{IP: netip.MustParseAddr(a)})
	}
	return w
}

// equivalent checks out, the decompiled source of prog: format-stable,
// compiles, decompiles to itself, and gives every flow between two
// endpoints of w (on every port of interest, TCP, UDP and SCTP) the verdict
// prog gives it. It returns what does not hold.
func equivalent(prog *ir.Program, out []byte, w *eval.World) string {
	if formatted, fd := format.Source(source.NewFile("out.netpol", out)); fd.HasErrors() || !bytes.Equal(formatted, out) {
		return fmt.Sprintf("the output is not format-stable:\n%s", formatted)
	}
	prog2, d2 := backendtest.CompileText("out.netpol", string(out), w)
	if d2.HasErrors() || prog2 == nil {
		return "the output does not compile:\n" + render("out.netpol", string(out), d2)
	}
	out2, d3 := decompile.Decompile(prog2)
	if d3.HasErrors() || !bytes.Equal(out, out2) {
		return fmt.Sprintf("not a fixed point: decompiling the output's IR gives\n%s%s", out2, render("out.netpol", string(out), d3))
	}
	return sameFlows(prog, prog2, w)
}

// sameFlows compares the verdicts of two programs on every flow between
// two endpoints of w (one of them a pod), on every port of interest, over
// TCP, UDP and SCTP; it returns the first difference.
func sameFlows(prog, prog2 *ir.Program, w *eval.World) string {
	ports := testgen.InterestingPorts(prog, w, 53, 443, 8080)
	var eps []eval.Endpoint
	for i := range w.Pods {
		eps = append(eps, eval.PodEndpoint(&w.Pods[i]))
	}
	for i := range w.Externals {
		eps = append(eps, eval.ExternalEndpoint(&w.Externals[i]))
	}
	eps = append(eps, eval.APIServer(), eval.LocalHost())
	ev1, ev2 := eval.New(prog, w), eval.New(prog2, w)
	for _, from := range eps {
		for _, to := range eps {
			if from.Kind != eval.EndpointPod && to.Kind != eval.EndpointPod {
				continue
			}
			for _, port := range ports {
				for _, proto := range []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP} {
					f := eval.Flow{From: from, To: to, Protocol: proto, Port: port}
					v1, v2 := ev1.Decide(f), ev2.Decide(f)
					if v1.Allowed != v2.Allowed || v1.L7Restricted != v2.L7Restricted {
						return fmt.Sprintf("flow %s: the program allowed=%v (L7 restricted %v), the output allowed=%v (L7 restricted %v)",
							f, v1.Allowed, v1.L7Restricted, v2.Allowed, v2.L7Restricted)
					}
				}
			}
		}
	}
	return ""
}
