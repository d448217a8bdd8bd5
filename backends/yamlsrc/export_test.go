package yamlsrc

import (
	"reflect"

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
