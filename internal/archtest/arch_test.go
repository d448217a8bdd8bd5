package archtest

import (
	"fmt"
	"os/exec"
	"sort"
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
	{from: []string{"compile/testplan/..."}, to: []string{"compile", "lang/parser/...", "lang/ast/...", "backends/..."}, why: "the test plan derives probes from the IR with the evaluator; it sees neither the compiler, the syntax nor a target"},
	{from: []string{"compile/analysis/..."}, to: []string{"compile", "compile/testplan/...", "lang/parser/...", "lang/ast/...", "lang/format/...", "backends/..."}, why: "the analyses (explain, matrix, diff, graph) work on the IR with the evaluator and the connectivity engine; they see neither the compiler, the syntax nor a target"},
	{from: []string{"compile/reach/..."}, to: []string{"compile", "compile/testplan/...", "lang/parser/...", "lang/ast/...", "lang/format/...", "backends/..."}, why: "the connectivity engine works on the IR and the world with the evaluator's semantics; it sees neither the compiler, the syntax nor a target"},
	{from: []string{"backends/..."}, to: []string{"lang/parser/...", "lang/ast/...", "lang/format/..."}, why: "backends see only the IR, never the syntax"},
	{from: []string{"backends/yamlsrc"}, to: []string{"backends", "backends/k8s/...", "backends/cilium/...", "compile/..."}, why: "backends/yamlsrc reads Kubernetes objects with positions for every importer; it knows nothing of targets or the IR"},
	{from: []string{"backends/world"}, to: []string{"backends", "backends/k8s/...", "backends/cilium/...", "compile"}, why: "backends/world reads worlds (Kubernetes objects, netpolc's world format) into the evaluator's World on top of backends/yamlsrc; it knows no target and not the compiler"},
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
		"compile/testplan":                 {"compile/eval", "compile/ir", "lang/source"},
		"compile/reach":                    {"compile/eval", "compile/ir"},
		"compile/analysis":                 {"compile/reach", "compile/eval", "compile/ir", "lang/source"},
		"compile":                          {"compile/eval", "compile/ir", "lang/parser", "lang/ast"},
		"backends":                         {"compile/ir", "lang/diag"},
		"backends/k8s":                     {"backends", "compile/ir"},
		"backends/yamlsrc":                 {"lang/source", "lang/diag"},
		"backends/world":                   {"backends/yamlsrc", "compile/eval", "compile/ir", "lang/diag", "lang/source"},
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
		{"compile/testplan", "compile"},
		{"compile/testplan", "backends/k8s"},
		{"compile/reach", "compile"},
		{"compile/analysis", "compile"},
		{"compile/analysis", "lang/ast"},
		{"compile/analysis", "backends/cilium"},
		{"compile/reach", "lang/parser"},
		{"compile/reach", "backends/k8s"},
		{"compile/ir", "lang/ast"},
		{"backends/k8s", "lang/parser"},
		{"backends", "lang/ast"},
		{"backends/cilium", "lang/format"},
		{"backends/yamlsrc", "backends"},
		{"backends/yamlsrc", "compile/ir"},
		{"backends/world", "backends/k8s"},
		{"backends/world", "backends"},
		{"backends/world", "compile"},
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

// syntaxPackages are the packages of the language's syntax: only the
// compiler and what stands above it (the facade, the CLI, test support that
// compiles sources) may reach them.
var syntaxPackages = []string{"lang/parser/...", "lang/ast/...", "lang/format/..."}

// syntaxBroker is the one test-support package through which the tests of
// backends may compile sources (and so reach the syntax).
const syntaxBroker = "internal/testsupport/backendtest"

// testImportViolations checks the test files of the backends: each in-module
// package a test file of a package under backends/ imports, other than
// syntaxBroker, must reach none of syntaxPackages, directly or not. tests
// maps a package to the in-module packages its test files import; deps is
// moduleDeps's graph.
func testImportViolations(tests map[string][]string, deps map[string][]string) []string {
	var out []string
	for pkg, imports := range tests {
		if !matches("backends/...", pkg) {
			continue
		}
		for _, imp := range imports {
			if imp == syntaxBroker {
				continue
			}
			for _, d := range append([]string{imp}, deps[imp]...) {
				if matchesAny(syntaxPackages, d) {
					out = append(out, fmt.Sprintf("a test of %s imports %s, which reaches %s: backends' tests see the syntax only through %s", pkg, imp, d, syntaxBroker))
					break
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// moduleTestImports lists, for every package that go list finds in dir
// (the main module, or a nested module such as backends/cilium/enginetest
// that replaces ours with the working tree), the packages of ours its test
// files import.
func moduleTestImports(t *testing.T, dir string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}`, "./...")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list in %s: %v\n%s", dir, err, stderr)
	}
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, ok := relative(fields[0])
		if !ok {
			continue
		}
		for _, d := range fields[1:] {
			if rel, ok := relative(d); ok && rel != pkg {
				imports[pkg] = append(imports[pkg], rel)
			}
		}
	}
	return imports
}

// TestBackendTestsSeeNoSyntax proves that backends, tests included, import
// neither the parser nor the AST nor the formatter, apart from the one
// test-support package that compiles sources (syntaxBroker): in the main
// module and in the nested engine-test module.
func TestBackendTestsSeeNoSyntax(t *testing.T) {
	deps := moduleDeps(t)
	tests := moduleTestImports(t, "../..")
	for pkg, imps := range moduleTestImports(t, "../../backends/cilium/enginetest") {
		tests[pkg] = append(tests[pkg], imps...)
	}
	if _, ok := tests["backends/cilium/enginetest"]; !ok {
		t.Fatalf("go list did not report backends/cilium/enginetest; found %d packages", len(tests))
	}
	for _, v := range testImportViolations(tests, deps) {
		t.Error(v)
	}
}

// TestTestImportRuleBites proves testImportViolations reports a backend test
// that reaches the syntax other than through syntaxBroker.
func TestTestImportRuleBites(t *testing.T) {
	deps := map[string][]string{
		"compile":     {"lang/parser", "lang/ast", "compile/ir"},
		"compile/ir":  nil,
		syntaxBroker:  {"compile", "lang/parser"},
		"lang/parser": {"lang/ast"},
	}
	good := map[string][]string{"backends/k8s": {"compile/ir", syntaxBroker}}
	if v := testImportViolations(good, deps); len(v) != 0 {
		t.Fatalf("allowed test imports reported: %v", v)
	}
	for _, imp := range []string{"compile", "lang/parser", "lang/ast", "lang/format"} {
		bad := map[string][]string{"backends/cilium/enginetest": {syntaxBroker, imp}}
		if v := testImportViolations(bad, deps); len(v) != 1 {
			t.Errorf("a backend test importing %s: %d violations, want 1", imp, len(v))
		}
	}
}
