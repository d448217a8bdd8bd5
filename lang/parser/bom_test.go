package parser

import (
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/source"
)

// TestByteOrderMark: a BOM at the start of a file is not text, and columns
// of the first line count from after it; anywhere else it is an error.
func TestByteOrderMark(t *testing.T) {
	f := source.NewFile("a.netpol", []byte(source.BOM+"namespace shop\nweb = {app: web}\n"))
	tree, diags := ParseFile(f)
	if len(diags) != 0 || len(tree.Stmts) != 2 {
		t.Fatalf("diagnostics %v, %d statements", diags, len(tree.Stmts))
	}
	if got := ast.Dump(tree.Stmts[0]); got != `(namespace "shop")` {
		t.Errorf("first statement %s", got)
	}
	if s := tree.Stmts[0].Span(); s.Start.Offset != 3 || s.Start.Col != 1 {
		t.Errorf("first statement at offset %d, column %d", s.Start.Offset, s.Start.Col)
	}

	// An error on line 1, after the BOM.
	_, diags = ParseFile(source.NewFile("b.netpol", []byte(source.BOM+"namespace shop extra\n")))
	if len(diags) != 1 {
		t.Fatalf("diagnostics %v", diags)
	}
	if p := diags[0].Span.Start; p.Line != 1 || p.Col != 16 || p.Offset != 18 {
		t.Errorf("error at %d:%d (offset %d), want 1:16 (offset 18): %v", p.Line, p.Col, p.Offset, diags[0])
	}

	// A BOM elsewhere.
	for _, src := range []string{"namespace shop\n" + source.BOM + "web = {}\n", "namespace " + source.BOM + "shop\n", source.BOM + source.BOM + "namespace shop\n"} {
		_, diags := ParseFile(source.NewFile("c.netpol", []byte(src)))
		if len(diags) != 1 || diags[0].Code != codeSyntax || !strings.Contains(diags[0].Message, `unexpected character "\ufeff"`) {
			t.Errorf("%q: diagnostics %v", src, diags)
		}
	}
}
