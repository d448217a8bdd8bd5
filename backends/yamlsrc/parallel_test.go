package yamlsrc

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/source"
)

// bigStream is a stream of many documents, larger than parallelMin, with
// empty documents, comments, markers with content after them, a List, an
// object of another kind, objects without a namespace and ports written
// with a key of a field path deep inside.
func bigStream(extra string) string {
	var b strings.Builder
	b.WriteString("# a stream\n")
	for i := 0; i < 600; i++ {
		switch i % 50 {
		case 3:
			b.WriteString("---\n") // an empty document
		case 4:
			b.WriteString("--- # a comment on the marker\n# and one before the object\n")
		case 9:
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {name: in-list-%d, namespace: ns}\n  spec: {podSelector: {}}\n", i)
			continue
		case 17:
			b.WriteString("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: ns}\n")
			continue
		case 23:
			fmt.Fprintf(&b, "--- {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: flow-%d}, spec: {podSelector: {}}}\n", i)
			continue
		default:
			b.WriteString("---\n")
		}
		fmt.Fprintf(&b, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p-%d\n  namespace: ns\nspec:\n  podSelector:\n    matchLabels: {app: a%d}\n  ingress:\n  - ports:\n    - port: %d\n      protocol: TCP\n", i, i, 1+i)
	}
	b.WriteString(extra)
	return b.String()
}

// TestReadParallelSameAsSequential reads big streams on several
// goroutines and on one, and requires the same objects (with their spans
// and the positions of fields deep inside) and the same diagnostics.
func TestReadParallelSameAsSequential(t *testing.T) {
	for _, tc := range []struct{ name, extra string }{
		{"valid", ""},
		{"syntax error at the end", "---\napiVersion: v1\nkind: [unclosed\n"},
		{"document end marker", "...\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: ns}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := bigStream(tc.extra)
			if len(text) < parallelMin {
				t.Fatalf("the stream has %d bytes, less than %d", len(text), parallelMin)
			}
			readAll := func() string {
				objs, diags := Read([]*source.File{source.NewFile("big.yaml", []byte(text))}, npKinds)
				var b strings.Builder
				b.WriteString(summary(objs, diags))
				for _, o := range objs {
					fmt.Fprintf(&b, "%s %s\n", o.Pos("spec", "ingress", 0, "ports", 0, "port"), o.Pos("metadata", "name"))
				}
				return b.String()
			}
			if runtime.GOMAXPROCS(0) < 2 {
				t.Skip("one processor: the parallel path is not taken")
			}
			par := readAll()
			old := runtime.GOMAXPROCS(1)
			seq := readAll()
			runtime.GOMAXPROCS(old)
			if par != seq {
				t.Errorf("parallel and sequential reads differ:\n--- parallel\n%s\n--- sequential\n%s", par, seq)
			}
			if n := strings.Count(seq, "NetworkPolicy"); n < 500 {
				t.Errorf("only %d NetworkPolicies read", n)
			}
		})
	}
	// The parallel path is taken on a valid stream.
	if docs, ok := parseParallel([]byte(bigStream(""))); !ok || len(docs) < 600 {
		t.Errorf("parseParallel: ok=%v, %d documents", ok, len(docs))
	}
}
