// Package netpolapi is netpolc's target for the Kubernetes network-policy
// API of SIG Network (sigs.k8s.io/network-policy-api, group
// policy.networking.k8s.io): ClusterNetworkPolicy (v1alpha2, the default,
// or v1beta1) or AdminNetworkPolicy and BaselineAdminNetworkPolicy
// (v1alpha1), together with plain NetworkPolicy for what namespaces allow
// for themselves. It emits the upstream Go types of the module (without
// their status) and the NetworkPolicies of package k8s.
//
// The split (docs/semantics.md, section 5), exact under the semantics of
// ir.TierOrdered and ir.TierDefault:
//
//  1. Ordered policies ("clusterwide priority N") become Admin-tier
//     objects. An object has one subject, and a block's rules run in source
//     order whatever subject they govern, so the rules of a block are cut
//     into consecutive runs of the same subject; run k gets priority N+k
//     (and a run longer than an object may hold is cut again). A run that
//     reaches the next block's priority, or 1000, is an error.
//  2. Above every ordered priority, the TierDefault rules the namespaces'
//     NetworkPolicies cannot carry: first one Admin object of Deny rules
//     per policy that has deny rules (a namespaced subject is its namespace
//     by name plus its pods), then one Admin object of Accept rules per
//     policy with allows that are cluster-wide or in a direction the policy
//     does not isolate. Every object has its own priority (some
//     implementations refuse duplicates); running out of priorities is an
//     error.
//  3. The allows of namespaced policies in the directions they isolate,
//     and that isolation, are NetworkPolicies (package k8s): the
//     NetworkPolicy tier, which Pass delegates to. An allow of theirs that
//     NetworkPolicy cannot write (DNS names, nodes) is an Accept of step 2
//     instead, which is exact in a program without pass rules (an error
//     with them).
//  4. Cluster-wide isolation is the Baseline tier: a Deny of every
//     destination in egress (networks 0.0.0.0/0 and ::/0). Ingress
//     isolation cannot be said (the ingress peers of the API are pods only,
//     so nodes and external clients would still get in): an error. With
//     v1alpha1 the baseline is the singleton BaselineAdminNetworkPolicy
//     "default", which has one subject.
//
// Peers: pods and namespaces as pods/namespaces peers (a namespaced
// policy's own namespace by name); in egress, CIDRs as networks of the
// block minus its excepts and the cluster's ranges (Options.ClusterCIDRs:
// networks match pods and nodes too, netpolc's CIDRs do not), exactly;
// without the ranges only blocks inside 169.254.0.0/16, others with
// --degrade cidr=networks; any as 0.0.0.0/0 and ::/0, DNS names as
// domainNames (accept rules only; "**.x" is the API's "*.x"), node{} with
// host in one rule as nodes {} (the API's nodes include the pod's own
// node, so no other node peer). Ports: numbers, ranges (every port of a
// protocol is the range 1-65535), named ports for every protocol (others
// with --degrade named-port=any-protocol: the API's named port has no
// protocol), protocol any as one entry per protocol; all traffic as no
// ports. A run of an ordered block with no priority left shares the
// priority of the run before it when their order cannot matter. Every other construct, and every construct the
// NetworkPolicy part cannot carry, is an error at its source line:
// capabilities (Capabilities) first, then Prepare.
//
// Prepare reports those errors and the warnings of the degraded rules and
// of shared priorities, and returns the program with the
// NetworkPolicy part's world peers written as CIDRs, as package k8s does,
// and without the DNS rules that let every name through (they restrict
// nothing; any other lookup restriction is an error).
// Emit maps the plan that Prepare checked to objects.
package netpolapi

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
)

// Name is the target's name (--target).
const Name = "netpol-api"

// Group is the API group of the admin objects.
const Group = "policy.networking.k8s.io"

// API versions of the admin objects.
const (
	V1Alpha1 = "v1alpha1" // AdminNetworkPolicy, BaselineAdminNetworkPolicy
	V1Alpha2 = "v1alpha2" // ClusterNetworkPolicy
	V1Beta1  = "v1beta1"  // ClusterNetworkPolicy (the storage version of v0.3.0)
)

// DefaultVersion is the API version written when none is chosen.
const DefaultVersion = V1Alpha2

// Kinds of the admin objects.
const (
	KindCNP  = "ClusterNetworkPolicy"
	KindANP  = "AdminNetworkPolicy"
	KindBANP = "BaselineAdminNetworkPolicy"
)

// BaselineName is the name of the one BaselineAdminNetworkPolicy a cluster
// may have.
const BaselineName = "default"

// MaxPriority is the highest priority of an admin object.
const MaxPriority = 1000

// Versions returns the API versions the target writes.
func Versions() []string { return []string{V1Alpha1, V1Alpha2, V1Beta1} }

// Options configure the target.
type Options struct {
	// Version is the API version of the admin objects (Versions); "" is
	// DefaultVersion.
	Version string
	// ClusterCIDRs are the cluster's own address ranges: every pod,
	// Service and node address lies in one of them (--cluster-cidrs). With
	// them, a CIDR peer (addresses outside the cluster) is written as the
	// networks of the CIDR minus these ranges, which is exact; without
	// them, a CIDR that may hold a cluster address is an error unless
	// degraded (--degrade cidr=networks). The importer reads networks
	// against them the same way.
	ClusterCIDRs []netip.Prefix
}

// Backend is the network-policy API target.
type Backend struct {
	version string
	cluster []netip.Prefix
}

// New returns the target configured with opts; an unknown version, or a
// cluster range that is not canonical, is an error.
func New(opts Options) (*Backend, error) {
	v := opts.Version
	if v == "" {
		v = DefaultVersion
	}
	cluster, err := clusterRanges(opts.ClusterCIDRs)
	if err != nil {
		return nil, err
	}
	for _, known := range Versions() {
		if v == known {
			return &Backend{version: v, cluster: cluster}, nil
		}
	}
	return nil, fmt.Errorf("unknown network-policy API version %q (one of %s)", opts.Version, strings.Join(Versions(), ", "))
}

// clusterRanges checks the cluster's address ranges (canonical prefixes)
// and returns them sorted, without duplicates.
func clusterRanges(in []netip.Prefix) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range in {
		if !p.IsValid() {
			return nil, fmt.Errorf("cluster range %v: not a CIDR", p)
		}
		if p.Masked() != p {
			return nil, fmt.Errorf("cluster range %v has host bits set (write %v)", p, p.Masked())
		}
		out = append(out, p)
	}
	slices.SortFunc(out, comparePrefix)
	return slices.Compact(out), nil
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// ParseClusterCIDRs parses a comma-separated list of canonical CIDRs (the
// value of --cluster-cidrs); the empty string is none.
func ParseClusterCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR (e.g. 10.244.0.0/16)", f)
		}
		if p.Masked() != p {
			return nil, fmt.Errorf("%q has host bits set (write %v)", f, p.Masked())
		}
		out = append(out, p)
	}
	return clusterRanges(out)
}

// ClusterCIDRs are the cluster ranges the backend was configured with.
func (b *Backend) ClusterCIDRs() []netip.Prefix { return slices.Clone(b.cluster) }

// Degradations of the target (--degrade FEATURE=MODE).
const (
	// DegradeNetworks writes CIDR peers that may hold cluster addresses as
	// networks, which also match those pods and nodes.
	DegradeNetworks = "networks"
	// DegradeAnyProtocol writes a named port with a protocol as the API's
	// named port, which matches the container port of that name whatever
	// its protocol.
	DegradeAnyProtocol = "any-protocol"
)

// Degradations implements backends.Degrader.
func (b *Backend) Degradations() []backends.Degradation {
	return []backends.Degradation{
		{Feature: backends.FeatureCIDR, Mode: DegradeNetworks,
			Note: "the CIDR is written as networks, which also match the pods and nodes with addresses in it (give the cluster's ranges with --cluster-cidrs to stay exact)"},
		{Feature: backends.FeatureNamedPort, Mode: DegradeAnyProtocol,
			Note: "the named port matches the container port of that name whatever its protocol"},
	}
}

// Version is the API version the backend writes.
func (b *Backend) Version() string { return b.version }

// Name implements backends.Backend.
func (b *Backend) Name() string { return Name }

// Description implements backends.Backend.
func (b *Backend) Description() string {
	if b.version == V1Alpha1 {
		return "AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) with NetworkPolicy"
	}
	return "ClusterNetworkPolicy (policy.networking.k8s.io/" + b.version + ") with NetworkPolicy"
}

// Capabilities implements backends.Backend.
func (b *Backend) Capabilities() backends.Capabilities { return Capabilities() }

// Capabilities returns what the target expresses, as data. The target's
// own checks (Prepare) refine the partial ones.
func Capabilities() backends.Capabilities {
	y, p, n := backends.Yes.With, backends.Partial.With, backends.No.With
	return backends.Capabilities{
		backends.FeatureL4:             y("ports with an explicit protocol"),
		backends.FeatureAllTraffic:     y("a rule without ports"),
		backends.FeaturePortRange:      y("port ranges"),
		backends.FeatureNamedPort:      p("the API matches a container port by its name only, whatever its protocol: exact for /any (or TCP, UDP and SCTP together), otherwise --degrade named-port=any-protocol; not towards CIDRs, nodes or DNS names"),
		backends.FeatureSCTP:           p("SCTP needs support by the network plugin"),
		backends.FeatureProtoAny:       y("one port entry each for TCP, UDP and SCTP"),
		backends.FeatureICMP:           n("The policy API has no ICMP rules."),
		backends.FeatureNamespaceName:  y("a namespace selector on kubernetes.io/metadata.name"),
		backends.FeatureNamespaceLabel: y("namespace selectors"),
		backends.FeatureCIDR:           p("egress networks minus the cluster's ranges (--cluster-cidrs; an except as the prefixes around it), or inside 169.254.0.0/16; otherwise --degrade cidr=networks (networks also match pods and nodes); ingress only in the allows of a namespace's isolated direction (NetworkPolicy ipBlock)"),
		backends.FeatureWorld:          p("only in the allows of a namespace's isolated direction (NetworkPolicy ipBlock 0.0.0.0/0 and ::/0); the API's networks would match pods too"),
		backends.FeatureEntity:         n("The policy API has no entities."),
		backends.FeatureHost:           p("only together with node{} in one egress rule: every node, the API's nodes {}"),
		backends.FeatureFQDN:           p("egress domainNames in allow rules (in a namespace's isolated egress only in programs without pass rules)"),
		backends.FeatureFQDNAnyDepth:   y("domainNames \"*.\""),
		backends.FeatureFQDNOneLabel:   n("The only wildcard of the policy API is a leading \"*.\", which matches one or more labels (netpolc's \"**.\")."),
		backends.FeatureHTTP:           n("The policy API has no L7 rules."),
		backends.FeatureDNSRules:       p("only lookups of every name (\"*\", Cilium's DNS visibility rule), which restrict nothing: written at L4"),
		backends.FeatureDeny:           y("Admin tier Deny rules, before every allow"),
		backends.FeatureClusterWide:    p("Admin tier rules; cluster-wide isolation as a Baseline Deny, in egress only"),
		backends.FeatureNodeSubject:    n("The policy API selects pods only."),
		backends.FeatureNodePeer:       p("only node{} together with host in one egress rule (every node: nodes {}, experimental in the API), since the API's nodes also match the pod's own node; in a namespace's isolated egress only in programs without pass rules"),
		backends.FeatureService:        n("The policy API cannot select Services."),
		backends.FeatureNonIsolating:   y("Admin tier Accept rules"),
		backends.FeatureAnyPeer:        p("egress networks 0.0.0.0/0 and ::/0; ingress only in the allows of a namespace's isolated direction (NetworkPolicy)"),
		backends.FeatureOrdered:        y("Admin tier priorities: a block's priority, one more per change of subject"),
		backends.FeaturePass:           y("Pass: the namespaces' NetworkPolicies, then the baseline, decide"),
	}
}

// Prepare implements backends.Backend: the target's checks beyond its
// capabilities (plan), and the program it emits.
func (b *Backend) Prepare(p *ir.Program, opts backends.Options) (*ir.Program, diag.List) {
	cfg := b.config()
	_, cfg.degradeNetworks = backends.DegradationFor(b, opts, backends.FeatureCIDR)
	_, cfg.degradeNamed = backends.DegradationFor(b, opts, backends.FeatureNamedPort)
	pl, diags := plan(p, cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	// The NetworkPolicy part's own warnings (world as ipBlocks).
	_, kd := k8s.New().Prepare(pl.np, opts)
	diags.Append(kd)
	if diags.HasErrors() {
		return nil, diags
	}
	return ir.RewritePeers(ir.RewriteRules(p, allLookups), npWorld), diags
}

// allLookups drops the DNS rules of r that let every name through (plan
// refuses the others): they restrict no lookup, and the API has no L7
// rules, so the rule is its L4 part.
func allLookups(_ *ir.Policy, r *ir.Rule) (*ir.Rule, bool) {
	changed := false
	for _, pr := range r.Ports {
		if len(pr.DNS) > 0 {
			changed = true
		}
	}
	if !changed {
		return nil, false
	}
	nr := *r
	nr.Ports = make([]ir.PortRule, len(r.Ports))
	for i, pr := range r.Ports {
		pr.DNS = nil
		nr.Ports[i] = pr
	}
	return &nr, true
}

// config is the plan configuration of b, without degradations.
func (b *Backend) config() config {
	return config{version: b.version, cluster: b.cluster}
}

// Emit implements backends.Backend: it maps the plan of a prepared program
// to objects. Prepare has reported what the degradations widen (and
// refused it without them), so Emit writes it as degraded: the CIDRs
// that may hold cluster addresses as networks, named ports with a
// protocol as named ports.
func (b *Backend) Emit(p *ir.Program) ([]backends.Object, diag.List) {
	cfg := b.config()
	cfg.degradeNetworks, cfg.degradeNamed, cfg.quiet = true, true, true
	pl, diags := plan(p, cfg)
	if diags.HasErrors() {
		var internal diag.List
		for _, d := range diags {
			if d.Severity == diag.Error {
				internal.Errorf(codeInternal, d.Span, msgPreparedFails, d.Message)
			}
		}
		return nil, internal
	}
	return emit(pl, b.version)
}
