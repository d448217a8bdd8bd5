package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestCompileYAMLKeepsNEL: an HTTP path with U+0085 (NEL), which YAML 1.1
// reads as a line break, compiles to YAML that says what the JSON output
// says (the path and header as written), not "/a b".
func TestCompileYAMLKeepsNEL(t *testing.T) {
	src := "namespace shop\nallow dns\nweb = {app: web}\napi = {app: api}\n" +
		"web -> api:8080 http {\n  GET /a\u0085b header X-V: \"v\u2028w\"\n}\n"
	ry := runApp(t, src, "compile", "-t", "cilium", "-")
	rj := runApp(t, src, "compile", "-t", "cilium", "--format", "json", "-")
	if ry.code != exitOK || rj.code != exitOK {
		t.Fatalf("compile:\n%s\n%s", ry, rj)
	}
	if !strings.Contains(ry.stdout, `path: "/a\x85b"`) || strings.Contains(ry.stdout, "\u0085") || strings.Contains(ry.stdout, "\u2028") {
		t.Errorf("YAML:\n%s", ry.stdout)
	}
	var list struct{ Items []any }
	if err := json.Unmarshal([]byte(rj.stdout), &list); err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(ry.stdout, "\n---\n")
	if len(docs) != len(list.Items) {
		t.Fatalf("%d YAML documents, %d JSON items", len(docs), len(list.Items))
	}
	for i, doc := range docs {
		j, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		var got any
		if err := json.Unmarshal(j, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, list.Items[i]) {
			t.Errorf("document %d differs from the JSON output:\n%s\n%v", i, doc, list.Items[i])
		}
	}
	if !strings.Contains(rj.stdout, "/a\u0085b") {
		t.Errorf("JSON lost the NEL:\n%s", rj.stdout)
	}
}
