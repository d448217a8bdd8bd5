package cilium

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

var _ backends.Importer = Backend{}

// ImportDir holds the hand-written corpus of the importer; the engine
// module (backends/cilium/enginetest) replays it through Cilium's engine.
const importDir = "testdata/import"

// importFiles reads files and imports their Cilium policies; the
// diagnostics are those of both steps.
func importFiles(files []*source.File) (*ir.Program, diag.List) {
	objs, diags := yamlsrc.Read(files, yamlsrc.Options{Kinds: ImportKinds})
	prog, d := Backend{}.Import(objs)
	diags.Append(d)
	return prog, diags
}

// TestImportCorpus imports each hand-written file of testdata/import
// (NAME.yaml or NAME.json) and compares the diagnostics and the IR with
// NAME.golden (-update rewrites it). Files named err-*.* must fail, and
// their golden holds the positioned diagnostics; the others must import
// without error, and the imported program must go through the Cilium
// target again (every object validated by the agent's Parse, netpolc's
// conventions and the CRD rules) and import back to the same IR. The
// engine module checks that Cilium's engine judges the originals and the
// re-emitted objects alike.
func TestImportCorpus(t *testing.T) {
	t.Parallel()
	for _, cf := range backendtest.Corpus(t, importDir, 30, 7) {
		path, name := cf.Path, cf.Name
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			file := source.NewFile(filepath.ToSlash(path), data)
			prog, diags := importFiles([]*source.File{file})
			var got strings.Builder
			got.WriteString(backendtest.RenderDiags(source.NewSet(file), diags.Normalize()))
			wantErr := cf.Err
			if diags.HasErrors() != wantErr {
				t.Errorf("errors: %v, want %v", diags.HasErrors(), wantErr)
			}
			if prog != nil && !diags.HasErrors() {
				got.WriteString("--- ir\n")
				got.WriteString(ir.Format(prog))
				for _, pol := range prog.Policies {
					fmt.Fprintf(&got, "origin %s\n", pol.Origin)
				}
			}
			backendtest.Golden(t, filepath.Join(importDir, name+".golden"), []byte(got.String()), *update)
			if wantErr || prog == nil {
				return
			}
			backendtest.CheckSpans(t, prog, file.Name)
			checkReimport(t, prog)
		})
	}
}

// checkReimport emits prog with the Cilium target (validating every
// object), writes the YAML, imports it and requires the same IR, spans
// and origins aside. The target may add DNS-proxy rules (a warning), so
// the comparison is with the prepared program.
func checkReimport(t *testing.T, prog *ir.Program) {
	t.Helper()
	prepared, objs, diags := backends.Run(testBackend(), prog, backends.Options{})
	if diags.HasErrors() {
		t.Logf("the Cilium target refuses the program (not an importer bug):\n%v", diags)
		return
	}
	out := backendtest.YAML(t, objs)
	checkAll(t, out)
	back, d := importFiles([]*source.File{source.NewFile("emitted.yaml", out)})
	if d.HasErrors() {
		t.Fatalf("re-import: %v\n%s", d, out)
	}
	if a, b := backendtest.StrippedIR(prepared), backendtest.StrippedIR(back); a != b {
		t.Errorf("re-imported IR differs:\n--- imported, prepared\n%s--- re-imported\n%s--- emitted\n%s", a, b, out)
	}
}

func TestNormalizePattern(t *testing.T) {
	for in, want := range map[string]string{
		"*":                   "*",
		"**":                  "*",
		"*.":                  "*",
		"**.Example.COM.":     "**.example.com",
		"***.example.com":     "**.example.com",
		"*.example.com":       "*.example.com",
		"api-**.example.com":  "api-*.example.com",
		"s3*.amazonaws.com":   "s3*.amazonaws.com",
		"a.**.b":              "a.*.b",
		"**x.example.com":     "*x.example.com",
		"sub.*.*.example.com": "sub.*.*.example.com",
	} {
		if got := normalizePattern(in); got != want {
			t.Errorf("normalizePattern(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitSource(t *testing.T) {
	for in, want := range map[string][2]string{
		"app":                             {"", "app"},
		"k8s:app":                         {"k8s", "app"},
		"any:io.kubernetes.pod.namespace": {"any", "io.kubernetes.pod.namespace"},
		"$host":                           {"reserved", "host"},
		"reserved:world":                  {"reserved", "world"},
		"app.kubernetes.io/name":          {"", "app.kubernetes.io/name"},
	} {
		if src, key := splitSource(in); src != want[0] || key != want[1] {
			t.Errorf("splitSource(%q) = %q, %q, want %q, %q", in, src, key, want[0], want[1])
		}
	}
}

// FuzzImport reads and imports arbitrary text: the importer must not
// panic, and it must never report an internal error (IR that fails
// ir.Validate). The corpus files are the seeds.
func FuzzImport(f *testing.F) {
	paths, _ := filepath.Glob(importDir + "/*.*")
	for _, p := range paths {
		if ext := filepath.Ext(p); ext == ".yaml" || ext == ".json" {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, diags := importFiles([]*source.File{source.NewFile("fuzz.yaml", data)})
		for _, d := range diags {
			if d.Code == codeInternal {
				t.Fatalf("internal error: %v\n%s", d, data)
			}
		}
	})
}
