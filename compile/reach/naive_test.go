package reach

import (
	"sort"
	"strconv"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// naive computes Allowed(i, j) by asking the evaluator: for each protocol,
// one flow per interval between the port boundaries that the program's
// rules and the destination's container ports create (every port of an
// interval is decided alike), and one ICMP message per type the program
// names plus one standing for every other type. It is exact and slow: the
// reference the fast engine is tested against.
type naive struct {
	ev  *eval.Evaluator
	eps []eval.Endpoint
	// cuts are the program's port boundaries per protocol: each port a
	// range starts at, and one past each range's end (65536 is implicit).
	cuts [3][]uint32
	// icmp lists, per family, the types to probe and whether each stands
	// for itself only (false: for every type the program does not name).
	icmp [2][]icmpProbe
}

type icmpProbe struct {
	typ    uint8
	others bool
}

func newNaive(prog *ir.Program, ev *eval.Evaluator) *naive {
	n := &naive{ev: ev, eps: ev.Endpoints()}
	cuts := [3]map[uint32]bool{{1: true}, {1: true}, {1: true}}
	var named [2]map[int]bool
	named[0], named[1] = map[int]bool{}, map[int]bool{}
	for _, pol := range prog.Policies {
		for _, r := range pol.Rules {
			for _, pr := range r.Ports {
				for _, p := range pr.Ports {
					if p.Name != "" || p.Port == 0 {
						continue
					}
					last := p.Port
					if p.EndPort != 0 {
						last = p.EndPort
					}
					for _, k := range ruleProtocols(p.Protocol) {
						cuts[k][uint32(p.Port)] = true
						cuts[k][uint32(last)+1] = true
					}
				}
			}
			for _, t := range r.ICMP {
				if v, ok := eval.ICMPTypeNumber(t.Family, t.Type); ok && v <= 255 {
					named[familyIndex(t.Family)][v] = true
				}
			}
		}
	}
	for k := range cuts {
		n.cuts[k] = sortedCuts(cuts[k])
	}
	for f := range named {
		others := -1
		for t := 0; t < 256; t++ {
			if named[f][t] {
				n.icmp[f] = append(n.icmp[f], icmpProbe{typ: uint8(t)})
			} else if others < 0 {
				others = t
			}
		}
		if others >= 0 {
			n.icmp[f] = append(n.icmp[f], icmpProbe{typ: uint8(others), others: true})
		}
	}
	return n
}

func sortedCuts(m map[uint32]bool) []uint32 {
	out := make([]uint32, 0, len(m))
	for v := range m {
		if v <= 65535 {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// allowed decides every interval and ICMP probe from endpoint i to j.
func (n *naive) allowed(i, j int) Conns {
	from, to := n.eps[i], n.eps[j]
	var c Conns
	var l7 [3]PortSet
	for k, proto := range protocols {
		cuts := n.cuts[k]
		if to.Kind == eval.EndpointPod {
			m := map[uint32]bool{}
			for _, v := range cuts {
				m[v] = true
			}
			for _, cp := range to.Pod.Ports {
				if protoIndex(cp.Protocol) == k {
					m[uint32(cp.Port)] = true
					m[uint32(cp.Port)+1] = true
				}
			}
			cuts = sortedCuts(m)
		}
		var set PortSet
		for x, first := range cuts {
			last := uint32(65535)
			if x+1 < len(cuts) {
				last = cuts[x+1] - 1
			}
			v := n.ev.Decide(eval.Flow{From: from, To: to, Protocol: proto, Port: uint16(first)})
			if !v.Allowed {
				continue
			}
			r := PortRange{uint16(first), uint16(last)}
			set = set.add(r)
			if v.L7Restricted {
				l7[k] = l7[k].add(r)
			}
		}
		switch k {
		case 0:
			c.TCP = set
		case 1:
			c.UDP = set
		default:
			c.SCTP = set
		}
	}
	c.L7 = L7Ports{TCP: l7[0], UDP: l7[1], SCTP: l7[2]}
	for f, probes := range n.icmp {
		var set ICMPTypes
		var probed ICMPTypes
		othersAllowed := false
		for _, p := range probes {
			t := ir.ICMPType{Family: families[f], Type: strconv.Itoa(int(p.typ))}
			allowed := n.ev.Decide(eval.Flow{From: from, To: to, ICMP: &t}).Allowed
			if p.others {
				othersAllowed = allowed
				continue
			}
			probed.set(p.typ)
			if allowed {
				set.set(p.typ)
			}
		}
		if othersAllowed {
			for w := range set {
				set[w] |= ^probed[w]
			}
		}
		if f == 0 {
			c.ICMPv4 = set
		} else {
			c.ICMPv6 = set
		}
	}
	return c
}
