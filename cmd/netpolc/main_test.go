package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
)

// result is what one in-process run of netpolc produced.
type result struct {
	code           int
	stdout, stderr string
}

// runApp runs netpolc in-process with args (without the program name) and
// stdin as standard input.
func runApp(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"netpolc"}, args...), strings.NewReader(stdin), &stdout, &stderr)
	manifests := bytes.HasPrefix(stdout.Bytes(), []byte("apiVersion:")) || bytes.HasPrefix(stdout.Bytes(), []byte("{"))
	if code == exitOK && (slices.Contains(args, "compile") || slices.Contains(args, "convert")) && manifests {
		// Every object written is valid for its target: the command's
		// output goes through the same validators as every test path
		// that emits objects (the backends check nothing themselves).
		if err := targetcheck.Stream(stdout.Bytes()); err != nil {
			t.Errorf("netpolc %s: invalid output: %v", strings.Join(args, " "), err)
		}
	}
	return result{code, stdout.String(), stderr.String()}
}

func (r result) String() string {
	return "exit " + string(rune('0'+r.code)) + "\n--- stdout\n" + r.stdout + "\n--- stderr\n" + r.stderr
}

const (
	good          = "testdata/good.netpol"
	threeMistakes = "testdata/three-mistakes.netpol"
)

func TestExitCodes(t *testing.T) {
	goodSource, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string // regexp the standard error must match
	}{
		// 0: success.
		{"check", "", []string{"check", good}, exitOK, `^$`},
		{"check stdin", string(goodSource), []string{"check", "-"}, exitOK, `^$`},
		{"compile", "", []string{"compile", "--target", "k8s", good}, exitOK, `^$`},
		{"targets", "", []string{"targets"}, exitOK, `^$`},
		{"version", "", []string{"version"}, exitOK, `^$`},
		{"help", "", []string{"--help"}, exitOK, `^$`},
		{"command help", "", []string{"compile", "--help"}, exitOK, `^$`},
		{"help command", "", []string{"help", "fmt"}, exitOK, `^$`},
		{"check over an explicit world", "", []string{"check", "--world", "../../examples/zero-trust/world.yaml", "../../examples/zero-trust"}, exitOK, `^$`},
		{"check every example, each a program", "", []string{"check", "../../examples/..."}, exitOK, `^$`},
		{"warnings do not fail", "namespace shop\nweb = {app: web}\nweb -> {app: db}:5432\n", []string{"check", "-"}, exitOK, `warning\[no-dns\]`},

		// 1: errors in the input.
		{"check errors", "", []string{"check", threeMistakes}, exitInput, `error\[bad-port\]`},
		{"compile errors", "", []string{"compile", "--target", "k8s", threeMistakes}, exitInput, `error\[bad-port\]`},
		{"syntax error on stdin", "namespace shop\nweb = {app: web\n", []string{"check", "-"}, exitInput, `^-:2:7: error\[syntax\]`},
		{"target cannot express", "namespace shop\nweb = {app: web}\nallow dns\nweb -> \"api.example.com\":443\n", []string{"compile", "-t", "k8s", "-"}, exitInput, `^-:4:\d+: error\[unsupported\]`},
		{"bad world file", "", []string{"check", "--world", "testdata/bad-world.yaml", good}, exitInput, `^testdata/bad-world.yaml:1:1: error\[unknown-field\]: unknown field "bogus"\n`},

		// 2: usage.
		{"no command", "", nil, exitUsage, `no command given`},
		{"unknown command", "", []string{"chek", good}, exitUsage, `unknown command "chek" \(did you mean "check"\?\)`},
		{"unknown global flag", "", []string{"--colour", "never", "check", good}, exitUsage, `unknown flag --colour \(did you mean "color"\?\)`},
		{"unknown command flag", "", []string{"compile", "--taget", "k8s", good}, exitUsage, `unknown flag --taget \(did you mean "target"\?\)\nRun 'netpolc compile --help' for usage.`},
		{"unknown target", "", []string{"compile", "--target", "k9s", good}, exitUsage, `unknown target "k9s" \(did you mean "k8s"\?\) \(one of: .*k8s`},
		{"missing target", "", []string{"compile", good}, exitUsage, `missing --target`},
		{"missing files", "", []string{"check"}, exitUsage, `no input`},
		{"missing file", "", []string{"check", "testdata/nope.netpol"}, exitUsage, `testdata/nope.netpol: no such file or directory`},
		{"directory without sources", "", []string{"check", empty}, exitUsage, regexp.QuoteMeta(empty) + `: directory has no .netpol files`},
		{"compile takes one program", "", []string{"compile", "-t", "k8s", "../../examples/..."}, exitUsage, `compile takes one program, but the arguments name 3 \(\.\./\.\./examples/cilium-l7, \.\./\.\./examples/cluster-guard, \.\./\.\./examples/zero-trust\)`},
		{"flag after files", "", []string{"compile", good, "--target", "k8s"}, exitUsage, `flag --target must come before the files`},
		{"bad format", "", []string{"compile", "-t", "k8s", "--format", "toml", good}, exitUsage, `--format must be yaml or json`},
		{"bad degrade", "", []string{"compile", "-t", "k8s", "--degrade", "l7", good}, exitUsage, `--degrade "l7": want FEATURE=MODE`},
		{"bad diagnostics", "", []string{"--diagnostics", "xml", "check", good}, exitUsage, `--diagnostics must be text or json`},
		{"bad color", "", []string{"--color", "sometimes", "check", good}, exitUsage, `--color must be auto, always or never`},
		{"missing world", "", []string{"check", "--world", "testdata/nope.yaml", good}, exitUsage, `--world: .*nope.yaml`},
		{"fmt -w stdin", "namespace a\n", []string{"fmt", "-w", "-"}, exitUsage, `cannot use -w with standard input`},
		{"no help topic", "", []string{"help", "nosuch"}, exitUsage, `No help topic for 'nosuch'`},
		{"targets with arguments", "", []string{"targets", "k8s"}, exitUsage, `targets takes no arguments`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runApp(t, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tt.code, r)
			}
			if !regexp.MustCompile(tt.stderr).MatchString(r.stderr) {
				t.Errorf("stderr does not match %q\n%s", tt.stderr, r)
			}
			if r.code != exitOK && r.stdout != "" {
				t.Errorf("stdout not empty after a failure\n%s", r)
			}
		})
	}
}

// failingWriter fails or panics on every write, to inject I/O errors and
// bugs into a run.
type failingWriter struct{ panics bool }

func (w failingWriter) Write([]byte) (int, error) {
	if w.panics {
		panic("injected panic")
	}
	return 0, errors.New("injected write error")
}

func TestInternalErrors(t *testing.T) {
	t.Run("panic", func(t *testing.T) {
		var stderr bytes.Buffer
		code := run([]string{"netpolc", "version"}, strings.NewReader(""), failingWriter{panics: true}, &stderr)
		if code != exitInternal {
			t.Errorf("exit %d, want %d", code, exitInternal)
		}
		for _, want := range []string{"netpolc: panic: injected panic", "This is a bug in netpolc. Please report it", "goroutine "} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
			}
		}
	})
	t.Run("panic in JSON mode", func(t *testing.T) {
		var stderr bytes.Buffer
		code := run([]string{"netpolc", "--diagnostics", "json", "version"}, strings.NewReader(""), failingWriter{panics: true}, &stderr)
		var got []map[string]any
		if err := json.Unmarshal(stderr.Bytes(), &got); err != nil || code != exitInternal {
			t.Fatalf("exit %d, stderr not one JSON array (%v):\n%s", code, err, stderr.String())
		}
		if len(got) != 1 || got[0]["code"] != "internal" || !strings.Contains(got[0]["detail"].(string), "report") {
			t.Errorf("got %v", got)
		}
	})
	t.Run("write error", func(t *testing.T) {
		var stderr bytes.Buffer
		code := run([]string{"netpolc", "compile", "--target", "k8s", good}, strings.NewReader(""), failingWriter{}, &stderr)
		if code != exitInternal || stderr.String() != "netpolc: injected write error\n" {
			t.Errorf("exit %d, stderr %q; want 3 and the error", code, stderr.String())
		}
	})
	t.Run("exitCode", func(t *testing.T) {
		for err, want := range map[error]int{
			nil:                                  exitOK,
			errInput:                             exitInput,
			&usageError{msg: "x"}:                exitUsage,
			&internalError{err: errors.New("x")}: exitInternal,
			errors.New("disk full"):              exitInternal,
			errInternalReported:                  exitInternal,
		} {
			if got := exitCode(err); got != want {
				t.Errorf("exitCode(%v) = %d, want %d", err, got, want)
			}
		}
	})
}

// TestThreeMistakes is the promise of the diagnostics: every mistake of a
// file, each at its line and column, with the source line and carets, and
// nothing on standard output.
func TestThreeMistakes(t *testing.T) {
	for _, cmd := range [][]string{{"check"}, {"compile", "--target", "k8s"}} {
		t.Run(cmd[0], func(t *testing.T) {
			r := runApp(t, "", append(cmd, threeMistakes)...)
			if r.code != exitInput || r.stdout != "" {
				t.Fatalf("want exit 1 and empty stdout\n%s", r)
			}
			want := `testdata/three-mistakes.netpol:3:12: error[bad-port]: port 99999 is out of range (1-65535)
 3 | web -> web:99999
   |            ^^^^^
testdata/three-mistakes.netpol:4:15: error[unknown-protocol]: unknown protocol tpc
 4 | web -> web:80/tpc
   |               ^^^
  = Did you mean tcp?
  = help: write "tcp"
testdata/three-mistakes.netpol:5:12: error[bad-port-range]: port range 8000-80 ends before it starts
 5 | web -> web:8000-80
   |            ^^^^^^^
`
			// Only the positions, codes and carets are this test's
			// business; the compiler owns the wording.
			shape := regexp.MustCompile(`(?m)(error\[[a-z-]+\]): .*$`)
			if got, want := shape.ReplaceAllString(r.stderr, "$1"), shape.ReplaceAllString(want, "$1"); got != want {
				t.Errorf("stderr:\n%s\nwant (messages aside):\n%s", r.stderr, want)
			}
		})
	}
}

func TestJSONDiagnostics(t *testing.T) {
	r := runApp(t, "", "--diagnostics", "json", "check", threeMistakes)
	if r.code != exitInput || r.stdout != "" {
		t.Fatalf("want exit 1 and empty stdout\n%s", r)
	}
	var got []struct {
		Severity   string `json:"severity"`
		Code       string `json:"code"`
		File       string `json:"file"`
		Line       int    `json:"line"`
		Column     int    `json:"column"`
		EndLine    int    `json:"endLine"`
		EndColumn  int    `json:"endColumn"`
		Message    string `json:"message"`
		Detail     string `json:"detail"`
		Suggestion string `json:"suggestion"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stderr))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("stderr is not a JSON array of diagnostics: %v\n%s", err, r.stderr)
	}
	if dec.More() {
		t.Errorf("stderr holds more than one JSON value:\n%s", r.stderr)
	}
	var lines []string
	for _, d := range got {
		if d.Severity != "error" || d.File != threeMistakes || d.Message == "" || d.EndColumn <= d.Column {
			t.Errorf("bad diagnostic %+v", d)
		}
		lines = append(lines, d.Code+"@"+string(rune('0'+d.Line)))
		if d.Code == "unknown-protocol" && d.Suggestion != "tcp" {
			t.Errorf("unknown protocol tpc: suggestion %q, want tcp", d.Suggestion)
		}
	}
	if strings.Join(lines, " ") != "bad-port@3 unknown-protocol@4 bad-port-range@5" {
		t.Errorf("diagnostics %v", lines)
	}

	// A clean run prints an empty array; a usage error is one diagnostic.
	if r := runApp(t, "", "--diagnostics", "json", "check", good); r.code != exitOK || r.stderr != "[]\n" {
		t.Errorf("clean check in JSON mode:\n%s", r)
	}
	r = runApp(t, "", "--diagnostics", "json", "compile", "--target", "nope", good)
	var usage []map[string]any
	if err := json.Unmarshal([]byte(r.stderr), &usage); err != nil || r.code != exitUsage || len(usage) != 1 || usage[0]["code"] != "usage" {
		t.Errorf("usage error in JSON mode: %v\n%s", err, r)
	}

	// A failed -o write after the diagnostics of the compilation (here a
	// no-dns warning) still leaves one array: the warning and the I/O error.
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	noDNS := filepath.Join(t.TempDir(), "p.netpol")
	if err := os.WriteFile(noDNS, []byte("namespace shop\n{app: web} -> {app: db}:5432\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runApp(t, "", "--diagnostics", "json", "compile", "--target", "k8s", "-o", notDir, noDNS)
	var all []map[string]any
	if err := json.Unmarshal([]byte(r.stderr), &all); err != nil || r.code != exitInternal || len(all) != 2 ||
		all[0]["code"] != "no-dns" || all[1]["code"] != "io" {
		t.Errorf("failed -o write in JSON mode: %v\n%s", err, r)
	}
}

func TestColor(t *testing.T) {
	r := runApp(t, "", "--color", "always", "check", threeMistakes)
	if !strings.Contains(r.stderr, "\x1b[1;31merror[bad-port]") {
		t.Errorf("--color always: no colour\n%q", r.stderr)
	}
	for _, mode := range []string{"auto", "never"} {
		if r := runApp(t, "", "--color", mode, "check", threeMistakes); strings.Contains(r.stderr, "\x1b[") {
			t.Errorf("--color %s into a buffer: colour codes\n%q", mode, r.stderr)
		}
	}
}

// objectsOf splits a YAML stream into "kind namespace/name" keys.
func objectsOf(t *testing.T, stream string) []string {
	t.Helper()
	var keys []string
	for _, doc := range strings.Split(stream, "\n---\n") {
		var o struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name, Namespace string
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("bad YAML document: %v\n%s", err, doc)
		}
		keys = append(keys, o.Kind+" "+o.Metadata.Namespace+"/"+o.Metadata.Name)
	}
	return keys
}

func TestCompileOutput(t *testing.T) {
	r := runApp(t, "", "compile", "--target", "k8s", good)
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("compile failed\n%s", r)
	}
	want := []string{"NetworkPolicy shop/all-pods", "NetworkPolicy shop/db", "NetworkPolicy shop/web"}
	if got := objectsOf(t, r.stdout); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("objects %v, want %v", got, want)
	}
	if again := runApp(t, "", "compile", "--target", "k8s", good); again.stdout != r.stdout {
		t.Errorf("compile is not deterministic")
	}

	t.Run("json", func(t *testing.T) {
		j := runApp(t, "", "compile", "--target", "k8s", "--format", "json", good)
		var list struct {
			Kind  string `json:"kind"`
			Items []struct {
				Metadata struct{ Name string } `json:"metadata"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(j.stdout), &list); err != nil || j.code != exitOK || list.Kind != "List" || len(list.Items) != 3 {
			t.Errorf("--format json: %v\n%s", err, j)
		}
	})

	t.Run("-o", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "manifests")
		o := runApp(t, "", "compile", "--target", "k8s", "-o", dir, good)
		if o.code != exitOK || o.stdout != "" || o.stderr != "" {
			t.Fatalf("compile -o\n%s", o)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names, docs []string
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue // the lock and the manifest (docs/output.md)
			}
			names = append(names, e.Name())
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			docs = append(docs, string(b))
		}
		wantNames := []string{"shop.networkpolicy.all-pods.yaml", "shop.networkpolicy.db.yaml", "shop.networkpolicy.web.yaml"}
		if strings.Join(names, " ") != strings.Join(wantNames, " ") {
			t.Errorf("files %v, want %v", names, wantNames)
		}
		if strings.Join(docs, "---\n") != r.stdout {
			t.Errorf("the files differ from the stdout stream")
		}
	})

	t.Run("-o on errors writes nothing", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "manifests")
		o := runApp(t, "", "compile", "--target", "k8s", "-o", dir, threeMistakes)
		if o.code != exitInput {
			t.Fatalf("exit %d\n%s", o.code, o)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("output directory created on errors: %v", err)
		}
	})

	t.Run("-o fails atomically", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "shop.networkpolicy.web.yaml"), []byte("old\n"), 0o644)
		// A directory where a file must go: the write fails after
		// everything was marshalled.
		os.Mkdir(filepath.Join(dir, "shop.networkpolicy.db.yaml"), 0o755)
		before := dirListing(t, dir)
		o := runApp(t, "", "compile", "--target", "k8s", "-o", dir, good)
		if o.code != exitInternal || o.stdout != "" || !strings.Contains(o.stderr, "shop.networkpolicy.db.yaml: exists and is not a regular file") {
			t.Errorf("want exit 3 naming the file\n%s", o)
		}
		if after := dirListing(t, dir); after != before {
			t.Errorf("directory changed:\n%s\nwant\n%s", after, before)
		}
	})

	t.Run("-o unwritable", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes into read-only directories; the directory-in-the-way case above covers atomicity")
		}
		dir := t.TempDir()
		os.Chmod(dir, 0o555)
		defer os.Chmod(dir, 0o755)
		o := runApp(t, "", "compile", "--target", "k8s", "-o", dir, good)
		if o.code != exitInternal || dirListing(t, dir) != "" {
			t.Errorf("want exit 3 and an empty directory\n%s", o)
		}
	})
}

// dirListing lists the entries of dir with their contents, hidden ones too,
// except the lock file (created on first use, empty, never removed).
func dirListing(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() == backends.LockFile {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		out = append(out, e.Name()+": "+string(b))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func TestTargets(t *testing.T) {
	r := runApp(t, "", "targets")
	for _, want := range []string{`(?m)^k8s +Kubernetes NetworkPolicy`, `(?m)^FEATURE +.*k8s`, `(?m)^l7 +`, `(?m)^\[1\] \S+, \S+: `} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("targets output lacks %q:\n%s", want, r.stdout)
		}
	}
	// Every note number in the table has its note.
	refs := regexp.MustCompile(`\[(\d+)\]`).FindAllStringSubmatch(r.stdout, -1)
	seen := map[string]int{}
	for _, m := range refs {
		seen[m[1]]++
	}
	for n, c := range seen {
		if c != 2 {
			t.Errorf("note [%s] appears %d times, want once in the table and once below", n, c)
		}
	}
}

func TestVersion(t *testing.T) {
	r := runApp(t, "", "version")
	if !regexp.MustCompile(`^netpolc \S+ \(go\S+ \S+/\S+\)\n$`).MatchString(r.stdout) {
		t.Errorf("version output %q", r.stdout)
	}
}

func TestHelpHasExamples(t *testing.T) {
	app := newApp(&env{})
	for _, cmd := range app.Commands {
		r := runApp(t, "", cmd.Name, "--help")
		if r.code != exitOK || !strings.Contains(r.stdout, "Examples:\n      netpolc "+cmd.Name) {
			t.Errorf("netpolc %s --help has no examples\n%s", cmd.Name, r)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	known := []string{"check", "fmt", "compile", "targets", "version"}
	for name, want := range map[string]string{
		"chek": ` (did you mean "check"?)`, "compil": ` (did you mean "compile"?)`, "target": ` (did you mean "targets"?)`,
		"xyz": "", "deploy": "",
	} {
		if got := didYouMean(name, known); got != want {
			t.Errorf("didYouMean(%q) = %q, want %q", name, got, want)
		}
	}
}
