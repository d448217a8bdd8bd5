package diag_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// spanOf returns the span of the first occurrence of text in f, after the
// first occurrence of after (which may be "").
func spanOf(t *testing.T, f *source.File, after, text string) source.Span {
	t.Helper()
	from := 0
	if after != "" {
		i := strings.Index(string(f.Content), after)
		if i < 0 {
			t.Fatalf("%q not in %s", after, f.Name)
		}
		from = i
	}
	i := strings.Index(string(f.Content[from:]), text)
	if i < 0 {
		t.Fatalf("%q not in %s after %q", text, f.Name, after)
	}
	return f.Span(from+i, from+i+len(text))
}

var longLine = "web -> " + strings.Repeat("db, ", 60) + "ünïcode-db:99999/tcp" + strings.Repeat(", cache", 30)

// testFiles is the source every renderer case points into.
func testFiles() (*source.Set, *source.File, *source.File) {
	main := source.NewFile("prod.netpol", []byte(strings.Join([]string{
		"namespace production",                // 1
		"web = {app: web}",                    // 2
		"web -> database:99999/tcp",           // 3
		"web\t->\tdatabase:5432/tpc",          // 4: tabs
		"café = {app: \"ünïcode\"} # ünïcode", // 5: multi-byte runes before the span
		"web -> {",       // 6: a span over two lines
		"  app: db}:80",  // 7
		longLine,         // 8: windowed
		"web -> db:80\r", // 9: CRLF
	}, "\n")+"\n"))
	other := source.NewFile("shared.netpol", []byte("namespace shared\nweb = {app: web}\n"))
	return source.NewSet(main, other), main, other
}

type renderCase struct {
	name string
	d    func(t *testing.T, main, other *source.File) diag.Diagnostic
	// underlined is the text the carets must stand under ("" to skip the
	// check, e.g. for a diagnostic without a position).
	underlined string
}

var renderCases = []renderCase{
	{
		name: "simple",
		d: func(t *testing.T, m, _ *source.File) diag.Diagnostic {
			return diag.Diagnostic{Severity: diag.Error, Code: "bad-port", Span: spanOf(t, m, "", "99999"),
				Message: "port 99999 is out of range 1-65535"}
		},
		underlined: "99999",
	},
	{
		name: "tabs",
		d: func(t *testing.T, m, _ *source.File) diag.Diagnostic {
			return diag.Diagnostic{Severity: diag.Error, Code: "unknown-protocol", Span: spanOf(t, m, "\t->\t", "tpc"),
				Message: "unknown protocol \"tpc\"", Suggestion: "tcp"}
		},
		underlined: "tpc",
	},
	{
		name: "utf8",
		d: func(t *testing.T, m, _ *source.File) diag.Diagnostic {
			return diag.Diagnostic{Severity: diag.Warning, Code: "unused-group", Span: spanOf(t, m, "café = ", "\"ünïcode\""),
				Message: "label value is not used", Detail: "Every pod selector in this file names its namespace.\nThis one selects nothing."}
		},
		underlined: "\"ünïcode\"",
	},
	{
		name: "utf8 span start",
		d: func(t *testing.T, m, _ *source.File) diag.Diagnostic {
			return diag.Diagnostic{Severity: diag.Error, Code: "bad-name", Span: spanOf(t, m, "", "café"),
				Message: "group names are ASCII"}
		},
		underlined: "café",
	},
	{
		name: "multi-line span underlines to the end of its first line",
		d: func(t *testing.T, m, _ *source.File) diag.Diagnostic {
			return diag.Diagnostic{Severity: diag.Error, Code: "bad-selector", Span: spanOf(t, m, "", "{\n  app: db}"),
				Message: "selector spans lines"}
		},
		underlined: "{",
	},
	{
		// A span without an end underlines the rest of the line.
		name: "span without an end underlines to the end of the line",
		d: func(t *testing.T, m, _ *source.File) diag.Diagnostic {
			s := spanOf(t, m, "", "/tcp")
			s.End = source.Pos{}
			return diag.Diagnostic{Severity: diag.Error, Code: "syntax", Span: s, Message: "expected a port"}
		},
		underlined: "/tcp",
	},
	{
		name: "long line is windowed",
		d: func(t *testing.T, m, _ *source.File) diag.Diagnostic {
			return diag.Diagnostic{Severity: diag.Error, Code: "bad-port", Span: spanOf(t, m, "ünïcode-db", "99999"),
				Message: "port 99999 is out of range 1-65535"}
		},
		underlined: "99999",
	},
	{
		name: "crlf",
		d: func(t *testing.T, m, _ *source.File) diag.Diagnostic {
			return diag.Diagnostic{Severity: diag.Error, Code: "unknown-name", Span: spanOf(t, m, "web -> db:80\r", "db"),
				Message: "unknown group \"db\""}
		},
		underlined: "db",
	},
	{
		name: "notes in another file",
		d: func(t *testing.T, m, o *source.File) diag.Diagnostic {
			return diag.Diagnostic{Severity: diag.Error, Code: "duplicate-group", Span: spanOf(t, m, "", "web = "),
				Message: "group \"web\" declared twice",
				Notes: []diag.Note{
					{Span: spanOf(t, o, "", "web"), Message: "first declared here"},
					{Message: "a note without a position"},
				}}
		},
		underlined: "web = ",
	},
	{
		name: "no position",
		d: func(*testing.T, *source.File, *source.File) diag.Diagnostic {
			return diag.Diagnostic{Severity: diag.Info, Code: "too-many-diagnostics", Message: "3 more diagnostics not shown"}
		},
	},
	{
		name: "file without a position",
		d: func(*testing.T, *source.File, *source.File) diag.Diagnostic {
			return diag.Diagnostic{Severity: diag.Error, Code: "bad-world", Span: source.Span{File: "world.yaml"}, Message: "world: unknown field \"pod\""}
		},
	},
	{
		name: "file not in the set",
		d: func(*testing.T, *source.File, *source.File) diag.Diagnostic {
			return diag.Diagnostic{Severity: diag.Error, Code: "syntax", Message: "unexpected token",
				Span: source.Span{File: "gone.netpol", Start: source.Pos{Offset: 3, Line: 1, Col: 4}, End: source.Pos{Offset: 5, Line: 1, Col: 6}}}
		},
	},
	{
		name: "empty span gets one caret",
		d: func(t *testing.T, m, _ *source.File) diag.Diagnostic {
			s := spanOf(t, m, "", "/tcp")
			s.End = s.Start
			return diag.Diagnostic{Severity: diag.Error, Code: "syntax", Span: s, Message: "expected a port"}
		},
		underlined: "/",
	},
}

func TestWriteText(t *testing.T) {
	set, main, other := testFiles()
	var all bytes.Buffer
	for _, tc := range renderCases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.d(t, main, other)
			var buf bytes.Buffer
			if err := diag.WriteText(&buf, set, diag.List{d}, diag.TextOptions{}); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			fmt.Fprintf(&all, "== %s\n%s", tc.name, out)

			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if want := fmt.Sprintf("%s: %s[%s]: %s", d.Span, d.Severity, d.Code, d.Message); lines[0] != want {
				t.Errorf("first line %q, want %q", lines[0], want)
			}
			if tc.underlined != "" {
				checkCarets(t, lines, d, tc.underlined)
			}
			if strings.Contains(out, "\x1b[") {
				t.Errorf("colour codes without Color:\n%s", out)
			}
		})
	}
	golden(t, "text.golden", all.Bytes())
}

// checkCarets asserts that lines[1] is the source line of d and that the
// carets of lines[2] stand exactly under underlined.
func checkCarets(t *testing.T, lines []string, d diag.Diagnostic, underlined string) {
	t.Helper()
	if len(lines) < 3 {
		t.Fatalf("no snippet:\n%s", strings.Join(lines, "\n"))
	}
	gutter := fmt.Sprintf(" %d | ", d.Span.Start.Line)
	src, ok := strings.CutPrefix(lines[1], gutter)
	if !ok {
		t.Fatalf("source line %q does not start with %q", lines[1], gutter)
	}
	carets, ok := strings.CutPrefix(lines[2], strings.Repeat(" ", len(gutter)-3)+" | ")
	if !ok {
		t.Fatalf("caret line %q not aligned with the gutter", lines[2])
	}
	if strings.ContainsAny(src, "\t\r") {
		t.Errorf("source line %q keeps tabs or CR, which would misalign the carets", src)
	}
	start := strings.IndexByte(carets, '^')
	width := strings.Count(carets, "^")
	if start < 0 || strings.TrimRight(carets[start:], "^") != "" {
		t.Fatalf("caret line %q is not spaces then carets", carets)
	}
	// The renderer shows one column per rune.
	runes := []rune(src)
	if start+width > len(runes) {
		t.Fatalf("carets [%d,%d) run past the shown line of %d runes", start, start+width, len(runes))
	}
	if got := string(runes[start : start+width]); got != underlined {
		t.Errorf("carets under %q, want under %q\n%s\n%s", got, underlined, lines[1], lines[2])
	}
	if n := utf8.RuneCountInString(src); n > 200 {
		t.Errorf("shown line is %d runes long; long lines must be windowed", n)
	}
}

func TestWriteTextColor(t *testing.T) {
	set, main, other := testFiles()
	var buf bytes.Buffer
	list := diag.List{renderCases[0].d(t, main, other), renderCases[2].d(t, main, other), renderCases[9].d(t, main, other)}
	if err := diag.WriteText(&buf, set, list, diag.TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"\x1b[1;31merror[bad-port]", "\x1b[1;33mwarning[unused-group]", "\x1b[1;36minfo[too-many-diagnostics]", "\x1b[1;31m^^^^^\x1b[0m"} {
		if !strings.Contains(out, want) {
			t.Errorf("coloured output lacks %q:\n%q", want, out)
		}
	}
	golden(t, "color.golden", buf.Bytes())
}

func TestWriteTextNilSet(t *testing.T) {
	_, main, other := testFiles()
	var buf bytes.Buffer
	if err := diag.WriteText(&buf, nil, diag.List{renderCases[0].d(t, main, other)}, diag.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := "prod.netpol:3:17: error[bad-port]: port 99999 is out of range 1-65535\n"; buf.String() != want {
		t.Errorf("without files: %q, want %q", buf.String(), want)
	}
}

func TestWriteJSON(t *testing.T) {
	set, main, other := testFiles()
	_ = set
	var list diag.List
	for _, tc := range renderCases {
		list = append(list, tc.d(t, main, other))
	}
	var buf bytes.Buffer
	if err := diag.WriteJSON(&buf, list); err != nil {
		t.Fatal(err)
	}
	golden(t, "diagnostics.json", buf.Bytes())

	// The shape tools rely on.
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not a JSON array: %v", err)
	}
	if len(got) != len(list) {
		t.Fatalf("%d diagnostics, want %d", len(got), len(list))
	}
	first := got[0]
	want := map[string]any{
		"severity": "error", "code": "bad-port", "file": "prod.netpol",
		"line": 3.0, "column": 17.0, "endLine": 3.0, "endColumn": 22.0,
		"message": "port 99999 is out of range 1-65535",
	}
	if fmt.Sprint(first) != fmt.Sprint(want) {
		t.Errorf("first diagnostic %v, want %v", first, want)
	}
	notes := got[8]["notes"].([]any)
	if n := notes[0].(map[string]any); n["file"] != "shared.netpol" || n["line"] != 2.0 || n["column"] != 1.0 || n["message"] != "first declared here" {
		t.Errorf("note %v", n)
	}
	if got[1]["suggestion"] != "tcp" || got[2]["detail"] == nil || got[2]["severity"] != "warning" {
		t.Errorf("suggestion, detail or severity missing: %v %v", got[1], got[2])
	}
	if _, ok := got[9]["file"]; ok {
		t.Errorf("a diagnostic without a file has a file: %v", got[9])
	}
	if got[9]["severity"] != "info" {
		t.Errorf("severity %v, want info", got[9]["severity"])
	}

	buf.Reset()
	if err := diag.WriteJSON(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "[]\n" {
		t.Errorf("no diagnostics: %q, want an empty array", buf.String())
	}
}

func TestPrintableSnippet(t *testing.T) {
	f := source.NewFile("bin.netpol", []byte("a\x1b[31m\xff\xfeb\x7f web -> x:0\n"))
	d := diag.Diagnostic{Severity: diag.Error, Code: "bad-port", Span: f.Span(bytes.Index(f.Content, []byte("0\n")), bytes.Index(f.Content, []byte("0\n"))+1), Message: "port 0"}
	var buf bytes.Buffer
	if err := diag.WriteText(&buf, source.NewSet(f), diag.List{d}, diag.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if strings.ContainsAny(buf.String(), "\x1b\x7f") {
		t.Errorf("control characters reach the terminal: %q", buf.String())
	}
	// One replacement rune per byte: the caret stays under the "0".
	src, caret := []rune(lines[1]), []rune(lines[2])
	if i := len(caret) - 1; i < 0 || caret[i] != '^' || src[i] != '0' {
		t.Errorf("caret misaligned:\n%s\n%s", lines[1], lines[2])
	}
}
