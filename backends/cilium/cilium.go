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
//     proxy: if no "allow dns" rule covers it, Prepare adds one to the IR
//     (egress to the cluster DNS server, UDP and TCP, matchPattern "*") and
//     reports it as a "dns-proxy-added" warning; the prepared program is
//     exactly what the objects say, so evaluating it (compile/eval) gives
//     their verdicts.
//   - Deny rules -> ingressDeny/egressDeny (L3/L4 only).
//
// The stages (see package backends): Prepare runs the checks beyond the
// capabilities and makes the IR adjustments above; Emit only maps the
// prepared program to objects. Checks beyond the capabilities: "**." FQDN
// patterns need Cilium >= 1.19 (Options.Version, default 1.20); ICMP needs
// a type; label keys that Cilium leaves out of identities cannot select;
// host policies carry no HTTP rules; an L4-only allow that overlaps an
// HTTP- or lookup-restricted port of the same subject and direction voids
// the L7 rules in Cilium and is an error ("l7-voided"); a pod selector
// cannot use Cilium's namespace key for another namespace than its peer's.
//
// The package reads and writes no global state, the Cilium agent's
// options included, and validates nothing it emits. What proves the objects
// valid is the tests: every test path that emits Cilium objects (this
// package's tests, the engine module backends/cilium/enginetest, the
// library's, the command's and the API server tests) validates every
// object with internal/testsupport/ciliumcheck: the agent's own Parse
// (Rule.Sanitize and namespace defaulting) and netpolc's conventions, on
// the object as written (strict-decoded back into the Cilium v2 type) and,
// where the test has it, as built (the two must be the same object). This
// package's tests also check the CRD's OpenAPI schema and CEL rules
// (internal/crdcheck).
package cilium

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
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

// DefaultVersion is the Cilium release targeted when Options.Version is
// empty.
const DefaultVersion = "1.20"

// Options are the options of the Cilium target.
type Options struct {
	// Version is the Cilium release the output must work on, e.g. "1.19"
	// (read by ParseVersion); "" is DefaultVersion.
	Version string
}

// Backend is the Cilium target for one Cilium release. The zero Backend
// targets DefaultVersion; New returns one for Options.
type Backend struct {
	version Version
}

// New returns the Cilium backend configured with opts. A version
// ParseVersion cannot read is an error.
func New(opts Options) (backends.Backend, error) {
	v, err := ParseVersion(opts.Version)
	if err != nil {
		return nil, fmt.Errorf(msgBadVersion, opts.Version, err)
	}
	return Backend{version: v}, nil
}

// Version returns the Cilium release b targets.
func (b Backend) Version() Version {
	if b.version == (Version{}) {
		v, _ := ParseVersion(DefaultVersion)
		return v
	}
	return b.version
}

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
	y, p, n := backends.Yes.With, backends.Partial.With, backends.No.With
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
		backends.FeatureHost:           y("the entity host"),
		backends.FeatureFQDN:           y("toFQDNs; the pods' lookups go through the DNS proxy (a rule is added if allow dns does not cover them)"),
		backends.FeatureFQDNAnyDepth:   p("matchPattern \"**.\" needs Cilium >= 1.19 (--cilium-version); before, \"**\" silently meant \"*\""),
		backends.FeatureFQDNOneLabel:   y("matchPattern \"*\": any characters within one label"),
		backends.FeatureHTTP:           y("rules.http: whole-string RE2 method/path/host, headers; an overlapping L4-only allow voids it (an error)"),
		backends.FeatureDNSRules:       y("rules.dns on the DNS rule; names not listed get REFUSED"),
		backends.FeatureDeny:           y("ingressDeny/egressDeny, L3/L4 only; a deny wins over every allow"),
		backends.FeatureClusterWide:    y("CiliumClusterwideNetworkPolicy"),
		backends.FeatureNodeSubject:    p("CCNP nodeSelector (host policy): needs the host firewall; no HTTP rules"),
		backends.FeatureNodePeer:       p("toNodes/fromNodes: needs the agent flag --enable-node-selector-labels"),
		backends.FeatureService:        y("toServices (egress); ports are still the pods' ports"),
		backends.FeatureNonIsolating:   y("enableDefaultDeny: false for that direction"),
		backends.FeatureAnyPeer:        y("entity all"),
		backends.FeatureOrdered:        n("Cilium cannot order rules: a deny wins over every allow, whatever their order."),
		backends.FeaturePass:           n("Cilium has no admin tier to pass from."),
	}
}

// Prepare implements backends.Backend: the checks of the package doc, in
// order (what the version, the identities and host policies cannot
// express; the DNS-proxy rules it adds and whether they would lift a
// lookups restriction; L7 rules voided by overlapping L4 rules; namespace
// key clashes), and the program the objects express. Each "allow dns"
// port rule without lookups gets the lookup pattern "*" (Cilium's
// rules.dns matchPattern "*": every name, through the DNS proxy), and each
// subject of a toFQDNs rule that no "allow dns" rule covers gets a
// DNS-proxy rule (docs/semantics.md, section 2.10). p is not modified.
func (b Backend) Prepare(p *ir.Program, _ backends.Options) (*ir.Program, diag.List) {
	diags := checkExpressible(p, b.Version())
	if diags.HasErrors() {
		return nil, diags
	}
	eff, added := effective(p)
	reportAdded(&diags, p, added)
	diags.Append(checkL7Voided(eff))
	if diags.HasErrors() {
		return nil, diags
	}
	diags.Append(checkNamespaceClash(eff))
	if diags.HasErrors() {
		return nil, diags
	}
	return ir.RewritePeers(eff, targetPeer), diags
}

// worldFamily maps the one-family world entities to their CIDR.
var worldFamily = map[ir.Entity]netip.Prefix{
	ir.EntityWorldIPv4: netip.MustParsePrefix("0.0.0.0/0"),
	ir.EntityWorldIPv6: netip.MustParsePrefix("::/0"),
}

// targetPeer expresses a peer in the form a Cilium rule writes it, so that
// peers written alike are one peer of the prepared program (ir.RewritePeers
// keeps each once): world-ipv4 and world-ipv6 become the CIDR of every
// address of the family (the CRD's entity enum lacks them, and a CIDR rule
// selects the same outside addresses), and the entity all becomes the any
// peer (which Emit writes as entity all).
func targetPeer(_ *ir.Policy, peer ir.Peer) ([]ir.Peer, bool) {
	if peer.Kind != ir.PeerEntity {
		return nil, false
	}
	if cidr, ok := worldFamily[peer.Entity]; ok {
		return []ir.Peer{{Span: peer.Span, Kind: ir.PeerCIDR, CIDR: cidr}}, true
	}
	if peer.Entity == ir.EntityAll {
		return []ir.Peer{{Span: peer.Span, Kind: ir.PeerAny}}, true
	}
	return nil, false
}

// Emit implements backends.Backend: it maps a program Prepare returned to
// one object per policy that isolates or allows something.
func (b Backend) Emit(p *ir.Program) ([]backends.Object, diag.List) {
	e := &emitter{}
	out := e.emit(p)
	if e.diags.HasErrors() {
		return nil, e.diags
	}
	objs := make([]backends.Object, 0, len(out))
	for _, o := range out {
		objs = append(objs, o.obj)
	}
	return objs, e.diags
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
