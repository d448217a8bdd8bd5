package testgen

import (
	"fmt"
	"strings"
)

// This file extends the generator for the netpol-api target's checks
// against kube-network-policies (test/knp, test/apiserver): programs the
// target expresses, with deny rules, cluster-wide rules and namespaced
// rules, over New's worlds.
//
// Steered away from, each for a reason (the tests report these choices):
//   - named ports in deny rules and cluster-wide allows (which become admin
//     objects): kube-network-policies v0.8.0 matches an admin namedPort on
//     every port of a pod that has a port of that name, whatever its number
//     and protocol (deviation b);
//   - DNS names (domainNames need the agent's DNS cache: deviation c), nodes
//     (the agent matches a nodes peer against the pods running on the
//     nodes, never against the nodes' addresses), entities, HTTP and ICMP:
//     the target refuses the latter three anyway;
//   - ingress from anything but pods in deny rules and cluster-wide rules,
//     and cluster-wide ingress isolation: the target refuses them;
//   - more than one cluster-wide isolated subject: the v1alpha1 baseline
//     object has one subject;
//   - CIDRs that hold pod addresses (New's cidrs never do): the API's
//     networks also match pods, netpolc's CIDR peers never do.

// NewAdmin generates the case of seed for the netpol-api target: New's
// world and namespaced rules, plus deny rules in namespaces and, in about
// half of the programs, a clusterwide block of deny rules, egress-only and
// non-isolating allows and at most one egress isolation.
func NewAdmin(seed int64) *Case {
	g := newGen(seed)
	c := &Case{Seed: seed, World: g.world()}
	c.Program = g.adminProgram()
	return c
}

func (g *gen) adminProgram() Program {
	var p Program
	for _, ns := range g.governed {
		p.Stmts = append(p.Stmts, Stmt{Text: "namespace " + ns, Header: true})
		if g.chance(0.3) {
			p.Stmts = append(p.Stmts, Stmt{Text: "default deny" + g.direction(0.5)})
		}
		if g.chance(0.2) {
			p.Stmts = append(p.Stmts, Stmt{Text: "isolate " + g.localSelector() + g.direction(0.6)})
		}
		if g.chance(0.3) {
			p.Stmts = append(p.Stmts, Stmt{Text: "allow dns"})
		}
		for i, n := 0, 1+g.r.Intn(6); i < n; i++ {
			if g.chance(0.35) {
				p.Stmts = append(p.Stmts, Stmt{Text: g.adminDeny(false)})
			} else {
				p.Stmts = append(p.Stmts, Stmt{Text: g.adminNamespacedRule()})
			}
		}
	}
	if g.chance(0.5) {
		p.Stmts = append(p.Stmts, Stmt{Text: "clusterwide", Header: true})
		if g.chance(0.35) {
			if g.chance(0.3) {
				p.Stmts = append(p.Stmts, Stmt{Text: "default deny egress"})
			} else {
				p.Stmts = append(p.Stmts, Stmt{Text: "isolate " + g.localSelector() + " egress"})
			}
		}
		for i, n := 0, 1+g.r.Intn(4); i < n; i++ {
			switch g.r.Intn(3) {
			case 0:
				p.Stmts = append(p.Stmts, Stmt{Text: g.adminDeny(true)})
			default:
				// Cluster-wide allows must not isolate ingress (and
				// the baseline has one subject): non-isolating.
				src, tgt := g.localSelector(), g.adminTarget()+":"+g.numericAdminPorts()
				p.Stmts = append(p.Stmts, Stmt{Text: "nonisolating " + src + " -> " + tgt})
			}
		}
	}
	return p
}

// adminNamespacedRule is one of New's rules (plain NetworkPolicy) without
// entities: "world" would be 0.0.0.0/0 in a NetworkPolicy, which the agent
// matches against pods too.
func (g *gen) adminNamespacedRule() string {
	for {
		r := g.rule("")
		if !strings.Contains(r, "world") {
			return r
		}
	}
}

// adminDeny returns a deny rule whose ingress peers are pods: egress from
// governed pods to pods, CIDRs or anything, or from pods to governed pods.
func (g *gen) adminDeny(clusterwide bool) string {
	local := g.localPeer
	if clusterwide {
		local = g.localSelector
	}
	ports := g.numericAdminPorts()
	if g.chance(0.5) {
		return "deny " + g.adminPrefix("egress ") + local() + " -> " + g.adminTarget() + ":" + ports
	}
	return "deny " + g.adminPrefix("ingress ") + g.podPeer() + " -> " + local() + ":" + ports
}

// adminPrefix returns dir in a third of the calls.
func (g *gen) adminPrefix(dir string) string {
	if g.chance(0.33) {
		return dir
	}
	return ""
}

// adminTarget returns an egress target: pods, a CIDR or anything.
func (g *gen) adminTarget() string {
	switch g.r.Intn(6) {
	case 0, 1:
		return cidrs[g.r.Intn(len(cidrs))]
	case 2:
		return "*"
	default:
		return g.podPeer()
	}
}

// numericAdminPorts returns one or two ports without names.
func (g *gen) numericAdminPorts() string {
	one := func() string {
		return g.pick("53/udp", "80", "443", "5432", "8080", "8081/tcp", "9090", "8000-8100", "7000/sctp",
			"8050/udp", "*", "*/udp", "53/any", "8080-8081", "9090-9090")
	}
	if g.chance(0.25) {
		return fmt.Sprintf("[%s, %s]", one(), one())
	}
	return one()
}

// NewNetpolAPI is the case of seed for the checks of the netpol-api target
// against kube-network-policies and the real API server: NewOrdered
// restricted to the target and without named ports in the rules that become
// admin objects (ordered blocks with allow, deny and pass rules) for even
// seeds, NewAdmin (deny, cluster-wide and namespaced rules) for odd ones.
func NewNetpolAPI(seed int64) *Case {
	if seed%2 == 0 {
		return NewOrdered(seed, OrderedOptions{NetpolAPI: true, NoNamedPorts: true})
	}
	return NewAdmin(seed)
}
