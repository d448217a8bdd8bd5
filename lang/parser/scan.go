package parser

import "unicode/utf8"

// tokKind is the kind of a token.
type tokKind uint8

// Token kinds. The scanner has two states: the root state covers
// statements; "http {" enters the HTTP state, where every line is one HTTP
// rule made of words and strings, and "}" leaves it.
const (
	tokEOF      tokKind = iota // end of the statement (never stored)
	tokComment                 // "#" to the end of the line
	tokNewline                 // "\n"
	tokHTTPOpen                // "http {", with any spaces or tabs before "{"
	tokHTTPEnd                 // the "}" that closes an http block
	tokCIDR6                   // an IPv6 address with its prefix length: 2001:db8::/32
	tokCIDR4                   // a dotted IPv4 address with an optional prefix length
	tokIdent                   // web, ingress-nginx, app.kubernetes.io
	tokNumber                  // 8080
	tokString                  // "..." with \" and \\ escapes; may lack its closing quote
	tokArrow                   // ->
	tokNotEq                   // !=
	tokPunct                   // one of = , : / { } [ ] ( ) * ! -
	tokWord                    // in the HTTP state, a run of characters other than space, '"', '#', '{', '}'
	tokOther                   // any other character (one byte of invalid UTF-8)
	tokUnclosed                // marks where an unclosed http block was cut off (see tokens)
)

// token is one token: its kind and where it is in the source. Its text is
// src[off:end].
type token struct {
	kind     tokKind
	off, end int
}

// scanner splits source text into tokens. It never fails: a character that
// starts no token is a tokOther token, which the parser reports.
//
// Every rule either takes a run of characters that the next character
// cannot extend, or a bounded run, so that no byte is scanned more than a
// constant number of times.
type scanner struct {
	src  string
	off  int  // offset in src of the next byte
	http bool // in the HTTP state
}

// next returns the next token, or a tokEOF token at the end.
func (s *scanner) next() token {
	for s.off < len(s.src) && isSpace(s.src[s.off]) {
		s.off++
	}
	start := s.off
	if start == len(s.src) {
		return token{kind: tokEOF, off: start, end: start}
	}
	var k tokKind
	if s.http {
		k = s.httpToken()
	} else {
		k = s.rootToken()
	}
	return token{kind: k, off: start, end: s.off}
}

// isSpace reports whether b is white space between tokens, in both states.
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

// rootToken scans one token of the root state and advances past it. The
// rules are tried in order; the first that matches wins.
func (s *scanner) rootToken() tokKind {
	i, c := s.off, s.src[s.off]
	switch {
	case c == '#':
		s.off = s.lineEnd(i)
		return tokComment
	case c == '\n':
		s.off++
		return tokNewline
	}
	// http[ \t]*\{
	if len(s.src)-i >= 4 && s.src[i:i+4] == "http" {
		j := s.run(i+4, func(b byte) bool { return b == ' ' || b == '\t' })
		if s.at(j, '{') {
			s.off, s.http = j+1, true
			return tokHTTPOpen
		}
	}
	// An IPv6 CIDR, [0-9A-Fa-f]{0,4}:[0-9A-Fa-f.]{0,15}:[0-9A-Fa-f:.]{0,40}/[0-9]+:
	// it needs two colons and a prefix length, so "db:8080/tcp" is never
	// one. No class contains the character that follows it, so each
	// repetition takes its longest run or the rule fails.
	if j := s.runMax(i, 4, isHex); s.at(j, ':') {
		k := s.runMax(j+1, 15, func(b byte) bool { return isHex(b) || b == '.' })
		if s.at(k, ':') {
			m := s.runMax(k+1, 40, func(b byte) bool { return isHex(b) || b == ':' || b == '.' })
			if s.at(m, '/') {
				if n := s.run(m+1, isDigit); n > m+1 {
					s.off = n
					return tokCIDR6
				}
			}
		}
	}
	// An IPv4 CIDR, [0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(?:/[0-9]+)?
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
			return tokCIDR4
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
		return tokIdent
	case isDigit(c):
		s.off = s.run(i, isDigit)
		return tokNumber
	case c == '"':
		s.off = s.stringEnd(i)
		return tokString
	case c == '-' && s.at(i+1, '>'):
		s.off = i + 2
		return tokArrow
	case c == '!' && s.at(i+1, '='):
		s.off = i + 2
		return tokNotEq
	}
	switch c {
	case '=', ',', ':', '/', '{', '}', '[', ']', '(', ')', '*', '!', '-':
		s.off = i + 1
		return tokPunct
	}
	return s.other()
}

// httpToken scans one token of the HTTP state.
func (s *scanner) httpToken() tokKind {
	i, c := s.off, s.src[s.off]
	switch c {
	case '#':
		s.off = s.lineEnd(i)
		return tokComment
	case '\n':
		s.off++
		return tokNewline
	case '"':
		s.off = s.stringEnd(i)
		return tokString
	case '}':
		s.off, s.http = i+1, false
		return tokHTTPEnd
	case '{':
		return s.other()
	}
	// A word: [^\s"#{}]+, where \s is [\t\n\f\r ] (not \v).
	s.off = s.run(i, func(b byte) bool {
		switch b {
		case '\t', '\n', '\f', '\r', ' ', '"', '#', '{', '}':
			return false
		}
		return true
	})
	return tokWord
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
// place as rune by rune: no byte of a multi-byte rune is special). The
// closing quote is optional, so that an unterminated string is one token,
// which the splitter reports.
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

// other scans one character (one byte of invalid UTF-8) as a tokOther
// token.
func (s *scanner) other() tokKind {
	_, n := utf8.DecodeRuneInString(s.src[s.off:])
	s.off += n
	return tokOther
}
