package parser

import (
	"strings"

	"github.com/netpolc/netpolc/lang/lexicon"
)

// tokens lexes a file on demand, so that only the statement being parsed
// (and a little lookahead) is held in memory.
//
// An http block whose "}" is missing would swallow the following statements
// as HTTP words; so inside a block, a line that looks like a statement
// rather than an HTTP rule ends the block: a tokUnclosed token marks the cut
// and lexing resumes at that line in the root state. Every byte is lexed at
// most twice.
type tokens struct {
	src    string
	sc     scanner
	line   []token // tokens of the current line of an http block
	inHTTP bool
	check  bool    // the current line started inside the block
	queue  []token // lexed; queue[head:] not yet taken
	head   int
	done   bool
}

// newTokens lexes src from offset start.
func newTokens(src string, start int) *tokens {
	return &tokens{src: src, sc: scanner{src: src, off: start}}
}

// peek returns the token k places ahead (0: the next one); ok is false past
// the end.
func (ts *tokens) peek(k int) (t token, ok bool) {
	for len(ts.queue)-ts.head <= k && !ts.done {
		ts.step()
	}
	if ts.head+k >= len(ts.queue) {
		return token{}, false
	}
	return ts.queue[ts.head+k], true
}

// next takes the next token; ok is false at the end.
func (ts *tokens) next() (t token, ok bool) {
	if t, ok = ts.peek(0); ok {
		ts.head++
		if ts.head == len(ts.queue) { // empty: start again at the start of the array
			ts.queue, ts.head = ts.queue[:0], 0
		}
	}
	return t, ok
}

// step lexes one more token into the queue (or into the current http line).
func (ts *tokens) step() {
	t := ts.sc.next()
	if t.kind == tokEOF {
		ts.endLine()
		ts.done = true
		return
	}
	switch {
	case !ts.inHTTP:
		ts.queue = append(ts.queue, t)
		ts.inHTTP, ts.check = t.kind == tokHTTPOpen, false
	case t.kind == tokNewline, t.kind == tokHTTPEnd:
		if ts.endLine() {
			return
		}
		ts.queue = append(ts.queue, t)
		ts.inHTTP, ts.check = t.kind == tokNewline, true
	default:
		ts.line = append(ts.line, t)
	}
}

// endLine handles the end of a line inside an http block; it reports
// whether the line was cut off and lexing restarted.
func (ts *tokens) endLine() bool {
	if ts.check && len(ts.line) > 0 && ts.statementLike(ts.line) {
		ts.queue = append(ts.queue, token{kind: tokUnclosed, off: ts.line[0].off, end: ts.line[0].off})
		ts.sc = scanner{src: ts.src, off: ts.line[0].off}
		ts.line, ts.inHTTP, ts.check = ts.line[:0], false, false
		return true
	}
	ts.queue = append(ts.queue, ts.line...)
	ts.line = ts.line[:0]
	return false
}

// statementLike reports whether a line of an http block looks like a
// statement (it starts with a statement keyword or contains "->" or "="),
// which means the block's "}" is missing.
func (ts *tokens) statementLike(line []token) bool {
	if line[0].kind == tokWord && stmtKeyword(ts.src[line[0].off:line[0].end]) {
		return true
	}
	for _, t := range line {
		if v := ts.src[t.off:t.end]; t.kind == tokWord && (v == "=" || strings.Contains(v, "->")) {
			return true
		}
	}
	return false
}

// stmtKeyword reports whether s is a keyword that starts a statement.
func stmtKeyword(s string) bool {
	return lexicon.IsKeyword(s, lexicon.Statement, lexicon.Modifier)
}

// rawStmt is one statement's tokens as split from the file.
type rawStmt struct {
	toks     []token // what the parser sees: no comments, newlines only inside http blocks
	leading  []token // whole-line comments above the statement
	trailing *token  // comment ending the statement's last line
	inner    []token // comments inside brackets or http blocks
	start    int     // offset of the first token
	end      int     // offset just past the last token or inner comment
	err      *stmtError
	tooLong  bool // cut off after maxStmtTokens tokens
}

// fail records a lexical error found while splitting (the first one wins).
func (r *rawStmt) fail(t token, msg string) {
	if r.err == nil {
		r.err = &stmtError{start: t.off, end: t.end, msg: msg}
	}
}

// splitter groups tokens into statements. A newline ends a statement
// unless it is inside brackets or an http block. Inside brackets, a line
// that starts like a statement ends the statement anyway (the bracket was
// never closed), so that one missing "}" does not turn the rest of the file
// into one error. Comments before the first token of a statement are its
// leading comments; those after the last statement are left in pending.
type splitter struct {
	ts      *tokens
	src     string
	cur     *rawStmt
	pending []token
	opens   []token // open brackets outside http blocks
	httpTok *token  // the "http {" of an open block
	buf     []token // the array of the last statement's toks, reused
}

func newSplitter(src string, start int) *splitter {
	return &splitter{ts: newTokens(src, start), src: src}
}

// finish ends the current statement and returns it (nil if none).
func (sp *splitter) finish() *rawStmt {
	cur := sp.cur
	if cur != nil {
		if sp.httpTok != nil {
			cur.fail(*sp.httpTok, msgUnclosedHTTP)
		}
		if len(sp.opens) > 0 {
			o := sp.opens[0]
			cur.fail(o, msgUnclosedBracket(sp.src[o.off:o.end]))
		}
	}
	sp.cur, sp.opens, sp.httpTok = nil, sp.opens[:0], nil
	return cur
}

// next returns the next statement, or nil at the end of the file. A
// statement of more than maxStmtTokens tokens is returned cut short, with
// tooLong set. The statement's toks share their array with the next
// statement's: the caller must be done with them before it calls next again.
func (sp *splitter) next() *rawStmt {
	for {
		t, ok := sp.ts.next()
		if !ok {
			return sp.finish()
		}
		switch t.kind {
		case tokUnclosed:
			if r := sp.finish(); r != nil {
				return r
			}
		case tokComment:
			switch {
			case sp.cur == nil:
				sp.pending = append(sp.pending, t)
			case sp.httpTok != nil || len(sp.opens) > 0:
				sp.cur.inner = append(sp.cur.inner, t)
				sp.cur.end = t.end
			default:
				tc := t
				sp.cur.trailing = &tc
			}
		case tokNewline:
			switch {
			case sp.cur == nil:
			case sp.httpTok != nil:
				sp.cur.toks = append(sp.cur.toks, t)
			case len(sp.opens) > 0:
				if sp.startsStatement() {
					return sp.finish()
				}
			default:
				return sp.finish()
			}
		default:
			cur := sp.cur
			if cur == nil {
				cur = &rawStmt{leading: sp.pending, start: t.off, toks: sp.buf[:0]}
				sp.cur, sp.pending = cur, nil
			}
			if len(cur.toks) == maxStmtTokens {
				cur.tooLong = true
				sp.cur = nil
				return cur
			}
			cur.toks = append(cur.toks, t)
			sp.buf = cur.toks
			cur.end = t.end
			switch t.kind {
			case tokHTTPOpen:
				tc := t
				sp.httpTok = &tc
			case tokHTTPEnd:
				sp.httpTok = nil
			case tokString:
				if !terminated(sp.src[t.off:t.end]) {
					cur.fail(t, msgUnterminatedString)
				}
			case tokPunct:
				switch sp.src[t.off] {
				case '{', '[', '(':
					sp.opens = append(sp.opens, t)
				case '}', ']', ')':
					if len(sp.opens) > 0 {
						sp.opens = sp.opens[:len(sp.opens)-1]
					}
				}
			}
		}
	}
}

// startsStatement reports whether the line starting at the next token
// (after blank and comment lines) looks like the start of a statement
// rather than the continuation of a bracketed list.
func (sp *splitter) startsStatement() bool {
	i := 0
	first, ok := sp.ts.peek(i)
	for ok && (first.kind == tokNewline || first.kind == tokComment) {
		i++
		first, ok = sp.ts.peek(i)
	}
	if !ok || first.kind != tokIdent {
		return false
	}
	next, _ := sp.ts.peek(i + 1)
	nv := sp.src[next.off:next.end]
	switch {
	case next.kind == tokArrow, next.kind == tokPunct && nv == "=":
		return true
	case !stmtKeyword(sp.src[first.off:first.end]):
		return false
	case next.kind == tokNotEq, next.kind == tokPunct && strings.Contains(":,})]", nv):
		return false // a label key or list item that happens to be a keyword
	case next.kind == tokIdent && (nv == "in" || nv == "notin"):
		return false
	}
	return true
}

// terminated reports whether a string token has its closing quote.
func terminated(tok string) bool {
	return len(tok) >= 2 && tok[len(tok)-1] == '"' && !escapedEnd(tok[1:len(tok)-1])
}
