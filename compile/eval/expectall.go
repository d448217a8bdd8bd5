package eval

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
)

// This file checks expectations over every port ("expect a -> b:*
// allowed|denied", or "*/udp": every port of one protocol). Such an
// expectation is judged per (source, destination) pair:
//
//   - "allowed" holds for a pair when some flow of the pair is allowed: a
//     port of one of the protocols (or, for "*", an ICMP or ICMPv6 type);
//   - "denied" holds for a pair when every such flow is denied;
//
// and the expectation holds when it holds for every pair. A flow allowed at
// L4 and filtered at L7 counts as allowed, as for one port.
//
// Deciding every one of the 3 x 65535 ports and 2 x 256 ICMP types would be
// slow, and it is not needed: a rule matches a port in ranges (a number, a
// range, every port, or a named port resolved on the destination), so the
// verdict of a pair is the same on all the ports between two consecutive
// ends of those ranges. The ports tried are 1, the first port of every range
// and the port just past its end, per protocol, and the container ports of
// the destination (named ports); the ICMP types tried are the types the
// rules name, and one type they do not name.

// allPorts reports whether x is over every port of its protocol (Port 0
// without a name); ProtoAny then means every protocol, ICMP included.
func allPorts(x *ir.Expectation) bool {
	return x.ICMP == nil && x.Port.Port == 0 && x.Port.Name == ""
}

// portCandidates are the flows worth deciding for a pair (see above): the
// port numbers per protocol from the program's rules, and the ICMP types
// per family.
type portCandidates struct {
	ports map[ir.Protocol][]uint16
	icmp  map[ir.ICMPFamily][]string
}

var allProtocols = []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP}

// candidates collects the port numbers and ICMP types where the rules of
// the program may change a verdict.
func (e *Evaluator) candidates() portCandidates {
	c := portCandidates{ports: map[ir.Protocol][]uint16{}, icmp: map[ir.ICMPFamily][]string{}}
	for _, proto := range allProtocols {
		c.ports[proto] = []uint16{1}
	}
	icmpNumbers := map[ir.ICMPFamily]map[int]bool{ir.ICMPv4: {}, ir.ICMPv6: {}}
	icmpNames := map[ir.ICMPFamily][]string{}
	for _, pol := range e.prog.Policies {
		for _, r := range pol.Rules {
			for _, pr := range r.Ports {
				for _, p := range pr.Ports {
					if p.Name != "" || p.Port == 0 {
						continue
					}
					protos := []ir.Protocol{flowProto(p.Protocol)}
					if p.Protocol == ir.ProtoAny {
						protos = allProtocols
					}
					end := p.Port
					if p.EndPort > end {
						end = p.EndPort
					}
					for _, proto := range protos {
						c.ports[proto] = append(c.ports[proto], p.Port)
						if end < 65535 {
							c.ports[proto] = append(c.ports[proto], end+1)
						}
					}
				}
			}
			for _, t := range r.ICMP {
				n, name := icmpTypeNumber(t.Family, t.Type)
				switch {
				case name != "":
					icmpNames[t.Family] = append(icmpNames[t.Family], name)
				case n >= 0:
					icmpNumbers[t.Family][n] = true
				}
			}
		}
	}
	for _, proto := range allProtocols {
		slices.Sort(c.ports[proto])
		c.ports[proto] = slices.Compact(c.ports[proto])
	}
	for _, fam := range []ir.ICMPFamily{ir.ICMPv4, ir.ICMPv6} {
		nums := icmpNumbers[fam]
		var types []string
		for n := 0; n <= 255; n++ {
			if nums[n] {
				types = append(types, strconv.Itoa(n))
			}
		}
		for n := 0; n <= 255; n++ {
			if !nums[n] { // a type no rule names
				types = append(types, strconv.Itoa(n))
				break
			}
		}
		slices.Sort(icmpNames[fam])
		c.icmp[fam] = append(types, slices.Compact(icmpNames[fam])...)
	}
	return c
}

// pairFlows returns the flows to decide for one pair of x, in order:
// protocols TCP, UDP, SCTP (ports ascending), then ICMP and ICMPv6.
func (c portCandidates) pairFlows(x *ir.Expectation, from, to Endpoint) []Flow {
	protos := []ir.Protocol{flowProto(x.Port.Protocol)}
	every := x.Port.Protocol == ir.ProtoAny
	if every {
		protos = allProtocols
	}
	var out []Flow
	for _, proto := range protos {
		ports := c.ports[proto]
		if to.Kind == EndpointPod && to.Pod != nil {
			ports = slices.Clone(ports)
			for _, cp := range to.Pod.Ports {
				if flowProto(cp.Protocol) == proto {
					ports = append(ports, cp.Port)
					if cp.Port < 65535 {
						ports = append(ports, cp.Port+1)
					}
				}
			}
			slices.Sort(ports)
			ports = slices.Compact(ports)
		}
		for _, port := range ports {
			out = append(out, Flow{From: from, To: to, Protocol: proto, Port: port})
		}
	}
	if every {
		for _, fam := range []ir.ICMPFamily{ir.ICMPv4, ir.ICMPv6} {
			for _, typ := range c.icmp[fam] {
				out = append(out, Flow{From: from, To: to, ICMP: &ir.ICMPType{Family: fam, Type: typ}})
			}
		}
	}
	return out
}

// checkAllPorts checks an expectation over every port (allPorts) for every
// pair of froms and tos. A failure names the first failing pair and a flow
// of it that contradicts the expectation: for "denied", a flow that is
// allowed; for "allowed", the first flow tried, which is denied like every
// other one.
func (e *Evaluator) checkAllPorts(x *ir.Expectation, froms, tos []Endpoint, diags *diag.List) {
	cands := e.candidates()
	var (
		total, failed int
		first         Flow
		firstV        Verdict
	)
	for _, to := range tos {
		for _, from := range froms {
			total++
			flows := cands.pairFlows(x, from, to)
			var (
				witness  Flow
				witnessV Verdict
				holds    = !x.Allowed
			)
			for i, f := range flows {
				v := e.Decide(f)
				if i == 0 {
					witness, witnessV = f, v
				}
				if v.Allowed {
					holds = x.Allowed
					witness, witnessV = f, v
					break
				}
			}
			if holds {
				continue
			}
			if failed == 0 {
				first, firstV = witness, witnessV
			}
			failed++
		}
	}
	if failed == 0 {
		return
	}
	pair := first.From.String() + " -> " + first.To.String()
	var d *diag.Diagnostic
	if x.Allowed {
		d = diags.Errorf(codeExpectationFailed, x.Span, msgExpectAllDenied, pair, portsWord(x), flowTraffic(first))
	} else {
		d = diags.Errorf(codeExpectationFailed, x.Span, msgExpectAllAllowed, pair, portsWord(x), flowTraffic(first), verdictText(firstV))
	}
	if failed > 1 {
		d.Detail = fmt.Sprintf(detailFailedPairs, failed, total)
	}
	d.Notes = explain(first, firstV, x)
}

// portsWord says what an expectation over every port covers.
func portsWord(x *ir.Expectation) string {
	if x.Port.Protocol == ir.ProtoAny {
		return "every port and protocol"
	}
	return "every " + string(flowProto(x.Port.Protocol)) + " port"
}

// flowTraffic renders a flow's port or ICMP type: "5432/TCP", "icmp/8".
func flowTraffic(f Flow) string {
	if f.ICMP != nil {
		return ir.FormatICMP(*f.ICMP)
	}
	return fmt.Sprintf("%d/%s", f.Port, flowProto(f.Protocol))
}
