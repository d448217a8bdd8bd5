// Package cilium is netpolc's Cilium target (cilium.io/v2): it emits one
// CiliumNetworkPolicy per namespaced IR policy and one
// CiliumClusterwideNetworkPolicy per cluster-wide one, with Cilium's own Go
// types and the exact Cilium 1.20 semantics of docs/semantics.md section 2.
//
// Mapping (IR -> CNP/CCNP):
//   - Policy -> one object, both directions in one spec. Namespace "" ->
//     CCNP. endpointSelector is always written ({} for every pod); a node
//     subject -> CCNP nodeSelector (a host policy). A cluster-wide subject
//     restricted to labelled namespaces carries
//     io.cilium.k8s.namespace.labels.<key> terms.
//   - enableDefaultDeny is always written, from Policy.Isolation, so that
//     deny-only and nonisolating rules do not isolate; an isolated direction
//     without allow rules gets Cilium's isolating empty rule (ingress: [{}]
//     or egress: [{}]), which selects no peer.
//   - Pod peers -> toEndpoints/fromEndpoints: the policy's namespace -> the
//     pod labels only (Cilium scopes them to the policy's namespace; in a
//     CCNP to every namespace, as the IR means); a named namespace ->
//     k8s:io.kubernetes.pod.namespace: N in the same selector; labelled
//     namespaces -> io.cilium.k8s.namespace.labels.<key> terms (labels and
//     expressions) in the same selector, or, for every namespace, a
//     k8s:io.kubernetes.pod.namespace Exists term. Entities ->
//     toEntities/fromEntities, except world-ipv4 and world-ipv6 -> CIDR
//     0.0.0.0/0 and ::/0 (the CRD's entity enum lacks them); PeerAny ->
//     entity all (never an empty rule:
//     {} selects nothing in Cilium); CIDR -> toCIDRSet/fromCIDRSet with
//     except; FQDN -> toFQDNs matchName (exact) or matchPattern; services ->
//     toServices; nodes -> toNodes/fromNodes.
//   - One L3 peer kind per Cilium rule: an IR rule whose peers are of
//     several kinds becomes one rule per kind, with the same traffic.
//   - Traffic: AllTraffic -> no toPorts; ports -> toPorts with the protocol
//     always written (ANY for protocol any), ranges with endPort, named
//     ports by name, every port of a protocol as port "0"; at most 40 ports
//     per entry; ICMP -> icmps in a rule of its own (one field per type).
//   - HTTP -> rules.http (method, path, host as written; headers "Name" for
//     presence, "Name: value" for an exact value); every such port is TCP
//     and numbered. DNS rules -> rules.dns (matchName or matchPattern).
//     Every "allow dns" rule carries rules.dns (matchPattern "*" unless the
//     source lists lookups), so that lookups pass Cilium's DNS proxy.
//   - Every subject with a toFQDNs rule needs its lookups to pass the DNS
//     proxy: if no "allow dns" rule covers it, Emit adds one (egress to the
//     cluster DNS server, UDP and TCP, matchPattern "*") and reports it as a
//     "dns-proxy-added" warning. Effective returns the program with exactly
//     these additions, as IR.
//   - Deny rules -> ingressDeny/egressDeny (L3/L4 only).
//
// Checks beyond the capabilities: "**." FQDN patterns need Cilium >= 1.19
// (Options.CiliumVersion, default 1.20); ICMP needs a type; host policies
// carry no HTTP rules; an L4-only allow that overlaps an HTTP- or
// lookup-restricted port of the same subject and direction voids the L7
// rules in Cilium and is an error ("l7-voided").
//
// Every emitted object is checked before it is returned, as typed: every
// check of the agent's own Parse (Rule.Sanitize, see Sanitize) and
// netpolc's conventions; a failure is an internal error. Tests also check
// every object as written (strict-decoded into the Cilium v2 type, the
// same object as built, the agent's Parse: ValidateWritten), and the CRD's
// OpenAPI schema and CEL rules (internal/crdcheck).
package cilium

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// APIVersion and kinds of the emitted objects.
const (
	APIVersion = "cilium.io/v2"
	KindCNP    = "CiliumNetworkPolicy"
	KindCCNP   = "CiliumClusterwideNetworkPolicy"
)

// Label keys Cilium derives for every pod endpoint.
const (
	// PodNamespaceLabel is the pod's namespace.
	PodNamespaceLabel = "k8s:io.kubernetes.pod.namespace"
	// NamespaceLabelsPrefix prefixes the labels of the pod's namespace.
	NamespaceLabelsPrefix = "io.cilium.k8s.namespace.labels."
)

// DefaultVersion is the Cilium release targeted when Options.CiliumVersion
// is empty.
const DefaultVersion = "1.20"

// Backend is the Cilium target.
type Backend struct{}

// New returns the Cilium backend.
func New() backends.Backend { return Backend{} }

// Name implements backends.Backend.
func (Backend) Name() string { return "cilium" }

// Description implements backends.Backend.
func (Backend) Description() string {
	return "Cilium CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy (cilium.io/v2)"
}

// Capabilities implements backends.Backend.
func (Backend) Capabilities() backends.Capabilities { return Capabilities() }

// Capabilities returns what Cilium 1.20 expresses, as data; the notes
// summarize docs/semantics.md section 2.
func Capabilities() backends.Capabilities {
	y := func(note string) backends.Capability { return backends.Capability{Support: backends.Yes, Note: note} }
	p := func(note string) backends.Capability {
		return backends.Capability{Support: backends.Partial, Note: note}
	}
	return backends.Capabilities{
		backends.FeatureL4:             y("toPorts with an explicit protocol"),
		backends.FeatureAllTraffic:     y("a rule without toPorts (ICMP included)"),
		backends.FeaturePortRange:      y("endPort"),
		backends.FeatureNamedPort:      y("resolved against the destination pod's container ports"),
		backends.FeatureSCTP:           p("needs the agent flag --enable-sctp (off by default)"),
		backends.FeatureProtoAny:       y("protocol ANY (TCP, UDP and SCTP)"),
		backends.FeatureICMP:           p("icmps in a rule of their own, one entry per type; ICMP without a type is not expressible"),
		backends.FeatureNamespaceName:  y("k8s:io.kubernetes.pod.namespace in the same selector"),
		backends.FeatureNamespaceLabel: y("io.cilium.k8s.namespace.labels.<key> in the same selector"),
		backends.FeatureCIDR:           y("toCIDRSet/fromCIDRSet with except; never matches Cilium-managed pods or nodes"),
		backends.FeatureWorld:          y("entity world; world-ipv4/-ipv6 as CIDR 0.0.0.0/0 / ::/0 (the CRD has no such entities)"),
		backends.FeatureEntity:         y("toEntities/fromEntities; kube-apiserver ingress may not work on AKS/GKE"),
		backends.FeatureFQDN:           y("toFQDNs; the pods' lookups go through the DNS proxy (a rule is added if allow dns does not cover them)"),
		backends.FeatureFQDNAnyDepth:   p("matchPattern \"**.\" needs Cilium >= 1.19 (--cilium-version); before, \"**\" silently meant \"*\""),
		backends.FeatureHTTP:           y("rules.http: whole-string RE2 method/path/host, headers; an overlapping L4-only allow voids it (an error)"),
		backends.FeatureDNSRules:       y("rules.dns on the DNS rule; names not listed get REFUSED"),
		backends.FeatureDeny:           y("ingressDeny/egressDeny, L3/L4 only; a deny wins over every allow"),
		backends.FeatureClusterWide:    y("CiliumClusterwideNetworkPolicy"),
		backends.FeatureNodeSubject:    p("CCNP nodeSelector (host policy): needs the host firewall; no HTTP rules"),
		backends.FeatureNodePeer:       p("toNodes/fromNodes: needs the agent flag --enable-node-selector-labels"),
		backends.FeatureService:        y("toServices (egress); ports are still the pods' ports"),
		backends.FeatureNonIsolating:   y("enableDefaultDeny: false for that direction"),
		backends.FeatureAnyPeer:        y("entity all"),
	}
}

// Emit implements backends.Backend. It checks capabilities and the checks
// of the package doc first and emits nothing when they fail; every emitted
// object is validated, and a failure is an internal error.
func (b Backend) Emit(p *ir.Program, opts backends.Options) ([]backends.Object, diag.List) {
	diags := backends.CheckCapabilities(p, b, opts)
	if diags.HasErrors() {
		return nil, diags
	}
	ver, err := ParseVersion(opts.CiliumVersion)
	if err != nil {
		diags.Errorf(codeBadVersion, source.Span{}, msgBadVersion, opts.CiliumVersion, err)
		return nil, diags
	}
	diags.Append(checkExpressible(p, ver))
	if diags.HasErrors() {
		return nil, diags
	}
	eff, added := effective(p)
	reportAdded(&diags, p, added)
	diags.Append(checkL7Voided(eff))
	if diags.HasErrors() {
		return nil, diags
	}
	e := &emitter{}
	out := e.emit(eff)
	diags.Append(e.diags)
	if e.diags.HasErrors() {
		return nil, diags
	}
	objs := make([]backends.Object, 0, len(out))
	for _, o := range out {
		if err := Validate(o.obj.Value); err != nil {
			diags.Errorf(codeInternal, o.span, msgInvalidObject, o.obj.Kind, qualified(o.obj), err)
		}
		objs = append(objs, o.obj)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return objs, diags
}

func qualified(o backends.Object) string {
	if o.Namespace == "" {
		return o.Name
	}
	return o.Namespace + "/" + o.Name
}

// Version is a Cilium minor release.
type Version struct{ Major, Minor int }

// AtLeast reports whether v is major.minor or later.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// ParseVersion reads "1.20", "1.19.3" or "v1.20"; "" is DefaultVersion.
func ParseVersion(s string) (Version, error) {
	if s == "" {
		s = DefaultVersion
	}
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("want MAJOR.MINOR, e.g. %s", DefaultVersion)
	}
	var nums [3]int
	for i, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 || part == "" || (len(part) > 1 && part[0] == '0') {
			return Version{}, fmt.Errorf("want MAJOR.MINOR, e.g. %s", DefaultVersion)
		}
		nums[i] = n
	}
	if nums[0] != 1 {
		return Version{}, fmt.Errorf("only Cilium 1.x is known")
	}
	return Version{Major: nums[0], Minor: nums[1]}, nil
}
