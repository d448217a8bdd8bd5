package parser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/source"
)

// describeSpan prints a span as "line:col-line:col" and the text it covers.
func describeSpan(f *source.File, s source.Span) string {
	return fmt.Sprintf("%d:%d-%d:%d %q", s.Start.Line, s.Start.Col, s.End.Line, s.End.Col,
		string(f.Content[s.Start.Offset:s.End.Offset]))
}

func TestSpans(t *testing.T) {
	src := "namespace prod\n\n  web -> db:5432/tcp, ns{a: b}/{c}:[80, 443]  # x\nexpect web -> db:80 allowed\n" +
		"a -> b:80 http {\n  GET /x header K: v\n}\n"
	f := source.NewFile("s.netpol", []byte(src))
	tree, diags := ParseFile(f)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	rule := tree.Stmts[1].(*ast.Rule)
	expect := tree.Stmts[2].(*ast.Expect)
	httpRule := tree.Stmts[3].(*ast.Rule)
	pod := rule.Targets[1].Peer.(*ast.PodPeer)
	h := httpRule.HTTP.Rules[0]
	for _, c := range []struct {
		what string
		span source.Span
		want string
	}{
		{"file", tree.Src, fmt.Sprintf("1:1-8:1 %q", src)},
		{"namespace", tree.Stmts[0].Span(), `1:1-1:15 "namespace prod"`},
		{"namespace name", tree.Stmts[0].(*ast.NamespaceDecl).Name.Src, `1:11-1:15 "prod"`},
		{"rule", rule.Src, `3:3-3:45 "web -> db:5432/tcp, ns{a: b}/{c}:[80, 443]"`},
		{"arrow", rule.Arrow, `3:7-3:9 "->"`},
		{"source", rule.Sources[0].Span(), `3:3-3:6 "web"`},
		{"target", rule.Targets[0].Src, `3:10-3:21 "db:5432/tcp"`},
		{"port", rule.Targets[0].Ports[0].Src, `3:13-3:21 "5432/tcp"`},
		{"protocol", rule.Targets[0].Ports[0].Protocol.Src, `3:18-3:21 "tcp"`},
		{"pod peer", pod.Src, `3:23-3:35 "ns{a: b}/{c}"`},
		{"namespace labels", pod.Namespace.Span(), `3:23-3:31 "ns{a: b}"`},
		{"pods", pod.Pods.Src, `3:32-3:35 "{c}"`},
		{"label term", pod.Pods.Terms[0].Src, `3:33-3:34 "c"`},
		{"second port", rule.Targets[1].Ports[1].Src, `3:41-3:44 "443"`},
		{"trailing comment", rule.Doc.Trailing.Src, `3:47-3:50 "# x"`},
		{"verdict", expect.Verdict, `4:21-4:28 "allowed"`},
		{"http block", httpRule.HTTP.Src, "5:11-7:2 \"http {\\n  GET /x header K: v\\n}\""},
		{"http rule", h.Src, `6:3-6:21 "GET /x header K: v"`},
		{"header", h.Headers[0].Src, `6:10-6:21 "header K: v"`},
		{"header name", h.Headers[0].Name.Src, `6:17-6:18 "K"`},
		{"header value", h.Headers[0].Value.Src, `6:20-6:21 "v"`},
	} {
		if got := describeSpan(f, c.span); got != c.want {
			t.Errorf("%s: got %s, want %s", c.what, got, c.want)
		}
	}
}

func TestComments(t *testing.T) {
	src := `# file header
namespace prod # governed
# about web
# more
web = {app: web}

# before the rule
web -> db:80 http { # on the open line
  GET /a # after a
  # before b

  POST /b
  # block tail
} # after the block
x = {a: b, # inside
  c: d}

# the end
`
	tree, diags := ParseFile(source.NewFile("c.netpol", []byte(src)))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	var b strings.Builder
	doc := func(name string, d ast.Doc) {
		fmt.Fprintf(&b, "%s: blank=%v", name, d.BlankBefore)
		for _, c := range d.Leading {
			fmt.Fprintf(&b, " lead=%q", c.Text)
		}
		if d.Trailing != nil {
			fmt.Fprintf(&b, " trail=%q", d.Trailing.Text)
		}
		b.WriteString("\n")
	}
	for i, s := range tree.Stmts {
		doc(fmt.Sprint("stmt", i), *s.Comments())
		if r, ok := s.(*ast.Rule); ok && r.HTTP != nil {
			for j, hr := range r.HTTP.Rules {
				doc(fmt.Sprint("  http", j), hr.Doc)
			}
			for _, c := range r.HTTP.Tail {
				fmt.Fprintf(&b, "  tail=%q\n", c.Text)
			}
		}
	}
	fmt.Fprintf(&b, "file tail: blank=%v", tree.TailBlankBefore)
	for _, c := range tree.Tail {
		fmt.Fprintf(&b, " %q", c.Text)
	}
	want := `stmt0: blank=false lead="# file header" trail="# governed"
stmt1: blank=false lead="# about web" lead="# more"
stmt2: blank=true lead="# before the rule" trail="# after the block"
  http0: blank=false lead="# on the open line" trail="# after a"
  http1: blank=false lead="# before b"
  tail="# block tail"
stmt3: blank=false trail="# inside"
file tail: blank=true "# the end"`
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSpansNamespaces(t *testing.T) {
	f := source.NewFile("s.netpol", []byte("namespace a, b-2,c.3 # x\n"))
	tree, diags := ParseFile(f)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	ns := tree.Stmts[0].(*ast.NamespaceDecl)
	var names []string
	for _, n := range ns.Names() {
		names = append(names, describeSpan(f, n.Src))
	}
	if got, want := strings.Join(names, ", "), `1:11-1:12 "a", 1:14-1:17 "b-2", 1:18-1:21 "c.3"`; got != want {
		t.Errorf("names: got %s, want %s", got, want)
	}
	if got, want := describeSpan(f, ns.Src), `1:1-1:21 "namespace a, b-2,c.3"`; got != want {
		t.Errorf("statement: got %s, want %s", got, want)
	}
}
