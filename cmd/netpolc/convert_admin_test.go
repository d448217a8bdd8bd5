package main

import (
	"strings"
	"testing"
)

const (
	importAdmin     = "testdata/import/admin.yaml"
	importCCNPDeny  = "testdata/import/ccnp-deny.yaml"
	adminPriority10 = "clusterwide priority 10"
)

// TestImportAdmin: an AdminNetworkPolicy imports as an ordered block whose
// statements keep the rules' order and actions, which compiles for the
// netpol-api target and analyses like the objects.
func TestImportAdmin(t *testing.T) {
	r := runApp(t, "", "import", importAdmin)
	if r.code != exitOK {
		t.Fatalf("import failed\n%s", r)
	}
	want := adminPriority10 + "\n# AdminNetworkPolicy guard-rails\n" +
		"deny egress {} -> 169.254.169.254:*\n" +
		"ingress monitoring/{} -> {}:*\n" +
		"pass ingress ns{tenant: blue} -> {}:*\n"
	if r.stdout != want {
		t.Errorf("import output\n%s\nwant\n%s", r.stdout, want)
	}
	if c := runApp(t, r.stdout, "compile", "--target", "netpol-api", "-"); c.code != exitOK || !strings.Contains(c.stdout, "action: Pass") {
		t.Errorf("the imported source does not compile for netpol-api\n%s", c)
	}
	// explain reads the objects themselves: the metadata service is denied
	// by the ordered rule.
	e := runApp(t, "", "explain", "default/pod", "169.254.169.254:80", importAdmin)
	if e.code != exitOK || !strings.Contains(e.stdout, "169.254.169.254:80/TCP: denied") || !strings.Contains(e.stdout, importAdmin+":12: AdminNetworkPolicy guard-rails: egress deny") {
		t.Errorf("explain of the metadata service\n%s", e)
	}
}

// TestConvertAdmin: conversions between Cilium and the network-policy API
// in both directions. A CCNP with deny rules becomes an Admin tier
// ClusterNetworkPolicy (and imports back to the same rules); admin
// policies with allow and pass rules cannot be said by Cilium (errors at
// their YAML lines); admin policies that only deny can.
func TestConvertAdmin(t *testing.T) {
	r := runApp(t, "", "convert", "--to", "netpol-api", importCCNPDeny)
	if r.code != exitOK {
		t.Fatalf("convert --to netpol-api\n%s", r)
	}
	if got := strings.Join(objectsOf(t, r.stdout), ","); got != "ClusterNetworkPolicy /guard-rails-deny" {
		t.Errorf("objects %s", got)
	}
	for _, want := range []string{"tier: Admin", "action: Deny", "169.254.169.254/32", "kubernetes.io/metadata.name: untrusted"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the ClusterNetworkPolicy lacks %q\n%s", want, r.stdout)
		}
	}
	back := runApp(t, r.stdout, "convert", "--to", "cilium", "-")
	if back.code != exitOK {
		t.Fatalf("the converted objects do not convert back to cilium\n%s", back)
	}
	for _, want := range []string{"egressDeny:", "ingressDeny:", "169.254.169.254/32", "untrusted"} {
		if !strings.Contains(back.stdout, want) {
			t.Errorf("the CiliumClusterwideNetworkPolicy lacks %q\n%s", want, back.stdout)
		}
	}

	c := runApp(t, "", "convert", "--to", "cilium", importAdmin)
	if c.code != exitInput || c.stdout != "" {
		t.Fatalf("convert of ordered rules to cilium\n%s", c)
	}
	for _, at := range []string{importAdmin + ":3:1: error[unsupported]", importAdmin + ":23:5: error[unsupported]", "use --to netpol-api"} {
		if !strings.Contains(c.stderr, at) {
			t.Errorf("no %q\n%s", at, c.stderr)
		}
	}
}

// TestClusterCIDRs: a CIDR of an admin rule that may hold cluster addresses
// is an error without --cluster-cidrs, naming both ways out; with the
// ranges it is written minus them; --degrade cidr=networks writes it as it
// is, with a warning. import and convert read networks against the ranges.
func TestClusterCIDRs(t *testing.T) {
	src := "clusterwide priority 10\ndeny egress {} -> 10.0.0.0/8:*\n"
	r := runApp(t, src, "compile", "--target", "netpol-api", "-")
	if r.code == exitOK || !strings.Contains(r.stderr, "-:2:19: error[networks-match-pods]") ||
		!strings.Contains(r.stderr, "--cluster-cidrs") || !strings.Contains(r.stderr, "--degrade cidr=networks") {
		t.Errorf("without ranges\n%s", r)
	}
	r = runApp(t, src, "compile", "--target", "netpol-api", "--cluster-cidrs", "10.244.0.0/16,10.96.0.0/12", "-")
	if r.code != exitOK || strings.Contains(r.stdout, "10.0.0.0/8") || !strings.Contains(r.stdout, "- 10.245.0.0/16") || !strings.Contains(r.stdout, "- 10.0.0.0/10") {
		t.Errorf("with ranges\n%s", r)
	}
	r = runApp(t, src, "compile", "--target", "netpol-api", "--degrade", "cidr=networks", "-")
	if r.code != exitOK || !strings.Contains(r.stdout, "- 10.0.0.0/8") || !strings.Contains(r.stderr, "warning[degraded]") || !strings.Contains(r.stdout, "netpolc.io/not-enforced") {
		t.Errorf("degraded\n%s", r)
	}
	// The metadata guard needs no option.
	if r := runApp(t, "clusterwide priority 10\ndeny egress {} -> 169.254.169.254:*\n", "compile", "--target", "netpol-api", "-"); r.code != exitOK {
		t.Errorf("metadata guard\n%s", r)
	}

	anp := `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: deny-internal
spec:
  priority: 5
  subject:
    namespaces: {}
  egress:
  - action: Deny
    to:
    - networks: [10.0.0.0/8]
`
	r = runApp(t, anp, "import", "-")
	if r.code != exitOK || !strings.Contains(r.stderr, "-:12:18: warning[networks-match-pods]") {
		t.Errorf("import without ranges\n%s", r)
	}
	r = runApp(t, anp, "import", "--cluster-cidrs", "10.244.0.0/16", "-")
	if r.code == exitOK || !strings.Contains(r.stderr, "-:12:18: error[networks-match-pods]") {
		t.Errorf("import with ranges\n%s", r)
	}
	r = runApp(t, anp, "convert", "--to", "netpol-api", "--cluster-cidrs", "172.16.0.0/12", "-")
	if r.code != exitOK || !strings.Contains(r.stdout, "- 10.0.0.0/8") || strings.Contains(r.stderr, "networks-match-pods") {
		t.Errorf("convert with ranges clear of the networks\n%s", r)
	}
}
