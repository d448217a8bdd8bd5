package compile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/parser"
	"github.com/netpolc/netpolc/lang/source"
)

// FuzzCompile compiles any input: it must never panic, and a program
// compiled without errors must satisfy the IR invariants.
func FuzzCompile(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.txtar")
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range txtar.Parse(data).Files {
			if strings.HasSuffix(s.Name, ".netpol") {
				f.Add(string(s.Data))
			}
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		file := source.NewFile("fuzz.netpol", []byte(text))
		if _, d := parser.ParseFile(file); d.HasErrors() {
			return
		}
		res, diags := Compile([]*source.File{file}, Options{})
		if res == nil {
			t.Fatal("nil result")
		}
		if !diags.HasErrors() {
			if res.Program == nil {
				t.Fatal("no program and no errors")
			}
			if err := ir.Validate(res.Program); err != nil {
				t.Fatalf("Validate: %v\ninput:\n%s", err, text)
			}
		}
	})
}
