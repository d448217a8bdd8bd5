package netpolapi

import (
	"net/netip"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"go4.org/netipx"

	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/compile/ir"
)

// This file gives a checked object its meaning in the IR (see Import).

// namespaceNameLabel is the label the API server sets on every namespace.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// policy returns the policy of a checked object; nil when it changes
// nothing or has errors.
func (c *converter) policy(obj *importObject) *ir.Policy {
	o := c.o
	pol := &ir.Policy{Span: o.Span, Name: o.Name, Origin: o.Kind + " " + o.Name, Subject: c.subject(obj.subject)}
	if len(obj.rules) == 0 {
		c.diags.Warnf(codeNoEffect, o.Span, msgNoRules, o)
		return nil
	}
	if obj.baseline {
		return c.baseline(obj, pol)
	}
	pol.Tier = ir.TierOrdered
	pol.Priority = obj.priority
	for _, r := range obj.rules {
		if got := c.rule(obj, r); got != nil {
			pol.Rules = append(pol.Rules, got)
		}
	}
	if c.bad {
		return nil
	}
	ir.SortRules(pol.Rules)
	return pol
}

// subject returns the IR subject of s: pods of every namespace, or of the
// namespaces selected.
func (c *converter) subject(s subjectSpec) ir.Subject {
	out := ir.Subject{Span: c.o.Pos("spec", "subject")}
	var ns metav1.LabelSelector
	switch {
	case s.namespaces != nil:
		ns = *s.namespaces
	case s.pods != nil:
		ns = s.pods.namespaces
		out.Pods = k8s.IRSelector(s.pods.pods)
	}
	if sel := k8s.IRSelector(ns); !sel.IsEmpty() {
		out.Namespaces = &sel
	}
	return out
}

// action returns the IR action of a rule's action.
func action(obj *importObject, a string) ir.Action {
	switch a {
	case obj.allow:
		return ir.Allow
	case "Pass":
		return ir.Pass
	}
	return ir.Deny
}

// rule returns the IR rule of r; nil when it has errors.
func (c *converter) rule(obj *importObject, r *ruleSpec) *ir.Rule {
	out := &ir.Rule{Span: c.o.Pos(r.path...), Direction: r.dir, Action: action(obj, r.action)}
	bad := c.bad
	c.bad = false
	defer func() { c.bad = c.bad || bad }()
	var peers []ir.Peer
	for _, p := range r.peers {
		peers = append(peers, c.peer(obj, r, p)...)
	}
	if c.bad {
		return nil
	}
	out.Peers = c.everyAddress(r, peers)
	if c.bad {
		return nil
	}
	if r.ports == nil {
		out.AllTraffic = true
		return out
	}
	pr := ir.PortRule{Span: c.o.Pos(join(r.path, r.portsField)...)}
	for _, p := range r.ports {
		pr.Ports = append(pr.Ports, c.port(p))
	}
	if c.bad {
		return nil
	}
	out.Ports = []ir.PortRule{pr}
	return out
}

// peer returns the IR peers of p.
func (c *converter) peer(obj *importObject, r *ruleSpec, p peerSpec) []ir.Peer {
	at := func(path ...any) ir.Peer { return ir.Peer{Span: c.o.Pos(join(p.path, path...)...)} }
	switch {
	case p.namespaces != nil:
		out := at()
		out.Kind, out.Namespace = ir.PeerPods, namespaceRef(*p.namespaces)
		return []ir.Peer{out}
	case p.pods != nil:
		out := at()
		out.Kind, out.Namespace, out.Pods = ir.PeerPods, namespaceRef(p.pods.namespaces), k8s.IRSelector(p.pods.pods)
		return []ir.Peer{out}
	case p.nodes != nil:
		if sel := k8s.IRSelector(*p.nodes); !sel.IsEmpty() {
			c.errorf(codeUnsupported, join(p.path, "nodes"), msgNodeLabels).Detail = detailNodeLabels
			return nil
		}
		nodes, host := at("nodes"), at("nodes")
		nodes.Kind = ir.PeerNodes
		host.Kind, host.Entity = ir.PeerEntity, ir.EntityHost
		return []ir.Peer{nodes, host}
	case p.networks != nil:
		var out []ir.Peer
		for k, n := range p.networks {
			pfx, err := netip.ParsePrefix(n)
			if err != nil {
				continue // reported by validate
			}
			cidr := at("networks", k)
			cidr.Kind, cidr.CIDR = ir.PeerCIDR, pfx.Masked()
			out = append(out, cidr)
		}
		return out
	case p.domainNames != nil:
		if r.action != obj.allow {
			c.errorf(codeUnsupported, join(p.path, "domainNames"), msgDomainNotAllow, obj.allow, r.action).Detail = detailDomainNotAllow
			return nil
		}
		var out []ir.Peer
		for k, d := range p.domainNames {
			name := at("domainNames", k)
			name.Kind = ir.PeerFQDN
			if rest, ok := strings.CutPrefix(d, "*."); ok {
				// "*" matches one or more whole labels.
				name.FQDN = ir.FQDN{Pattern: "**." + ir.NormalizeName(rest)}
			} else {
				name.FQDN = ir.FQDN{Pattern: ir.NormalizeName(d), Exact: true}
			}
			out = append(out, name)
		}
		return out
	}
	return nil
}

// namespaceRef returns the namespaces a namespace selector selects: the
// namespace by name when the selector is exactly its name label.
func namespaceRef(ls metav1.LabelSelector) ir.NamespaceRef {
	if name, ok := ls.MatchLabels[namespaceNameLabel]; ok && len(ls.MatchLabels) == 1 && len(ls.MatchExpressions) == 0 {
		return ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: name}
	}
	return ir.NamespaceRef{Scope: ir.NamespaceLabels, Labels: k8s.IRSelector(ls)}
}

// everyAddress returns the peers of rule r in canonical form: the any
// peer when its networks cover every IPv4 and every IPv6 address (the API
// matches networks against every address, pods and nodes included; netpolc
// reads other CIDRs as addresses outside the cluster). Networks that cover
// one family only are an error: netpolc cannot select the pods and nodes
// of one family.
func (c *converter) everyAddress(r *ruleSpec, peers []ir.Peer) []ir.Peer {
	var b netipx.IPSetBuilder
	any := false
	for _, p := range peers {
		if p.Kind == ir.PeerCIDR {
			b.AddPrefix(p.CIDR)
			any = true
		}
	}
	if !any {
		return ir.PeersIn(peers, "")
	}
	set, err := b.IPSet()
	if err != nil {
		c.errorf(codeInternal, r.path, "networks: %v", err)
		return nil
	}
	all4 := set.ContainsPrefix(netip.MustParsePrefix("0.0.0.0/0"))
	all6 := set.ContainsPrefix(netip.MustParsePrefix("::/0"))
	switch {
	case all4 && all6:
		return []ir.Peer{{Span: c.o.Pos(join(r.path, r.peerField)...), Kind: ir.PeerAny}}
	case all4 || all6:
		family, whole := "IPv4", "0.0.0.0/0"
		if all6 {
			family, whole = "IPv6", "::/0"
		}
		path := join(r.path, r.peerField)
		for _, p := range r.peers {
			if p.networks != nil {
				path = join(p.path, "networks")
				break
			}
		}
		c.errorf(codeUnsupported, path, msgOneFamily, whole, family).Detail = detailOneFamily
		return nil
	}
	for _, p := range peers {
		if p.Kind == ir.PeerCIDR && !c.outsideCIDR(p) {
			return nil
		}
	}
	return ir.PeersIn(peers, "")
}

// outsideCIDR checks the reading of networks p as a CIDR peer, addresses
// outside the cluster: exact when p lies in outsideRanges or, given the
// cluster's ranges, when it overlaps none of them (an error otherwise:
// the API's networks match the pods and nodes there, which no netpolc
// peer says with an address). Without the ranges, a warning says what
// the reading assumes.
func (c *converter) outsideCIDR(p ir.Peer) bool {
	if outside(p.CIDR) {
		return true
	}
	if len(c.cluster) == 0 {
		c.diags.Warnf(codeNetworksMatchPods, p.Span, msgImportNetworks, p.CIDR).Detail = detailImportNetworks
		return true
	}
	for _, r := range c.cluster {
		if r.Overlaps(p.CIDR) {
			c.bad = true
			c.diags.Errorf(codeNetworksMatchPods, p.Span, msgImportNetworksCluster, p.CIDR, r).Detail = detailImportNetworksCluster
			return false
		}
	}
	return true
}

// port returns the IR port of p.
func (c *converter) port(p portSpec) ir.Port {
	out := ir.Port{Span: c.o.Pos(p.path...), Protocol: ir.TCP}
	if p.protocol != "" {
		out.Protocol = ir.Protocol(p.protocol)
	}
	switch p.kind {
	case portKindNumber:
		out.Port = uint16(p.port)
	case portKindRange:
		out.Port, out.EndPort = uint16(p.port), uint16(p.end)
	case portKindNamed:
		// A named port is the container port of that name, with its own
		// protocol.
		out.Protocol, out.Name = ir.ProtoAny, p.name
		if errs := validation.IsValidPortName(p.name); len(errs) > 0 {
			c.errorf(codeUnsupported, p.numberPath, msgNamedPortName, p.name, strings.Join(errs, "; ")).Detail = detailNamedPortName
		}
	}
	return out
}

// baseline returns the policy of a baseline object: egress isolation of
// its subject when it denies every destination, and errors for everything
// else (see Import).
func (c *converter) baseline(obj *importObject, pol *ir.Policy) *ir.Policy {
	for _, dir := range []ir.Direction{ir.Ingress, ir.Egress} {
		var rules []*ruleSpec
		for _, r := range obj.rules {
			if r.dir == dir {
				rules = append(rules, r)
			}
		}
		denyAll := -1
		if dir == ir.Egress {
			for i, r := range rules {
				if c.deniesAll(r) {
					denyAll = i
					break
				}
			}
		}
		for i, r := range rules {
			switch {
			case denyAll >= 0 && i > denyAll:
				c.diags.Warnf(codeNoEffect, c.o.Pos(r.path...), msgShadowed)
			case denyAll >= 0 && i == denyAll:
				pol.Isolation.Egress = true
			case r.action != "Deny":
				c.errorf(codeUnsupported, join(r.path, "action"), msgBaselineAction, r.action).Detail = detailBaselineAction
			case denyAll >= 0:
				// A Deny before the Deny of everything adds nothing.
			case dir == ir.Ingress && r.ports == nil && c.allPods(r):
				c.errorf(codeUnsupported, r.path, msgBaselineIngress).Detail = detailBaselineIngr
			default:
				c.errorf(codeUnsupported, r.path, msgBaselinePartial, dir).Detail = detailBaselinePart
			}
		}
	}
	if c.bad {
		return nil
	}
	return pol
}

// deniesAll reports whether r is a Deny of every destination: no ports
// and networks covering every IPv4 and IPv6 address (whatever its other
// peers).
func (c *converter) deniesAll(r *ruleSpec) bool {
	if r.action != "Deny" || r.ports != nil {
		return false
	}
	var b netipx.IPSetBuilder
	for _, p := range r.peers {
		for _, n := range p.networks {
			if pfx, err := netip.ParsePrefix(n); err == nil {
				b.AddPrefix(pfx.Masked())
			}
		}
	}
	set, err := b.IPSet()
	return err == nil && set.ContainsPrefix(netip.MustParsePrefix("0.0.0.0/0")) && set.ContainsPrefix(netip.MustParsePrefix("::/0"))
}

// allPods reports whether some peer of r selects every pod.
func (c *converter) allPods(r *ruleSpec) bool {
	for _, p := range r.peers {
		switch {
		case p.namespaces != nil && k8s.IRSelector(*p.namespaces).IsEmpty():
			return true
		case p.pods != nil && k8s.IRSelector(p.pods.namespaces).IsEmpty() && k8s.IRSelector(p.pods.pods).IsEmpty():
			return true
		}
	}
	return false
}
