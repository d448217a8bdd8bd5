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

func sel(labels ...string) ir.Selector {
	var s ir.Selector
	for i := 0; i+1 < len(labels); i += 2 {
		s.MatchLabels = append(s.MatchLabels, ir.Label{Key: labels[i], Value: labels[i+1]})
	}
	return s.Normalize()
}

func withExpr(s ir.Selector, key string, op ir.Operator, values ...string) ir.Selector {
	s.MatchExpressions = append(s.MatchExpressions, ir.Expression{Key: key, Operator: op, Values: values})
	return s.Normalize()
}

func TestImplies(t *testing.T) {
	cases := []struct {
		a, b ir.Selector
		want bool
	}{
		{sel("app", "web"), sel(), true},
		{sel("app", "web", "tier", "x"), sel("app", "web"), true},
		{sel("app", "web"), sel("app", "web", "tier", "x"), false},
		{sel("app", "web"), withExpr(sel(), "app", ir.OpIn, "api", "web"), true},
		{sel("app", "web"), withExpr(sel(), "app", ir.OpExists), true},
		{sel("app", "web"), withExpr(sel(), "app", ir.OpNotIn, "api"), true},
		{sel("app", "web"), withExpr(sel(), "app", ir.OpNotIn, "web"), false},
		{withExpr(sel(), "app", ir.OpIn, "a", "b"), withExpr(sel(), "app", ir.OpIn, "a", "b", "c"), true},
		{withExpr(sel(), "app", ir.OpIn, "a", "d"), withExpr(sel(), "app", ir.OpIn, "a", "b"), false},
		{withExpr(sel(), "app", ir.OpDoesNotExist), withExpr(sel(), "app", ir.OpNotIn, "a"), true},
		{sel(), sel("app", "web"), false},
	}
	for i, c := range cases {
		if got := implies(c.a, c.b); got != c.want {
			t.Errorf("%d: implies(%s, %s) = %v", i, c.a, c.b, got)
		}
	}
}

func TestMayIntersect(t *testing.T) {
	cases := []struct {
		a, b ir.Selector
		want bool
	}{
		{sel("app", "web"), sel("tier", "x"), true},
		{sel("app", "web"), sel("app", "api"), false},
		{sel("app", "web"), withExpr(sel(), "app", ir.OpNotIn, "web"), false},
		{sel("app", "web"), withExpr(sel(), "app", ir.OpDoesNotExist), false},
		{withExpr(sel(), "app", ir.OpIn, "a", "b"), withExpr(sel(), "app", ir.OpIn, "b", "c"), true},
		{withExpr(sel(), "app", ir.OpIn, "a"), withExpr(sel(), "app", ir.OpIn, "c"), false},
		{withExpr(sel(), "app", ir.OpExists), withExpr(sel(), "app", ir.OpNotIn, "a"), true},
	}
	for i, c := range cases {
		if got := mayIntersect(c.a, c.b); got != c.want {
			t.Errorf("%d: mayIntersect(%s, %s) = %v", i, c.a, c.b, got)
		}
	}
}

func TestFQDNOverlap(t *testing.T) {
	cases := []struct {
		a, b ir.FQDN
		want bool
	}{
		{ir.FQDN{Pattern: "api.a.com", Exact: true}, ir.FQDN{Pattern: "API.a.com", Exact: true}, true},
		{ir.FQDN{Pattern: "s3.a.com", Exact: true}, ir.FQDN{Pattern: "*.a.com"}, true},
		{ir.FQDN{Pattern: "x.s3.a.com", Exact: true}, ir.FQDN{Pattern: "*.a.com"}, false},
		{ir.FQDN{Pattern: "x.s3.a.com", Exact: true}, ir.FQDN{Pattern: "**.a.com"}, true},
		{ir.FQDN{Pattern: "*.a.com"}, ir.FQDN{Pattern: "*.b.com"}, false},
		{ir.FQDN{Pattern: "*.a.com"}, ir.FQDN{Pattern: "**.a.com"}, true},
		{ir.FQDN{Pattern: "*"}, ir.FQDN{Pattern: "x.com", Exact: true}, true},
	}
	for i, c := range cases {
		if got := fqdnsOverlap(c.a, c.b); got != c.want {
			t.Errorf("%d: fqdnsOverlap(%v, %v) = %v", i, c.a, c.b, got)
		}
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
