package testgen

import (
	"bytes"
	"encoding/json"

	"sigs.k8s.io/yaml"
)

// MarshalForm writes objs in one of the forms people have their manifests
// in, chosen by form: a multi-document YAML stream (0), a v1 List in YAML
// (1) or in JSON (2), or JSON documents separated by "---" (3); form is
// taken modulo 4, so a seed picks one.
func MarshalForm(objs []any, form int) []byte {
	var buf bytes.Buffer
	switch form % 4 {
	case 0:
		for _, o := range objs {
			b, _ := yaml.Marshal(o)
			buf.WriteString("---\n")
			buf.Write(b)
		}
	case 1, 2:
		list := map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": objs}
		var b []byte
		if form%4 == 1 {
			b, _ = yaml.Marshal(list)
		} else {
			b, _ = json.MarshalIndent(list, "", "\t")
		}
		buf.Write(b)
	default:
		for i, o := range objs {
			b, _ := json.Marshal(o)
			if i > 0 {
				buf.WriteString("\n---\n")
			}
			buf.Write(b)
		}
	}
	return buf.Bytes()
}
