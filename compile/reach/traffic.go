package reach

import (
	"sort"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// traffic is the traffic of one rule, per protocol index: the numbered
// ports it matches through port rules without L7 rules (open) and through
// port rules with HTTP or DNS rules (l7; empty for deny rules, whose L7
// rules are ignored), its named ports (resolved on each destination) and
// its ICMP types per family.
type traffic struct {
	open, l7 [3]PortSet
	named    []namedRule
	icmp     [2]ICMPTypes
}

// namedRule is a named port of a rule.
type namedRule struct {
	name       string
	protos     [3]bool
	restricted bool
}

var allICMP = ICMPTypes{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}

func compileTraffic(r *ir.Rule) traffic {
	var t traffic
	if r.AllTraffic {
		for k := range t.open {
			t.open[k] = PortSet{allPorts}
		}
		t.icmp = [2]ICMPTypes{allICMP, allICMP}
		return t
	}
	var open, l7 [3][]PortRange
	for _, pr := range r.Ports {
		restricted := r.Action == ir.Allow && (len(pr.HTTP) > 0 || len(pr.DNS) > 0)
		for _, p := range pr.Ports {
			protos := ruleProtocols(p.Protocol)
			if p.Name != "" {
				nr := namedRule{name: p.Name, restricted: restricted}
				for _, k := range protos {
					nr.protos[k] = true
				}
				t.named = append(t.named, nr)
				continue
			}
			rg := allPorts
			if p.Port != 0 {
				rg = PortRange{p.Port, p.Port}
				if p.EndPort != 0 {
					rg.Last = p.EndPort
				}
				if rg.Last < rg.First {
					continue // an empty range matches no port
				}
			}
			for _, k := range protos {
				if restricted {
					l7[k] = append(l7[k], rg)
				} else {
					open[k] = append(open[k], rg)
				}
			}
		}
	}
	for k := range open {
		t.open[k] = normalize(open[k])
		t.l7[k] = normalize(l7[k])
	}
	for _, it := range r.ICMP {
		f := familyIndex(it.Family)
		if it.Family != ir.ICMPv4 && it.Family != ir.ICMPv6 {
			continue
		}
		if it.Type == "" {
			t.icmp[f] = allICMP
			continue
		}
		if n, ok := eval.ICMPTypeNumber(it.Family, it.Type); ok && n <= 255 {
			t.icmp[f].set(uint8(n))
		}
	}
	return t
}

// normalize sorts and merges ranges into a PortSet.
func normalize(rs []PortRange) PortSet {
	if len(rs) == 0 {
		return nil
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].First < rs[j].First })
	var out PortSet
	for _, r := range rs {
		out = out.add(r)
	}
	return out
}

// union returns the ports in s or t.
func union(s, t PortSet) PortSet {
	switch {
	case len(t) == 0:
		return s
	case len(s) == 0:
		return t
	}
	out := make(PortSet, 0, len(s)+len(t))
	i, j := 0, 0
	for i < len(s) || j < len(t) {
		var r PortRange
		if j == len(t) || (i < len(s) && s[i].First <= t[j].First) {
			r, i = s[i], i+1
		} else {
			r, j = t[j], j+1
		}
		out = out.add(r)
	}
	return out
}

// resolve adds to t the ports its named ports resolve to on a destination
// with the named container ports dst.
func (t *traffic) resolve(dst []namedPort) (open, l7 [3]PortSet) {
	open, l7 = t.open, t.l7
	for _, nr := range t.named {
		for _, cp := range dst {
			if cp.name != nr.name || !nr.protos[cp.proto] {
				continue
			}
			one := PortSet{{cp.port, cp.port}}
			if nr.restricted {
				l7[cp.proto] = union(l7[cp.proto], one)
			} else {
				open[cp.proto] = union(open[cp.proto], one)
			}
		}
	}
	return open, l7
}

var protocols = [3]ir.Protocol{ir.TCP, ir.UDP, ir.SCTP}

func protoIndex(p ir.Protocol) int {
	switch p {
	case ir.UDP:
		return 1
	case ir.SCTP:
		return 2
	}
	return 0
}

// ruleProtocols returns the protocol indices a rule port's Protocol covers.
func ruleProtocols(p ir.Protocol) []int {
	switch p {
	case ir.ProtoAny:
		return []int{0, 1, 2}
	case ir.UDP:
		return []int{1}
	case ir.SCTP:
		return []int{2}
	case ir.TCP, "":
		return []int{0}
	}
	return nil
}

func familyIndex(f ir.ICMPFamily) int {
	if f == ir.ICMPv6 {
		return 1
	}
	return 0
}

var families = [2]ir.ICMPFamily{ir.ICMPv4, ir.ICMPv6}
