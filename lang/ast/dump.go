package ast

import (
	"strconv"
	"strings"
)

// Dump returns an S-expression of the tree rooted at n, without spans and
// comments, for comparing trees in tests. A File prints one statement per
// line; everything else prints on one line. Strings are Go-quoted, so the
// output is unambiguous and deterministic.
func Dump(n Node) string {
	var d dumper
	d.node(n)
	return d.String()
}

type dumper struct{ strings.Builder }

func (d *dumper) open(head string) { d.WriteString("(" + head) }
func (d *dumper) close()           { d.WriteString(")") }
func (d *dumper) atom(s string)    { d.WriteString(" " + s) }
func (d *dumper) str(s string)     { d.atom(strconv.Quote(s)) }

func (d *dumper) node(n Node) {
	switch n := n.(type) {
	case nil:
		d.WriteString("nil")
	case *File:
		d.open("file")
		for _, s := range n.Stmts {
			d.WriteString("\n  ")
			d.node(s)
		}
		d.close()
	case Stmt:
		d.stmt(n)
	case Peer:
		d.peer(n)
	case NamespaceRef:
		d.nsRef(n)
	case *Selector:
		d.selector(*n)
	case *Target:
		d.target(*n)
	case *PortSpec:
		d.port(*n)
	case *HTTPBlock:
		d.httpBlock(n)
	case *HTTPRule:
		d.httpRule(*n)
	default:
		d.WriteString("(unknown)")
	}
}

func (d *dumper) stmt(s Stmt) {
	switch s := s.(type) {
	case *NamespaceDecl:
		d.open("namespace")
		for _, n := range s.Names() {
			d.str(n.Name)
		}
	case *ClusterDecl:
		d.open("clusterwide")
		if s.Priority != nil {
			d.WriteString(" (priority " + strconv.Itoa(s.Priority.Value) + ")")
		}
	case *GroupDecl:
		d.open("group")
		d.str(s.Name.Name)
		d.peers("peers", s.Peers)
	case *DefaultDeny:
		d.open("default-deny")
		d.dir(s.Dir)
	case *Isolate:
		d.open("isolate")
		d.dir(s.Dir)
		d.peers("subjects", s.Subjects)
	case *AllowDNS:
		d.open("allow-dns")
		if s.For != nil {
			d.peers("for", s.For)
		}
		if s.Lookups != nil {
			d.WriteString(" (lookups")
			for _, l := range s.Lookups {
				d.str(l.Value)
			}
			d.close()
		}
	case *DNSServer:
		d.open("dns-server ")
		d.peer(s.Server)
		d.WriteString(" ")
		d.port(s.Port)
	case *Rule:
		d.open("rule")
		if s.Deny {
			d.atom("deny")
		}
		if s.Pass {
			d.atom("pass")
		}
		d.dir(s.Dir)
		if s.NonIsolating {
			d.atom("nonisolating")
		}
		d.peers("from", s.Sources)
		d.WriteString(" (to")
		for _, t := range s.Targets {
			d.WriteString(" ")
			d.target(t)
		}
		d.close()
		if s.HTTP != nil {
			d.WriteString(" ")
			d.httpBlock(s.HTTP)
		}
	case *Expect:
		d.open("expect")
		if s.Allowed {
			d.atom("allowed")
		} else {
			d.atom("denied")
		}
		d.WriteString(" ")
		d.peer(s.From)
		d.WriteString(" ")
		d.target(s.To)
		if s.Request != nil {
			d.WriteString(" ")
			d.httpRule(*s.Request)
		}
	case *BadStmt:
		d.open("bad")
		d.str(s.Text)
	default:
		d.open("unknown-stmt")
	}
	d.close()
}

func (d *dumper) dir(dir Direction) {
	if dir != DirBoth {
		d.atom(dir.String())
	}
}

func (d *dumper) peers(head string, ps []Peer) {
	d.WriteString(" (" + head)
	for _, p := range ps {
		d.WriteString(" ")
		d.peer(p)
	}
	d.close()
}

func (d *dumper) peer(p Peer) {
	switch p := p.(type) {
	case nil:
		d.WriteString("nil")
	case *GroupRef:
		d.open("ref")
		d.str(p.Name.Name)
		d.close()
	case *PodPeer:
		d.open("pods")
		if p.Namespace != nil {
			d.WriteString(" ")
			d.nsRef(p.Namespace)
		}
		if p.Pods != nil {
			d.WriteString(" ")
			d.selector(*p.Pods)
		}
		if p.Group != nil {
			d.WriteString(" (group")
			d.str(p.Group.Name)
			d.close()
		}
		d.close()
	case *CIDRPeer:
		d.open("cidr")
		d.str(p.CIDR.Value)
		if p.Except != nil {
			d.WriteString(" (except")
			for _, e := range p.Except {
				d.str(e.Value)
			}
			d.close()
		}
		d.close()
	case *EntityPeer:
		d.open("entity")
		d.str(p.Name)
		d.close()
	case *FQDNPeer:
		d.open("fqdn")
		d.str(p.Pattern.Value)
		d.close()
	case *ServicePeer:
		d.open("service")
		d.str(p.Namespace.Name)
		if p.Name != nil {
			d.str(p.Name.Name)
		}
		if p.Selector != nil {
			d.WriteString(" ")
			d.selector(*p.Selector)
		}
		d.close()
	case *NodePeer:
		d.open("node ")
		d.selector(p.Selector)
		d.close()
	case *AnyPeer:
		d.WriteString("(any)")
	default:
		d.WriteString("(unknown-peer)")
	}
}

func (d *dumper) nsRef(n NamespaceRef) {
	switch n := n.(type) {
	case *NamespaceName:
		d.open("ns")
		d.str(n.Name.Name)
		d.close()
	case *NamespaceLabels:
		d.open("ns ")
		d.selector(n.Selector)
		d.close()
	default:
		d.WriteString("(unknown-ns)")
	}
}

var opNames = [...]string{OpEq: "=", OpNotEq: "!=", OpIn: "in", OpNotIn: "notin", OpExists: "exists", OpNotExists: "!exists"}

func (d *dumper) selector(s Selector) {
	d.open("sel")
	for _, t := range s.Terms {
		op := "?"
		if int(t.Op) >= 0 && int(t.Op) < len(opNames) {
			op = opNames[t.Op]
		}
		d.WriteString(" (" + op)
		d.str(t.Key.Value)
		for _, v := range t.Values {
			d.str(v.Value)
		}
		d.close()
	}
	d.close()
}

func (d *dumper) target(t Target) {
	d.open("target ")
	d.peer(t.Peer)
	for _, p := range t.Ports {
		d.WriteString(" ")
		d.port(p)
	}
	d.close()
}

func (d *dumper) port(p PortSpec) {
	d.open("port")
	switch {
	case p.All:
		d.atom("*")
	case p.IsICMP:
		d.atom("icmp")
		if p.ICMPType.Value != "" {
			d.str(p.ICMPType.Value)
		}
	case p.Start >= 0:
		d.atom(strconv.Itoa(p.Start))
		if p.End != 0 {
			d.atom("-")
			d.atom(strconv.Itoa(p.End))
		}
	case p.Name != "":
		d.atom("name")
		d.str(p.Name)
	}
	if p.Protocol.Name != "" {
		d.atom("/")
		d.str(p.Protocol.Name)
	}
	d.close()
}

func (d *dumper) httpBlock(b *HTTPBlock) {
	d.open("http")
	for _, r := range b.Rules {
		d.WriteString(" ")
		d.httpRule(r)
	}
	d.close()
}

func (d *dumper) httpRule(r HTTPRule) {
	d.open("req")
	opt := func(head string, s *String) {
		if s != nil {
			d.WriteString(" (" + head)
			d.str(s.Value)
			d.close()
		}
	}
	opt("method", r.Method)
	opt("path", r.Path)
	opt("host", r.Host)
	for _, h := range r.Headers {
		d.WriteString(" (header")
		d.str(h.Name.Value)
		if h.Value != nil {
			d.str(h.Value.Value)
		}
		d.close()
	}
	d.close()
}
