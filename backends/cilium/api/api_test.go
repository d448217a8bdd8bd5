package api_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"

	"github.com/netpolc/netpolc/backends/cilium"
)

// field is one JSON field of a struct: its Go type and tag options.
type field struct {
	typ  reflect.Type
	opts string // "omitempty", "omitzero" or ""
}

// jsonFields returns the JSON fields of struct type t, with embedded
// structs (inline or untagged) expanded as encoding/json expands them.
func jsonFields(t reflect.Type) map[string]field {
	out := map[string]field{}
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				maps.Copy(out, jsonFields(ft))
				continue
			}
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = field{typ: f.Type, opts: opts}
	}
	return out
}

// raw are the fields kept as raw JSON (the backend never reads them; the
// importer refuses them), by JSON path from a rule (spec or specs).
var raw = map[string]bool{
	"spec.labels":                         true,
	"spec.ingress.toPorts.terminatingTLS": true,
	"spec.ingress.toPorts.originatingTLS": true,
	"spec.ingress.toPorts.serverNames":    true,
	"spec.ingress.toPorts.listener":       true,
	"spec.egress.toPorts.terminatingTLS":  true,
	"spec.egress.toPorts.originatingTLS":  true,
	"spec.egress.toPorts.serverNames":     true,
	"spec.egress.toPorts.listener":        true,
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

// same reports, at path, every difference between our type and Cilium's:
// kinds, JSON field names and tag options, recursively. Methods that read
// or write JSON must be on both or neither.
func same(t *testing.T, path string, ours, theirs reflect.Type, seen map[[2]reflect.Type]bool) {
	t.Helper()
	if raw["spec"+strings.TrimPrefix(strings.TrimPrefix(path, "specs"), "spec")] {
		if ours != rawMessage {
			t.Errorf("%s: %v, want json.RawMessage", path, ours)
		}
		return
	}
	if ours == theirs {
		return // the same type (metav1, intstr)
	}
	k := [2]reflect.Type{ours, theirs}
	if seen[k] {
		return
	}
	seen[k] = true
	for _, m := range []string{"MarshalJSON", "UnmarshalJSON", "IsZero"} {
		_, a := reflect.PointerTo(ours).MethodByName(m)
		_, b := reflect.PointerTo(theirs).MethodByName(m)
		if a != b {
			t.Errorf("%s: %v has %s: %v, %v has it: %v", path, ours, m, a, theirs, b)
		}
	}
	if ours.Kind() != theirs.Kind() {
		t.Errorf("%s: kind %v, Cilium's %v (%v)", path, ours.Kind(), theirs.Kind(), theirs)
		return
	}
	switch ours.Kind() {
	case reflect.Pointer, reflect.Slice:
		same(t, path, ours.Elem(), theirs.Elem(), seen)
	case reflect.Map:
		same(t, path+"{key}", ours.Key(), theirs.Key(), seen)
		same(t, path, ours.Elem(), theirs.Elem(), seen)
	case reflect.Struct:
		a, b := jsonFields(ours), jsonFields(theirs)
		if !slices.Equal(slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(b))) {
			t.Errorf("%s: fields %v, Cilium's %v", path, slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(b)))
		}
		for _, name := range slices.Sorted(maps.Keys(a)) {
			fa := a[name]
			fb, ok := b[name]
			if !ok {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			if fa.opts != fb.opts {
				t.Errorf("%s: tag options %q, Cilium's %q", p, fa.opts, fb.opts)
			}
			same(t, p, fa.typ, fb.typ, seen)
		}
	}
}

// TestTypesAreCilium checks that the backend's objects and this package's
// rule types have the JSON form of Cilium's, but the status (which emitted
// objects leave out, and which documents read accept unread).
func TestTypesAreCilium(t *testing.T) {
	for _, tt := range []struct {
		ours, theirs reflect.Type
		status       bool
	}{
		{reflect.TypeFor[cilium.CNP](), reflect.TypeFor[ciliumv2.CiliumNetworkPolicy](), false},
		{reflect.TypeFor[cilium.CCNP](), reflect.TypeFor[ciliumv2.CiliumClusterwideNetworkPolicy](), false},
	} {
		ours, theirs := jsonFields(tt.ours), jsonFields(tt.theirs)
		if _, ok := theirs["status"]; !ok {
			t.Fatalf("%v has no status", tt.theirs)
		}
		delete(theirs, "status")
		if !slices.Equal(slices.Sorted(maps.Keys(ours)), slices.Sorted(maps.Keys(theirs))) {
			t.Errorf("%v: fields %v, Cilium's %v", tt.ours, slices.Sorted(maps.Keys(ours)), slices.Sorted(maps.Keys(theirs)))
		}
		seen := map[[2]reflect.Type]bool{}
		for _, name := range slices.Sorted(maps.Keys(ours)) {
			f := ours[name]
			if theirs[name].opts != f.opts {
				t.Errorf("%v.%s: tag options %q, Cilium's %q", tt.ours, name, f.opts, theirs[name].opts)
			}
			same(t, name, f.typ, theirs[name].typ, seen)
		}
	}
}
