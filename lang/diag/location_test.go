package diag_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

func TestFileName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// Ordinary names print as they are, so existing output is unchanged.
		{"shop.netpol", "shop.netpol"},
		{"policies/my shop.netpol", "policies/my shop.netpol"},
		{"politiques/café.netpol", "politiques/café.netpol"},
		{"-", "-"},
		{"", ""},
		// Names that could forge a line or act on a terminal are quoted.
		{"a.netpol\n/etc/passwd:1:1: error[x]: forged", `"a.netpol\n/etc/passwd:1:1: error[x]: forged"`},
		{"a\rb.netpol", `"a\rb.netpol"`},
		{"a\tb.netpol", `"a\tb.netpol"`},
		{"\x1b[31mred.netpol", `"\x1b[31mred.netpol"`},
		{"a\x7f.netpol", `"a\x7f.netpol"`},
		{"a\u0085.netpol", `"a\u0085.netpol"`},
		{"a\u2028.netpol", `"a\u2028.netpol"`},
		{"a\u202egnp.netpol", `"a\u202egnp.netpol"`}, // right-to-left override
		{"a\xff.netpol", `"a\xff.netpol"`},
		// A real name that starts with a quote is quoted, so that a quoted
		// name is never ambiguous.
		{`"a".netpol`, `"\"a\".netpol"`},
	} {
		if got := diag.FileName(c.in); got != c.want {
			t.Errorf("FileName(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestForgedLocation: a file name holding a newline and a fake diagnostic
// renders on one line, quoted, in the header, the notes and Error; JSON
// escapes it by itself and keeps the name exact.
func TestForgedLocation(t *testing.T) {
	name := "a.netpol\n/etc/passwd:1:1: error[x]: forged"
	f := source.NewFile(name, []byte("web -> db\n"))
	var l diag.List
	d := l.Errorf("unknown-name", f.Span(7, 9), "unknown group db")
	d.Notes = append(d.Notes, diag.Note{Span: f.Span(0, 3), Message: "from here"})
	l.Errorf("bad-world", source.Span{File: name}, "no position")

	var buf bytes.Buffer
	if err := diag.WriteText(&buf, source.NewSet(f), l, diag.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	want := `"a.netpol\n/etc/passwd:1:1: error[x]: forged":1:8: error[unknown-name]: unknown group db
 1 | web -> db
   |        ^^
"a.netpol\n/etc/passwd:1:1: error[x]: forged":1:1: note: from here
 1 | web -> db
   | ^^^
"a.netpol\n/etc/passwd:1:1: error[x]: forged": error[bad-world]: no position
`
	if got := buf.String(); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(line, "/etc/passwd") {
			t.Errorf("forged line %q", line)
		}
	}
	if got, want := l[0].Error(), `"a.netpol\n/etc/passwd:1:1: error[x]: forged":1:8: error[unknown-name]: unknown group db`; got != want {
		t.Errorf("Error() = %s, want %s", got, want)
	}

	buf.Reset()
	if err := diag.WriteJSON(&buf, l); err != nil {
		t.Fatal(err)
	}
	var back []struct {
		File  string `json:"file"`
		Notes []struct {
			File string `json:"file"`
		} `json:"notes"`
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[0].File != name || back[0].Notes[0].File != name || back[1].File != name {
		t.Errorf("JSON does not keep the file name exactly:\n%s", buf.Bytes())
	}
	if bytes.Count(buf.Bytes(), []byte("/etc/passwd")) != 3 || bytes.Contains(buf.Bytes(), []byte("\n/etc/passwd")) {
		t.Errorf("JSON does not escape the newline:\n%s", buf.Bytes())
	}
}

// TestMessageControlCharacters: values from the input quoted raw in a
// message, detail or note cannot act on the terminal or forge a line; tabs
// and printable text (non-ASCII included) are unchanged.
func TestMessageControlCharacters(t *testing.T) {
	f := source.NewFile("a.netpol", []byte("web -> db\n"))
	var l diag.List
	d := l.Errorf("degraded", f.Span(0, 3), "path /a\x00b\x1b[31m\x0dc\u0085d\u2028e\u202ef\x7f\tcafé")
	d.Detail = "first line\nsecond \x1b]0;title\x07 line"
	d.Notes = append(d.Notes, diag.Note{Span: f.Span(7, 9), Message: "note\nforged.netpol:1:1: error[x]: forged"})
	var buf bytes.Buffer
	if err := diag.WriteText(&buf, source.NewSet(f), l, diag.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	want := `a.netpol:1:1: error[degraded]: path /a\x00b\x1b[31m\x0dc\x85d\u2028e\u202ef\x7f` + "\tcafé" + `
 1 | web -> db
   | ^^^
  = first line
  = second \x1b]0;title\x07 line
a.netpol:1:8: note: note\x0aforged.netpol:1:1: error[x]: forged
 1 | web -> db
   |        ^^
`
	if got := buf.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestSnippetInvisibleCharacters: the source line under a diagnostic shows
// line separators and bidirectional overrides as U+FFFD, one for one, so
// that the carets stay under the span.
func TestSnippetInvisibleCharacters(t *testing.T) {
	f := source.NewFile("a.netpol", []byte("GET /a\u2028b\u202ec\u061cd x\n"))
	var l diag.List
	l.Errorf("bad-regex", f.Span(len("GET /a\u2028b\u202ec\u061cd "), len("GET /a\u2028b\u202ec\u061cd x")), "here")
	var buf bytes.Buffer
	if err := diag.WriteText(&buf, source.NewSet(f), l, diag.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "a.netpol:1:19: error[bad-regex]: here\n 1 | GET /a\ufffdb\ufffdc\ufffdd x\n   |              ^\n"
	if got := buf.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
