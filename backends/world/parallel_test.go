package world

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/internal/testsupport/clustergen"
	"github.com/netpolc/netpolc/lang/source"
)

// TestReadParallelSameAsSequential reads a big kubectl-style input, with
// unknown fields, values of the wrong type, invalid labels and a
// duplicate spread through it, on several goroutines and on one, and
// requires the same world and the same diagnostics.
func TestReadParallelSameAsSequential(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor: objects are not decoded ahead")
	}
	var b strings.Builder
	b.Write(clustergen.Generate(300).WorldYAML)
	for i := 0; i < 40; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: odd-%d, namespace: x, labels: {a: b}}\nspec: {containers: [{name: c, ports: [{name: p, containerPort: 80}]}], frobnicate: %d}\nstatus: {podIP: 10.9.0.%d}\n", i, i, i+1)
		case 1:
			fmt.Fprintf(&b, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad-%d, namespace: x}\nspec: {replicas: many}\n", i)
		case 2:
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: s-%d, namespace: x, labels: {\"bad key!\": v}}\nspec: {selector: {a: b}}\n", i)
		case 3:
			b.WriteString("---\napiVersion: v1\nkind: Pod\nmetadata: {name: odd-0, namespace: x}\nspec: {containers: []}\n")
		}
	}
	read := func() string {
		w, diags := Read([]*source.File{source.NewFile("cluster.yaml", []byte(b.String()))}, Options{})
		var out strings.Builder
		for _, d := range diags {
			out.WriteString(d.Error() + "\n")
		}
		if w != nil {
			data, err := eval.MarshalWorld(w)
			if err != nil {
				t.Fatal(err)
			}
			out.Write(data)
		}
		return out.String()
	}
	par := read()
	old := runtime.GOMAXPROCS(1)
	seq := read()
	runtime.GOMAXPROCS(old)
	if par != seq {
		t.Errorf("parallel and sequential reads differ:\n--- parallel\n%s\n--- sequential\n%s", par, seq)
	}
	for _, want := range []string{"frobnicate", "many", "bad key!", "odd-0"} {
		if !strings.Contains(seq, want) {
			t.Errorf("no diagnostic about %q:\n%s", want, seq)
		}
	}
}
