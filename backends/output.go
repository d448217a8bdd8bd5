package backends

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
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

// FileName is the name WriteDir gives the file of o:
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

// WriteDir writes each object of objs to its own file in dir (see FileName),
// in format FormatYAML or FormatJSON, creating dir if needed.
//
// It writes all or nothing: every object is marshalled first, then written to
// a temporary file inside dir, then the temporary files are renamed over
// their targets. Any error before the renames removes the temporary files and
// leaves dir as it was; an error during the renames puts back the files
// already replaced (or removes those that did not exist). Files in dir that
// no object names are left alone.
func WriteDir(dir string, objs []Object, format string) error {
	return writeDir(dir, objs, format, os.Rename)
}

// outFile is one file WriteDir is about to write.
type outFile struct {
	name    string // base name inside the directory
	content []byte
	tmp     string // path of its temporary file, once written
	backup  string // path the previous file was moved to, if there was one
	renamed bool   // the target now holds content
}

// writeDir is WriteDir with the rename step injectable, so tests can make it
// fail halfway.
func writeDir(dir string, objs []Object, format string, rename func(from, to string) error) (err error) {
	if format != FormatYAML && format != FormatJSON {
		return fmt.Errorf("unknown output format %q (want %s or %s)", format, FormatYAML, FormatJSON)
	}
	var files []*outFile
	byName := map[string]Object{}
	for _, o := range SortObjects(objs) {
		name := FileName(o, format)
		if err := checkFileName(name); err != nil {
			return fmt.Errorf("%s %s/%s: %w", o.Kind, o.Namespace, o.Name, err)
		}
		if prev, dup := byName[name]; dup {
			return fmt.Errorf("%s %s/%s and %s %s/%s would both be written to %s", prev.Kind, prev.Namespace, prev.Name, o.Kind, o.Namespace, o.Name, name)
		}
		byName[name] = o
		var content []byte
		if format == FormatYAML {
			content, err = marshalYAML(o)
		} else {
			content, err = marshalJSON(o, "  ")
		}
		if err != nil {
			return err
		}
		files = append(files, &outFile{name: name, content: content})
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Refuse targets that cannot be replaced by a file before writing
	// anything.
	for _, f := range files {
		info, err := os.Lstat(filepath.Join(dir, f.name))
		if err == nil && !info.Mode().IsRegular() {
			return fmt.Errorf("%s: exists and is not a regular file", filepath.Join(dir, f.name))
		}
	}

	defer func() {
		if err == nil {
			for _, f := range files {
				if f.backup != "" {
					os.Remove(f.backup)
				}
			}
			return
		}
		// Undo in reverse: put back what was replaced, drop what was new,
		// remove every temporary file.
		for i := len(files) - 1; i >= 0; i-- {
			f := files[i]
			target := filepath.Join(dir, f.name)
			if f.renamed && f.backup == "" {
				os.Remove(target)
			}
			if f.backup != "" {
				os.Rename(f.backup, target)
			}
			if f.tmp != "" && !f.renamed {
				os.Remove(f.tmp)
			}
		}
	}()

	for _, f := range files {
		if f.tmp, err = writeTemp(dir, f.content); err != nil {
			return err
		}
	}
	for _, f := range files {
		target := filepath.Join(dir, f.name)
		if _, statErr := os.Lstat(target); statErr == nil {
			backup, err := reserveTemp(dir, ".netpolc-old-*")
			if err != nil {
				return err
			}
			if err := rename(target, backup); err != nil {
				os.Remove(backup)
				return fmt.Errorf("writing %s: %w", target, err)
			}
			f.backup = backup
		}
		if err := rename(f.tmp, target); err != nil {
			return fmt.Errorf("writing %s: %w", target, err)
		}
		f.renamed = true
	}
	return nil
}

// checkFileName rejects names that would escape the directory or hide.
func checkFileName(name string) error {
	if strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") || strings.Contains(name, "..") {
		return fmt.Errorf("cannot be written to a file named %q", name)
	}
	return nil
}

// writeTemp writes content to a new hidden temporary file in dir and returns
// its path.
func writeTemp(dir string, content []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".netpolc-new-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(content)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// reserveTemp returns the path of a new, empty temporary file in dir.
func reserveTemp(dir, pattern string) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

func marshalYAML(o Object) ([]byte, error) {
	if o.Value == nil {
		return nil, fmt.Errorf("%s %s/%s: no value to write", o.Kind, o.Namespace, o.Name)
	}
	out, err := yaml.Marshal(o.Value)
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
