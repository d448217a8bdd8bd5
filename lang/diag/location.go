package diag

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/netpolc/netpolc/lang/source"
)

// FileName returns name as it is safe to print at the start of a line of
// text output: unchanged when every character of it is printable, otherwise
// quoted and escaped as a Go string literal ("a.netpol\n..."), so that a
// file name holding a newline or a terminal escape sequence can neither
// forge a line of output nor act on the terminal. A name that starts with a
// double quote is quoted too, so that a quoted name is never ambiguous.
// Ordinary names (spaces and non-ASCII letters included) print as they are.
func FileName(name string) string {
	if needsQuoting(name) {
		return strconv.Quote(name)
	}
	return name
}

func needsQuoting(name string) bool {
	if strings.HasPrefix(name, `"`) || !utf8.ValidString(name) {
		return true
	}
	for _, r := range name {
		if !strconv.IsPrint(r) {
			return true
		}
	}
	return false
}

// Location formats span as the text renderer prints it: "file:line:col",
// "file" for a span with a file but no position, and "-" for neither, with
// the file name made safe by FileName.
func Location(span source.Span) string {
	if span.File == "" || !needsQuoting(span.File) {
		return span.String()
	}
	span.File = FileName(span.File)
	return span.String()
}

// escapeControls makes one line of message text safe to print: control
// characters (C0 but the tab, DEL, C1), line and paragraph separators,
// invalid UTF-8 and Unicode format characters such as bidirectional
// overrides are escaped as \xNN or \uNNNN, so that a value from the input
// quoted in a message can neither forge a line nor act on the terminal.
// Text without such characters is returned as it is.
func escapeControls(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t' || strconv.IsPrint(r):
			b.WriteString(s[i : i+n])
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += n
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c >= 0x7f {
			// Only non-ASCII text needs the slower look at each rune.
			for _, r := range s {
				if r == utf8.RuneError || r != '\t' && !strconv.IsPrint(r) {
					return true
				}
			}
			return false
		}
	}
	return false
}
