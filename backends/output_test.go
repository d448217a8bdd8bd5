package backends

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
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

// listDir returns "name=content" for every entry of dir, hidden ones included.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		content, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			out = append(out, e.Name()+"=<"+err.Error()+">")
			continue
		}
		out = append(out, e.Name()+"="+string(content))
	}
	sort.Strings(out)
	return out
}

func TestWriteDir(t *testing.T) {
	for _, format := range []string{FormatYAML, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out", "nested")
			if err := WriteDir(dir, unsorted, format); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range listDir(t, dir) {
				names = append(names, e[:strings.Index(e, "=")])
			}
			want := []string{
				"ciliumclusterwidenetworkpolicy.deny-metadata." + format,
				"default.networkpolicy.db." + format,
				"shop.ciliumnetworkpolicy.api." + format,
				"shop.networkpolicy.web." + format,
			}
			if strings.Join(names, " ") != strings.Join(want, " ") {
				t.Errorf("files %v, want %v", names, want)
			}
			content, err := os.ReadFile(filepath.Join(dir, "shop.networkpolicy.web."+format))
			if err != nil {
				t.Fatal(err)
			}
			var back testObject
			if format == FormatJSON {
				err = json.Unmarshal(content, &back)
			} else if !strings.HasPrefix(string(content), "apiVersion: example/v1\nkind: NetworkPolicy\n") || strings.Contains(string(content), "---") {
				err = errors.New("not one YAML document")
			}
			if err != nil || (format == FormatJSON && back.Spec != "a <b> & c") {
				t.Errorf("bad file content (%v):\n%s", err, content)
			}
			info, err := os.Stat(filepath.Join(dir, "shop.networkpolicy.web."+format))
			if err != nil || info.Mode().Perm() != 0o644 {
				t.Errorf("file mode %v, %v; want 0644", info.Mode(), err)
			}
		})
	}
}

func TestWriteDirReplacesAndKeepsOthers(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "shop.networkpolicy.web.yaml"), []byte("old\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "unrelated.txt"), []byte("keep\n"), 0o644)
	if err := WriteDir(dir, unsorted[:1], FormatYAML); err != nil {
		t.Fatal(err)
	}
	got := listDir(t, dir)
	if len(got) != 2 || !strings.HasPrefix(got[0], "shop.networkpolicy.web.yaml=apiVersion") || got[1] != "unrelated.txt=keep\n" {
		t.Errorf("directory after WriteDir: %q", got)
	}
}

func TestWriteDirAllOrNothing(t *testing.T) {
	prepare := func(t *testing.T) (string, []string) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "shop.networkpolicy.web.yaml"), []byte("old web\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "unrelated.txt"), []byte("keep\n"), 0o644)
		return dir, listDir(t, dir)
	}
	t.Run("bad object", func(t *testing.T) {
		dir, before := prepare(t)
		objs := append([]Object{{Kind: "NetworkPolicy", Namespace: "a", Name: "nil-value"}}, unsorted...)
		if err := WriteDir(dir, objs, FormatYAML); err == nil || !strings.Contains(err.Error(), "nil-value") {
			t.Fatalf("WriteDir error = %v, want one naming the bad object", err)
		}
		if after := listDir(t, dir); strings.Join(after, "|") != strings.Join(before, "|") {
			t.Errorf("directory changed:\n%q\nwant\n%q", after, before)
		}
	})
	t.Run("target is a directory", func(t *testing.T) {
		dir, _ := prepare(t)
		os.Mkdir(filepath.Join(dir, "shop.ciliumnetworkpolicy.api.yaml"), 0o755)
		before := listDir(t, dir)
		if err := WriteDir(dir, unsorted, FormatYAML); err == nil {
			t.Fatal("WriteDir succeeded")
		}
		if after := listDir(t, dir); strings.Join(after, "|") != strings.Join(before, "|") {
			t.Errorf("directory changed:\n%q\nwant\n%q", after, before)
		}
	})
	t.Run("duplicate file name", func(t *testing.T) {
		dir, before := prepare(t)
		objs := append([]Object{obj("NetworkPolicy", "shop", "web", "twice")}, unsorted...)
		if err := WriteDir(dir, objs, FormatYAML); err == nil || !strings.Contains(err.Error(), "both") {
			t.Fatalf("WriteDir error = %v, want a collision", err)
		}
		if after := listDir(t, dir); strings.Join(after, "|") != strings.Join(before, "|") {
			t.Errorf("directory changed")
		}
	})
	t.Run("unknown format", func(t *testing.T) {
		dir, before := prepare(t)
		if err := WriteDir(dir, unsorted, "toml"); err == nil {
			t.Fatal("WriteDir succeeded")
		}
		if after := listDir(t, dir); strings.Join(after, "|") != strings.Join(before, "|") {
			t.Errorf("directory changed")
		}
	})
	// A rename failing at each step (4 new files, 1 of which replaces an
	// old one: 5 renames): the files already replaced come back.
	for failAt := 1; failAt <= 5; failAt++ {
		t.Run(fmt.Sprintf("rename %d fails", failAt), func(t *testing.T) {
			dir, before := prepare(t)
			calls := 0
			rename := func(from, to string) error {
				calls++
				if calls == failAt {
					return errors.New("injected failure")
				}
				return os.Rename(from, to)
			}
			err := writeDir(dir, unsorted, FormatYAML, rename)
			if err == nil || !strings.Contains(err.Error(), "injected failure") {
				t.Fatalf("writeDir error = %v, want the injected failure", err)
			}
			if after := listDir(t, dir); strings.Join(after, "|") != strings.Join(before, "|") {
				t.Errorf("directory after a failed rename %d:\n%q\nwant\n%q", failAt, after, before)
			}
		})
	}
}

func TestWriteDirUnwritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write into a read-only directory; the injected failures above cover this")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if err := WriteDir(dir, unsorted, FormatYAML); err == nil {
		t.Fatal("WriteDir succeeded in a read-only directory")
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("left behind: %q", got)
	}
}
