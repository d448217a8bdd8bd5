package api

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// ICMP families.
const (
	IPv4Family = "IPv4"
	IPv6Family = "IPv6"
)

// icmpTypes are the ICMP type names Cilium accepts, per family, and their
// numbers (the IANA registries' types, in Cilium's spelling).
var icmpTypes = map[string]map[string]string{
	IPv4Family: {
		"EchoReply":              "0",
		"DestinationUnreachable": "3",
		"Redirect":               "5",
		"Echo":                   "8",
		"EchoRequest":            "8",
		"RouterAdvertisement":    "9",
		"RouterSelection":        "10",
		"TimeExceeded":           "11",
		"ParameterProblem":       "12",
		"Timestamp":              "13",
		"TimestampReply":         "14",
		"Photuris":               "40",
		"ExtendedEchoRequest":    "42",
		"ExtendedEchoReply":      "43",
	},
	IPv6Family: {
		"DestinationUnreachable":                 "1",
		"PacketTooBig":                           "2",
		"TimeExceeded":                           "3",
		"ParameterProblem":                       "4",
		"EchoRequest":                            "128",
		"EchoReply":                              "129",
		"MulticastListenerQuery":                 "130",
		"MulticastListenerReport":                "131",
		"MulticastListenerDone":                  "132",
		"RouterSolicitation":                     "133",
		"RouterAdvertisement":                    "134",
		"NeighborSolicitation":                   "135",
		"NeighborAdvertisement":                  "136",
		"RedirectMessage":                        "137",
		"RouterRenumbering":                      "138",
		"ICMPNodeInformationQuery":               "139",
		"ICMPNodeInformationResponse":            "140",
		"InverseNeighborDiscoverySolicitation":   "141",
		"InverseNeighborDiscoveryAdvertisement":  "142",
		"HomeAgentAddressDiscoveryRequest":       "144",
		"HomeAgentAddressDiscoveryReply":         "145",
		"MobilePrefixSolicitation":               "146",
		"MobilePrefixAdvertisement":              "147",
		"DuplicateAddressRequestCodeSuffix":      "157",
		"DuplicateAddressConfirmationCodeSuffix": "158",
		"ExtendedEchoRequest":                    "160",
		"ExtendedEchoReply":                      "161",
	},
}

// typesOf returns the type names of family ("" and unknown families read
// as IPv4, as Cilium reads them).
func typesOf(family string) map[string]string {
	if family == IPv6Family {
		return icmpTypes[IPv6Family]
	}
	return icmpTypes[IPv4Family]
}

// ICMPRules is the icmps list of a rule.
type ICMPRules []ICMPRule

// ICMPRule is a list of ICMP fields.
type ICMPRule struct {
	Fields []ICMPField `json:"fields,omitempty"`
}

// ICMPField is an ICMP type (a number or a name) of a family.
type ICMPField struct {
	Family string              `json:"family,omitempty"`
	Type   *intstr.IntOrString `json:"type"`
}

// UnmarshalJSON reads the field as Cilium does: a type name must be one of
// its family's. A field without a type is an error (Cilium's reader fails
// on it too).
func (i *ICMPField) UnmarshalJSON(value []byte) error {
	var t struct {
		Family string              `json:"family,omitempty"`
		Type   *intstr.IntOrString `json:"type"`
	}
	if err := json.Unmarshal(value, &t); err != nil {
		return err
	}
	if t.Type == nil {
		return fmt.Errorf("ICMP field without a type")
	}
	if t.Type.String() != "0" && t.Type.IntValue() == 0 {
		if _, ok := typesOf(t.Family)[t.Type.String()]; !ok {
			return fmt.Errorf("ICMP type %s not found in %s", t.Type.String(), t.Family)
		}
	}
	i.Family, i.Type = t.Family, t.Type
	return nil
}

// Number returns the field's type as a number: the number written, or the
// number of the type name in the field's family (a name unknown to the
// family is returned as it is).
func (i ICMPField) Number() string {
	s := i.Type.String()
	if n, ok := typesOf(i.Family)[s]; ok {
		return n
	}
	return s
}
