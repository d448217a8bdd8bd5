package netpolc_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// readFiles reads testdata files by their relative names.
func readFiles(t *testing.T, names ...string) []*source.File {
	t.Helper()
	var files []*source.File
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, source.NewFile(filepath.ToSlash(n), data))
	}
	return files
}

// findings renders diagnostics as "file:line code", one per diagnostic.
func findings(l diag.List) []string {
	var out []string
	for _, d := range l {
		out = append(out, fmt.Sprintf("%s:%d %s", filepath.Base(d.Span.File), d.Span.Start.Line, d.Code))
	}
	return out
}

// The YAML examples of a widely read NetworkPolicy guide, as published:
// lint finds the mistakes they carry, each at its line.
func TestLintGuide(t *testing.T) {
	dir := "testdata/lint/guide"
	files := readFiles(t, dir+"/vulnerable.yaml", dir+"/secure.yaml", dir+"/segmentation.yaml", dir+"/cilium.yaml")
	diags := netpolc.Lint(files, netpolc.LintOptions{}).Normalize()
	got := findings(diags)
	want := []string{
		// database-netpol's DNS rule: namespaceSelector and podSelector
		// in two peers, a hand-made namespace label, UDP only.
		"secure.yaml:41 namespace-name-label",
		"secure.yaml:42 or-peers",
		"secure.yaml:46 dns-udp-only",
		// "Allow responses back to web-app": every TCP port, to pods
		// that may connect to the database.
		"secure.yaml:49 reply-rule",
		"secure.yaml:54 all-ports",
		// web-app-netpol and redis-netpol.
		"secure.yaml:74 namespace-name-label",
		"secure.yaml:85 namespace-name-label",
		"secure.yaml:114 or-peers",
		"secure.yaml:118 dns-udp-only",
		"secure.yaml:113 namespace-name-label",
		"secure.yaml:160 namespace-name-label",
		"secure.yaml:161 or-peers",
		"secure.yaml:165 dns-udp-only",
		// default-deny-all isolates egress of every pod; DNS is allowed
		// only to those of three other policies.
		"secure.yaml:10 no-dns",
		// allow-from-dev-to-prod-api: "But only from specific pods" is a
		// second peer, OR.
		"segmentation.yaml:39 or-peers",
		// allow-external-apis: port 53 to every pod of kube-system, UDP
		// only, by a hand-made label.
		"segmentation.yaml:61 dns-unscoped",
		"segmentation.yaml:63 namespace-name-label",
		"segmentation.yaml:65 dns-udp-only",
		// The CiliumNetworkPolicy: toFQDNs without a DNS proxy rule, and
		// "*." for one label.
		"cilium.yaml:35 fqdn-no-dns-proxy",
		"cilium.yaml:36 fqdn-one-label",
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing finding %s", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("unexpected finding %s", g)
		}
	}
	for _, d := range diags {
		if d.Severity != diag.Warning {
			t.Errorf("%v: lint findings are warnings", d)
		}
	}
	// One golden file of the full text output per guide file.
	for _, f := range files[1:] {
		var mine diag.List
		for _, d := range diags {
			if d.Span.File == f.Name {
				mine = append(mine, d)
			}
		}
		var buf bytes.Buffer
		if err := diag.WriteText(&buf, source.NewSet(files...), mine, diag.TextOptions{}); err != nil {
			t.Fatal(err)
		}
		golden(t, strings.TrimSuffix(f.Name, ".yaml")+".lint.golden", buf.Bytes())
	}
}

// golden compares got with the golden file name, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(name, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update):\n got:\n%s\nwant:\n%s", name, got, want)
	}
}

// A well-written policy set, NetworkPolicy and Cilium: no finding.
func TestLintClean(t *testing.T) {
	files := readFiles(t, "testdata/lint/clean/policies.yaml")
	if diags := netpolc.Lint(files, netpolc.LintOptions{}); len(diags) != 0 {
		t.Errorf("findings in the clean set: %v", findings(diags))
	}
	w, err := eval.LoadWorld([]byte(`
pods:
  - {namespace: shop, name: web-0, labels: {app: web}}
  - {namespace: shop, name: db-0, labels: {app: db}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if diags := netpolc.Lint(files, netpolc.LintOptions{World: w}); len(diags) != 0 {
		t.Errorf("findings in the clean set with a world: %v", findings(diags))
	}
}

func TestLintNoPolicy(t *testing.T) {
	files := readFiles(t, "testdata/lint/guide/vulnerable.yaml")
	diags := netpolc.Lint(files, netpolc.LintOptions{})
	if got := findings(diags); !slices.Equal(got, []string{".:0 no-policy"}) {
		t.Errorf("got %v, want one no-policy error", got)
	}
}

// The findings are diagnostics like any other: their JSON form carries the
// code, the position of the field and the suggestion.
func TestLintJSON(t *testing.T) {
	files := readFiles(t, "testdata/lint/guide/cilium.yaml")
	var buf bytes.Buffer
	if err := diag.WriteJSON(&buf, netpolc.Lint(files, netpolc.LintOptions{}).Normalize()); err != nil {
		t.Fatal(err)
	}
	var out []struct {
		Severity, Code, File, Message, Suggestion string
		Line, Column                              int
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	if len(out) != 2 {
		t.Fatalf("got %d diagnostics, want 2:\n%s", len(out), buf.Bytes())
	}
	o := out[1]
	if o.Severity != "warning" || o.Code != "fqdn-one-label" || o.File != "testdata/lint/guide/cilium.yaml" || o.Line != 36 || o.Column != 7 ||
		o.Suggestion != `matchPattern: "**.amazonaws.com"` {
		t.Errorf("got %+v", o)
	}
}
