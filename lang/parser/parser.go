// Package parser parses netpolc source files (docs/language.md) into the
// syntax tree of lang/ast.
//
// The grammar is a participle grammar over a stateful lexer (lexer.go,
// grammar.go). Because the language is line-oriented, a file is lexed once
// and split into statements at newlines outside brackets; each statement is
// parsed on its own, so one run reports one error per bad statement and
// keeps a *ast.BadStmt in its place.
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

// ParseFile parses f. It returns a tree for every file, with a *ast.BadStmt
// for each statement that did not parse, and one "syntax" diagnostic per
// such statement.
func ParseFile(f *source.File) (*ast.File, diag.List) {
	p := &fileParser{f: f, src: string(f.Content)}
	raws, tail := split(p.lex())
	out := &ast.File{Pos: ast.Pos{Src: f.Span(0, len(f.Content))}, Name: f.Name}
	prevEnd := -1 // line of the end of the previous statement
	for _, r := range raws {
		s := p.stmt(r)
		doc := s.Comments()
		doc.Leading = p.comments(r.leading)
		p.markBlankAfter(doc.Leading, r.start)
		if r.trailing != nil {
			c := p.comment(*r.trailing)
			doc.Trailing = &c
		}
		if _, bad := s.(*ast.BadStmt); !bad {
			p.attachInner(s, r.inner)
		}
		first := r.start
		if len(r.leading) > 0 {
			first = r.leading[0].Pos.Offset
		}
		doc.BlankBefore = prevEnd > 0 && p.line(first)-prevEnd > 1
		prevEnd = p.line(r.end)
		out.Stmts = append(out.Stmts, s)
	}
	out.Tail = p.comments(tail)
	p.markBlankAfter(out.Tail, -1)
	out.TailBlankBefore = len(tail) > 0 && prevEnd > 0 && p.line(tail[0].Pos.Offset)-prevEnd > 1
	return out, p.diags
}

type fileParser struct {
	f     *source.File
	src   string
	diags diag.List
}

func (p *fileParser) line(offset int) int { return p.f.Pos(offset).Line }

// lex returns the tokens of the whole file. An http block whose "}" is
// missing would swallow the following statements as HTTP words; so inside a
// block, a line that looks like a statement rather than an HTTP rule ends
// the block: a typUnclosed token marks the cut and lexing resumes at that
// line in the Root state. Every byte is lexed at most twice.
func (p *fileParser) lex() []lexer.Token {
	var (
		out    []lexer.Token
		line   []lexer.Token // tokens of the current line of an http block
		base   = 0
		inHTTP = false
		check  = false // the current line started inside the block
	)
	l, _ := lexDef.LexString("", p.src)
	// endLine handles the end of a line inside an http block; it reports
	// whether the line was cut off and lexing restarted.
	endLine := func() bool {
		if check && len(line) > 0 && statementLike(line) {
			base = line[0].Pos.Offset
			out = append(out, lexer.Token{Type: typUnclosed, Pos: line[0].Pos})
			l, _ = lexDef.LexString("", p.src[base:])
			line, inHTTP, check = nil, false, false
			return true
		}
		out = append(out, line...)
		line = nil
		return false
	}
	for {
		t, err := l.Next()
		if err != nil || t.EOF() {
			endLine()
			return out
		}
		t.Pos.Offset += base
		switch {
		case !inHTTP:
			out = append(out, t)
			inHTTP, check = t.Type == typHTTPOpen, false
		case t.Type == typNewline, t.Type == typHTTPEnd:
			if endLine() {
				continue
			}
			out = append(out, t)
			inHTTP, check = t.Type == typNewline, true
		default:
			line = append(line, t)
		}
	}
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
}

func (r *rawStmt) fail(t lexer.Token, msg string) {
	if r.err == nil {
		r.err = &stmtError{start: t.Pos.Offset, end: tokenEnd(t), msg: msg}
	}
}

// split groups tokens into statements. A newline ends a statement unless it
// is inside brackets or an http block. Inside brackets, a line that starts
// like a statement ends the statement anyway (the bracket was never closed),
// so that one missing "}" does not turn the rest of the file into one error.
// Comments before the first token of a statement are its leading comments;
// those after the last statement are returned as tail.
func split(toks []lexer.Token) (stmts []*rawStmt, tail []lexer.Token) {
	var (
		cur     *rawStmt
		pending []lexer.Token
		opens   []lexer.Token // open brackets outside http blocks
		httpTok *lexer.Token  // the "http {" of an open block
	)
	finish := func() {
		if cur != nil {
			if httpTok != nil {
				cur.fail(*httpTok, msgUnclosedHTTP)
			}
			if len(opens) > 0 {
				cur.fail(opens[0], msgUnclosedBracket(opens[0].Value))
			}
			stmts = append(stmts, cur)
		}
		cur, opens, httpTok = nil, nil, nil
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.Type == typUnclosed:
			finish()
		case t.Type == typComment:
			switch {
			case cur == nil:
				pending = append(pending, t)
			case httpTok != nil || len(opens) > 0:
				cur.inner = append(cur.inner, t)
				cur.end = tokenEnd(t)
			default:
				tc := t
				cur.trailing = &tc
			}
		case t.Type == typNewline:
			switch {
			case cur == nil:
			case httpTok != nil:
				cur.toks = append(cur.toks, t)
			case len(opens) > 0:
				if startsStatement(toks, i+1) {
					finish()
				}
			default:
				finish()
			}
		default:
			if cur == nil {
				cur = &rawStmt{leading: pending, start: t.Pos.Offset}
				pending = nil
			}
			cur.toks = append(cur.toks, t)
			cur.end = tokenEnd(t)
			switch t.Type {
			case typHTTPOpen:
				tc := t
				httpTok = &tc
			case typHTTPEnd:
				httpTok = nil
			case typString:
				if !terminated(t.Value) {
					cur.fail(t, msgUnterminatedString)
				}
			case typPunct:
				switch t.Value {
				case "{", "[", "(":
					opens = append(opens, t)
				case "}", "]", ")":
					if len(opens) > 0 {
						opens = opens[:len(opens)-1]
					}
				}
			}
		}
	}
	finish()
	return stmts, pending
}

// startsStatement reports whether the line starting at toks[i] (after
// blank and comment lines) looks like the start of a statement rather than
// the continuation of a bracketed list.
func startsStatement(toks []lexer.Token, i int) bool {
	for i < len(toks) && (toks[i].Type == typNewline || toks[i].Type == typComment) {
		i++
	}
	if i >= len(toks) || toks[i].Type != typIdent {
		return false
	}
	var next lexer.Token
	if i+1 < len(toks) {
		next = toks[i+1]
	}
	switch {
	case next.Type == typArrow, next.Type == typPunct && next.Value == "=":
		return true
	case !isKeyword(toks[i].Value, stmtKeywords):
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
	pl, err := lexer.Upgrade(&sliceLexer{toks: r.toks, eof: eof})
	if err != nil {
		return nil, &stmtError{start: r.start, end: r.end, msg: err.Error()}
	}
	g, err := stmtParser.ParseFromLexer(pl)
	if err != nil {
		return nil, syntaxError(err, r.toks, eof)
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
