package world

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/internal/testsupport/clustergen"
	"github.com/netpolc/netpolc/lang/source"
)

// TestLeanSameAsFull: Read, which reads first with the objects' YAML
// dropped as soon as they are decoded (lean), gives the world and the
// diagnostics of the read that keeps it, on the benchmark cluster (a big
// List, read run by run), the kubectl fixture, and the cluster with
// warnings (unknown fields, skipped kinds, another API version) and with
// errors (for which Read reads again, keeping the YAML).
func TestLeanSameAsFull(t *testing.T) {
	kubectl, err := os.ReadFile("testdata/kubectl-get.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cluster := string(clustergen.Generate(100).WorldYAML)
	// Objects with warnings and errors, as items of the List.
	withItems := func(items string) string {
		return strings.Replace(cluster, "\nitems:\n", "\nitems:\n"+items, 1)
	}
	warnings := withItems("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm\n    namespace: ns-0000\n" +
		"- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: odd\n    namespace: ns-0001\n  spec:\n    frobnicate: 1\n    containers:\n    - name: c\n  status:\n    podIP: 10.9.0.1\n" +
		"- apiVersion: apps/v2\n  kind: Deployment\n  metadata:\n    name: future\n    namespace: ns-0001\n")
	errs := withItems("- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: bad\n    namespace: ns-0001\n    labels:\n      \"bad key!\": v\n  spec:\n    containers:\n    - name: c\n")
	for name, text := range map[string]string{
		"cluster": cluster, "kubectl fixture": string(kubectl), "warnings": warnings, "errors": errs,
		"duplicate": withItems("- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: ns-0000\n"),
	} {
		files := []*source.File{source.NewFile("cluster.yaml", []byte(text))}
		got, gotDiags := Read(files, Options{})
		want, wantDiags := read(files, Options{}, false)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the lean read gives another world", name)
		}
		if fmt.Sprint(gotDiags) != fmt.Sprint(wantDiags) {
			t.Errorf("%s: the lean read reports\n%v\nthe full read\n%v", name, gotDiags, wantDiags)
		}
		lean, leanDiags := read(files, Options{}, true)
		switch {
		case name == "errors" || name == "duplicate":
			if !leanDiags.HasErrors() || !wantDiags.HasErrors() {
				t.Errorf("%s: no error (lean %v, full %v)", name, leanDiags, wantDiags)
			}
		case !reflect.DeepEqual(lean, want) || fmt.Sprint(leanDiags) != fmt.Sprint(wantDiags):
			t.Errorf("%s: the lean read differs:\n%v\n%v", name, leanDiags, wantDiags)
		case name == "warnings" && len(wantDiags) < 3:
			t.Errorf("%s: %d diagnostics, want the warnings: %v", name, len(wantDiags), wantDiags)
		}
	}
}
