package parser

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/source"
)

// randomBytes returns n random bytes, the same on every run.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(1)).Read(b)
	return b
}

// parseStopped parses src and checks that parsing stopped with the message
// want, after the syntax errors, in a last BadStmt that holds the rest of
// the file; it returns the number of syntax errors.
func parseStopped(t *testing.T, src []byte, want string) int {
	t.Helper()
	f := source.NewFile("bad.netpol", src)
	tree, diags := ParseFile(f)
	checkSpans(t, f, tree)
	if len(diags) == 0 {
		t.Fatal("no diagnostics")
	}
	last := diags[len(diags)-1]
	if last.Code != codeTooManyErrors || last.Message != want {
		t.Fatalf("last diagnostic %v, want %s: %s", last, codeTooManyErrors, want)
	}
	for _, d := range diags[:len(diags)-1] {
		if d.Code != codeSyntax {
			t.Fatalf("diagnostic %v", d)
		}
	}
	rest, ok := tree.Stmts[len(tree.Stmts)-1].(*ast.BadStmt)
	if !ok || rest.Src.Start != last.Span.Start || rest.Src.End.Offset != len(src) {
		t.Fatalf("last statement %#v does not hold the rest of the file from %v", tree.Stmts[len(tree.Stmts)-1], last.Span.Start)
	}
	return len(diags) - 1
}

func TestParseStopsAfterManyErrors(t *testing.T) {
	src := strings.Repeat("namespce x\n", 1000)
	if n := parseStopped(t, []byte(src), "parsing stopped after 40 bad statements; the remaining 960 lines were not parsed"); n != maxSyntaxErrors {
		t.Errorf("%d syntax errors, want %d", n, maxSyntaxErrors)
	}
	// Fewer bad statements, or only white space after them: no stop.
	for _, src := range []string{strings.Repeat("namespce x\n", maxSyntaxErrors-1) + "namespace x\n", strings.Repeat("namespce x\n", maxSyntaxErrors) + "\n \n"} {
		_, diags := ParseFile(source.NewFile("a.netpol", []byte(src)))
		for _, d := range diags {
			if d.Code == codeTooManyErrors {
				t.Errorf("%s", d)
			}
		}
	}
}

func TestParseRandomBytes(t *testing.T) {
	n := parseStopped(t, randomBytes(10<<20), "parsing stopped after 40 bad statements; the remaining 40873 lines were not parsed")
	if n != maxSyntaxErrors {
		t.Errorf("%d syntax errors, want %d", n, maxSyntaxErrors)
	}
}

func TestParseStopsAtLongStatement(t *testing.T) {
	src := "namespace x\n# long\ng = " + strings.Repeat("a, ", maxStmtTokens/2) + "b\nweb = {}\n"
	parseStopped(t, []byte(src), "parsing stopped at a statement of more than 262144 tokens; the remaining 3 lines were not parsed")
	// The first statement, after a byte order mark.
	src = source.BOM + "g = " + strings.Repeat("a, ", maxStmtTokens/2) + "b\n"
	parseStopped(t, []byte(src), "parsing stopped at a statement of more than 262144 tokens; the remaining 1 line was not parsed")
	// Bad statements of more than maxBadTokens tokens in all.
	bad := "g = " + strings.Repeat("a, ", maxBadTokens/4) + "\n" // a trailing comma
	if n := parseStopped(t, []byte(bad+bad+bad+"web = {}\n"), "parsing stopped after 2 bad statements; the remaining 2 lines were not parsed"); n != 2 {
		t.Errorf("%d syntax errors, want 2", n)
	}
}

// BenchmarkParseRandom parses 10 MB of random bytes: parsing stops after
// maxSyntaxErrors bad statements.
func BenchmarkParseRandom(b *testing.B) {
	src := randomBytes(10 << 20)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		ParseFile(source.NewFile("random.netpol", src))
	}
}
