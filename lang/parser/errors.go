package parser

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/lexicon"
)

// This file holds every message the parser reports (code "syntax") and the
// translation of participle's errors into them.

const codeSyntax = "syntax"

// codeTooManyErrors marks where the parser stopped reading a file.
const codeTooManyErrors = "too-many-errors"

const (
	msgUnterminatedString = "unterminated string, expected a closing \""
	msgUnclosedHTTP       = "http block is not closed, expected \"}\""
	msgHeaderColon        = "unexpected \":\", the header name already ends with \":\""
	msgTooManyErrors      = "parsing stopped after %d bad statements"
	msgStmtTooLong        = "parsing stopped at a statement of more than %d tokens"
)

func msgUnclosedBracket(open string) string {
	return fmt.Sprintf("%q is not closed, expected %q", open, closing[open])
}

var closing = map[string]string{"{": "}", "[": "]", "(": ")"}

func msgHTTPSameLine(s string) string {
	return fmt.Sprintf("unexpected %q, expected \"host\", \"header\" or end of line (one HTTP rule per line)", s)
}

func msgHTTPNoValue(kw string) string {
	return fmt.Sprintf("expected a value after %q", kw)
}

func msgPortProtocol(s string) string {
	return fmt.Sprintf("unexpected %q, expected a protocol (tcp, udp, sctp, any) after \"/\"", s)
}

func msgPortTooLarge(s string) string {
	return fmt.Sprintf("port number %s is too large", s)
}

func msgHeaderNoValue(name string) string {
	return fmt.Sprintf("expected a value after header %q", name+":")
}

func msgHeaderNoColon(v string) string {
	return fmt.Sprintf("unexpected %q, expected \":\" between a header name and its value", v)
}

func msgHeaderExtra(v string) string {
	return fmt.Sprintf("unexpected %q, the header already has a value", v)
}

// stmtKeywords start statements; a misspelt first word is compared to them.
var stmtKeywords = lexicon.Words(lexicon.Statement, lexicon.Modifier)

// otherKeywords appear inside statements; a misspelt word where one of them
// was possible is compared to them.
var otherKeywords = lexicon.Words(lexicon.Modifier, lexicon.Inner, lexicon.HTTPWord)

// productionWords names the grammar's productions and token types in words.
var productionWords = map[string]string{
	"Peer":       "a peer",
	"Target":     "a target (peer:ports)",
	"Port":       "a port",
	"PortSuffix": "a protocol",
	"Number":     "a number",
	"Name":       "a name",
	"Named":      "a name",
	"Selector":   "a selector {...}",
	"LabelTerm":  "a label",
	"LabelKey":   "a label key",
	"LabelValue": "a label value",
	"Quoted":     "a quoted string",
	"Cidr":       "a CIDR",
	"CidrPeer":   "a CIDR",
	"NsLabelled": "a namespace selector {...}",
	"Service":    "a namespace/name or namespace/{selector}",
	"Arrow":      `"->"`,
	"Verdict":    `"allowed" or "denied"`,
	"HttpBlock":  `"http {"`,
	"HttpRule":   "an HTTP request line",
	"HttpHeader": `"header"`,
	"Word":       "a word",
	"<ident>":    "a name",
	"<number>":   "a number",
	"<string>":   "a quoted string",
	"<word>":     "a word",
	"<cidr4>":    "a CIDR",
	"<cidr6>":    "a CIDR",
	"<httpopen>": `"http {"`,
	"<newline>":  "a new line",
}

// describeToken says what a token is in an "unexpected ..." message.
func describeToken(t lexer.Token) string {
	switch {
	case t.EOF(), t.Type == typNewline:
		return "end of line"
	case t.Type == typOther:
		return fmt.Sprintf("character %q", t.Value)
	case t.Type == typHTTPOpen:
		return `"http {"`
	}
	v := t.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	return fmt.Sprintf("%q", v)
}

// syntaxError turns a participle error for the statement toks into a
// positioned message. The expectation comes from the part of the grammar
// that failed (first terms only, in words); when participle gives none, from
// where the statement stopped.
func syntaxError(err error, toks []lexer.Token, eof lexer.Token) *stmtError {
	var ute *participle.UnexpectedTokenError
	var perr participle.Error
	var tok lexer.Token
	var expected []string
	switch {
	case errors.As(err, &ute):
		tok = ute.Unexpected
		expected = expectedFromMessage(ute.Message())
	case errors.As(err, &perr):
		tok = tokenAt(toks, eof, perr.Position().Offset)
		return &stmtError{start: tok.Pos.Offset, end: tokenEnd(tok), msg: strings.ToLower(perr.Message())}
	default:
		tok = eof
	}
	if tok.EOF() {
		tok = eof
	}
	idx := sort.Search(len(toks), func(i int) bool { return toks[i].Pos.Offset >= tok.Pos.Offset })
	e := &stmtError{start: tok.Pos.Offset, end: tokenEnd(tok)}

	// participle backs out of an optional http block that does not parse
	// and then complains about the block's first token; the real error is
	// inside the block.
	if tok.Type == typHTTPOpen && idx < len(toks) {
		if inner := blockError(toks[idx:], eof, len(toks) > 0 && isKeyword(toks[0].Value, []string{"expect"})); inner != nil {
			return inner
		}
	}
	// A trailing comma.
	if tok.Value == "," && tok.Type == typPunct && idx+1 < len(toks) && strings.Contains("}])", toks[idx+1].Value) && toks[idx+1].Type == typPunct {
		e.msg = fmt.Sprintf("unexpected \",\" before %q, trailing commas are not allowed", toks[idx+1].Value)
		return e
	}

	// A misspelt keyword at the start of a statement: the statement then
	// fails at its second token.
	if idx <= 1 && len(toks) > 0 && toks[0].Type == typIdent {
		if kw := closest(toks[0].Value, stmtKeywords); kw != "" && kw != toks[0].Value {
			e.start, e.end = toks[0].Pos.Offset, tokenEnd(toks[0])
			e.msg = fmt.Sprintf("unknown keyword %q, did you mean %q?", toks[0].Value, kw)
			e.suggestion = kw
			return e
		}
	}
	if len(expected) == 0 {
		switch {
		case idx == 0:
			expected = []string{"a statement"}
		case idx >= len(toks):
			expected = nil
		default:
			expected = []string{"end of line"}
		}
	}
	e.msg = "unexpected " + describeToken(tok)
	if len(expected) > 0 {
		e.msg += ", expected " + joinOr(expected)
	}
	if tok.Type == typIdent {
		cands := otherKeywords
		var lits []string
		for _, x := range expected {
			if strings.HasPrefix(x, `"`) {
				lits = append(lits, strings.Trim(x, `"`))
			}
		}
		if len(lits) > 0 {
			cands = lits
		}
		if kw := closest(tok.Value, cands); kw != "" && kw != tok.Value {
			if len(lits) != 1 {
				e.msg += fmt.Sprintf("; did you mean %q?", kw)
			}
			e.suggestion = kw
		}
	}
	return e
}

// blockError parses the http block at the start of toks on its own and
// returns its error, if any.
func blockError(toks []lexer.Token, eof lexer.Token, request bool) *stmtError {
	pl, err := lexer.Upgrade(&sliceLexer{toks: toks, eof: eof})
	if err != nil {
		return nil
	}
	if request {
		_, err = requestBlockParser.ParseFromLexer(pl, participle.AllowTrailing(true))
	} else {
		_, err = ruleBlockParser.ParseFromLexer(pl, participle.AllowTrailing(true))
	}
	if err == nil {
		return nil
	}
	var ute *participle.UnexpectedTokenError
	if !errors.As(err, &ute) || ute.Unexpected.Type == typHTTPOpen {
		return nil
	}
	return syntaxError(err, toks, eof)
}

func tokenAt(toks []lexer.Token, eof lexer.Token, offset int) lexer.Token {
	for _, t := range toks {
		if t.Pos.Offset >= offset {
			return t
		}
	}
	return eof
}

func joinOr(xs []string) string {
	switch len(xs) {
	case 1:
		return xs[0]
	case 2:
		return xs[0] + " or " + xs[1]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

// expectedFromMessage extracts what participle expected from its message
// `unexpected token "x" (expected EBNF)` and says it in words.
func expectedFromMessage(msg string) []string {
	i := strings.Index(msg, " (expected ")
	if i < 0 || !strings.HasSuffix(msg, ")") {
		return nil
	}
	ebnf := msg[i+len(" (expected ") : len(msg)-1]
	// A production is printed with its definition: "Peer = ... .".
	if j := strings.Index(ebnf, " = "); j > 0 && !strings.ContainsAny(ebnf[:j], ` "()`) {
		ebnf = ebnf[:j]
	}
	terms, _ := firstTerms(tokenizeEBNF(ebnf))
	var out []string
	seen := map[string]bool{}
	for _, t := range terms {
		w, ok := productionWords[t]
		if ok && strings.Contains(w, " or ") {
			for _, x := range strings.Split(w, " or ") {
				if !seen[x] {
					out = append(out, x)
				}
				seen[x] = true
			}
			continue
		}
		if !ok {
			if strings.HasPrefix(t, `"`) {
				w = t
			} else {
				continue
			}
		}
		if w == `"}"` || !seen[w] {
			if !seen[w] {
				out = append(out, w)
			}
			seen[w] = true
		}
	}
	return out
}

// tokenizeEBNF splits participle's EBNF rendering into terms: quoted
// literals, names, <token> references, parentheses, "(?=", "(?!" and
// operators.
func tokenizeEBNF(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				j = len(s) - 1
			}
			out = append(out, s[i:j+1])
			i = j + 1
		case c == '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				return out
			}
			out = append(out, s[i:i+j+1])
			i += j + 1
		case c == '(' && strings.HasPrefix(s[i:], "(?"):
			out = append(out, s[i:i+3])
			i += 3
		case strings.IndexByte("()|?*+!~.", c) >= 0:
			out = append(out, string(c))
			i++
		default:
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j == i {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

// firstTerms returns the terms that can start the sequence of alternatives
// in toks (up to a closing parenthesis or the end), and whether it can match
// nothing. It does not recurse on nested groups beyond the EBNF's own depth,
// which is that of the grammar, not of the input.
func firstTerms(toks []string) (terms []string, nullable bool) {
	p := &ebnfReader{toks: toks}
	return p.alternatives()
}

type ebnfReader struct {
	toks []string
	i    int
}

func (r *ebnfReader) peek() string {
	if r.i < len(r.toks) {
		return r.toks[r.i]
	}
	return ""
}

func (r *ebnfReader) alternatives() (terms []string, nullable bool) {
	for {
		t, n := r.sequence()
		terms = append(terms, t...)
		nullable = nullable || n
		if r.peek() != "|" {
			return terms, nullable
		}
		r.i++
	}
}

func (r *ebnfReader) sequence() (terms []string, nullable bool) {
	nullable = true
	for {
		switch r.peek() {
		case "", "|", ")", ".":
			return terms, nullable
		}
		t, n, look := r.element()
		if look {
			continue
		}
		if nullable {
			terms = append(terms, t...)
			nullable = n
		}
	}
}

// element reads one term with its repetition suffix; look is true for a
// lookahead group, which matches no input.
func (r *ebnfReader) element() (terms []string, nullable, look bool) {
	t := r.peek()
	r.i++
	switch t {
	case "(", "(?=", "(?!":
		terms, nullable = r.alternatives()
		if r.peek() == ")" {
			r.i++
		}
		if t != "(" {
			return nil, true, true
		}
	case "~":
		r.element() // what "~" negates does not matter for the message
		return []string{"~"}, false, false
	default:
		terms = []string{t}
	}
	switch r.peek() {
	case "?", "*":
		r.i++
		nullable = true
	case "+", "!":
		r.i++
	}
	return terms, nullable, false
}

// closest returns the keyword nearest to s by edit distance, if it is near
// enough to be a likely typo, or "". Case is ignored; a swap of adjacent
// letters counts as one edit.
func closest(s string, candidates []string) string {
	if len(s) > 40 {
		return ""
	}
	kw, _ := diag.Nearest(strings.ToLower(s), candidates, diag.Damerau, keywordEdits)
	return kw
}

// keywordEdits is the most edits a misspelling of kw may have: one in a
// keyword of four letters or fewer, two in a longer one.
func keywordEdits(kw string) int {
	if len(kw) <= 4 {
		return 1
	}
	return 2
}
