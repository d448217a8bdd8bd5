package backends

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// awkwardStrings are strings the YAML writer must keep exactly: characters
// YAML treats as line breaks (NEL, LS, PS) or does not allow raw (C0 and C1
// controls, DEL, BOM, non-characters), whitespace at the ends, and words
// YAML 1.1 would read as something other than a string.
var awkwardStrings = []string{
	"/a\u0085b", "/a\u2028b", "/a\u2029b", "\u0085", "a\u0085", "\u2028\u2029",
	"a\tb", "\ta", "a\t", "a\rb", "a\r\nb", "a\nb", "a\n", "\n", "a \nb", "a\n b",
	"a\x00b", "\x00", "a\x1bb", "a\x7fb", "a\u0080b", "a\u009fb", "\ufeffa", "a\ufeff",
	"a\ufffeb", "a\uffffb", "a\U0001FFFEb", "a\ufdd0b",
	" a", "a ", " ", "  ", "",
	"yes", "no", "Yes", "NO", "on", "off", "y", "n", "true", "false", "~", "null", "Null", "NULL",
	"0", "007", "0x1F", "0o17", "1e3", "1_000", ".inf", "-.inf", ".nan", "12:30:00", "2001-12-14", "<<", "=",
	"- a", "-", "? a", ":", "a: b", "a #b", "#a", "'a", "a'", `"a"`, `\`, `a\nb`, "{a}", "[a]", "&a", "*a", "!a", "|", ">", "%a", "@a", "`a",
	"café", "日本", "\U0001F600", "a\u00a0b", "a\u200bb", "\ufffd", "a\u202eb",
	"/api/v1/.*\u0085", "X-Header: v\u2028w",
}

// roundTrip marshals v with MarshalYAML and checks that the document reads
// back as v's JSON value and holds no character YAML parsers disagree on.
func roundTrip(t *testing.T, v any) []byte {
	t.Helper()
	doc, err := MarshalYAML(v)
	if err != nil {
		t.Fatalf("MarshalYAML: %v", err)
	}
	if i, r := unsafeYAMLText(doc); i >= 0 {
		t.Errorf("raw %U at byte %d:\n%s", r, i, doc)
	}
	back, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("YAMLToJSON: %v\n%s", err, doc)
	}
	want, _ := json.Marshal(v)
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(back, &g); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(w, g) {
		t.Errorf("does not read back:\nwant %s\ngot  %s\nYAML:\n%s", want, back, doc)
	}
	if err := CheckYAML(doc, v); err != nil {
		t.Errorf("CheckYAML: %v", err)
	}
	return doc
}

func TestMarshalYAMLAwkwardStrings(t *testing.T) {
	for _, s := range awkwardStrings {
		// As a value, a list item, a key, and beside an ordinary string.
		roundTrip(t, map[string]any{
			"path":    s,
			"headers": []string{"X-A: " + s, s},
			"labels":  map[string]string{s: s, "app": "web"},
			"n":       80,
		})
	}
	// All at once, as in one object with many HTTP rules.
	roundTrip(t, map[string]any{"http": awkwardStrings})
}

// TestMarshalYAMLNEL: the case that sigs.k8s.io/yaml alone gets wrong, and
// what netpolc writes instead.
func TestMarshalYAMLNEL(t *testing.T) {
	v := map[string]string{"path": "/a\u0085b", "method": "GET"}
	plain, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]string
	if err := yaml.Unmarshal(plain, &back); err != nil || back["path"] == v["path"] {
		t.Logf("sigs.k8s.io/yaml keeps NEL now (%q); the check below still holds", back["path"])
	}
	doc := roundTrip(t, v)
	if want := "method: GET\npath: \"/a\\x85b\"\n"; string(doc) != want {
		t.Errorf("got\n%s\nwant\n%s", doc, want)
	}
}

// TestMarshalYAMLPrintableASCII is the ground for MarshalYAML's fast path:
// for strings of printable ASCII, sigs.k8s.io/yaml's output reads back
// exactly, so MarshalYAML returns it unchecked (and unchanged).
func TestMarshalYAMLPrintableASCII(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	// Characters YAML gives a meaning, more often than the others.
	const special = " -?:,[]{}#&*!|>'\"%@`~=<.+_0123456789eEnNyYtTfFoOxX\\/"
	var cases []string
	for _, s := range awkwardStrings {
		if plainJSONString(s) {
			cases = append(cases, s)
		}
	}
	for i := 0; i < 5000; i++ {
		var b strings.Builder
		for n := r.Intn(8); n >= 0; n-- {
			if r.Intn(2) == 0 {
				b.WriteByte(special[r.Intn(len(special))])
			} else {
				b.WriteByte(byte(0x20 + r.Intn(0x7f-0x20)))
			}
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		v := map[string]any{"s": s, "l": []string{s}, "m": map[string]string{s: s}}
		j, err := encodeJSON(v, "")
		if err != nil {
			t.Fatal(err)
		}
		// With encoding/json's HTML escaping too (as the Cilium objects'
		// MarshalJSON writes).
		hj, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !plainJSON(j) || !plainJSON(hj) {
			if s != "<<" {
				t.Fatalf("%q: not on the fast path: %s", s, j)
			}
			roundTrip(t, v)
			continue
		}
		want, err := yaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		doc := roundTrip(t, v)
		if !bytes.Equal(doc, want) {
			t.Errorf("%q: MarshalYAML changed the output of sigs.k8s.io/yaml:\n%s\nwant\n%s", s, doc, want)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}

func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func TestPlainJSON(t *testing.T) {
	for _, c := range []struct {
		j    string
		want bool
	}{
		{`{"a":"b c"}`, true},
		{`{"a":"x\"y\\z"}`, true},
		{`{"a":"x\\\\"}`, true},
		{`{"a":"\\n"}`, true},
		{`{"a":"\n"}`, false},
		{`{"a":"\t"}`, false},
		{`{"a":"\u0000"}`, false},
		{`{"a":"\u2028"}`, false},
		{"{\"a\":\"\u0085\"}", false},
		{"{\"a\":\"caf\u00e9\"}", false},
		{"{\"a\":\"\x7f\"}", false},
		{`{"a":"\`, false},
		{`{"<<":"a"}`, false},
		{`{"a":"<<"}`, false},
		{`{"a":"<<<"}`, true},
		{`{"a":"\u003ca\u003e \u0026"}`, true},
		{`{"a":"\u003c\u003c"}`, false},
		{`{"a":"\u003cb"}`, true},
		{`{"a":"\u0041"}`, false},
		{`{"a":"\u003"}`, false},
	} {
		if got := plainJSON([]byte(c.j)); got != c.want {
			t.Errorf("plainJSON(%s) = %v, want %v", c.j, got, c.want)
		}
	}
}

// TestWriteYAMLAwkwardStrings: WriteYAML writes through MarshalYAML, and
// every document of the stream reads back as its object.
func TestWriteYAMLAwkwardStrings(t *testing.T) {
	var objs []Object
	for i, s := range awkwardStrings {
		o := obj("CiliumNetworkPolicy", "shop", "p"+strings.Repeat("x", i), s)
		objs = append(objs, o)
	}
	var buf bytes.Buffer
	if err := WriteYAML(&buf, objs); err != nil {
		t.Fatal(err)
	}
	// Split keeping the line feed that ends each document: a document may
	// end with a block scalar whose final line break is content ("a\n").
	docs := strings.SplitAfter(buf.String(), "\n---\n")
	for i := range docs {
		docs[i] = strings.TrimSuffix(docs[i], "---\n")
	}
	sorted := SortObjects(objs)
	if len(docs) != len(sorted) {
		t.Fatalf("%d documents for %d objects", len(docs), len(sorted))
	}
	for i, doc := range docs {
		var back testObject
		if err := yaml.UnmarshalStrict([]byte(doc), &back); err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		if err := SameJSON(back, sorted[i].Value); err != nil {
			t.Errorf("%v\n%s", err, doc)
		}
	}
}

func TestSameJSON(t *testing.T) {
	if err := SameJSON(map[string]string{"a": "x"}, map[string]string{"a": "x"}); err != nil {
		t.Error(err)
	}
	err := SameJSON(map[string]string{"a": "/a\u0085b"}, map[string]string{"a": "/a b"})
	if err == nil || !strings.Contains(err.Error(), "differs at byte 8") {
		t.Errorf("SameJSON: %v", err)
	}
}

func TestQuoteYAML(t *testing.T) {
	for in, want := range map[string]string{
		"a":              `"a"`,
		`a"b\c`:          `"a\"b\\c"`,
		"a\tb\nc\rd":     `"a\tb\nc\rd"`,
		"\x00\x1b\x7f":   `"\x00\x1B\x7F"`,
		"\u0085\u009f":   `"\x85\x9F"`,
		"\u2028\u2029":   `"\u2028\u2029"`,
		"\ufeff\ufffe":   `"\uFEFF\uFFFE"`,
		"café 日本":        `"café 日本"`,
		"\U0001FFFE":     `"\U0001FFFE"`,
		"a\u00a0b\u200b": `"a\xA0b\u200B"`,
		"<<":             `"<<"`,
	} {
		if got := quoteYAML(in); got != want {
			t.Errorf("quoteYAML(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestPlainMerge(t *testing.T) {
	for y, want := range map[string]bool{
		"a: <<\n":         true,
		"- <<\n":          true,
		"a:\n  - - <<\n":  true,
		"<<: a\n":         true,
		"  <<: a\n":       true,
		"a: \"<<\"\n":     false,
		"a: '<<'\n":       false,
		"a: <<<\n":        false,
		"a: x<<\n":        false,
		"a: b\n":          false,
		"a: '<< x'\n":     false,
		"- '<<': x\n":     false,
		"a: |\n  x: <<\n": true, // errs towards quoting
	} {
		if got := plainMerge([]byte(y)); got != want {
			t.Errorf("plainMerge(%q) = %v, want %v", y, got, want)
		}
	}
	// A "<<" that reaches MarshalYAML HTML-escaped (from a MarshalJSON
	// method using json.Marshal) is quoted too.
	doc := roundTrip(t, htmlEscaped{"<<"})
	if string(doc) != "path: \"<<\"\n" {
		t.Errorf("got %s", doc)
	}
}

// htmlEscaped marshals with encoding/json's HTML escaping, as the Cilium
// backend's CNP does.
type htmlEscaped struct{ Path string }

func (h htmlEscaped) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"path": h.Path})
}
