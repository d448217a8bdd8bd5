package parser

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kindNames names token kinds in test output.
var kindNames = map[tokKind]string{
	tokComment: "comment", tokNewline: "newline", tokHTTPOpen: "http{", tokHTTPEnd: "}http",
	tokCIDR6: "cidr6", tokCIDR4: "cidr4", tokIdent: "ident", tokNumber: "number", tokString: "string",
	tokArrow: "arrow", tokNotEq: "noteq", tokPunct: "punct", tokWord: "word", tokOther: "other",
}

// scanAll returns "kind:text" for each token of src.
func scanAll(src string) []string {
	s := &scanner{src: src}
	var out []string
	for t := s.next(); t.kind != tokEOF; t = s.next() {
		out = append(out, kindNames[t.kind]+":"+src[t.off:t.end])
	}
	return out
}

func TestScanner(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"web -> db:5432/tcp", "ident:web arrow:-> ident:db punct:: number:5432 punct:/ ident:tcp"},
		{"ingress-nginx app.kubernetes.io a-", "ident:ingress-nginx ident:app.kubernetes.io ident:a punct:-"},
		{"a->b a-->b", "ident:a arrow:-> ident:b ident:a punct:- arrow:-> ident:b"},
		{"10.0.0.0/8 10.1.2.3 1.2.3 10.0.0.0/", "cidr4:10.0.0.0/8 cidr4:10.1.2.3 number:1 other:. number:2 other:. number:3 cidr4:10.0.0.0 punct:/"},
		{"2001:db8::/32 ::/0 db:8080/tcp", "cidr6:2001:db8::/32 cidr6:::/0 ident:db punct:: number:8080 punct:/ ident:tcp"},
		{`"a\"b" "x`, `string:"a\"b" string:"x`},
		{"{k != v, !k} # c\n", "punct:{ ident:k noteq:!= ident:v punct:, punct:! ident:k punct:} comment:# c newline:\n"},
		{"a @ \xff \ufeff", "ident:a other:@ other:\xff other:\ufeff"},
		{"http { GET /a.* h:v \"x y\" { } z", "http{:http { word:GET word:/a.* word:h:v string:\"x y\" other:{ }http:} ident:z"},
		{"http\t{\n# c\n}", "http{:http\t{ newline:\n comment:# c newline:\n }http:}"},
		{"https {", "ident:https punct:{"},
	} {
		if got := strings.Join(scanAll(tt.src), " "); got != tt.want {
			t.Errorf("scan %q:\ngot  %s\nwant %s", tt.src, got, tt.want)
		}
	}
}

// checkTiling checks that the tokens of src cover every byte that is not
// white space between tokens, in order, without overlap.
func checkTiling(t testing.TB, src string) {
	s := &scanner{src: src}
	prev := 0
	for tok := s.next(); ; tok = s.next() {
		if strings.TrimLeft(src[prev:tok.off], " \t\r\f\v") != "" {
			t.Fatalf("%q: bytes %d..%d are in no token", src, prev, tok.off)
		}
		if tok.kind == tokEOF {
			if tok.off != len(src) {
				t.Fatalf("%q: EOF at %d", src, tok.off)
			}
			return
		}
		if tok.end <= tok.off && tok.kind != tokEOF {
			t.Fatalf("%q: empty token at %d", src, tok.off)
		}
		prev = tok.end
	}
}

func scannerCorpus(t testing.TB, random bool) []string {
	var out []string
	for _, tt := range parseTests {
		out = append(out, tt.src)
	}
	files, _ := filepath.Glob("testdata/*/*.netpol")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	if !random {
		return out
	}
	pieces := []string{
		"http", "http {", "http\t{", "{", "}", "[", "]", "(", ")", " ", "\t", "\r", "\f", "\v", "\n",
		"#", "\"", "\\", "\\\"", ":", "::", ".", "/", "-", "->", "!", "!=", "=", ",", "*",
		"0", "1", "12", "255", "a", "f", "F", "g", "x", "_", "abcd", "fffff", "db", "é", "\xff", "\xc3",
		"\ufeff", "\u0085", "\u2028", "GET", "host", "header",
	}
	r := rand.New(rand.NewSource(1))
	for range 20000 {
		var b strings.Builder
		for range r.Intn(24) {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		out = append(out, b.String())
	}
	return out
}

func TestScannerTiling(t *testing.T) {
	for _, src := range scannerCorpus(t, true) {
		checkTiling(t, src)
	}
}

func FuzzScanner(f *testing.F) {
	for _, src := range scannerCorpus(f, false) {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) { checkTiling(t, src) })
}
