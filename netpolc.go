// Package netpolc is the library of the netpolc compiler: what the netpolc
// command does, for Go programs (a build tool that writes manifests, a
// test that checks a repository's policy). Build compiles sources in the
// netpolc language (docs/language.md) and, for a target, emits its
// manifests as typed Kubernetes objects; Write writes them as the command
// does.
//
//	target, _ := netpolc.DefaultTargets().Lookup("k8s")
//	res, diags := netpolc.Build(files, netpolc.Options{Target: target})
//	if diags.HasErrors() {
//		// print diags (diag.WriteText) and stop
//	}
//	err := netpolc.Write(w, res.Objects, backends.FormatYAML)
//
// A program goes through these stages, in order, each only when the ones
// before reported no error (docs/design.md, section 3):
//
//  1. compile (compile.Compile): parse, resolve, check, lower to the
//     intent IR (compile/ir), lint, validate the IR's invariants, verify
//     the expectations;
//  2. capabilities (backends.CheckCapabilities): what the target cannot
//     express is an error at the line that needs it, unless a degradation
//     opts in;
//  3. prepare (backends.Backend.Prepare): the target's own checks and its
//     adjustments of the IR, which give the program the target emits;
//  4. emit (backends.Backend.Emit): the typed objects.
//
// The library keeps no global state: every call depends only on its
// arguments.
package netpolc

import (
	"fmt"
	"io"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/backends/netpolapi"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Options are the options of Build.
type Options struct {
	// Target is the backend to emit for: one of DefaultTargets or
	// NewTargets (by name, with Lookup), or a backend built directly
	// (k8s.New(), cilium.New(...)). Without a Target, Build stops after
	// compiling, as "netpolc check" does.
	Target backends.Backend
	// Degrade opts in to degradations Target offers, by feature: e.g.
	// {backends.FeatureHTTP: "l4"} is "--degrade l7=l4". Each use is
	// reported as a warning.
	Degrade map[backends.Feature]string
	// Targets are the targets that an error for a feature Target cannot
	// express suggests instead ("use --target cilium"). Nil is
	// DefaultTargets.
	Targets *backends.Registry
	// TargetFlag is how hints name the choice of a target ("use --target
	// cilium"); "" is "--target".
	TargetFlag string
	// Compile are the compiler's options: the world that expectations are
	// evaluated over, say.
	Compile compile.Options
}

// Result is what Build produced; fields of the stages that did not run are
// nil.
type Result struct {
	// Program is the compiled program: the target-neutral intent.
	Program *ir.Program
	// Prepared is the program the target emits, as IR: Program with the
	// target's adjustments (the Cilium target's DNS-proxy rules, say).
	// Evaluating it (compile/eval) gives the verdicts of Objects.
	Prepared *ir.Program
	// Objects are the target's objects, in no particular order; Write
	// sorts them.
	Objects []backends.Object
}

// Build compiles files as one program and, with opts.Target, checks that
// the target can express it, prepares it and emits the target's objects.
// Each stage runs only when the ones before reported no error; the
// diagnostics of every stage that ran are returned together (render them
// with diag.WriteText or diag.WriteJSON and a source.Set of files). When
// they hold an error, Result.Objects is nil. The order of files does not
// matter: the same sources give the same objects.
func Build(files []*source.File, opts Options) (*Result, diag.List) {
	res := &Result{}
	compiled, diags := compile.Compile(files, opts.Compile)
	if compiled != nil {
		res.Program = compiled.Program
	}
	if diags.HasErrors() || opts.Target == nil {
		return res, diags
	}
	if res.Program == nil {
		diags.Errorf("internal", source.Span{}, "compile returned no program and no error")
		return res, diags
	}
	emitted, td := Emit(res.Program, opts)
	diags.Append(td)
	res.Prepared, res.Objects = emitted.Prepared, emitted.Objects
	return res, diags
}

// Emit runs the target stages of Build (capabilities, prepare, emit) on a
// program that did not come from compiling sources: one Import returned,
// say ("netpolc convert"). opts.Target is required; opts.Compile is not
// used. When the diagnostics hold an error, Result.Objects is nil.
func Emit(p *ir.Program, opts Options) (*Result, diag.List) {
	res := &Result{Program: p}
	var diags diag.List
	if opts.Target == nil || p == nil {
		diags.Errorf("internal", source.Span{}, "Emit needs a program and a target")
		return res, diags
	}
	targets := opts.Targets
	if targets == nil {
		targets = DefaultTargets()
	}
	prepared, objs, td := backends.Run(opts.Target, p, backends.Options{Degrade: opts.Degrade, Targets: targets, TargetFlag: opts.TargetFlag})
	diags.Append(td)
	res.Prepared = prepared
	if !diags.HasErrors() {
		res.Objects = objs
	}
	return res, diags
}

// Write writes objs to w as netpolc compile does: with backends.FormatYAML
// one multi-document YAML stream, with backends.FormatJSON one Kubernetes
// v1 List; objects sorted by kind, namespace and name.
func Write(w io.Writer, objs []backends.Object, format string) error {
	switch format {
	case backends.FormatYAML:
		return backends.WriteYAML(w, objs)
	case backends.FormatJSON:
		return backends.WriteJSON(w, objs)
	}
	return fmt.Errorf("format must be %s or %s, not %q", backends.FormatYAML, backends.FormatJSON, format)
}

// TargetOptions configure the built-in backends.
type TargetOptions struct {
	// Cilium configures the Cilium target (its release).
	Cilium cilium.Options
	// NetpolAPI configures the network-policy API target (its API version).
	NetpolAPI netpolapi.Options
}

// NewTargets returns the registry of the built-in backends (k8s, cilium,
// netpol-api) configured with opts. This is the one place they are
// registered; an option a backend rejects (an unreadable Cilium version, an
// unknown API version) is an error.
func NewTargets(opts TargetOptions) (*backends.Registry, error) {
	c, err := cilium.New(opts.Cilium)
	if err != nil {
		return nil, err
	}
	api, err := netpolapi.New(opts.NetpolAPI)
	if err != nil {
		return nil, err
	}
	return backends.NewRegistry(k8s.New(), c, api)
}

// DefaultTargets returns the registry of the built-in backends with their
// default options (Cilium cilium.DefaultVersion, the network-policy API
// netpolapi.DefaultVersion).
func DefaultTargets() *backends.Registry {
	reg, err := NewTargets(TargetOptions{})
	if err != nil {
		panic(err) // the defaults are valid
	}
	return reg
}
