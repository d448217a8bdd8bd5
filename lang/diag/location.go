package diag

import (
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
