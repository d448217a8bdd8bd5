// Package ir is netpolc's target-neutral intent IR: the meaning of a program
// as a set of policies, each selecting subject endpoints and listing the
// connections allowed or denied to or from them.
//
// The IR is a superset of what Kubernetes NetworkPolicy and Cilium
// CiliumNetworkPolicy/CiliumClusterwideNetworkPolicy express at L3, L4 and
// L7 (HTTP, DNS), so that any such object imports into it without loss and
// every backend emits from it. Nothing here depends on the language: the
// compiler lowers the AST into it, importers build it from YAML, and the
// evaluator (compile/eval) decides flows on it.
//
// Invariants (checked by Validate):
//   - every list that means "any of" is non-empty; "anything" is written
//     explicitly (Peer{Kind: PeerAny}, Rule.AllTraffic), never as an empty
//     list, so that an empty slice can never widen a rule;
//   - CIDRs are canonical (host bits zero) and every except is strictly
//     inside its CIDR;
//   - selectors are sorted (see Selector.Normalize);
//   - every node keeps the source span of what produced it;
//   - the form is canonical, so that consumers never repair it: policies
//     are ordered by namespace (cluster-wide first), then span; a policy's
//     rules by RuleLess (source order of what wrote them); a pod peer of a
//     namespaced policy that selects the policy's own namespace is always
//     NamespacePolicy, never that namespace by name (Relative); the peers of
//     a rule are unique by PeerKey; a rule marked DNS is DNSRule's rule.
//
// Producers build that form with the constructors of canon.go (Relative,
// PeersIn, SortRules, DNSRule); consumers that compare peers of policies
// of different namespaces use Absolute.
package ir

import (
	"net/netip"

	"github.com/netpolc/netpolc/lang/lexicon"
	"github.com/netpolc/netpolc/lang/source"
)

// Program is everything one compilation produced.
type Program struct {
	// Governed lists the namespaces the program writes policies for, sorted.
	Governed []string
	// ClusterWide is true when the program also has cluster-wide policies.
	ClusterWide bool
	// Policies, ordered by namespace, then span (the statement that first
	// wrote to the policy).
	Policies []*Policy
	// DNS is the cluster DNS server used by "allow dns" and Cilium's DNS proxy.
	DNS DNSServer
	// Expectations are the policy tests written in the source.
	Expectations []*Expectation
}

// Policy is one subject (a set of pods in a namespace, every pod of the
// cluster, or nodes) with its isolation and rules. It corresponds to one
// NetworkPolicy, or to one Cilium rule (spec).
type Policy struct {
	Span source.Span
	// Name is a suggested object name derived from the source (group names);
	// backends make it unique and valid for their target.
	Name string
	// Origin names the object the policy was imported from, e.g.
	// "NetworkPolicy shop/allow-web" or "CiliumNetworkPolicy shop/l7
	// (specs[1])"; "" for a policy compiled from netpolc source.
	Origin string
	// Namespace is the namespace the policy lives in; "" for a cluster-wide
	// policy (subject pods in every namespace, or nodes).
	Namespace string
	// Subject selects the endpoints the policy applies to.
	Subject Subject
	// Isolation says in which directions the subject becomes default-deny
	// (only what some policy allows is allowed). A direction can have rules
	// without being isolated (Cilium enableDefaultDeny: false). Always zero
	// for a TierOrdered policy.
	Isolation Isolation
	// Tier says how the policy's rules combine with the others'.
	Tier Tier
	// Priority orders TierOrdered policies (lower first): the priority of the
	// "clusterwide priority N" block or of the imported admin policy, 0 to
	// MaxPriority. Zero for TierDefault.
	Priority int32
	// Rules in canonical order (RuleLess); each has a Direction and an
	// Action.
	Rules []*Rule
}

// Subject is what a Policy applies to: pods (by label, within Namespace or,
// for a cluster-wide policy, in every namespace optionally filtered by
// namespace labels), or nodes (host policies; cluster-wide only).
type Subject struct {
	Span       source.Span
	Nodes      bool     // select nodes by Pods' labels instead of pods
	Pods       Selector // empty: every pod (or node)
	Namespaces *Selector
	// Namespaces restricts a cluster-wide pod subject to namespaces with these
	// labels; nil means every namespace. Always nil for a namespaced policy.
}

// Tier says how a policy's rules combine with the rules of other policies.
type Tier int

// Tiers.
const (
	// TierDefault is the union semantics of NetworkPolicy and Cilium: the
	// allows of every policy add up, a Deny wins over every Allow, and a
	// direction is default-deny when some policy isolates it.
	TierDefault Tier = iota
	// TierOrdered holds ordered admin rules (AdminNetworkPolicy,
	// ClusterNetworkPolicy Admin tier). In each direction they are tried
	// before every TierDefault rule, in OrderLess order, and the first that
	// matches a connection decides that direction: Allow admits it (nothing
	// else is consulted), Deny refuses it, Pass skips the remaining ordered
	// rules and delegates to namespace policies: the connection is then
	// decided by isolation and by the Allow rules of namespaced TierDefault
	// policies that isolate that direction, and by nothing else (no Deny rule,
	// no cluster-wide or non-isolating Allow rule). When no ordered rule
	// matches, the TierDefault semantics decide. Ordered policies never
	// isolate.
	TierOrdered
)

// MaxPriority is the largest Priority of a TierOrdered policy (the
// Kubernetes network policy API's range is 0 to 1000).
const MaxPriority = 1000

func (t Tier) String() string {
	if t == TierOrdered {
		return "ordered"
	}
	return "default"
}

// OrderLess is the evaluation order of ordered rules: by the Priority of
// their policies, then by the rules' source order (a block's rules keep the
// order they are written in, whatever subject they govern).
func OrderLess(pa *Policy, ra *Rule, pb *Policy, rb *Rule) bool {
	if pa.Priority != pb.Priority {
		return pa.Priority < pb.Priority
	}
	return RuleLess(ra, rb)
}

// Isolation records default-deny per direction.
type Isolation struct {
	Ingress bool
	Egress  bool
}

// Direction is the direction of a rule, seen from the subject.
type Direction int

// Directions.
const (
	Ingress Direction = iota // connections opened towards the subject
	Egress                   // connections opened by the subject
)

func (d Direction) String() string {
	if d == Egress {
		return "egress"
	}
	return "ingress"
}

// Action is what a matching rule does.
type Action int

// Actions. In TierDefault a Deny wins over every Allow (Cilium semantics);
// Pass exists only in TierOrdered policies (see TierOrdered).
const (
	Allow Action = iota
	Deny
	Pass
)

func (a Action) String() string {
	switch a {
	case Deny:
		return "deny"
	case Pass:
		return "pass"
	}
	return "allow"
}

// Rule allows or denies connections between the subject and any of Peers
// that match the rule's traffic: AllTraffic, or any of Ports, or any of
// ICMP (exactly one of the three is set).
type Rule struct {
	Span      source.Span
	Direction Direction
	Action    Action
	Peers     []Peer // non-empty; OR-ed
	// AllTraffic: every port of every protocol (NetworkPolicy "ports"
	// omitted; Cilium rule without toPorts, which also admits ICMP).
	AllTraffic bool
	Ports      []PortRule // OR-ed
	ICMP       []ICMPType // OR-ed
	// DNS marks the rule that "allow dns" produced, so that backends can
	// recognise the DNS allowance (e.g. to add Cilium's DNS proxy rules).
	DNS bool
}

// PeerKind says which field of a Peer is set.
type PeerKind int

// Peer kinds.
const (
	PeerPods    PeerKind = iota // pods selected by labels, in namespaces
	PeerCIDR                    // an IP block, with exceptions
	PeerEntity                  // a reserved entity (world, cluster, host, ...)
	PeerFQDN                    // DNS names (Cilium toFQDNs); egress only
	PeerService                 // Kubernetes Services (Cilium toServices); egress only
	PeerNodes                   // cluster nodes by label (Cilium fromNodes/toNodes)
	PeerAny                     // every endpoint: all pods, nodes and external IPs
)

// Peer is one endpoint expression of a rule. A peer is one conjunction:
// namespace AND pods are a single peer; a union is several peers.
type Peer struct {
	Span source.Span
	Kind PeerKind

	// PeerPods.
	Namespace NamespaceRef
	Pods      Selector // empty: every pod of the selected namespaces

	// PeerCIDR.
	CIDR   netip.Prefix
	Except []netip.Prefix // sorted; each strictly inside CIDR

	// PeerEntity.
	Entity Entity

	// PeerFQDN.
	FQDN FQDN

	// PeerService.
	Service Service

	// PeerNodes uses Pods as the node label selector.
}

// NamespaceScope says how a pod peer selects namespaces.
type NamespaceScope int

// Namespace scopes.
const (
	// NamespacePolicy: the namespace of the policy (cluster-wide policies: any
	// namespace, which is the Cilium CCNP reading of an unscoped selector).
	NamespacePolicy NamespaceScope = iota
	// NamespaceNamed: the namespace called Name (kubernetes.io/metadata.name).
	NamespaceNamed
	// NamespaceLabels: every namespace whose labels match Labels; an empty
	// selector means every namespace.
	NamespaceLabels
)

// NamespaceRef selects the namespaces of a pod peer.
type NamespaceRef struct {
	Scope  NamespaceScope
	Name   string   // NamespaceNamed
	Labels Selector // NamespaceLabels
}

// Entity is a reserved endpoint class, named as Cilium names them.
type Entity string

// Entities, named in lang/lexicon (the one table of entity names, which the
// parser shares). World is everything outside the cluster (NetworkPolicy:
// 0.0.0.0/0 and ::/0).
const (
	EntityWorld         Entity = lexicon.EntityWorld
	EntityWorldIPv4     Entity = lexicon.EntityWorldIPv4
	EntityWorldIPv6     Entity = lexicon.EntityWorldIPv6
	EntityCluster       Entity = lexicon.EntityCluster
	EntityClusterMesh   Entity = lexicon.EntityClusterMesh
	EntityHost          Entity = lexicon.EntityHost
	EntityRemoteNode    Entity = lexicon.EntityRemoteNode
	EntityKubeAPIServer Entity = lexicon.EntityKubeAPIServer
	EntityIngress       Entity = lexicon.EntityIngress
	EntityInit          Entity = lexicon.EntityInit
	EntityHealth        Entity = lexicon.EntityHealth
	EntityUnmanaged     Entity = lexicon.EntityUnmanaged
	EntityNone          Entity = lexicon.EntityNone
	EntityAll           Entity = lexicon.EntityAll
)

// Entities lists every valid entity, sorted: lexicon's table.
var Entities = func() []Entity {
	var out []Entity
	for _, e := range lexicon.Entities() {
		out = append(out, Entity(e))
	}
	return out
}()

// FQDN is a DNS name or pattern. Pattern is lower-case, without a trailing
// dot. With Exact, Pattern is a plain name (Cilium matchName). Otherwise "*"
// matches any characters within one label and a leading "**." matches one or
// more whole labels (Cilium matchPattern, >= 1.19 for "**.").
type FQDN struct {
	Pattern string
	Exact   bool
}

// Service selects Kubernetes Services in Namespace, by Name or by the
// Service's own labels.
type Service struct {
	Namespace string
	Name      string    // by name, or
	Selector  *Selector // by Service labels
}

// Protocol is an L4 protocol of a port.
type Protocol string

// Protocols. ProtoAny is TCP, UDP and SCTP (Cilium ANY).
const (
	TCP      Protocol = "TCP"
	UDP      Protocol = "UDP"
	SCTP     Protocol = "SCTP"
	ProtoAny Protocol = "ANY"
)

// Port is one port, port range, named port or "every port" of a protocol.
type Port struct {
	Span     source.Span
	Protocol Protocol
	// Port is the first port (1-65535); 0 with Name == "" means every port of
	// Protocol.
	Port uint16
	// EndPort is the last port of a range; 0 for a single port.
	EndPort uint16
	// Name is a named container port (resolved against the destination pod);
	// Port is then 0.
	Name string
}

// PortRule is a set of ports with optional L7 rules that apply to all of
// them (Cilium PortRule; one NetworkPolicy rule carries only ports).
type PortRule struct {
	Span  source.Span
	Ports []Port // non-empty; OR-ed
	// HTTP, when non-empty, restricts requests on these ports to those that
	// match at least one rule. Allow rules only; TCP ports only.
	HTTP []HTTPRule
	// DNS, when non-empty, restricts DNS lookups (egress to a DNS server) to
	// names matching at least one pattern; it also makes Cilium's DNS proxy
	// observe the lookups. Allow egress rules only.
	DNS []FQDN
}

// HTTPRule matches an HTTP request when every set field matches. Method,
// Path and Host are RE2 regular expressions matched against the whole value;
// "" means any.
type HTTPRule struct {
	Span    source.Span
	Method  string
	Path    string
	Host    string
	Headers []HeaderMatch // all must match
}

// HeaderMatch requires a header to be present (Value nil) or to have exactly
// Value.
type HeaderMatch struct {
	Name  string
	Value *string
}

// ICMPType matches ICMP messages of one family and type.
type ICMPType struct {
	Span   source.Span
	Family ICMPFamily
	// Type is a number (e.g. "8") or a Cilium type name (e.g. "EchoRequest");
	// "" means every type of the family.
	Type string
}

// ICMPFamily is IPv4 or IPv6.
type ICMPFamily string

// ICMP families.
const (
	ICMPv4 ICMPFamily = "IPv4"
	ICMPv6 ICMPFamily = "IPv6"
)

// DNSServer is the cluster DNS target: pods selected in a namespace and the
// pod port they listen on, for UDP and TCP.
type DNSServer struct {
	Span      source.Span
	Namespace string
	Pods      Selector
	Port      uint16
}

// DefaultDNSServer is kube-dns/CoreDNS as deployed by kubeadm and most
// distributions.
func DefaultDNSServer() DNSServer {
	return DNSServer{
		Namespace: "kube-system",
		Pods:      Selector{MatchLabels: []Label{{Key: "k8s-app", Value: "kube-dns"}}},
		Port:      53,
	}
}

// Expectation is a policy test: a flow and the verdict the source expects.
type Expectation struct {
	Span source.Span
	// Namespace is the namespace of the block the expectation is written in:
	// the scope of NamespacePolicy pod peers in From and To. "" (a clusterwide
	// block, or unknown) means any namespace.
	Namespace string
	From      Endpoint
	To        Endpoint
	Port      Port         // a single numeric or named port; Protocol set
	ICMP      *ICMPType    // an ICMP message instead of a port
	Request   *HTTPRequest // nil for an L4 check
	Allowed   bool
}

// Endpoint is one side of an expectation: pods chosen by a peer, an external
// address or a DNS name.
type Endpoint struct {
	Span source.Span
	// Peer is the peer written in the expectation (pods, CIDR, FQDN, entity).
	Peer Peer
	// Group is the group name when the peer came from a group reference.
	Group string
}

// HTTPRequest is the request of an HTTP expectation.
type HTTPRequest struct {
	Method  string
	Path    string
	Host    string
	Headers map[string]string
}
