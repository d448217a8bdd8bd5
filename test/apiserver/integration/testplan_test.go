package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/testplan"
)

var (
	podGVR       = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	configMapGVR = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
)

// TestTestplanManifests: the runnable outputs of "netpolc testplan" for both
// examples (over their representative worlds, and zero-trust over its
// world file) are accepted by the real API server: every Pod and ConfigMap
// of --format manifests, and every Pod the --format script applies, passes
// a dry run and a real create with strict field validation and no warning,
// and reads back with every field that was sent. The probe pods stay
// Pending (the suite has no scheduler or kubelet) and are deleted.
func TestTestplanManifests(t *testing.T) {
	c := connect(t)
	worldFile := filepath.Join("..", "..", "..", "examples", "zero-trust", "world.yaml")
	cases := []struct{ name, dir, world string }{
		{"zero-trust", "zero-trust", ""},
		{"zero-trust-world", "zero-trust", worldFile},
		{"cilium-l7", "cilium-l7", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var w *eval.World
			if tc.world != "" {
				data, err := os.ReadFile(tc.world)
				if err != nil {
					t.Fatal(err)
				}
				if w, err = eval.LoadWorld(data); err != nil {
					t.Fatal(err)
				}
			}
			res, diags := netpolc.Build(exampleFiles(t, tc.dir), netpolc.Options{Compile: compile.Options{World: w}})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			plan, err := testplan.New(res.Program, w, testplan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out, err := testplan.Manifests(res.Program, plan, testplan.RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			script, err := testplan.Script(res.Program, plan, testplan.RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			embedded, err := scriptManifests(script)
			if err != nil {
				t.Fatal(err)
			}
			for _, run := range []struct {
				name   string
				stream []byte
			}{{"manifests", out}, {"script", embedded}} {
				us, err := decodeYAML(run.stream)
				if err != nil {
					t.Fatal(err)
				}
				var objs []*unstructured.Unstructured
				for _, u := range us {
					if u.Object != nil { // the header is a document of comments only
						objs = append(objs, u)
					}
				}
				if err := c.namespaces(t, "tp-"+tc.name+"-"+run.name, objs); err != nil {
					t.Fatal(err)
				}
				accepted, pods := 0, 0
				for _, u := range objs {
					if u.GetKind() == "Pod" {
						pods++
					}
					if err := c.checkProbeObject(context.Background(), u); err != nil {
						t.Errorf("%s %s/%s: %v\n%s", u.GetKind(), u.GetNamespace(), u.GetName(), err, show(u))
						continue
					}
					accepted++
				}
				if pods == 0 {
					t.Errorf("%s: no probe pod", run.name)
				}
				summary(t, "testplan %s --format %s: %d of %d objects (%d probe pods) accepted and read back", tc.name, run.name, accepted, len(objs), pods)
			}
		})
	}
}

// scriptManifests returns the YAML the script applies (its first here
// document).
func scriptManifests(script []byte) ([]byte, error) {
	const start, end = "<<'NETPOLC_TESTPLAN_MANIFESTS'", "\nNETPOLC_TESTPLAN_MANIFESTS\n"
	s := string(script)
	i := strings.Index(s, start)
	if i < 0 {
		return nil, fmt.Errorf("the script applies no manifests")
	}
	s = s[i:]
	s = s[strings.Index(s, "\n")+1:]
	j := strings.Index(s, end)
	if j < 0 {
		return nil, fmt.Errorf("the script's manifests do not end")
	}
	return []byte(s[:j+1]), nil
}

// checkProbeObject sends a Pod or ConfigMap of the runnable outputs with
// strict field validation, as a dry run and then for real, requires no
// warning, reads it back, requires every field sent to be stored as sent
// (the server adds defaults to a Pod: those are not compared), and deletes
// it.
func (c *cluster) checkProbeObject(ctx context.Context, u *unstructured.Unstructured) (err error) {
	var gvr schema.GroupVersionResource
	switch u.GetAPIVersion() + " " + u.GetKind() {
	case "v1 Pod":
		gvr = podGVR
	case "v1 ConfigMap":
		gvr = configMapGVR
	default:
		return fmt.Errorf("unexpected object %s %s", u.GetAPIVersion(), u.GetKind())
	}
	return roundTrip(ctx, c.dyn.Resource(gvr).Namespace(u.GetNamespace()), u, "read back without what was sent", func(sent, got map[string]any) []string {
		return missing("", sent, got)
	})
}

// missing lists the values of sent that got does not hold as sent; fields
// only got has (server defaults) are not differences.
func missing(path string, sent, got any) []string {
	switch sv := sent.(type) {
	case map[string]any:
		gv, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: sent an object, stored %v", path, got)}
		}
		var out []string
		for k, v := range sv {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out = append(out, missing(p, v, gv[k])...)
		}
		return out
	case []any:
		gv, ok := got.([]any)
		if !ok || len(gv) != len(sv) {
			return []string{fmt.Sprintf("%s: sent %d items, stored %v", path, len(sv), got)}
		}
		var out []string
		for i := range sv {
			out = append(out, missing(fmt.Sprintf("%s[%d]", path, i), sv[i], gv[i])...)
		}
		return out
	}
	if len(differences(path, sent, got)) > 0 {
		return []string{fmt.Sprintf("%s: sent %v, stored %v", path, sent, got)}
	}
	return nil
}
