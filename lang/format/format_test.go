package format

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/parser"
	"github.com/netpolc/netpolc/lang/source"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGolden formats testdata/*.netpol and compares the output with the
// .golden file beside it (go test -update rewrites it); the output must also
// be stable and parse to the same tree.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.netpol")
	if len(files) == 0 {
		t.Fatal("no golden tests")
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			got := checkRoundTrip(t, string(src))
			golden := strings.TrimSuffix(name, ".netpol") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("format(%s) differs from %s:\n%s", name, golden, got)
			}
		})
	}
}

// checkRoundTrip formats src, which must parse without errors, and checks
// that the output parses to the same tree and formats to itself.
func checkRoundTrip(t *testing.T, src string) string {
	t.Helper()
	tree, diags := parser.ParseFile(source.NewFile("in.netpol", []byte(src)))
	if diags.HasErrors() {
		t.Fatalf("input does not parse: %v", diags)
	}
	out := File(tree)
	tree2, diags := parser.ParseFile(source.NewFile("out.netpol", out))
	if diags.HasErrors() {
		t.Fatalf("output does not parse: %v\ninput:\n%q\noutput:\n%s", diags, src, out)
	}
	if a, b := ast.Dump(tree), ast.Dump(tree2); a != b {
		t.Fatalf("output parses to another tree\ninput:\n%q\noutput:\n%s\nbefore: %s\nafter:  %s", src, out, a, b)
	}
	if again := File(tree2); !bytes.Equal(again, out) {
		t.Fatalf("not idempotent\ninput:\n%q\nfirst:\n%s\nsecond:\n%s", src, out, again)
	}
	if n := len(comments(tree)); n != len(comments(tree2)) {
		t.Fatalf("lost comments: %d before, %d after\n%s", n, len(comments(tree2)), out)
	}
	return string(out)
}

func comments(f *ast.File) []string {
	var out []string
	doc := func(d ast.Doc) {
		for _, c := range d.Leading {
			out = append(out, c.Text)
		}
		if d.Trailing != nil {
			out = append(out, d.Trailing.Text)
		}
	}
	for _, s := range f.Stmts {
		doc(*s.Comments())
		switch s := s.(type) {
		case *ast.Rule:
			if s.HTTP != nil {
				for _, r := range s.HTTP.Rules {
					doc(r.Doc)
				}
				for _, c := range s.HTTP.Tail {
					out = append(out, c.Text)
				}
			}
		case *ast.Expect:
			if s.Request != nil {
				doc(s.Request.Doc)
			}
		}
	}
	for _, c := range f.Tail {
		out = append(out, c.Text)
	}
	return out
}

var formatTests = []struct{ name, src, want string }{
	{"empty", "", ""},
	{"only comments", "# a\n\n\n# b\n", "# a\n\n# b\n"},
	{"header comment", "# header\n\nnamespace x\n", "# header\n\nnamespace x\n"},
	{"spacing", "web->db:5432/tcp", "web -> db:5432/tcp\n"},
	{"selector", "web={app:web,tier:public}", "web = {app: web, tier: public}\n"},
	{"alignment", "a = {}\nlong-name = {}\n\nb = {}\nc-d = {}\nx -> y:80\ne = {}",
		"a         = {}\nlong-name = {}\n\nb   = {}\nc-d = {}\nx -> y:80\ne = {}\n"},
	{"blank lines collapse", "namespace a\n\n\n\ndefault deny\n", "namespace a\n\ndefault deny\n"},
	{"leading blank lines dropped", "\n\n\nnamespace a\n", "namespace a\n"},
	{"quoting", `x = {"a": "b", "k8s:app": "1.2", v: "80", w: "a b"}`, `x = {a: b, "k8s:app": "1.2", v: 80, w: "a b"}` + "\n"},
	{"quoted prefix key", `x = {"app.kubernetes.io/name": x}`, "x = {app.kubernetes.io/name: x}\n"},
	{"escapes", `x = {k: "a\"b\\"}`, `x = {k: "a\"b\\"}` + "\n"},
	{"regex backslashes kept", `a -> b:80 http { * /x host "api\.example\.com" }`,
		"a -> b:80 http {\n  * /x host api\\.example\\.com\n}\n"},
	{"single port list", "a -> b:[80]", "a -> b:80\n"},
	{"except one", "a = 0.0.0.0/0 except [10.0.0.0/8]", "a = 0.0.0.0/0 except 10.0.0.0/8\n"},
	{"entity", "a = entity(world), entity(none)", "a = world, entity(none)\n"},
	{"empty http", "a -> b:80 http {\n}", "a -> b:80 http {}\n"},
	{"http methods aligned", "a -> b:80 http {\nGET /a\nDELETE /b\n* host h\nPUT\n}",
		"a -> b:80 http {\n  GET    /a\n  DELETE /b\n  *      host h\n  PUT\n}\n"},
	{"http keywords quoted", "a -> b:80 http {\n GET \"host\" header \"a:b\": \"header\"\n}",
		"a -> b:80 http {\n  GET \"host\" header \"a:b\": \"header\"\n}\n"},
	{"header forms", "a -> b:80 http {\n GET header A:b header C: d header E\n}",
		"a -> b:80 http {\n  GET header A: b header C: d header E\n}\n"},
	{"expect request", "expect a -> b:80 http {\nGET /x\n} allowed", "expect a -> b:80 http { GET /x } allowed\n"},
	{"namespaces", "namespace a,b ,  c # x\nweb={app: web}", "namespace a, b, c # x\nweb = {app: web}\n"},
	{"expect every port", "expect a->b:*  denied\nexpect a -> b:[*/udp] allowed", "expect a -> b:* denied\nexpect a -> b:*/udp allowed\n"},
	{"trailing comments", "a = {}   # one   \nb -> c:80#two", "a = {} # one\nb -> c:80 #two\n"},
	{"multi-line statement", "a = {\n  x: y, # why\n  z: w\n}", "a = {x: y, z: w} # why\n"},
	{"tail", "a = {}\n\n# end\n", "a = {}\n\n# end\n"},
}

func TestFormat(t *testing.T) {
	for _, tt := range formatTests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkRoundTrip(t, tt.src)
			if got != tt.want {
				t.Errorf("format(%q)\ngot:\n%s\nwant:\n%s", tt.src, got, tt.want)
			}
		})
	}
}

func TestSourceErrors(t *testing.T) {
	out, diags := Source(source.NewFile("bad.netpol", []byte("namespace a\nweb -> -> db\nnamespce b\n")))
	if out != nil || len(diags) != 2 || diags[0].Span.Start.Line != 2 || diags[1].Span.Start.Line != 3 {
		t.Fatalf("got %q, %v; want no output and errors on lines 2 and 3", out, diags)
	}
}

func TestBadStmtKept(t *testing.T) {
	src := "namespace a\n# keep\nweb ->  -> db # c\n  x = {\n"
	tree, _ := parser.ParseFile(source.NewFile("bad.netpol", []byte(src)))
	want := "namespace a\n# keep\nweb ->  -> db # c\nx = {\n" // the text from the first token
	if got := string(File(tree)); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func FuzzFormatRoundTrip(f *testing.F) {
	for _, tt := range formatTests {
		f.Add(tt.src)
	}
	for _, pattern := range []string{"testdata/*.netpol", "../parser/testdata/golden/*.netpol", "../parser/testdata/errors/*.netpol"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		tree, diags := parser.ParseFile(source.NewFile("in.netpol", []byte(src)))
		if diags.HasErrors() {
			_ = File(tree) // must not panic on bad statements either
			return
		}
		checkRoundTrip(t, src)
	})
}
