package parser

import (
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// scanner lexes exactly as lexDef does (TestScannerMatchesLexDef and
// FuzzScanner compare them token by token), but by hand: lexDef tries the
// regular expression of each rule in turn at every token, which costs about
// a microsecond per token and made lexing most of the time of a large file.
// lexDef remains the definition of the tokens, and the symbol table of the
// grammar.
//
// Tokens carry only the byte offset of their position; the parser uses
// nothing else.
type scanner struct {
	src  string
	off  int  // offset in src of the next byte
	http bool // in lexDef's HTTP state
}

var (
	typCIDR4  = tokenTypes[tokCIDR4]
	typCIDR6  = tokenTypes[tokCIDR6]
	typNumber = tokenTypes[tokNumber]
)

// Next returns the next token, or an EOF token at the end.
func (s *scanner) Next() (lexer.Token, error) {
	for s.off < len(s.src) && isSpace(s.src[s.off]) {
		s.off++
	}
	start := s.off
	if start == len(s.src) {
		return lexer.Token{Type: lexer.EOF, Pos: lexer.Position{Offset: start}}, nil
	}
	var typ lexer.TokenType
	if s.http {
		typ = s.httpToken()
	} else {
		typ = s.rootToken()
	}
	return lexer.Token{Type: typ, Value: s.src[start:s.off], Pos: lexer.Position{Offset: start}}, nil
}

// isSpace is lexDef's whitespace, [ \t\r\f\v], in both states.
func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\r' || b == '\f' || b == '\v'
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }
func isHex(b byte) bool   { return isDigit(b) || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F' }
func isWordChar(b byte) bool {
	return isDigit(b) || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || b == '_'
}

// run returns the offset just past the bytes from i on that satisfy ok.
func (s *scanner) run(i int, ok func(byte) bool) int {
	for i < len(s.src) && ok(s.src[i]) {
		i++
	}
	return i
}

// runMax is run limited to max bytes, so that a bounded repetition scans a
// bounded length (the byte at the result may still satisfy ok).
func (s *scanner) runMax(i, max int, ok func(byte) bool) int {
	end := min(i+max, len(s.src))
	for i < end && ok(s.src[i]) {
		i++
	}
	return i
}

// at reports whether the byte at i is c.
func (s *scanner) at(i int, c byte) bool { return i < len(s.src) && s.src[i] == c }

// rootToken scans one token of the Root state, trying the rules of lexDef
// in order, and advances past it.
func (s *scanner) rootToken() lexer.TokenType {
	i, c := s.off, s.src[s.off]
	switch {
	case c == '#':
		s.off = s.lineEnd(i)
		return typComment
	case c == '\n':
		s.off++
		return typNewline
	}
	// http[ \t]*\{
	if len(s.src)-i >= 4 && s.src[i:i+4] == "http" {
		j := s.run(i+4, func(b byte) bool { return b == ' ' || b == '\t' })
		if s.at(j, '{') {
			s.off, s.http = j+1, true
			return typHTTPOpen
		}
	}
	// [0-9A-Fa-f]{0,4}:[0-9A-Fa-f.]{0,15}:[0-9A-Fa-f:.]{0,40}/[0-9]+ : no
	// class contains the character that follows it, so each repetition
	// takes its longest run or the rule fails.
	if j := s.runMax(i, 4, isHex); s.at(j, ':') {
		k := s.runMax(j+1, 15, func(b byte) bool { return isHex(b) || b == '.' })
		if s.at(k, ':') {
			m := s.runMax(k+1, 40, func(b byte) bool { return isHex(b) || b == ':' || b == '.' })
			if s.at(m, '/') {
				if n := s.run(m+1, isDigit); n > m+1 {
					s.off = n
					return typCIDR6
				}
			}
		}
	}
	// [0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(?:/[0-9]+)?
	if isDigit(c) {
		j, ok := i, true
		for part := 0; part < 4 && ok; part++ {
			if part > 0 {
				ok = s.at(j, '.')
				j++
			}
			k := s.run(j, isDigit)
			ok = ok && k > j
			j = k
		}
		if ok {
			if s.at(j, '/') {
				if k := s.run(j+1, isDigit); k > j+1 {
					j = k
				}
			}
			s.off = j
			return typCIDR4
		}
	}
	switch {
	case isWordChar(c) && !isDigit(c):
		// [A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*
		j := s.run(i, isWordChar)
		for (s.at(j, '-') || s.at(j, '.')) && j+1 < len(s.src) && isWordChar(s.src[j+1]) {
			j = s.run(j+1, isWordChar)
		}
		s.off = j
		return typIdent
	case isDigit(c):
		s.off = s.run(i, isDigit)
		return typNumber
	case c == '"':
		s.off = s.stringEnd(i)
		return typString
	case c == '-' && s.at(i+1, '>'):
		s.off = i + 2
		return typArrow
	case c == '!' && s.at(i+1, '='):
		s.off = i + 2
		return typNotEq
	}
	switch c {
	case '=', ',', ':', '/', '{', '}', '[', ']', '(', ')', '*', '!', '-':
		s.off = i + 1
		return typPunct
	}
	return s.other()
}

// httpToken scans one token of the HTTP state.
func (s *scanner) httpToken() lexer.TokenType {
	i, c := s.off, s.src[s.off]
	switch c {
	case '#':
		s.off = s.lineEnd(i)
		return typComment
	case '\n':
		s.off++
		return typNewline
	case '"':
		s.off = s.stringEnd(i)
		return typString
	case '}':
		s.off, s.http = i+1, false
		return typHTTPEnd
	case '{':
		return s.other()
	}
	// [^\s"#{}]+, where \s is [\t\n\f\r ] (not \v).
	s.off = s.run(i, func(b byte) bool {
		switch b {
		case '\t', '\n', '\f', '\r', ' ', '"', '#', '{', '}':
			return false
		}
		return true
	})
	return typWord
}

// lineEnd returns the offset of the newline ending the line at i, or the
// end of src.
func (s *scanner) lineEnd(i int) int {
	for i < len(s.src) && s.src[i] != '\n' {
		i++
	}
	return i
}

// stringEnd returns the offset just past the string starting at the quote
// at i: "(?:\\[^\n]|[^"\\\n])*"? (byte by byte, which ends in the same
// place as rune by rune: no byte of a multi-byte rune is special).
func (s *scanner) stringEnd(i int) int {
	i++
	for i < len(s.src) {
		switch c := s.src[i]; {
		case c == '\\' && i+1 < len(s.src) && s.src[i+1] != '\n':
			i += 2
		case c == '"':
			return i + 1
		case c == '\\' || c == '\n':
			return i
		default:
			i++
		}
	}
	return i
}

// other scans one character (one byte of invalid UTF-8) as an Other token.
func (s *scanner) other() lexer.TokenType {
	_, n := utf8.DecodeRuneInString(s.src[s.off:])
	s.off += n
	return typOther
}
