package testgen

import (
	"fmt"
	"strings"
)

// This file extends the generator with ordered blocks ("clusterwide
// priority N", ir.TierOrdered): programs for the analysis tests and for the
// differential tests of the netpol-api target (AdminNetworkPolicy,
// BaselineAdminNetworkPolicy, ClusterNetworkPolicy).

// OrderedOptions restricts what NewOrdered generates.
type OrderedOptions struct {
	// NetpolAPI restricts the program to what the netpol-api target
	// expresses (docs/language.md, section 13): no entities (world
	// included), no "*" peer, no ICMP, HTTP or DNS names; every source of a
	// rule that writes an ingress side (and so every source of an ordered
	// rule, deny rule or nonisolating rule) is pods; non-pod targets are
	// CIDRs, written only as egress; cluster-wide isolation only as
	// "default deny egress" of every pod (one cluster-wide subject, as the
	// BaselineAdminNetworkPolicy singleton of v1alpha1 needs); ordered
	// blocks have priorities 10 to 490, at least 40 apart, so that the
	// target's split of a block into one object per run of rules of one
	// subject (priority N, N+1, ...) and the default-tier deny and accept
	// objects above them fit in 0-1000. Its CIDRs lie outside
	// ClusterCIDRs: give those to the target (netpolapi.Options
	// .ClusterCIDRs), which refuses a CIDR that may hold cluster addresses
	// without them; its named ports in admin rules have a protocol, which
	// the target refuses unless degraded (--degrade
	// named-port=any-protocol) or left out (NoNamedPorts).
	NetpolAPI bool
	// NoNamedPorts leaves named ports out of ordered blocks and of deny and
	// nonisolating rules (the rules the netpol-api target writes as admin
	// policy objects), for engines that do not resolve a named port against
	// its protocol and number (kube-network-policies v0.8.0 matches every
	// port of a pod with a container port of that name).
	NoNamedPorts bool
}

// NewOrdered generates the case of seed with ordered blocks: New's
// namespace blocks (L3/L4 allow rules, default deny, isolate, allow dns),
// plus, at random, deny and nonisolating rules in them, a plain clusterwide
// block, and one to three ordered blocks ("clusterwide priority N") of
// allow, deny and pass rules between pods of every, named or
// label-selected namespaces and (egress) CIDRs. opts restricts it (see
// OrderedOptions); with the zero options a program may also use "*",
// world and CIDRs as sources. The world is New's.
func NewOrdered(seed int64, opts OrderedOptions) *Case {
	g := newGen(seed)
	g.api, g.noNamed = opts.NetpolAPI, opts.NoNamedPorts
	c := &Case{Seed: seed, World: g.world()}
	c.Program = g.orderedProgram()
	return c
}

func (g *gen) orderedProgram() Program {
	var p Program
	for _, ns := range g.governed {
		p.Stmts = append(p.Stmts, g.namespaceOpening(ns, 0.2)...)
		if g.chance(0.3) {
			p.Stmts = append(p.Stmts, Stmt{Text: "allow dns"})
		}
		for i, n := 0, 1+g.r.Intn(5); i < n; i++ {
			switch {
			case g.chance(0.15):
				p.Stmts = append(p.Stmts, Stmt{Text: "deny " + g.adminRule(ns)})
			case g.chance(0.1):
				p.Stmts = append(p.Stmts, Stmt{Text: nonisolating(g.adminRule(ns))})
			default:
				p.Stmts = append(p.Stmts, Stmt{Text: g.rule(ns)})
			}
		}
	}
	if g.chance(0.25) {
		p.Stmts = append(p.Stmts, Stmt{Text: "clusterwide", Header: true})
		if g.chance(0.3) {
			if g.api {
				p.Stmts = append(p.Stmts, Stmt{Text: "default deny egress"})
			} else {
				p.Stmts = append(p.Stmts, Stmt{Text: "isolate " + g.localSelector() + g.direction(0.6)})
			}
		}
		// Under g.api no rule isolates: a cluster-wide allow would isolate
		// its ends cluster-wide (ingress: not expressible; egress: another
		// cluster-wide subject).
		for i, n := 0, 1+g.r.Intn(2); i < n; i++ {
			switch k := g.r.Intn(3); {
			case k == 0:
				p.Stmts = append(p.Stmts, Stmt{Text: "deny " + g.clusterRule(false)})
			case k == 1 || g.api:
				p.Stmts = append(p.Stmts, Stmt{Text: nonisolating(g.clusterRule(false))})
			default:
				p.Stmts = append(p.Stmts, Stmt{Text: g.clusterRule(false)})
			}
		}
	}
	// Ordered blocks, in a random order of priorities.
	n := 1 + g.r.Intn(3)
	prios := g.r.Perm(12)[:n]
	for _, k := range prios {
		prio := 10 + 40*k // 10 to 450
		if !g.api {
			prio = g.r.Intn(2) + 2*k // close priorities: 0 to 23
		}
		p.Stmts = append(p.Stmts, Stmt{Text: fmt.Sprintf("clusterwide priority %d", prio), Header: true})
		for i, m := 0, 1+g.r.Intn(5); i < m; i++ {
			prefix := []string{"", "deny ", "pass "}[g.r.Intn(3)]
			p.Stmts = append(p.Stmts, Stmt{Text: prefix + g.orderedRule()})
		}
	}
	return p
}

// adminRule returns a rule of a namespace block that the netpol-api target
// writes as admin policy (deny, nonisolating): rule's, without named ports
// when so restricted.
func (g *gen) adminRule(ns string) string {
	g.admin = true
	defer func() { g.admin = false }()
	return g.rule(ns)
}

// nonisolating returns rule (which may start with a direction) with the
// nonisolating prefix in its place.
func nonisolating(rule string) string {
	for _, d := range []string{"ingress ", "egress "} {
		if strings.HasPrefix(rule, d) {
			return d + "nonisolating " + strings.TrimPrefix(rule, d)
		}
	}
	return "nonisolating " + rule
}

// orderedRule returns the arrow of a rule of an ordered block (without its
// prefix): an optional direction, sources and targets of which at least one
// end is pods (every pod peer is governed in an ordered block: "{...}"
// selects pods of every namespace, "NS/{...}" those of NS, governed or
// not).
func (g *gen) orderedRule() string { return g.clusterRule(true) }

// clusterRule returns the arrow of a rule of a clusterwide block, ordered or
// not: in a plain one, pods of a namespace by name are governed only in a
// namespace of the program's.
func (g *gen) clusterRule(ordered bool) string {
	var b strings.Builder
	dir := ""
	if g.chance(0.25) {
		dir = g.pick("ingress ", "egress ")
	}
	b.WriteString(dir)
	podSource := g.api || dir == "egress " || g.chance(0.75)
	if podSource {
		b.WriteString(g.clusterPodPeer(ordered))
	} else {
		b.WriteString(g.pick("*", "world", cidrs[g.r.Intn(len(cidrs))]))
	}
	b.WriteString(" -> ")
	ntgt := 1
	if g.chance(0.2) {
		ntgt = 2
	}
	for i := 0; i < ntgt; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		podTarget := !podSource || dir == "ingress " || g.chance(0.7)
		switch {
		case podTarget:
			b.WriteString(g.clusterPodPeer(ordered) + ":" + g.orderedPorts(true))
		case g.api:
			b.WriteString(cidrs[g.r.Intn(len(cidrs))] + ":" + g.orderedPorts(false))
		default:
			b.WriteString(g.pick("*", "world", cidrs[g.r.Intn(len(cidrs))]) + ":" + g.orderedPorts(false))
		}
	}
	return b.String()
}

// clusterPodPeer returns pods in a clusterwide block: of every namespace,
// of a namespace by name (in an ordered block governed or not, else a
// governed one), or of namespaces by label.
func (g *gen) clusterPodPeer(ordered bool) string {
	switch g.r.Intn(5) {
	case 0, 1:
		return g.localSelector()
	case 2:
		if !ordered {
			return g.governed[g.r.Intn(len(g.governed))] + "/" + g.podSelector()
		}
		return g.namespaceName() + "/" + g.podSelector()
	case 3:
		return "ns" + g.nsSelector() + "/" + g.podSelector()
	default:
		return g.podSelector()
	}
}

// orderedPorts returns ports of a rule of a clusterwide block: ports(),
// without named ports when so restricted.
func (g *gen) orderedPorts(pods bool) string {
	return g.ports(pods && !g.noNamed)
}
