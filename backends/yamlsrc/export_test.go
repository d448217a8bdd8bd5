package yamlsrc

import (
	"reflect"

	yaml "go.yaml.in/yaml/v3"

	"github.com/netpolc/netpolc/lang/diag"
)

// DecodeSlow is Decode (lax: DecodeLax) without the fast decoder.
func (o *Object) DecodeSlow(into any, lax bool) diag.List { return o.decodeSlow(into, lax) }

// DecodeFast is Decode (lax: DecodeLax) with the fast decoder alone: ok
// false when it gives up, into then partly filled.
func (o *Object) DecodeFast(into any, lax bool) (diag.List, bool) {
	f := &fastDecoder{d: &decoder{t: o.text, budget: 100*len(o.File.Content) + 10000, lax: lax}}
	ok := f.fast(resolve(o.node), reflect.ValueOf(into).Elem(), true)
	return f.diags, ok
}

// DecodeFastFields is DecodeLaxFields with the fast decoder alone: ok
// false when it gives up.
func (o *Object) DecodeFastFields(into any, keep Fields) (diag.List, bool) {
	f := &fastDecoder{d: &decoder{t: o.text, budget: 100*len(o.File.Content) + 10000, lax: true}}
	v := reflect.ValueOf(into).Elem()
	ok := f.walk(resolve(o.node), v.Type(), v, true, keep)
	return f.diags, ok
}

// TagOf is tagOf of a plain scalar with value v.
func TagOf(v string) string {
	return tagOf(&yaml.Node{Kind: yaml.ScalarNode, Value: v})
}

// YAML11Words are the plain scalars tagOf reads as YAML 1.1 booleans.
func YAML11Words() []string {
	var out []string
	for _, m := range []map[string]bool{yaml11True, yaml11False} {
		for k := range m {
			out = append(out, k)
		}
	}
	return out
}
