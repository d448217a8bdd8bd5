package backendtest

import (
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends"
)

// CheckYAMLStream proves that the YAML stream data, as backends.WriteYAML
// wrote it for objs, says exactly what objs say: one document per object,
// in backends.SortObjects order, each decoding to the JSON value of its
// object (backends.CheckYAML: no string changed by the writer, no
// character that YAML parsers read differently).
func CheckYAMLStream(t testing.TB, data []byte, objs []backends.Object) {
	t.Helper()
	sorted := backends.SortObjects(objs)
	if len(objs) == 0 {
		if len(data) != 0 {
			t.Fatalf("YAML for no objects:\n%s", data)
		}
		return
	}
	// Split keeping the line feed that ends each document: a document may
	// end with a block scalar whose final line break is content.
	docs := strings.SplitAfter(string(data), "\n---\n")
	if len(docs) != len(sorted) {
		t.Fatalf("%d YAML documents for %d objects", len(docs), len(sorted))
	}
	for i, doc := range docs {
		doc = strings.TrimSuffix(doc, "---\n")
		if err := backends.CheckYAML([]byte(doc), sorted[i].Value); err != nil {
			t.Fatalf("%s %s/%s: the YAML written does not read back as the object: %v\n%s",
				sorted[i].Kind, sorted[i].Namespace, sorted[i].Name, err, doc)
		}
	}
}
