// Package backends defines what a netpolc target is: a Backend that emits
// objects from the intent IR (and imports them back), its capabilities as
// plain data, and an explicit registry. Backends never import the parser or
// the AST; they see only compile/ir.
//
// A program goes through a target in three stages, which Run calls in
// order, each only when the ones before reported no error:
//
//  1. CheckCapabilities: every use of a feature the target cannot express
//     is an error at its source span (data-driven, from Capabilities and
//     the degradations the Options opt into);
//  2. Backend.Prepare: the target's own checks beyond its capabilities and
//     its adjustments of the IR, returning the program the target emits
//     (a new one; the input is never modified);
//  3. Backend.Emit: maps the prepared program to typed objects, and does
//     nothing else.
package backends

import (
	"fmt"
	"sort"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Object is one emitted Kubernetes object.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string // "" for cluster-scoped objects
	Name       string
	// Value is the typed object (e.g. *networkingv1.NetworkPolicy), ready to
	// be marshalled by sigs.k8s.io/yaml.
	Value any
}

// Options are the options of a run shared by all backends. What concerns
// one backend only (the Cilium release, say) is an option of its
// constructor instead.
type Options struct {
	// Degrade lists the explicit opt-ins to widen what a target cannot
	// express exactly, keyed by feature (e.g. "l7" -> "l4").
	Degrade map[Feature]string
	// Targets are the registered targets. An error for a feature the
	// target cannot express names those of them whose capabilities include
	// it ("use --target cilium"); with none, it names no other target.
	Targets *Registry
	// TargetFlag is how such a hint names the choice of a target: "--to"
	// for netpolc convert; "" is "--target".
	TargetFlag string
}

// Backend is one target.
type Backend interface {
	// Name is the value of --target, e.g. "k8s".
	Name() string
	// Description is one line for "netpolc targets".
	Description() string
	// Capabilities says which IR features the target expresses.
	Capabilities() Capabilities
	// Prepare runs the target's checks beyond its capabilities and returns
	// the program the target emits: p with the target's adjustments (rules
	// it adds, say), as a new program; p is not modified, and a backend
	// that changes nothing may return p itself. It must be called only
	// with a program that passes CheckCapabilities with the same opts, and
	// returns a nil program when it reports errors.
	Prepare(p *ir.Program, opts Options) (*ir.Program, diag.List)
	// Emit maps a program that Prepare returned to the target's objects.
	// It checks nothing and rewrites nothing: everything it relies on was
	// checked by the stages before. Its diagnostics are internal errors
	// (a bug of the backend); with an error it returns no objects.
	Emit(p *ir.Program) ([]Object, diag.List)
}

// Run runs the target stages of b on p, in order: CheckCapabilities,
// Prepare and Emit, each only when the ones before reported no error. It
// returns the prepared program (nil when a check failed), the objects (nil
// with any error) and the diagnostics of every stage that ran.
func Run(b Backend, p *ir.Program, opts Options) (*ir.Program, []Object, diag.List) {
	diags := CheckCapabilities(p, b, opts)
	if diags.HasErrors() {
		return nil, nil, diags
	}
	prepared, pd := b.Prepare(p, opts)
	diags.Append(pd)
	if diags.HasErrors() || prepared == nil {
		if !diags.HasErrors() {
			diags.Errorf("internal", source.Span{}, "target %s prepared no program and reported no error", b.Name())
		}
		return nil, nil, diags
	}
	objs, ed := b.Emit(prepared)
	diags.Append(ed)
	if diags.HasErrors() {
		return prepared, nil, diags
	}
	return prepared, objs, diags
}

// Importer is implemented by backends that can read their objects back into
// the IR (porting between targets, lint, analysis). Import gets the objects
// yamlsrc.Read returned (with the kinds the backend reads, e.g.
// k8s.ImportKinds) and returns the program they mean, in canonical form
// (ir.Validate passes), with every node spanned at the YAML it came from;
// diagnostics point at the fields they concern.
type Importer interface {
	Import(objs []*yamlsrc.Object) (*ir.Program, diag.List)
}

// An ObjectImporter is an Importer that converts each object on its own,
// so that a reader can convert objects as soon as they are read and drop
// their YAML (yamlsrc.Options.Each): Convert, safe for concurrent use,
// converts one object (nil for one of a kind it does not import), and
// ImportConverted(objs, c), with c[i] = Convert(objs[i]) or nil (then it
// converts objs[i] itself), returns what Import(objs) returns.
type ObjectImporter interface {
	Importer
	Convert(o *yamlsrc.Object) any
	ImportConverted(objs []*yamlsrc.Object, converted []any) (*ir.Program, diag.List)
}

// Feature is one thing a program may need from a target.
type Feature string

// Features, as detected by Features on an IR program.
const (
	FeatureL4             Feature = "l4"              // TCP/UDP ports
	FeatureAllTraffic     Feature = "all-traffic"     // every port and protocol
	FeaturePortRange      Feature = "port-range"      // start-end ranges
	FeatureNamedPort      Feature = "named-port"      // container port names
	FeatureSCTP           Feature = "sctp"            // SCTP ports
	FeatureProtoAny       Feature = "protocol-any"    // one port for TCP, UDP and SCTP
	FeatureICMP           Feature = "icmp"            // ICMP types
	FeatureNamespaceName  Feature = "namespace-name"  // namespaces by name
	FeatureNamespaceLabel Feature = "namespace-label" // namespaces by label
	FeatureCIDR           Feature = "cidr"            // IP blocks with except
	FeatureWorld          Feature = "world"           // everything outside the cluster
	FeatureEntity         Feature = "entity"          // entities other than world and host
	FeatureHost           Feature = "host"            // the local node (entity host) as a peer
	FeatureFQDN           Feature = "fqdn"            // DNS names as peers
	FeatureFQDNAnyDepth   Feature = "fqdn-any-depth"  // "**." patterns
	FeatureFQDNOneLabel   Feature = "fqdn-one-label"  // "*" within a label ("*.x", "a*.x")
	FeatureHTTP           Feature = "l7"              // HTTP method/path/host/header rules
	FeatureDNSRules       Feature = "dns-lookups"     // restricting DNS lookups
	FeatureDeny           Feature = "deny"            // deny rules
	FeatureClusterWide    Feature = "cluster-wide"    // subjects in every namespace
	FeatureNodeSubject    Feature = "node-subject"    // host policies
	FeatureNodePeer       Feature = "node-peer"       // nodes by label as peers
	FeatureService        Feature = "service"         // Kubernetes Services as peers
	FeatureNonIsolating   Feature = "non-isolating"   // rules that do not isolate their subject
	FeatureAnyPeer        Feature = "any-peer"        // every endpoint, nodes included
	FeatureOrdered        Feature = "ordered"         // ordered admin rules ("clusterwide priority N"): first match decides
	FeaturePass           Feature = "pass"            // pass rules: delegate to namespace policies
)

// Support is how well a target expresses a feature.
type Support string

// Support levels.
const (
	Yes     Support = "yes"
	No      Support = "no"
	Partial Support = "partial" // expressible with the caveat in Capability.Note
)

// Capability is the support of one feature, with a one-line note.
type Capability struct {
	Support Support
	Note    string
}

// With is the capability s with its note, for the targets' tables.
func (s Support) With(note string) Capability { return Capability{Support: s, Note: note} }

// Capabilities maps every Feature to its support. A feature missing from the
// map is not supported.
type Capabilities map[Feature]Capability

// Supports reports whether f is expressible (fully or partially).
func (c Capabilities) Supports(f Feature) bool {
	s := c[f].Support
	return s == Yes || s == Partial
}

// Registry holds the available backends by name. Build it explicitly (no
// init-time registration).
type Registry struct {
	byName map[string]Backend
}

// NewRegistry returns a registry of bs; names must be unique.
func NewRegistry(bs ...Backend) (*Registry, error) {
	r := &Registry{byName: map[string]Backend{}}
	for _, b := range bs {
		if _, dup := r.byName[b.Name()]; dup {
			return nil, fmt.Errorf("backend %q registered twice", b.Name())
		}
		r.byName[b.Name()] = b
	}
	return r, nil
}

// Lookup returns the backend called name.
func (r *Registry) Lookup(name string) (Backend, bool) {
	b, ok := r.byName[name]
	return b, ok
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
