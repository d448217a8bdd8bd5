package netpolc_test

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

func files(src string) []*source.File {
	return []*source.File{source.NewFile("in.netpol", []byte(src))}
}

func codes(l diag.List) []string {
	var out []string
	for _, d := range l {
		out = append(out, d.Severity.String()+":"+string(d.Code))
	}
	return out
}

// TestBuildStages: each stage runs only when the ones before reported no
// error, and the result holds what the stages that ran produced.
func TestBuildStages(t *testing.T) {
	targets := targetcheck.Targets()
	k8s, _ := targets.Lookup("k8s")
	cil, _ := targets.Lookup("cilium")
	const fqdn = "namespace shop\nweb = {app: web}\nweb -> \"api.example.com\":443/tcp\n"

	t.Run("compile error", func(t *testing.T) {
		res, diags := netpolc.Build(files("namespace shop\nweb -> db:5432/tcp\n"), netpolc.Options{Target: k8s})
		if !diags.HasErrors() || res.Program != nil || res.Prepared != nil || res.Objects != nil {
			t.Fatalf("want a compile error and nothing else, got %v %+v", codes(diags), res)
		}
	})
	t.Run("no target", func(t *testing.T) {
		res, diags := netpolc.Build(files(fqdn), netpolc.Options{})
		if diags.HasErrors() || res.Program == nil || res.Prepared != nil || res.Objects != nil {
			t.Fatalf("want the compiled program only, got %v %+v", codes(diags), res)
		}
	})
	t.Run("capabilities", func(t *testing.T) {
		res, diags := netpolc.Build(files(fqdn), netpolc.Options{Target: k8s, Targets: targets})
		if !diags.HasErrors() || res.Program == nil || res.Prepared != nil || res.Objects != nil {
			t.Fatalf("want an unsupported error, got %v %+v", codes(diags), res)
		}
		for _, d := range diags {
			if d.Severity == diag.Error && !strings.Contains(d.Message, "use --target cilium") {
				t.Errorf("the error names no other target: %s", d.Message)
			}
		}
	})
	t.Run("prepare error", func(t *testing.T) {
		old, err := cilium.New(cilium.Options{Version: "1.18"})
		if err != nil {
			t.Fatal(err)
		}
		res, diags := netpolc.Build(files("namespace shop\nweb = {app: web}\nweb -> \"**.example.com\":443/tcp\n"),
			netpolc.Options{Target: targetcheck.Checked(old)})
		if !diags.HasErrors() || res.Prepared != nil || res.Objects != nil {
			t.Fatalf("want the version error of Prepare, got %v %+v", codes(diags), res)
		}
	})
	t.Run("emit", func(t *testing.T) {
		res, diags := netpolc.Build(files(fqdn), netpolc.Options{Target: cil})
		if diags.HasErrors() || len(res.Objects) != 1 {
			t.Fatalf("want one object, got %v %+v", codes(diags), res)
		}
		if got := strings.Join(codes(diags), " "); got != "warning:no-dns warning:dns-proxy-added" {
			t.Errorf("diagnostics %s, want the compiler's no-dns and Prepare's DNS-proxy warnings", got)
		}
		// Prepare added the DNS-proxy rule to a new program.
		if n, m := len(res.Program.Policies[0].Rules), len(res.Prepared.Policies[0].Rules); m != n+1 {
			t.Errorf("prepared policy has %d rules, compiled %d; want one added", m, n)
		}
		if err := ir.Validate(res.Prepared); err != nil {
			t.Errorf("the prepared program is not valid IR: %v", err)
		}
		var buf bytes.Buffer
		if err := netpolc.Write(&buf, res.Objects, backends.FormatJSON); err != nil {
			t.Fatal(err)
		}
		if err := targetcheck.Stream(buf.Bytes()); err != nil {
			t.Error(err)
		}
	})
}

func TestWriteRejectsFormat(t *testing.T) {
	if err := netpolc.Write(&bytes.Buffer{}, nil, "xml"); err == nil {
		t.Fatal("format xml accepted")
	}
}

func TestNewTargets(t *testing.T) {
	if _, err := netpolc.NewTargets(netpolc.TargetOptions{Cilium: cilium.Options{Version: "2.0"}}); err == nil ||
		err.Error() != `--cilium-version "2.0": only Cilium 1.x is known` {
		t.Fatalf("err = %v", err)
	}
	if got := strings.Join(netpolc.DefaultTargets().Names(), " "); got != "cilium k8s netpol-api" {
		t.Fatalf("DefaultTargets = %s", got)
	}
}

// TestCheckedTargetsAreTheDefaults keeps the tests' checked registry
// (targetcheck.Targets, built without the facade) in step with
// DefaultTargets: the same names, descriptions and capabilities.
func TestCheckedTargetsAreTheDefaults(t *testing.T) {
	def, checked := netpolc.DefaultTargets(), targetcheck.Targets()
	if !slices.Equal(def.Names(), checked.Names()) {
		t.Fatalf("targetcheck.Targets() = %v, DefaultTargets() = %v", checked.Names(), def.Names())
	}
	for _, name := range def.Names() {
		d, _ := def.Lookup(name)
		c, _ := checked.Lookup(name)
		if d.Description() != c.Description() || !maps.Equal(d.Capabilities(), c.Capabilities()) {
			t.Errorf("%s: the checked backend differs from the default one", name)
		}
	}
}
