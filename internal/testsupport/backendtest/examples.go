package backendtest

import (
	"os"
	"path"
	"path/filepath"
	"sort"
	"testing"

	"github.com/netpolc/netpolc/lang/source"
)

// Example is one directory of the repository's examples/ that holds netpolc
// sources.
type Example struct {
	Dir     string            // the directory, as found below the root
	Name    string            // its base name
	Sources map[string]string // every *.netpol in it: base name -> content
}

// Files returns the example's sources as files named by their base names,
// in name order.
func (e Example) Files() []*source.File { return e.FilesIn("") }

// FilesIn is Files with every name under the slash-separated directory dir
// ("examples/zero-trust/policy.netpol" for dir "examples/zero-trust").
func (e Example) FilesIn(dir string) []*source.File {
	names := make([]string, 0, len(e.Sources))
	for name := range e.Sources {
		names = append(names, name)
	}
	sort.Strings(names)
	files := make([]*source.File, len(names))
	for i, name := range names {
		full := name
		if dir != "" {
			full = path.Join(dir, name)
		}
		files[i] = source.NewFile(full, []byte(e.Sources[name]))
	}
	return files
}

// Examples reads every directory below root (the repository's examples/)
// that holds .netpol files, in name order; directories without one are left
// out. A file that cannot be read fails t.
func Examples(t testing.TB, root string) []Example {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(root, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []Example
	for _, dir := range dirs {
		if e := ReadExample(t, dir); len(e.Sources) > 0 {
			out = append(out, e)
		}
	}
	return out
}

// ReadExample reads the .netpol files of the example in dir (none: an
// Example without sources). A file that cannot be read fails t.
func ReadExample(t testing.TB, dir string) Example {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.netpol"))
	if err != nil {
		t.Fatal(err)
	}
	e := Example{Dir: dir, Name: filepath.Base(dir), Sources: map[string]string{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		e.Sources[filepath.Base(f)] = string(b)
	}
	return e
}

// SourcesIn returns the example's sources named under the slash-separated
// directory dir, as the goldens name them ("examples/zero-trust/x.netpol"
// for dir "examples/zero-trust"). An example without sources fails t.
func (e Example) SourcesIn(t testing.TB, dir string) map[string]string {
	t.Helper()
	if len(e.Sources) == 0 {
		t.Fatalf("no sources in %s", e.Dir)
	}
	out := make(map[string]string, len(e.Sources))
	for name, text := range e.Sources {
		out[path.Join(dir, name)] = text
	}
	return out
}
