package backendtest

import (
	"path/filepath"
	"strings"
	"testing"
)

// CorpusFile is one file of an import corpus.
type CorpusFile struct {
	Path string // as found, below the corpus directory
	Name string // the base name without its extension (the subtest name)
	Err  bool   // an error case: its name starts with "err-"
}

// Corpus lists the manifests (*.yaml, *.json) of the corpus in dir, sorted,
// and fails t when it holds fewer than minOK files that should import or
// fewer than minErr error cases, so that a moved or emptied corpus cannot
// pass silently.
func Corpus(t testing.TB, dir string, minOK, minErr int) []CorpusFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []CorpusFile
	ok, bad := 0, 0
	for _, p := range paths {
		ext, base := filepath.Ext(p), filepath.Base(p)
		if ext != ".yaml" && ext != ".json" {
			continue
		}
		f := CorpusFile{Path: p, Name: strings.TrimSuffix(base, ext), Err: strings.HasPrefix(base, "err-")}
		if f.Err {
			bad++
		} else {
			ok++
		}
		out = append(out, f)
	}
	if ok < minOK || bad < minErr {
		t.Errorf("the corpus %s has %d files that import and %d error cases; want at least %d and %d", dir, ok, bad, minOK, minErr)
	}
	return out
}
