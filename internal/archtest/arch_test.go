package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/netpolc/netpolc"

// rule forbids packages matching from to depend, directly or not, on
// packages matching to. A pattern "p" matches p itself; "p/..." matches p
// and everything below it.
type rule struct {
	from, to []string
	unless   []string // packages of from the rule does not apply to
	why      string
}

// rules is the layering of docs/design.md (section "Architecture"):
// imports point one way, bottom to top.
var rules = []rule{
	{from: []string{"lang/source"}, to: []string{"..."}, why: "lang/source is the bottom layer and imports nothing of ours"},
	{from: []string{"lang/lexicon"}, to: []string{"..."}, why: "lang/lexicon, the one table of keywords and entity names, is shared by every layer (the parser, the compiler, the IR) and imports nothing of ours"},
	{from: []string{"lang/..."}, to: []string{"compile/...", "backends/..."}, why: "the language front end knows nothing of compilation or targets"},
	{from: []string{"compile/ir/...", "compile/eval/..."}, to: []string{"compile", "lang/parser/...", "lang/ast/..."}, why: "the IR and its evaluator stand on their own, below the compiler and away from the syntax"},
	{from: []string{"backends/..."}, to: []string{"lang/parser/...", "lang/ast/...", "lang/format/..."}, why: "backends see only the IR, never the syntax"},
	{from: []string{"internal/testsupport/testgen", "internal/testsupport/nporacle"}, to: []string{"compile", "lang/parser/...", "lang/ast/...", "lang/format/..."}, why: "the program generator and the NetworkPolicy oracle work on the IR and the world; only backendtest compiles sources"},
	{from: []string{"..."}, unless: []string{"internal/testsupport/..."}, to: []string{"internal/testsupport/..."}, why: "internal/testsupport is test support (backendtest compiles sources, so it reaches the syntax): only _test.go files, which this check does not see, and test support itself may import it"},
	{from: []string{"..."}, unless: []string{"cmd/..."}, to: []string{"cmd/..."}, why: "the CLI is the top; nothing outside cmd/ imports it"},
	{from: []string{"..."}, unless: []string{"", "cmd/...", "internal/testsupport/..."}, to: []string{""}, why: "the library facade (package netpolc, the module root) sits on top of the library: only the command and test support import it"},
}

// matches reports whether the module-relative path pkg matches pattern.
func matches(pattern, pkg string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

func matchesAny(patterns []string, pkg string) bool {
	for _, p := range patterns {
		if matches(p, pkg) {
			return true
		}
	}
	return false
}

// violations checks deps (module-relative package -> its module-relative
// dependencies, transitive) against rules.
func violations(deps map[string][]string, rules []rule) []string {
	var out []string
	for pkg, ds := range deps {
		for _, r := range rules {
			if !matchesAny(r.from, pkg) || matchesAny(r.unless, pkg) {
				continue
			}
			for _, d := range ds {
				if d != pkg && matchesAny(r.to, d) {
					out = append(out, pkg+" depends on "+d+": "+r.why)
				}
			}
		}
	}
	return out
}

// moduleDeps lists every package of the module with its transitive
// dependencies inside the module (test files excluded: tests may wire
// layers together).
func moduleDeps(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"/...")
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, ok := relative(fields[0])
		if !ok {
			continue
		}
		deps[pkg] = nil
		for _, d := range fields[1:] {
			if rel, ok := relative(d); ok {
				deps[pkg] = append(deps[pkg], rel)
			}
		}
	}
	return deps
}

// relative returns the module-relative path of an import path of ours ("" for
// the module root).
func relative(importPath string) (string, bool) {
	if importPath == module {
		return "", true
	}
	return strings.CutPrefix(importPath, module+"/")
}

func TestLayering(t *testing.T) {
	deps := moduleDeps(t)
	for _, pkg := range []string{"lang/source", "lang/diag", "compile", "compile/ir", "backends", "cmd/netpolc"} {
		if _, ok := deps[pkg]; !ok {
			t.Errorf("go list did not report %s; is the module path right?", pkg)
		}
	}
	for _, v := range violations(deps, rules) {
		t.Error(v)
	}
}

// TestRulesCatchViolations proves the rules bite: each bad import below must
// be reported (and the good graph must not).
func TestRulesCatchViolations(t *testing.T) {
	goodGraph := map[string][]string{
		"lang/source":                      nil,
		"lang/diag":                        {"lang/source"},
		"lang/ast":                         {"lang/source"},
		"lang/parser":                      {"lang/ast", "lang/diag", "lang/source"},
		"compile/ir":                       {"lang/lexicon", "lang/source"},
		"compile/eval":                     {"compile/ir", "lang/diag", "lang/source"},
		"compile":                          {"compile/eval", "compile/ir", "lang/parser", "lang/ast"},
		"backends":                         {"compile/ir", "lang/diag"},
		"backends/k8s":                     {"backends", "compile/ir"},
		"":                                 {"backends", "backends/k8s", "compile"},
		"cmd/netpolc":                      {"", "backends", "backends/k8s", "compile", "lang/format"},
		"internal/util":                    {"lang/source"},
		"internal/testsupport/backendtest": {"backends", "compile", "lang/parser", "lang/ast", "internal/testsupport/testgen"},
		"internal/testsupport/testgen":     {"compile/eval", "compile/ir"},
		"internal/testsupport/nporacle":    {"compile/eval", "compile/ir", "internal/testsupport/testgen"},
	}
	if v := violations(goodGraph, rules); len(v) != 0 {
		t.Fatalf("the layered graph has violations: %v", v)
	}
	bad := []struct{ from, to string }{
		{"lang/source", "lang/diag"},
		{"lang/lexicon", "lang/source"},
		{"lang/diag", "compile/ir"},
		{"lang/parser", "backends"},
		{"compile/ir", "compile"},
		{"compile/eval", "lang/parser"},
		{"compile/ir", "lang/ast"},
		{"backends/k8s", "lang/parser"},
		{"backends", "lang/ast"},
		{"backends/cilium", "lang/format"},
		{"compile", "cmd/netpolc"},
		{"internal/util", "cmd/netpolc"},
		{"backends/k8s", "internal/testsupport/backendtest"},
		{"compile", "internal/testsupport/backendtest"},
		{"backends/cilium", "internal/testsupport/testgen"},
		{"cmd/netpolc", "internal/testsupport/nporacle"},
		{"internal/testsupport/testgen", "lang/parser"},
		{"internal/testsupport/nporacle", "compile"},
		{"backends", ""},
		{"compile", ""},
		{"", "internal/testsupport/ciliumcheck"},
		{"backends/cilium", "internal/testsupport/ciliumcheck"},
	}
	for _, b := range bad {
		g := map[string][]string{}
		for k, v := range goodGraph {
			g[k] = v
		}
		g[b.from] = append(append([]string(nil), g[b.from]...), b.to)
		if v := violations(g, rules); len(v) == 0 {
			t.Errorf("%s importing %s is not reported", b.from, b.to)
		}
	}
}
