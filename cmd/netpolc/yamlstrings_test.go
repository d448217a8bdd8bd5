package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestCompileRejectsInvisibleHTTPText: an HTTP path with U+0085 (NEL),
// which no request carries and which YAML 1.1 reads as a line break, is an
// error at its position (exit 1), not a rule written as "/a b".
func TestCompileRejectsInvisibleHTTPText(t *testing.T) {
	src := "namespace shop\nallow dns\nweb = {app: web}\napi = {app: api}\n" +
		"web -> api:8080 http {\n  GET /a\u0085b header X-V: \"v\u2028w\"\n}\n"
	r := runApp(t, src, "compile", "-t", "cilium", "-")
	if r.code != exitInput || r.stdout != "" ||
		!strings.HasPrefix(r.stderr, `-:6:7: error[bad-regex]: HTTP path "/a\u0085b" holds U+0085`) ||
		!strings.Contains(r.stderr, `-:6:25: error[bad-header]: header value "v\u2028w" holds U+2028`) {
		t.Errorf("compile:\n%s", r)
	}
}

// TestCompileYAMLSaysWhatJSONSays: HTTP strings YAML gives a meaning to
// (booleans, null, a merge key, whitespace at the ends, a tab, non-ASCII)
// compile to YAML documents that decode to the items of the JSON output.
func TestCompileYAMLSaysWhatJSONSays(t *testing.T) {
	src := "namespace shop\nallow dns\nweb = {app: web}\napi = {app: api}\n" +
		"web -> api:8080 http {\n" +
		"  yes null host \"~\" header X-A: \"no\"\n" +
		"  GET \"<<\" header X-B: \"a\tb\"\n" +
		"  GET \" /lead \" header X-C: \"caf\u00e9\"\n" +
		"  GET /caf\u00e9/\U0001F600 header X-D: true\n" +
		"}\n"
	ry := runApp(t, src, "compile", "-t", "cilium", "-")
	rj := runApp(t, src, "compile", "-t", "cilium", "--format", "json", "-")
	if ry.code != exitOK || rj.code != exitOK {
		t.Fatalf("compile:\n%s\n%s", ry, rj)
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
	for _, want := range []string{`method: "yes"`, `path: "null"`, `host: "~"`, `- 'X-A: no'`, `path: "<<"`, `- "X-B: a\tb"`, `path: ' /lead '`} {
		if !strings.Contains(ry.stdout, want) {
			t.Errorf("YAML lacks %s:\n%s", want, ry.stdout)
		}
	}
}
