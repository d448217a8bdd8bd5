package parser

import (
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/alecthomas/participle/v2/lexer"
)

// tok is what the parser uses of a token.
type tok struct {
	Type   lexer.TokenType
	Value  string
	Offset int
}

// lexDefTokens lexes src with lexDef, the reference for the scanner.
func lexDefTokens(t testing.TB, src string) []tok {
	l, err := lexDef.LexString("", src)
	if err != nil {
		t.Fatal(err)
	}
	var out []tok
	for {
		x, err := l.Next()
		if err != nil {
			t.Fatalf("lexDef: %v", err)
		}
		if x.EOF() {
			return out
		}
		out = append(out, tok{x.Type, x.Value, x.Pos.Offset})
	}
}

func scannerTokens(src string) []tok {
	s := &scanner{src: src}
	var out []tok
	for {
		x, _ := s.Next()
		if x.EOF() {
			return out
		}
		out = append(out, tok{x.Type, x.Value, x.Pos.Offset})
	}
}

func compareScanner(t testing.TB, src string) {
	t.Helper()
	want, got := lexDefTokens(t, src), scannerTokens(src)
	for i := 0; i < len(want) || i < len(got); i++ {
		var w, g tok
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Fatalf("token %d of %q: scanner %+v, lexDef %+v", i, src, g, w)
		}
	}
}

// scannerCorpus is text to lex both ways: the parser's tests and files, the
// smaller hostile inputs, and (with random) random strings over the
// characters that matter to some rule.
func scannerCorpus(t testing.TB, random bool) []string {
	var out []string
	for _, tt := range parseTests {
		out = append(out, tt.src)
	}
	for _, src := range hostileInputs() {
		if len(src) <= 1<<16 {
			out = append(out, src)
		}
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

func TestScannerMatchesLexDef(t *testing.T) {
	for _, src := range scannerCorpus(t, true) {
		compareScanner(t, src)
	}
}

func FuzzScanner(f *testing.F) {
	for _, src := range scannerCorpus(f, false) {
		if len(src) < 4096 {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src string) { compareScanner(t, src) })
}

// statementTokens lexes and splits src, which must be one statement.
func statementTokens(t *testing.T, src string) []lexer.Token {
	t.Helper()
	sp := &splitter{ts: newTokens(src, 0)}
	r := sp.next()
	if r == nil || sp.next() != nil {
		t.Fatalf("%q is not one statement", src)
	}
	return r.toks
}

// TestAliasGroup checks that aliasGroup builds what groupParser builds, and
// that quickParse builds what stmtParser builds.
func TestAliasGroup(t *testing.T) {
	for _, src := range []string{
		"g = a", "g2 = g1", "g = a, b, c", "g = entity, service, node, ns, world",
		"g = deny, ingress, http, namespace, expect",
		"web-1.x = db_2, a.b-c",
	} {
		toks := statementTokens(t, src)
		eof := lexer.Token{Type: lexer.EOF, Pos: lexer.Position{Offset: len(src)}}
		got := aliasGroup(toks)
		if got == nil {
			t.Fatalf("aliasGroup(%q) = nil", src)
		}
		want, err := groupParser.ParseFromLexer(quickLexer(toks, eof))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("aliasGroup(%q) = %#v, groupParser %#v", src, got, want)
		}
	}
	for _, src := range []string{"g = a,", "g = a b", "g = a, *", "g = {}", "g = ns/x", "g = entity(world)", "g = \"x.com\""} {
		if aliasGroup(statementTokens(t, src)) != nil {
			t.Errorf("aliasGroup(%q) != nil", src)
		}
	}
	// quickParse against stmtParser, over the statements of the parse tests
	// and the test files.
	compared := 0
	for _, src := range scannerCorpus(t, false) {
		if len(src) > 1<<16 {
			continue
		}
		sp := &splitter{ts: newTokens(src, 0)}
		for r := sp.next(); r != nil; r = sp.next() {
			if r.err != nil || r.tooLong {
				continue
			}
			last := r.toks[len(r.toks)-1]
			eof := lexer.Token{Type: lexer.EOF, Pos: lexer.Position{Offset: tokenEnd(last)}}
			got := quickParse(r.toks, eof)
			if got == nil {
				continue
			}
			want, err := stmtParser.ParseFromLexer(quickLexer(r.toks, eof))
			if err != nil {
				t.Errorf("quickParse parsed %q, stmtParser: %v", src[r.start:r.end], err)
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("quickParse(%q) = %#v, stmtParser %#v", src[r.start:r.end], got, want)
			}
			compared++
		}
	}
	if compared < 50 {
		t.Errorf("compared only %d statements", compared)
	}
	t.Logf("compared %d statements", compared)
}
