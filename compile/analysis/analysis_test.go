package analysis_test

import (
	"fmt"
	"math/rand"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/compile/analysis"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/compile/reach"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
)

func testWorld() *eval.World {
	return &eval.World{
		Namespaces: []eval.Namespace{{Name: "shop"}, {Name: "ops"}},
		Pods: []eval.Pod{
			{Namespace: "shop", Name: "web-a", Workload: "Deployment/web", Labels: map[string]string{"app": "web"}, IP: netip.MustParseAddr("10.0.0.1")},
			{Namespace: "shop", Name: "web-b", Workload: "Deployment/web", Labels: map[string]string{"app": "web"}},
			{Namespace: "shop", Name: "db-0", Workload: "StatefulSet/db", Labels: map[string]string{"app": "db"}, Ports: []eval.ContainerPort{{Name: "pg", Port: 5432}}},
			{Namespace: "ops", Name: "db-0", Labels: map[string]string{"app": "tool"}},
		},
		Externals: []eval.External{{IP: netip.MustParseAddr("8.8.8.8"), Names: []string{"dns.google"}}},
		Nodes:     []eval.Node{{Name: "n1", IP: netip.MustParseAddr("172.16.0.1")}},
	}
}

func TestParseEndpoint(t *testing.T) {
	w := testWorld()
	tests := []struct {
		in, want, note, err string
	}{
		{in: "shop/web-b", want: "shop/web-b"},
		{in: "web-a", want: "shop/web-a"},
		{in: "shop/Deployment/web", want: "shop/web-a", note: "the first of 2 pods of Deployment/web"},
		{in: "shop/deployment/web", want: "shop/web-a", note: "the first of 2 pods of Deployment/web"},
		{in: "shop/StatefulSet/db", want: "shop/db-0"},
		{in: "node/n1", want: "node/n1"},
		{in: "host", want: "host"},
		{in: "kube-apiserver", want: "kube-apiserver"},
		{in: "10.0.0.1", want: "shop/web-a"},
		{in: "172.16.0.1", want: "node/n1"},
		{in: "8.8.8.8", want: "dns.google (8.8.8.8)"},
		{in: "DNS.google.", want: "dns.google (8.8.8.8)"},
		{in: "1.1.1.1", want: "1.1.1.1", note: "an address outside the world"},
		{in: "[2001:db8::1]", want: "2001:db8::1", note: "an address outside the world"},
		{in: "api.example.com", want: "api.example.com", note: "a name the world does not resolve: no address, so CIDR rules do not match it"},
		{in: "db-0", err: `ambiguous endpoint "db-0": pods ops/db-0, shop/db-0; write NS/POD`},
		{in: "shop/wbe-a", err: `unknown pod "shop/wbe-a" (did you mean "shop/web-a"?); the world has host, kube-apiserver, node/n1, ops/db-0, shop/db-0, shop/web-a, shop/web-b`},
		{in: "shop/Deployment/wbe", err: `unknown workload "shop/Deployment/wbe" (did you mean "shop/Deployment/web"?); the world has shop/Deployment/web, shop/StatefulSet/db`},
		{in: "node/n2", err: `unknown node "node/n2" (did you mean "node/n1"?); the world has node/n1`},
		{in: "a/b/c/d", err: `bad endpoint "a/b/c/d"`},
		{in: "", err: "empty endpoint name"},
	}
	for _, tt := range tests {
		r, err := analysis.ParseEndpoint(w, tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.in, err, tt.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.in, err)
		case analysis.EndpointName(r.Endpoint) != tt.want || r.Note != tt.note:
			t.Errorf("%q: %s (note %q), want %s (note %q)", tt.in, analysis.EndpointName(r.Endpoint), r.Note, tt.want, tt.note)
		}
	}
}

func TestResolvePort(t *testing.T) {
	w := testWorld()
	db := eval.PodEndpoint(&w.Pods[2])
	if n, p, err := analysis.ResolvePort(db, "pg", ""); err != nil || n != 5432 || p != ir.TCP {
		t.Errorf("pg: %d %s %v", n, p, err)
	}
	if n, p, err := analysis.ResolvePort(db, "53", ir.UDP); err != nil || n != 53 || p != ir.UDP {
		t.Errorf("53/udp: %d %s %v", n, p, err)
	}
	for in, want := range map[string]string{
		"pgg": `shop/db-0 has no container port named "pgg"; its named ports: pg/TCP`,
		"0":   "port 0 is not a port",
	} {
		if _, _, err := analysis.ResolvePort(db, in, ""); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", in, err, want)
		}
	}
	if _, _, err := analysis.ResolvePort(db, "pg", ir.UDP); err == nil || !strings.Contains(err.Error(), "with protocol UDP") {
		t.Errorf("pg/udp: %v", err)
	}
	if _, _, err := analysis.ResolvePort(eval.APIServer(), "pg", ""); err == nil {
		t.Error("a named port on the API server resolved")
	}
}

// TestGroupIsExact checks the matrix against the evaluator on random
// programs and worlds whose pods are put into workloads at random: for
// every pair of nodes, every pod of each, and the ports worth probing,
// the cell says allowed exactly when eval.Decide does. So grouping never
// hides a pod that differs from its workload's row.
func TestGroupIsExact(t *testing.T) {
	n := 60
	if testing.Short() {
		n = 20
	}
	failures := testgen.RunSeeds(1, n, 3, func(seed int64) string {
		c := testgen.New(seed)
		prog, diags := backendtest.CompileGenerated(c)
		if prog == nil {
			return fmt.Sprintf("seed %d: %v", seed, diags)
		}
		w := c.World
		r := rand.New(rand.NewSource(seed))
		for i := range w.Pods {
			// Two workloads per namespace; pods with other labels in one
			// workload make it split.
			w.Pods[i].Workload = fmt.Sprintf("Deployment/w%d", r.Intn(2))
		}
		w, labels := analysis.WithExternals(w, analysis.Peers(prog))
		an := reach.New(prog, w, reach.Options{})
		conn := analysis.Group(w, analysis.GroupOptions{Labels: labels}, an)
		ev := eval.New(prog, w)
		eps := an.Endpoints()
		members := func(node analysis.Node) []eval.Endpoint {
			var out []eval.Endpoint
			for _, ep := range eps {
				switch {
				case node.Kind == analysis.KindWorkload && ep.Kind == eval.EndpointPod:
					if ep.Pod.Namespace == node.Namespace && ep.Pod.Workload == node.Workload {
						out = append(out, ep)
					}
				case analysis.EndpointName(ep) == node.Name || len(node.Peers) > 0 && ep.Kind == eval.EndpointExternal && strings.HasSuffix(node.Name, "("+ep.External.IP.String()+")"):
					out = append(out, ep)
				}
			}
			return out
		}
		ports := testgen.InterestingPorts(prog, w)
		seen := 0
		for i, a := range conn.Nodes {
			for j, b := range conn.Nodes {
				cell := conn.Cell(i, j)
				for _, from := range members(a) {
					for _, to := range members(b) {
						seen++
						for _, proto := range []ir.Protocol{ir.TCP, ir.UDP} {
							for _, port := range ports {
								v := ev.Decide(eval.Flow{From: from, To: to, Protocol: proto, Port: port})
								if v.Allowed != cell.Contains(proto, port) {
									return fmt.Sprintf("seed %d: %s -> %s %d/%s: eval %v, cell of %s -> %s is %s", seed, from, to, port, proto, v.Allowed, a.Name, b.Name, cell)
								}
								if v.L7Restricted != cell.L7Restricted(proto, port) && v.Allowed {
									return fmt.Sprintf("seed %d: %s -> %s %d/%s: eval L7 %v, cell %s", seed, from, to, port, proto, v.L7Restricted, cell)
								}
							}
						}
					}
				}
			}
		}
		if seen < len(eps)*len(eps) {
			return fmt.Sprintf("seed %d: the nodes cover %d pairs of %d endpoints", seed, seen, len(eps))
		}
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
}

// TestGroupSplits: a workload whose pods differ is shown pod by pod; one
// whose pods are alike is one node.
func TestGroupSplits(t *testing.T) {
	w := testWorld()
	w.Pods[1].Labels = map[string]string{"app": "web", "canary": "yes"}
	prog, diags := backendtest.CompileText("t.netpol", "namespace shop\ndefault deny\nweb = {app: web}\ncanary = {canary: yes}\ndb = {app: db}\nweb -> db:pg\ncanary -> db:6543/tcp\n", w)
	if prog == nil {
		t.Fatal(diags)
	}
	an := reach.New(prog, w, reach.Options{})
	var names []string
	conn := analysis.Group(w, analysis.GroupOptions{}, an)
	for _, n := range conn.Nodes {
		names = append(names, fmt.Sprintf("%s %s split=%v", n.Kind, n.Name, n.Split))
	}
	want := "pod ops/db-0 split=false|workload shop/StatefulSet/db split=false|pod shop/web-a split=true|pod shop/web-b split=true|external dns.google (8.8.8.8) split=false|node node/n1 split=false|kube-apiserver kube-apiserver split=false|host host split=false"
	if got := strings.Join(names, "|"); got != want {
		t.Errorf("nodes:\n%s\nwant:\n%s", got, want)
	}
	// Alike again: one node.
	w.Pods[1].Labels = map[string]string{"app": "web"}
	conn = analysis.Group(w, analysis.GroupOptions{}, reach.New(prog, w, reach.Options{}))
	if i, ok := conn.Find("shop/web-b"); !ok || conn.Nodes[i].Name != "shop/Deployment/web" || len(conn.Nodes[i].Pods) != 2 {
		t.Errorf("web not grouped: %+v", conn.Nodes)
	}
	if got := conn.Cell(mustFind(t, conn, "shop/Deployment/web"), mustFind(t, conn, "shop/StatefulSet/db")).String(); got != "TCP 5432" {
		t.Errorf("web -> db: %s", got)
	}
}

func mustFind(t *testing.T, c *analysis.Connectivity, name string) int {
	t.Helper()
	i, ok := c.Find(name)
	if !ok {
		t.Fatalf("no node %s in %v", name, c.Names())
	}
	return i
}

// TestWithExternals: an external per CIDR, DNS name and world entity the
// rules mention, unless the world has one; labelled with the peers.
func TestWithExternals(t *testing.T) {
	w := testWorld()
	prog, diags := backendtest.CompileText("t.netpol", `namespace shop
web = {app: web}
web -> 52.94.0.0/20 except [52.94.0.0/24]:443/tcp
web -> 8.8.0.0/16:53/udp
web -> "*.example.com":443/tcp
web -> "dns.google":443/tcp
web -> world:80/tcp
`, w)
	if prog == nil {
		t.Fatal(diags)
	}
	out, labels := analysis.WithExternals(w, analysis.Peers(prog))
	var got []string
	for i, x := range out.Externals {
		got = append(got, fmt.Sprintf("%s %v %v", x.IP, x.Names, labels[i]))
	}
	want := `8.8.8.8 [dns.google] []|198.51.100.101 [x.example.com] ["*.example.com"]|52.94.1.0 [] [52.94.0.0/20 except [52.94.0.0/24]]`
	if strings.Join(got, "|") != want {
		t.Errorf("externals:\n%s\nwant:\n%s", strings.Join(got, "|"), want)
	}
	if len(w.Externals) != 1 {
		t.Error("WithExternals changed its world")
	}
}

// TestGraphDeterministic: the same program gives the same bytes in every
// format, and the DOT is well formed enough (balanced braces, one edge
// line per edge).
func TestGraphDeterministic(t *testing.T) {
	prog, diags := backendtest.CompileText("t.netpol", "namespace shop\ndefault deny\nweb = {app: web}\ndb = {app: db}\napi = {app: api}\nweb -> db:5432/tcp\nweb -> api:8080/tcp http {\n GET /x\n}\nweb -> \"a.example.com\":443/tcp\n", nil)
	if prog == nil {
		t.Fatal(diags)
	}
	g := analysis.IntendedGraph(prog)
	dot, mm, svg := g.DOT(), g.Mermaid(), g.SVG()
	for i := 0; i < 5; i++ {
		g2 := analysis.IntendedGraph(prog)
		if g2.DOT() != dot || g2.Mermaid() != mm || g2.SVG() != svg {
			t.Fatal("graph output differs between runs")
		}
	}
	if strings.Count(dot, "{") != strings.Count(dot, "}") {
		t.Errorf("unbalanced DOT:\n%s", dot)
	}
	edges := regexp.MustCompile(`(?m)^  n\d+ -> n\d+ \[label="([^"]*)"`).FindAllStringSubmatch(dot, -1)
	var labels []string
	for _, e := range edges {
		labels = append(labels, e[1])
	}
	want := "8080/TCP HTTP|5432/TCP|443/TCP [FQDN]" // by destination: api, db, the name
	if strings.Join(labels, "|") != want {
		t.Errorf("edge labels %q, want %q\n%s", strings.Join(labels, "|"), want, dot)
	}
}

// TestGraphClusterIDs: namespaces (and selectors) whose IDs would clash
// stay apart.
func TestGraphClusterIDs(t *testing.T) {
	prog, diags := backendtest.CompileText("t.netpol", "namespace shop\nweb = {app: web}\nweb -> ns{a.b: x}/{app: db}:5432/tcp\nweb -> ns{a-b: x}/{app: db}:5432/tcp\n", nil)
	if prog == nil {
		t.Fatal(diags)
	}
	g := analysis.IntendedGraph(prog)
	var got []string
	for _, c := range g.Clusters {
		got = append(got, c.ID+"="+c.Label)
	}
	if strings.Join(got, " ") != "cluster_ns_a_b__x_2=ns{a-b: x} cluster_ns_a_b__x=ns{a.b: x} cluster_shop=shop" {
		t.Errorf("clusters %v", got)
	}
}
