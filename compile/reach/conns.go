package reach

import (
	"math/bits"
	"strconv"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
)

// PortRange is an inclusive range of ports, 1 <= First <= Last.
type PortRange struct {
	First, Last uint16
}

// PortSet is a set of ports: sorted, disjoint, non-adjacent ranges (two
// ranges that touch are merged), so that equal sets have equal slices.
type PortSet []PortRange

// allPorts is the range of every port.
var allPorts = PortRange{1, 65535}

// Contains reports whether port is in s.
func (s PortSet) Contains(port uint16) bool {
	lo, hi := 0, len(s)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case port < s[m].First:
			hi = m
		case port > s[m].Last:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

// All reports whether s holds every port 1-65535.
func (s PortSet) All() bool { return len(s) == 1 && s[0] == allPorts }

// Equal reports whether s and t hold the same ports.
func (s PortSet) Equal(t PortSet) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// Minus returns the ports of s that are not in t.
func (s PortSet) Minus(t PortSet) PortSet {
	var out PortSet
	j := 0
	for _, r := range s {
		first := uint32(r.First)
		for first <= uint32(r.Last) {
			for j < len(t) && uint32(t[j].Last) < first {
				j++
			}
			if j == len(t) || uint32(t[j].First) > uint32(r.Last) {
				out = append(out, PortRange{uint16(first), r.Last})
				break
			}
			if uint32(t[j].First) > first {
				out = append(out, PortRange{uint16(first), t[j].First - 1})
			}
			first = uint32(t[j].Last) + 1
		}
	}
	return out
}

// Intersect returns the ports in both s and t.
func (s PortSet) Intersect(t PortSet) PortSet {
	var out PortSet
	i, j := 0, 0
	for i < len(s) && j < len(t) {
		lo, hi := max(s[i].First, t[j].First), min(s[i].Last, t[j].Last)
		if lo <= hi {
			out = append(out, PortRange{lo, hi})
		}
		if s[i].Last < t[j].Last {
			i++
		} else {
			j++
		}
	}
	return out
}

// add appends r to s, which must end before r starts, merging adjacent
// ranges.
func (s PortSet) add(r PortRange) PortSet {
	if n := len(s); n > 0 && uint32(s[n-1].Last)+1 >= uint32(r.First) {
		s[n-1].Last = max(s[n-1].Last, r.Last)
		return s
	}
	return append(s, r)
}

// String renders s as "80,443,8000-8080", "all" for every port.
func (s PortSet) String() string {
	if s.All() {
		return "all"
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(r.First)))
		if r.Last != r.First {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(r.Last)))
		}
	}
	return b.String()
}

// ICMPTypes is a set of ICMP types (0-255) of one family, bit t for type t.
// A rule naming a type by a name Cilium does not know matches no numbered
// type, so it adds nothing to a set.
type ICMPTypes [4]uint64

// Has reports whether type t is in s.
func (s ICMPTypes) Has(t uint8) bool { return s[t/64]&(1<<(t%64)) != 0 }

// All reports whether s holds every type.
func (s ICMPTypes) All() bool { return s == ICMPTypes{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)} }

// IsEmpty reports whether s holds no type.
func (s ICMPTypes) IsEmpty() bool { return s == ICMPTypes{} }

// Types returns the types of s in increasing order.
func (s ICMPTypes) Types() []uint8 {
	var out []uint8
	for w, x := range s {
		for x != 0 {
			b := bits.TrailingZeros64(x)
			out = append(out, uint8(w*64+b))
			x &^= 1 << b
		}
	}
	return out
}

func (s *ICMPTypes) set(t uint8) { s[t/64] |= 1 << (t % 64) }

func (s ICMPTypes) minus(t ICMPTypes) ICMPTypes {
	for i := range s {
		s[i] &^= t[i]
	}
	return s
}

// String renders s as "0,8" or "all".
func (s ICMPTypes) String() string {
	if s.All() {
		return "all"
	}
	var b strings.Builder
	for i, t := range s.Types() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(t)))
	}
	return b.String()
}

// L7Ports are the ports, per protocol, on which a connection is allowed at
// L4 while HTTP or DNS rules restrict the requests that pass.
type L7Ports struct {
	TCP, UDP, SCTP PortSet
}

// IsEmpty reports whether no port is L7-restricted.
func (l L7Ports) IsEmpty() bool { return len(l.TCP) == 0 && len(l.UDP) == 0 && len(l.SCTP) == 0 }

// Conns is a set of connections from one endpoint to another: per protocol
// the ports allowed at L4, the ICMP types allowed per family, and the
// ports among those on which L7 rules restrict requests. The zero value is
// the empty set. Compare with Equal, not ==.
type Conns struct {
	TCP, UDP, SCTP PortSet
	ICMPv4, ICMPv6 ICMPTypes
	// L7 is a subset of TCP, UDP and SCTP.
	L7 L7Ports
}

// Ports returns the ports of protocol proto ("" means TCP); nil for any
// other protocol.
func (c Conns) Ports(proto ir.Protocol) PortSet {
	switch proto {
	case ir.TCP, "":
		return c.TCP
	case ir.UDP:
		return c.UDP
	case ir.SCTP:
		return c.SCTP
	}
	return nil
}

// IsEmpty reports whether c allows no connection at all.
func (c Conns) IsEmpty() bool {
	return len(c.TCP) == 0 && len(c.UDP) == 0 && len(c.SCTP) == 0 && c.ICMPv4.IsEmpty() && c.ICMPv6.IsEmpty()
}

// All reports whether c allows every protocol, port and ICMP type, with no
// L7 restriction.
func (c Conns) All() bool {
	return c.TCP.All() && c.UDP.All() && c.SCTP.All() && c.ICMPv4.All() && c.ICMPv6.All() && c.L7.IsEmpty()
}

// Contains reports whether c allows port of proto (TCP, UDP or SCTP; ""
// means TCP) at L4.
func (c Conns) Contains(proto ir.Protocol, port uint16) bool {
	return c.Ports(proto).Contains(port)
}

// ContainsICMP reports whether c allows ICMP type t of family fam.
func (c Conns) ContainsICMP(fam ir.ICMPFamily, t uint8) bool {
	if fam == ir.ICMPv6 {
		return c.ICMPv6.Has(t)
	}
	return c.ICMPv4.Has(t)
}

// L7Restricted reports whether port of proto is allowed at L4 with L7 rules
// restricting its requests.
func (c Conns) L7Restricted(proto ir.Protocol, port uint16) bool {
	switch proto {
	case ir.TCP, "":
		return c.L7.TCP.Contains(port)
	case ir.UDP:
		return c.L7.UDP.Contains(port)
	case ir.SCTP:
		return c.L7.SCTP.Contains(port)
	}
	return false
}

// Minus returns the connections of c that d does not allow (at L4 and
// ICMP), keeping c's L7 marks on them. A port allowed by both, L7-restricted
// in one and not in the other, is not in the result: compare L7 to see it.
func (c Conns) Minus(d Conns) Conns {
	out := Conns{
		TCP:    c.TCP.Minus(d.TCP),
		UDP:    c.UDP.Minus(d.UDP),
		SCTP:   c.SCTP.Minus(d.SCTP),
		ICMPv4: c.ICMPv4.minus(d.ICMPv4),
		ICMPv6: c.ICMPv6.minus(d.ICMPv6),
	}
	out.L7 = L7Ports{
		TCP:  c.L7.TCP.Intersect(out.TCP),
		UDP:  c.L7.UDP.Intersect(out.UDP),
		SCTP: c.L7.SCTP.Intersect(out.SCTP),
	}
	return out
}

// Equal reports whether c and d are the same set, L7 marks included.
func (c Conns) Equal(d Conns) bool {
	return c.TCP.Equal(d.TCP) && c.UDP.Equal(d.UDP) && c.SCTP.Equal(d.SCTP) &&
		c.ICMPv4 == d.ICMPv4 && c.ICMPv6 == d.ICMPv6 &&
		c.L7.TCP.Equal(d.L7.TCP) && c.L7.UDP.Equal(d.L7.UDP) && c.L7.SCTP.Equal(d.L7.SCTP)
}

// String renders c as "TCP 80,443,8000-8080; UDP 53; ICMP 8; L7 TCP 80":
// the protocols with ports (TCP, UDP, SCTP), the ICMP types (ICMP for
// IPv4, ICMPv6), then the L7-restricted ports; "all" when c allows
// everything and "none" when it allows nothing.
func (c Conns) String() string {
	switch {
	case c.All():
		return "all"
	case c.IsEmpty():
		return "none"
	}
	var parts []string
	add := func(name string, s PortSet) {
		if len(s) > 0 {
			parts = append(parts, name+" "+s.String())
		}
	}
	add("TCP", c.TCP)
	add("UDP", c.UDP)
	add("SCTP", c.SCTP)
	if !c.ICMPv4.IsEmpty() {
		parts = append(parts, "ICMP "+c.ICMPv4.String())
	}
	if !c.ICMPv6.IsEmpty() {
		parts = append(parts, "ICMPv6 "+c.ICMPv6.String())
	}
	add("L7 TCP", c.L7.TCP)
	add("L7 UDP", c.L7.UDP)
	add("L7 SCTP", c.L7.SCTP)
	return strings.Join(parts, "; ")
}
