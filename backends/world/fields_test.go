package world

import (
	"fmt"
	"maps"
	"math/rand"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/internal/testsupport/clustergen"
	"github.com/netpolc/netpolc/internal/testsupport/yamlmutate"
	"github.com/netpolc/netpolc/lang/source"
)

// fieldValues replace values in yamlmutate.Lines: wrong types, odd numbers,
// timestamps, quantities and addresses.
var fieldValues = []string{
	"80", "-1", "0", "99999999999", "1.5", "true", "yes", "null", "{}", "[]", `"x"`, "abc",
	`"2026-11-20T09:12:44Z"`, `"garbage time"`, `"100m"`, `"1.5x"`, "10.244.0.1", "TCP", "[1, 2]", "{a: 1}",
}

// checkFields decodes every object of text as the lean read does (only
// kindFields filled) and as the full read does, and requires the same
// trimmed value and the same diagnostics; then reads the world of text
// lean and full and requires the same world and diagnostics. It returns
// the number of objects compared.
func checkFields(t *testing.T, name, text string) int {
	t.Helper()
	files := []*source.File{source.NewFile("cluster.yaml", []byte(text))}
	objs, _ := yamlsrc.Read(files, yamlsrc.Options{Kinds: Kinds, Untyped: true, Namespace: "default"})
	n := 0
	for _, o := range objs {
		full := kindValue(o.Kind)
		if full == nil {
			continue
		}
		n++
		lean := kindValue(o.Kind)
		leanDiags := o.DecodeLaxFields(lean, kindFields[o.Kind])
		fullDiags := o.DecodeLax(full)
		if fmt.Sprint(leanDiags) != fmt.Sprint(fullDiags) {
			t.Fatalf("%s: %s: DecodeLaxFields reports\n%v\nDecodeLax\n%v\n--- text\n%s", name, o, leanDiags, fullDiags, text)
		}
		if !fullDiags.HasErrors() && !reflect.DeepEqual(trimmed(lean), trimmed(full)) {
			t.Fatalf("%s: %s: DecodeLaxFields gives\n%+v\nDecodeLax\n%+v\n--- text\n%s", name, o, trimmed(lean), trimmed(full), text)
		}
	}
	got, gotDiags := Read(files, Options{Namespace: "default"})
	want, wantDiags := read(files, Options{Namespace: "default"}, false)
	if !reflect.DeepEqual(got, want) || fmt.Sprint(gotDiags) != fmt.Sprint(wantDiags) {
		t.Fatalf("%s: Read gives\n%+v\n%v\nthe full read\n%+v\n%v\n--- text\n%s", name, got, gotDiags, want, wantDiags, text)
	}
	return n
}

// TestFieldsSameAsTrimmed holds the lean read's decoding, which fills
// only the fields the world reads (kindFields) and checks the others, to
// decoding everything and trimming it: the same values and diagnostics
// on generated clusters, the benchmark's input, the kubectl fixture and
// mutations of them (values of the wrong type, odd values, missing and
// repeated fields, unknown fields).
func TestFieldsSameAsTrimmed(t *testing.T) {
	kubectl, err := os.ReadFile("testdata/kubectl-get.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]string{
		"cluster 100":     string(clustergen.Generate(100).WorldYAML),
		"cluster 10":      string(clustergen.Generate(10).WorldYAML),
		"kubectl list":    string(kubectlList(30)),
		"kubectl fixture": string(kubectl),
	}
	r := rand.New(rand.NewSource(1))
	objects, mutated := 0, 0
	// In a fixed order, so that the mutations (one random stream) and the
	// counts are the same in every run.
	for _, name := range slices.Sorted(maps.Keys(inputs)) {
		text := inputs[name]
		objects += checkFields(t, name, text)
		small := text
		if len(small) > 30000 {
			i := strings.LastIndex(small[:30000], "\n- apiVersion")
			small = small[:i+1]
		}
		for i := 0; i < 30; i++ {
			m := yamlmutate.Lines(r, small, fieldValues)
			mutated += checkFields(t, name+" (mutated)", m)
		}
	}
	if objects < 400 || mutated < 500 {
		t.Errorf("%d objects, %d mutated", objects, mutated)
	}
}

// FuzzFieldsSameAsTrimmed is TestFieldsSameAsTrimmed's comparison on any
// input.
func FuzzFieldsSameAsTrimmed(f *testing.F) {
	kubectl, err := os.ReadFile("testdata/kubectl-get.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(kubectl)
	f.Add(kubectlList(3))
	f.Add([]byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  namespace: shop\nspec:\n  parallelism: 1\n  template:\n    spec:\n      containers:\n      - name: c\n        ports:\n        - containerPort: 80\n          name: http\nstatus:\n  completionTime: \"2026-11-20T09:12:44Z\"\n"))
	f.Add([]byte("apiVersion: v1\nkind: Node\nmetadata:\n  name: worker-1\n  labels: {zone: a}\nstatus:\n  capacity: {cpu: \"4\"}\n  addresses:\n  - {type: InternalIP, address: 192.168.0.10}\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		checkFields(t, "fuzz", string(text))
	})
}
