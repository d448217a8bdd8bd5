package yamlsrc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/netpolc/netpolc/lang/diag"
)

// Decode decodes the object strictly into into, a pointer to a typed
// struct with JSON tags (the Kubernetes and Cilium Go types): the YAML is
// converted to JSON value by value (as the API server reads it, so that
// "port: 80" and "port: http" both fill an intstr.IntOrString) and
// unmarshalled with encoding/json. What the API server would refuse is an
// error at the node it concerns:
//
//   - a field the type does not have (names are case-sensitive):
//     `unknown field "spec.ingress[0].form"`, at the key;
//   - a key given twice: at the second one;
//   - a value of the wrong type (a string where a number is expected, a
//     mapping where a list is, a number as a label value), at the value.
//
// Tolerated: a top-level "status" when the type has no Status field (a
// NetworkPolicy read back from a cluster, whose status field was removed),
// and everything of metadata the type knows (managedFields, uid,
// resourceVersion, generation, creationTimestamp, annotations, ...).
func (o *Object) Decode(into any) diag.List { return o.decode(into, false, nil) }

// DecodeLax is Decode, except that a field the type does not have is a
// warning (`unknown field "spec.foo", ignored`) and is left out: for objects
// read for a few of their fields, which may come from a cluster newer than
// netpolc's types. Values of the wrong type are still errors.
func (o *Object) DecodeLax(into any) diag.List { return o.decode(into, true, nil) }

// Fields names fields of a struct by their JSON names, each with the
// fields it names in turn of its value (nil: all of them); for a slice,
// a map or a pointer, they are those of its elements.
type Fields map[string]Fields

// DecodeLaxFields is DecodeLax for a reader of the fields keep names: it
// checks the whole object and reports the same diagnostics, but may leave
// out the values of other fields (it fills them when the fast decoder
// gives up). A value equals DecodeLax's in the fields keep names.
func (o *Object) DecodeLaxFields(into any, keep Fields) diag.List { return o.decode(into, true, keep) }

func (o *Object) decode(into any, lax bool, keep Fields) diag.List {
	rv := reflect.ValueOf(into)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		var l diag.List
		l.Errorf("internal", o.Span, "yamlsrc: Decode needs a non-nil pointer, got %T", into)
		return l
	}
	if o.node == nil {
		var l diag.List
		l.Errorf("internal", o.Span, "yamlsrc: Decode of %s, whose YAML Options.Each dropped", o)
		return l
	}
	// Aliases may repeat a node many times ("billion laughs"); a document
	// may expand to a bounded multiple of its text only.
	budget := 100*len(o.File.Content) + 10000
	if v := rv.Elem(); v.IsZero() {
		// The fast decoder (decode_fast.go), and when it gives up the
		// three passes below, on the zero value again.
		f := &fastDecoder{d: &decoder{t: o.text, budget: budget, lax: lax}}
		if f.walk(resolve(o.node), v.Type(), v, true, keep) {
			return f.diags
		}
		v.SetZero()
	}
	return o.decodeSlow(into, lax)
}

// decodeSlow is decode with the three passes: check, json and
// json.Unmarshal.
func (o *Object) decodeSlow(into any, lax bool) diag.List {
	rv := reflect.ValueOf(into)
	d := &decoder{t: o.text, budget: 100*len(o.File.Content) + 10000, lax: lax}
	d.check(o.node, rv.Type().Elem(), "", true)
	if d.diags.HasErrors() {
		return d.diags
	}
	var buf bytes.Buffer
	d.json(&buf, o.node)
	if d.diags.HasErrors() {
		return d.diags
	}
	if err := json.Unmarshal(buf.Bytes(), into); err != nil {
		// check lets no type error through; this is a value json rejects
		// (a number out of range, say).
		sp := o.Span
		var te *json.UnmarshalTypeError
		if asTypeError(err, &te) && te.Field != "" {
			var path []any
			for _, p := range strings.Split(te.Field, ".") {
				path = append(path, p)
			}
			sp = o.Pos(path...)
		}
		d.diags.Errorf(CodeBadValue, sp, "%s: %v", o, err)
	}
	return d.diags
}

func asTypeError(err error, te **json.UnmarshalTypeError) bool {
	t, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = t
	}
	return ok
}

type decoder struct {
	t      *text
	diags  diag.List
	budget int  // nodes left to visit
	lax    bool // unknown fields are warnings (DecodeLax)
	// unknown holds the keys of the fields DecodeLax leaves out (json would
	// otherwise fill a field whose name differs only in case).
	unknown map[*yaml.Node]bool
}

// spend visits one node; it reports false, with an error the first time,
// when the budget is exhausted.
func (d *decoder) spend(n *yaml.Node) bool {
	d.budget--
	if d.budget == -1 {
		d.diags.Errorf(CodeBadValue, span(d.t, n), "the document expands to too many values (through aliases)")
	}
	return d.budget >= 0
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
)

// custom reports whether t reads its own JSON: its values are not checked.
func custom(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshaler) || pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler)
}

// check walks node n against type typ (path is the field path so far, for
// messages) and reports unknown fields, duplicate keys and values of the
// wrong type.
func (d *decoder) check(n *yaml.Node, typ reflect.Type, path string, top bool) {
	n = resolve(n)
	if n == nil || isNull(n) || !d.spend(n) {
		return
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if custom(typ) || typ.Kind() == reflect.Interface {
		return
	}
	switch typ.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.wrongType(n, path, "a mapping")
			return
		}
		fields := d.t.jsonFields(typ)
		seen := map[string]bool{}
		for _, kv := range pairs(n) {
			k, v := kv[0], kv[1]
			name := k.Value
			if seen[name] {
				d.diags.Errorf(CodeDuplicate, span(d.t, k), "duplicate field %q", join(path, name))
				continue
			}
			seen[name] = true
			ft, ok := fields[name]
			if !ok {
				if top && name == "status" {
					continue // removed from the type; read back from clusters
				}
				if d.lax {
					d.diags.Warnf(CodeUnknownField, span(d.t, k), "unknown field %q, ignored", join(path, name))
					if d.unknown == nil {
						d.unknown = map[*yaml.Node]bool{}
					}
					d.unknown[k] = true
					continue
				}
				d.diags.Errorf(CodeUnknownField, span(d.t, k), "unknown field %q", join(path, name))
				continue
			}
			d.check(v, ft, join(path, name), false)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.wrongType(n, path, "a mapping")
			return
		}
		seen := map[string]bool{}
		for _, kv := range pairs(n) {
			k, v := kv[0], kv[1]
			if seen[k.Value] {
				d.diags.Errorf(CodeDuplicate, span(d.t, k), "duplicate key %q in %s", k.Value, path)
				continue
			}
			seen[k.Value] = true
			d.check(v, typ.Elem(), path+"["+strconv.Quote(k.Value)+"]", false)
		}
	case reflect.Slice, reflect.Array:
		if typ.Elem().Kind() == reflect.Uint8 && typ.Kind() == reflect.Slice {
			d.scalar(n, path, "a base64 string", "!!str", "!!binary")
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.wrongType(n, path, "a list")
			return
		}
		for i, it := range n.Content {
			d.check(it, typ.Elem(), fmt.Sprintf("%s[%d]", path, i), false)
		}
	case reflect.String:
		d.scalar(n, path, "a string", "!!str", "!!timestamp", "!!binary")
	case reflect.Bool:
		d.scalar(n, path, "a boolean", "!!bool")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		d.scalar(n, path, "an integer", "!!int")
	case reflect.Float32, reflect.Float64:
		d.scalar(n, path, "a number", "!!int", "!!float")
	}
}

// scalar checks that n is a scalar with one of tags.
func (d *decoder) scalar(n *yaml.Node, path, want string, tags ...string) {
	if n.Kind == yaml.ScalarNode {
		for _, t := range tags {
			if tagOf(n) == t {
				return
			}
		}
	}
	d.wrongType(n, path, want)
}

func (d *decoder) wrongType(n *yaml.Node, path, want string) {
	hint := ""
	if n.Kind == yaml.ScalarNode && want == "a string" {
		hint = " (quote it)"
	}
	d.diags.Errorf(CodeBadValue, span(d.t, n), "%s must be %s, found %s%s", orTop(path), want, nodeKind(n), hint)
}

func orTop(path string) string {
	if path == "" {
		return "the object"
	}
	return path
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// jsonFields maps the JSON names of a struct's fields (embedded structs
// without a name inlined, as encoding/json does) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := out[name]; !dup {
				out[name] = f.Type
			}
		}
	}
	walk(t)
	return out
}

// json writes n as JSON.
func (d *decoder) json(buf *bytes.Buffer, n *yaml.Node) {
	n = resolve(n)
	if !d.spend(n) {
		buf.WriteString("null")
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		buf.WriteByte('{')
		first := true
		for _, kv := range pairs(n) {
			if d.unknown[kv[0]] {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			writeString(buf, kv[0].Value)
			buf.WriteByte(':')
			d.json(buf, kv[1])
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, it := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			d.json(buf, it)
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		switch tagOf(n) {
		case "!!null":
			buf.WriteString("null")
		case "!!bool":
			buf.WriteString(strconv.FormatBool(scalarBool(n)))
		case "!!int":
			i, u, unsigned, ok := scalarInt(n)
			switch {
			case !ok:
				d.diags.Errorf(CodeBadValue, span(d.t, n), "the integer %s is out of range", n.Value)
				buf.WriteString("0")
			case unsigned:
				buf.WriteString(strconv.FormatUint(u, 10))
			default:
				buf.WriteString(strconv.FormatInt(i, 10))
			}
		case "!!float":
			f, ok := scalarFloat(n)
			if !ok {
				d.diags.Errorf(CodeBadValue, span(d.t, n), "the number %s has no JSON form", n.Value)
				buf.WriteString("0")
				return
			}
			b, _ := json.Marshal(f)
			buf.Write(b)
		default:
			writeString(buf, n.Value)
		}
	default:
		buf.WriteString("null")
	}
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}
