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
