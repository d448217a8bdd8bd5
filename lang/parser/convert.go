package parser

import (
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/lexicon"
	"github.com/netpolc/netpolc/lang/source"
)

// converter turns the grammar structs of one statement into lang/ast. It
// reports the few mistakes the grammar cannot express (a header value
// without a name, a port number that does not fit) as a stmtError.
type converter struct {
	f   *source.File
	err *stmtError
}

// stmtError is a syntax error found while converting a statement.
type stmtError struct {
	start, end int
	msg        string
	suggestion string // replacement for the span, if any
}

func (c *converter) fail(t lexer.Token, msg string) {
	if c.err == nil {
		c.err = &stmtError{start: t.Pos.Offset, end: tokenEnd(t), msg: msg}
	}
}

// span is the span from the first token's start to the last token's end,
// ignoring newlines at either end (an HTTP rule owns the newline ending it).
func (c *converter) span(toks []lexer.Token) source.Span {
	for len(toks) > 0 && toks[len(toks)-1].Type == typNewline {
		toks = toks[:len(toks)-1]
	}
	for len(toks) > 0 && toks[0].Type == typNewline {
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return source.Span{}
	}
	return c.f.Span(toks[0].Pos.Offset, tokenEnd(toks[len(toks)-1]))
}

func (c *converter) pos(toks []lexer.Token) ast.Pos { return ast.Pos{Src: c.span(toks)} }

func (c *converter) stmt(s *stmt) ast.Stmt {
	base := ast.StmtBase{Pos: c.pos(s.Tokens)}
	switch {
	case s.Namespace != nil:
		return &ast.NamespaceDecl{StmtBase: base, Name: c.ident(s.Namespace.Name)}
	case s.Cluster != nil:
		return &ast.ClusterDecl{StmtBase: base}
	case s.Default != nil:
		return &ast.DefaultDeny{StmtBase: base, Dir: direction(s.Default.Dir)}
	case s.Isolate != nil:
		return &ast.Isolate{StmtBase: base, Subjects: c.peers(s.Isolate.Subjects), Dir: direction(s.Isolate.Dir)}
	case s.AllowDNS != nil:
		d := &ast.AllowDNS{StmtBase: base, For: c.peers(s.AllowDNS.For)}
		for _, l := range s.AllowDNS.Lookups {
			d.Lookups = append(d.Lookups, c.quoted(l))
		}
		return d
	case s.DNSServer != nil:
		return &ast.DNSServer{StmtBase: base, Server: c.peer(s.DNSServer.Server), Port: c.port(s.DNSServer.Port)}
	case s.Expect != nil:
		e := &ast.Expect{
			StmtBase: base,
			From:     c.peer(s.Expect.From),
			To:       c.target(s.Expect.To),
			Allowed:  s.Expect.Verdict.Value == "allowed",
			Verdict:  c.span(s.Expect.Verdict.Tokens),
		}
		if s.Expect.Request != nil {
			r := c.httpRule(s.Expect.Request.Line)
			e.Request = &r
		}
		return e
	case s.Group != nil:
		return &ast.GroupDecl{StmtBase: base, Name: c.ident(s.Group.Name), Peers: c.peers(s.Group.Peers)}
	case s.Rule != nil:
		r := s.Rule
		out := &ast.Rule{
			StmtBase:     base,
			Deny:         r.Deny,
			Dir:          direction(r.Dir),
			NonIsolating: r.NonIsolating,
			Sources:      c.peers(r.Sources),
			Arrow:        c.span(r.Arrow.Tokens),
		}
		for _, t := range r.Targets {
			out.Targets = append(out.Targets, c.target(t))
		}
		if r.HTTP != nil {
			b := &ast.HTTPBlock{Pos: c.pos(r.HTTP.Tokens)}
			for i, hr := range r.HTTP.Rules {
				if i > 0 && !r.HTTP.Rules[i-1].Newlines {
					if t := hr.Tokens[0]; t.Type == typWord && lexicon.IsKeyword(t.Value, lexicon.HTTPWord) {
						c.fail(t, msgHTTPNoValue(t.Value))
					} else {
						c.fail(t, msgHTTPSameLine(t.Value))
					}
				}
				b.Rules = append(b.Rules, c.httpRule(hr))
			}
			out.HTTP = b
		}
		return out
	}
	return nil
}

func direction(s string) ast.Direction {
	switch s {
	case "ingress":
		return ast.DirIngress
	case "egress":
		return ast.DirEgress
	}
	return ast.DirBoth
}

func (c *converter) ident(n *name) ast.Ident {
	return ast.Ident{Pos: c.pos(n.Tokens), Name: n.Value}
}

func (c *converter) quoted(q *quoted) ast.String {
	return ast.String{Pos: c.pos(q.Tokens), Value: unquote(q.Value)}
}

func (c *converter) peers(ps []*peer) []ast.Peer {
	var out []ast.Peer
	for _, p := range ps {
		out = append(out, c.peer(p))
	}
	return out
}

func (c *converter) peer(p *peer) ast.Peer {
	pos := c.pos(p.Tokens)
	switch {
	case p.Any:
		return &ast.AnyPeer{Pos: pos}
	case p.Entity != nil:
		return &ast.EntityPeer{Pos: pos, Name: p.Entity.Value}
	case p.Service != nil:
		s := &ast.ServicePeer{Pos: pos, Namespace: c.ident(p.Service.Namespace)}
		if p.Service.Name != nil {
			n := c.ident(p.Service.Name)
			s.Name = &n
		} else {
			sel := c.selector(p.Service.Selector)
			s.Selector = &sel
		}
		return s
	case p.Node != nil:
		return &ast.NodePeer{Pos: pos, Selector: c.selector(p.Node)}
	case p.NSLabel != nil:
		// The namespace part runs from "ns" to the end of its selector.
		nsToks := p.Tokens[:len(p.Tokens)-len(p.NSLabel.Tokens)+len(p.NSLabel.Namespace.Tokens)]
		pp := &ast.PodPeer{Pos: pos, Namespace: &ast.NamespaceLabels{
			Pos: c.pos(nsToks), Selector: c.selector(p.NSLabel.Namespace),
		}}
		c.podPart(pp, p.NSLabel.Pods, p.NSLabel.Group)
		return pp
	case p.CIDR != nil:
		cp := &ast.CIDRPeer{Pos: pos, CIDR: c.cidr(p.CIDR.CIDR)}
		for _, e := range p.CIDR.Except {
			cp.Except = append(cp.Except, c.cidr(e))
		}
		return cp
	case p.FQDN != nil:
		return &ast.FQDNPeer{Pos: pos, Pattern: c.quoted(p.FQDN)}
	case p.Pods != nil:
		sel := c.selector(p.Pods)
		return &ast.PodPeer{Pos: pos, Pods: &sel}
	case p.Named != nil:
		n := p.Named
		if n.Pods == nil && n.Group == nil {
			if lexicon.IsBareEntity(n.Name.Value) {
				return &ast.EntityPeer{Pos: pos, Name: n.Name.Value}
			}
			return &ast.GroupRef{Pos: pos, Name: c.ident(n.Name)}
		}
		pp := &ast.PodPeer{Pos: pos, Namespace: &ast.NamespaceName{Pos: c.pos(n.Name.Tokens), Name: c.ident(n.Name)}}
		c.podPart(pp, n.Pods, n.Group)
		return pp
	}
	return &ast.AnyPeer{Pos: pos} // unreachable: the grammar matched one alternative
}

func (c *converter) podPart(pp *ast.PodPeer, pods *selector, group *name) {
	switch {
	case pods != nil:
		sel := c.selector(pods)
		pp.Pods = &sel
	case group != nil:
		g := c.ident(group)
		pp.Group = &g
	}
}

func (c *converter) cidr(x *cidr) ast.String {
	return ast.String{Pos: c.pos(x.Tokens), Value: x.Value}
}

func (c *converter) selector(s *selector) ast.Selector {
	out := ast.Selector{Pos: c.pos(s.Tokens)}
	for _, t := range s.Terms {
		out.Terms = append(out.Terms, c.labelTerm(t))
	}
	return out
}

func (c *converter) labelTerm(t *labelTerm) ast.LabelTerm {
	out := ast.LabelTerm{Pos: c.pos(t.Tokens)}
	if t.Absent != nil {
		out.Key = c.labelKey(t.Absent)
		out.Op = ast.OpNotExists
		return out
	}
	out.Key = c.labelKey(t.Key)
	switch {
	case t.Eq != nil:
		out.Op = ast.OpEq
		out.Values = []ast.String{c.labelValue(t.Eq)}
	case t.NotEq != nil:
		out.Op = ast.OpNotEq
		out.Values = []ast.String{c.labelValue(t.NotEq)}
	case t.In != nil:
		out.Op = ast.OpIn
		for _, v := range t.In {
			out.Values = append(out.Values, c.labelValue(v))
		}
	case t.NotIn != nil:
		out.Op = ast.OpNotIn
		for _, v := range t.NotIn {
			out.Values = append(out.Values, c.labelValue(v))
		}
	default:
		out.Op = ast.OpExists
	}
	return out
}

func (c *converter) labelKey(k *labelKey) ast.String {
	var b strings.Builder
	for _, p := range k.Parts {
		b.WriteString(unquote(p))
	}
	return ast.String{Pos: c.pos(k.Tokens), Value: b.String()}
}

func (c *converter) labelValue(v *labelValue) ast.String {
	return ast.String{Pos: c.pos(v.Tokens), Value: unquote(v.Value)}
}

func (c *converter) target(t *target) ast.Target {
	out := ast.Target{Pos: c.pos(t.Tokens), Peer: c.peer(t.Peer)}
	if t.Port != nil {
		out.Ports = []ast.PortSpec{c.port(t.Port)}
	}
	for _, p := range t.Ports {
		out.Ports = append(out.Ports, c.port(p))
	}
	return out
}

func (c *converter) port(p *port) ast.PortSpec {
	out := ast.PortSpec{Pos: c.pos(p.Tokens), Start: -1}
	suffix := p.Protocol
	switch {
	case p.All:
		out.All = true
	case p.Start != nil:
		out.Start = c.portNumber(p.Start)
		if p.End != nil {
			out.End = c.portNumber(p.End)
		}
	case p.Name != nil:
		if isICMP(p.Name.Value) {
			out.IsICMP = true
			out.Protocol = c.ident(p.Name)
			if suffix != nil {
				out.ICMPType = ast.String{Pos: c.pos(suffix.Tokens), Value: suffix.Value}
			}
			return out
		}
		out.Name = p.Name.Value
	case p.OnlyProto != nil:
		suffix = p.OnlyProto
	}
	if suffix != nil {
		if suffix.Tokens[0].Type != typIdent {
			c.fail(suffix.Tokens[0], msgPortProtocol(suffix.Value))
		}
		out.Protocol = ast.Ident{Pos: c.pos(suffix.Tokens), Name: suffix.Value}
	}
	return out
}

func isICMP(s string) bool {
	return lexicon.IsKeyword(strings.ToLower(s), lexicon.ICMP)
}

func (c *converter) portNumber(n *number) int {
	v, err := strconv.Atoi(n.Value)
	if err != nil || v > 1<<30 {
		c.fail(n.Tokens[0], msgPortTooLarge(n.Value))
		return 0
	}
	return v
}

// ----- HTTP -----

func (c *converter) httpRule(r *httpRule) ast.HTTPRule {
	out := ast.HTTPRule{Pos: c.pos(r.Tokens)}
	if m := r.Method; m != nil && !(m.Value == "*" && m.Tokens[0].Type == typWord) {
		s := c.word(m)
		out.Method = &s
	}
	if r.Path != nil {
		s := c.word(r.Path)
		out.Path = &s
	}
	if r.Host != nil {
		s := c.word(r.Host)
		out.Host = &s
	}
	for _, h := range r.Headers {
		out.Headers = append(out.Headers, c.header(h))
	}
	return out
}

func (c *converter) word(w *word) ast.String {
	return ast.String{Pos: c.pos(w.Tokens), Value: unquote(w.Value)}
}

// header splits "header NAME", "header NAME: VALUE", "header NAME:VALUE"
// and "header "NAME": VALUE".
func (c *converter) header(h *httpHeader) ast.Header {
	out := ast.Header{Pos: c.pos(h.Tokens), Name: c.word(h.Name)}
	nameTok := h.Name.Tokens[0]
	colon := h.Colon
	if nameTok.Type == typWord {
		if i := strings.IndexByte(h.Name.Value, ':'); i >= 0 {
			if colon {
				c.fail(h.Tokens[2], msgHeaderColon)
				return out
			}
			out.Name.Value = h.Name.Value[:i]
			out.Name.Src = c.f.Span(nameTok.Pos.Offset, nameTok.Pos.Offset+i)
			if i+1 < len(h.Name.Value) { // "Name:value"
				if h.Value != nil {
					c.fail(h.Value.Tokens[0], msgHeaderExtra(h.Value.Value))
					return out
				}
				v := ast.String{Value: h.Name.Value[i+1:], Pos: ast.Pos{Src: c.f.Span(nameTok.Pos.Offset+i+1, tokenEnd(nameTok))}}
				out.Value = &v
				return out
			}
			colon = true
		}
	}
	switch {
	case colon && h.Value == nil:
		c.fail(h.Tokens[len(h.Tokens)-1], msgHeaderNoValue(out.Name.Value))
	case !colon && h.Value != nil:
		c.fail(h.Value.Tokens[0], msgHeaderNoColon(h.Value.Value))
	case h.Value != nil:
		v := c.word(h.Value)
		out.Value = &v
	}
	return out
}

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

// terminated reports whether a string token has its closing quote.
func terminated(tok string) bool {
	return len(tok) >= 2 && tok[len(tok)-1] == '"' && !escapedEnd(tok[1:len(tok)-1])
}
