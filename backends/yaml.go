package backends

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// MarshalYAML marshals v as one YAML document, as WriteYAML writes it, and
// guarantees that the document decodes back to the JSON value of v, with
// YAML 1.1 parsers (sigs.k8s.io/yaml, which kubectl and the API server use)
// and YAML 1.2 ones alike.
//
// sigs.k8s.io/yaml alone does not: it marshals v to JSON and reads that JSON
// as YAML, where a raw U+0085 (NEL) inside a string is a line break and
// folds into a space, so an HTTP path "/a<NEL>b" would be written as
// "/a b"; a raw DEL or C1 control character fails the conversion; and it
// writes U+2028 and U+2029 raw, which YAML 1.1 takes for line breaks and
// YAML 1.2 does not.
//
// The common case costs nothing more than sigs.k8s.io/yaml.Marshal: when the
// JSON of v is printable ASCII with no escape other than \", \\ and the HTML
// escapes (every string in it is printable ASCII), the conversion is known
// to round-trip
// (TestMarshalYAMLPrintableASCII) and is not checked. Otherwise the document
// is decoded again and compared with the JSON value of v, and it must hold
// no character that YAML parsers disagree on (see unsafeYAMLRune). If either
// check fails, the document is written again with every string that holds
// a character outside printable ASCII as a double-quoted scalar with
// escapes ("/a\x85b"), and checked again; an error means netpolc cannot
// write v faithfully. A string "<<", which sigs.k8s.io/yaml writes plain,
// is always double-quoted: YAML 1.1 reads a plain << as a merge key (an
// error as a key, and a merge tag some parsers reject as a value).
func MarshalYAML(v any) ([]byte, error) {
	j, err := encodeJSON(v, "")
	if err != nil {
		return nil, fmt.Errorf("error marshaling into JSON: %w", err)
	}
	y, yerr := yaml.JSONToYAML(j)
	if yerr == nil && plainJSON(j) {
		return y, nil
	}
	if yerr == nil && !plainMerge(y) && checkYAML(y, j) == nil {
		return y, nil
	}
	y, err = quotedYAML(j)
	if err != nil {
		return nil, err
	}
	if err := checkYAML(y, j); err != nil {
		return nil, fmt.Errorf("the YAML written would not read back as the object: %w", err)
	}
	return y, nil
}

// CheckYAML reports whether the YAML document doc decodes to the JSON value
// of v (the same objects, arrays, strings, numbers and booleans), and holds
// no character that YAML parsers read differently.
func CheckYAML(doc []byte, v any) error {
	j, err := encodeJSON(v, "")
	if err != nil {
		return err
	}
	return checkYAML(doc, j)
}

// SameJSON reports whether a and b marshal to the same JSON, e.g. an object
// built and the same object decoded from what was written; the error shows
// where they first differ.
func SameJSON(a, b any) error {
	ja, err := encodeJSON(a, "")
	if err != nil {
		return err
	}
	jb, err := encodeJSON(b, "")
	if err != nil {
		return err
	}
	if bytes.Equal(ja, jb) {
		return nil
	}
	i := 0
	for i < len(ja) && i < len(jb) && ja[i] == jb[i] {
		i++
	}
	from := max(0, i-40)
	return fmt.Errorf("JSON differs at byte %d: %q vs %q", i, ja[from:min(len(ja), i+40)], jb[from:min(len(jb), i+40)])
}

func checkYAML(doc, j []byte) error {
	if i, r := unsafeYAMLText(doc); i >= 0 {
		return fmt.Errorf("character %U at byte %d of the YAML", r, i)
	}
	back, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	var want, got any
	if err := json.Unmarshal(j, &want); err != nil {
		return err
	}
	if err := json.Unmarshal(back, &got); err != nil {
		return err
	}
	if !reflect.DeepEqual(want, got) {
		return errors.New("decodes to a different value")
	}
	return nil
}

// plainJSON reports whether every byte of the JSON text j is printable
// ASCII and every escape in it is \", \\ or one of encoding/json's HTML
// escapes of <, > and & (then every string in it is printable ASCII, which
// sigs.k8s.io/yaml writes faithfully), and no string is "<<" (which it
// writes plain, and YAML 1.1 reads as a merge key).
func plainJSON(j []byte) bool {
	if bytes.Contains(j, []byte(`"<<"`)) || bytes.Contains(j, []byte(`"\u003c\u003c"`)) {
		return false
	}
	for i := 0; i < len(j); i++ {
		c := j[i]
		if c < 0x20 && c != '\n' || c >= 0x7f {
			return false
		}
		if c != '\\' {
			continue
		}
		switch {
		case i+1 < len(j) && (j[i+1] == '"' || j[i+1] == '\\'):
			i++
		case bytes.HasPrefix(j[i:], []byte(`\u003c`)) || bytes.HasPrefix(j[i:], []byte(`\u003e`)) || bytes.HasPrefix(j[i:], []byte(`\u0026`)):
			i += 5
		default:
			return false
		}
	}
	return true
}

// plainMerge reports whether the YAML text y may hold a plain << scalar (as
// a key or a value). It may err towards true: the caller then quotes.
func plainMerge(y []byte) bool {
	if !bytes.Contains(y, []byte("<<")) {
		return false
	}
	for _, line := range bytes.Split(y, []byte("\n")) {
		t := bytes.TrimLeft(line, " ")
		for bytes.HasPrefix(t, []byte("- ")) {
			t = bytes.TrimLeft(t[2:], " ")
		}
		if bytes.Equal(t, []byte("<<")) || bytes.HasPrefix(t, []byte("<<:")) || bytes.HasSuffix(t, []byte(": <<")) {
			return true
		}
	}
	return false
}

// unsafeYAMLRune reports the characters that YAML parsers read differently,
// or that some reject, when they appear raw in a document: NEL, LS and PS
// are line breaks in YAML 1.1 and not in YAML 1.2; other C0 and C1 control
// characters, DEL, a BOM inside the stream, surrogates and non-characters
// are not allowed raw. (A tab is allowed, and a line feed is the line
// break.)
func unsafeYAMLRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return false
	case r < 0x20 || r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x2028 || r == 0x2029 || r == 0xfeff:
		return true
	case r >= 0xfdd0 && r <= 0xfdef || r&0xfffe == 0xfffe:
		return true
	}
	return false
}

// unsafeYAMLText returns the offset and the first unsafe character of doc
// (invalid UTF-8 included), or -1.
func unsafeYAMLText(doc []byte) (int, rune) {
	for i := 0; i < len(doc); {
		c := doc[i]
		if c < utf8.RuneSelf {
			if unsafeYAMLRune(rune(c)) {
				return i, rune(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(doc[i:])
		if r == utf8.RuneError && n == 1 || unsafeYAMLRune(r) {
			return i, r
		}
		i += n
	}
	return -1, 0
}

// quotedYAML writes the JSON text j as YAML the way sigs.k8s.io/yaml does,
// except that every string (value or key) holding a byte outside printable
// ASCII, and "<<", becomes a double-quoted scalar with escapes. It replaces each such
// string with a unique plain placeholder, converts, and puts the quoted
// scalars in place of the placeholders.
func quotedYAML(j []byte) ([]byte, error) {
	var tree any
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	nonce := 0
	prefix := func() string { return "netpolcq" + strconv.Itoa(nonce) + "x" }
	for bytes.Contains(j, []byte(prefix())) {
		nonce++
	}
	var pairs []string
	var walk func(any) any
	replace := func(s string) string {
		if !needsQuotedScalar(s) {
			return s
		}
		ph := fmt.Sprintf("%s%08d", prefix(), len(pairs)/2)
		pairs = append(pairs, ph, quoteYAML(s))
		return ph
	}
	walk = func(v any) any {
		switch v := v.(type) {
		case string:
			return replace(v)
		case []any:
			for i := range v {
				v[i] = walk(v[i])
			}
		case map[string]any:
			out := make(map[string]any, len(v))
			for k, e := range v {
				out[replace(k)] = walk(e)
			}
			return out
		}
		return v
	}
	tree = walk(tree)
	j2, err := encodeJSON(tree, "")
	if err != nil {
		return nil, err
	}
	y, err := yaml.JSONToYAML(j2)
	if err != nil {
		return nil, fmt.Errorf("error converting JSON to YAML: %w", err)
	}
	if len(pairs) == 0 {
		return y, nil
	}
	return []byte(strings.NewReplacer(pairs...).Replace(string(y))), nil
}

// needsQuotedScalar reports whether s holds a byte outside printable ASCII
// or is the merge key "<<".
func needsQuotedScalar(s string) bool {
	if s == "<<" {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return true
		}
	}
	return false
}

// quoteYAML returns s as a YAML double-quoted scalar that YAML 1.1 and 1.2
// read alike: printable ASCII and printable non-ASCII letters as they are,
// everything else escaped (\t, \n, \r, \xXX, \uXXXX, \UXXXXXXXX).
func quoteYAML(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r >= 0xa0 && unicode.IsPrint(r) && !unsafeYAMLRune(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02X`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			fmt.Fprintf(&b, `\U%08X`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
