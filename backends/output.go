package backends

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Output formats accepted by WriteDir (and by netpolc compile --format).
const (
	FormatYAML = "yaml"
	FormatJSON = "json"
)

// SortObjects returns a copy of objs sorted by kind, namespace and name (a
// stable sort: objects equal on all three keep their order). Every writer in
// this file sorts, so backends need not: output is deterministic whatever
// order a backend emits in.
func SortObjects(objs []Object) []Object {
	out := make([]Object, len(objs))
	copy(out, objs)
	sort.SliceStable(out, func(i, j int) bool { return ObjectLess(out[i], out[j]) })
	return out
}

// ObjectLess orders objects by kind, then namespace, then name: the order of
// SortObjects, for a backend that sorts objects held in its own structures.
func ObjectLess(a, b Object) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// WriteYAML writes objs, sorted (see SortObjects), as one multi-document YAML
// stream: documents are separated by a "---" line, with no separator before
// the first or after the last. No objects write nothing.
func WriteYAML(w io.Writer, objs []Object) error {
	var buf bytes.Buffer
	for i, o := range SortObjects(objs) {
		doc, err := marshalYAML(o)
		if err != nil {
			return err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(doc)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// SplitYAML splits a multi-document YAML stream as WriteYAML writes it into
// its documents, leaving out empty ones.
func SplitYAML(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(data, []byte("\n---\n")) {
		if len(bytes.TrimSpace(d)) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

// WriteJSON writes objs, sorted (see SortObjects), as one Kubernetes v1 List
// object, indented by two spaces:
//
//	{"apiVersion": "v1", "kind": "List", "items": [...]}
//
// A List rather than a bare array because kubectl (apply, diff, get -f)
// accepts it as is, and jq reaches the objects with .items[]. No objects
// write a List with an empty items array, never null.
func WriteJSON(w io.Writer, objs []Object) error {
	list := struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
	}{APIVersion: "v1", Kind: "List", Items: []json.RawMessage{}}
	for _, o := range SortObjects(objs) {
		item, err := marshalJSON(o, "")
		if err != nil {
			return err
		}
		list.Items = append(list.Items, item)
	}
	out, err := encodeJSON(list, "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// FileName is the name WriteDir (outdir.go) gives the file of o:
// "<namespace>.<kind>.<name>.<format>" with the kind in lower case, or
// "<kind>.<name>.<format>" for a cluster-scoped object. Object names are
// DNS-1123 subdomains and kinds are identifiers, so the name is unambiguous.
func FileName(o Object, format string) string {
	base := strings.ToLower(o.Kind) + "." + o.Name + "." + format
	if o.Namespace != "" {
		return o.Namespace + "." + base
	}
	return base
}

func marshalYAML(o Object) ([]byte, error) {
	if o.Value == nil {
		return nil, fmt.Errorf("%s %s/%s: no value to write", o.Kind, o.Namespace, o.Name)
	}
	out, err := MarshalYAML(o.Value)
	if err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", o.Kind, o.Namespace, o.Name, err)
	}
	return out, nil
}

// marshalJSON marshals one object; with a non-empty indent the result is
// indented and ends with a newline.
func marshalJSON(o Object, indent string) ([]byte, error) {
	if o.Value == nil {
		return nil, fmt.Errorf("%s %s/%s: no value to write", o.Kind, o.Namespace, o.Name)
	}
	out, err := encodeJSON(o.Value, indent)
	if err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", o.Kind, o.Namespace, o.Name, err)
	}
	if indent == "" {
		out = bytes.TrimSuffix(out, []byte("\n"))
	}
	return out, nil
}

// encodeJSON is json.Marshal without HTML escaping (regular expressions in
// HTTP rules keep their '<', '>' and '&' readable), ending with a newline.
func encodeJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
