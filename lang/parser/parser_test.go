package parser

import (
	"flag"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/source"
)

var update = flag.Bool("update", false, "rewrite golden files")

// parseTests are single statements (or a few lines) and the S-expression of
// the parsed file without its "(file" wrapper.
var parseTests = []struct {
	name, src, want string
}{
	{"namespace", "namespace production", `(namespace "production")`},
	{"clusterwide", "clusterwide", `(clusterwide)`},
	{"default deny", "default deny", `(default-deny)`},
	{"default deny ingress", "default deny ingress", `(default-deny ingress)`},
	{"default deny egress", "default deny egress", `(default-deny egress)`},
	{"isolate", "isolate web, api egress", `(isolate egress (subjects (ref "web") (ref "api")))`},
	{"allow dns", "allow dns", `(allow-dns)`},
	{"allow dns for", "allow dns for web, api", `(allow-dns (for (ref "web") (ref "api")))`},
	{"allow dns lookups", `allow dns for web lookups "*.svc.cluster.local", "**.amazonaws.com"`,
		`(allow-dns (for (ref "web")) (lookups "*.svc.cluster.local" "**.amazonaws.com"))`},
	{"dns server", "dns server kube-system/{k8s-app: kube-dns}:53",
		`(dns-server (pods (ns "kube-system") (sel (= "k8s-app" "kube-dns"))) (port 53))`},
	// Namespaces spelt like keywords still start rules.
	{"keyword namespace default", "default/{app: x} -> web:80",
		`(rule (from (pods (ns "default") (sel (= "app" "x")))) (to (target (ref "web") (port 80))))`},
	{"keyword namespace dns", "dns/{} -> web:80",
		`(rule (from (pods (ns "dns") (sel))) (to (target (ref "web") (port 80))))`},
	{"keyword namespace allow", "allow/{} -> web:80",
		`(rule (from (pods (ns "allow") (sel))) (to (target (ref "web") (port 80))))`},
	{"group", "web = {app: web}", `(group "web" (peers (pods (sel (= "app" "web")))))`},
	{"group union", "g = a, b", `(group "g" (peers (ref "a") (ref "b")))`},
	{"empty selector", "all-pods = {}", `(group "all-pods" (peers (pods (sel))))`},
	{"ns by name", "nginx = ingress-nginx/{app.kubernetes.io/name: ingress-nginx}",
		`(group "nginx" (peers (pods (ns "ingress-nginx") (sel (= "app.kubernetes.io/name" "ingress-nginx")))))`},
	{"ns group", "p = monitoring/prom", `(group "p" (peers (pods (ns "monitoring") (group "prom"))))`},
	{"ns labels and pods", "t = ns{environment: dev}/{app: tests}",
		`(group "t" (peers (pods (ns (sel (= "environment" "dev"))) (sel (= "app" "tests")))))`},
	{"ns labels only", "t = ns{environment: dev}, ns{}",
		`(group "t" (peers (pods (ns (sel (= "environment" "dev")))) (pods (ns (sel)))))`},
	{"selector terms", `s = {a != b, c in (d, "e f"), g notin (h), k, !l, "k8s:app": "1.2", v: 5}`,
		`(group "s" (peers (pods (sel (!= "a" "b") (in "c" "d" "e f") (notin "g" "h") (exists "k") (!exists "l") (= "k8s:app" "1.2") (= "v" "5")))))`},
	{"selector prefix key", "n = node{node-role.kubernetes.io/control-plane}",
		`(group "n" (peers (node (sel (exists "node-role.kubernetes.io/control-plane")))))`},
	{"entities", "e = world, world-ipv4, world-ipv6, cluster, host, remote-node, kube-apiserver, health, init, unmanaged, cluster-mesh, all",
		`(group "e" (peers (entity "world") (entity "world-ipv4") (entity "world-ipv6") (entity "cluster") (entity "host") (entity "remote-node") (entity "kube-apiserver") (entity "health") (entity "init") (entity "unmanaged") (entity "cluster-mesh") (entity "all")))`},
	{"entity()", "e = entity(ingress), entity(none)", `(group "e" (peers (entity "ingress") (entity "none")))`},
	{"services", "s = service(default/kubernetes), service(shop/{tier: db})",
		`(group "s" (peers (service "default" "kubernetes") (service "shop" (sel (= "tier" "db")))))`},
	{"any", "a = *", `(group "a" (peers (any)))`},
	{"cidr", "c = 10.0.0.0/8, 10.1.2.3, 2001:db8::/32",
		`(group "c" (peers (cidr "10.0.0.0/8") (cidr "10.1.2.3") (cidr "2001:db8::/32")))`},
	{"cidr except", "c = 0.0.0.0/0 except [10.0.0.0/8, 192.168.0.0/16], 0.0.0.0/0 except 10.0.0.0/8, ::/0 except [fd00::/8]",
		`(group "c" (peers (cidr "0.0.0.0/0" (except "10.0.0.0/8" "192.168.0.0/16")) (cidr "0.0.0.0/0" (except "10.0.0.0/8")) (cidr "::/0" (except "fd00::/8"))))`},
	{"fqdn", `f = "api.example.com", "*.amazonaws.com"`, `(group "f" (peers (fqdn "api.example.com") (fqdn "*.amazonaws.com")))`},
	{"rule", "web -> database:5432/tcp", `(rule (from (ref "web")) (to (target (ref "database") (port 5432 / "tcp"))))`},
	{"rule no spaces", "web->db:80", `(rule (from (ref "web")) (to (target (ref "db") (port 80))))`},
	{"rule no ports", "web -> db", `(rule (from (ref "web")) (to (target (ref "db"))))`},
	{"rule union", "a, b -> c:80, d:443", `(rule (from (ref "a") (ref "b")) (to (target (ref "c") (port 80)) (target (ref "d") (port 443))))`},
	{"rule modifiers", "deny ingress nonisolating a -> b:80", `(rule deny ingress nonisolating (from (ref "a")) (to (target (ref "b") (port 80))))`},
	{"rule egress", "egress a -> world:443", `(rule egress (from (ref "a")) (to (target (entity "world") (port 443))))`},
	{"ports", "a -> b:[*, */udp, 80, 8000-8080/tcp, metrics, metrics/udp, /udp, icmp, icmp/8, icmpv6/128, icmp/echo-request, 53/any]",
		`(rule (from (ref "a")) (to (target (ref "b") (port *) (port * / "udp") (port 80) (port 8000 - 8080 / "tcp") (port name "metrics") (port name "metrics" / "udp") (port / "udp") (port icmp / "icmp") (port icmp "8" / "icmp") (port icmp "128" / "icmpv6") (port icmp "echo-request" / "icmp") (port 53 / "any"))))`},
	{"port semantics not checked", "a -> b:99999-0/TCP", `(rule (from (ref "a")) (to (target (ref "b") (port 99999 / "TCP"))))`},
	{"cidr target", "a -> 10.0.0.0/8:443, 2001:db8::/32:443", `(rule (from (ref "a")) (to (target (cidr "10.0.0.0/8") (port 443)) (target (cidr "2001:db8::/32") (port 443))))`},
	{"fqdn target", `a -> "s3.amazonaws.com":443`, `(rule (from (ref "a")) (to (target (fqdn "s3.amazonaws.com") (port 443))))`},
	{"selector source", "{app: a} -> {app: b}:80", `(rule (from (pods (sel (= "app" "a")))) (to (target (pods (sel (= "app" "b"))) (port 80))))`},
	{"http block", "nginx -> web:8080 http {\n  GET  /api/public/.*\n  POST /api/auth/.* header Content-Type: application/json\n  *    /healthz host \"api\\.example\\.com\"\n}",
		`(rule (from (ref "nginx")) (to (target (ref "web") (port 8080))) (http (req (method "GET") (path "/api/public/.*")) (req (method "POST") (path "/api/auth/.*") (header "Content-Type" "application/json")) (req (path "/healthz") (host "api\\.example\\.com"))))`},
	{"http headers", "a -> b:80 http {\n GET header X header Y:z header \"A B\": \"c d\" header Q: r\n}",
		`(rule (from (ref "a")) (to (target (ref "b") (port 80))) (http (req (method "GET") (header "X") (header "Y" "z") (header "A B" "c d") (header "Q" "r"))))`},
	{"http quoted", "a -> b:80 http {\n \"*\" \"/a b\" host \"h\"\n}",
		`(rule (from (ref "a")) (to (target (ref "b") (port 80))) (http (req (method "*") (path "/a b") (host "h"))))`},
	{"http empty", "a -> b:80 http {}", `(rule (from (ref "a")) (to (target (ref "b") (port 80))) (http))`},
	{"http one line", "a -> b:80 http { GET /x }", `(rule (from (ref "a")) (to (target (ref "b") (port 80))) (http (req (method "GET") (path "/x"))))`},
	{"http blank lines", "a -> b:80 http {\n\n GET /x\n\n\n PUT\n\n}",
		`(rule (from (ref "a")) (to (target (ref "b") (port 80))) (http (req (method "GET") (path "/x")) (req (method "PUT"))))`},
	{"expect", "expect web -> database:5432/tcp allowed", `(expect allowed (ref "web") (target (ref "database") (port 5432 / "tcp")))`},
	{"expect denied", "expect devtests -> database:5432 denied", `(expect denied (ref "devtests") (target (ref "database") (port 5432)))`},
	{"expect http", "expect nginx -> web:8080 http { GET /api/public/x } allowed",
		`(expect allowed (ref "nginx") (target (ref "web") (port 8080)) (req (method "GET") (path "/api/public/x")))`},
	{"expect cidr", "expect web -> 8.8.8.8:443 allowed", `(expect allowed (ref "web") (target (cidr "8.8.8.8") (port 443)))`},
	{"multi-line selector", "web = {\n  app: web,\n  tier: front\n}", `(group "web" (peers (pods (sel (= "app" "web") (= "tier" "front")))))`},
	{"string escapes", `s = {k: "a\"b\\c\.d"}`, `(group "s" (peers (pods (sel (= "k" "a\"b\\c\\.d")))))`},
	{"crlf", "namespace a\r\nweb -> db:80\r\n", "(namespace \"a\")\n  (rule (from (ref \"web\")) (to (target (ref \"db\") (port 80))))"},
	{"bad statement", "web -> -> db", `(bad "web -> -> db")`},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			f, diags := ParseFile(source.NewFile("t.netpol", []byte(tt.src)))
			got := strings.TrimSuffix(strings.TrimPrefix(ast.Dump(f), "(file\n  "), ")")
			if got != tt.want {
				t.Errorf("ParseFile(%q)\ngot  %s\nwant %s", tt.src, got, tt.want)
			}
			wantErr := strings.HasPrefix(tt.want, "(bad")
			if diags.HasErrors() != wantErr {
				t.Errorf("ParseFile(%q): errors %v, want errors: %v", tt.src, diags, wantErr)
			}
		})
	}
}

func isBad(s ast.Stmt) bool {
	_, ok := s.(*ast.BadStmt)
	return ok
}
