package parser

import (
	"strconv"
	"strings"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/lexicon"
	"github.com/netpolc/netpolc/lang/source"
)

// stmtParser parses the tokens of one statement by recursive descent, one
// method per construct of the grammar (docs/language.md section 17). Each
// method knows what it expects next and says so when the next token is
// something else: the first error ends the statement (see fail).
//
// The grammar has no recursion: the depth of the parse never depends on the
// input.
type stmtParser struct {
	f    *source.File
	src  string
	toks []token
	i    int   // index in toks of the next token
	eof  token // a zero-width token just past the last one
	err  *stmtError
	// optional holds the optional keywords that the parser looked for, and
	// did not find, since it last took a token: any of them could have come
	// instead of the next token (for "did you mean").
	optional []string
	// A word at toks[kwAt] may be a misspelling of one of kwWords: when the
	// statement fails right after it, the word is reported as an unknown
	// keyword. It is the first word of the statement (statement keywords),
	// or the first source of a rule after some of its modifiers.
	kwAt    int
	kwWords []string
	kwBuf   []string // the array of kwWords after modifiers, reused
}

// stmtError is a syntax error in a statement.
type stmtError struct {
	start, end int
	msg        string
	suggestion string // replacement for the span, if any
}

// bailout unwinds the parse of a statement after its first error.
type bailout struct{}

// parse parses one statement, or returns why it is not one.
func (p *stmtParser) parse() (s ast.Stmt, err *stmtError) {
	defer func() {
		if x := recover(); x != nil {
			if _, ok := x.(bailout); !ok {
				panic(x)
			}
			s, err = nil, p.err
		}
	}()
	s = p.stmt()
	if t := p.tok(0); t.kind != tokEOF {
		p.fail(expEndOfLine)
	}
	return s, nil
}

// ----- tokens -----

// tok returns the token k places ahead, or p.eof.
func (p *stmtParser) tok(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.eof
}

func (p *stmtParser) text(t token) string { return p.src[t.off:t.end] }

// next takes the next token.
func (p *stmtParser) next() token {
	t := p.tok(0)
	if p.i < len(p.toks) {
		p.i++
	}
	p.optional = p.optional[:0]
	return t
}

// isPunct reports whether t is the punctuation c.
func (p *stmtParser) isPunct(t token, c byte) bool {
	return t.kind == tokPunct && p.src[t.off] == c
}

// isKeyword reports whether t is the word kw (an identifier in
// statements, a word in HTTP rules).
func (p *stmtParser) isKeyword(t token, kw string) bool {
	return (t.kind == tokIdent || t.kind == tokWord) && p.text(t) == kw
}

// gotPunct takes the next token if it is the punctuation c.
func (p *stmtParser) gotPunct(c byte) bool {
	if p.isPunct(p.tok(0), c) {
		p.next()
		return true
	}
	return false
}

// gotKeyword takes the next token if it is the keyword kw. If it is not,
// kw is one of the optional keywords that could have come next, for a
// "did you mean" if the parse fails here.
func (p *stmtParser) gotKeyword(kw string) bool {
	if p.isKeyword(p.tok(0), kw) {
		p.next()
		return true
	}
	p.optional = append(p.optional, kw)
	return false
}

// expectPunct takes the punctuation c or fails.
func (p *stmtParser) expectPunct(c byte) token {
	if !p.isPunct(p.tok(0), c) {
		p.fail(strconv.Quote(string(c)))
	}
	return p.next()
}

// expectKeyword takes the keyword kw or fails.
func (p *stmtParser) expectKeyword(kw string) token {
	if !p.isKeyword(p.tok(0), kw) {
		p.fail(strconv.Quote(kw))
	}
	return p.next()
}

// span is the span from the start of token a to the end of token b.
func (p *stmtParser) span(a, b token) source.Span { return p.f.Span(a.off, b.end) }

// pos is the node position from the start of token a to the end of the
// last token taken.
func (p *stmtParser) pos(a token) ast.Pos { return ast.Pos{Src: p.span(a, p.toks[p.i-1])} }

// ----- statements -----

// stmt parses a statement. A statement keyword starts its statement unless
// a "/" follows it: then it names a namespace, as in "default/{app: x} ->
// web:80". Any other statement is a group declaration (a name and "=") or
// a rule.
func (p *stmtParser) stmt() ast.Stmt {
	first := p.tok(0)
	if first.kind == tokIdent && lexicon.IsKeyword(p.text(first), lexicon.Statement) && !p.isPunct(p.tok(1), '/') {
		switch p.text(first) {
		case "namespace":
			p.next()
			s := &ast.NamespaceDecl{Name: p.ident()}
			for p.listComma(0) {
				s.More = append(s.More, p.ident())
			}
			s.StmtBase = p.base(first)
			return s
		case "clusterwide":
			p.next()
			s := &ast.ClusterDecl{}
			if p.gotKeyword("priority") {
				t := p.tok(0)
				if t.kind != tokNumber {
					p.fail(expNumber)
				}
				p.next()
				v, err := strconv.Atoi(p.text(t))
				if err != nil || v > 1<<30 {
					p.failAt(t, msgNumberTooLarge(p.text(t)))
				}
				s.Priority = &ast.Number{Value: v, Pos: ast.Pos{Src: p.span(t, t)}}
			}
			s.StmtBase = p.base(first)
			return s
		case "default":
			return p.defaultDeny()
		case "isolate":
			return p.isolate()
		case "allow":
			return p.allowDNS()
		case "dns":
			return p.dnsServer()
		case "expect":
			return p.expect()
		}
	}
	if first.kind == tokIdent && p.isPunct(p.tok(1), '=') {
		return p.group()
	}
	return p.rule()
}

// base is the StmtBase of a statement that started at first and ends with
// the last token taken.
func (p *stmtParser) base(first token) ast.StmtBase { return ast.StmtBase{Pos: p.pos(first)} }

// defaultDeny parses "default deny [direction]".
func (p *stmtParser) defaultDeny() *ast.DefaultDeny {
	first := p.expectKeyword("default")
	p.expectKeyword("deny")
	dir := p.direction()
	return &ast.DefaultDeny{Dir: dir, StmtBase: p.base(first)}
}

// direction parses an optional "ingress" or "egress".
func (p *stmtParser) direction() ast.Direction {
	switch {
	case p.gotKeyword("ingress"):
		return ast.DirIngress
	case p.gotKeyword("egress"):
		return ast.DirEgress
	}
	return ast.DirBoth
}

// isolate parses "isolate peers [direction]".
func (p *stmtParser) isolate() *ast.Isolate {
	first := p.expectKeyword("isolate")
	subjects := p.peers()
	dir := p.direction()
	return &ast.Isolate{Subjects: subjects, Dir: dir, StmtBase: p.base(first)}
}

// allowDNS parses `allow dns [for peers] [lookups "pattern", ...]`.
func (p *stmtParser) allowDNS() *ast.AllowDNS {
	first := p.expectKeyword("allow")
	p.expectKeyword("dns")
	s := &ast.AllowDNS{}
	if p.gotKeyword("for") {
		s.For = p.peers()
	}
	if p.gotKeyword("lookups") {
		for {
			s.Lookups = append(s.Lookups, p.quoted())
			if !p.listComma(0) {
				break
			}
		}
	}
	s.StmtBase = p.base(first)
	return s
}

// dnsServer parses "dns server peer:port".
func (p *stmtParser) dnsServer() *ast.DNSServer {
	first := p.expectKeyword("dns")
	p.expectKeyword("server")
	server := p.peer()
	p.expectPunct(':')
	port := p.port()
	return &ast.DNSServer{Server: server, Port: port, StmtBase: p.base(first)}
}

// expect parses "expect peer -> target [http { request }] allowed|denied".
func (p *stmtParser) expect() *ast.Expect {
	first := p.expectKeyword("expect")
	s := &ast.Expect{From: p.peer()}
	p.expectArrow()
	s.To = p.target()
	if p.tok(0).kind == tokHTTPOpen {
		s.Request = p.request()
	}
	switch t := p.tok(0); {
	case p.isKeyword(t, "allowed"):
		s.Allowed = true
	case p.isKeyword(t, "denied"):
	default:
		p.fail(`"allowed"`, `"denied"`)
	}
	s.Verdict = p.f.Span(p.tok(0).off, p.next().end)
	s.StmtBase = p.base(first)
	return s
}

// group parses "name = peers".
func (p *stmtParser) group() *ast.GroupDecl {
	first := p.tok(0)
	name := p.ident()
	p.expectPunct('=')
	peers := p.peers()
	return &ast.GroupDecl{Name: name, Peers: peers, StmtBase: p.base(first)}
}

// rule parses "[deny | pass] [direction] [nonisolating] peers -> targets
// [http {...}]".
func (p *stmtParser) rule() *ast.Rule {
	first := p.tok(0)
	r := &ast.Rule{}
	r.Deny = p.gotKeyword("deny")
	if !r.Deny {
		if t := p.tok(0); p.gotKeyword("pass") {
			r.Pass, r.PassAt = true, p.span(t, t)
			if t := p.tok(0); p.isKeyword(t, "deny") {
				p.failAt(t, msgDenyPass)
			}
		}
	} else if t := p.tok(0); p.isKeyword(t, "pass") {
		p.failAt(t, msgDenyPass)
	}
	r.Dir = p.direction()
	if t := p.tok(0); p.gotKeyword("nonisolating") {
		r.NonIsolating, r.NonIsolatingAt = true, p.span(t, t)
	}
	if p.i > 0 {
		p.kwBuf = append(p.kwBuf[:0], p.optional...)
		p.kwAt, p.kwWords = p.i, p.kwBuf
	}
	r.Sources = p.peers()
	r.Arrow = p.expectArrow()
	for {
		r.Targets = append(r.Targets, p.target())
		if !p.listComma(0) {
			break
		}
		p.portsSlip(&r.Targets[len(r.Targets)-1])
	}
	if p.tok(0).kind == tokHTTPOpen {
		r.HTTP = p.httpBlock()
	}
	r.StmtBase = p.base(first)
	return r
}

// looksLikePort reports whether the tokens from k places ahead start a port
// rather than a peer: a number ("9000", "3868/sctp", "8000-8080"), "*/",
// "/proto", or "icmp/" ("icmpv6/").
func (p *stmtParser) looksLikePort(k int) bool {
	t, next := p.tok(k), p.tok(k+1)
	switch {
	case t.kind == tokNumber:
		return true
	case p.isPunct(t, '*'), t.kind == tokIdent && lexicon.IsKeyword(strings.ToLower(p.text(t)), lexicon.ICMP):
		return p.isPunct(next, '/')
	case p.isPunct(t, '/'):
		return next.kind == tokIdent
	}
	return false
}

// portsSlip reports the common slip of a port list without brackets,
// "ledger:9000, 3868/sctp": after the "," of a rule's targets, where a
// target is expected, come ports. They are parsed as ports, and the error,
// at them, says how to write them: prev's peer with its ports and these in
// brackets.
func (p *stmtParser) portsSlip(prev *ast.Target) {
	if !p.looksLikePort(0) {
		return
	}
	first := p.tok(0)
	var items []string
	for _, ps := range prev.Ports {
		items = append(items, p.src[ps.Src.Start.Offset:ps.Src.End.Offset])
	}
	n := len(items)
	for {
		ps := p.port()
		items = append(items, p.src[ps.Src.Start.Offset:ps.Src.End.Offset])
		if !p.isPunct(p.tok(0), ',') || !p.looksLikePort(1) {
			break
		}
		p.next()
	}
	last := p.toks[p.i-1]
	fix := p.src[prev.Peer.Span().Start.Offset:prev.Peer.Span().End.Offset] + ":"
	if len(items) == 1 {
		fix += items[0]
	} else {
		fix += "[" + strings.Join(items, ", ") + "]"
	}
	p.err = &stmtError{start: first.off, end: last.end, msg: msgPortsNotTarget(strings.Join(items[n:], ", "), len(items)-n, fix)}
	panic(bailout{})
}

// expectArrow takes "->" or fails; it returns the arrow's span.
func (p *stmtParser) expectArrow() source.Span {
	if p.tok(0).kind != tokArrow {
		p.fail(expArrow)
	}
	t := p.next()
	return p.span(t, t)
}

// ----- lists -----

// listComma takes the "," between two items of a list and reports whether
// there was one. In a list in brackets closed by end, a "," before end is a
// trailing comma, which is an error.
func (p *stmtParser) listComma(end byte) bool {
	if !p.isPunct(p.tok(0), ',') {
		return false
	}
	if t := p.tok(1); end != 0 && p.isPunct(t, end) {
		p.failAt(p.tok(0), msgTrailingComma(p.text(t)))
	}
	p.next()
	return true
}

// peers parses "peer {, peer}".
func (p *stmtParser) peers() []ast.Peer {
	var out []ast.Peer
	for {
		out = append(out, p.peer())
		if !p.listComma(0) {
			return out
		}
	}
}

// ----- peers -----

// peer parses one peer.
func (p *stmtParser) peer() ast.Peer { return p.peerAs(expPeer) }

// peerAs parses one peer; what names it in an error. The keywords of the
// peer forms (ns, node, service, entity) introduce their form only when
// followed by its bracket, and are names otherwise. A name alone is a bare
// entity (lang/lexicon) or a group.
func (p *stmtParser) peerAs(what string) ast.Peer {
	first := p.tok(0)
	switch first.kind {
	case tokPunct:
		switch p.src[first.off] {
		case '*':
			p.next()
			return &ast.AnyPeer{Pos: p.pos(first)}
		case '{':
			sel := p.selector()
			return &ast.PodPeer{Pods: &sel, Pos: p.pos(first)}
		}
	case tokCIDR4, tokCIDR6:
		return p.cidrPeer()
	case tokString:
		q := p.quoted()
		return &ast.FQDNPeer{Pattern: q, Pos: p.pos(first)}
	case tokIdent:
		next := p.tok(1)
		switch {
		case p.isKeyword(first, "entity") && p.isPunct(next, '('):
			p.next()
			p.next()
			name := p.ident()
			p.expectPunct(')')
			return &ast.EntityPeer{Name: name.Name, Pos: p.pos(first)}
		case p.isKeyword(first, "service") && p.isPunct(next, '('):
			return p.service()
		case p.isKeyword(first, "node") && p.isPunct(next, '{'):
			p.next()
			sel := p.selector()
			return &ast.NodePeer{Selector: sel, Pos: p.pos(first)}
		case p.isKeyword(first, "ns") && p.isPunct(next, '{'):
			p.next()
			sel := p.selector()
			pp := &ast.PodPeer{Namespace: &ast.NamespaceLabels{Selector: sel, Pos: p.pos(first)}}
			p.podPart(pp)
			pp.Pos = p.pos(first)
			return pp
		}
		name := p.ident()
		if !p.isPunct(p.tok(0), '/') {
			if lexicon.IsBareEntity(name.Name) {
				return &ast.EntityPeer{Name: name.Name, Pos: name.Pos}
			}
			return &ast.GroupRef{Name: name, Pos: name.Pos}
		}
		pp := &ast.PodPeer{Namespace: &ast.NamespaceName{Name: name, Pos: name.Pos}}
		p.podPart(pp)
		pp.Pos = p.pos(first)
		return pp
	}
	p.fail(what)
	return nil
}

// podPart parses the optional "/{selector}" or "/group" after a namespace.
func (p *stmtParser) podPart(pp *ast.PodPeer) {
	if !p.gotPunct('/') {
		return
	}
	switch t := p.tok(0); {
	case p.isPunct(t, '{'):
		sel := p.selector()
		pp.Pods = &sel
	case t.kind == tokIdent:
		g := p.ident()
		pp.Group = &g
	default:
		p.fail(expSelector, expName)
	}
}

// service parses "service(namespace/name)" or "service(namespace/{selector})".
func (p *stmtParser) service() *ast.ServicePeer {
	first := p.next()
	p.next() // "("
	if p.tok(0).kind != tokIdent {
		p.fail(expServiceNS, expServiceSel)
	}
	s := &ast.ServicePeer{Namespace: p.ident()}
	p.expectPunct('/')
	switch t := p.tok(0); {
	case p.isPunct(t, '{'):
		sel := p.selector()
		s.Selector = &sel
	case t.kind == tokIdent:
		n := p.ident()
		s.Name = &n
	default:
		p.fail(expSelector, expName)
	}
	p.expectPunct(')')
	s.Pos = p.pos(first)
	return s
}

// cidrPeer parses "cidr [except (cidr | [cidr, ...])]".
func (p *stmtParser) cidrPeer() *ast.CIDRPeer {
	first := p.tok(0)
	c := &ast.CIDRPeer{CIDR: p.cidr()}
	if p.gotKeyword("except") {
		switch t := p.tok(0); {
		case t.kind == tokCIDR4 || t.kind == tokCIDR6:
			c.Except = []ast.String{p.cidr()}
		case p.isPunct(t, '['):
			p.next()
			for {
				c.Except = append(c.Except, p.cidr())
				if !p.listComma(']') {
					break
				}
			}
			p.closeList(']')
		default:
			p.fail(expCIDR, `"["`)
		}
	}
	c.Pos = p.pos(first)
	return c
}

// closeList takes the bracket c that closes a list, or fails saying that a
// "," or c was expected.
func (p *stmtParser) closeList(c byte) token {
	if !p.isPunct(p.tok(0), c) {
		p.fail(`","`, strconv.Quote(string(c)))
	}
	return p.next()
}

// cidr parses a CIDR token.
func (p *stmtParser) cidr() ast.String {
	t := p.tok(0)
	if t.kind != tokCIDR4 && t.kind != tokCIDR6 {
		p.fail(expCIDR)
	}
	p.next()
	return ast.String{Value: p.text(t), Pos: ast.Pos{Src: p.span(t, t)}}
}

// ident parses a name.
func (p *stmtParser) ident() ast.Ident {
	t := p.tok(0)
	if t.kind != tokIdent {
		p.fail(expName)
	}
	p.next()
	return ast.Ident{Name: p.text(t), Pos: ast.Pos{Src: p.span(t, t)}}
}

// quoted parses a quoted string.
func (p *stmtParser) quoted() ast.String {
	t := p.tok(0)
	if t.kind != tokString {
		p.fail(expString)
	}
	p.next()
	return ast.String{Value: unquote(p.text(t)), Pos: ast.Pos{Src: p.span(t, t)}}
}

// ----- selectors -----

// selector parses "{ [term {, term}] }".
func (p *stmtParser) selector() ast.Selector {
	first := p.tok(0)
	if !p.isPunct(first, '{') {
		p.fail(expSelector)
	}
	p.next()
	var terms []ast.LabelTerm
	if t := p.tok(0); !p.isPunct(t, '}') {
		if !p.isPunct(t, '!') && t.kind != tokIdent && t.kind != tokString {
			p.fail(expLabel, `"}"`)
		}
		for {
			terms = append(terms, p.labelTerm())
			if !p.listComma('}') {
				break
			}
		}
	}
	p.closeList('}')
	return ast.Selector{Terms: terms, Pos: p.pos(first)}
}

// labelTerm parses "!key", "key", "key: value", "key != value",
// "key in (values)" or "key notin (values)".
func (p *stmtParser) labelTerm() ast.LabelTerm {
	first := p.tok(0)
	if p.gotPunct('!') {
		key := p.labelKey(expLabelKey)
		return ast.LabelTerm{Key: key, Op: ast.OpNotExists, Pos: p.pos(first)}
	}
	t := ast.LabelTerm{Key: p.labelKey(expLabel), Op: ast.OpExists}
	switch next := p.tok(0); {
	case p.isPunct(next, ':'):
		p.next()
		t.Op, t.Values = ast.OpEq, []ast.String{p.labelValue()}
	case next.kind == tokNotEq:
		p.next()
		t.Op, t.Values = ast.OpNotEq, []ast.String{p.labelValue()}
	case p.isKeyword(next, "in"):
		p.next()
		t.Op, t.Values = ast.OpIn, p.labelValues()
	case p.isKeyword(next, "notin"):
		p.next()
		t.Op, t.Values = ast.OpNotIn, p.labelValues()
	case !p.isPunct(next, ',') && !p.isPunct(next, '}'):
		p.fail(`":"`, `"!="`, `"in"`, `"notin"`, `","`, `"}"`)
	}
	t.Pos = p.pos(first)
	return t
}

// labelKey parses "key" or "prefix/key", each part a name or a quoted
// string; what names the key in an error is what.
func (p *stmtParser) labelKey(what string) ast.String {
	first := p.tok(0)
	if first.kind != tokIdent && first.kind != tokString {
		p.fail(what)
	}
	p.next()
	if !p.isPunct(p.tok(0), '/') {
		return ast.String{Value: unquote(p.text(first)), Pos: p.pos(first)}
	}
	p.next()
	if t := p.tok(0); t.kind != tokIdent && t.kind != tokString {
		p.fail(expName, expString)
	}
	last := p.next()
	return ast.String{Value: unquote(p.text(first)) + "/" + unquote(p.text(last)), Pos: p.pos(first)}
}

// labelValues parses "(value {, value})".
func (p *stmtParser) labelValues() []ast.String {
	p.expectPunct('(')
	var out []ast.String
	for {
		out = append(out, p.labelValue())
		if !p.listComma(')') {
			break
		}
	}
	p.closeList(')')
	return out
}

// labelValue parses a name, a number or a quoted string.
func (p *stmtParser) labelValue() ast.String {
	t := p.tok(0)
	if t.kind != tokIdent && t.kind != tokNumber && t.kind != tokString {
		p.fail(expLabelValue)
	}
	p.next()
	return ast.String{Value: unquote(p.text(t)), Pos: ast.Pos{Src: p.span(t, t)}}
}

// ----- targets and ports -----

// target parses "peer [: ports]", where ports is a port or "[port {,
// port}]".
func (p *stmtParser) target() ast.Target {
	first := p.tok(0)
	t := ast.Target{Peer: p.peerAs(expTarget)}
	if p.gotPunct(':') {
		if p.gotPunct('[') {
			for {
				t.Ports = append(t.Ports, p.port())
				if !p.listComma(']') {
					break
				}
			}
			p.closeList(']')
		} else {
			switch next := p.tok(0); {
			case next.kind == tokNumber || next.kind == tokIdent || p.isPunct(next, '*') || p.isPunct(next, '/'):
				t.Ports = []ast.PortSpec{p.port()}
			default:
				p.fail(`"["`, expPort)
			}
		}
	}
	t.Pos = p.pos(first)
	return t
}

// port parses one port: "*", "number[-number]" or a name, each with an
// optional "/protocol"; "icmp" or "icmpv6" with an optional "/type"; or
// "/protocol" alone.
func (p *stmtParser) port() ast.PortSpec {
	first := p.tok(0)
	out := ast.PortSpec{Start: -1}
	switch {
	case p.isPunct(first, '*'):
		p.next()
		out.All = true
	case first.kind == tokNumber:
		out.Start = p.portNumber()
		if p.gotPunct('-') {
			if p.tok(0).kind != tokNumber {
				p.fail(expNumber)
			}
			out.End = p.portNumber()
		}
	case first.kind == tokIdent:
		p.next()
		if lexicon.IsKeyword(strings.ToLower(p.text(first)), lexicon.ICMP) {
			out.IsICMP = true
			out.Protocol = ast.Ident{Name: p.text(first), Pos: ast.Pos{Src: p.span(first, first)}}
			if p.gotPunct('/') {
				t := p.tok(0)
				if t.kind != tokNumber && t.kind != tokIdent {
					p.fail(expICMPType)
				}
				p.next()
				out.ICMPType = ast.String{Value: p.text(t), Pos: ast.Pos{Src: p.span(t, t)}}
			}
			out.Pos = p.pos(first)
			return out
		}
		out.Name = p.text(first)
	case p.isPunct(first, '/'):
		// "/udp": every port of a protocol.
	default:
		p.fail(expPort)
	}
	if p.gotPunct('/') {
		t := p.tok(0)
		if t.kind != tokIdent {
			if t.kind == tokNumber {
				p.failAt(t, msgPortProtocol(p.text(t)))
			}
			p.fail(expProtocol)
		}
		p.next()
		out.Protocol = ast.Ident{Name: p.text(t), Pos: ast.Pos{Src: p.span(t, t)}}
	}
	out.Pos = p.pos(first)
	return out
}

// portNumber parses a port number; the compiler checks its range, but it
// must fit an int.
func (p *stmtParser) portNumber() int {
	t := p.next()
	v, err := strconv.Atoi(p.text(t))
	if err != nil || v > 1<<30 {
		p.failAt(t, msgPortTooLarge(p.text(t)))
	}
	return v
}

// ----- HTTP -----

// httpBlock parses "http {", then HTTP rules, one per line, then "}".
func (p *stmtParser) httpBlock() *ast.HTTPBlock {
	first := p.next() // "http {"
	b := &ast.HTTPBlock{}
	p.newlines()
	for p.tok(0).kind != tokHTTPEnd {
		if p.tok(0).kind == tokEOF {
			p.fail(expHTTPEnd)
		}
		b.Rules = append(b.Rules, p.httpRule())
		if t := p.tok(0); t.kind != tokNewline && t.kind != tokHTTPEnd {
			p.httpLeftover(t, &b.Rules[len(b.Rules)-1], expEndOfLine)
		}
		p.newlines()
	}
	p.next()
	b.Pos = p.pos(first)
	return b
}

// request parses the http block of an expectation: "http {", one HTTP
// request line, "}".
func (p *stmtParser) request() *ast.HTTPRule {
	p.next() // "http {"
	p.newlines()
	r := p.httpRule()
	if t := p.tok(0); t.kind != tokNewline && t.kind != tokHTTPEnd {
		p.httpLeftover(t, &r, "")
	}
	p.newlines()
	if t := p.tok(0); t.kind != tokHTTPEnd {
		if isWord(t) {
			p.failAt(t, msgUnexpected(p.describe(t), []string{expHTTPEnd})+msgOneRequest)
		}
		p.fail(expHTTPEnd)
	}
	p.next()
	return &r
}

// newlines skips the newlines inside an http block.
func (p *stmtParser) newlines() {
	for p.tok(0).kind == tokNewline {
		p.next()
	}
}

// isWord reports whether t is a word of an HTTP rule.
func isWord(t token) bool { return t.kind == tokWord || t.kind == tokString }

// httpRule parses "method [path] [host word] {header name [:] [value]}".
func (p *stmtParser) httpRule() ast.HTTPRule {
	first := p.tok(0)
	if !isWord(first) {
		p.fail(expHTTPRule)
	}
	var r ast.HTTPRule
	p.next()
	if first.kind != tokWord || p.text(first) != "*" {
		m := p.word(first)
		r.Method = &m
	}
	if t := p.tok(0); isWord(t) && !p.isKeyword(t, "host") && !p.isKeyword(t, "header") {
		w := p.word(p.next())
		r.Path = &w
	}
	if t := p.tok(0); p.isKeyword(t, "host") {
		p.next()
		if !isWord(p.tok(0)) {
			p.failAt(t, msgHTTPNoValue(p.text(t)))
		}
		w := p.word(p.next())
		r.Host = &w
	}
	for p.isKeyword(p.tok(0), "header") {
		r.Headers = append(r.Headers, p.header())
	}
	r.Pos = p.pos(first)
	return r
}

// httpLeftover reports the token t found after the HTTP rule r where its
// line should have ended. A word starts another rule on the same line,
// unless it is a misplaced "host". In a request, which is one line,
// eol is "" and "}" must come next.
func (p *stmtParser) httpLeftover(t token, r *ast.HTTPRule, eol string) {
	var expected []string
	if r.Host == nil && len(r.Headers) == 0 {
		expected = append(expected, `"host"`)
	}
	expected = append(expected, `"header"`)
	if eol != "" {
		expected = append(expected, expHTTPEnd, eol)
	} else {
		expected = append(expected, expHTTPEnd)
	}
	switch {
	case p.isKeyword(t, "host"):
		p.failAt(t, msgUnexpected(p.describe(t), expected)+msgHostPlace)
	case eol != "" && isWord(t):
		p.failAt(t, msgHTTPSameLine(p.describe(t)))
	}
	p.failAt(t, msgUnexpected(p.describe(t), expected))
}

// word returns the value of a word or string token.
func (p *stmtParser) word(t token) ast.String {
	return ast.String{Value: unquote(p.text(t)), Pos: ast.Pos{Src: p.span(t, t)}}
}

// header parses "header NAME", "header NAME: VALUE", "header NAME:VALUE"
// and `header "NAME": VALUE`. In an HTTP rule ":" is part of a word, so the
// colon is a word of its own or the end of the name's word.
func (p *stmtParser) header() ast.Header {
	first := p.next() // "header"
	nameTok := p.tok(0)
	if !isWord(nameTok) {
		p.failAt(first, msgHTTPNoValue(p.text(first)))
	}
	p.next()
	h := ast.Header{Name: p.word(nameTok)}
	colon := false
	if nameTok.kind == tokWord {
		if i := strings.IndexByte(p.text(nameTok), ':'); i >= 0 {
			name := p.text(nameTok)
			h.Name.Value = name[:i]
			h.Name.Src = p.f.Span(nameTok.off, nameTok.off+i)
			colon = true
			if i+1 < len(name) { // "Name:value"
				v := ast.String{Value: name[i+1:], Pos: ast.Pos{Src: p.f.Span(nameTok.off+i+1, nameTok.end)}}
				h.Value = &v
			}
		}
	}
	if t := p.tok(0); t.kind == tokWord && p.text(t) == ":" {
		if colon {
			p.failAt(t, msgHeaderColon)
		}
		p.next()
		colon = true
	}
	if t := p.tok(0); isWord(t) && !p.isKeyword(t, "header") && !p.isKeyword(t, "host") {
		switch {
		case h.Value != nil:
			p.failAt(t, msgHeaderExtra(p.text(t)))
		case !colon:
			p.failAt(t, msgHeaderNoColon(p.text(t)))
		}
		v := p.word(p.next())
		h.Value = &v
	} else if colon && h.Value == nil {
		p.failAt(p.toks[p.i-1], msgHeaderNoValue(h.Name.Value))
	}
	h.Pos = p.pos(first)
	return h
}

// ----- strings -----

// unquote returns the value of a string token: the text between the quotes
// with \" and \\ replaced. A backslash before any other character is kept, so
// that regular expressions such as "api\.example\.com" read as written. Text
// that is not quoted is returned unchanged.
func unquote(s string) string {
	if len(s) == 0 || s[0] != '"' {
		return s
	}
	s = s[1:]
	if strings.HasSuffix(s, `"`) && !escapedEnd(s[:len(s)-1]) {
		s = s[:len(s)-1]
	}
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escapedEnd reports whether s ends with an odd number of backslashes (so a
// quote after it would be escaped).
func escapedEnd(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}
