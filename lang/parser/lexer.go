package parser

import (
	"github.com/alecthomas/participle/v2/lexer"
)

// Token names of the lexer. Rules whose name starts with a lower-case letter
// are dropped by participle's stateful lexer; everything else reaches the
// statement splitter, which removes comments and most newlines before the
// grammar sees the tokens.
const (
	tokComment  = "Comment"
	tokNewline  = "Newline"
	tokHTTPOpen = "HTTPOpen"
	tokCIDR6    = "CIDR6"
	tokCIDR4    = "CIDR4"
	tokIdent    = "Ident"
	tokNumber   = "Number"
	tokString   = "String"
	tokArrow    = "Arrow"
	tokNotEq    = "NotEq"
	tokPunct    = "Punct"
	tokHTTPEnd  = "HTTPClose"
	tokWord     = "Word"
	tokOther    = "Other"
)

// stringPattern matches a quoted string with \" and \\ escapes. The closing
// quote is optional so that an unterminated string is one token (reported by
// the splitter) and lexing stays linear on pathological input.
const stringPattern = `"(?:\\[^\n]|[^"\\\n])*"?`

// lexDef is the stateful lexer of the language: the definition of its
// tokens, and the symbol table of the grammar. Files are lexed by scanner
// (scan.go), which produces the same tokens much faster. The Root state covers
// statements; "http {" pushes the HTTP state, where every line is one HTTP
// rule made of words and strings, and "}" pops it. Each state ends with a
// catch-all rule, so lexing never fails: the parser reports the character.
//
// Patterns with unbounded repetition are anchored by a character that the
// repetition cannot contain, or bounded, so that no position is scanned more
// than a constant number of times.
var lexDef = lexer.MustStateful(lexer.Rules{
	"Root": {
		{Name: "whitespace", Pattern: `[ \t\r\f\v]+`},
		{Name: tokComment, Pattern: `#[^\n]*`},
		{Name: tokNewline, Pattern: `\n`},
		{Name: tokHTTPOpen, Pattern: `http[ \t]*\{`, Action: lexer.Push("HTTP")},
		// IPv6 needs two colons and a prefix length, so "db:8080/tcp" is
		// never one.
		{Name: tokCIDR6, Pattern: `[0-9A-Fa-f]{0,4}:[0-9A-Fa-f.]{0,15}:[0-9A-Fa-f:.]{0,40}/[0-9]+`},
		{Name: tokCIDR4, Pattern: `[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(?:/[0-9]+)?`},
		{Name: tokIdent, Pattern: `[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*`},
		{Name: tokNumber, Pattern: `[0-9]+`},
		{Name: tokString, Pattern: stringPattern},
		{Name: tokArrow, Pattern: `->`},
		{Name: tokNotEq, Pattern: `!=`},
		{Name: tokPunct, Pattern: `[=,:/{}\[\]()*!-]`},
		{Name: tokOther, Pattern: `(?s:.)`},
	},
	"HTTP": {
		{Name: "whitespace", Pattern: `[ \t\r\f\v]+`},
		{Name: tokComment, Pattern: `#[^\n]*`},
		{Name: tokNewline, Pattern: `\n`},
		{Name: tokString, Pattern: stringPattern},
		{Name: tokHTTPEnd, Pattern: `\}`, Action: lexer.Pop()},
		{Name: tokWord, Pattern: `[^\s"#{}]+`},
		{Name: tokOther, Pattern: `(?s:.)`},
	},
})

// tokenTypes maps token names to the types the lexer assigns.
var tokenTypes = lexDef.Symbols()

var (
	typComment  = tokenTypes[tokComment]
	typNewline  = tokenTypes[tokNewline]
	typHTTPOpen = tokenTypes[tokHTTPOpen]
	typHTTPEnd  = tokenTypes[tokHTTPEnd]
	typIdent    = tokenTypes[tokIdent]
	typString   = tokenTypes[tokString]
	typWord     = tokenTypes[tokWord]
	typOther    = tokenTypes[tokOther]
	typPunct    = tokenTypes[tokPunct]
	typArrow    = tokenTypes[tokArrow]
	typNotEq    = tokenTypes[tokNotEq]
)

// sliceLexer replays a statement's tokens to participle.
type sliceLexer struct {
	toks []lexer.Token
	eof  lexer.Token
}

func (l *sliceLexer) Next() (lexer.Token, error) {
	if len(l.toks) == 0 {
		return l.eof, nil
	}
	t := l.toks[0]
	l.toks = l.toks[1:]
	return t, nil
}

// tokenEnd is the byte offset just past t.
func tokenEnd(t lexer.Token) int { return t.Pos.Offset + len(t.Value) }
