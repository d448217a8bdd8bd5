// Package parser parses netpolc source files (docs/language.md) into the
// syntax tree of lang/ast.
//
// The grammar is a participle grammar over a stateful lexer (lexer.go,
// grammar.go; scan.go lexes the same tokens fast). Because the language is
// line-oriented, a file is lexed once, as it is parsed, and split into
// statements at newlines outside brackets; each statement is parsed on its
// own, so one run reports one error per bad statement and keeps a
// *ast.BadStmt in its place. Only the statement being parsed is held as
// tokens, and parsing a file stops after too many bad statements (see
// maxSyntaxErrors), so that the work on garbage input is bounded.
package parser

import (
	"fmt"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// typUnclosed marks, in the token stream, where an unclosed http block was
// cut off so that lexing could resume in the Root state.
const typUnclosed lexer.TokenType = 1 << 20

// Limits on the work spent on one file. A file of garbage (random bytes,
// say) is all bad statements; after a few of them the rest says nothing
// new, so parsing stops. The limits are far above what a real file needs.
const (
	// maxSyntaxErrors is the number of bad statements after which the rest
	// of a file is not parsed. It is below diag.MaxPerRun, so that the note
	// saying where parsing stopped is shown.
	maxSyntaxErrors = 40
	// maxStmtTokens is the most tokens one statement may have (a group of
	// 131,072 names); a longer one ends the parsing of its file. The grammar
	// parses a few hundred thousand tokens a second.
	maxStmtTokens = 1 << 18
	// maxBadTokens is the most tokens of bad statements parsed in one file
	// before parsing stops.
	maxBadTokens = 1 << 16
)

// ParseFile parses f. It returns a tree for every file, with a *ast.BadStmt
// for each statement that did not parse, and one "syntax" diagnostic per
// such statement. After maxSyntaxErrors of them (or a statement longer than
// maxStmtTokens, or bad statements of more than maxBadTokens tokens in all),
// the rest of the file is one more BadStmt, with a "too-many-errors"
// diagnostic.
func ParseFile(f *source.File) (*ast.File, diag.List) {
	p := &fileParser{f: f, src: string(f.Content)}
	sp := &splitter{ts: newTokens(p.src, f.Start())}
	out := &ast.File{Pos: ast.Pos{Src: f.Span(0, len(f.Content))}, Name: f.Name}
	prevEnd := -1         // line of the end of the previous statement
	consumed := f.Start() // offset just past the previous statement and its comments
	bad, badToks := 0, 0
	for {
		r := sp.next()
		if r == nil {
			break
		}
		if r.tooLong {
			p.stop(out, consumed, fmt.Sprintf(msgStmtTooLong, maxStmtTokens))
			return out, p.diags
		}
		s := p.stmt(r)
		doc := s.Comments()
		doc.Leading = p.comments(r.leading)
		p.markBlankAfter(doc.Leading, r.start)
		consumed = r.end
		if r.trailing != nil {
			c := p.comment(*r.trailing)
			doc.Trailing = &c
			consumed = tokenEnd(*r.trailing)
		}
		if _, isBad := s.(*ast.BadStmt); !isBad {
			p.attachInner(s, r.inner)
		} else {
			bad++
			badToks += len(r.toks)
		}
		first := r.start
		if len(r.leading) > 0 {
			first = r.leading[0].Pos.Offset
		}
		doc.BlankBefore = prevEnd > 0 && p.line(first)-prevEnd > 1
		prevEnd = p.line(r.end)
		out.Stmts = append(out.Stmts, s)
		if bad >= maxSyntaxErrors || badToks > maxBadTokens {
			p.stop(out, consumed, fmt.Sprintf(msgTooManyErrors, bad))
			return out, p.diags
		}
	}
	tail := sp.pending
	out.Tail = p.comments(tail)
	p.markBlankAfter(out.Tail, -1)
	out.TailBlankBefore = len(tail) > 0 && prevEnd > 0 && p.line(tail[0].Pos.Offset)-prevEnd > 1
	return out, p.diags
}

// stop ends the parsing of a file at offset from: unless only white space
// follows, the rest of the file becomes one BadStmt, and a "too-many-errors"
// diagnostic at its start says why and how much was skipped.
func (p *fileParser) stop(out *ast.File, from int, why string) {
	rest := strings.TrimLeft(p.src[from:], " \t\r\f\v\n")
	if rest == "" {
		return
	}
	start := len(p.src) - len(rest)
	lines := strings.Count(rest, "\n")
	if !strings.HasSuffix(rest, "\n") {
		lines++
	}
	p.diags.Errorf(codeTooManyErrors, p.f.Span(start, start), "%s; the remaining %s not parsed", why, plural(lines, "line was", "lines were"))
	out.Stmts = append(out.Stmts, &ast.BadStmt{
		StmtBase: ast.StmtBase{Pos: ast.Pos{Src: p.f.Span(start, len(p.src))}},
		Text:     rest,
	})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

type fileParser struct {
	f     *source.File
	src   string
	diags diag.List
}

func (p *fileParser) line(offset int) int { return p.f.Pos(offset).Line }

// tokens lexes a file on demand, so that only the statement being parsed
// (and a little lookahead) is held in memory.
//
// An http block whose "}" is missing would swallow the following statements
// as HTTP words; so inside a block, a line that looks like a statement
// rather than an HTTP rule ends the block: a typUnclosed token marks the cut
// and lexing resumes at that line in the Root state. Every byte is lexed at
// most twice.
type tokens struct {
	src    string
	l      *scanner
	line   []lexer.Token // tokens of the current line of an http block
	inHTTP bool
	check  bool          // the current line started inside the block
	queue  []lexer.Token // lexed; queue[head:] not yet taken
	head   int
	done   bool
}

// newTokens lexes src from offset start.
func newTokens(src string, start int) *tokens {
	return &tokens{src: src, l: &scanner{src: src, off: start}}
}

// peek returns the token k places ahead (0: the next one); ok is false past
// the end.
func (ts *tokens) peek(k int) (t lexer.Token, ok bool) {
	for len(ts.queue)-ts.head <= k && !ts.done {
		ts.step()
	}
	if ts.head+k >= len(ts.queue) {
		return lexer.Token{}, false
	}
	return ts.queue[ts.head+k], true
}

// next takes the next token; ok is false at the end.
func (ts *tokens) next() (t lexer.Token, ok bool) {
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
	t, _ := ts.l.Next()
	if t.EOF() {
		ts.endLine()
		ts.done = true
		return
	}
	switch {
	case !ts.inHTTP:
		ts.queue = append(ts.queue, t)
		ts.inHTTP, ts.check = t.Type == typHTTPOpen, false
	case t.Type == typNewline, t.Type == typHTTPEnd:
		if ts.endLine() {
			return
		}
		ts.queue = append(ts.queue, t)
		ts.inHTTP, ts.check = t.Type == typNewline, true
	default:
		ts.line = append(ts.line, t)
	}
}

// endLine handles the end of a line inside an http block; it reports
// whether the line was cut off and lexing restarted.
func (ts *tokens) endLine() bool {
	if ts.check && len(ts.line) > 0 && statementLike(ts.line) {
		ts.queue = append(ts.queue, lexer.Token{Type: typUnclosed, Pos: ts.line[0].Pos})
		ts.l = &scanner{src: ts.src, off: ts.line[0].Pos.Offset}
		ts.line, ts.inHTTP, ts.check = nil, false, false
		return true
	}
	ts.queue = append(ts.queue, ts.line...)
	ts.line = nil
	return false
}

// statementLike reports whether a line of an http block looks like a
// statement (it starts with a statement keyword or contains "->" or "="),
// which means the block's "}" is missing.
func statementLike(line []lexer.Token) bool {
	if line[0].Type == typWord && isKeyword(line[0].Value, stmtKeywords) {
		return true
	}
	for _, t := range line {
		if t.Type == typWord && (t.Value == "=" || strings.Contains(t.Value, "->")) {
			return true
		}
	}
	return false
}

func isKeyword(s string, kws []string) bool {
	for _, k := range kws {
		if s == k {
			return true
		}
	}
	return false
}

// rawStmt is one statement's tokens as split from the file.
type rawStmt struct {
	toks     []lexer.Token // what the grammar sees: no comments, newlines only inside http blocks
	leading  []lexer.Token // whole-line comments above the statement
	trailing *lexer.Token  // comment ending the statement's last line
	inner    []lexer.Token // comments inside brackets or http blocks
	start    int           // offset of the first token
	end      int           // offset just past the last token or inner comment
	err      *stmtError    // a lexical error found while splitting
	tooLong  bool          // cut off after maxStmtTokens tokens
}

func (r *rawStmt) fail(t lexer.Token, msg string) {
	if r.err == nil {
		r.err = &stmtError{start: t.Pos.Offset, end: tokenEnd(t), msg: msg}
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
	cur     *rawStmt
	pending []lexer.Token
	opens   []lexer.Token // open brackets outside http blocks
	httpTok *lexer.Token  // the "http {" of an open block
	buf     []lexer.Token // the array of the last statement's toks, reused
}

// finish ends the current statement and returns it (nil if none).
func (sp *splitter) finish() *rawStmt {
	cur := sp.cur
	if cur != nil {
		if sp.httpTok != nil {
			cur.fail(*sp.httpTok, msgUnclosedHTTP)
		}
		if len(sp.opens) > 0 {
			cur.fail(sp.opens[0], msgUnclosedBracket(sp.opens[0].Value))
		}
	}
	sp.cur, sp.opens, sp.httpTok = nil, nil, nil
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
		switch {
		case t.Type == typUnclosed:
			if r := sp.finish(); r != nil {
				return r
			}
		case t.Type == typComment:
			switch {
			case sp.cur == nil:
				sp.pending = append(sp.pending, t)
			case sp.httpTok != nil || len(sp.opens) > 0:
				sp.cur.inner = append(sp.cur.inner, t)
				sp.cur.end = tokenEnd(t)
			default:
				tc := t
				sp.cur.trailing = &tc
			}
		case t.Type == typNewline:
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
				cur = &rawStmt{leading: sp.pending, start: t.Pos.Offset, toks: sp.buf[:0]}
				sp.cur, sp.pending = cur, nil
			}
			if len(cur.toks) == maxStmtTokens {
				cur.tooLong = true
				sp.cur = nil
				return cur
			}
			cur.toks = append(cur.toks, t)
			sp.buf = cur.toks
			cur.end = tokenEnd(t)
			switch t.Type {
			case typHTTPOpen:
				tc := t
				sp.httpTok = &tc
			case typHTTPEnd:
				sp.httpTok = nil
			case typString:
				if !terminated(t.Value) {
					cur.fail(t, msgUnterminatedString)
				}
			case typPunct:
				switch t.Value {
				case "{", "[", "(":
					sp.opens = append(sp.opens, t)
				case "}", "]", ")":
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
	for ok && (first.Type == typNewline || first.Type == typComment) {
		i++
		first, ok = sp.ts.peek(i)
	}
	if !ok || first.Type != typIdent {
		return false
	}
	next, _ := sp.ts.peek(i + 1)
	switch {
	case next.Type == typArrow, next.Type == typPunct && next.Value == "=":
		return true
	case !isKeyword(first.Value, stmtKeywords):
		return false
	case next.Type == typNotEq, next.Type == typPunct && strings.Contains(":,})]", next.Value):
		return false // a label key or list item that happens to be a keyword
	case next.Type == typIdent && (next.Value == "in" || next.Value == "notin"):
		return false
	}
	return true
}

// stmt parses one statement, or returns a BadStmt after reporting why not.
func (p *fileParser) stmt(r *rawStmt) ast.Stmt {
	s, err := p.parse(r)
	if err == nil {
		return s
	}
	d := p.diags.Errorf(codeSyntax, p.f.Span(err.start, err.end), "%s", err.msg)
	d.Suggestion = err.suggestion
	return &ast.BadStmt{
		StmtBase: ast.StmtBase{Pos: ast.Pos{Src: p.f.Span(r.start, r.end)}},
		Text:     p.src[r.start:r.end],
	}
}

func (p *fileParser) parse(r *rawStmt) (s ast.Stmt, serr *stmtError) {
	if r.err != nil {
		return nil, r.err
	}
	last := r.toks[len(r.toks)-1]
	eof := lexer.Token{Type: lexer.EOF, Pos: last.Pos}
	eof.Pos.Offset = tokenEnd(last)
	defer func() {
		// participle panics on some grammar bugs; report them as syntax
		// errors rather than crash on a user's file.
		if x := recover(); x != nil {
			s, serr = nil, &stmtError{start: r.start, end: r.end, msg: fmt.Sprintf("cannot parse statement: %v", x)}
		}
	}()
	g := quickParse(r.toks, eof)
	if g == nil {
		pl, err := lexer.Upgrade(&sliceLexer{toks: r.toks, eof: eof})
		if err != nil {
			return nil, &stmtError{start: r.start, end: r.end, msg: err.Error()}
		}
		if g, err = stmtParser.ParseFromLexer(pl); err != nil {
			return nil, syntaxError(err, r.toks, eof)
		}
	}
	c := &converter{f: p.f}
	s = c.stmt(g)
	if c.err != nil {
		return nil, c.err
	}
	if s == nil {
		return nil, &stmtError{start: r.start, end: r.end, msg: "unexpected statement"}
	}
	return s, nil
}

// maxQuickTokens is the length of the longest statement quickParse sends to
// groupParser or ruleParser. What it saves does not grow with the
// statement, and a long bad statement would be parsed twice.
const maxQuickTokens = 256

// quickParse parses the two commonest statements, group declarations and
// rules that start with a name, with the parser of that statement alone,
// which spares the alternatives of stmt that cannot match (stmt tries each
// in turn, and they cost most of the time of a large file). It returns nil
// when the statement is something else or does not parse: stmtParser then
// parses it again, for the same tree or the usual error. Only statements
// whose first token rules out every earlier alternative of stmt are sent
// here, so the tree is the one stmtParser would build.
func quickParse(toks []lexer.Token, eof lexer.Token) *stmt {
	if len(toks) < 2 || toks[0].Type != typIdent || isKeyword(toks[0].Value, stmtStarters) {
		return nil
	}
	isGroup := toks[1].Type == typPunct && toks[1].Value == "="
	if isGroup {
		if g := aliasGroup(toks); g != nil {
			return &stmt{Tokens: g.Tokens, Group: g}
		}
	}
	if len(toks) > maxQuickTokens {
		return nil
	}
	if isGroup {
		if g, err := groupParser.ParseFromLexer(quickLexer(toks, eof)); err == nil {
			return &stmt{Tokens: g.Tokens, Group: g}
		}
		return nil
	}
	if r, err := ruleParser.ParseFromLexer(quickLexer(toks, eof)); err == nil {
		return &stmt{Tokens: r.Tokens, Rule: r}
	}
	return nil
}

// aliasGroup builds the tree of "NAME = NAME, NAME, ...", a group made of
// other groups by name, the way groupParser would (TestAliasGroup compares
// them), or returns nil for any other statement. A peer that is one name
// can only be stmt's "named" alternative: all the others need a second
// token or are not names.
func aliasGroup(toks []lexer.Token) *groupStmt {
	if len(toks)%2 == 0 {
		return nil
	}
	for i := 2; i < len(toks); i += 2 {
		if toks[i].Type != typIdent || i+1 < len(toks) && (toks[i+1].Type != typPunct || toks[i+1].Value != ",") {
			return nil
		}
	}
	g := &groupStmt{Tokens: toks, Name: &name{Tokens: toks[:1], Value: toks[0].Value}}
	for i := 2; i < len(toks); i += 2 {
		t := toks[i : i+1]
		g.Peers = append(g.Peers, &peer{Tokens: t, Named: &named{Tokens: t, Name: &name{Tokens: t, Value: t[0].Value}}})
	}
	return g
}

func quickLexer(toks []lexer.Token, eof lexer.Token) *lexer.PeekingLexer {
	pl, err := lexer.Upgrade(&sliceLexer{toks: toks, eof: eof})
	if err != nil {
		panic(err) // sliceLexer never fails
	}
	return pl
}

func (p *fileParser) comment(t lexer.Token) ast.Comment {
	text := strings.TrimRight(t.Value, " \t\r\f\v")
	return ast.Comment{Pos: ast.Pos{Src: p.f.Span(t.Pos.Offset, t.Pos.Offset+len(text))}, Text: text}
}

// markBlankAfter sets BlankAfter on each comment followed by an empty line
// before the next comment or, for the last one, before the node starting at
// offset next (-1: none).
func (p *fileParser) markBlankAfter(cs []ast.Comment, next int) {
	for i := range cs {
		nextLine := -1
		switch {
		case i+1 < len(cs):
			nextLine = cs[i+1].Src.Start.Line
		case next >= 0:
			nextLine = p.line(next)
		}
		cs[i].BlankAfter = nextLine > 0 && nextLine-cs[i].Src.Start.Line > 1
	}
}

func (p *fileParser) comments(ts []lexer.Token) []ast.Comment {
	var out []ast.Comment
	for _, t := range ts {
		out = append(out, p.comment(t))
	}
	return out
}

// attachInner attaches comments written inside a statement: those inside an
// http block to its rules, the others to the statement (as its trailing
// comment when it has none, else after its leading comments), since the
// formatter prints a statement's brackets on one line.
func (p *fileParser) attachInner(s ast.Stmt, inner []lexer.Token) {
	if len(inner) == 0 {
		return
	}
	var block *ast.HTTPBlock
	var request *ast.HTTPRule
	var blockSpan source.Span
	switch s := s.(type) {
	case *ast.Rule:
		if s.HTTP != nil {
			block, blockSpan = s.HTTP, s.HTTP.Src
		}
	case *ast.Expect:
		if s.Request != nil {
			request = s.Request
			blockSpan = source.Span{Start: s.To.Src.End, End: s.Verdict.Start}
		}
	}
	var inBlock []lexer.Token
	doc := s.Comments()
	for _, t := range inner {
		if blockSpan.End.Offset > t.Pos.Offset && t.Pos.Offset >= blockSpan.Start.Offset {
			inBlock = append(inBlock, t)
			continue
		}
		c := p.comment(t)
		if doc.Trailing == nil {
			doc.Trailing = &c
		} else {
			doc.Leading = append(doc.Leading, c)
		}
	}
	switch {
	case block != nil:
		p.attachHTTP(block, inBlock)
	case request != nil:
		for _, t := range inBlock {
			c := p.comment(t)
			if p.line(t.Pos.Offset) == request.Src.End.Line && request.Doc.Trailing == nil && t.Pos.Offset >= request.Src.End.Offset {
				request.Doc.Trailing = &c
			} else {
				request.Doc.Leading = append(request.Doc.Leading, c)
			}
		}
	}
}

// attachHTTP gives each comment of an http block to the rule it ends the
// line of (Trailing), else to the next rule (Leading), else to the block
// (Tail), and records blank lines between rules.
func (p *fileParser) attachHTTP(b *ast.HTTPBlock, comments []lexer.Token) {
	k := 0 // index of the first rule starting after the comment
	for _, t := range comments {
		for k < len(b.Rules) && b.Rules[k].Src.Start.Offset < t.Pos.Offset {
			k++
		}
		c := p.comment(t)
		switch {
		case k > 0 && b.Rules[k-1].Src.End.Line == p.line(t.Pos.Offset) && b.Rules[k-1].Doc.Trailing == nil:
			b.Rules[k-1].Doc.Trailing = &c
		case k < len(b.Rules):
			b.Rules[k].Doc.Leading = append(b.Rules[k].Doc.Leading, c)
		default:
			b.Tail = append(b.Tail, c)
		}
	}
	for i := 1; i < len(b.Rules); i++ {
		r := &b.Rules[i]
		first := r.Src.Start.Line
		if len(r.Doc.Leading) > 0 {
			first = r.Doc.Leading[0].Src.Start.Line
		}
		r.Doc.BlankBefore = first-b.Rules[i-1].Src.End.Line > 1
	}
}
