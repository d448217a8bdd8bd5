package compile

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/diag"
)

// CodeBadHeader: a header name that is not an HTTP token, or a header value
// that no request can carry.
const CodeBadHeader diag.Code = "bad-header"

const (
	msgInvisibleInRegex = "HTTP %s %q holds %s, which no request carries as it is"
	detailInvisible     = "Control characters, line and paragraph separators and invisible format characters (U+0085, U+2028, U+200B, U+202E, ...) cannot appear in a request line or a Host header, and they do not show in the source. To match one, write it as an RE2 escape, e.g. \\x{85}."
	msgHeaderNameToken  = "header name %q is not an HTTP token: %s is not allowed"
	detailHeaderName    = "A header name is letters, digits and !#$%&'*+-.^_`|~ (RFC 9110). Cilium writes a header rule as \"Name: value\" and splits it at the first space, so a name with a space or a colon would match another header."
	msgHeaderValueChar  = "header value %q holds %s, which no request carries"
	detailHeaderValue   = "HTTP header values are visible characters, spaces and tabs (RFC 9110); control characters, line and paragraph separators and invisible format characters cannot be matched."
	msgHeaderValueSpace = "header value %q starts or ends with whitespace, which HTTP strips from every value"
	detailHeaderSpace   = "Proxies compare the value without its leading and trailing spaces and tabs, so an exact value with them would never match. Write the value without them."
)

// checkHTTPText reports characters of an HTTP rule that no request can
// carry, or that Cilium's "Name: value" form of a header would change: a
// rule with them would be written, but would never match, or would match
// something else.
func checkHTTPText(diags *diag.List, hr ast.HTTPRule) {
	for _, f := range []struct {
		what string
		s    *ast.String
	}{{"method", hr.Method}, {"path", hr.Path}, {"host", hr.Host}} {
		if f.s == nil {
			continue
		}
		if r, bad := firstRune(f.s.Value, invisible); bad {
			diags.Errorf(CodeBadRegex, f.s.Span(), msgInvisibleInRegex, f.what, f.s.Value, describeRune(r)).Detail = detailInvisible
		}
	}
	for _, h := range hr.Headers {
		if r, bad := firstRune(h.Name.Value, func(r rune) bool { return !isTokenChar(r) }); bad || h.Name.Value == "" {
			what := describeRune(r)
			if !bad {
				what = "an empty name"
			}
			diags.Errorf(CodeBadHeader, h.Name.Span(), msgHeaderNameToken, h.Name.Value, what).Detail = detailHeaderName
		}
		if h.Value == nil {
			continue
		}
		v := h.Value.Value
		if r, bad := firstRune(v, func(r rune) bool { return r != '\t' && invisible(r) }); bad {
			diags.Errorf(CodeBadHeader, h.Value.Span(), msgHeaderValueChar, v, describeRune(r)).Detail = detailHeaderValue
		} else if v != strings.Trim(v, " \t") {
			diags.Errorf(CodeBadHeader, h.Value.Span(), msgHeaderValueSpace, v).Detail = detailHeaderSpace
		}
	}
}

// invisible reports control characters (C0, DEL, C1), line and paragraph
// separators and format characters (BOM, zero-width and bidirectional
// controls).
func invisible(r rune) bool {
	return unicode.IsControl(r) || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar
}

// isTokenChar reports the characters of an HTTP token (RFC 9110 tchar).
func isTokenChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r < 0x80 && strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}

func firstRune(s string, bad func(rune) bool) (rune, bool) {
	for _, r := range s {
		if bad(r) {
			return r, true
		}
	}
	return 0, false
}

// describeRune names a character for a message: U+0085 or ' ' (a space).
func describeRune(r rune) string {
	if r == ' ' {
		return "a space"
	}
	if unicode.IsPrint(r) {
		return fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf("%U", r)
}
