package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestBackendGoldens sends the expected output of every txtar case of the
// backends (backends/{k8s,cilium}/testdata/*.txtar: "k8s.yaml",
// "cilium.yaml"). Their own tests keep these byte-identical to what the
// backends emit, with each case's options (Cilium version, degrade), so they
// cover the features random programs do not generate: deny rules, FQDN,
// entities, ICMP, L7, DNS lookups, nodes, cluster-wide policies.
func TestBackendGoldens(t *testing.T) {
	c := connect(t)
	// The targets' cases only: other packages under backends (the world
	// reader) keep txtar cases of their own, whose files are inputs.
	var paths []string
	for _, target := range []string{"k8s", "cilium"} {
		p, err := filepath.Glob(filepath.Join("..", "..", "..", "backends", target, "testdata", "*.txtar"))
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			t.Fatalf("no txtar case in backends/%s/testdata", target)
		}
		paths = append(paths, p...)
	}
	cases, objects, accepted := 0, 0, 0
	for _, path := range paths {
		backend := filepath.Base(filepath.Dir(filepath.Dir(path)))
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		a, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range a.Files {
			if f.Name != backend+".yaml" || len(strings.TrimSpace(string(f.Data))) == 0 {
				continue
			}
			t.Run(backend+"/"+name, func(t *testing.T) {
				us, err := decodeYAML(f.Data)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.namespaces(t, fmt.Sprintf("golden-%s-%s", backend, name), us); err != nil {
					t.Fatal(err)
				}
				for _, u := range us {
					if err := c.check(context.Background(), u); err != nil {
						t.Errorf("%s %s/%s: %v\n%s", u.GetKind(), u.GetNamespace(), u.GetName(), err, show(u))
						continue
					}
					accepted++
				}
				cases++
				objects += len(us)
			})
		}
	}
	if cases == 0 {
		t.Fatal("no txtar case with an expected output")
	}
	summary(t, "backend goldens: %d of %d objects of %d txtar cases accepted and read back unchanged", accepted, objects, cases)
}
