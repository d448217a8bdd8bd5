package parser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/source"
)

// contractTests pin the parser's diagnostics: each bad input and exactly
// what is reported for it, as "code line:col-line:col message
// [suggestion]". There is one input per message the parser can produce
// (and per expectation it can state), so that a change to any of them shows
// here.
var contractTests = []struct{ src, want string }{
	// Found while splitting statements.
	{"a = \"unterminated",
		"syntax 1:5-1:18 unterminated string, expected a closing \""},
	{"web -> db:80 http {",
		"syntax 1:14-1:20 http block is not closed, expected \"}\""},
	{"i = entity(world",
		"syntax 1:11-1:12 \"(\" is not closed, expected \")\""},
	{"j = {app: web",
		"syntax 1:5-1:6 \"{\" is not closed, expected \"}\""},
	{"k = web -> db:[80",
		"syntax 1:15-1:16 \"[\" is not closed, expected \"]\""},
	// Found by the parser.
	{"c = {a: b, }",
		"syntax 1:10-1:11 unexpected \",\" before \"}\", trailing commas are not allowed"},
	{"namespce production",
		"syntax 1:1-1:9 unknown keyword \"namespce\", did you mean \"namespace\"? [namespace]"},
	{"deny ingres a -> b:80",
		"syntax 1:6-1:12 unknown keyword \"ingres\", did you mean \"ingress\"? [ingress]"},
	{"10.0.0.0/8 excep [1.1.1.1] -> a:80",
		"syntax 1:12-1:17 unexpected \"excep\", expected \"->\"; did you mean \"except\"? [except]"},
	{"default dney",
		"syntax 1:9-1:13 unexpected \"dney\", expected \"deny\" [deny]"},
	{"allow dns lookps \"x\"",
		"syntax 1:11-1:17 unexpected \"lookps\", expected end of line; did you mean \"lookups\"? [lookups]"},
	{"a =",
		"syntax 1:4-1:4 unexpected end of line, expected a peer"},
	{"web ->",
		"syntax 1:7-1:7 unexpected end of line, expected a target (peer:ports)"},
	{"web db",
		"syntax 1:5-1:7 unexpected \"db\", expected \"->\""},
	{"web -> db:",
		"syntax 1:11-1:11 unexpected end of line, expected \"[\" or a port"},
	{"web -> db:[80, @]",
		"syntax 1:16-1:17 unexpected character \"@\", expected a port"},
	{"web -> ledger:9000, 3868/sctp",
		"syntax 1:21-1:30 unexpected port \"3868/sctp\", expected a target (peer:ports); write the ports of one target in brackets: ledger:[9000, 3868/sctp]"},
	{"web -> ledger:[9000, 80], 3868/sctp, 53/udp, db:80",
		"syntax 1:27-1:44 unexpected ports \"3868/sctp, 53/udp\", expected a target (peer:ports); write the ports of one target in brackets: ledger:[9000, 80, 3868/sctp, 53/udp]"},
	{"web -> ledger, 9000",
		"syntax 1:16-1:20 unexpected port \"9000\", expected a target (peer:ports); write a target's port after its peer: ledger:9000"},
	{"web -> db:80/",
		"syntax 1:14-1:14 unexpected end of line, expected a protocol"},
	{"web -> db:80/8",
		"syntax 1:14-1:15 unexpected \"8\", expected a protocol (tcp, udp, sctp, any) after \"/\""},
	{"web -> db:99999999999999999999999",
		"syntax 1:11-1:34 port number 99999999999999999999999 is too large"},
	{"web -> db:8000-",
		"syntax 1:16-1:16 unexpected end of line, expected a number"},
	{"web -> db:icmp/-",
		"syntax 1:16-1:17 unexpected \"-\", expected an ICMP type"},
	{"namespace 8",
		"syntax 1:11-1:12 unexpected \"8\", expected a name"},
	{"e = entity(world x)",
		"syntax 1:18-1:19 unexpected \"x\", expected \")\""},
	{"f = service()",
		"syntax 1:13-1:14 unexpected \")\", expected a namespace/name or namespace/{selector}"},
	{"f = service(foo)",
		"syntax 1:16-1:17 unexpected \")\", expected \"/\""},
	{"g = ns{a}/",
		"syntax 1:11-1:11 unexpected end of line, expected a selector {...} or a name"},
	{"d = 10.0.0.0/8 except",
		"syntax 1:22-1:22 unexpected end of line, expected a CIDR or \"[\""},
	{"d = 10.0.0.0/8 except [1.2.3.4/32, x]",
		"syntax 1:36-1:37 unexpected \"x\", expected a CIDR"},
	{"d = 10.0.0.0/8 except [1.2.3.4/32 x]",
		"syntax 1:35-1:36 unexpected \"x\", expected \",\" or \"]\""},
	{"s = {:}",
		"syntax 1:6-1:7 unexpected \":\", expected a label or \"}\""},
	{"s = {app web}",
		"syntax 1:10-1:13 unexpected \"web\", expected \":\", \"!=\", \"in\", \"notin\", \",\" or \"}\""},
	{"s = {app: web tier}",
		"syntax 1:15-1:19 unexpected \"tier\", expected \",\" or \"}\""},
	{"s = {app:}",
		"syntax 1:10-1:11 unexpected \"}\", expected a label value"},
	{"s = {!:}",
		"syntax 1:7-1:8 unexpected \":\", expected a label key"},
	{"s = {a/:}",
		"syntax 1:8-1:9 unexpected \":\", expected a name or a quoted string"},
	{"s = {a in x}",
		"syntax 1:11-1:12 unexpected \"x\", expected \"(\""},
	{"s = {a in (x y)}",
		"syntax 1:14-1:15 unexpected \"y\", expected \",\" or \")\""},
	{"s = {a, :}",
		"syntax 1:9-1:10 unexpected \":\", expected a label"},
	{"allow dns lookups x",
		"syntax 1:19-1:20 unexpected \"x\", expected a quoted string"},
	{"dns x",
		"syntax 1:5-1:6 unexpected \"x\", expected \"server\""},
	{"allow x",
		"syntax 1:7-1:8 unexpected \"x\", expected \"dns\""},
	{"dns server x",
		"syntax 1:13-1:13 unexpected end of line, expected \":\""},
	{"expect a -> b:80 alowed",
		"syntax 1:18-1:24 unexpected \"alowed\", expected \"allowed\" or \"denied\"; did you mean \"allowed\"? [allowed]"},
	{"b = @x",
		"syntax 1:5-1:6 unexpected character \"@\", expected a peer"},
	{"g = a http { GET }",
		"syntax 1:7-1:13 unexpected \"http {\", expected end of line"},
	{"web -> db:80 http {\n  GET /a POST /b\n}",
		"syntax 2:10-2:14 unexpected \"POST\", expected \"host\", \"header\" or end of line (one HTTP rule per line)"},
	{"web -> db:80 http {\n  DELETE host\n}",
		"syntax 2:10-2:14 expected a value after \"host\""},
	{"web -> db:80 http {\n  GET header\n}",
		"syntax 2:7-2:13 expected a value after \"header\""},
	{"web -> db:80 http {\n  GET header X:\n}",
		"syntax 2:14-2:16 expected a value after header \"X:\""},
	{"web -> db:80 http {\n  GET header X y\n}",
		"syntax 2:16-2:17 unexpected \"y\", expected \":\" between a header name and its value"},
	{"web -> db:80 http {\n  GET header X:y z\n}",
		"syntax 2:18-2:19 unexpected \"z\", the header already has a value"},
	{"web -> db:80 http {\n  GET header X: : y\n}",
		"syntax 2:17-2:18 unexpected \":\", the header name already ends with \":\""},
	{"web -> db:80 http {\n  GET header X host h\n}",
		"syntax 2:16-2:20 unexpected \"host\", expected \"header\", \"}\" or end of line (the host comes before the headers, and only once)"},
	{"web -> db:80 http { GET { }",
		"syntax 1:25-1:26 unexpected character \"{\", expected \"host\", \"header\", \"}\" or end of line"},
	{"expect a -> b:80 http { GET /\nPOST / } allowed",
		"syntax 2:1-2:5 unexpected \"POST\", expected \"}\" (an expectation makes one HTTP request)"},
	{"expect a -> b:80 http { } allowed",
		"syntax 1:25-1:26 unexpected \"}\", expected an HTTP request line"},
	{"expect a -> b:80 http { GET / POST } allowed",
		"syntax 1:31-1:35 unexpected \"POST\", expected \"host\", \"header\" or \"}\""},
	{"namespace a, 8",
		"syntax 1:14-1:15 unexpected \"8\", expected a name"},
	{"namespace a, b c",
		"syntax 1:16-1:17 unexpected \"c\", expected end of line"},
	{"namespace shop extra",
		"syntax 1:16-1:21 unexpected \"extra\", expected end of line"},
	// Where parsing of a file stops.
	{strings.Repeat("namespce x\n", 41),
		contractStop},
	{"g = " + strings.Repeat("a, ", maxStmtTokens/2) + "b\nweb = {}\n",
		"too-many-errors 1:1-1:1 parsing stopped at a statement of more than 262144 tokens; the remaining 2 lines were not parsed"},
}

// contractStop is what 41 misspelt namespace statements give: 40 errors,
// then where parsing stopped.
var contractStop = func() string {
	var b strings.Builder
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "syntax %d:1-%d:9 unknown keyword \"namespce\", did you mean \"namespace\"? [namespace]\n", i, i)
	}
	b.WriteString("too-many-errors 41:1-41:1 parsing stopped after 40 bad statements; the remaining 1 line was not parsed")
	return b.String()
}()

// renderDiags prints diagnostics as contractTests has them.
func renderDiags(f *source.File) string {
	_, diags := ParseFile(f)
	var out []string
	for _, d := range diags {
		s := fmt.Sprintf("%s %d:%d-%d:%d %s", d.Code, d.Span.Start.Line, d.Span.Start.Col, d.Span.End.Line, d.Span.End.Col, d.Message)
		if d.Suggestion != "" {
			s += " [" + d.Suggestion + "]"
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

func TestContract(t *testing.T) {
	seen := map[string]bool{}
	for _, tt := range contractTests {
		got := renderDiags(source.NewFile("c.netpol", []byte(tt.src)))
		if got != tt.want {
			src := tt.src
			if len(src) > 80 {
				src = src[:80] + "..."
			}
			t.Errorf("%q:\ngot  %s\nwant %s", src, got, tt.want)
		}
		if seen[tt.want] {
			t.Errorf("%q: a second input for %s", tt.src, tt.want)
		}
		seen[tt.want] = true
	}
	if len(contractTests) < 40 {
		t.Errorf("%d contract tests, want at least 40", len(contractTests))
	}
}
