package cilium

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/netpolc/netpolc/backends"
)

// TestTxtar runs the cases of testdata/*.txtar. Each holds one or more
// .netpol sources (compiled as one program), an optional "options" file
// ("cilium-version V" and "degrade FEATURE=MODE" lines), and the expected
// "cilium.yaml" and "diagnostics". With -update the expectations are
// rewritten.
//
// Every case is run twice and the outputs must be byte-identical; every
// emitted document is strict-decoded, parsed by Cilium, and validated
// against the CRD schema and CEL rules.
func TestTxtar(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no txtar cases")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			a := txtar.Parse(data)
			sources := map[string]string{}
			opts := backends.Options{}
			var wantYAML, wantDiags *string
			for _, f := range a.Files {
				text := string(f.Data)
				switch {
				case strings.HasSuffix(f.Name, ".netpol"):
					sources[f.Name] = text
				case f.Name == "options":
					for _, line := range strings.Split(text, "\n") {
						line = strings.TrimSpace(line)
						if v, ok := strings.CutPrefix(line, "cilium-version "); ok {
							opts.CiliumVersion = v
						}
						if rest, ok := strings.CutPrefix(line, "degrade "); ok {
							k, v, _ := strings.Cut(rest, "=")
							if opts.Degrade == nil {
								opts.Degrade = map[backends.Feature]string{}
							}
							opts.Degrade[backends.Feature(k)] = v
						}
					}
				case f.Name == "cilium.yaml":
					wantYAML = &text
				case f.Name == "diagnostics":
					wantDiags = &text
				}
			}
			gotYAML, gotDiags := runCase(t, sources, opts)
			again, againDiags := runCase(t, sources, opts)
			if !bytes.Equal(gotYAML, again) || gotDiags != againDiags {
				t.Fatalf("output differs between runs")
			}
			if *update {
				out := &txtar.Archive{Comment: a.Comment}
				for _, f := range a.Files {
					if f.Name != "cilium.yaml" && f.Name != "diagnostics" {
						out.Files = append(out.Files, f)
					}
				}
				out.Files = append(out.Files, txtar.File{Name: "cilium.yaml", Data: gotYAML}, txtar.File{Name: "diagnostics", Data: []byte(gotDiags)})
				if err := os.WriteFile(path, txtar.Format(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if wantYAML == nil || *wantYAML != string(gotYAML) {
				t.Errorf("cilium.yaml differs:\n--- want\n%s\n--- got\n%s", deref(wantYAML), gotYAML)
			}
			if wantDiags == nil || *wantDiags != gotDiags {
				t.Errorf("diagnostics differ:\n--- want\n%s\n--- got\n%s", deref(wantDiags), gotDiags)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "(missing)"
	}
	return *s
}

// runCase compiles sources and emits them; it returns the YAML and the
// rendered diagnostics of both stages.
func runCase(t *testing.T, sources map[string]string, opts backends.Options) ([]byte, string) {
	t.Helper()
	prog, set, diags := compileSources(sources)
	if diags.HasErrors() || prog == nil {
		return nil, renderDiags(set, diags)
	}
	objs, ed := New().Emit(prog, opts)
	diags.Append(ed)
	if ed.HasErrors() && len(objs) > 0 {
		t.Errorf("Emit returned %d objects with errors", len(objs))
	}
	out := toYAML(t, objs)
	checkAll(t, out)
	return out, renderDiags(set, diags)
}
