package format

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/netpolc/netpolc/lang/parser"
	"github.com/netpolc/netpolc/lang/source"
)

// repoRoot is the module root, two levels above this package.
const repoRoot = "../.."

// TestCorpusRoundTrip formats every netpolc source in the repository (the
// examples, and the .netpol files and txtar sections of every package's
// testdata) that parses without errors: the output must parse to the same
// tree and format to itself. The examples must already be canonical.
func TestCorpusRoundTrip(t *testing.T) {
	n := 0
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && path != repoRoot {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(repoRoot, path)
		switch {
		case strings.HasSuffix(path, ".netpol"):
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			n += roundTripIfValid(t, rel, src, strings.HasPrefix(rel, "examples"+string(filepath.Separator)))
		case strings.HasSuffix(path, ".txtar"):
			a, err := txtar.ParseFile(path)
			if err != nil {
				return err
			}
			for _, f := range a.Files {
				if strings.HasSuffix(f.Name, ".netpol") {
					n += roundTripIfValid(t, rel+"#"+f.Name, f.Data, false)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("only %d sources round-tripped; is the corpus missing?", n)
	}
	t.Logf("%d sources round-tripped", n)
}

// roundTripIfValid checks src if it parses (error test cases do not) and
// returns 1 if it did.
func roundTripIfValid(t *testing.T, name string, src []byte, mustBeCanonical bool) int {
	t.Helper()
	if _, diags := parser.ParseFile(source.NewFile(name, src)); diags.HasErrors() {
		if mustBeCanonical {
			t.Errorf("%s does not parse: %v", name, diags)
		}
		return 0
	}
	t.Run(name, func(t *testing.T) {
		out := checkRoundTrip(t, string(src))
		if mustBeCanonical && out != string(src) {
			t.Errorf("%s is not formatted canonically; run netpolc fmt -w %s", name, name)
		}
	})
	return 1
}
