package parser

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/source"
)

// hostileInputs must parse without panicking, in time linear in their
// size, with spans inside the file. The sizes keep the test to a few
// seconds (limits_test.go covers larger inputs).
func hostileInputs() map[string]string {
	r := rand.New(rand.NewSource(1))
	garbage := make([]byte, 64<<10)
	r.Read(garbage)
	return map[string]string{
		"empty":              "",
		"newlines":           strings.Repeat("\n", 1000),
		"binary":             string(garbage),
		"long ident":         strings.Repeat("a", 1<<20),
		"long group":         "g = " + strings.Repeat("a, ", 1<<15) + "b",
		"long selector":      "g = {" + strings.Repeat("k: v, ", 1<<14) + "k: v}",
		"nested braces":      strings.Repeat("{", 100000),
		"nested brackets":    "a -> b:" + strings.Repeat("[", 100000),
		"closing braces":     strings.Repeat("}", 100000),
		"unterminated":       `a = "` + strings.Repeat(`\"`, 1<<18),
		"quotes":             strings.Repeat(`"\`, 1<<18),
		"colons":             strings.Repeat(":", 1<<16),
		"digits":             strings.Repeat("1", 1<<20),
		"dotted digits":      strings.Repeat("1.", 1<<19),
		"hex colons":         strings.Repeat("a:", 1<<15),
		"open http":          "a -> b:80 http {\n" + strings.Repeat("GET /x\n", 1<<16),
		"many open http":     strings.Repeat("a -> b:80 http {\nc -> d:80\n", 1<<12),
		"http words":         "a -> b:80 http { " + strings.Repeat("x ", 1<<15) + "}",
		"many bad lines":     strings.Repeat("namespce x\n", 1<<12),
		"unclosed then good": strings.Repeat("a = {x: y\n", 1<<14),
		"comments":           strings.Repeat("# c\n", 1<<16),
		"nul bytes":          strings.Repeat("\x00", 1000),
		"invalid utf8":       "a = {k: \"\xff\xfe\"}\nb -> \xc3:80",
		"byte order marks":   source.BOM + "a = {}\n" + source.BOM + source.BOM + "\n" + strings.Repeat("x -> y:\n", 50),
	}
}

func TestHostileInputs(t *testing.T) {
	for name, src := range hostileInputs() {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			f := source.NewFile(name, []byte(src))
			tree, _ := ParseFile(f)
			checkSpans(t, f, tree)
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// checkSpans checks that every statement's span and comment lies inside f
// and that statements come in order.
func checkSpans(t *testing.T, f *source.File, tree *ast.File) {
	t.Helper()
	n := len(f.Content)
	in := func(what string, s source.Span) {
		if s.Start.Offset < 0 || s.End.Offset > n || s.Start.Offset > s.End.Offset || !s.IsValid() {
			t.Fatalf("%s span %v..%v outside file of %d bytes", what, s.Start, s.End, n)
		}
	}
	prev := 0
	for _, s := range tree.Stmts {
		in("statement", s.Span())
		if s.Span().Start.Offset < prev {
			t.Fatalf("statement at %v before the previous one", s.Span())
		}
		prev = s.Span().End.Offset
		d := s.Comments()
		for _, c := range d.Leading {
			in("comment", c.Src)
		}
		if d.Trailing != nil {
			in("comment", d.Trailing.Src)
		}
		if b, ok := s.(*ast.BadStmt); ok && b.Text != string(f.Content[b.Src.Start.Offset:b.Src.End.Offset]) {
			t.Fatalf("bad statement text %q is not its span's", b.Text)
		}
	}
	for _, c := range tree.Tail {
		in("tail comment", c.Src)
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.src)
	}
	for _, dir := range []string{"testdata/golden/*.netpol", "testdata/errors/*.netpol"} {
		files, _ := filepath.Glob(dir)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		file := source.NewFile("fuzz.netpol", []byte(src))
		tree, diags := ParseFile(file)
		checkSpans(t, file, tree)
		for _, d := range diags {
			if d.Span.End.Offset > len(src) || d.Span.Start.Offset > d.Span.End.Offset || d.Message == "" {
				t.Fatalf("bad diagnostic %v", d)
			}
		}
		_ = ast.Dump(tree)
	})
}
