package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/netpolc/netpolc/lang/source"
)

// TextOptions controls the text renderer.
type TextOptions struct {
	Color bool // ANSI colours; only when writing to a terminal
}

const maxShownLine = 200 // bytes of a source line shown under a diagnostic

// WriteText prints each diagnostic as
//
//	file:line:col: error[CODE]: message
//	   12 | web -> database:99999/tcp
//	      |                 ^^^^^
//
// followed by its detail, notes and suggestion. files supplies the source
// lines; diagnostics without a known file print only the first line.
func WriteText(w io.Writer, files *source.Set, list List, opts TextOptions) error {
	for _, d := range list {
		if err := writeOne(w, files, d, opts); err != nil {
			return err
		}
	}
	return nil
}

func writeOne(w io.Writer, files *source.Set, d Diagnostic, opts TextOptions) error {
	sev := d.Severity.String()
	bold, reset, sevColor := "", "", ""
	if opts.Color {
		bold, reset = "\x1b[1m", "\x1b[0m"
		switch d.Severity {
		case Error:
			sevColor = "\x1b[1;31m"
		case Warning:
			sevColor = "\x1b[1;33m"
		default:
			sevColor = "\x1b[1;36m"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s:%s %s%s[%s]%s%s: %s%s\n", bold, Location(d.Span), reset, sevColor, sev, d.Code, reset, bold, escapeControls(d.Message), reset)
	writeSnippet(&b, files, d.Span, opts)
	if d.Detail != "" {
		for _, line := range strings.Split(d.Detail, "\n") {
			fmt.Fprintf(&b, "  = %s\n", escapeControls(line))
		}
	}
	if d.Suggestion != "" {
		fmt.Fprintf(&b, "  = help: write %q\n", d.Suggestion)
	}
	for _, n := range d.Notes {
		fmt.Fprintf(&b, "%s: note: %s\n", Location(n.Span), escapeControls(n.Message))
		writeSnippet(&b, files, n.Span, opts)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSnippet prints the first line of span with a caret line under it.
func writeSnippet(b *strings.Builder, files *source.Set, span source.Span, opts TextOptions) {
	f := files.File(span.File)
	if f == nil || !span.IsValid() {
		return
	}
	line := f.Line(span.Start.Line)
	startCol := span.Start.Col - 1 // byte index into line
	if startCol > len(line) {
		startCol = len(line)
	}
	endCol := len(line) // a span that runs past its first line is underlined to the line's end
	if span.End.Line == span.Start.Line && span.End.Col >= span.Start.Col {
		endCol = min(span.End.Col-1, len(line)) // an empty span still gets one caret (width >= 1)
	}
	// Keep very long lines readable: show a window around the span.
	shown, offset := line, 0
	if len(line) > maxShownLine {
		offset = max(0, startCol-maxShownLine/4)
		for offset > 0 && !utf8.RuneStart(line[offset]) {
			offset--
		}
		end := min(len(line), offset+maxShownLine)
		for end < len(line) && !utf8.RuneStart(line[end]) {
			end++
		}
		shown = line[offset:end]
	}
	shown = printable(shown)
	gutter := fmt.Sprint(span.Start.Line)
	pad := strings.Repeat(" ", len(gutter))
	fmt.Fprintf(b, " %s | %s\n", gutter, shown)
	caretStart := displayWidth(line, offset, startCol)
	width := max(1, displayWidth(line, startCol, min(endCol, offset+len(shown))))
	carets := strings.Repeat("^", width)
	if opts.Color {
		carets = "\x1b[1;31m" + carets + "\x1b[0m"
	}
	fmt.Fprintf(b, " %s | %s%s\n", pad, strings.Repeat(" ", caretStart), carets)
}

// printable makes a source line safe to print on a terminal, one rune for
// one rune so that carets stay aligned: a tab becomes a space, and invalid
// UTF-8, control characters (escape sequences in a binary file, say), line
// and paragraph separators and format characters (bidirectional overrides,
// which reorder what a terminal shows) become U+FFFD.
func printable(line string) string {
	// strings.Map sees each invalid byte as one utf8.RuneError, as
	// displayWidth counts it.
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return '\uFFFD'
		case r >= 0xa0 && (r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r)):
			return '\uFFFD'
		}
		return r
	}, line)
}

// displayWidth counts the runes of line[from:to], clamped to the line.
func displayWidth(line string, from, to int) int {
	from, to = max(0, min(from, len(line))), max(0, min(to, len(line)))
	if to <= from {
		return 0
	}
	return utf8.RuneCountInString(line[from:to])
}

// jsonDiagnostic is the stable JSON shape of a diagnostic.
type jsonDiagnostic struct {
	Severity   string     `json:"severity"`
	Code       Code       `json:"code"`
	File       string     `json:"file,omitempty"`
	Line       int        `json:"line,omitempty"`
	Column     int        `json:"column,omitempty"`
	EndLine    int        `json:"endLine,omitempty"`
	EndColumn  int        `json:"endColumn,omitempty"`
	Message    string     `json:"message"`
	Detail     string     `json:"detail,omitempty"`
	Suggestion string     `json:"suggestion,omitempty"`
	Notes      []jsonNote `json:"notes,omitempty"`
}

type jsonNote struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// WriteJSON prints list as one JSON array (always an array, never null).
func WriteJSON(w io.Writer, list List) error {
	out := make([]jsonDiagnostic, 0, len(list))
	for _, d := range list {
		j := jsonDiagnostic{
			Severity: d.Severity.String(), Code: d.Code, File: d.Span.File,
			Line: d.Span.Start.Line, Column: d.Span.Start.Col,
			EndLine: d.Span.End.Line, EndColumn: d.Span.End.Col,
			Message: d.Message, Detail: d.Detail, Suggestion: d.Suggestion,
		}
		for _, n := range d.Notes {
			j.Notes = append(j.Notes, jsonNote{File: n.Span.File, Line: n.Span.Start.Line, Column: n.Span.Start.Col, Message: n.Message})
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
