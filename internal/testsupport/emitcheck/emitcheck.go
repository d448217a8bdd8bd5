// Package emitcheck runs a target's stages in tests with every emitted
// object validated: Checked wraps a backend, Emit runs capabilities,
// prepare and emit (backends.Run). It sees only the IR, never the syntax,
// so that the backends' own tests and the validators of
// internal/testsupport may use it. Only tests import it.
package emitcheck

import (
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Checked returns b with check run on every object its Emit returns: how
// tests prove the objects valid, since Emit itself checks nothing (see
// package backends). A failure is an "internal" error at the span of no
// source, and Emit then returns no objects. Everything but Emit is b's.
func Checked(b backends.Backend, check func(backends.Object) error) backends.Backend {
	return checked{Backend: b, check: check}
}

type checked struct {
	backends.Backend
	check func(backends.Object) error
}

// Emit implements backends.Backend.
func (c checked) Emit(p *ir.Program) ([]backends.Object, diag.List) {
	objs, diags := c.Backend.Emit(p)
	for _, o := range objs {
		if err := c.check(o); err != nil {
			name := o.Name
			if o.Namespace != "" {
				name = o.Namespace + "/" + name
			}
			diags.Errorf("internal", source.Span{}, "emitted %s %s is invalid: %v", o.Kind, name, err)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return objs, diags
}

// Degradations implements backends.Degrader when b does: the wrapper
// offers what b offers.
func (c checked) Degradations() []backends.Degradation {
	if d, ok := c.Backend.(backends.Degrader); ok {
		return d.Degradations()
	}
	return nil
}

// Emit runs the target stages of b on p (backends.Run: capabilities,
// prepare, emit) and returns the objects and the diagnostics, for tests
// that start from a compiled program. No test calls a backend's Emit
// without the stages before it.
//
// Prepare must keep canonical IR canonical: when p passes ir.Validate and
// the program Prepare returns does not, that is an "internal" error, and no
// objects are returned. (Some tests feed hand-made, non-canonical programs
// on purpose, to show what the emitters make of them.)
func Emit(b backends.Backend, p *ir.Program, opts backends.Options) ([]backends.Object, diag.List) {
	canonical := ir.Validate(p) == nil
	prepared, objs, diags := backends.Run(b, p, opts)
	if canonical && prepared != nil {
		if err := ir.Validate(prepared); err != nil {
			diags.Errorf("internal", source.Span{}, "%s's Prepare returned invalid IR: %v", b.Name(), err)
			return nil, diags
		}
	}
	return objs, diags
}
