// Package targetcheck validates what netpolc's built-in targets emit, for
// the tests outside the backends' own packages (the command, the library
// facade, the Cilium engine module, the API server tests): Checked wraps a
// backend so that every object its Emit returns is checked by the
// target's validators, since Emit itself checks nothing. Only tests import
// it.
package targetcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/backends/netpolapi"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/ciliumcheck"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/lang/diag"
)

// Checked returns b with every object its Emit returns validated by
// Object. A failure is an "internal" error, and Emit then returns no
// objects (see backendtest.Checked).
func Checked(b backends.Backend) backends.Backend {
	return emitcheck.Checked(b, Object)
}

// Object validates one emitted object by its kind: a NetworkPolicy with
// k8s.Validate (the API server's validation) and k8s.CheckConventions; a
// Cilium policy with ciliumcheck.Object (the agent's Parse and netpolc's
// conventions, as built and as written); an object of the network-policy
// API with netpolapi.Validate (the rules of its CRDs).
func Object(o backends.Object) error {
	switch o.Kind {
	case k8s.Kind:
		np, ok := o.Value.(*networkingv1.NetworkPolicy)
		if !ok {
			return fmt.Errorf("%T is not a NetworkPolicy", o.Value)
		}
		var errs []error
		for _, err := range k8s.Validate(np) {
			errs = append(errs, err)
		}
		for _, err := range k8s.CheckConventions(np) {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	case ciliumcheck.KindCNP, ciliumcheck.KindCCNP:
		return ciliumcheck.Object(o)
	}
	if netpolapi.IsAdminKind(o.APIVersion, o.Kind) {
		return netpolapi.Validate(o)
	}
	return fmt.Errorf("no validator for kind %q", o.Kind)
}

// Targets returns the built-in targets with default options (those of
// netpolc.DefaultTargets), every backend Checked.
func Targets() *backends.Registry {
	api, err := netpolapi.New(netpolapi.Options{})
	if err != nil {
		panic(err)
	}
	reg, err := backends.NewRegistry(Checked(k8s.New()), Checked(cilium.Backend{}), Checked(api))
	if err != nil {
		panic(err)
	}
	return reg
}

// Emit runs the target stages of b, Checked, on p (backends.Run) and
// returns the objects and the diagnostics.
func Emit(b backends.Backend, p *ir.Program, opts backends.Options) ([]backends.Object, diag.List) {
	return emitcheck.Emit(Checked(b), p, opts)
}

// Stream validates every object of what netpolc compile writes on standard
// output: a YAML stream, or with --format json a v1 List. Each object is
// strict-decoded into its Go type by its kind (unknown fields fail) and
// checked as Object checks the objects built: a NetworkPolicy with
// k8s.Validate and k8s.CheckConventions, a Cilium policy with the agent's
// Parse and ciliumcheck.CheckConventions, an object of the network-policy
// API with netpolapi.DecodeStrict (its upstream types) and Validate.
func Stream(data []byte) error {
	var docs [][]byte
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return fmt.Errorf("decode the List: %w", err)
		}
		for _, item := range list.Items {
			docs = append(docs, item)
		}
	} else {
		docs = backends.SplitYAML(data)
	}
	for i, doc := range docs {
		if err := document(doc); err != nil {
			return fmt.Errorf("object %d: %w\n%s", i+1, err, doc)
		}
	}
	return nil
}

// document validates one written object.
func document(doc []byte) error {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return err
	}
	switch meta.Kind {
	case k8s.Kind:
		var np networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict(doc, &np); err != nil {
			return fmt.Errorf("strict decode: %w", err)
		}
		return Object(backends.Object{Kind: k8s.Kind, Value: &np})
	case ciliumcheck.KindCNP, ciliumcheck.KindCCNP:
		obj, err := ciliumcheck.DecodeStrict(doc)
		if err != nil {
			return err
		}
		if _, err := ciliumcheck.Parse(obj); err != nil {
			return err
		}
		return ciliumcheck.CheckConventions(obj)
	}
	if netpolapi.IsAdminKind(meta.APIVersion, meta.Kind) {
		o, err := netpolapi.DecodeStrict(doc)
		if err != nil {
			return err
		}
		return netpolapi.Validate(o)
	}
	return fmt.Errorf("no validator for kind %q", meta.Kind)
}
