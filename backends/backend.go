// Package backends defines what a netpolc target is: a Backend that emits
// objects from the intent IR (and imports them back), its capabilities as
// plain data, and an explicit registry. Backends never import the parser or
// the AST; they see only compile/ir.
package backends

import (
	"fmt"
	"sort"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
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

// Options are the target options shared by all backends. Each backend reads
// the fields that concern it.
type Options struct {
	// Degrade lists the explicit opt-ins to widen what a target cannot
	// express exactly, keyed by feature (e.g. "l7" -> "l4").
	Degrade map[Feature]string
	// CiliumVersion is the Cilium release the output targets, e.g. "1.20".
	CiliumVersion string
	// Targets are the registered targets. An error for a feature the
	// target cannot express names those of them whose capabilities include
	// it ("use --target cilium"); with none, it names no other target.
	Targets *Registry
}

// Backend is one target.
type Backend interface {
	// Name is the value of --target, e.g. "k8s".
	Name() string
	// Description is one line for "netpolc targets".
	Description() string
	// Capabilities says which IR features the target expresses.
	Capabilities() Capabilities
	// Emit turns a program into objects. It must not be called with a
	// program that fails CheckCapabilities.
	Emit(p *ir.Program, opts Options) ([]Object, diag.List)
}

// Importer is implemented by backends that can read their objects back into
// the IR (porting between targets, lint, analysis).
type Importer interface {
	Import(docs [][]byte) (*ir.Program, diag.List)
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
	FeatureEntity         Feature = "entity"          // entities other than world
	FeatureFQDN           Feature = "fqdn"            // DNS names as peers
	FeatureFQDNAnyDepth   Feature = "fqdn-any-depth"  // "**." patterns
	FeatureHTTP           Feature = "l7"              // HTTP method/path/host/header rules
	FeatureDNSRules       Feature = "dns-lookups"     // restricting DNS lookups
	FeatureDeny           Feature = "deny"            // deny rules
	FeatureClusterWide    Feature = "cluster-wide"    // subjects in every namespace
	FeatureNodeSubject    Feature = "node-subject"    // host policies
	FeatureNodePeer       Feature = "node-peer"       // nodes by label as peers
	FeatureService        Feature = "service"         // Kubernetes Services as peers
	FeatureNonIsolating   Feature = "non-isolating"   // rules that do not isolate their subject
	FeatureAnyPeer        Feature = "any-peer"        // every endpoint, nodes included
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
