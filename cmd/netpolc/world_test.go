package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends/world"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/lang/source"
)

const (
	zeroTrust        = "../../examples/zero-trust"
	zeroTrustWorld   = zeroTrust + "/world.yaml"
	zeroTrustCluster = zeroTrust + "/cluster.yaml"
	kubectlFixture   = "../../backends/world/testdata/kubectl-get.yaml"
)

// podSignatures lists each pod of w as its namespace, labels and named
// ports, sorted: what expectations see of a pod (CIDR peers never match
// pods, so IPs do not count).
func podSignatures(w *eval.World) []string {
	var out []string
	for _, p := range w.Pods {
		out = append(out, fmt.Sprintf("%s %v %v", p.Namespace, p.Labels, p.Ports))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestWorldZeroTrust: check over the example's Kubernetes objects gives the
// same result as over its world file, the two worlds hold the same kinds of
// pods, namespaces and externals, and a change to the objects that the
// expectations depend on fails the check (so the world is really used).
func TestWorldZeroTrust(t *testing.T) {
	withWorld := runApp(t, "", "check", "--world", zeroTrustWorld, zeroTrust)
	withCluster := runApp(t, "", "check", "--world", zeroTrustCluster, zeroTrust)
	if withWorld != withCluster || withCluster.code != exitOK || withCluster.stderr != "" {
		t.Errorf("check over world.yaml and over cluster.yaml differ:\n%s\n%s", withWorld, withCluster)
	}
	if r := runApp(t, "", "compile", "--target", "k8s", "--world", zeroTrustCluster, zeroTrust); r.code != exitOK || r.stderr != "" {
		t.Errorf("compile --world cluster.yaml\n%s", r)
	}

	legacy, err := eval.LoadWorld([]byte(readFile(t, zeroTrustWorld)))
	if err != nil {
		t.Fatal(err)
	}
	objs, diags := world.Read([]*source.File{source.NewFile("cluster.yaml", []byte(readFile(t, zeroTrustCluster)))}, world.Options{})
	if objs == nil || len(diags) != 0 {
		t.Fatalf("cluster.yaml: %v", diags)
	}
	if a, b := podSignatures(legacy), podSignatures(objs); !slices.Equal(a, b) {
		t.Errorf("pods differ:\nworld.yaml   %q\ncluster.yaml %q", a, b)
	}
	if a, b := fmt.Sprint(legacy.Namespaces, legacy.Externals), fmt.Sprint(objs.Namespaces, objs.Externals); a != b {
		t.Errorf("namespaces or externals differ:\n%s\n%s", a, b)
	}

	// Without web's metrics port, "prometheus -> web:metrics" has no
	// destination; without development's label, devtests no source.
	dir := t.TempDir()
	for name, edit := range map[string][2]string{
		"no-metrics.yaml": {"        - {name: metrics, containerPort: 9090}\n", ""},
		"no-dev.yaml":     {"  name: development\n  labels: {environment: dev}\n", "  name: development\n"},
	} {
		cluster := readFile(t, zeroTrustCluster)
		if !strings.Contains(cluster, edit[0]) {
			t.Fatalf("%s: cluster.yaml has no %q", name, edit[0])
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strings.Replace(cluster, edit[0], edit[1], 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runApp(t, "", "check", "--world", path, zeroTrust)
		if r.code != exitInput || !strings.Contains(r.stderr, "error[expectation-empty]") {
			t.Errorf("%s: check must fail\n%s", name, r)
		}
	}
}

// TestWorldKubectl: kubectl get -A -o yaml on standard input; named ports
// resolve against the pods' container ports; skipped kinds are warnings.
func TestWorldKubectl(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "shop.netpol")
	if err := os.WriteFile(src, []byte(`namespace shop
default deny
allow dns

web    = {app: web}
db     = {app: db}
orders = {app: orders}

web -> db:postgres
orders -> web:http

expect web -> db:postgres allowed
expect web -> db:5432 allowed
expect orders -> web:8080 allowed
expect db -> web:http denied
expect web -> orders:https denied
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runApp(t, readFile(t, kubectlFixture), "check", "--world", "-", src)
	want := "-:946:3: warning[skipped]: skipped ConfigMap kube-system/coredns: ConfigMap plays no part in a world\n"
	if r.code != exitOK || !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "-:959:3: warning[skipped]: skipped HorizontalPodAutoscaler shop/web") {
		t.Errorf("check --world - (kubectl output)\n%s", r)
	}
	// The same expectations fail where they should: db's port is 5432.
	bad := strings.Replace(readFile(t, src), "expect web -> db:5432 allowed", "expect web -> db:5433 allowed", 1)
	if err := os.WriteFile(src, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runApp(t, readFile(t, kubectlFixture), "check", "--world", "-", src); r.code != exitInput || !strings.Contains(r.stderr, "shop.netpol:13:") {
		t.Errorf("a failing expectation over the kubectl world\n%s", r)
	}
}

// TestWorldDir: a directory's .yaml, .yml and .json files, not those of its
// subdirectories; DIR/... for the tree; --world repeated.
func TestWorldDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("w/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
	write("w/web.json", `{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
 "spec": {"template": {"metadata": {"labels": {"app": "web"}}}}}`)
	write("w/notes.txt", "not read")
	write("w/db/db.yml", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop}\nspec: {template: {metadata: {labels: {app: db}}}}\n")
	write("db-only.yaml", "pods: [{namespace: shop, name: db-0, labels: {app: db}}]\n")
	write("shop.netpol", "namespace shop\nallow dns\nweb = {app: web}\ndb = {app: db}\nweb -> db:5432\nexpect web -> db:5432 allowed\n")
	src := filepath.Join(dir, "shop.netpol")
	if r := runApp(t, "", "check", "--world", filepath.Join(dir, "w"), src); r.code != exitInput || !strings.Contains(r.stderr, "no endpoint of the world matches the destination db") {
		t.Errorf("--world DIR reads the files of DIR only\n%s", r)
	}
	if r := runApp(t, "", "check", "--world", filepath.Join(dir, "w")+"/...", src); r.code != exitOK || r.stderr != "" {
		t.Errorf("--world DIR/... reads the tree\n%s", r)
	}
	if r := runApp(t, "", "check", "--world", filepath.Join(dir, "w"), "--world", filepath.Join(dir, "db-only.yaml"), src); r.code != exitOK || r.stderr != "" {
		t.Errorf("--world twice\n%s", r)
	}
	if r := runApp(t, "", "check", "--world", filepath.Join(dir, "empty"), src); r.code != exitUsage || !strings.Contains(r.stderr, "netpolc: --world: ") {
		t.Errorf("a missing directory\n%s", r)
	}
}

// TestWorldErrors: positioned errors, rendered like every diagnostic, in
// text and JSON; standard input cannot hold both the sources and the world.
func TestWorldErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(path, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: web-0, namespace: shop}\nstatus:\n  podIP: 10.0.0.300\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runApp(t, "", "check", "--world", path, good)
	want := path + `:5:3: error[invalid]: Pod shop/web-0: invalid IP address "10.0.0.300"` + "\n 5 |   podIP: 10.0.0.300\n   |   ^^^^^^^^^^^^^^^^^\n"
	if r.code != exitInput || r.stderr != want {
		t.Errorf("a bad pod IP\n%s\nwant stderr\n%s", r, want)
	}
	j := runApp(t, "", "--diagnostics", "json", "check", "--world", path, good)
	var out []struct {
		Severity, Code, File string
		Line, Column         int
	}
	if err := json.Unmarshal([]byte(j.stderr), &out); err != nil || j.code != exitInput {
		t.Fatalf("%v\n%s", err, j)
	}
	if len(out) != 1 || out[0].Code != "invalid" || out[0].File != path || out[0].Line != 5 || out[0].Column != 3 {
		t.Errorf("JSON: %+v", out)
	}
	if r := runApp(t, readFile(t, good), "check", "--world", "-", "-"); r.code != exitUsage || !strings.Contains(r.stderr, "standard input is read once") {
		t.Errorf("stdin for both\n%s", r)
	}
}
