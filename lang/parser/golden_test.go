package parser

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/source"
)

// TestGolden parses testdata/golden/*.netpol and compares the tree and the
// diagnostics with the .golden file beside it (go test -update rewrites it).
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.netpol")
	if len(files) == 0 {
		t.Fatal("no golden tests")
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, diags := ParseFile(source.NewFile(filepath.Base(name), src))
			var b bytes.Buffer
			b.WriteString(ast.Dump(f) + "\n")
			for _, d := range diags {
				fmt.Fprintf(&b, "%s\n", d.Error())
				if d.Suggestion != "" {
					fmt.Fprintf(&b, "  suggestion: %s\n", d.Suggestion)
				}
			}
			golden := strings.TrimSuffix(name, ".netpol") + ".golden"
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from %s:\n%s", name, golden, b.String())
			}
		})
	}
}
