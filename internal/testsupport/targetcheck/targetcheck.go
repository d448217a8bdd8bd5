// Package targetcheck validates what netpolc's built-in targets emit, for
// the tests outside the backends' own packages (the command, the library
// facade, the Cilium engine module, the API server tests): Checked wraps a
// backend so that every object its Emit returns is checked by the
// target's validators, since Emit itself checks nothing. Only tests import
// it.
package targetcheck

import (
	"errors"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/ciliumcheck"
	"github.com/netpolc/netpolc/lang/diag"
)

// Checked returns b with every object its Emit returns validated by
// Object. A failure is an "internal" error, and Emit then returns no
// objects (see backendtest.Checked).
func Checked(b backends.Backend) backends.Backend {
	return backendtest.Checked(b, Object)
}

// Object validates one emitted object by its kind: a NetworkPolicy with
// k8s.Validate (the API server's validation) and k8s.CheckConventions; a
// Cilium policy with ciliumcheck.Object (the agent's Parse and netpolc's
// conventions, as built and as written).
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
	return fmt.Errorf("no validator for kind %q", o.Kind)
}

// Targets returns netpolc.DefaultTargets with every backend Checked.
func Targets() *backends.Registry {
	def := netpolc.DefaultTargets()
	var bs []backends.Backend
	for _, name := range def.Names() {
		b, _ := def.Lookup(name)
		bs = append(bs, Checked(b))
	}
	reg, err := backends.NewRegistry(bs...)
	if err != nil {
		panic(err)
	}
	return reg
}

// Emit runs the target stages of b, Checked, on p (backends.Run) and
// returns the objects and the diagnostics.
func Emit(b backends.Backend, p *ir.Program, opts backends.Options) ([]backends.Object, diag.List) {
	return backendtest.Emit(Checked(b), p, opts)
}
