// Package api holds the policy types of Cilium's cilium.io/v2 objects
// (CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy): the rule tree
// that the backend emits, imports and lints, with the JSON form of Cilium
// 1.20's own types (package pkg/policy/api of github.com/cilium/cilium) and
// the few behaviours of theirs the backend relies on: how a selector, an
// ICMP field and a protocol are read.
//
// Why not Cilium's types themselves: their package links in the agent's
// configuration, metrics and dependency injection, more than four hundred
// packages whose initialisation alone doubles netpolc's start-up time.
// Cilium's types remain the definition of correctness: the backend's tests
// check that every type here has the JSON fields of Cilium's (recursively),
// that both read the same documents to the same JSON, that the tables here
// are Cilium's, and they decode every object emitted on every test path into
// Cilium's types and run the agent's own Parse on it.
//
// Fields the backend never reads nor writes (TLS, listeners, server names,
// rule labels) are kept as raw JSON: the importer refuses them with a
// positioned error before reading the rule.
package api

import "encoding/json"

// Rule is the spec of a policy: the endpoints it selects (pods, or nodes
// for a host policy) and their rules.
type Rule struct {
	EndpointSelector  EndpointSelector  `json:"endpointSelector,omitzero"`
	NodeSelector      EndpointSelector  `json:"nodeSelector,omitzero"`
	Ingress           []IngressRule     `json:"ingress,omitempty"`
	IngressDeny       []IngressDenyRule `json:"ingressDeny,omitempty"`
	Egress            []EgressRule      `json:"egress,omitempty"`
	EgressDeny        []EgressDenyRule  `json:"egressDeny,omitempty"`
	Labels            json.RawMessage   `json:"labels,omitempty"`
	EnableDefaultDeny DefaultDenyConfig `json:"enableDefaultDeny,omitzero"`
	Description       string            `json:"description,omitempty"`
	Log               LogConfig         `json:"log,omitzero"`
}

// Rules is the specs list of an object.
type Rules []*Rule

// DefaultDenyConfig says whether a policy isolates its endpoints in each
// direction (nil: as soon as it has rules of that direction).
type DefaultDenyConfig struct {
	Ingress *bool `json:"ingress,omitempty"`
	Egress  *bool `json:"egress,omitempty"`
}

// LogConfig is a policy's logging.
type LogConfig struct {
	Value string `json:"value,omitempty"`
}

// AuthenticationMode is a mutual authentication mode.
type AuthenticationMode string

// Authentication is a rule's mutual authentication requirement.
type Authentication struct {
	Mode AuthenticationMode `json:"mode"`
}

// IngressCommonRule is the peers of an ingress rule.
type IngressCommonRule struct {
	FromEndpoints []EndpointSelector `json:"fromEndpoints,omitempty"`
	FromRequires  []string           `json:"fromRequires,omitempty"`
	FromCIDR      CIDRSlice          `json:"fromCIDR,omitempty"`
	FromCIDRSet   CIDRRuleSlice      `json:"fromCIDRSet,omitzero"`
	FromEntities  EntitySlice        `json:"fromEntities,omitempty"`
	FromGroups    []Groups           `json:"fromGroups,omitempty"`
	FromNodes     []EndpointSelector `json:"fromNodes,omitempty"`
}

// IngressRule allows traffic from its peers to its ports.
type IngressRule struct {
	IngressCommonRule `json:",inline"`
	ToPorts           PortRules       `json:"toPorts,omitempty"`
	ICMPs             ICMPRules       `json:"icmps,omitempty"`
	Authentication    *Authentication `json:"authentication,omitempty"`
}

// IngressDenyRule denies traffic from its peers to its ports.
type IngressDenyRule struct {
	IngressCommonRule `json:",inline"`
	ToPorts           PortDenyRules `json:"toPorts,omitempty"`
	ICMPs             ICMPRules     `json:"icmps,omitempty"`
}

// EgressCommonRule is the peers of an egress rule.
type EgressCommonRule struct {
	ToEndpoints []EndpointSelector `json:"toEndpoints,omitempty"`
	ToRequires  []string           `json:"toRequires,omitempty"`
	ToCIDR      CIDRSlice          `json:"toCIDR,omitempty"`
	ToCIDRSet   CIDRRuleSlice      `json:"toCIDRSet,omitzero"`
	ToEntities  EntitySlice        `json:"toEntities,omitempty"`
	ToServices  []Service          `json:"toServices,omitempty"`
	ToGroups    []Groups           `json:"toGroups,omitempty"`
	ToNodes     []EndpointSelector `json:"toNodes,omitempty"`
}

// EgressRule allows traffic to its peers and ports.
type EgressRule struct {
	EgressCommonRule `json:",inline"`
	ToPorts          PortRules         `json:"toPorts,omitempty"`
	ToFQDNs          FQDNSelectorSlice `json:"toFQDNs,omitempty"`
	ICMPs            ICMPRules         `json:"icmps,omitempty"`
	Authentication   *Authentication   `json:"authentication,omitempty"`
}

// EgressDenyRule denies traffic to its peers and ports.
type EgressDenyRule struct {
	EgressCommonRule `json:",inline"`
	ToPorts          PortDenyRules `json:"toPorts,omitempty"`
	ICMPs            ICMPRules     `json:"icmps,omitempty"`
}

// Groups selects addresses by a cloud provider's groups.
type Groups struct {
	AWS *AWSGroup `json:"aws,omitempty"`
}

// AWSGroup selects AWS security groups.
type AWSGroup struct {
	Labels              map[string]string `json:"labels,omitempty"`
	SecurityGroupsIds   []string          `json:"securityGroupsIds,omitempty"`
	SecurityGroupsNames []string          `json:"securityGroupsNames,omitempty"`
	Region              string            `json:"region,omitempty"`
}

// EndpointSelector selects endpoints (or nodes) by their labels. A nil
// LabelSelector is an absent selector; an empty one selects every endpoint.
type EndpointSelector struct {
	*LabelSelector `json:",inline"`
}

// IsZero reports whether the selector is absent (for omitzero).
func (n *EndpointSelector) IsZero() bool { return n.LabelSelector == nil }

// UnmarshalJSON reads the selector as Cilium does: leniently (unknown
// fields are dropped), and a present selector is never nil.
func (n *EndpointSelector) UnmarshalJSON(b []byte) error {
	n.LabelSelector = &LabelSelector{}
	return json.Unmarshal(b, n.LabelSelector)
}

// LabelSelector is a Kubernetes label selector.
type LabelSelector struct {
	MatchLabels      map[string]string          `json:"matchLabels,omitempty"`
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement is one matchExpressions term.
type LabelSelectorRequirement struct {
	Key      string                `json:"key"`
	Operator LabelSelectorOperator `json:"operator"`
	Values   []string              `json:"values,omitempty"`
}

// LabelSelectorOperator is a matchExpressions operator: In, NotIn, Exists
// or DoesNotExist.
type LabelSelectorOperator string

// CIDR is an address range (or, in toCIDR/fromCIDR, an address).
type CIDR string

// CIDRSlice is a list of CIDRs.
type CIDRSlice []CIDR

// CIDRGroupRef names a CiliumCIDRGroup.
type CIDRGroupRef string

// CIDRRule is an address range with exceptions, or a CIDR group.
type CIDRRule struct {
	Cidr              CIDR             `json:"cidr,omitempty"`
	CIDRGroupRef      CIDRGroupRef     `json:"cidrGroupRef,omitempty"`
	CIDRGroupSelector EndpointSelector `json:"cidrGroupSelector,omitzero"`
	ExceptCIDRs       []CIDR           `json:"except,omitempty"`
}

// CIDRRuleSlice is a list of CIDR rules.
type CIDRRuleSlice []CIDRRule

// Entity is one of Cilium's named sets of endpoints.
type Entity string

// EntityAll is every endpoint, inside and outside the cluster.
const EntityAll Entity = "all"

// EntitySlice is a list of entities.
type EntitySlice []Entity

// Service selects Kubernetes Services by name or by label.
type Service struct {
	K8sServiceSelector *K8sServiceSelectorNamespace `json:"k8sServiceSelector,omitempty"`
	K8sService         *K8sServiceNamespace         `json:"k8sService,omitempty"`
}

// K8sServiceNamespace names a Service.
type K8sServiceNamespace struct {
	ServiceName string `json:"serviceName,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
}

// ServiceSelector selects Services by their labels. Unlike an
// EndpointSelector it is read as a plain struct.
type ServiceSelector EndpointSelector

// K8sServiceSelectorNamespace selects Services by label.
type K8sServiceSelectorNamespace struct {
	Selector  ServiceSelector `json:"selector"`
	Namespace string          `json:"namespace,omitempty"`
}

// FQDNSelector matches DNS names: exactly, or by a pattern.
type FQDNSelector struct {
	MatchName    string `json:"matchName,omitempty"`
	MatchPattern string `json:"matchPattern,omitempty"`
}

// FQDNSelectorSlice is a list of FQDN selectors.
type FQDNSelectorSlice []FQDNSelector

// PortRuleDNS is a DNS rule of the DNS proxy.
type PortRuleDNS FQDNSelector

// PortRulesDNS is a list of DNS rules.
type PortRulesDNS []PortRuleDNS
