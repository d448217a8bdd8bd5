package backendtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/netpolc/netpolc/backends"
)

// TxtarCases are the txtar cases of one backend. Each case holds one or more
// .netpol sources (compiled as one program), an optional "options" file
// ("cilium-version V", "netpol-api-version V" and "cluster-cidrs A,B"
// lines, see CaseOptions, and "degrade FEATURE=MODE" lines, see
// backends.Options), and the expected output: the YAML in a file
// named after the backend ("k8s.yaml", "cilium.yaml") and the rendered
// diagnostics of compiling and of the target stages (backends.Run) in
// "diagnostics".
type TxtarCases struct {
	Glob string // the case files, e.g. "testdata/*.txtar"
	// Backend returns the backend under test configured with the options
	// of a case; it should check what it emits (Checked).
	Backend func(CaseOptions) (backends.Backend, error)
	// Targets is passed as Options.Targets: the targets an "unsupported"
	// error may name instead of Backend.
	Targets *backends.Registry
	// Check validates every document of the emitted YAML stream, failing t
	// on the first bad one.
	Check func(t testing.TB, yaml []byte)
	// Update rewrites the expectations instead of comparing (the package's
	// -update flag).
	Update bool
}

// RunTxtar runs every case of c as a subtest. Each case is run twice and the
// two outputs must be byte-identical; a case whose emission reports errors
// must emit no objects.
func RunTxtar(t *testing.T, c TxtarCases) {
	paths, err := filepath.Glob(c.Glob)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no txtar cases")
	}
	def, err := c.Backend(CaseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	output := def.Name() + ".yaml"
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			a := txtar.Parse(data)
			sources := map[string]string{}
			opts := backends.Options{Targets: c.Targets}
			var copts CaseOptions
			var wantYAML, wantDiags *string
			for _, f := range a.Files {
				text := string(f.Data)
				switch {
				case strings.HasSuffix(f.Name, ".netpol"):
					sources[f.Name] = text
				case f.Name == "options":
					parseOptions(text, &opts, &copts)
				case f.Name == output:
					wantYAML = &text
				case f.Name == "diagnostics":
					wantDiags = &text
				}
			}
			b, err := c.Backend(copts)
			if err != nil {
				t.Fatal(err)
			}
			gotYAML, gotDiags := c.run(t, b, sources, opts)
			again, againDiags := c.run(t, b, sources, opts)
			if !bytes.Equal(gotYAML, again) || gotDiags != againDiags {
				t.Fatalf("output differs between runs")
			}
			if c.Update {
				out := &txtar.Archive{Comment: a.Comment}
				for _, f := range a.Files {
					if f.Name != output && f.Name != "diagnostics" {
						out.Files = append(out.Files, f)
					}
				}
				out.Files = append(out.Files, txtar.File{Name: output, Data: gotYAML}, txtar.File{Name: "diagnostics", Data: []byte(gotDiags)})
				if err := os.WriteFile(path, txtar.Format(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if wantYAML == nil || *wantYAML != string(gotYAML) {
				t.Errorf("%s differs:\n--- want\n%s\n--- got\n%s", output, deref(wantYAML), gotYAML)
			}
			if wantDiags == nil || *wantDiags != gotDiags {
				t.Errorf("diagnostics differ:\n--- want\n%s\n--- got\n%s", deref(wantDiags), gotDiags)
			}
		})
	}
}

// CaseOptions are the options of a txtar case that configure a backend.
type CaseOptions struct {
	CiliumVersion    string // "cilium-version V"
	NetpolAPIVersion string // "netpol-api-version V"
	ClusterCIDRs     string // "cluster-cidrs A,B" (netpol-api)
}

// parseOptions reads the "options" file of a case into opts and copts.
func parseOptions(text string, opts *backends.Options, copts *CaseOptions) {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "cilium-version "); ok {
			copts.CiliumVersion = v
		}
		if v, ok := strings.CutPrefix(line, "netpol-api-version "); ok {
			copts.NetpolAPIVersion = v
		}
		if v, ok := strings.CutPrefix(line, "cluster-cidrs "); ok {
			copts.ClusterCIDRs = v
		}
		if rest, ok := strings.CutPrefix(line, "degrade "); ok {
			k, v, _ := strings.Cut(rest, "=")
			if opts.Degrade == nil {
				opts.Degrade = map[backends.Feature]string{}
			}
			opts.Degrade[backends.Feature(k)] = v
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "(missing)"
	}
	return *s
}

// run compiles sources and runs the target stages of b on the program; it
// returns the YAML and the rendered diagnostics of every stage.
func (c TxtarCases) run(t *testing.T, b backends.Backend, sources map[string]string, opts backends.Options) ([]byte, string) {
	t.Helper()
	prog, set, diags := Compile(sources)
	if diags.HasErrors() || prog == nil {
		return nil, RenderDiags(set, diags)
	}
	_, objs, ed := backends.Run(b, prog, opts)
	diags.Append(ed)
	if ed.HasErrors() && len(objs) > 0 {
		t.Errorf("the target stages returned %d objects with errors", len(objs))
	}
	out := YAML(t, objs)
	c.Check(t, out)
	return out, RenderDiags(set, diags)
}
