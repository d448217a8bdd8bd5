// Package format prints netpolc syntax trees in the canonical layout: one
// statement per line, single spaces around "->" and "=", ", " in lists,
// group declarations aligned on "=", HTTP rules indented by two spaces,
// comments and single blank lines kept. Strings are quoted only when they
// would not read back as the same value.
//
// Printing is idempotent, and the output parses to the same tree (compared
// with ast.Dump) as the input.
package format

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/lexicon"
	"github.com/netpolc/netpolc/lang/parser"
	"github.com/netpolc/netpolc/lang/source"
)

// Source parses f and prints it. When f has syntax errors it returns no
// output and the diagnostics.
func Source(f *source.File) ([]byte, diag.List) {
	tree, diags := parser.ParseFile(f)
	if diags.HasErrors() {
		return nil, diags
	}
	return File(tree), diags
}

// File prints f in the canonical layout. A BadStmt is printed as written.
func File(f *ast.File) []byte {
	p := &printer{}
	p.stmts(f.Stmts)
	if len(f.Tail) > 0 {
		if f.TailBlankBefore && len(f.Stmts) > 0 {
			p.nl()
		}
		p.comments(f.Tail, false)
	}
	return []byte(p.String())
}

type printer struct {
	strings.Builder
}

func (p *printer) nl()            { p.WriteByte('\n') }
func (p *printer) line(s string)  { p.WriteString(s); p.nl() }
func (p *printer) space(s string) { p.WriteString(" " + s) }

// comments prints whole-line comments, keeping single empty lines between
// them and, when beforeNode, between the last one and the node it documents.
func (p *printer) comments(cs []ast.Comment, beforeNode bool) {
	for i, c := range cs {
		p.line(c.Text)
		if c.BlankAfter && (beforeNode || i+1 < len(cs)) {
			p.nl()
		}
	}
}

func (p *printer) stmts(stmts []ast.Stmt) {
	align := groupAlignment(stmts)
	for i, s := range stmts {
		doc := s.Comments()
		if doc.BlankBefore && i > 0 {
			p.nl()
		}
		p.comments(doc.Leading, true)
		p.stmt(s, align[i])
		if doc.Trailing != nil {
			p.space(doc.Trailing.Text)
		}
		p.nl()
	}
}

// groupAlignment returns, for each statement, the width to pad a group
// declaration's name to: the widest name of its run of consecutive group
// declarations (a blank line or another statement ends a run).
func groupAlignment(stmts []ast.Stmt) []int {
	width := make([]int, len(stmts))
	for i := 0; i < len(stmts); {
		if _, ok := stmts[i].(*ast.GroupDecl); !ok {
			i++
			continue
		}
		j, w := i, 0
		for j < len(stmts) {
			g, ok := stmts[j].(*ast.GroupDecl)
			if !ok || (j > i && g.Doc.BlankBefore) {
				break
			}
			w = max(w, len(g.Name.Name))
			j++
		}
		for k := i; k < j; k++ {
			width[k] = w
		}
		i = j
	}
	return width
}

func (p *printer) stmt(s ast.Stmt, align int) {
	switch s := s.(type) {
	case *ast.NamespaceDecl:
		p.WriteString("namespace " + s.Name.Name)
		for _, n := range s.More {
			p.WriteString(", " + n.Name)
		}
	case *ast.ClusterDecl:
		p.WriteString("clusterwide")
		if s.Priority != nil {
			p.WriteString(" priority " + strconv.Itoa(s.Priority.Value))
		}
	case *ast.GroupDecl:
		p.WriteString(s.Name.Name)
		p.WriteString(strings.Repeat(" ", max(0, align-len(s.Name.Name))))
		p.WriteString(" = ")
		p.peers(s.Peers)
	case *ast.DefaultDeny:
		p.WriteString("default deny")
		p.dir(s.Dir)
	case *ast.Isolate:
		p.WriteString("isolate ")
		p.peers(s.Subjects)
		p.dir(s.Dir)
	case *ast.AllowDNS:
		p.WriteString("allow dns")
		if len(s.For) > 0 {
			p.WriteString(" for ")
			p.peers(s.For)
		}
		if len(s.Lookups) > 0 {
			p.WriteString(" lookups ")
			for i, l := range s.Lookups {
				if i > 0 {
					p.WriteString(", ")
				}
				p.WriteString(quote(l.Value))
			}
		}
	case *ast.DNSServer:
		p.WriteString("dns server ")
		p.peer(s.Server)
		p.WriteString(":")
		p.port(s.Port)
	case *ast.Rule:
		if s.Deny {
			p.WriteString("deny ")
		}
		if s.Pass {
			p.WriteString("pass ")
		}
		if s.Dir != ast.DirBoth {
			p.WriteString(s.Dir.String() + " ")
		}
		if s.NonIsolating {
			p.WriteString("nonisolating ")
		}
		p.peers(s.Sources)
		p.WriteString(" -> ")
		for i, t := range s.Targets {
			if i > 0 {
				p.WriteString(", ")
			}
			p.target(t)
		}
		if s.HTTP != nil {
			p.httpBlock(s.HTTP)
		}
	case *ast.Expect:
		p.WriteString("expect ")
		p.peer(s.From)
		p.WriteString(" -> ")
		p.target(s.To)
		if r := s.Request; r != nil {
			if len(r.Doc.Leading) == 0 && r.Doc.Trailing == nil {
				p.WriteString(" http { ")
				p.httpRule(*r, 0)
				p.WriteString(" }")
			} else {
				p.WriteString(" http {\n")
				p.httpLine(*r, 0)
				p.WriteString("}")
			}
		}
		if s.Allowed {
			p.WriteString(" allowed")
		} else {
			p.WriteString(" denied")
		}
	case *ast.BadStmt:
		p.WriteString(s.Text)
	}
}

func (p *printer) dir(d ast.Direction) {
	if d != ast.DirBoth {
		p.space(d.String())
	}
}

func (p *printer) peers(ps []ast.Peer) {
	for i, x := range ps {
		if i > 0 {
			p.WriteString(", ")
		}
		p.peer(x)
	}
}

func (p *printer) peer(x ast.Peer) {
	switch x := x.(type) {
	case *ast.AnyPeer:
		p.WriteString("*")
	case *ast.GroupRef:
		p.WriteString(x.Name.Name)
	case *ast.EntityPeer:
		if lexicon.IsBareEntity(x.Name) {
			p.WriteString(x.Name)
		} else {
			p.WriteString("entity(" + x.Name + ")")
		}
	case *ast.PodPeer:
		switch ns := x.Namespace.(type) {
		case *ast.NamespaceName:
			p.WriteString(ns.Name.Name)
		case *ast.NamespaceLabels:
			p.WriteString("ns")
			p.selector(ns.Selector)
		}
		if x.Namespace != nil && (x.Pods != nil || x.Group != nil) {
			p.WriteString("/")
		}
		switch {
		case x.Pods != nil:
			p.selector(*x.Pods)
		case x.Group != nil:
			p.WriteString(x.Group.Name)
		case x.Namespace == nil:
			p.WriteString("{}")
		}
	case *ast.CIDRPeer:
		p.WriteString(x.CIDR.Value)
		switch len(x.Except) {
		case 0:
		case 1:
			p.WriteString(" except " + x.Except[0].Value)
		default:
			p.WriteString(" except [")
			for i, e := range x.Except {
				if i > 0 {
					p.WriteString(", ")
				}
				p.WriteString(e.Value)
			}
			p.WriteString("]")
		}
	case *ast.FQDNPeer:
		p.WriteString(quote(x.Pattern.Value))
	case *ast.ServicePeer:
		p.WriteString("service(" + x.Namespace.Name + "/")
		if x.Name != nil {
			p.WriteString(x.Name.Name)
		} else if x.Selector != nil {
			p.selector(*x.Selector)
		}
		p.WriteString(")")
	case *ast.NodePeer:
		p.WriteString("node")
		p.selector(x.Selector)
	}
}

func (p *printer) selector(s ast.Selector) {
	p.WriteString("{")
	for i, t := range s.Terms {
		if i > 0 {
			p.WriteString(", ")
		}
		p.WriteString(Term(t))
	}
	p.WriteString("}")
}

// Term prints one selector term in the canonical layout ("app: web",
// "tier in (a, b)", "!canary"), quoting the key and values only where
// needed, as fmt writes it inside a selector.
func Term(t ast.LabelTerm) string {
	var b strings.Builder
	key := labelKey(t.Key.Value)
	switch t.Op {
	case ast.OpNotExists:
		b.WriteString("!" + key)
	case ast.OpExists:
		b.WriteString(key)
	case ast.OpEq, ast.OpNotEq:
		sep := ": "
		if t.Op == ast.OpNotEq {
			sep = " != "
		}
		b.WriteString(key + sep)
		if len(t.Values) > 0 {
			b.WriteString(LabelValue(t.Values[0].Value))
		}
	case ast.OpIn, ast.OpNotIn:
		op := " in ("
		if t.Op == ast.OpNotIn {
			op = " notin ("
		}
		b.WriteString(key + op)
		for j, v := range t.Values {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(LabelValue(v.Value))
		}
		b.WriteString(")")
	}
	return b.String()
}

func (p *printer) target(t ast.Target) {
	p.peer(t.Peer)
	switch len(t.Ports) {
	case 0:
	case 1:
		p.WriteString(":")
		p.port(t.Ports[0])
	default:
		p.WriteString(":[")
		for i, x := range t.Ports {
			if i > 0 {
				p.WriteString(", ")
			}
			p.port(x)
		}
		p.WriteString("]")
	}
}

func (p *printer) port(x ast.PortSpec) {
	switch {
	case x.IsICMP:
		p.WriteString(x.Protocol.Name)
		if x.ICMPType.Value != "" {
			p.WriteString("/" + x.ICMPType.Value)
		}
		return
	case x.All:
		p.WriteString("*")
	case x.Start >= 0:
		p.WriteString(strconv.Itoa(x.Start))
		if x.End != 0 {
			p.WriteString("-" + strconv.Itoa(x.End))
		}
	case x.Name != "":
		p.WriteString(x.Name)
	}
	if x.Protocol.Name != "" {
		p.WriteString("/" + x.Protocol.Name)
	}
}

// ----- HTTP -----

func (p *printer) httpBlock(b *ast.HTTPBlock) {
	if len(b.Rules) == 0 && len(b.Tail) == 0 {
		p.WriteString(" http {}")
		return
	}
	p.WriteString(" http {\n")
	width := 0 // methods are aligned so that paths start in one column
	for _, r := range b.Rules {
		width = max(width, len(method(r)))
	}
	for i, r := range b.Rules {
		if r.Doc.BlankBefore && i > 0 {
			p.nl()
		}
		p.httpLine(r, width)
	}
	for _, c := range b.Tail {
		p.line("  " + c.Text)
	}
	p.WriteString("}")
}

// httpLine prints a rule on its own indented line, with its comments.
func (p *printer) httpLine(r ast.HTTPRule, width int) {
	for _, c := range r.Doc.Leading {
		p.line("  " + c.Text)
	}
	p.WriteString("  ")
	p.httpRule(r, width)
	if r.Doc.Trailing != nil {
		p.space(r.Doc.Trailing.Text)
	}
	p.nl()
}

func method(r ast.HTTPRule) string {
	if r.Method == nil {
		return "*"
	}
	return httpWord(r.Method.Value, false)
}

func (p *printer) httpRule(r ast.HTTPRule, width int) {
	m := method(r)
	p.WriteString(m)
	rest := r.Path != nil || r.Host != nil || len(r.Headers) > 0
	if rest {
		p.WriteString(strings.Repeat(" ", max(0, width-len(m))))
	}
	if r.Path != nil {
		p.space(httpWord(r.Path.Value, false))
	}
	if r.Host != nil {
		p.space("host " + httpWord(r.Host.Value, false))
	}
	for _, h := range r.Headers {
		p.space("header " + httpWord(h.Name.Value, true))
		if h.Value != nil {
			p.WriteString(": " + httpWord(h.Value.Value, false))
		}
	}
}

// ----- quoting -----

var (
	identRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*$`)
	numberRE = regexp.MustCompile(`^[0-9]+$`)
	keyRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*(?:/[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*)?$`)
)

// labelKey writes a key bare when it reads back as one: a name, optionally
// with a "prefix/".
func labelKey(s string) string {
	if keyRE.MatchString(s) {
		return s
	}
	return quote(s)
}

// LabelValue writes a label value bare when it is a name or a number, and
// quoted otherwise, as fmt writes it.
func LabelValue(s string) string {
	if identRE.MatchString(s) || numberRE.MatchString(s) {
		return s
	}
	return quote(s)
}

// httpWord writes a word of an HTTP rule bare unless it would read as
// something else: it has spaces or the characters that end a word, it is a
// keyword of HTTP rules or "*" (any method), or it is a header name with a
// ":" (where the name would end).
func httpWord(s string, headerName bool) string {
	switch {
	case s == "", s == "*", lexicon.IsKeyword(s, lexicon.HTTPWord), s == ":",
		headerName && strings.Contains(s, ":"),
		strings.ContainsFunc(s, func(r rune) bool {
			return r <= ' ' || r == 0x7f || r == '"' || r == '#' || r == '{' || r == '}' || r == 0xfffd ||
				r == 0x85 || r == 0xa0 // also the spaces that end a word
		}):
		return quote(s)
	}
	return s
}

// quote writes s as a string literal. Only '"' and a backslash that would
// otherwise read as an escape are escaped, so regular expressions such as
// api\.example\.com keep their backslashes as written.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\' && (i+1 == len(s) || s[i+1] == '"' || s[i+1] == '\\'):
			b.WriteString(`\\`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
