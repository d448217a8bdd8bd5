package backendtest

import (
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/ir"
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

// HTTPProgram compiles a program (in a file called file) with one HTTP
// rule (GET, a path, one header with a value) between two groups of one
// namespace, then sets the
// rule's path to path and its header value to value in the IR, past the
// compiler's checks: the backends and the YAML writer must keep any string
// they are given, including ones the language rejects (control characters,
// line separators).
func HTTPProgram(t testing.TB, file, path, value string) *ir.Program {
	t.Helper()
	src := "namespace shop\nallow dns\nweb = {app: web}\napi = {app: api}\n" +
		"web -> api:8080 http {\n  GET /placeholder header X-V: placeholder\n}\n"
	prog, set, diags := Compile(map[string]string{file: src})
	if diags.HasErrors() {
		t.Fatalf("compile:\n%s", RenderDiags(set, diags))
	}
	n := 0
	for _, pol := range prog.Policies {
		for _, r := range pol.Rules {
			for i := range r.Ports {
				for j := range r.Ports[i].HTTP {
					h := &r.Ports[i].HTTP[j]
					h.Path = path
					v := value
					h.Headers[0].Value = &v
					n++
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no HTTP rule in the program")
	}
	return prog
}
