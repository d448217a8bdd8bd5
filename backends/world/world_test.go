package world

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// render prints what Read returned: the world in the world file format
// (eval.MarshalWorld) and the diagnostics, one a line with their notes.
func render(w *eval.World, diags diag.List) string {
	var b strings.Builder
	if w != nil {
		data, err := eval.MarshalWorld(w)
		if err != nil {
			return "MarshalWorld: " + err.Error()
		}
		b.WriteString("world:\n")
		b.Write(data)
	} else {
		b.WriteString("no world\n")
	}
	b.WriteString("diagnostics:\n")
	for _, d := range diags.Normalize() {
		fmt.Fprintf(&b, "%s: %s[%s]: %s\n", d.Span, d.Severity, d.Code, d.Message)
		for _, n := range d.Notes {
			fmt.Fprintf(&b, "  note %s: %s\n", n.Span, n.Message)
		}
	}
	return b.String()
}

// checkGolden compares got with the file golden (rewritten with -update).
func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", golden, got, want)
	}
}

// TestKubectlGet reads a hand-written "kubectl get
// ns,pods,deploy,sts,ds,rs,jobs,cronjobs,svc,nodes -A -o yaml" (plus a
// ConfigMap and an HPA) and checks the world it gives against
// testdata/kubectl-get.golden, then a few facts of it directly.
func TestKubectlGet(t *testing.T) {
	data, err := os.ReadFile("testdata/kubectl-get.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w, diags := Read([]*source.File{source.NewFile("kubectl-get.yaml", data)}, Options{})
	checkGolden(t, "testdata/kubectl-get.golden", render(w, diags))
	if w == nil {
		t.Fatalf("no world: %v", diags)
	}
	pods := map[string]eval.Pod{}
	for _, p := range w.Pods {
		pods[p.Namespace+"/"+p.Name] = p
	}
	for _, c := range []struct {
		pod  string
		want bool
		why  string
	}{
		{"shop/web-7c9f8d6b5-2lq4w", true, "a running pod"},
		{"shop/web", false, "the Deployment's pods are present (through its ReplicaSet)"},
		{"shop/web-7c9f8d6b5", false, "the ReplicaSet's pods are present"},
		{"shop/web-59b7d4c8f6", false, "an old ReplicaSet owned by a Deployment of the input"},
		{"kube-system/coredns", false, "the Deployment's pods are present (ReplicaSet inferred from pod-template-hash)"},
		{"kube-system/kube-proxy-q9z8m", false, "a host-network pod"},
		{"kube-system/kube-proxy", false, "a host-network DaemonSet"},
		{"monitoring/node-exporter", true, "a DaemonSet without pods in the input"},
		{"shop/orders", true, "a Deployment without pods in the input"},
		{"shop/legacy", false, "a Deployment scaled to zero"},
		{"shop/report", true, "a CronJob whose only pod has terminated"},
		{"shop/report-29400660", false, "a finished Job owned by a CronJob of the input"},
		{"shop/report-29400660-k7m2x", false, "a pod that has terminated"},
		{"shop/db-0", true, "a StatefulSet's pod"},
		{"shop/db", false, "the StatefulSet's pod is present"},
	} {
		if _, ok := pods[c.pod]; ok != c.want {
			t.Errorf("pod %s in the world: %v, want %v (%s)", c.pod, ok, c.want, c.why)
		}
	}
	if p := pods["shop/web-7c9f8d6b5-2lq4w"]; p.IP.String() != "10.244.1.17" || len(p.Ports) != 2 || p.Labels["tier"] != "front" {
		t.Errorf("web pod = %+v", p)
	}
	if p := pods["shop/orders"]; p.IP.IsValid() || fmt.Sprint(p.Ports) != "[{https 8443 TCP} {metrics 9090 TCP}]" || p.Labels["version"] != "v2" {
		t.Errorf("orders representative = %+v", p)
	}
}

// TestCases runs testdata/*.txtar: each case's .yaml, .yml and .json files
// are read together (sorted by name, as the command reads a directory);
// the section "want" holds render's output (rewritten with -update). A
// file "options" may set "namespace NAME".
func TestCases(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var files []*source.File
			var opts Options
			wantAt := -1
			for i, f := range ar.Files {
				switch {
				case f.Name == "want":
					wantAt = i
				case f.Name == "options":
					for _, line := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
						if ns, ok := strings.CutPrefix(line, "namespace "); ok {
							opts.Namespace = ns
						}
					}
				default:
					files = append(files, source.NewFile(f.Name, f.Data))
				}
			}
			got := render(Read(files, opts))
			// Determinism: a second read gives the same.
			if again := render(Read(files, opts)); again != got {
				t.Errorf("two reads differ:\n%s\n%s", got, again)
			}
			if *update {
				if wantAt < 0 {
					ar.Files = append(ar.Files, txtar.File{Name: "want"})
					wantAt = len(ar.Files) - 1
				}
				ar.Files[wantAt].Data = []byte(got)
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if wantAt < 0 {
				t.Fatal("no want section (run with -update)")
			}
			if want := string(ar.Files[wantAt].Data); got != want {
				t.Errorf("differs:\n--- got\n%s--- want\n%s", got, want)
			}
		})
	}
}

// FuzzRead checks that no input makes Read panic, and that a world it
// returns has no error beside it and passes the evaluator's file format
// round trip.
func FuzzRead(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.txtar")
	for _, p := range seeds {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if file.Name != "want" && file.Name != "options" {
				f.Add(file.Data)
			}
		}
	}
	if data, err := os.ReadFile("testdata/kubectl-get.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("pods: [{namespace: a, name: b, ports: [{name: x, port: 1}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, diags := Read([]*source.File{source.NewFile("f.yaml", data)}, Options{})
		if (w == nil) != diags.HasErrors() {
			t.Fatalf("world %v with diagnostics %v", w != nil, diags)
		}
		for _, d := range diags {
			if d.Code == "internal" {
				t.Fatalf("internal error: %v", d)
			}
		}
		if w == nil {
			return
		}
		if _, err := eval.MarshalWorld(w); err != nil {
			t.Fatalf("MarshalWorld: %v", err)
		}
		var buf bytes.Buffer
		_ = diag.WriteText(&buf, source.NewSet(source.NewFile("f.yaml", data)), diags, diag.TextOptions{})
	})
}
