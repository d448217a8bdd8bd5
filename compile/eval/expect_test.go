package eval

import (
	"fmt"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
)

// render prints diagnostics compactly: "line: code: message | note line: note
// | detail".
func render(ds diag.List) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "%d: %s: %s\n", d.Span.Start.Line, d.Code, d.Message)
		for _, n := range d.Notes {
			fmt.Fprintf(&b, "  note %d: %s\n", n.Span.Start.Line, n.Message)
		}
		if d.Detail != "" {
			fmt.Fprintf(&b, "  detail: %s\n", d.Detail)
		}
	}
	return b.String()
}

func expectProgram(exps ...*ir.Expectation) *ir.Program {
	p := &ir.Program{
		Governed: []string{"production"},
		Policies: []*ir.Policy{
			policy(1, "production", sel(), isoBoth,
				allowOut(2, peers(podsIn("kube-system", "k8s-app=kube-dns")), onPorts(ports(port(ir.UDP, 53))))),
			policy(3, "production", sel("app=web"), isoNone,
				allowOut(4, peers(podsPeer("app=database")), onPorts(ports(port(ir.TCP, 5432), namedPortOf(ir.TCP, "pg")))),
				allowIn(5, peers(podsIn("ingress", "app=nginx")), onPorts(ir.PortRule{Ports: []ir.Port{port(ir.TCP, 8080)},
					HTTP: []ir.HTTPRule{{Method: "GET", Path: "/api/public/.*"}}})),
				denyOut(6, peers(cidrPeer("169.254.169.254/32")), nil)),
			policy(7, "production", sel("app=database"), isoNone,
				allowIn(8, peers(podsPeer("app=web")), onPorts(ports(port(ir.TCP, 5432), namedPortOf(ir.TCP, "pg"))))),
		},
		Expectations: exps,
	}
	return p
}

func grp(name string, p ir.Peer, line int) ir.Endpoint {
	return ir.Endpoint{Span: span(line), Peer: p, Group: name}
}

func TestCheckExpectations(t *testing.T) {
	web := func(line int) ir.Endpoint { return grp("web", podsPeer("app=web"), line) }
	db := func(line int) ir.Endpoint { return grp("database", podsPeer("app=database"), line) }
	nginx := grp("nginx", podsIn("ingress", "app=nginx"), 0)
	exp := func(line int, from, to ir.Endpoint, p ir.Port, allowed bool) *ir.Expectation {
		return &ir.Expectation{Span: span(line), Namespace: "production", From: from, To: to, Port: p, Allowed: allowed}
	}
	withReq := func(x *ir.Expectation, method, path string) *ir.Expectation {
		x.Request = &ir.HTTPRequest{Method: method, Path: path}
		return x
	}
	for _, c := range []struct {
		name string
		exp  *ir.Expectation
		want string
	}{
		{"holds", exp(20, web(20), db(20), port(ir.TCP, 5432), true), ""},
		{"named port holds", exp(20, web(20), db(20), namedPortOf(ir.TCP, "pg"), true), ""},
		{"denied holds", exp(20, db(20), web(20), port(ir.TCP, 5432), false), ""},
		{"L7 request holds", withReq(exp(20, nginx, web(20), port(ir.TCP, 8080), true), "GET", "/api/public/x"), ""},
		{"L4 check on an L7 port counts as allowed", exp(20, nginx, web(20), port(ir.TCP, 8080), true), ""},
		{"isolated", exp(20, web(21), db(22), port(ir.TCP, 5433), true),
			"20: expectation-failed: expected production/web -> production/database:5433/TCP to be allowed, but it is denied\n" +
				"  note 1: no rule allows it; production/web is isolated for egress by this policy\n" +
				"  note 1: no rule allows it; production/database is isolated for ingress by this policy\n"},
		{"allowed but expected denied", exp(20, web(21), db(22), port(ir.TCP, 5432), false),
			"20: expectation-failed: expected production/web -> production/database:5432/TCP to be denied, but it is allowed\n" +
				"  note 4: allowed by this rule (on the egress side of production/web)\n" +
				"  note 8: allowed by this rule (on the ingress side of production/database)\n"},
		{"deny rule", exp(20, web(21), grp("", cidrPeer("169.254.169.254/32"), 22), port(ir.TCP, 80), true),
			"20: expectation-failed: expected production/web -> 169.254.169.254:80/TCP to be allowed, but it is denied\n" +
				"  note 6: denied by this rule (on the egress side of production/web)\n"},
		{"L7 denied", withReq(exp(20, nginx, web(22), port(ir.TCP, 8080), true), "GET", "/api/public"),
			"20: expectation-failed: expected ingress/nginx -> production/web:8080/TCP GET /api/public to be allowed, but it is denied at L7\n" +
				"  note 5: the request matches none of the L7 rules of this rule (on the ingress side of production/web)\n"},
		{"L7 restricted but expected denied", exp(20, nginx, web(22), port(ir.TCP, 8080), false),
			"20: expectation-failed: expected ingress/nginx -> production/web:8080/TCP to be denied, but it is allowed (requests filtered at L7)\n" +
				"  note 20: no policy selects ingress/nginx, so the egress side allows it\n" +
				"  note 5: allowed at L4 only for requests matching the L7 rules of this rule (on the ingress side of production/web)\n"},
		{"from world", exp(20, grp("", entity(ir.EntityWorld), 21), db(22), port(ir.TCP, 5432), true),
			"20: expectation-failed: expected 203.0.113.1 -> production/database:5432/TCP to be allowed, but it is denied\n" +
				"  note 1: no rule allows it; production/database is isolated for ingress by this policy\n"},
		{"fqdn", exp(20, web(21), grp("", fqdnPeer("*.amazonaws.com", false), 22), port(ir.TCP, 443), true),
			"20: expectation-failed: expected production/web -> x.amazonaws.com (198.51.100.1):443/TCP to be allowed, but it is denied\n" +
				"  note 1: no rule allows it; production/web is isolated for egress by this policy\n"},
		{"every pair", exp(20, grp("all", podsPeer(), 21), db(22), port(ir.TCP, 5432), false),
			"20: expectation-failed: expected production/web -> production/database:5432/TCP to be denied, but it is allowed\n" +
				"  note 4: allowed by this rule (on the egress side of production/web)\n" +
				"  note 8: allowed by this rule (on the ingress side of production/database)\n"},
		{"ANY checks three protocols", exp(20, web(21), db(22), port(ir.ProtoAny, 5432), true),
			"20: expectation-failed: expected production/web -> production/database:5432/UDP to be allowed, but it is denied\n" +
				"  note 1: no rule allows it; production/web is isolated for egress by this policy\n" +
				"  note 1: no rule allows it; production/database is isolated for ingress by this policy\n" +
				"  detail: 2 of 3 flows of this expectation fail; the first is shown.\n"},
		{"every port denied: the allowed port is named", exp(20, web(21), db(22), ir.Port{Protocol: ir.ProtoAny}, false),
			"20: expectation-failed: expected production/web -> production/database to be denied on every port and protocol, but 5432/TCP is allowed\n" +
				"  note 4: allowed by this rule (on the egress side of production/web)\n" +
				"  note 8: allowed by this rule (on the ingress side of production/database)\n"},
		{"every port allowed holds", exp(20, web(21), db(22), ir.Port{Protocol: ir.ProtoAny}, true), ""},
		{"every UDP port allowed: none is", exp(20, web(21), db(22), ir.Port{Protocol: ir.UDP}, true),
			"20: expectation-failed: expected production/web -> production/database to be allowed on some port, but it is denied on every UDP port (1/UDP, for one)\n" +
				"  note 1: no rule allows it; production/web is isolated for egress by this policy\n" +
				"  note 1: no rule allows it; production/database is isolated for ingress by this policy\n"},
		{"every port denied towards the metadata IP holds", exp(20, web(21), grp("", cidrPeer("169.254.169.254/32"), 22), ir.Port{Protocol: ir.ProtoAny}, false), ""},
		{"named port of an expectation exists in the representative world", exp(20, web(21), db(22), namedPortOf(ir.TCP, "metrics"), true),
			"20: expectation-failed: expected production/web -> production/database:40000/TCP to be allowed, but it is denied\n" +
				"  note 1: no rule allows it; production/web is isolated for egress by this policy\n" +
				"  note 1: no rule allows it; production/database is isolated for ingress by this policy\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := render(CheckExpectations(expectProgram(c.exp), nil))
			if got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// TestCandidates checks the ports and ICMP types an expectation over every
// port tries: 1, each range's first port and the port past its end (per
// protocol, ANY for all three), and the ICMP types named plus one that is
// not.
func TestCandidates(t *testing.T) {
	p := program(policy(1, "production", sel("app=web"), isoBoth,
		allowOut(2, peers(anyPeer()), onPorts(ports(portRange(ir.TCP, 8000, 8080), port(ir.ProtoAny, 53), port(ir.UDP, 65535), ir.Port{Protocol: ir.SCTP}))),
		allowOut(3, peers(anyPeer()), &traffic{icmp: []ir.ICMPType{{Family: ir.ICMPv4, Type: "0"}, {Family: ir.ICMPv4, Type: "EchoRequest"}, {Family: ir.ICMPv6, Type: "Weird"}}})))
	c := New(p, testWorld()).candidates()
	got := fmt.Sprint(c.ports[ir.TCP], c.ports[ir.UDP], c.ports[ir.SCTP], c.icmp[ir.ICMPv4], c.icmp[ir.ICMPv6])
	if want := "[1 53 54 8000 8081] [1 53 54 65535] [1 53 54] [0 8 1] [0 Weird]"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestCheckExpectationsExplicitWorld(t *testing.T) {
	web := grp("web", podsPeer("app=web"), 21)
	db := grp("database", podsPeer("app=database"), 22)
	prog := expectProgram(
		&ir.Expectation{Span: span(20), Namespace: "production", From: web, To: db, Port: port(ir.TCP, 5432), Allowed: true},
		&ir.Expectation{Span: span(30), Namespace: "production", From: grp("", podsIn("staging", "app=web"), 31), To: db, Port: port(ir.TCP, 5432), Allowed: true},
	)
	w, err := LoadWorld([]byte(`
pods:
  - {namespace: production, name: web-0, labels: {app: web}}
  - {namespace: production, name: web-1, labels: {app: web, canary: "true"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := "22: expectation-empty: no endpoint of the world matches the destination database\n" +
		"31: expectation-empty: no endpoint of the world matches the source staging/{app: web}\n" +
		"22: expectation-empty: no endpoint of the world matches the destination database\n"
	if got := render(CheckExpectations(prog, w)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	w.Pods = append(w.Pods, Pod{Namespace: "production", Name: "db-0", Labels: map[string]string{"app": "database"}})
	if got := render(CheckExpectations(prog, w)); got != "31: expectation-empty: no endpoint of the world matches the source staging/{app: web}\n" {
		t.Errorf("got:\n%s", got)
	}
	prog.Expectations = []*ir.Expectation{{Span: span(40), Namespace: "production", From: web, To: db, Port: namedPortOf(ir.TCP, "pg"), Allowed: true}}
	want = "22: expectation-empty: no destination of database has a port named \"pg\"\n"
	if got := render(CheckExpectations(prog, w)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	w.Pods[2].Ports = []ContainerPort{{Name: "pg", Port: 5432}}
	if got := render(CheckExpectations(prog, w)); got != "" {
		t.Errorf("got:\n%s", got)
	}
}
