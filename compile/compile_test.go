package compile

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

var update = flag.Bool("update", false, "rewrite the ir and diagnostics sections of testdata/*.txtar")

// set replaces the data of the section name, or appends the section.
func set(a *txtar.Archive, name, data string) {
	for i := range a.Files {
		if a.Files[i].Name == name {
			a.Files[i].Data = []byte(data)
			return
		}
	}
	a.Files = append(a.Files, txtar.File{Name: name, Data: []byte(data)})
}

func get(a *txtar.Archive, name string) (string, bool) {
	for _, f := range a.Files {
		if f.Name == name {
			return string(f.Data), true
		}
	}
	return "", false
}

// sources returns the .netpol sections as source files.
func sources(a *txtar.Archive) []*source.File {
	var out []*source.File
	for _, f := range a.Files {
		if strings.HasSuffix(f.Name, ".netpol") {
			out = append(out, source.NewFile(f.Name, f.Data))
		}
	}
	return out
}

// render compiles files and renders the IR dump and the diagnostics.
func render(files []*source.File, opts Options) (irText, diagText string, res *Result, diags diag.List) {
	res, diags = Compile(files, opts)
	var b bytes.Buffer
	if err := diag.WriteText(&b, source.NewSet(files...), diags, diag.TextOptions{}); err != nil {
		panic(err)
	}
	irText = "(none)\n"
	if res.Program != nil {
		irText = ir.Format(res.Program)
	}
	return irText, b.String(), res, diags
}

// annotation is `ERROR "rx"` or `WARN "rx"` in a comment; several may
// follow one "#".
var annotation = regexp.MustCompile(`\b(ERROR|WARN)\s+("(?:[^"\\]|\\.)*")`)

type want struct {
	file, sev string
	line      int
	rx        *regexp.Regexp
	matched   bool
}

// annotations collects the "# ERROR "rx"" and "# WARN "rx"" comments.
func annotations(t *testing.T, files []*source.File) []*want {
	var out []*want
	for _, f := range files {
		for n := 1; n <= f.LineCount(); n++ {
			line := f.Line(n)
			i := strings.Index(line, "#")
			if i < 0 {
				continue
			}
			for _, m := range annotation.FindAllStringSubmatch(line[i:], -1) {
				s := strings.ReplaceAll(m[2][1:len(m[2])-1], `\"`, `"`)
				rx, err := regexp.Compile(s)
				if err != nil {
					t.Fatalf("%s:%d: bad annotation %s: %v", f.Name, n, m[0], err)
				}
				out = append(out, &want{file: f.Name, sev: m[1], line: n, rx: rx})
			}
		}
	}
	return out
}

// checkAnnotations matches every error (and every annotated warning) with
// an annotation on its line.
func checkAnnotations(t *testing.T, files []*source.File, diags diag.List) {
	t.Helper()
	wants := annotations(t, files)
	for _, d := range diags {
		sev := ""
		switch d.Severity {
		case diag.Error:
			sev = "ERROR"
		case diag.Warning:
			sev = "WARN"
		default:
			continue
		}
		found := false
		for _, w := range wants {
			if w.sev == sev && w.file == d.Span.File && w.line == d.Span.Start.Line && w.rx.MatchString(d.Message) {
				w.matched, found = true, true
			}
		}
		if !found && sev == "ERROR" {
			t.Errorf("unexpected %s", d.Error())
		}
	}
	for _, w := range wants {
		if !w.matched {
			t.Errorf("%s:%d: no %s matching %q", w.file, w.line, w.sev, w.rx)
		}
	}
}

func TestCompile(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatal("no test cases", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			a := txtar.Parse(data)
			files := sources(a)
			var opts Options
			if w, ok := get(a, "world.yaml"); ok {
				world, err := eval.LoadWorld([]byte(w))
				if err != nil {
					t.Fatalf("world.yaml: %v", err)
				}
				opts.World = world
			}
			irText, diagText, res, diags := render(files, opts)
			checkAnnotations(t, files, diags)
			if res.Program != nil && !diags.HasErrors() {
				if err := ir.Validate(res.Program); err != nil {
					t.Errorf("Validate: %v", err)
				}
			}

			// The order of the files never changes the output.
			rev := slices.Clone(files)
			slices.Reverse(rev)
			irRev, diagRev, _, _ := render(rev, opts)
			if irRev != irText || diagRev != diagText {
				t.Errorf("output depends on the order of the files:\n%s\n%s", irRev, diagRev)
			}

			if *update {
				set(a, "ir", irText)
				set(a, "diagnostics", diagText)
				if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if wantIR, _ := get(a, "ir"); wantIR != irText {
				t.Errorf("ir:\n%s\nwant:\n%s", irText, wantIR)
			}
			if wantDiag, _ := get(a, "diagnostics"); wantDiag != diagText {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", diagText, wantDiag)
			}
		})
	}
}
