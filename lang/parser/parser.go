// Package parser parses netpolc source files (docs/language.md) into the
// syntax tree of lang/ast.
//
// It works in three steps, as go/parser does: a scanner (scan.go) turns the
// text into tokens with their offsets; because the language is
// line-oriented, a splitter (split.go) groups them into statements at
// newlines outside brackets and http blocks, and keeps the comments aside;
// and a recursive-descent parser (parse.go) parses each statement, with one
// method per construct, each of which says what it expected when the next
// token is something else (errors.go holds the messages). A statement that
// does not parse is reported once, and a *ast.BadStmt stands in its place:
// parsing goes on with the next statement. Only the statement being parsed
// is held as tokens, and parsing a file stops after too many bad statements
// (see maxSyntaxErrors), so that the work on garbage input is bounded.
package parser

import (
	"fmt"
	"strings"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Limits on the work spent on one file. A file of garbage (random bytes,
// say) is all bad statements; after a few of them the rest says nothing
// new, so parsing stops. The limits are far above what a real file needs.
const (
	// maxSyntaxErrors is the number of bad statements after which the rest
	// of a file is not parsed. It is below diag.MaxPerRun, so that the note
	// saying where parsing stopped is shown.
	maxSyntaxErrors = 40
	// maxStmtTokens is the most tokens one statement may have (a group of
	// 131,072 names); a longer one ends the parsing of its file. It bounds
	// the tokens held in memory at once.
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
	sp := newSplitter(p.src, f.Start())
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
			consumed = r.trailing.end
		}
		if _, isBad := s.(*ast.BadStmt); !isBad {
			p.attachInner(s, r.inner)
		} else {
			bad++
			badToks += len(r.toks)
		}
		first := r.start
		if len(r.leading) > 0 {
			first = r.leading[0].off
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
	out.TailBlankBefore = len(tail) > 0 && prevEnd > 0 && p.line(tail[0].off)-prevEnd > 1
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
	p.diags.Errorf(codeTooManyErrors, p.f.Span(start, start), "%s", msgStopped(why, lines))
	out.Stmts = append(out.Stmts, &ast.BadStmt{
		StmtBase: ast.StmtBase{Pos: ast.Pos{Src: p.f.Span(start, len(p.src))}},
		Text:     rest,
	})
}

// fileParser parses one file, statement by statement.
type fileParser struct {
	f     *source.File
	src   string
	diags diag.List
	sp    stmtParser // reused for each statement
}

func (p *fileParser) line(offset int) int { return p.f.Pos(offset).Line }

// stmt parses one statement, or returns a BadStmt after reporting why not.
func (p *fileParser) stmt(r *rawStmt) ast.Stmt {
	err := r.err
	if err == nil {
		last := r.toks[len(r.toks)-1]
		sp := &p.sp
		*sp = stmtParser{f: p.f, src: p.src, toks: r.toks, eof: token{kind: tokEOF, off: last.end, end: last.end}, optional: sp.optional[:0], kwWords: stmtKeywords, kwBuf: sp.kwBuf}
		var s ast.Stmt
		if s, err = sp.parse(); err == nil {
			return s
		}
	}
	d := p.diags.Errorf(codeSyntax, p.f.Span(err.start, err.end), "%s", err.msg)
	d.Suggestion = err.suggestion
	return &ast.BadStmt{
		StmtBase: ast.StmtBase{Pos: ast.Pos{Src: p.f.Span(r.start, r.end)}},
		Text:     p.src[r.start:r.end],
	}
}

func (p *fileParser) comment(t token) ast.Comment {
	text := strings.TrimRight(p.src[t.off:t.end], " \t\r\f\v")
	return ast.Comment{Pos: ast.Pos{Src: p.f.Span(t.off, t.off+len(text))}, Text: text}
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

func (p *fileParser) comments(ts []token) []ast.Comment {
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
func (p *fileParser) attachInner(s ast.Stmt, inner []token) {
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
	var inBlock []token
	doc := s.Comments()
	for _, t := range inner {
		if blockSpan.End.Offset > t.off && t.off >= blockSpan.Start.Offset {
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
			if p.line(t.off) == request.Src.End.Line && request.Doc.Trailing == nil && t.off >= request.Src.End.Offset {
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
func (p *fileParser) attachHTTP(b *ast.HTTPBlock, comments []token) {
	k := 0 // index of the first rule starting after the comment
	for _, t := range comments {
		for k < len(b.Rules) && b.Rules[k].Src.Start.Offset < t.off {
			k++
		}
		c := p.comment(t)
		switch {
		case k > 0 && b.Rules[k-1].Src.End.Line == p.line(t.off) && b.Rules[k-1].Doc.Trailing == nil:
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
