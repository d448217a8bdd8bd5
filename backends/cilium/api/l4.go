package api

import (
	"encoding/json"
	"fmt"
	"strings"
)

// L4Proto is a protocol as a port rule names it.
type L4Proto string

// Protocols.
const (
	ProtoTCP    L4Proto = "TCP"
	ProtoUDP    L4Proto = "UDP"
	ProtoSCTP   L4Proto = "SCTP"
	ProtoICMP   L4Proto = "ICMP"
	ProtoICMPv6 L4Proto = "ICMPV6"
	ProtoVRRP   L4Proto = "VRRP"
	ProtoIGMP   L4Proto = "IGMP"
	ProtoGRE    L4Proto = "GRE"
	ProtoIPIP   L4Proto = "IPIP"
	ProtoIPv6   L4Proto = "IPV6"
	ProtoESP    L4Proto = "ESP"
	ProtoAH     L4Proto = "AH"
	ProtoAny    L4Proto = "ANY"
)

// ParseL4Proto reads a port rule's protocol as Cilium does: case-insensitive,
// empty meaning ANY; ICMP and ICMPv6 are not port protocols (they have
// rules of their own).
func ParseL4Proto(proto string) (L4Proto, error) {
	if proto == "" {
		return ProtoAny, nil
	}
	p := L4Proto(strings.ToUpper(proto))
	switch p {
	case ProtoAny, ProtoTCP, ProtoUDP, ProtoSCTP, ProtoVRRP, ProtoIGMP,
		ProtoGRE, ProtoIPIP, ProtoIPv6, ProtoESP, ProtoAH:
		return p, nil
	}
	return p, fmt.Errorf("invalid protocol %q, must be { tcp | udp | sctp | vrrp | igmp | gre | ipip | ipv6 | esp | ah | any }", p)
}

// PortProtocol is a port (a number, "0" for every port, or a name), an
// optional end of range, and a protocol.
type PortProtocol struct {
	Port     string  `json:"port,omitempty"`
	EndPort  int32   `json:"endPort,omitempty"`
	Protocol L4Proto `json:"protocol,omitempty"`
}

// PortRule is the ports of an allow rule and their L7 rules. The TLS
// contexts, server names and listener are kept as written, unread.
type PortRule struct {
	Ports          []PortProtocol  `json:"ports,omitempty"`
	TerminatingTLS json.RawMessage `json:"terminatingTLS,omitempty"`
	OriginatingTLS json.RawMessage `json:"originatingTLS,omitempty"`
	ServerNames    json.RawMessage `json:"serverNames,omitempty"`
	Listener       json.RawMessage `json:"listener,omitempty"`
	Rules          *L7Rules        `json:"rules,omitempty"`
}

// PortRules is the toPorts list of an allow rule.
type PortRules []PortRule

// PortDenyRule is the ports of a deny rule.
type PortDenyRule struct {
	Ports []PortProtocol `json:"ports,omitempty"`
}

// PortDenyRules is the toPorts list of a deny rule.
type PortDenyRules []PortDenyRule

// L7Rules is the L7 rules of a port rule: HTTP or DNS.
type L7Rules struct {
	HTTP PortRulesHTTP `json:"http,omitempty"`
	DNS  PortRulesDNS  `json:"dns,omitempty"`
}

// PortRuleHTTP is one HTTP rule: regular expressions for the path and the
// method, the host, and header conditions.
type PortRuleHTTP struct {
	Path          string         `json:"path,omitempty"`
	Method        string         `json:"method,omitempty"`
	Host          string         `json:"host,omitempty"`
	Headers       []string       `json:"headers,omitempty"`
	HeaderMatches []*HeaderMatch `json:"headerMatches,omitempty"`
}

// PortRulesHTTP is a list of HTTP rules.
type PortRulesHTTP []PortRuleHTTP

// MismatchAction is what Envoy does when a header does not match.
type MismatchAction string

// Secret names a Kubernetes Secret.
type Secret struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// HeaderMatch is a header condition of an HTTP rule.
type HeaderMatch struct {
	Mismatch MismatchAction `json:"mismatch,omitempty"`
	Name     string         `json:"name"`
	Secret   *Secret        `json:"secret,omitempty"`
	Value    string         `json:"value,omitempty"`
}
