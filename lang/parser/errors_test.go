package parser

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/source"
)

// errorComment is an expectation written beside the bad source: a
// diagnostic on the same line whose message matches the regular expression.
var errorComment = regexp.MustCompile(`# ERROR ("(?:[^"\\]|\\.)*")\s*$`)

// TestErrors parses testdata/errors/*.netpol and checks that the
// diagnostics are exactly those announced by "# ERROR "rx"" comments: one
// per marked line, matching by line and message.
func TestErrors(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.netpol")
	if len(files) == 0 {
		t.Fatal("no error tests")
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			want := map[int]*regexp.Regexp{}
			for i, line := range strings.Split(string(src), "\n") {
				if m := errorComment.FindStringSubmatch(line); m != nil {
					// Only \" is an escape; other backslashes belong to the regexp.
					rx := strings.ReplaceAll(m[1][1:len(m[1])-1], `\"`, `"`)
					want[i+1] = regexp.MustCompile(rx)
				}
			}
			_, diags := ParseFile(source.NewFile(name, src))
			got := map[int]bool{}
			for _, d := range diags {
				line := d.Span.Start.Line
				if got[line] {
					t.Errorf("%s: second error on line %d: %s", d.Span, line, d.Message)
					continue
				}
				got[line] = true
				rx, ok := want[line]
				switch {
				case !ok:
					t.Errorf("%s: unexpected error: %s", d.Span, d.Message)
				case !rx.MatchString(d.Message):
					t.Errorf("%s: error %q does not match %q", d.Span, d.Message, rx)
				}
				if d.Code != codeSyntax {
					t.Errorf("%s: code %q, want %q", d.Span, d.Code, codeSyntax)
				}
			}
			for line, rx := range want {
				if !got[line] {
					t.Errorf("%s:%d: missing error matching %q", name, line, rx)
				}
			}
		})
	}
}

func TestSuggestion(t *testing.T) {
	_, diags := ParseFile(source.NewFile("s.netpol", []byte("namespce production\n")))
	if len(diags) != 1 || diags[0].Suggestion != "namespace" || diags[0].Span.End.Col != 9 {
		t.Fatalf("got %v, want one error suggesting namespace for columns 1-9", diags)
	}
}

func TestThreeErrors(t *testing.T) {
	src, err := os.ReadFile("testdata/errors/three.netpol")
	if err != nil {
		t.Fatal(err)
	}
	f, diags := ParseFile(source.NewFile("three.netpol", src))
	if len(diags) != 3 {
		t.Fatalf("got %d errors, want 3: %v", len(diags), diags)
	}
	bad := 0
	for _, s := range f.Stmts {
		if strings.HasPrefix(s.Span().String(), "three.netpol") && isBad(s) {
			bad++
		}
	}
	if bad != 3 || len(f.Stmts) != 7 {
		t.Errorf("got %d statements with %d bad ones, want 7 with 3", len(f.Stmts), bad)
	}
}
