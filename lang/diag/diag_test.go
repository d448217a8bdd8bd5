package diag_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// at returns a span in file at line (1-based), offset derived from the line
// so that later lines sort after earlier ones.
func at(file string, line, col int) source.Span {
	off := line*100 + col
	return source.Span{File: file, Start: source.Pos{Offset: off, Line: line, Col: col}, End: source.Pos{Offset: off + 1, Line: line, Col: col + 1}}
}

// summary renders a list one diagnostic a line, for comparison.
func summary(l diag.List) string {
	var b strings.Builder
	for _, d := range l {
		fmt.Fprintf(&b, "%s %s[%s] %s\n", d.Span, d.Severity, d.Code, d.Message)
	}
	return b.String()
}

func TestNormalizeSorts(t *testing.T) {
	var l diag.List
	l.Errorf("b-code", at("b.netpol", 1, 1), "in b")
	l.Warnf("w", at("a.netpol", 3, 5), "warning on line 3")
	l.Errorf("z", at("a.netpol", 3, 5), "error on line 3, same place")
	l.Errorf("a", at("a.netpol", 3, 5), "error on line 3, same place, code a")
	l.Errorf("x", at("a.netpol", 1, 9), "line 1 col 9")
	l.Errorf("x", at("a.netpol", 1, 2), "line 1 col 2")
	l.Add(diag.Diagnostic{Severity: diag.Error, Code: "nowhere", Message: "no position"})
	want := `- error[nowhere] no position
a.netpol:1:2 error[x] line 1 col 2
a.netpol:1:9 error[x] line 1 col 9
a.netpol:3:5 error[a] error on line 3, same place, code a
a.netpol:3:5 error[z] error on line 3, same place
a.netpol:3:5 warning[w] warning on line 3
b.netpol:1:1 error[b-code] in b
`
	if got := summary(l.Normalize()); got != want {
		t.Errorf("Normalize:\n%s\nwant:\n%s", got, want)
	}
	// Normalize returns a new list and leaves its receiver alone.
	if l[0].Code != "b-code" || len(l) != 7 {
		t.Errorf("Normalize changed its receiver: %s", summary(l))
	}
}

func TestNormalizeDedupesPerLine(t *testing.T) {
	var l diag.List
	l.Errorf("unknown-name", at("a.netpol", 2, 1), "unknown group \"web\"")
	l.Errorf("unknown-name", at("a.netpol", 2, 1), "unknown group \"web\"")  // exact duplicate
	l.Errorf("unknown-name", at("a.netpol", 2, 12), "unknown group \"web\"") // same line, code and message, other column
	l.Errorf("unknown-name", at("a.netpol", 2, 20), "unknown group \"db\"")  // same line and code, other message: kept
	l.Errorf("bad-port", at("a.netpol", 2, 30), "unknown group \"web\"")     // same line and message, other code: kept
	l.Errorf("unknown-name", at("a.netpol", 3, 1), "unknown group \"web\"")  // next line: kept
	l.Errorf("unknown-name", at("b.netpol", 2, 1), "unknown group \"web\"")  // other file: kept
	want := `a.netpol:2:1 error[unknown-name] unknown group "web"
a.netpol:2:20 error[unknown-name] unknown group "db"
a.netpol:2:30 error[bad-port] unknown group "web"
a.netpol:3:1 error[unknown-name] unknown group "web"
b.netpol:2:1 error[unknown-name] unknown group "web"
`
	if got := summary(l.Normalize()); got != want {
		t.Errorf("Normalize:\n%s\nwant:\n%s", got, want)
	}
}

func TestNormalizeCaps(t *testing.T) {
	for _, n := range []int{diag.MaxPerRun - 1, diag.MaxPerRun, diag.MaxPerRun + 1, 3 * diag.MaxPerRun} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var l diag.List
			for i := n; i > 0; i-- { // reverse order: the kept ones must be the first by position
				l.Errorf("bad-port", at("a.netpol", i, 1), "problem %d", i)
			}
			got := l.Normalize()
			if n <= diag.MaxPerRun {
				if len(got) != n {
					t.Fatalf("%d diagnostics kept of %d, want all", len(got), n)
				}
				return
			}
			if len(got) != diag.MaxPerRun {
				t.Fatalf("%d diagnostics kept, want %d", len(got), diag.MaxPerRun)
			}
			for i, d := range got[:diag.MaxPerRun-1] {
				if d.Span.Start.Line != i+1 {
					t.Fatalf("diagnostic %d is on line %d, want the first lines in order", i, d.Span.Start.Line)
				}
			}
			last := got[diag.MaxPerRun-1]
			dropped := n - (diag.MaxPerRun - 1)
			if last.Severity != diag.Info || last.Code != "too-many-diagnostics" || last.Message != fmt.Sprintf("%d more diagnostics not shown", dropped) {
				t.Errorf("last diagnostic %+v, want an info saying %d more were dropped", last, dropped)
			}
			if !got.HasErrors() || got.Errors() != diag.MaxPerRun-1 {
				t.Errorf("Errors() = %d", got.Errors())
			}
		})
	}
}

func TestListHelpers(t *testing.T) {
	var l diag.List
	if l.HasErrors() || l.Errors() != 0 {
		t.Error("empty list has errors")
	}
	l.Warnf("w", source.Span{}, "a warning")
	if l.HasErrors() {
		t.Error("a warning counts as an error")
	}
	d := l.Errorf("e", at("a.netpol", 1, 1), "bad %s", "thing")
	d.Detail = "Details."
	d.Suggestion = "good"
	if l[1].Detail != "Details." || l[1].Suggestion != "good" || l[1].Message != "bad thing" {
		t.Errorf("Errorf did not return the stored diagnostic: %+v", l[1])
	}
	var other diag.List
	other.Errorf("e2", source.Span{}, "another")
	l.Append(other)
	if l.Errors() != 2 || len(l) != 3 {
		t.Errorf("Append: %s", summary(l))
	}
	if got, want := l[1].Error(), "a.netpol:1:1: error[e]: bad thing"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := diag.Warning.String() + diag.Info.String() + diag.Error.String(); got != "warninginfoerror" {
		t.Errorf("severity names %q", got)
	}
}
