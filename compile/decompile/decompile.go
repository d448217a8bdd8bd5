// Package decompile turns an IR program back into netpolc source: the text
// "netpolc import" prints for existing NetworkPolicy and
// CiliumNetworkPolicy objects once an importer has read them into the IR,
// and that compiles back to a program with the same meaning on every flow.
//
// The output is idiomatic and canonical: one block per namespace (then one
// clusterwide block, then one ordered block per priority of the ordered
// policies, "clusterwide priority N", whose rules are one-sided statements
// in evaluation order), a "dns server" statement when the program's DNS server
// is not the default, groups for the pod selectors used more than once, one
// section per subject (policies of the same subject merged, the objects they
// came from named in comments), "default deny" for policies of every pod of
// a namespace, "allow dns" for the rules that ir.DNSRule builds, arrows
// ("a -> b:ports", also "a -> b:ports, c:ports" and "a, b -> c:ports")
// where the clients' egress rules and the servers' ingress rules state the
// same traffic and every end is isolated, the one-sided forms ("ingress",
// "egress", "nonisolating", "deny", "isolate") for everything else, and the
// expectations. It is printed by lang/format, so "netpolc fmt" leaves it
// unchanged.
//
// The output never approximates: what the language cannot say exactly (an
// HTTP rule on a deny rule, DNS lookups towards a peer that is not the DNS
// server, a DNS name as a source, an ICMP type name, ...) is an error at the
// span of the IR node, and no source is returned.
//
// The output depends only on the program as the compiler would represent
// it, not on the order of its policies nor on how its rules are split
// between peers, so that decompiling the compiled output gives the same
// text again (a fixed point).
package decompile

import (
	"cmp"
	"slices"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/format"
	"github.com/netpolc/netpolc/lang/source"
)

// CodeNotExpressible is the code of the errors about IR constructs the
// language cannot state exactly.
const CodeNotExpressible diag.Code = "not-expressible"

// CodeSelectsNothing is the code of the warnings about subjects and peers
// left out because their selectors select nothing (the language refuses
// such selectors; leaving them out keeps the meaning).
const CodeSelectsNothing diag.Code = "selects-nothing"

// Decompile returns the netpolc source of p, formatted by lang/format, and
// the errors about what the language cannot express (then no source).
func Decompile(p *ir.Program) ([]byte, diag.List) {
	d := &decompiler{prog: withDNSRules(p), groups: map[string]*group{}}
	d.collect()
	d.checkExpectations()
	if d.diags.HasErrors() {
		return nil, d.diags
	}
	d.serverEnds()
	d.pair()
	d.orderBlocks()
	d.nameGroups()
	if d.diags.HasErrors() {
		return nil, d.diags
	}
	return format.File(d.file()), d.diags
}

// withDNSRules returns p with every allow rule of a policy imported from a
// NetworkPolicy that is exactly what "allow dns" writes (ir.DNSRule
// without lookups: UDP and TCP to the cluster DNS server) marked as such,
// so that it is written "allow dns", as people mean it: a NetworkPolicy
// cannot say "DNS". Marking changes no verdict on any target as long as
// no rule names a DNS name: compiled for Cilium, "allow dns" sends the
// lookups through Cilium's DNS proxy, which allows every name and matters
// only to toFQDNs rules. A Cilium policy says whether it wants the proxy
// (rules.dns; the importer marks those rules), so its rules are left as
// they are, as is p when it names DNS names. p is not modified.
func withDNSRules(p *ir.Program) *ir.Program {
	for _, pol := range p.Policies {
		for _, r := range pol.Rules {
			for _, peer := range r.Peers {
				if peer.Kind == ir.PeerFQDN {
					return p
				}
			}
		}
	}
	return ir.RewriteRules(p, func(pol *ir.Policy, r *ir.Rule) (*ir.Rule, bool) {
		if r.DNS || r.Action != ir.Allow || r.Direction != ir.Egress || !pol.Isolation.Egress ||
			!strings.HasPrefix(pol.Origin, "NetworkPolicy ") {
			return nil, false
		}
		want := ir.DNSRule(p.DNS, pol.Namespace, nil, r.Span)
		want.DNS = false
		if ir.FormatRule(r) != ir.FormatRule(want) {
			return nil, false
		}
		nr := *r
		nr.DNS = true
		return &nr, true
	})
}

// decompiler holds the program being decompiled and what was learnt of it.
type decompiler struct {
	prog  *ir.Program
	diags diag.List
	// blocks are the namespaces written (the governed ones and those of
	// policies and expectations), sorted, then "" for the clusterwide block
	// when there are cluster-wide policies.
	blocks   []string
	governed map[string]bool
	// pols are the policies by block, each block's in canonical order.
	pols map[string][]*policy
	// groups by the key of the peer they name (ir.PeerKey of the absolute
	// pod peer).
	groups map[string]*group
	// blocksOrdered are the statements of the ordered blocks by priority
	// (ordered.go).
	blocksOrdered map[int32][]*orderedStmt
}

// policy is an IR policy with the statements that will write it.
type policy struct {
	*ir.Policy
	key   string
	stmts []*stmt
	// origins are the objects the policy came from (ir.Policy.Origin).
	origins []string
	// autoIngress: the compiler writes "allow dns"'s server side on this
	// policy, which isolates it for ingress.
	autoIngress bool
}

// stmt is one statement of a policy: a direction, an action and a traffic
// unit, with every peer the policy's rules of that kind name.
type stmt struct {
	pol    *policy
	dir    ir.Direction
	action ir.Action
	dns    bool // an "allow dns" (unit.lookups)
	peers  []ir.Peer
	unit   unit
	span   source.Span
	// arrow is the arrow s is an end of, if any; only its host prints it.
	arrow *arrow
}

// arrow is "a1, a2 -> b1:T, b2:T": the egress statements of the sources,
// each towards exactly the targets, and the ingress statements of the
// targets, each from exactly the sources, with the same traffic T. Either
// side has one policy (an arrow between two policies, or one that fans out
// or in).
type arrow struct {
	sources, targets []*policy
	// host is the statement that prints the arrow: the egress statement
	// of the first source in the output.
	host *stmt
}

// unit is the traffic of a statement: all traffic, one port rule (ports and
// HTTP rules, or DNS lookups) or ICMP types.
type unit struct {
	all     bool
	ports   []ir.Port
	http    []ir.HTTPRule
	lookups []ir.FQDN
	icmp    []ir.ICMPType
	span    source.Span
}

func (u unit) key() string {
	switch {
	case u.all:
		return "*"
	case len(u.icmp) > 0:
		var b strings.Builder
		for _, t := range u.icmp {
			b.WriteString(ir.FormatICMP(t) + ";")
		}
		return "icmp:" + b.String()
	}
	var b strings.Builder
	b.WriteString(ir.FormatPorts(u.ports))
	if len(u.http) > 0 {
		b.WriteString(" http:" + ir.FormatHTTPRules(u.http))
	}
	for _, l := range u.lookups {
		b.WriteString(" dns:" + ir.FormatFQDN(l))
	}
	return b.String()
}

func (s *stmt) key() string {
	return s.dir.String() + "|" + s.action.String() + "|" + boolWord(s.dns) + "|" + s.unit.key()
}

func boolWord(b bool) string {
	if b {
		return "dns"
	}
	return ""
}

func (d *decompiler) errorf(span source.Span, format string, args ...any) {
	d.diags.Errorf(CodeNotExpressible, span, format, args...)
}

// collect checks every policy and groups its rules into statements.
// Policies of the same subject (several imported objects may select the
// same pods) become one, as the compiler would make them: their isolation
// and rules are a union.
func (d *decompiler) collect() {
	d.governed = map[string]bool{}
	for _, ns := range d.prog.Governed {
		d.governed[ns] = true
		d.checkName(source.Span{}, "namespace", ns)
	}
	if d.prog.DNS.Namespace != ir.DefaultDNSServer().Namespace {
		d.checkName(d.prog.DNS.Span, "namespace", d.prog.DNS.Namespace)
	}
	d.pols = map[string][]*policy{}
	bySubject := map[string]*policy{}
	cluster := false
	for _, pol := range d.prog.Policies {
		if pol.Tier == ir.TierOrdered {
			d.addOrdered(pol)
			continue
		}
		if pol.Namespace != "" {
			d.governed[pol.Namespace] = true
		}
		d.checkSubject(pol)
		if selectsNothing(pol.Subject.Pods) || pol.Subject.Namespaces != nil && selectsNothing(*pol.Subject.Namespaces) {
			d.diags.Warnf(CodeSelectsNothing, pol.Subject.Span, "left out the policy of %s: its subject selects nothing", ir.FormatPolicySubject(pol))
			continue
		}
		cluster = cluster || pol.Namespace == ""
		key := ir.FormatPolicySubject(pol)
		pp := bySubject[key]
		if pp == nil {
			cp := *pol
			cp.Rules = nil
			pp = &policy{Policy: &cp, key: key}
			bySubject[key] = pp
			d.pols[pol.Namespace] = append(d.pols[pol.Namespace], pp)
		}
		pp.Isolation.Ingress = pp.Isolation.Ingress || pol.Isolation.Ingress
		pp.Isolation.Egress = pp.Isolation.Egress || pol.Isolation.Egress
		if pol.Origin != "" && !slices.Contains(pp.origins, pol.Origin) {
			pp.origins = append(pp.origins, pol.Origin)
		}
		for _, r := range pol.Rules {
			d.addRule(pp, r)
		}
	}
	for ns := range d.governed {
		d.blocks = append(d.blocks, ns)
	}
	slices.Sort(d.blocks)
	if cluster {
		d.blocks = append(d.blocks, "")
	}
	for _, ps := range d.pols {
		slices.SortStableFunc(ps, func(a, b *policy) int {
			if a.isAllPods() != b.isAllPods() {
				if a.isAllPods() {
					return -1
				}
				return 1
			}
			return cmp.Compare(a.key, b.key)
		})
	}
}

// checkName reports a namespace or Service name the language cannot
// write: the scanner reads names that start with a letter or "_" (a
// namespace such as "1shop" is a valid Kubernetes name).
func (d *decompiler) checkName(span source.Span, what, name string) {
	if !identRE.MatchString(name) {
		d.errorf(span, "the %s name %q, which does not start with a letter", what, name)
	}
}

func (d *decompiler) checkSubject(pol *ir.Policy) {
	if pol.Namespace != "" {
		d.checkName(pol.Span, "namespace", pol.Namespace)
	}
	s := pol.Subject
	switch {
	case pol.Namespace != "" && s.Nodes:
		d.errorf(s.Span, "a node subject in namespace %s: host policies are cluster-wide (clusterwide block)", pol.Namespace)
	case pol.Namespace != "" && s.Namespaces != nil:
		d.errorf(s.Span, "a subject of namespace %s restricted by namespace labels", pol.Namespace)
	case s.Nodes && s.Namespaces != nil:
		d.errorf(s.Span, "a node subject restricted by namespace labels")
	}
	d.checkSelector(s.Span, s.Pods)
	if s.Namespaces != nil {
		d.checkSelector(s.Span, *s.Namespaces)
	}
}

// units splits r into its traffic units, with the DNS lookups of its port
// rules where lookups is set. A rule without peers or without traffic is
// an error, and its units are nil.
func (d *decompiler) units(r *ir.Rule, lookups bool) []unit {
	if len(r.Peers) == 0 {
		d.errorf(r.Span, "a rule without peers")
		return nil
	}
	var units []unit
	switch {
	case r.AllTraffic:
		units = append(units, unit{all: true, span: r.Span})
	case len(r.ICMP) > 0:
		units = append(units, unit{icmp: r.ICMP, span: r.Span})
	}
	for _, pr := range r.Ports {
		u := unit{ports: pr.Ports, http: pr.HTTP, span: pr.Span}
		if lookups {
			u.lookups = pr.DNS
		}
		units = append(units, u)
	}
	if len(units) == 0 {
		d.errorf(r.Span, "a rule without traffic")
	}
	return units
}

// addRule splits r into its traffic units and adds each to the policy's
// statement of the same kind, checking what the language can say. Peers
// that select nothing are left out (a rule left without peers allows
// nothing; its policy's isolation stays).
func (d *decompiler) addRule(pp *policy, r *ir.Rule) {
	units := d.units(r, true)
	if units == nil {
		return
	}
	if r.DNS && !d.isDNSRule(pp.Policy, r) {
		d.errorf(r.Span, "a DNS rule that is not the one \"allow dns\" writes for the program's DNS server")
		return
	}
	var peers []ir.Peer
	for _, p := range r.Peers {
		if peerSelectsNothing(p) {
			d.diags.Warnf(CodeSelectsNothing, p.Span, "left out the peer %s: it selects nothing", ir.FormatPeer(p))
			continue
		}
		d.checkPeer(pp.Policy, r, p)
		peers = append(peers, p)
	}
	for _, u := range units {
		d.checkUnit(r, u)
		for _, part := range splitNamedPorts(r, u, peers) {
			s := &stmt{pol: pp, dir: r.Direction, action: r.Action, dns: r.DNS, unit: part.unit, span: r.Span}
			k := s.key()
			i := slices.IndexFunc(pp.stmts, func(x *stmt) bool { return x.key() == k })
			if i < 0 {
				pp.stmts = append(pp.stmts, s)
			} else {
				s = pp.stmts[i]
			}
			for _, p := range part.peers {
				s.addPeer(p)
			}
		}
	}
}

// part is a traffic unit with the peers it goes to.
type part struct {
	unit  unit
	peers []ir.Peer
}

// splitNamedPorts returns the unit u of r towards peers in the parts the
// language can write. An egress rule may not name a container port towards
// peers without container ports (IP blocks, DNS names, entities, "*"),
// where a named port matches only flows to pods: towards "*" and the
// entities of every pod (all, cluster, cluster-mesh) it means the pods of
// every namespace (ns{}), towards the others nothing.
func splitNamedPorts(r *ir.Rule, u unit, peers []ir.Peer) []part {
	if r.Direction != ir.Egress || len(peers) == 0 || !slices.ContainsFunc(u.ports, func(p ir.Port) bool { return p.Name != "" }) {
		if len(peers) == 0 {
			return nil
		}
		return []part{{u, peers}}
	}
	var pods, others []ir.Peer
	everyPod := false
	for _, p := range peers {
		switch p.Kind {
		case ir.PeerCIDR, ir.PeerFQDN, ir.PeerEntity, ir.PeerAny:
			others = append(others, p)
			switch p.Entity {
			case ir.EntityAll, ir.EntityCluster, ir.EntityClusterMesh:
				everyPod = true
			}
			if p.Kind == ir.PeerAny {
				everyPod = true
			}
		default:
			pods = append(pods, p)
		}
	}
	if len(others) == 0 {
		return []part{{u, peers}}
	}
	var out []part
	if len(pods) > 0 {
		out = append(out, part{u, pods})
	}
	numbered, named := u, u
	numbered.ports = slices.DeleteFunc(slices.Clone(u.ports), func(p ir.Port) bool { return p.Name != "" })
	named.ports = slices.DeleteFunc(slices.Clone(u.ports), func(p ir.Port) bool { return p.Name == "" })
	if len(numbered.ports) > 0 {
		out = append(out, part{numbered, others})
	}
	if everyPod {
		out = append(out, part{named, []ir.Peer{{Span: u.span, Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceLabels}}}})
	}
	return out
}

// selectsNothing reports whether no label set satisfies s.
func selectsNothing(s ir.Selector) bool { return !s.MayIntersect(ir.Selector{}) }

// peerSelectsNothing reports whether p selects no endpoint: pods, nodes or
// Services by a selector no labels satisfy.
func peerSelectsNothing(p ir.Peer) bool {
	switch p.Kind {
	case ir.PeerPods:
		return selectsNothing(p.Pods) || p.Namespace.Scope == ir.NamespaceLabels && selectsNothing(p.Namespace.Labels)
	case ir.PeerNodes:
		return selectsNothing(p.Pods)
	case ir.PeerService:
		return p.Service.Selector != nil && selectsNothing(*p.Service.Selector)
	}
	return false
}

func (s *stmt) addPeer(p ir.Peer) {
	k := ir.PeerKey(p)
	if !slices.ContainsFunc(s.peers, func(q ir.Peer) bool { return ir.PeerKey(q) == k }) {
		s.peers = append(s.peers, p)
	}
}

// isDNSRule reports whether r is exactly the rule "allow dns" writes in
// pol (ir.DNSRule), whatever its lookups.
func (d *decompiler) isDNSRule(pol *ir.Policy, r *ir.Rule) bool {
	if r.Direction != ir.Egress || r.Action != ir.Allow || r.AllTraffic || len(r.ICMP) > 0 ||
		len(r.Peers) != 1 || len(r.Ports) != 1 || len(r.Ports[0].HTTP) > 0 {
		return false
	}
	want := ir.DNSRule(d.prog.DNS, pol.Namespace, nil, source.Span{})
	return ir.PeerKey(r.Peers[0]) == ir.PeerKey(want.Peers[0]) &&
		ir.FormatPorts(r.Ports[0].Ports) == ir.FormatPorts(want.Ports[0].Ports)
}

func (d *decompiler) checkUnit(r *ir.Rule, u unit) {
	if len(u.lookups) > 0 && !r.DNS {
		d.errorf(u.span, "DNS lookup rules towards a peer that is not the cluster DNS server (only \"allow dns lookups\" restricts lookups)")
	}
	if len(u.http) > 0 {
		if r.Action == ir.Deny {
			d.errorf(u.span, "HTTP rules on a deny rule")
		}
		for _, p := range u.ports {
			if p.Protocol != ir.TCP || p.Port == 0 && p.Name == "" {
				d.errorf(p.Span, "HTTP rules on %s: HTTP needs TCP ports", ir.FormatPort(p))
			}
		}
		for _, h := range u.http {
			for _, hm := range h.Headers {
				if hm.Name == "" {
					d.errorf(h.Span, "an HTTP header rule without a name")
				}
			}
		}
	}
	for _, p := range u.ports {
		switch p.Protocol {
		case ir.TCP, ir.UDP, ir.SCTP, ir.ProtoAny:
		default:
			d.errorf(p.Span, "the protocol %q", string(p.Protocol))
		}
		switch {
		case p.Name != "" && (p.Port != 0 || p.EndPort != 0):
			d.errorf(p.Span, "a named port with a number")
		case p.Port == 0 && p.EndPort != 0:
			d.errorf(p.Span, "a port range without a first port")
		case p.EndPort != 0 && p.EndPort < p.Port:
			d.errorf(p.Span, "the port range %d-%d", p.Port, p.EndPort)
		}
	}
	for _, t := range u.icmp {
		if t.Type != "" && strings.Trim(t.Type, "0123456789") != "" {
			d.errorf(t.Span, "the ICMP type name %q (the language writes ICMP types as numbers)", t.Type)
		}
	}
}

// checkPeer reports the peers of r that the language cannot write where r
// has them.
func (d *decompiler) checkPeer(pol *ir.Policy, r *ir.Rule, p ir.Peer) {
	switch p.Kind {
	case ir.PeerFQDN:
		switch {
		case r.Direction == ir.Ingress:
			d.errorf(p.Span, "a DNS name as a source")
		case r.Action == ir.Deny:
			d.errorf(p.Span, "a DNS name in a deny rule")
		case p.FQDN.Exact && strings.Contains(p.FQDN.Pattern, "*"):
			d.errorf(p.Span, "an exact DNS name with \"*\" (%s)", ir.FormatFQDN(p.FQDN))
		}
	case ir.PeerService:
		switch {
		case r.Direction == ir.Ingress:
			d.errorf(p.Span, "a Service as a source")
		case p.Service.Namespace == "" && pol.Namespace == "":
			d.errorf(p.Span, "a Service without a namespace in a cluster-wide policy")
		}
		if p.Service.Namespace != "" {
			d.checkName(p.Span, "namespace", p.Service.Namespace)
		}
		if p.Service.Selector != nil {
			d.checkSelector(p.Span, *p.Service.Selector)
		} else {
			d.checkName(p.Span, "Service", p.Service.Name)
		}
	case ir.PeerPods:
		if p.Namespace.Scope == ir.NamespaceNamed {
			d.checkName(p.Span, "namespace", p.Namespace.Name)
		}
		d.checkSelector(p.Span, p.Pods)
		if p.Namespace.Scope == ir.NamespaceLabels {
			d.checkSelector(p.Span, p.Namespace.Labels)
		}
	case ir.PeerNodes:
		d.checkSelector(p.Span, p.Pods)
	case ir.PeerCIDR:
		if !p.CIDR.IsValid() || p.CIDR != p.CIDR.Masked() {
			d.errorf(p.Span, "the CIDR %s is not canonical", p.CIDR)
		}
	case ir.PeerEntity:
		if !isEntity(string(p.Entity)) {
			d.errorf(p.Span, "the entity %q", string(p.Entity))
		}
	case ir.PeerAny:
	default:
		d.errorf(p.Span, "a peer of unknown kind %d", p.Kind)
	}
}

// checkSelector reports selectors the language refuses: reserved or invalid
// keys, and terms that no labels satisfy together.
func (d *decompiler) checkSelector(span source.Span, s ir.Selector) {
	for _, k := range s.Keys() {
		if reservedKey(k) {
			d.errorf(span, "the label key %s, which Cilium reserves", k)
		}
	}
	for _, x := range s.MatchExpressions {
		switch x.Operator {
		case ir.OpIn, ir.OpNotIn:
			if len(x.Values) == 0 {
				d.errorf(span, "the requirement %s %s without values", x.Key, x.Operator)
			}
		case ir.OpExists, ir.OpDoesNotExist:
		default:
			d.errorf(span, "the selector operator %q", string(x.Operator))
		}
	}
}

// reservedKey mirrors the label keys the compiler reserves for Cilium.
func reservedKey(k string) bool {
	return k == "io.kubernetes.pod.namespace" || strings.HasPrefix(k, "io.cilium.k8s")
}
