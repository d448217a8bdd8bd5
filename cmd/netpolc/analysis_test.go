package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const (
	analysisDir = "testdata/analysis"
	ztWorld     = "../../examples/zero-trust/world.yaml"
	ciliumL7    = "../../examples/cilium-l7"
	shop        = analysisDir + "/shop.netpol"
	shopWorld   = analysisDir + "/shop-world.yaml"
)

// TestAnalysisGolden runs explain, matrix, diff and graph and compares
// exit status, standard output and standard error with
// testdata/analysis/NAME.golden (-update rewrites them).
func TestAnalysisGolden(t *testing.T) {
	tests := []struct {
		name string
		code int
		args []string
	}{
		// explain: sources, both ends governed.
		{"explain-source", 0, []string{"explain", "production/web", "production/database:5432", zeroTrust}},
		{"explain-denied", 0, []string{"explain", "production/database", "production/web:8080", zeroTrust}},
		{"explain-not-selected", 0, []string{"explain", "--world", ztWorld, "ci/tests-0", "development/frontend-0:80", zeroTrust}},
		{"explain-named-port", 0, []string{"explain", "--world", ztWorld, "monitoring/prometheus-0", "production/web-1:metrics", zeroTrust}},
		{"explain-except", 0, []string{"explain", "--world", ztWorld, "web-0", "169.254.169.254:443", zeroTrust}},
		{"explain-outside-world", 0, []string{"explain", "--world", ztWorld, "production/batch-0", "52.94.3.3:443", zeroTrust}},
		{"explain-workload", 0, []string{"explain", "--world", shopWorld, "shop/Deployment/web", "shop/db-0:postgres", shop}},
		// explain: manifests, the original objects.
		{"explain-k8s", 0, []string{"explain", "--world", ztWorld, "production/web-0", "production/database-0:5432", zeroTrust + "/k8s.yaml"}},
		{"explain-cilium-json", 0, []string{"explain", "--world", ztWorld, "--format", "json", "production/web-0", "production/database-0:5432", zeroTrust + "/cilium.yaml"}},
		// explain: L7.
		{"explain-l7-restricted", 0, []string{"explain", "ingress-nginx/nginx", "production/web:8080", ciliumL7}},
		{"explain-l7-allowed", 0, []string{"explain", "--http", "POST /api/auth/login", "--header", "Content-Type: application/json", "ingress-nginx/nginx", "production/web:8080", ciliumL7}},
		{"explain-l7-denied-json", 0, []string{"explain", "--format", "json", "--http", "GET /api/private", "ingress-nginx/nginx", "production/web:8080", ciliumL7}},
		{"explain-fqdn", 0, []string{"explain", "production/web", "s3.amazonaws.com:443", ciliumL7}},
		{"explain-deny-external", 0, []string{"explain", "shop/tool", "169.254.169.254:80", analysisDir + "/deny.netpol"}},
		{"explain-deny-not-isolated", 0, []string{"explain", "--format", "json", "shop/tool", "shop/web:22", analysisDir + "/deny.netpol"}},
		{"explain-icmp", 0, []string{"explain", "shop/web", "shop/db:icmp/EchoRequest", analysisDir + "/icmp.netpol"}},
		{"explain-icmp-denied-json", 0, []string{"explain", "--format", "json", "shop/web", "shop/db:icmp/0", analysisDir + "/icmp.netpol"}},
		{"explain-ordered-deny", 0, []string{"explain", "shop/web", "169.254.169.254:80", analysisDir + "/ordered.netpol"}},
		{"explain-ordered-pass", 0, []string{"explain", "shop/pod", "shop/db:5432", analysisDir + "/ordered.netpol"}},
		{"explain-ordered-allow-json", 0, []string{"explain", "--format", "json", "shop/pod", "kube-system/kube-dns:53/udp", analysisDir + "/ordered.netpol"}},
		{"matrix-ordered", 0, []string{"matrix", "--format", "list", analysisDir + "/ordered.netpol"}},
		{"explain-expect-fails", 1, []string{"explain", "--expect", "denied", "production/web", "production/database:5432", zeroTrust}},

		// matrix.
		{"matrix-representative", 0, []string{"matrix", zeroTrust}},
		{"matrix-world-list", 0, []string{"matrix", "--world", ztWorld, "--format", "list", zeroTrust}},
		{"matrix-k8s-focus", 0, []string{"matrix", "--world", ztWorld, "--focus", "production/web-0", zeroTrust + "/k8s.yaml"}},
		{"matrix-port-csv", 0, []string{"matrix", "--world", ztWorld, "--port", "443", "--format", "csv", zeroTrust}},
		{"matrix-workloads", 0, []string{"matrix", "--world", shopWorld, shop}},
		{"matrix-workloads-json", 0, []string{"matrix", "--world", shopWorld, "--format", "json", shop}},
		{"matrix-per-pod-list", 0, []string{"matrix", "--world", shopWorld, "--per-pod", "--format", "list", shop}},
		{"matrix-l7", 0, []string{"matrix", "--format", "list", ciliumL7}},
		{"matrix-kubectl-objects", 0, []string{"matrix", "--world", zeroTrustCluster, "--format", "list", zeroTrust + "/k8s.yaml"}},
		{"explain-kubectl-workload", 0, []string{"explain", "--world", zeroTrustCluster, "production/Deployment/web", "production/StatefulSet/database:5432", zeroTrust + "/k8s.yaml"}},

		// diff.
		{"diff-one-port", 1, []string{"diff", zeroTrust, analysisDir + "/zero-trust-5433"}},
		{"diff-one-port-json", 0, []string{"diff", "--world", ztWorld, "--format", "json", "--fail-on", "close", zeroTrust, analysisDir + "/zero-trust-5433"}},
		{"diff-reverse", 1, []string{"diff", "--fail-on", "any", analysisDir + "/zero-trust-5433", zeroTrust}},
		{"diff-none", 0, []string{"diff", "--world", ztWorld, zeroTrust, zeroTrust + "/k8s.yaml"}},
		{"diff-targets", 0, []string{"diff", "--world", ztWorld, zeroTrust + "/k8s.yaml", zeroTrust + "/cilium.yaml"}},

		// graph.
		{"graph-dot", 0, []string{"graph", zeroTrust}},
		{"graph-mermaid-l7", 0, []string{"graph", "--format", "mermaid", ciliumL7}},
		{"graph-world-dot", 0, []string{"graph", "--world", shopWorld, shop}},
		{"graph-ordered-mermaid", 0, []string{"graph", "--format", "mermaid", analysisDir + "/ordered.netpol"}},
		{"graph-yaml-mermaid", 0, []string{"graph", "--format", "mermaid", zeroTrust + "/cilium.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runApp(t, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tt.code, r)
			}
			got := "$ netpolc " + strings.Join(tt.args, " ") + "\n" + r.String()
			golden(t, filepath.Join(analysisDir, tt.name+".golden"), got)
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *updateFlag {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update to accept):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// TestAnalysisErrors checks the usage and input errors of the four
// commands: exit status and a message that says what to do.
func TestAnalysisErrors(t *testing.T) {
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"explain too few", "", []string{"explain", "production/web", zeroTrust}, exitUsage, `explain takes SRC DST:PORT\[/PROTO\] and the policy`},
		{"explain unknown pod", "", []string{"explain", "production/wbe", "production/database:5432", zeroTrust}, exitUsage, `SRC: unknown pod "production/wbe" \(did you mean "production/web"\?\)`},
		{"explain unknown name", "", []string{"explain", "--world", ztWorld, "web", "production/database-0:5432", zeroTrust}, exitUsage, `SRC: unknown endpoint "web"`},
		{"explain ambiguous", "", []string{"explain", "--world", ztWorld, "tests-0", "production/database-0:5432", zeroTrust}, exitUsage, `ambiguous endpoint "tests-0": pods ci/tests-0, development/tests-0, production/tests-0; write NS/POD`},
		{"explain unknown workload", "", []string{"explain", "--world", shopWorld, "shop/Deployment/wbe", "shop/db-0:5432", shop}, exitUsage, `unknown workload "shop/Deployment/wbe" \(did you mean "shop/Deployment/web"\?\)`},
		{"explain no port", "", []string{"explain", "production/web", "production/database", zeroTrust}, exitUsage, `want DST:PORT\[/PROTO\]`},
		{"explain bad protocol", "", []string{"explain", "production/web", "production/database:5432/tpc", zeroTrust}, exitUsage, `unknown protocol "tpc" \(tcp, udp or sctp\)`},
		{"explain unknown named port", "", []string{"explain", "--world", ztWorld, "web-0", "production/web-1:metrix", zeroTrust}, exitUsage, `production/web-1 has no container port named "metrix"; its named ports: metrics/TCP`},
		{"explain ipv6 without brackets", "", []string{"explain", "production/web", "2001:db8::1:443", zeroTrust}, exitUsage, `in brackets`},
		{"explain bad icmp type", "", []string{"explain", "shop/web", "shop/db:icmp/Bogus", zeroTrust}, exitUsage, `DST: icmp/Bogus: unknown ICMP type "Bogus"`},
		{"explain icmp without type", "", []string{"explain", "shop/web", "shop/db:icmpv6", zeroTrust}, exitUsage, `DST: icmpv6: name the ICMP type, e.g. icmpv6/8`},
		{"explain bad http", "", []string{"explain", "--http", "GET", "production/web", "production/database:5432", zeroTrust}, exitUsage, `--http "GET": want "METHOD PATH"`},
		{"explain header without http", "", []string{"explain", "--header", "a:b", "production/web", "production/database:5432", zeroTrust}, exitUsage, `--header and --host need --http`},
		{"explain bad expect", "", []string{"explain", "--expect", "yes", "production/web", "production/database:5432", zeroTrust}, exitUsage, `--expect must be allowed or denied`},
		{"explain policy errors", "", []string{"explain", "a/b", "c/d:1", threeMistakes}, exitInput, `error\[bad-port\]`},
		{"matrix bad format", "", []string{"matrix", "--format", "xml", zeroTrust}, exitUsage, `--format must be table, list, csv or json, not "xml"`},
		{"matrix bad port", "", []string{"matrix", "--port", "http", zeroTrust}, exitUsage, `--port "http": want a port number`},
		{"matrix unknown focus", "", []string{"matrix", "--focus", "production/webb", zeroTrust}, exitUsage, `--focus: no row named "production/webb" \(did you mean "production/web"\?\)`},
		{"matrix mixed inputs", "", []string{"matrix", zeroTrust + "/production.netpol", zeroTrust + "/k8s.yaml"}, exitUsage, `mix netpolc sources .* and manifests`},
		{"matrix namespace with sources", "", []string{"matrix", "--namespace", "x", zeroTrust}, exitUsage, `--namespace applies only to manifests`},
		{"matrix bad world", "", []string{"matrix", "--world", "testdata/bad-world.yaml", zeroTrust}, exitInput, `bad-world`},
		{"diff one argument", "", []string{"diff", zeroTrust}, exitUsage, `diff takes two arguments, OLD and NEW, not 1`},
		{"diff two stdins", "", []string{"diff", "-", "-"}, exitUsage, `OLD and NEW cannot both be standard input`},
		{"diff bad fail-on", "", []string{"diff", "--fail-on", "opne", zeroTrust, zeroTrust}, exitUsage, `--fail-on must be open, close, any or none, not "opne" \(did you mean "open"\?\)`},
		{"graph bad format", "", []string{"graph", "--format", "png", zeroTrust}, exitUsage, `--format must be dot, mermaid or svg`},
		{"graph all without world", "", []string{"graph", "--all", zeroTrust}, exitUsage, `--all applies only with --world`},
		{"graph flag after files", "", []string{"graph", zeroTrust, "--format", "svg"}, exitUsage, `flag --format must come before the files`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runApp(t, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tt.code, r)
			}
			if !regexp.MustCompile(tt.stderr).MatchString(r.stderr) {
				t.Errorf("stderr does not match %q\n%s", tt.stderr, r)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty after a failure\n%s", r)
			}
		})
	}
}

// TestAnalysisStdin reads the policy from standard input, as sources and
// as manifests, and gets what the files give.
func TestAnalysisStdin(t *testing.T) {
	for _, file := range []string{zeroTrust + "/production.netpol", zeroTrust + "/k8s.yaml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		fromFile := runApp(t, "", "matrix", "--world", ztWorld, "--format", "list", file)
		fromStdin := runApp(t, string(data), "matrix", "--world", ztWorld, "--format", "list", "-")
		if fromFile.code != 0 || fromStdin.stdout != fromFile.stdout {
			t.Errorf("%s: standard input gives another matrix\n--- file\n%s\n--- stdin\n%s", file, fromFile, fromStdin)
		}
	}
}

// TestDiffOneLineChange is the acceptance test of diff: one port added to
// one arrow of examples/zero-trust opens exactly that connection, for
// every pod pair it concerns, and closes nothing.
func TestDiffOneLineChange(t *testing.T) {
	r := runApp(t, "", "diff", "--world", ztWorld, "--per-pod", "--format", "json", zeroTrust, analysisDir+"/zero-trust-5433")
	if r.code != exitInput {
		t.Fatalf("exit %d, want 1 (something opens)\n%s", r.code, r)
	}
	var d struct {
		Opened, Closed int
		Changes        []struct {
			From, To string
			Opened   *struct{ Connections string }
			Closed   *struct{ Connections string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range d.Changes {
		if c.Closed != nil || c.Opened == nil {
			t.Errorf("unexpected change %+v", c)
			continue
		}
		got = append(got, c.From+" -> "+c.To+": "+c.Opened.Connections)
	}
	want := "production/web-0 -> production/database-0: TCP 5433\nproduction/web-1 -> production/database-0: TCP 5433"
	if strings.Join(got, "\n") != want || d.Opened != 2 || d.Closed != 0 {
		t.Errorf("changes:\n%s\nwant:\n%s\n(opened %d, closed %d)", strings.Join(got, "\n"), want, d.Opened, d.Closed)
	}
	// The same comparison the other way closes exactly that.
	r = runApp(t, "", "diff", "--world", ztWorld, "--fail-on", "open", analysisDir+"/zero-trust-5433", zeroTrust)
	if r.code != exitOK || !strings.Contains(r.stdout, "0 pairs opened, 2 pairs closed") {
		t.Errorf("reverse diff:\n%s", r)
	}
}

// svgDoc is the part of an SVG drawn by netpolc graph that the tests read.
type svgDoc struct {
	Groups []svgGroup `xml:"g"`
}

type svgGroup struct {
	Class string   `xml:"class,attr"`
	ID    string   `xml:"id,attr"`
	Title string   `xml:"title"`
	Texts []string `xml:"text"`
	Paths []struct {
		D string `xml:"d,attr"`
	} `xml:"path"`
}

func parseSVG(t *testing.T, data string) (clusters, nodes map[string]bool, edges map[string]string) {
	t.Helper()
	var doc svgDoc
	if err := xml.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatalf("the SVG does not parse: %v", err)
	}
	clusters, nodes, edges = map[string]bool{}, map[string]bool{}, map[string]string{}
	for _, g := range doc.Groups {
		switch g.Class {
		case "cluster":
			clusters[g.Title] = true
		case "node":
			nodes[g.Title] = true
		case "edge":
			if len(g.Paths) != 1 || len(g.Texts) != 1 {
				t.Errorf("edge %s: %d paths and %d labels, want 1 and 1", g.Title, len(g.Paths), len(g.Texts))
				continue
			}
			if _, dup := edges[g.Title]; dup {
				t.Errorf("edge %s drawn twice", g.Title)
			}
			edges[g.Title] = g.Texts[0]
		}
	}
	return clusters, nodes, edges
}

// TestGraphSVG renders the examples and reads the SVG back: one cluster
// per namespace, a node per group, an edge per flow with its ports, L7 and
// FQDN marked.
func TestGraphSVG(t *testing.T) {
	r := runApp(t, "", "graph", "--format", "svg", zeroTrust)
	if r.code != 0 {
		t.Fatal(r)
	}
	clusters, nodes, edges := parseSVG(t, r.stdout)
	wantClusters := "ingress-nginx kube-system monitoring ns{environment: dev} production"
	if got := strings.Join(sortedSet(clusters), " "); got != wantClusters {
		t.Errorf("clusters %q, want %q", got, wantClusters)
	}
	wantEdges := map[string]string{
		"web {app: web} -> database {app: database}":                                                       "5432/TCP",
		"web {app: web} -> redis {app: redis}":                                                             "6379/TCP",
		"nginx {app.kubernetes.io/name: ingress-nginx} -> web {app: web}":                                  "8080/TCP [ingress only]",
		"prometheus {app: prometheus} -> web {app: web}":                                                   "metrics/TCP [ingress only]",
		"devtests {app: integration-tests} -> api {app: api, tier: public}":                                "8080/TCP [ingress only]",
		"all pods -> kubedns {k8s-app: kube-dns}":                                                          "53/TCP, 53/UDP [egress only]",
		"needs-apis {requires: external-apis} -> 52.94.0.0/20":                                             "443/TCP",
		"needs-apis {requires: external-apis} -> 104.16.0.0/12":                                            "443/TCP",
		"web {app: web} -> 0.0.0.0/0 except 10.0.0.0/8, 169.254.169.254/32, 172.16.0.0/12, 192.168.0.0/16": "443/TCP",
	}
	for title, label := range wantEdges {
		if got, ok := edges[title]; !ok {
			t.Errorf("no edge %q", title)
		} else if got != label {
			t.Errorf("edge %q labelled %q, want %q", title, got, label)
		}
	}
	if len(edges) != len(wantEdges) {
		t.Errorf("%d edges, want %d: %v", len(edges), len(wantEdges), edges)
	}
	if len(nodes) != 13 {
		t.Errorf("%d nodes, want 13: %v", len(nodes), sortedSet(nodes))
	}

	r = runApp(t, "", "graph", "--format", "svg", ciliumL7)
	if r.code != 0 {
		t.Fatal(r)
	}
	clusters, _, edges = parseSVG(t, r.stdout)
	if got := strings.Join(sortedSet(clusters), " "); got != "ingress-nginx kube-system production" {
		t.Errorf("cilium-l7 clusters %q", got)
	}
	for title, label := range map[string]string{
		"nginx {app.kubernetes.io/name: ingress-nginx} -> web {app: web}": "8080/TCP HTTP [ingress only]",
		"web {app: web} -> *.amazonaws.com":                               "443/TCP [FQDN]",
		"web {app: web} -> kube-apiserver":                                "443/TCP",
	} {
		if edges[title] != label {
			t.Errorf("cilium-l7 edge %q labelled %q, want %q (edges: %v)", title, edges[title], label, edges)
		}
	}

	// The analysed graph of a world: workloads as nodes, the canary split.
	r = runApp(t, "", "graph", "--format", "svg", "--world", shopWorld, shop)
	if r.code != 0 {
		t.Fatal(r)
	}
	clusters, nodes, edges = parseSVG(t, r.stdout)
	if got := strings.Join(sortedSet(clusters), " "); got != "kube-system shop" {
		t.Errorf("shop clusters %q", got)
	}
	for title, label := range map[string]string{
		"Deployment/web -> StatefulSet/db": "TCP 5432",
		"Deployment/web -> api-5c4b-a":     "TCP 8080",
		"Deployment/web -> api-5c4b-b":     "TCP 8080,9090",
	} {
		if edges[title] != label {
			t.Errorf("shop edge %q labelled %q, want %q (edges: %v)", title, edges[title], label, edges)
		}
	}
}

func sortedSet(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestREADMEPicture keeps docs/zero-trust.svg, the picture the README and
// docs/analysis.md show, equal to what netpolc graph draws.
func TestREADMEPicture(t *testing.T) {
	r := runApp(t, "", "graph", "--format", "svg", zeroTrust)
	if r.code != 0 {
		t.Fatal(r)
	}
	golden(t, "../../docs/zero-trust.svg", r.stdout)
}

// TestAnalysisHelpExamples runs, from the repository root, the examples of
// the help texts of explain, matrix, diff and graph that use only files of
// the repository (no pipes or redirections), and checks that they succeed
// (diff: exit 0 or 1; explain --expect as written).
func TestAnalysisHelpExamples(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	helps := map[string]string{"explain": explainHelp, "matrix": matrixHelp, "diff": diffHelp, "graph": graphHelp}
	ran := 0
	t.Chdir(root)
	for cmd, help := range helps {
		_, examples, ok := strings.Cut(help, "Examples:\n")
		if !ok {
			t.Errorf("%s: help has no examples", cmd)
			continue
		}
	lines:
		for _, line := range strings.Split(examples, "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "netpolc ") || strings.ContainsAny(line, "|<>&;$") {
				continue
			}
			args := splitQuoted(strings.TrimPrefix(line, "netpolc "))
			for _, a := range args {
				file := strings.HasSuffix(a, "/")
				for _, ext := range []string{".yaml", ".yml", ".json", ".netpol"} {
					file = file || strings.HasSuffix(a, ext)
				}
				if _, err := os.Stat(a); file && err != nil {
					continue lines // a file of the user's (cluster.yaml, policies/)
				}
			}
			ran++
			r := runApp(t, "", args...)
			if r.code != exitOK && !(cmd == "diff" && r.code == exitInput) {
				t.Errorf("%s: exit %d\n%s", line, r.code, r)
			}
		}
	}
	if ran < 6 {
		t.Errorf("only %d help examples ran", ran)
	}
}

// splitQuoted splits s at spaces outside double quotes, and drops the quotes.
func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, started := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, started = !quoted, true
		case r == ' ' && !quoted:
			if started {
				out = append(out, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if started {
		out = append(out, cur.String())
	}
	return out
}

// TestICMPJSON decodes the JSON of matrix and diff over a program with ICMP
// rules with a plain decoder and checks the ICMP types: ranges of numbers
// like the ports, not the base64 string encoding/json makes of a []uint8.
func TestICMPJSON(t *testing.T) {
	type conns struct {
		Connections  string
		ICMP, ICMPv6 [][2]int
	}
	r := runApp(t, "", "matrix", "--format", "json", analysisDir+"/icmp-types.netpol")
	if r.code != exitOK {
		t.Fatalf("matrix: exit %d\n%s", r.code, r)
	}
	var m struct {
		Connections []struct {
			From, To string
			conns
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("matrix JSON: %v", err)
	}
	cells := map[string]conns{}
	for _, c := range m.Connections {
		cells[c.From+" -> "+c.To] = c.conns
	}
	want := map[string]conns{
		// 8 and 9 are one range.
		"shop/web -> shop/db": {Connections: "ICMP 0,8,9; ICMPv6 128", ICMP: [][2]int{{0, 0}, {8, 9}}, ICMPv6: [][2]int{{128, 128}}},
		// Unrestricted: every type of both families.
		"host -> host": {Connections: "all", ICMP: [][2]int{{0, 255}}, ICMPv6: [][2]int{{0, 255}}},
		// No ICMP at all: the fields are left out.
		"shop/web -> kube-system/kube-dns": {Connections: "TCP 53; UDP 53"},
	}
	for pair, w := range want {
		if got, ok := cells[pair]; !ok || !reflect.DeepEqual(got, w) {
			t.Errorf("matrix %s: got %+v (present %v), want %+v", pair, got, ok, w)
		}
	}

	r = runApp(t, "", "diff", "--format", "json", analysisDir+"/icmp.netpol", analysisDir+"/icmp-types.netpol")
	if r.code != exitInput {
		t.Fatalf("diff: exit %d, want 1 (something opens)\n%s", r.code, r)
	}
	var d struct {
		Changes []struct {
			From, To       string
			Opened, Closed *conns
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("diff JSON: %v", err)
	}
	wantOpened := conns{Connections: "ICMP 0,9; ICMPv6 128", ICMP: [][2]int{{0, 0}, {9, 9}}, ICMPv6: [][2]int{{128, 128}}}
	if len(d.Changes) != 1 || d.Changes[0].From != "shop/web" || d.Changes[0].To != "shop/db" ||
		d.Changes[0].Closed != nil || d.Changes[0].Opened == nil || !reflect.DeepEqual(*d.Changes[0].Opened, wantOpened) {
		t.Errorf("diff changes %+v, want one opening %+v from shop/web to shop/db", d.Changes, wantOpened)
	}
}
