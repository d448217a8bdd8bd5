package yamlsrc

import (
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// The fast reader: go.yaml.in/yaml/v3 builds its nodes through a
// general scanner and parser (about 20 MB/s); most of what people give
// netpolc is written in the block style kubectl prints, which a
// line-oriented reader reads many times faster. fastDocs reads that style
// into the very nodes yaml.v3 gives (kind, tag, style, value, line and
// column; comments are skipped, since nothing in this package reads
// them) and refuses everything else, so that the caller parses it with
// yaml.v3, errors included. What it reads:
//
//   - documents separated by "---" lines (no directives, no "..."), each a
//     block mapping or a block sequence;
//   - block mappings of keys that are plain scalars on one line (such as
//     managedFields' "f:metadata" and `k:{"port":80}`) or quoted scalars on
//     one line, each directly followed by ':';
//   - block sequences, items "- " at the column of the sequence, an item
//     being a scalar or a mapping starting on the item's line; sequences
//     may sit at the column of their key (kubectl's "items:\n- ...");
//   - values: plain scalars on one line, quoted scalars on one line
//     (escapes of double-quoted scalars resolved as yaml.v3 does), "{}",
//     "[]", literal block scalars ("|" and "|-", as kubectl writes
//     last-applied-configuration) and a nested block on the lines below;
//   - comments on lines of their own and after values.
//
// Refused: tabs, carriage returns, byte order marks and any character
// yaml.v3 would refuse or read as a line break; flow collections other
// than {} and []; anchors, aliases and tags; folded block scalars (>),
// literal ones with "+" or an indentation indicator, or as sequence items;
// scalars over several lines; empty values; keys over 1,000 bytes; "? "
// keys; sequences directly in sequences. The differential tests
// (fast_test.go) hold fastDocs to yaml.v3 on generated, mutated and real
// inputs.

// fastMaxKey is the longest key fastDocs reads (yaml.v3 refuses simple
// keys of more than 1,024 characters).
const fastMaxKey = 1000

// fastDocs parses chunk, a stream of YAML documents, into the document
// nodes yaml.v3 gives for it, with every line moved down by line (the
// lines before chunk in its file); ok is false when chunk has anything
// fastDocs does not read.
func fastDocs(chunk []byte, line int) (docs []*yaml.Node, ok bool) {
	return fastDocsIn(chunk, line, nil)
}

// fastDocsIn is fastDocs with the nodes taken from a (nil: allocated).
func fastDocsIn(chunk []byte, line int, a *arena) (docs []*yaml.Node, ok bool) {
	if !fastText(chunk) {
		return nil, false
	}
	p := &fastParser{src: string(chunk), line: line + 1, arena: a}
	for {
		p.next()
		if p.eof {
			return docs, len(docs) > 0
		}
		doc := p.newNode(yaml.DocumentNode, "", "", 0, 0)
		if p.marker {
			if p.src[p.start:p.start+3] != "---" || strings.TrimRight(p.src[p.start+3:p.end], " ") != "" {
				return nil, false // "..." or content after the marker
			}
			doc.Line, doc.Column = p.line, 1
			p.advance()
			p.next()
			if p.eof || p.marker {
				return nil, false // an empty document
			}
		}
		n := p.node()
		if p.bad {
			return nil, false
		}
		if doc.Line == 0 {
			doc.Line, doc.Column = n.Line, n.Column
		}
		doc.Content = []*yaml.Node{n}
		if !p.eof && !p.marker {
			return nil, false // content after the document's node
		}
		docs = append(docs, doc)
	}
}

// fastText reports whether every character of b is one fastDocs reads:
// printable ASCII, line feeds, and UTF-8 encoded characters yaml.v3
// accepts that are not line breaks nor a byte order mark.
func fastText(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size <= 1,
			r < 0xA0, // C1 controls and NEL (U+0085)
			r == 0x2028 || r == 0x2029,
			r >= 0xD800 && r <= 0xDFFF,
			r == 0xFEFF || r == 0xFFFE || r == 0xFFFF:
			return false
		}
		i += size
	}
	return true
}

// fastParser reads one chunk line by line.
type fastParser struct {
	src  string
	off  int // start of the current line
	line int // 1-based line number of the current line in the file
	// The current content line (next skips blank and comment lines):
	start, end int  // its offsets, end before the line feed
	ind        int  // its indentation
	eof        bool // no line left
	marker     bool // a line starting with "---" or "..."
	bad        bool // something fastDocs does not read

	slab     []yaml.Node  // nodes are allocated from here
	children []*yaml.Node // and the Content of collections from here
	stack    []*yaml.Node // the children of the collections being read
	arena    *arena       // where slab and children come from; nil: make
}

// arena holds the blocks of nodes and of children a fastParser took, to
// be given again (cleared) after reset, when every node taken from it is
// dead: streamRuns reuses one for the next run when Options.Each dropped
// every object of a run, so that a big input's node trees are allocated
// once per worker rather than once per run.
type arena struct {
	nodes    [][]yaml.Node
	children [][]*yaml.Node
	n, c     int // blocks given since reset
}

// nodeBlock returns a cleared block of 256 nodes.
func (a *arena) nodeBlock() []yaml.Node {
	if a.n == len(a.nodes) {
		a.nodes = append(a.nodes, make([]yaml.Node, 256))
	} else {
		clear(a.nodes[a.n])
	}
	a.n++
	return a.nodes[a.n-1]
}

// childBlock returns a cleared block of at least n children.
func (a *arena) childBlock(n int) []*yaml.Node {
	if n > 1024 {
		return make([]*yaml.Node, n) // not kept: rare
	}
	if a.c == len(a.children) {
		a.children = append(a.children, make([]*yaml.Node, 1024))
	} else {
		clear(a.children[a.c])
	}
	a.c++
	return a.children[a.c-1]
}

// reset makes every block given again; nothing taken before may be used
// any more.
func (a *arena) reset() { a.n, a.c = 0, 0 }

// push adds n to the children of the collection being read.
func (p *fastParser) push(n *yaml.Node) { p.stack = append(p.stack, n) }

// content returns the children pushed since mark, as a slice of their
// own, and pops them.
func (p *fastParser) content(mark int) []*yaml.Node {
	kids := p.stack[mark:]
	if len(p.children) < len(kids) {
		if p.arena != nil {
			p.children = p.arena.childBlock(len(kids))
		} else {
			p.children = make([]*yaml.Node, max(1024, len(kids)))
		}
	}
	out := p.children[:len(kids):len(kids)]
	p.children = p.children[len(kids):]
	copy(out, kids)
	p.stack = p.stack[:mark]
	return out
}

// next moves to the next content line from the current one (itself
// when it has content).
func (p *fastParser) next() {
	for {
		if p.off >= len(p.src) {
			p.eof, p.marker = true, false
			return
		}
		e := strings.IndexByte(p.src[p.off:], '\n')
		if e < 0 {
			e = len(p.src)
		} else {
			e += p.off
		}
		i := p.off
		for i < e && p.src[i] == ' ' {
			i++
		}
		if i == e || p.src[i] == '#' {
			p.advance()
			continue
		}
		p.start, p.end, p.ind = p.off, e, i-p.off
		p.eof = false
		t := p.src[p.off:e]
		p.marker = p.ind == 0 && len(t) >= 3 && (t[:3] == "---" || t[:3] == "...") && (len(t) == 3 || t[3] == ' ')
		if p.ind == 0 && t[0] == '%' {
			p.bad = true // a directive
		}
		return
	}
}

// advance moves past the current line.
func (p *fastParser) advance() {
	e := strings.IndexByte(p.src[p.off:], '\n')
	if e < 0 {
		p.off = len(p.src)
	} else {
		p.off += e + 1
	}
	p.line++
}

// col is the 1-based column of offset at of the current line, in
// characters as yaml.v3 counts them.
func (p *fastParser) col(at int) int {
	return utf8.RuneCountInString(p.src[p.start:at]) + 1
}

func (p *fastParser) newNode(kind yaml.Kind, tag, value string, line, col int) *yaml.Node {
	if len(p.slab) == 0 {
		if p.arena != nil {
			p.slab = p.arena.nodeBlock()
		} else {
			p.slab = make([]yaml.Node, 256)
		}
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	n.Kind, n.Tag, n.Value, n.Line, n.Column = kind, tag, value, line, col
	return n
}

// dash reports whether the current line has a sequence indicator at
// offset at.
func (p *fastParser) dash(at int) bool {
	return at < p.end && p.src[at] == '-' && (at+1 == p.end || p.src[at+1] == ' ')
}

// node reads the block node that starts on the current content line.
func (p *fastParser) node() *yaml.Node {
	if p.bad || p.eof || p.marker {
		p.bad = true
		return nil
	}
	at := p.start + p.ind
	if p.dash(at) {
		return p.sequence(p.ind)
	}
	return p.mapping(p.ind, at)
}

// sequence reads a block sequence whose indicators are at column col of
// the current and following lines.
func (p *fastParser) sequence(col int) *yaml.Node {
	s := p.newNode(yaml.SequenceNode, "!!seq", "", p.line, col+1)
	mark := len(p.stack)
	defer func() { s.Content = p.content(mark) }()
	for {
		j := p.start + col + 1
		for j < p.end && p.src[j] == ' ' {
			j++
		}
		if j == p.end || p.src[j] == '#' || p.dash(j) {
			p.bad = true // an item on the lines below, or a sequence
			return nil
		}
		var item *yaml.Node
		if _, after := p.key(j); after > 0 {
			item = p.mapping(j-p.start, j)
		} else {
			item = p.inline(j)
			p.advance()
			p.next()
		}
		if p.bad {
			return nil
		}
		p.push(item)
		switch {
		case p.eof || p.marker || p.ind < col:
			return s
		case p.ind > col:
			p.bad = true
			return nil
		case !p.dash(p.start + col):
			return s // the next key of the mapping this sequence is a value of
		}
	}
}

// mapping reads a block mapping whose keys are at column col, the first
// at offset at of the current line.
func (p *fastParser) mapping(col, at int) *yaml.Node {
	m := p.newNode(yaml.MappingNode, "!!map", "", p.line, p.col(at))
	mark := len(p.stack)
	defer func() { m.Content = p.content(mark) }()
	for {
		k, after := p.key(at)
		if after == 0 {
			p.bad = true
			return nil
		}
		v := p.value(after, col)
		if p.bad {
			return nil
		}
		p.push(k)
		p.push(v)
		switch {
		case p.eof || p.marker || p.ind < col:
			return m
		case p.ind > col || p.dash(p.start+col):
			p.bad = true
			return nil
		}
		at = p.start + col
	}
}

// key reads a mapping key at offset at of the current line: its node and
// the offset after its ':' (0 when there is no key).
func (p *fastParser) key(at int) (*yaml.Node, int) {
	line := p.src[:p.end]
	switch c := line[at]; c {
	case '"', '\'':
		v, e, ok := p.quoted(at)
		if !ok || e >= p.end || line[e] != ':' || (e+1 < p.end && line[e+1] != ' ') || e-at > fastMaxKey {
			return nil, 0
		}
		style := yaml.DoubleQuotedStyle
		if c == '\'' {
			style = yaml.SingleQuotedStyle
		}
		k := p.newNode(yaml.ScalarNode, "!!str", v, p.line, p.col(at))
		k.Style = style
		return k, e + 1
	}
	if !plainStart(line, at) {
		return nil, 0
	}
	e := at
	for e < p.end {
		c := line[e]
		if c == ':' && (e+1 == p.end || line[e+1] == ' ') {
			break
		}
		if c == '#' && line[e-1] == ' ' {
			return nil, 0 // a comment
		}
		e++
	}
	if e == p.end || line[e-1] == ' ' || e-at > fastMaxKey {
		return nil, 0
	}
	v := line[at:e]
	return p.newNode(yaml.ScalarNode, plainTag(v), v, p.line, p.col(at)), e + 1
}

// plainStart reports whether a plain scalar may start at offset at of
// line: not with an indicator (YAML lets "-", "?" and ":" start one when a
// non-space follows; fastDocs only "-").
func plainStart(line string, at int) bool {
	switch line[at] {
	case '-':
		return at+1 < len(line) && line[at+1] != ' '
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	}
	return true
}

// value reads the value of a mapping entry at column col, from offset at
// (after the key's ':'), and moves to the next content line after it.
func (p *fastParser) value(at, col int) *yaml.Node {
	j := at
	for j < p.end && p.src[j] == ' ' {
		j++
	}
	if j < p.end && p.src[j] == '|' {
		return p.literal(j, col)
	}
	if j < p.end && p.src[j] != '#' {
		v := p.inline(j)
		p.advance()
		p.next()
		return v
	}
	// Nothing on the key's line: a block below, or an empty value.
	p.advance()
	p.next()
	switch {
	case p.bad || p.eof || p.marker:
	case p.ind > col:
		return p.node()
	case p.ind == col && p.dash(p.start+col):
		return p.sequence(col)
	}
	p.bad = true // an empty value
	return nil
}

// literal reads a literal block scalar ("|" or "|-", no indentation
// indicator) whose indicator is at offset at of the current line, the
// value of a mapping entry at column col, and moves to the next content
// line after it. Its lines are indented alike, more than col, the first
// is not empty, and a line feed ends the last.
func (p *fastParser) literal(at, col int) *yaml.Node {
	n := p.newNode(yaml.ScalarNode, "!!str", "", p.line, p.col(at))
	n.Style = yaml.LiteralStyle
	strip := false
	h := at + 1
	if h < p.end && p.src[h] == '-' {
		strip = true
		h++
	}
	for h < p.end && p.src[h] == ' ' {
		h++
	}
	if h < p.end && (p.src[h] != '#' || p.src[h-1] != ' ') {
		p.bad = true // chomping "+", an indentation indicator, or text
		return nil
	}
	p.advance()
	// The lines of the scalar, raw: a line indented less than the first
	// ends it, comment or not.
	var b strings.Builder
	indent := -1
	blanks := 0 // empty lines not yet written
	for p.off < len(p.src) {
		e := strings.IndexByte(p.src[p.off:], '\n')
		if e < 0 {
			p.bad = true // the last line has no line feed
			return nil
		}
		text := p.src[p.off : p.off+e]
		i := 0
		for i < len(text) && text[i] == ' ' {
			i++
		}
		if indent < 0 {
			if i == len(text) || i <= col {
				p.bad = true // an empty first line, or no content
				return nil
			}
			indent = i
		}
		if i == len(text) && i <= indent {
			blanks++
			p.advance()
			continue
		}
		if i < indent {
			break
		}
		for ; blanks > 0; blanks-- {
			b.WriteByte('\n')
		}
		b.WriteString(text[indent:])
		b.WriteByte('\n')
		p.advance()
	}
	if indent < 0 {
		p.bad = true // no line at all: an empty scalar
		return nil
	}
	v := b.String()
	if strip {
		v = v[:len(v)-1]
	}
	n.Value = v
	p.next()
	return n
}

// inline reads a scalar, {} or [] at offset at, which ends the current
// line (but for a comment).
func (p *fastParser) inline(at int) *yaml.Node {
	line := p.src[:p.end]
	var n *yaml.Node
	e := 0
	switch c := line[at]; c {
	case '"', '\'':
		v, end, ok := p.quoted(at)
		if !ok {
			p.bad = true
			return nil
		}
		n = p.newNode(yaml.ScalarNode, "!!str", v, p.line, p.col(at))
		n.Style = yaml.DoubleQuotedStyle
		if c == '\'' {
			n.Style = yaml.SingleQuotedStyle
		}
		e = end
	case '{', '[':
		close, kind, tag := byte('}'), yaml.MappingNode, "!!map"
		if c == '[' {
			close, kind, tag = ']', yaml.SequenceNode, "!!seq"
		}
		if at+1 >= p.end || line[at+1] != close {
			p.bad = true // a flow collection that is not empty
			return nil
		}
		n = p.newNode(kind, tag, "", p.line, p.col(at))
		n.Style = yaml.FlowStyle
		e = at + 2
	default:
		if !plainStart(line, at) {
			p.bad = true
			return nil
		}
		e = at
		for e < p.end {
			c := line[e]
			if c == ':' && (e+1 == p.end || line[e+1] == ' ') {
				p.bad = true // "a: b: c"
				return nil
			}
			if c == '#' && line[e-1] == ' ' {
				break
			}
			e++
		}
		v := strings.TrimRight(line[at:e], " ")
		return p.newNode(yaml.ScalarNode, plainTag(v), v, p.line, p.col(at))
	}
	// After a quoted scalar or a flow collection: spaces, then the end of
	// the line or a comment.
	if e < p.end && line[e] != ' ' {
		p.bad = true
		return nil
	}
	for e < p.end && line[e] == ' ' {
		e++
	}
	if e < p.end && line[e] != '#' {
		p.bad = true
	}
	return n
}

// quoted reads a quoted scalar on one line at offset at: its value and
// the offset after its closing quote.
func (p *fastParser) quoted(at int) (string, int, bool) {
	line := p.src[:p.end]
	if line[at] == '\'' {
		// Single-quoted: '' is a quote.
		var b []byte
		seg := at + 1
		for i := at + 1; i < p.end; i++ {
			if line[i] != '\'' {
				continue
			}
			if i+1 < p.end && line[i+1] == '\'' {
				b = append(b, line[seg:i+1]...)
				i++
				seg = i + 1
				continue
			}
			if b == nil {
				return line[seg:i], i + 1, true
			}
			return string(append(b, line[seg:i]...)), i + 1, true
		}
		return "", 0, false
	}
	// Double-quoted: the text up to the first escape is taken as is.
	i := at + 1
	for i < p.end && line[i] != '"' && line[i] != '\\' {
		i++
	}
	if i < p.end && line[i] == '"' {
		return line[at+1 : i], i + 1, true
	}
	b := []byte(line[at+1 : i])
	for i < p.end {
		c := line[i]
		switch {
		case c == '"':
			return string(b), i + 1, true
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= p.end {
			return "", 0, false // a line continuation
		}
		i++
		switch e := line[i]; e {
		case '0':
			b = append(b, 0)
		case 'a':
			b = append(b, '\a')
		case 'b':
			b = append(b, '\b')
		case 't':
			b = append(b, '\t')
		case 'n':
			b = append(b, '\n')
		case 'v':
			b = append(b, '\v')
		case 'f':
			b = append(b, '\f')
		case 'r':
			b = append(b, '\r')
		case 'e':
			b = append(b, 0x1b)
		case ' ', '"', '\'', '\\':
			b = append(b, e)
		case 'N':
			b = utf8.AppendRune(b, 0x85)
		case '_':
			b = utf8.AppendRune(b, 0xA0)
		case 'L':
			b = utf8.AppendRune(b, 0x2028)
		case 'P':
			b = utf8.AppendRune(b, 0x2029)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+n >= p.end {
				return "", 0, false
			}
			r := rune(0)
			for _, h := range []byte(line[i+1 : i+1+n]) {
				switch {
				case h >= '0' && h <= '9':
					r = r<<4 | rune(h-'0')
				case h >= 'a' && h <= 'f':
					r = r<<4 | rune(h-'a'+10)
				case h >= 'A' && h <= 'F':
					r = r<<4 | rune(h-'A'+10)
				default:
					return "", 0, false
				}
			}
			if (r >= 0xD800 && r <= 0xDFFF) || r > 0x10FFFF {
				return "", 0, false
			}
			b = utf8.AppendRune(b, r)
			i += n
		default:
			return "", 0, false
		}
		i++
	}
	return "", 0, false
}

// plainHint is yaml.v3's first-character hint of plain scalars: those
// starting with any other character are strings.
func plainHint(c byte) bool {
	switch {
	case c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("+-.yYnNtTfFoO~", c) >= 0
}

// plainTag is the tag yaml.v3 resolves a plain scalar to.
func plainTag(v string) string {
	if v == "<<" {
		return "!!merge" // the parser's, whatever resolve says
	}
	if v != "" && !plainHint(v[0]) {
		return "!!str"
	}
	if v != "" && strings.IndexByte("yYnNtTfFoO~", v[0]) >= 0 {
		// resolve looks these up in its table of booleans and nulls,
		// and takes anything else for a string.
		switch v {
		case "true", "True", "TRUE", "false", "False", "FALSE":
			return "!!bool"
		case "~", "null", "Null", "NULL":
			return "!!null"
		}
		return "!!str"
	}
	// Numbers and addresses are most of a cluster's other plain scalars
	// (ports, replicas, pod IPs); resolve tries them as a timestamp, an
	// integer in several bases and a float, with an error value for each
	// failure. Two forms are decided here as it decides them: decimal
	// digits without a leading zero that fit in an int64 (18 digits) are an
	// integer; digits and at least two dots are none of a timestamp
	// (four digits and a dash), an integer or a float (one dot at most),
	// so a string; a nonzero digit followed by digits and ASCII letters, one
	// of them not e or E (a pod template's hash, 7d9c8ff12), is no
	// integer (decimal: no 0x, 0o or 0b) nor float (only e), so a string.
	digits, dots, letters, other := 0, 0, 0, false
	for i := 0; i < len(v) && !other; i++ {
		switch c := v[i]; {
		case '0' <= c && c <= '9':
			digits++
		case c == '.':
			dots++
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			if c != 'e' && c != 'E' {
				letters++
			}
		default:
			other = true
		}
	}
	switch {
	case other || v == "":
	case dots == 0 && letters == 0 && digits == len(v) && digits <= 18 && (v[0] != '0' || len(v) == 1):
		return "!!int"
	case dots >= 2 && digits+dots == len(v) && v[0] != '.':
		return "!!str"
	case dots == 0 && letters > 0 && '1' <= v[0] && v[0] <= '9':
		return "!!str"
	}
	n := yaml.Node{Kind: yaml.ScalarNode, Value: v}
	return n.ShortTag()
}
