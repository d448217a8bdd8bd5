package yamlsrc

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/netpolc/netpolc/lang/diag"
)

// The fast decoder: Decode checks the nodes against the type, writes them
// as JSON and unmarshals that with encoding/json (check, json and
// json.Unmarshal in decode.go), three passes over every value. fast fills
// the Go value from the nodes in one pass, with the result of those three
// when they report no error: the same value and the same warnings. It
// gives up (ok false) on everything that would be an error and on what it
// does not fill itself (aliases, merge keys, interfaces, fixed-size
// arrays, []byte, float32, types that read text rather than JSON, struct
// types whose JSON fields encoding/json might resolve otherwise); decode
// then zeroes the value and takes the three passes, which report the
// errors. Types that read their own JSON (metav1.Time,
// intstr.IntOrString, resource.Quantity, ...) are given the JSON the
// slow path would give them, written by the same code (decoder.json).
// decode_fast_test.go holds both paths to the same results.

// fastDecoder is one fast decoding of an object.
type fastDecoder struct {
	d     *decoder
	diags diag.List // the warnings of DecodeLax
	path  []pathSeg // of the value being filled, for messages
}

// pathSeg is a step of a field path: a field, a map key or an index.
type pathSeg struct {
	name  string
	index int
	kind  byte // '.', '[' (map key) or 'i' (index)
}

// pathString writes the path as check does: "spec.ingress[0].from",
// `metadata.labels["app"]`.
func (f *fastDecoder) pathString() string {
	path := ""
	for _, s := range f.path {
		switch s.kind {
		case '.':
			path = join(path, s.name)
		case '[':
			path += "[" + strconv.Quote(s.name) + "]"
		default:
			path += "[" + strconv.Itoa(s.index) + "]"
		}
	}
	return path
}

// structFields are the JSON fields of a struct type, for fast.
type structFields struct {
	byName map[string]fieldInfo
	n      int
	// foldStatus: a field whose JSON name is "status" but for case,
	// which encoding/json would fill from a "status" key.
	foldStatus bool
	// unsupported: fast does not fill this type (a name given twice, an
	// embedded pointer, a ",string" option).
	unsupported bool
}

type fieldInfo struct {
	index []int
	typ   reflect.Type
	i     int // 0..n-1
}

// fastFields returns the fields of struct type t, computed once per file.
func (t *text) fastFields(typ reflect.Type) *structFields {
	if sf, ok := t.fastCache.Load(typ); ok {
		return sf.(*structFields)
	}
	sf := &structFields{byName: map[string]fieldInfo{}}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if strings.Contains(","+opts+",", ",string,") {
				sf.unsupported = true
			}
			at := append(index[:len(index):len(index)], i)
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct {
					sf.unsupported = true
					continue
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, at)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := sf.byName[name]; dup {
				sf.unsupported = true
				continue
			}
			sf.byName[name] = fieldInfo{index: at, typ: f.Type, i: sf.n}
			sf.n++
			if name != "status" && strings.EqualFold(name, "status") {
				sf.foldStatus = true
			}
		}
	}
	walk(typ, nil)
	got, _ := t.fastCache.LoadOrStore(typ, sf)
	return got.(*structFields)
}

// readsItself reports whether (a pointer to) type typ reads its own JSON
// (json.Unmarshaler) or text, computed once per file.
func (t *text) readsItself(typ reflect.Type) (json, text bool) {
	if typ.PkgPath() == "" && typ.Kind() != reflect.Struct {
		// A predeclared type (string, int32) or an unnamed one other
		// than a struct ([]T, map[K]V, *T): neither it nor a pointer to
		// it has methods. (A struct literal may embed some.)
		return false, false
	}
	if v, ok := t.fastKinds.Load(typ); ok {
		k := v.([2]bool)
		return k[0], k[1]
	}
	pt := reflect.PointerTo(typ)
	k := [2]bool{pt.Implements(jsonUnmarshalerType), pt.Implements(textUnmarshalerType)}
	t.fastKinds.Store(typ, k)
	return k[0], k[1]
}

var (
	// jsonUnmarshalerType and textUnmarshalerType are the interfaces
	// encoding/json calls.
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
)

// fast fills v, a zero value, from node n as decode's slow path would;
// ok false when it gives up (the value is then partly filled).
func (f *fastDecoder) fast(n *yaml.Node, v reflect.Value, top bool) bool {
	return f.walk(n, v.Type(), v, top, nil)
}

// walk is fast for a value of type t: it fills v, or when v is not valid
// only checks n against t (what fast would fill, it accepts; where fast
// gives up, it does) and reports the same warnings. Of a struct, it
// fills the fields keep names (keep nil: all of them) and checks the
// others; keep applies again to a slice's elements, a map's values and
// what a pointer points to.
func (f *fastDecoder) walk(n *yaml.Node, t reflect.Type, v reflect.Value, top bool, keep Fields) bool {
	if n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode {
		return false
	}
	fill := v.IsValid()
	null := n.Kind == yaml.ScalarNode && tagOf(n) == "!!null"
	if t.Kind() == reflect.Pointer {
		if null {
			return true // encoding/json leaves the pointer nil
		}
		if t.Elem().Kind() == reflect.Pointer {
			return false
		}
		if !fill {
			return f.walk(n, t.Elem(), v, top, keep)
		}
		p := reflect.New(t.Elem())
		if !f.walk(n, t.Elem(), p.Elem(), top, keep) {
			return false
		}
		v.Set(p)
		return true
	}
	custom, text := f.d.t.readsItself(t)
	if custom {
		// The type reads its own JSON: check does not look inside, and
		// encoding/json calls it (with null too, on a value).
		raw := []byte("null")
		if !null {
			var buf bytes.Buffer
			f.d.json(&buf, n)
			if f.d.diags.HasErrors() {
				return false
			}
			raw = buf.Bytes()
		}
		if !fill {
			v = reflect.New(t).Elem() // read, for its error, and dropped
		}
		return v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw) == nil
	}
	if text || t.Kind() == reflect.Interface {
		return false
	}
	if null {
		return true // encoding/json leaves the zero value
	}
	switch t.Kind() {
	case reflect.Struct:
		return f.fastStruct(n, t, v, top, keep)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return false
		}
		kt := t.Key()
		if kt.Kind() != reflect.String || reflect.PointerTo(kt).Implements(textUnmarshalerType) {
			return false
		}
		if fill && v.IsNil() {
			v.Set(reflect.MakeMapWithSize(t, len(n.Content)/2))
		}
		var seen map[string]bool // the keys, when only checking
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				return false
			}
			var key, elem reflect.Value
			if fill {
				key = reflect.New(kt).Elem()
				key.SetString(k.Value)
				if v.MapIndex(key).IsValid() {
					return false // a duplicate key
				}
				elem = reflect.New(t.Elem()).Elem()
			} else {
				if seen[k.Value] {
					return false // a duplicate key
				}
				if seen == nil {
					seen = make(map[string]bool, len(n.Content)/2)
				}
				seen[k.Value] = true
			}
			f.path = append(f.path, pathSeg{name: k.Value, kind: '['})
			ok := f.walk(val, t.Elem(), elem, false, keep)
			f.path = f.path[:len(f.path)-1]
			if !ok {
				return false
			}
			if fill {
				v.SetMapIndex(key, elem)
			}
		}
		return true
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode || t.Elem().Kind() == reflect.Uint8 {
			return false
		}
		var s reflect.Value
		if fill {
			s = reflect.MakeSlice(t, len(n.Content), len(n.Content))
		}
		for i, it := range n.Content {
			var elem reflect.Value
			if fill {
				elem = s.Index(i)
			}
			f.path = append(f.path, pathSeg{index: i, kind: 'i'})
			ok := f.walk(it, t.Elem(), elem, false, keep)
			f.path = f.path[:len(f.path)-1]
			if !ok {
				return false
			}
		}
		if fill {
			v.Set(s)
		}
		return true
	}
	if n.Kind != yaml.ScalarNode {
		return false
	}
	if !fill {
		v = reflect.Zero(t) // for the range checks below, not set
	}
	tag := tagOf(n)
	switch t.Kind() {
	case reflect.String:
		if tag != "!!str" && tag != "!!timestamp" && tag != "!!binary" {
			return false
		}
		if fill {
			v.SetString(n.Value)
		}
	case reflect.Bool:
		if tag != "!!bool" {
			return false
		}
		if fill {
			v.SetBool(scalarBool(n))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, _, unsigned, ok := scalarInt(n)
		if tag != "!!int" || !ok || unsigned || v.OverflowInt(i) {
			return false
		}
		if fill {
			v.SetInt(i)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, u, unsigned, ok := scalarInt(n)
		if !unsigned {
			if i < 0 {
				return false
			}
			u = uint64(i)
		}
		if tag != "!!int" || !ok || v.OverflowUint(u) {
			return false
		}
		if fill {
			v.SetUint(u)
		}
	case reflect.Float64:
		switch tag {
		case "!!int":
			i, u, unsigned, ok := scalarInt(n)
			if !ok {
				return false
			}
			switch {
			case !fill:
			case unsigned:
				v.SetFloat(float64(u))
			default:
				v.SetFloat(float64(i))
			}
		case "!!float":
			x, ok := scalarFloat(n)
			if !ok {
				return false
			}
			if fill {
				v.SetFloat(x)
			}
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// fastStruct fills struct v of type t from mapping n (checks it when v
// is not valid), the fields keep names (nil: all).
func (f *fastDecoder) fastStruct(n *yaml.Node, t reflect.Type, v reflect.Value, top bool, keep Fields) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	sf := f.d.t.fastFields(t)
	if sf.unsupported {
		return false
	}
	var seen []bool
	var seenBits uint64
	if sf.n > 64 {
		seen = make([]bool, sf.n)
	}
	var unknown map[string]bool
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			return false
		}
		name := k.Value
		fi, ok := sf.byName[name]
		if !ok {
			if unknown[name] {
				return false // a duplicate key
			}
			if unknown == nil {
				unknown = map[string]bool{}
			}
			unknown[name] = true
			switch {
			case top && name == "status" && !sf.foldStatus:
			case f.d.lax:
				f.diags.Warnf(CodeUnknownField, span(f.d.t, k), "unknown field %q, ignored", join(f.pathString(), name))
			default:
				return false
			}
			continue
		}
		if seen != nil {
			if seen[fi.i] {
				return false
			}
			seen[fi.i] = true
		} else {
			if seenBits&(1<<fi.i) != 0 {
				return false
			}
			seenBits |= 1 << fi.i
		}
		var fv reflect.Value
		var sub Fields
		if v.IsValid() {
			if kept, ok := keep[name]; keep == nil || ok {
				fv, sub = v.FieldByIndex(fi.index), kept
			}
		}
		f.path = append(f.path, pathSeg{name: name, kind: '.'})
		ok = f.walk(val, fi.typ, fv, false, sub)
		f.path = f.path[:len(f.path)-1]
		if !ok {
			return false
		}
	}
	return true
}

// scalarBool is the value of a !!bool scalar (a YAML 1.1 boolean too).
func scalarBool(n *yaml.Node) bool {
	switch n.Value {
	case "true":
		return true
	case "false":
		return false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		b = yaml11True[n.Value] // a YAML 1.1 boolean (tagOf)
	}
	return b
}

// scalarInt is the value of a !!int scalar as yaml.v3 reads it: i when it
// fits an int64, else u (unsigned true); ok false when it fits neither.
func scalarInt(n *yaml.Node) (i int64, u uint64, unsigned, ok bool) {
	if canonicalDecimal(n.Value) {
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			return i, 0, false, true
		}
	}
	if err := n.Decode(&i); err == nil {
		return i, 0, false, true
	}
	if err := n.Decode(&u); err == nil {
		return 0, u, true, true
	}
	return 0, 0, false, false
}

// canonicalDecimal reports whether s is an integer in decimal without
// leading zeros or underscores ("-12", "0"), which yaml.v3 reads as
// strconv.ParseInt does in base 10.
func canonicalDecimal(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// scalarFloat is the value of a !!float scalar; ok false when it has no
// JSON form (infinite, not a number) or does not read.
func scalarFloat(n *yaml.Node) (float64, bool) {
	var x float64
	if err := n.Decode(&x); err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, false
	}
	return x, true
}
