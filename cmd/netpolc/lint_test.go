package main

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	lintFindings = "testdata/lint/findings.yaml"
	lintClean    = "testdata/lint/clean.yaml"
	lintWorld    = "testdata/lint/world.yaml"
)

func TestLint(t *testing.T) {
	t.Run("findings", func(t *testing.T) {
		r := runApp(t, "", "lint", "--namespace", "shop", lintFindings)
		if r.code != exitInput || r.stdout != "" {
			t.Fatalf("findings must exit %d with nothing on standard output\n%s", exitInput, r)
		}
		for _, want := range []string{
			lintFindings + ":16:7: warning[or-peers]",
			lintFindings + ":20:7: warning[all-ports]",
			`"namespaceSelector": {"matchLabels":{"kubernetes.io/metadata.name":"monitoring"}}`,
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("lint output lacks %q\n%s", want, r)
			}
		}
		if strings.Contains(r.stderr, "Service") {
			t.Errorf("objects of other kinds are left out silently\n%s", r)
		}
	})
	t.Run("clean", func(t *testing.T) {
		if r := runApp(t, "", "lint", lintClean); r.code != exitOK || r.stderr != "" || r.stdout != "" {
			t.Errorf("a clean policy must exit 0 silently\n%s", r)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		r := runApp(t, readFile(t, lintFindings), "lint", "-n", "shop", "-")
		if r.code != exitInput || !strings.Contains(r.stderr, "-:16:7: warning[or-peers]") {
			t.Errorf("lint of standard input\n%s", r)
		}
	})
	t.Run("no namespace", func(t *testing.T) {
		r := runApp(t, "", "lint", lintFindings)
		if r.code != exitInput || !strings.Contains(r.stderr, "--namespace") {
			t.Errorf("an object without a namespace and no --namespace\n%s", r)
		}
	})
	t.Run("world", func(t *testing.T) {
		r := runApp(t, "", "lint", "--world", lintWorld, lintClean)
		if r.code != exitInput || !strings.Contains(r.stderr, lintClean+":7:3: warning[selects-nothing]") {
			t.Errorf("a policy selecting no pod of the world\n%s", r)
		}
		if m := runApp(t, "", "lint", "--world", "testdata/lint/nosuch.yaml", lintClean); m.code != exitUsage {
			t.Errorf("a missing world file is a usage error\n%s", m)
		}
		// A file of policies as the world: nothing of a world in it.
		if b := runApp(t, "", "lint", "--world", lintClean, lintClean); b.code != exitInput ||
			!strings.Contains(b.stderr, lintClean+": error[empty-world]") || !strings.Contains(b.stderr, lintClean+":1:1: warning[skipped]: skipped NetworkPolicy shop/web") {
			t.Errorf("a world file without a world\n%s", b)
		}
		// The world's notes are no findings; its objects take --namespace.
		world := "apiVersion: v1\nkind: Pod\nmetadata: {name: web-0, labels: {app: web}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
		if w := runApp(t, world, "lint", "-n", "shop", "--world", "-", lintClean); w.code != exitOK ||
			w.stderr != "-:5:1: warning[skipped]: skipped ConfigMap c: ConfigMap plays no part in a world\n 5 | apiVersion: v1\n   | ^^^^^^^^^^^^^^\n  = A world is read from Namespaces, Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Services and Nodes, and from netpolc's world format (docs/world.md).\n" {
			t.Errorf("a world with a skipped object, from standard input\n%s", w)
		}
		if w := runApp(t, world, "lint", "--world", "-", lintClean); w.code != exitInput ||
			!strings.HasPrefix(w.stderr, "-:3:1: error[no-namespace]: Pod web-0 has no metadata.namespace; write it, or pass --namespace\n") {
			t.Errorf("a world object without a namespace, and no --namespace\n%s", w)
		}
	})
	t.Run("json", func(t *testing.T) {
		r := runApp(t, "", "--diagnostics", "json", "lint", "-n", "shop", lintFindings)
		if r.code != exitInput {
			t.Fatalf("findings must exit %d\n%s", exitInput, r)
		}
		var out []struct {
			Severity, Code, File, Detail string
			Line, Column                 int
		}
		if err := json.Unmarshal([]byte(r.stderr), &out); err != nil {
			t.Fatalf("%v\n%s", err, r)
		}
		if len(out) != 2 || out[0].Code != "or-peers" || out[0].Severity != "warning" || out[0].File != lintFindings ||
			out[0].Line != 16 || out[0].Column != 7 || out[0].Detail == "" || out[1].Code != "all-ports" || out[1].Line != 20 {
			t.Errorf("got %+v", out)
		}
		if c := runApp(t, "", "--diagnostics", "json", "lint", lintClean); c.code != exitOK || strings.TrimSpace(c.stderr) != "[]" {
			t.Errorf("a clean policy in JSON mode\n%s", c)
		}
	})
	t.Run("no input", func(t *testing.T) {
		if r := runApp(t, "", "lint"); r.code != exitUsage {
			t.Errorf("lint without arguments\n%s", r)
		}
	})
}
