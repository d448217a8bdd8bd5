package yamlsrc

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/netpolc/netpolc/lang/source"
	yaml "go.yaml.in/yaml/v3"
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

// bigList is a List as kubectl prints it, larger than parallelMin.
func bigList(extra string) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nitems:\n")
	for i := 0; i < 700; i++ {
		fmt.Fprintf(&b, "- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata:\n    name: p-%d\n    namespace: ns\n  spec:\n    podSelector:\n      matchLabels: {app: a%d}\n\n    ingress:\n    - ports:\n      - {port: %d, protocol: TCP}\n", i, i, 1+i)
		if i == 350 {
			b.WriteString(extra)
		}
	}
	b.WriteString("kind: List\nmetadata:\n  resourceVersion: \"\"\n")
	return b.String()
}

// TestReadParallelSameAsSequential reads big streams on several
// goroutines and on one, and requires the same objects (with their spans
// and the positions of fields deep inside) and the same diagnostics.
func TestReadParallelSameAsSequential(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"valid", bigStream("")},
		{"syntax error at the end", bigStream("---\napiVersion: v1\nkind: [unclosed\n")},
		{"document end marker", bigStream("...\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: ns}\n")},
		{"list", bigList("")},
		{"list with an error in an item", bigList("- apiVersion: v1\n  kind: [unclosed\n")},
		{"list with a comment between items", bigList("# a comment\n")},
		{"list with a duplicate items key", bigList("") + "items: []\n"},
		{"list then a document", bigList("") + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: ns}\n"},
		{"list then a bad document", bigList("") + "---\napiVersion: [v1\n"},
		{"list with other kinds and bad items", bigList("- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: cm, namespace: ns}\n- apiVersion: networking.k8s.io/v2\n  kind: NetworkPolicy\n  metadata: {name: v2}\n- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {namespace: ns}\n- 42\n")},
		{"document then list", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: ns}\n---\n" + bigList("")},
		{"list without a kind", strings.Replace(bigList(""), "kind: List\n", "", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.text
			if len(text) < parallelMin {
				t.Fatalf("the stream has %d bytes, less than %d", len(text), parallelMin)
			}
			readAll := func(each bool) string {
				opts := npKinds
				var b strings.Builder
				// Skipped objects through the hook, in order.
				opts.Skip = func(kind, object string, span source.Span) { fmt.Fprintf(&b, "skip %s %s %s\n", kind, object, span) }
				var visits atomic.Int64
				if each {
					opts.Each = func(*Object) bool {
						visits.Add(1)
						return true
					}
				}
				objs, diags := Read([]*source.File{source.NewFile("big.yaml", []byte(text))}, opts)
				if each && visits.Load() != int64(len(objs)) && !diags.HasErrors() {
					t.Errorf("Each called %d times for %d objects", visits.Load(), len(objs))
				}
				b.WriteString(summary(objs, diags))
				for _, o := range objs {
					fmt.Fprintf(&b, "%s %s\n", o.Pos("spec", "ingress", 0, "ports", 0, "port"), o.Pos("metadata", "name"))
				}
				return b.String()
			}
			if runtime.GOMAXPROCS(0) < 2 {
				t.Skip("one processor: the parallel path is not taken")
			}
			par := readAll(false)
			streamed := readAll(true)
			old := runtime.GOMAXPROCS(1)
			seq := readAll(false)
			runtime.GOMAXPROCS(old)
			if par != seq {
				t.Errorf("parallel and sequential reads differ:\n--- parallel\n%s\n--- sequential\n%s", par, seq)
			}
			if streamed != seq {
				t.Errorf("the read with Options.Each (streamed) and the sequential read differ:\n--- streamed\n%s\n--- sequential\n%s", streamed, seq)
			}
			if n := strings.Count(seq, "NetworkPolicy"); n < 500 && !strings.Contains(tc.name, "error in an item") && !strings.Contains(tc.name, "without a kind") {
				t.Errorf("only %d NetworkPolicies read", n)
			}
		})
	}
	// The parallel path is taken on a valid stream and on a List.
	if docs, ok := parseParallel([]byte(bigStream(""))); !ok || len(docs) < 600 {
		t.Errorf("parseParallel: ok=%v, %d documents", ok, len(docs))
	}
	if runtime.GOMAXPROCS(0) >= 2 {
		if docs, ok := parseParallel([]byte(bigList(""))); !ok || len(docs) != 1 {
			t.Errorf("parseParallel of a List: ok=%v, %d documents", ok, len(docs))
		}
	}
}

// TestParseParallelSameTrees compares, node by node (kind, tag, value,
// style, line and column), the documents parseParallel gives with those of
// one decoder over the whole input.
func TestParseParallelSameTrees(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor: the parallel path is not taken")
	}
	var dump func(b *strings.Builder, n *yaml.Node, depth int)
	dump = func(b *strings.Builder, n *yaml.Node, depth int) {
		fmt.Fprintf(b, "%*s%d %s %q %d %d:%d\n", depth, "", n.Kind, n.Tag, n.Value, n.Style, n.Line, n.Column)
		for _, c := range n.Content {
			dump(b, c, depth+1)
		}
	}
	for name, text := range map[string]string{
		"stream": bigStream(""), "list": bigList(""),
		"list and a document": "# kubectl get\n" + bigList("") + "---\nexternals:\n  - ip: 1.2.3.4\n",
		"document and list":   "a: 1\n---\n" + bigList(""),
	} {
		docs, ok := parseParallel([]byte(text))
		if !ok {
			t.Fatalf("%s: the parallel path was not taken", name)
		}
		var par, seq strings.Builder
		for _, d := range docs {
			dump(&par, d, 0)
		}
		dec := yaml.NewDecoder(strings.NewReader(text))
		for {
			var d yaml.Node
			if err := dec.Decode(&d); err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatal(err)
				}
				break
			}
			dump(&seq, &d, 0)
		}
		if par.String() != seq.String() {
			pl, sl := strings.Split(par.String(), "\n"), strings.Split(seq.String(), "\n")
			for i := range min(len(pl), len(sl)) {
				if pl[i] != sl[i] {
					t.Errorf("%s: node %d differs: parallel %q, sequential %q", name, i, pl[i], sl[i])
					break
				}
			}
			if len(pl) != len(sl) {
				t.Errorf("%s: %d nodes in parallel, %d sequentially", name, len(pl), len(sl))
			}
		}
	}
}

// TestEachDrops: an object whose YAML Each does not keep has its Span for
// every position, no fields and no Decode; a big List is read run by run
// (streamFile) with Each, and the objects Each keeps read as without it.
func TestEachDrops(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor: the List is not streamed")
	}
	text := []byte(bigList(""))
	f := source.NewFile("big.yaml", text)
	if !(&reader{opts: Options{Kinds: npKinds.Kinds, Each: func(*Object) bool { return true }}}).streamFile(newText(f), text) {
		t.Fatal("the List was not streamed")
	}
	opts := npKinds
	opts.Each = func(o *Object) bool { return o.Name == "p-7" }
	objs, diags := Read([]*source.File{f}, opts)
	if diags.HasErrors() || len(objs) != 700 {
		t.Fatalf("%d objects, %v", len(objs), diags)
	}
	for _, o := range objs {
		kept := o.Name == "p-7"
		if got := o.Pos("metadata", "name"); (got == o.Span) == kept {
			t.Errorf("%s: Pos(metadata, name) = %s, span %s", o, got, o.Span)
		}
		if o.Has("spec") != kept || o.IsNull("spec") == kept {
			t.Errorf("%s: Has(spec) = %v, IsNull(spec) = %v", o, o.Has("spec"), o.IsNull("spec"))
		}
		var m map[string]any
		if d := o.Decode(&m); d.HasErrors() == kept {
			t.Errorf("%s: Decode: %v", o, d)
		}
	}
}

// TestArenaKeepsKeptRuns: runs whose objects Each all drops give their
// nodes to later runs (streamRuns' arenas); the objects Each keeps, in
// other runs, read afterwards exactly as without Each: the same values
// and the same positions deep inside, on a big List and a big stream.
func TestArenaKeepsKeptRuns(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor: nothing is streamed")
	}
	// Block style, which fastDocs reads into arenas (yaml.v3 allocates).
	var list, stream strings.Builder
	list.WriteString("apiVersion: v1\nitems:\n")
	for i := 0; i < 1500; i++ {
		if i > 0 {
			stream.WriteString("---\n")
		}
		fmt.Fprintf(&stream, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p-%d\n  namespace: ns\nspec:\n  podSelector:\n    matchLabels:\n      app: a%d\n  ingress:\n  - ports:\n    - port: %d\n      protocol: TCP\n", i, i, 1+i)
		fmt.Fprintf(&list, "- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata:\n    name: p-%d\n    namespace: ns\n  spec:\n    podSelector:\n      matchLabels:\n        app: a%d\n    ingress:\n    - ports:\n      - port: %d\n        protocol: TCP\n", i, i, 1+i)
	}
	list.WriteString("kind: List\nmetadata:\n  resourceVersion: \"\"\n")
	for name, text := range map[string]string{"list": list.String(), "stream": stream.String()} {
		if _, ok := fastDocs([]byte(text), 0); !ok {
			t.Fatalf("%s: not read by fastDocs", name)
		}
		f := source.NewFile(name+".yaml", []byte(text))
		want, wantDiags := Read([]*source.File{f}, npKinds)
		keep := func(o *Object) bool { // every 97th: most runs keep nothing
			var i int
			_, err := fmt.Sscanf(o.Name, "p-%d", &i)
			return err == nil && i%97 == 0
		}
		opts := npKinds
		opts.Each = func(o *Object) bool {
			var m map[string]any
			o.Decode(&m) // work on the nodes while other runs are read
			return keep(o)
		}
		got, gotDiags := Read([]*source.File{f}, opts)
		if len(got) != len(want) || fmt.Sprint(gotDiags) != fmt.Sprint(wantDiags) {
			t.Fatalf("%s: %d objects (%v), want %d (%v)", name, len(got), gotDiags, len(want), wantDiags)
		}
		kept := 0
		for i, o := range got {
			if !keep(o) {
				continue
			}
			kept++
			var a, b map[string]any
			da, db := o.Decode(&a), want[i].Decode(&b)
			if !reflect.DeepEqual(a, b) || fmt.Sprint(da) != fmt.Sprint(db) {
				t.Errorf("%s: %s decodes to %v (%v), without Each %v (%v)", name, o, a, da, b, db)
			}
			for _, path := range [][]any{{"spec", "ingress", 0, "ports", 0, "port"}, {"metadata", "name"}, {"spec", "podSelector", "matchLabels", "app"}} {
				if g, w := o.Pos(path...), want[i].Pos(path...); g != w {
					t.Errorf("%s: %s: Pos(%v) = %s, without Each %s", name, o, path, g, w)
				}
			}
		}
		if kept < 10 {
			t.Errorf("%s: %d objects kept", name, kept)
		}
	}
}
