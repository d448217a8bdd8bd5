package main

import (
	"strings"
	"testing"
)

const (
	importShop = "testdata/import/shop.yaml"
	importBad  = "testdata/import/bad.yaml"
)

func TestImport(t *testing.T) {
	r := runApp(t, "", "import", "--namespace", "shop", importShop)
	if r.code != exitOK {
		t.Fatalf("import failed\n%s", r)
	}
	for _, want := range []string{
		"namespace shop",
		"# NetworkPolicy shop/db-from-web",
		"# NetworkPolicy shop/web-to-db",
		"-> ", ":5432",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("import output lacks %q\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "skipped Deployment shop/web") {
		t.Errorf("the Deployment is not reported as skipped\n%s", r)
	}
	// The source compiles, and formatting leaves it as it is.
	if c := runApp(t, r.stdout, "compile", "--target", "k8s", "-"); c.code != exitOK {
		t.Errorf("the imported source does not compile\n%s\n%s", r.stdout, c)
	}
	if f := runApp(t, r.stdout, "fmt", "-"); f.code != exitOK || f.stdout != r.stdout {
		t.Errorf("the imported source is not formatted\n%s", f)
	}
	if again := runApp(t, "", "import", "--namespace", "shop", importShop); again.stdout != r.stdout {
		t.Errorf("import is not deterministic")
	}

	t.Run("stdin", func(t *testing.T) {
		shop := readFile(t, importShop)
		if s := runApp(t, shop, "import", "-n", "shop", "-"); s.code != exitOK || s.stdout != strings.ReplaceAll(r.stdout, importShop, "-") {
			t.Errorf("import from standard input differs\n%s", s)
		}
	})
	t.Run("no namespace", func(t *testing.T) {
		n := runApp(t, "", "import", importShop)
		if n.code != exitInput || !strings.Contains(n.stderr, importShop+":22:") || !strings.Contains(n.stderr, "--namespace") || n.stdout != "" {
			t.Errorf("an object without a namespace and no --namespace\n%s", n)
		}
	})
	t.Run("unknown field", func(t *testing.T) {
		b := runApp(t, "", "import", importBad)
		if b.code != exitInput || !strings.Contains(b.stderr, importBad+":7:5") || !strings.Contains(b.stderr, "form") || b.stdout != "" {
			t.Errorf("an unknown field is not an error at its line\n%s", b)
		}
	})
	t.Run("no input", func(t *testing.T) {
		if n := runApp(t, "", "import"); n.code != exitUsage {
			t.Errorf("import without arguments\n%s", n)
		}
	})
}

func TestConvert(t *testing.T) {
	r := runApp(t, "", "convert", "--to", "cilium", "-n", "shop", importShop)
	if r.code != exitOK {
		t.Fatalf("convert failed\n%s", r)
	}
	got := strings.Join(objectsOf(t, r.stdout), ",")
	if !strings.Contains(got, "CiliumNetworkPolicy shop/db-from-web") || !strings.Contains(got, "CiliumNetworkPolicy shop/web-to-db") {
		t.Errorf("objects %s", got)
	}
	if m := runApp(t, "", "convert", importShop); m.code != exitUsage || !strings.Contains(m.stderr, "missing --to") {
		t.Errorf("convert without --to\n%s", m)
	}
	if b := runApp(t, "", "convert", "--to", "k8s", importBad); b.code != exitInput || !strings.Contains(b.stderr, importBad+":7:5") || b.stdout != "" {
		t.Errorf("convert of a bad file\n%s", b)
	}
	if d := runApp(t, "", "convert", "--to", "k8s", "--degrade", "bogus", importShop); d.code != exitUsage || !strings.Contains(d.stderr, "convert") {
		t.Errorf("a bad --degrade is a usage error of convert\n%s", d)
	}
}

// TestConvertHTTPToK8s: HTTP rules have no NetworkPolicy form: one error per
// rule at its YAML line, or with --degrade l7=l4 NetworkPolicies at L4 and
// one warning per rule.
func TestConvertHTTPToK8s(t *testing.T) {
	const l7 = "testdata/import/l7.yaml"
	r := runApp(t, "", "convert", "--to", "k8s", l7)
	if r.code != exitInput || r.stdout != "" {
		t.Fatalf("convert of HTTP rules to k8s\n%s", r)
	}
	for _, at := range []string{l7 + ":15:", l7 + ":23:"} {
		if !strings.Contains(r.stderr, at) {
			t.Errorf("no error at %s\n%s", at, r.stderr)
		}
	}
	if n := strings.Count(r.stderr, "error[unsupported]"); n != 2 || !strings.Contains(r.stderr, "use --to cilium") {
		t.Errorf("%d unsupported errors, want 2 naming --to cilium\n%s", n, r.stderr)
	}

	d := runApp(t, "", "convert", "--to", "k8s", "--degrade", "l7=l4", l7)
	if d.code != exitOK {
		t.Fatalf("convert --degrade l7=l4\n%s", d)
	}
	if n := strings.Count(d.stderr, "warning[degraded]"); n != 2 {
		t.Errorf("%d degraded warnings, want 2\n%s", n, d.stderr)
	}
	if got := strings.Join(objectsOf(t, d.stdout), ","); got != "NetworkPolicy shop/web-l7" {
		t.Errorf("objects %s", got)
	}
	for _, want := range []string{"port: 8080", "port: 9090", "netpolc.io/not-enforced"} {
		if !strings.Contains(d.stdout, want) {
			t.Errorf("the NetworkPolicy lacks %q\n%s", want, d.stdout)
		}
	}
}
