package parser

import (
	"fmt"
	"strings"

	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/lexicon"
)

// This file holds every message the parser reports (code "syntax"), and
// how a message is put together from what the parser expected where it
// failed.

const codeSyntax = "syntax"

// codeTooManyErrors marks where the parser stopped reading a file.
const codeTooManyErrors = "too-many-errors"

// Whole messages.
const (
	msgUnterminatedString = "unterminated string, expected a closing \""
	msgUnclosedHTTP       = "http block is not closed, expected \"}\""
	msgHeaderColon        = "unexpected \":\", the header name already ends with \":\""
	msgOneRequest         = " (an expectation makes one HTTP request)"
	msgHostPlace          = " (the host comes before the headers, and only once)"
	msgTooManyErrors      = "parsing stopped after %d bad statements"
	msgStmtTooLong        = "parsing stopped at a statement of more than %d tokens"
)

// What the parser expects, in words, for "unexpected X, expected ...".
// Keywords and punctuation are quoted.
const (
	expEndOfLine  = "end of line"
	expPeer       = "a peer"
	expTarget     = "a target (peer:ports)"
	expName       = "a name"
	expString     = "a quoted string"
	expCIDR       = "a CIDR"
	expSelector   = "a selector {...}"
	expServiceNS  = "a namespace/name"
	expServiceSel = "namespace/{selector}"
	expLabel      = "a label"
	expLabelKey   = "a label key"
	expLabelValue = "a label value"
	expPort       = "a port"
	expNumber     = "a number"
	expProtocol   = "a protocol"
	expICMPType   = "an ICMP type"
	expHTTPRule   = "an HTTP request line"
	expArrow      = `"->"`
	expHTTPEnd    = `"}"`
)

// msgStopped says why parsing stopped and how many lines were left.
func msgStopped(why string, lines int) string {
	rest := fmt.Sprintf("%d lines were", lines)
	if lines == 1 {
		rest = "1 line was"
	}
	return fmt.Sprintf("%s; the remaining %s not parsed", why, rest)
}

func msgUnclosedBracket(open string) string {
	return fmt.Sprintf("%q is not closed, expected %q", open, closing[open])
}

var closing = map[string]string{"{": "}", "[": "]", "(": ")"}

func msgTrailingComma(before string) string {
	return fmt.Sprintf("unexpected \",\" before %q, trailing commas are not allowed", before)
}

func msgUnknownKeyword(word, kw string) string {
	return fmt.Sprintf("unknown keyword %q, did you mean %q?", word, kw)
}

func msgHTTPSameLine(tok string) string {
	return fmt.Sprintf("unexpected %s, expected \"host\", \"header\" or end of line (one HTTP rule per line)", tok)
}

func msgHTTPNoValue(kw string) string {
	return fmt.Sprintf("expected a value after %q", kw)
}

func msgPortProtocol(s string) string {
	return fmt.Sprintf("unexpected %q, expected a protocol (tcp, udp, sctp, any) after \"/\"", s)
}

// msgPortsNotTarget is the error at ports written where a target is
// expected ("ledger:9000, 3868/sctp"); fix is the target with all its
// ports, in brackets when there are several.
func msgPortsNotTarget(ports string, n int, fix string) string {
	what, how := "port", "write a target's port after its peer"
	if n > 1 {
		what = "ports"
	}
	if strings.HasSuffix(fix, "]") {
		how = "write the ports of one target in brackets"
	}
	return fmt.Sprintf("unexpected %s %q, expected a target (peer:ports); %s: %s", what, ports, how, fix)
}

func msgPortTooLarge(s string) string {
	return fmt.Sprintf("port number %s is too large", s)
}

func msgNumberTooLarge(s string) string {
	return fmt.Sprintf("number %s is too large", s)
}

// msgDenyPass: a rule both denies and passes.
const msgDenyPass = `a rule is "deny" or "pass", not both`

func msgHeaderNoValue(name string) string {
	return fmt.Sprintf("expected a value after header %q", name+":")
}

func msgHeaderNoColon(v string) string {
	return fmt.Sprintf("unexpected %q, expected \":\" between a header name and its value", v)
}

func msgHeaderExtra(v string) string {
	return fmt.Sprintf("unexpected %q, the header already has a value", v)
}

// msgUnexpected is "unexpected TOKEN, expected A, B or C".
func msgUnexpected(tok string, expected []string) string {
	return "unexpected " + tok + ", expected " + joinOr(expected)
}

func msgDidYouMean(kw string) string {
	return fmt.Sprintf("; did you mean %q?", kw)
}

// stmtKeywords start statements; a misspelt first word is compared to them.
var stmtKeywords = lexicon.Words(lexicon.Statement, lexicon.Modifier)

// fail reports that the next token is not one of expected, and ends the
// statement.
func (p *stmtParser) fail(expected ...string) {
	t := p.tok(0)
	e := &stmtError{start: t.off, end: t.end}
	// A misspelt keyword at the start of a statement (or of a rule's
	// sources) reads as a name: the statement then fails at the word or
	// just after it.
	if p.i <= p.kwAt+1 && p.kwAt < len(p.toks) {
		w := p.toks[p.kwAt]
		if kw := closest(p.text(w), p.kwWords); kw != "" && w.kind == tokIdent && !lexicon.IsKeyword(p.text(w)) {
			e.start, e.end = w.off, w.end
			e.msg, e.suggestion = msgUnknownKeyword(p.text(w), kw), kw
			p.err = e
			panic(bailout{})
		}
	}
	e.msg = msgUnexpected(p.describe(t), expected)
	if t.kind == tokIdent {
		// A misspelt keyword: compare the word with the keywords that
		// could have come here, expected or optional.
		var lits []string
		for _, x := range expected {
			if w := strings.Trim(x, `"`); w != x && isLetters(w) {
				lits = append(lits, w)
			}
		}
		cands := append(lits, p.optional...)
		if kw := closest(p.text(t), cands); kw != "" && kw != p.text(t) {
			if len(lits) != 1 || kw != lits[0] {
				e.msg += msgDidYouMean(kw)
			}
			e.suggestion = kw
		}
	}
	p.err = e
	panic(bailout{})
}

// isLetters reports whether s is a word of lower-case letters (a keyword,
// not punctuation).
func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return s != ""
}

// failAt reports msg at t and ends the statement.
func (p *stmtParser) failAt(t token, msg string) {
	p.err = &stmtError{start: t.off, end: t.end, msg: msg}
	panic(bailout{})
}

// describe says what a token is in an "unexpected ..." message.
func (p *stmtParser) describe(t token) string {
	switch t.kind {
	case tokEOF, tokNewline:
		return "end of line"
	case tokOther:
		return fmt.Sprintf("character %q", p.text(t))
	case tokHTTPOpen:
		return `"http {"`
	}
	v := p.text(t)
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	return fmt.Sprintf("%q", v)
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
