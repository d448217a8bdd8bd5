// Package betacheck checks the v1beta1 output of the netpol-api target
// against the v1beta1 Go types. It is a package of its own, imported by
// nothing, so that the modules that build netpolc with release v0.2.0 of
// sigs.k8s.io/network-policy-api (which has no v1beta1; see the Cilium
// engine module's go.mod) never see these tests.
package betacheck

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/netpolapi"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
)

// typeTree renders t's JSON shape: field names, tags and kinds, recursively
// (named types by kind, not by package), so that two versions of one API
// compare equal exactly when they read and write the same JSON.
func typeTree(t reflect.Type, depth int, b *strings.Builder) {
	indent := strings.Repeat("  ", depth)
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice:
		fmt.Fprintf(b, "%s%s\n", indent, t.Kind())
		typeTree(t.Elem(), depth+1, b)
	case reflect.Struct:
		if t.PkgPath() != "sigs.k8s.io/network-policy-api/apis/v1alpha2" && t.PkgPath() != "sigs.k8s.io/network-policy-api/apis/v1beta1" {
			fmt.Fprintf(b, "%s%s\n", indent, t.String()) // metav1 and the like: the same type
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			fmt.Fprintf(b, "%s%s %q\n", indent, f.Name, f.Tag.Get("json"))
			typeTree(f.Type, depth+1, b)
		}
	default:
		fmt.Fprintf(b, "%s%s\n", indent, t.Kind())
	}
}

// TestBetaIsAlpha2: ClusterNetworkPolicy v1beta1 has exactly the fields of
// v1alpha2 in the module's version, which is why the target writes v1beta1
// with the v1alpha2 Go type (netpolapi.CNP).
func TestBetaIsAlpha2(t *testing.T) {
	var a, b strings.Builder
	typeTree(reflect.TypeOf(v1alpha2.ClusterNetworkPolicy{}), 0, &a)
	typeTree(reflect.TypeOf(v1beta1.ClusterNetworkPolicy{}), 0, &b)
	if a.String() != b.String() {
		t.Fatalf("v1alpha2 and v1beta1 differ:\n--- v1alpha2\n%s--- v1beta1\n%s", a.String(), b.String())
	}
	if n := strings.Count(a.String(), "\n"); n < 50 {
		t.Fatalf("only %d lines compared", n)
	}
}

// TestBetaOutput: what the target writes for v1beta1 reads strictly into
// the v1beta1 type, as ClusterNetworkPolicy v1beta1, and passes Validate.
func TestBetaOutput(t *testing.T) {
	src := `clusterwide priority 10
deny {} -> 169.254.169.254:*
pass {} -> shop/{app: db}:5432
allow dns
egress {app: a} -> 10.0.0.0/8 except 10.1.0.0/16:[443, 8000-8080/udp]
{app: a} -> "**.example.com":443

namespace shop
default deny
deny egress {app: web} -> 192.0.2.0/24:*
nonisolating {app: web} -> {app: db}:metrics/any
`
	prog, set, diags := backendtest.Compile(map[string]string{"in.netpol": src})
	if diags.HasErrors() {
		t.Fatalf("compile:\n%s", backendtest.RenderDiags(set, diags))
	}
	b, err := netpolapi.New(netpolapi.Options{Version: netpolapi.V1Beta1, ClusterCIDRs: testgen.ClusterCIDRs()})
	if err != nil {
		t.Fatal(err)
	}
	objs, ed := targetcheck.Emit(b, prog, backends.Options{})
	if ed.HasErrors() {
		t.Fatalf("emit:\n%s", backendtest.RenderDiags(set, ed))
	}
	n := 0
	for _, doc := range backends.SplitYAML(backendtest.YAML(t, objs)) {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		if meta.Kind != netpolapi.KindCNP {
			continue
		}
		var cnp v1beta1.ClusterNetworkPolicy
		if err := yaml.UnmarshalStrict(doc, &cnp); err != nil {
			t.Fatalf("strict decode as v1beta1: %v\n%s", err, doc)
		}
		if cnp.APIVersion != netpolapi.Group+"/"+netpolapi.V1Beta1 {
			t.Fatalf("apiVersion %s", cnp.APIVersion)
		}
		o, err := netpolapi.DecodeStrict(doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := netpolapi.Validate(o); err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		n++
	}
	if n < 5 {
		t.Fatalf("only %d ClusterNetworkPolicies", n)
	}
}
