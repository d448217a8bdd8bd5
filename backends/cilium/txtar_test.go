package cilium

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
			comment, files := parseTxtar(string(data))
			sources := map[string]string{}
			opts := backends.Options{}
			var wantYAML, wantDiags *string
			for i := range files {
				f := &files[i]
				switch {
				case strings.HasSuffix(f.name, ".netpol"):
					sources[f.name] = f.data
				case f.name == "options":
					for _, line := range strings.Split(f.data, "\n") {
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
				case f.name == "cilium.yaml":
					wantYAML = &f.data
				case f.name == "diagnostics":
					wantDiags = &f.data
				}
			}
			gotYAML, gotDiags := runCase(t, sources, opts)
			again, againDiags := runCase(t, sources, opts)
			if !bytes.Equal(gotYAML, again) || gotDiags != againDiags {
				t.Fatalf("output differs between runs")
			}
			if *update {
				out := files[:0:0]
				for _, f := range files {
					if f.name != "cilium.yaml" && f.name != "diagnostics" {
						out = append(out, f)
					}
				}
				out = append(out, txtarFile{"cilium.yaml", string(gotYAML)}, txtarFile{"diagnostics", gotDiags})
				if err := os.WriteFile(path, formatTxtar(comment, out), 0o644); err != nil {
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
