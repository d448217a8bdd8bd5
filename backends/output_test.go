package backends

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/source"
)

// testObject stands in for a typed Kubernetes object: what matters here is
// how objects are ordered, named and written, not what they contain.
type testObject struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   map[string]string `json:"metadata"`
	Spec       string            `json:"spec,omitempty"`
}

func obj(kind, ns, name, spec string) Object {
	md := map[string]string{"name": name}
	if ns != "" {
		md["namespace"] = ns
	}
	return Object{
		APIVersion: "example/v1", Kind: kind, Namespace: ns, Name: name,
		Value: testObject{APIVersion: "example/v1", Kind: kind, Metadata: md, Spec: spec},
	}
}

// unsorted is emitted in an order no writer may keep.
var unsorted = []Object{
	obj("NetworkPolicy", "shop", "web", "a <b> & c"),
	obj("CiliumClusterwideNetworkPolicy", "", "deny-metadata", ""),
	obj("NetworkPolicy", "default", "db", ""),
	obj("CiliumNetworkPolicy", "shop", "api", ""),
}

func TestWriteYAML(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteYAML(&buf, unsorted); err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: example/v1
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: deny-metadata
---
apiVersion: example/v1
kind: CiliumNetworkPolicy
metadata:
  name: api
  namespace: shop
---
apiVersion: example/v1
kind: NetworkPolicy
metadata:
  name: db
  namespace: default
---
apiVersion: example/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec: a <b> & c
`
	if got := buf.String(); got != want {
		t.Errorf("WriteYAML:\n%s\nwant:\n%s", got, want)
	}

	buf.Reset()
	if err := WriteYAML(&buf, nil); err != nil || buf.Len() != 0 {
		t.Errorf("WriteYAML(nil) = %q, %v; want nothing", buf.String(), err)
	}
}

func TestSplitYAML(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteYAML(&buf, unsorted); err != nil {
		t.Fatal(err)
	}
	docs := SplitYAML(buf.Bytes())
	if len(docs) != len(unsorted) {
		t.Fatalf("SplitYAML: %d documents, want %d", len(docs), len(unsorted))
	}
	if got := bytes.Join(docs, []byte("\n---\n")); !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("SplitYAML documents joined again:\n%s\nwant:\n%s", got, buf.Bytes())
	}
	for _, in := range []string{"", "\n", "\n---\n", "a: 1\n---\n\n---\nb: 2\n"} {
		var got []string
		for _, d := range SplitYAML([]byte(in)) {
			got = append(got, string(d))
		}
		want := map[string][]string{"a: 1\n---\n\n---\nb: 2\n": {"a: 1", "b: 2\n"}}[in]
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("SplitYAML(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, unsorted); err != nil {
		t.Fatal(err)
	}
	var list struct {
		APIVersion string       `json:"apiVersion"`
		Kind       string       `json:"kind"`
		Items      []testObject `json:"items"`
	}
	if err := json.Unmarshal(buf.Bytes(), &list); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, buf.String())
	}
	if list.APIVersion != "v1" || list.Kind != "List" {
		t.Errorf("got apiVersion %q kind %q, want a v1 List", list.APIVersion, list.Kind)
	}
	var got []string
	for _, it := range list.Items {
		got = append(got, it.Kind+"/"+it.Metadata["namespace"]+"/"+it.Metadata["name"])
	}
	want := []string{"CiliumClusterwideNetworkPolicy//deny-metadata", "CiliumNetworkPolicy/shop/api", "NetworkPolicy/default/db", "NetworkPolicy/shop/web"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("items %v, want %v", got, want)
	}
	if !strings.Contains(buf.String(), `"spec": "a <b> & c"`) {
		t.Errorf("HTML characters escaped or not indented:\n%s", buf.String())
	}
	if !strings.HasSuffix(buf.String(), "}\n") {
		t.Errorf("output does not end with a newline")
	}

	buf.Reset()
	if err := WriteJSON(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": []\n}\n"; buf.String() != want {
		t.Errorf("WriteJSON(nil) = %q, want %q", buf.String(), want)
	}
}

func TestSortObjectsIsStableAndCopies(t *testing.T) {
	a := obj("NetworkPolicy", "x", "same", "first")
	b := obj("NetworkPolicy", "x", "same", "second")
	in := []Object{b, obj("A", "", "z", ""), a}
	out := SortObjects(in)
	if out[0].Kind != "A" || out[1].Value.(testObject).Spec != "second" || out[2].Value.(testObject).Spec != "first" {
		t.Errorf("SortObjects = %v", out)
	}
	if in[0].Value.(testObject).Spec != "second" || in[1].Kind != "A" {
		t.Errorf("SortObjects modified its input")
	}
}

func TestFileName(t *testing.T) {
	for _, tt := range []struct {
		o      Object
		format string
		want   string
	}{
		{obj("NetworkPolicy", "shop", "web-to-db", ""), "yaml", "shop.networkpolicy.web-to-db.yaml"},
		{obj("CiliumClusterwideNetworkPolicy", "", "deny-metadata", ""), "json", "ciliumclusterwidenetworkpolicy.deny-metadata.json"},
	} {
		if got := FileName(tt.o, tt.format); got != tt.want {
			t.Errorf("FileName(%s %s/%s) = %q, want %q", tt.o.Kind, tt.o.Namespace, tt.o.Name, got, tt.want)
		}
	}
}

func TestSourceLines(t *testing.T) {
	at := func(file string, line int) source.Span {
		return source.Span{File: file, Start: source.Pos{Line: line, Col: 1}, End: source.Pos{Line: line, Col: 2, Offset: 1}}
	}
	got := SourceLines([]source.Span{at("b.netpol", 3), at("a.netpol", 9), {}, at("b.netpol", 1), at("a.netpol", 2), at("b.netpol", 3), at("a\tb.netpol", 4)})
	if want := `"a\tb.netpol":4 a.netpol:2,9 b.netpol:1,3`; got != want {
		t.Errorf("SourceLines = %q, want %q", got, want)
	}
	if got := SourceLines(nil); got != "" {
		t.Errorf("SourceLines(nil) = %q, want empty", got)
	}
}
