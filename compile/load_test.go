package compile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/compile"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func names(t *testing.T, paths []string, stdin string) []string {
	t.Helper()
	files, err := compile.Load(paths, strings.NewReader(stdin))
	if err != nil {
		t.Fatalf("Load(%q): %v", paths, err)
	}
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"b.netpol":        "namespace b\n",
		"a.netpol":        "namespace a\n",
		"notes.txt":       "not a source\n",
		"sub/c.netpol":    "namespace c\n",
		"other/x.policy":  "namespace x\n",
		"empty/README.md": "nothing here\n",
	})
	a, b := filepath.Join(dir, "a.netpol"), filepath.Join(dir, "b.netpol")
	c := filepath.Join(dir, "sub", "c.netpol")
	x := filepath.Join(dir, "other", "x.policy")

	tests := []struct {
		name  string
		paths []string
		want  []string
	}{
		{"directory is sorted and non-recursive", []string{dir}, []string{a, b}},
		{"files keep their names, sorted", []string{b, a}, []string{a, b}},
		{"any extension when named", []string{x}, []string{x}},
		{"duplicates removed", []string{a, dir, a, filepath.Join(dir, ".", "a.netpol")}, []string{a, b}},
		{"files and directories mix", []string{c, dir}, []string{a, b, c}},
		{"stdin", []string{"-"}, []string{"-"}},
		{"stdin once", []string{"-", a, "-"}, []string{"-", a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := names(t, tt.paths, "namespace stdin\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Load(%q) = %q, want %q", tt.paths, got, tt.want)
			}
		})
	}

	files, err := compile.Load([]string{"-"}, strings.NewReader("namespace stdin\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(files[0].Content); got != "namespace stdin\n" {
		t.Errorf("stdin content = %q", got)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"empty/README.md": "x", "ok.netpol": "namespace a\n"})
	missing := filepath.Join(dir, "missing.netpol")
	empty := filepath.Join(dir, "empty")

	tests := []struct {
		name  string
		paths []string
		want  []string // substrings of the error
	}{
		{"no paths", nil, []string{"no input"}},
		{"missing file", []string{missing}, []string{missing + ": no such file or directory"}},
		{"directory without sources", []string{empty}, []string{empty + ": directory has no .netpol files"}},
		{"every bad path reported", []string{missing, dir, empty}, []string{missing, empty}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compile.Load(tt.paths, strings.NewReader(""))
			if err == nil {
				t.Fatalf("Load(%q) succeeded, want an error", tt.paths)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "stat ") || strings.Contains(err.Error(), "open ") {
				t.Errorf("error %q leaks the syscall name", err)
			}
		})
	}
}

func TestLoadRecursive(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.netpol":          "namespace a\n",
		"sub/c.netpol":      "namespace c\n",
		"sub/deep/d.netpol": "namespace d\n",
		"empty/README.md":   "nothing here\n",
		".hidden/h.netpol":  "namespace h\n",
	})
	a := filepath.Join(dir, "a.netpol")
	c := filepath.Join(dir, "sub", "c.netpol")
	d := filepath.Join(dir, "sub", "deep", "d.netpol")

	if got, want := names(t, []string{dir + "/..."}, ""), []string{a, c, d}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Load(DIR/...) = %q, want %q (hidden directories skipped)", got, want)
	}

	progs, err := compile.LoadPrograms([]string{filepath.Join(dir, "sub") + "/...", a}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range progs {
		var ns []string
		for _, f := range p {
			ns = append(ns, filepath.Base(f.Name))
		}
		got = append(got, strings.Join(ns, "+"))
	}
	if want := "a.netpol c.netpol d.netpol"; strings.Join(got, " ") != want {
		t.Errorf("LoadPrograms = %q, want one program per directory: %q", got, want)
	}

	if _, err := compile.LoadPrograms([]string{filepath.Join(dir, "empty") + "/..."}, nil); err == nil || !strings.Contains(err.Error(), "no .netpol files") {
		t.Errorf("LoadPrograms(empty/...) error = %v, want no .netpol files", err)
	}
}

func TestLoadManifests(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.yaml", "b.yml", "c.json", "d.txt", "e.netpol"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := compile.LoadManifests([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f.Name))
	}
	if got := strings.Join(names, " "); got != "a.yaml b.yml c.json" {
		t.Errorf("LoadManifests(dir) = %s, want a.yaml b.yml c.json", got)
	}
	empty := t.TempDir()
	if _, err := compile.LoadManifests([]string{empty}, nil); err == nil || !strings.Contains(err.Error(), "directory has no .yaml, .yml or .json files") {
		t.Errorf("LoadManifests(empty dir) error = %v", err)
	}
	if _, err := compile.Load([]string{empty}, nil); err == nil || !strings.Contains(err.Error(), "directory has no .netpol files") {
		t.Errorf("Load(empty dir) error = %v", err)
	}
}
