package cilium

import (
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
)

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{"": "1.20", "1.19": "1.19", "v1.18.4": "1.18", "1.20.2": "1.20"} {
		v, err := ParseVersion(in)
		if err != nil || v.String() != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
	for _, in := range []string{"1", "2.0", "1.x", "1.20.2.1", "1.020", "latest"} {
		if _, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) succeeded", in)
		}
	}
	if v, _ := ParseVersion("1.18"); v.AtLeast(1, 19) {
		t.Errorf("1.18 >= 1.19")
	}
}

// TestEffectiveDoesNotModify: Effective copies what it changes.
func TestEffectiveDoesNotModify(t *testing.T) {
	prog, set, diags := backendtest.Compile(map[string]string{"a.netpol": "namespace shop\nallow dns for {app: api}\n{app: web} -> \"*.example.com\":443\n"})
	if diags.HasErrors() {
		t.Fatal(backendtest.RenderDiags(set, diags))
	}
	before := ir.Format(prog)
	eff := Effective(prog)
	if ir.Format(prog) != before {
		t.Fatalf("Effective modified its input:\n%s\n---\n%s", before, ir.Format(prog))
	}
	if err := ir.Validate(eff); err != nil {
		t.Fatalf("Effective is not valid IR: %v", err)
	}
	added := 0
	for _, pol := range eff.Policies {
		for _, r := range pol.Rules {
			if r.DNS {
				for _, pr := range r.Ports {
					if len(pr.DNS) != 1 || pr.DNS[0].Pattern != "*" {
						t.Errorf("DNS rule without the \"*\" lookup pattern: %s", ir.FormatRule(r))
					}
				}
				if pol.Subject.Pods.String() == "{app: web}" {
					added++
				}
			}
		}
	}
	if added != 1 {
		t.Errorf("%d DNS-proxy rules added for {app: web}, want 1:\n%s", added, ir.Format(eff))
	}
}
