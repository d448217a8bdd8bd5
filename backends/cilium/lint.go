package cilium

import (
	"fmt"
	"net/netip"
	"strings"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	"github.com/cilium/cilium/pkg/policy/api"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// The codes of Lint's findings, all warnings. They are stable;
// docs/design.md ("Linting manifests") has a table of them.
const (
	CodeFQDNNoDNSProxy diag.Code = "fqdn-no-dns-proxy"  // toFQDNs, no rules.dns for those endpoints
	CodeFQDNOneLabel   diag.Code = "fqdn-one-label"     // matchPattern "*.x" where "**.x" was meant
	CodeL7Voided       diag.Code = "l7-voided"          // an L4-only rule voids HTTP rules
	CodeMetadata       diag.Code = "metadata-reachable" // 0.0.0.0/0 without the metadata address
)

// LintKinds are the kinds Lint reads, for yamlsrc.Read.
var LintKinds = []yamlsrc.Kind{
	{APIVersion: APIVersion, Kind: KindCNP},
	{APIVersion: APIVersion, Kind: KindCCNP, ClusterScoped: true},
}

// Lint reports, as warnings at the line and column of the field, what the
// CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies of objs
// probably do not mean to say:
//
//   - fqdn-no-dns-proxy: toFQDNs for endpoints that no egress rule with
//     rules.dns selects: Cilium learns the names' addresses from its DNS
//     proxy, so without one the FQDN rule never matches;
//   - fqdn-one-label: a matchPattern "*.example.com", whose "*" matches
//     one label, where "**.example.com" (any depth) was probably meant;
//   - l7-voided: a rule allowing a port without L7 rules for the same
//     endpoints and peers as a rule with HTTP rules on that port: Cilium
//     merges them, and the HTTP rules no longer restrict anything;
//   - metadata-reachable: toCIDR/toCIDRSet 0.0.0.0/0 (::/0) without an
//     except for the cloud metadata address.
//
// Decoding errors are reported; objects of other kinds are left out.
func Lint(objs []*yamlsrc.Object) diag.List {
	l := &ciliumLinter{}
	for _, o := range objs {
		if o.APIVersion != APIVersion || (o.Kind != KindCNP && o.Kind != KindCCNP) {
			continue
		}
		var spec *api.Rule
		var specs api.Rules
		var d diag.List
		if o.Kind == KindCNP {
			var cnp ciliumv2.CiliumNetworkPolicy
			d = o.Decode(&cnp)
			spec, specs = cnp.Spec, cnp.Specs
		} else {
			var ccnp ciliumv2.CiliumClusterwideNetworkPolicy
			d = o.Decode(&ccnp)
			spec, specs = ccnp.Spec, ccnp.Specs
		}
		if d.HasErrors() {
			l.diags.Append(d)
			continue
		}
		add := func(r *api.Rule, path ...any) {
			if r != nil {
				l.rules = append(l.rules, &lintRule{o: o, r: r, path: path, subject: lintSelector(r.EndpointSelector)})
			}
		}
		add(spec, "spec")
		for i, r := range specs {
			add(r, "specs", i)
		}
	}
	for _, lr := range l.rules {
		l.fqdns(lr)
		l.metadata(lr)
		l.l7(lr, "ingress")
		l.l7(lr, "egress")
	}
	return l.diags
}

// lintRule is one rule (spec, or an item of specs) of an object.
type lintRule struct {
	o       *yamlsrc.Object
	r       *api.Rule
	path    []any       // "spec", or "specs" and an index
	subject ir.Selector // the endpointSelector
}

// pos is the position of path below the rule.
func (lr *lintRule) pos(path ...any) source.Span {
	return lr.o.Pos(append(append([]any(nil), lr.path...), path...)...)
}

// covers reports whether lr's subject includes all of other's endpoints.
func (lr *lintRule) covers(other *lintRule) bool {
	if lr.o.Kind == KindCNP && (other.o.Kind != KindCNP || other.o.Namespace != lr.o.Namespace) {
		return false
	}
	return other.subject.Implies(lr.subject)
}

type ciliumLinter struct {
	rules []*lintRule
	diags diag.List
}

// lintSelector converts a Cilium endpoint selector to an IR selector, label
// sources ("k8s:", "any:") dropped.
func lintSelector(es api.EndpointSelector) ir.Selector {
	var s ir.Selector
	if es.LabelSelector == nil {
		return s
	}
	for k, v := range es.MatchLabels {
		s.MatchLabels = append(s.MatchLabels, ir.Label{Key: lintLabelKey(k), Value: v})
	}
	for _, e := range es.MatchExpressions {
		s.MatchExpressions = append(s.MatchExpressions, ir.Expression{Key: lintLabelKey(e.Key), Operator: ir.Operator(e.Operator), Values: append([]string(nil), e.Values...)})
	}
	return s.Normalize()
}

func lintLabelKey(k string) string {
	for _, src := range []string{"k8s:", "any:"} {
		if rest, ok := strings.CutPrefix(k, src); ok {
			return rest
		}
	}
	return k
}

// lintHasDNS reports whether lr has an egress rule with rules.dns.
func lintHasDNS(lr *lintRule) bool {
	for _, e := range lr.r.Egress {
		for _, pr := range e.ToPorts {
			if pr.Rules != nil && len(pr.Rules.DNS) > 0 {
				return true
			}
		}
	}
	return false
}

// fqdns runs the toFQDNs checks of lr.
func (l *ciliumLinter) fqdns(lr *lintRule) {
	proxied := false
	for _, other := range l.rules {
		if other.covers(lr) && lintHasDNS(other) {
			proxied = true
			break
		}
	}
	for i, e := range lr.r.Egress {
		if len(e.ToFQDNs) == 0 {
			continue
		}
		if !proxied {
			d := l.diags.Warnf(CodeFQDNNoDNSProxy, lr.pos("egress", i, "toFQDNs"), "toFQDNs without a DNS proxy rule: no egress rule with rules.dns selects these endpoints, so this rule never matches")
			d.Detail = "Cilium learns the addresses of DNS names from its DNS proxy, which sees only lookups that a rule with rules.dns sends to it. Add an egress rule to the DNS pods (toEndpoints {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}) with toPorts port 53 UDP and TCP and rules: {dns: [{matchPattern: \"*\"}]}."
			proxied = true // once per rule set
		}
		for j, f := range e.ToFQDNs {
			rest, ok := strings.CutPrefix(f.MatchPattern, "*.")
			if !ok {
				continue
			}
			d := l.diags.Warnf(CodeFQDNOneLabel, lr.pos("egress", i, "toFQDNs", j, "matchPattern"), "matchPattern %q matches one label before .%s: a.%s, not a.b.%s", f.MatchPattern, rest, rest, rest)
			d.Detail = fmt.Sprintf("In a Cilium matchPattern, * matches within one DNS label. Write \"**.%s\" for names at any depth below %s (Cilium 1.19 and later), or keep \"*.%s\" if one level is meant.", rest, rest, rest)
			d.Suggestion = fmt.Sprintf("matchPattern: %q", "**."+rest)
		}
	}
}

// metadata warns at broad egress CIDRs that hold the cloud metadata address
// without excepting it.
func (l *ciliumLinter) metadata(lr *lintRule) {
	check := func(cidr string, except []api.CIDR, sp source.Span) {
		p, err := netip.ParsePrefix(cidr)
		if err != nil || p.Bits() >= 8 {
			return
		}
		md := netip.MustParseAddr("169.254.169.254")
		bits := "/32"
		if p.Addr().Is6() {
			md, bits = netip.MustParseAddr("fd00:ec2::254"), "/128"
		}
		if !p.Contains(md) {
			return
		}
		for _, x := range except {
			if q, err := netip.ParsePrefix(string(x)); err == nil && q.Contains(md) {
				return
			}
		}
		d := l.diags.Warnf(CodeMetadata, sp, "egress to %s lets the endpoints reach the cloud metadata service %s", cidr, md)
		d.Detail = fmt.Sprintf("On most clouds %s serves the node's instance metadata, and often the credentials of its role. Use toCIDRSet with except: [%s%s] unless the endpoints need it.", md, md, bits)
	}
	for i, e := range lr.r.Egress {
		for j, c := range e.ToCIDR {
			check(string(c), nil, lr.pos("egress", i, "toCIDR", j))
		}
		for j, c := range e.ToCIDRSet {
			if c.Cidr != "" {
				check(string(c.Cidr), c.ExceptCIDRs, lr.pos("egress", i, "toCIDRSet", j, "cidr"))
			}
		}
	}
}

// lintPeers is what an L7 check compares of a rule's peers: endpoint
// selectors, CIDRs and entities as written, or every peer (a rule with
// toPorts and no L3 field; one with neither allows nothing and is left out).
type lintPeers struct {
	all       bool
	endpoints []ir.Selector
	other     []string // CIDRs and entities, compared as written
}

func (p lintPeers) mayMeet(q lintPeers) bool {
	if p.all || q.all {
		return true
	}
	for _, a := range p.endpoints {
		for _, b := range q.endpoints {
			if a.MayIntersect(b) {
				return true
			}
		}
	}
	for _, a := range p.other {
		for _, b := range q.other {
			if a == b {
				return true
			}
		}
	}
	return false
}

// lintView is one ingress or egress rule of a lintRule, for the L7 check.
type lintView struct {
	lr    *lintRule
	dir   string
	i     int
	peers lintPeers
	ports api.PortRules
}

func lintViews(lr *lintRule, dir string) []lintView {
	var out []lintView
	if dir == "ingress" {
		for i, r := range lr.r.Ingress {
			noL3 := len(r.FromEndpoints) == 0 && len(r.FromCIDR) == 0 && len(r.FromCIDRSet) == 0 && len(r.FromEntities) == 0 && len(r.FromNodes) == 0 && len(r.FromGroups) == 0
			if noL3 && len(r.ToPorts) == 0 {
				continue // {}: allows nothing
			}
			p := lintPeers{all: noL3}
			for _, es := range r.FromEndpoints {
				p.endpoints = append(p.endpoints, lintSelector(es))
			}
			for _, c := range r.FromCIDR {
				p.other = append(p.other, string(c))
			}
			for _, c := range r.FromCIDRSet {
				p.other = append(p.other, string(c.Cidr))
			}
			for _, e := range r.FromEntities {
				p.all = p.all || e == api.EntityAll
				p.other = append(p.other, string(e))
			}
			out = append(out, lintView{lr: lr, dir: dir, i: i, peers: p, ports: r.ToPorts})
		}
		return out
	}
	for i, r := range lr.r.Egress {
		if len(r.ToFQDNs) > 0 || len(r.ToServices) > 0 {
			continue
		}
		noL3 := len(r.ToEndpoints) == 0 && len(r.ToCIDR) == 0 && len(r.ToCIDRSet) == 0 && len(r.ToEntities) == 0 && len(r.ToNodes) == 0 && len(r.ToGroups) == 0
		if noL3 && len(r.ToPorts) == 0 {
			continue // {}: allows nothing
		}
		p := lintPeers{all: noL3}
		for _, es := range r.ToEndpoints {
			p.endpoints = append(p.endpoints, lintSelector(es))
		}
		for _, c := range r.ToCIDR {
			p.other = append(p.other, string(c))
		}
		for _, c := range r.ToCIDRSet {
			p.other = append(p.other, string(c.Cidr))
		}
		for _, e := range r.ToEntities {
			p.all = p.all || e == api.EntityAll
			p.other = append(p.other, string(e))
		}
		out = append(out, lintView{lr: lr, dir: dir, i: i, peers: p, ports: r.ToPorts})
	}
	return out
}

// lintPortMeets reports whether two ports entries may share a port: protocol
// "ANY" or empty matches every protocol, port "0" or empty every port.
func lintPortMeets(a, b api.PortProtocol) bool {
	pa, pb := strings.ToUpper(string(a.Protocol)), strings.ToUpper(string(b.Protocol))
	if pa != "" && pa != "ANY" && pb != "" && pb != "ANY" && pa != pb {
		return false
	}
	if a.Port == "" || a.Port == "0" || b.Port == "" || b.Port == "0" {
		return true
	}
	return a.Port == b.Port
}

// l7 warns at the rules of direction dir that allow, without L7 rules, a
// port that a rule with HTTP rules restricts, for endpoints of lr and peers
// that may meet: the L4-only rule voids the HTTP rules.
func (l *ciliumLinter) l7(lr *lintRule, dir string) {
	for _, h := range lintViews(lr, dir) {
		for k, pr := range h.ports {
			if pr.Rules == nil || len(pr.Rules.HTTP) == 0 {
				continue
			}
			for _, other := range l.rules {
				if !other.subject.MayIntersect(lr.subject) || (other.o.Kind == KindCNP && lr.o.Kind == KindCNP && other.o.Namespace != lr.o.Namespace) {
					continue
				}
				for _, v := range lintViews(other, dir) {
					if !v.peers.mayMeet(h.peers) {
						continue
					}
					l.voids(v, h, k, pr)
				}
			}
		}
	}
}

// voids warns at v's L4-only ports entries (or v itself, without toPorts)
// that overlap the ports of h's toPorts[k], which carries HTTP rules.
func (l *ciliumLinter) voids(v, h lintView, k int, http api.PortRule) {
	warn := func(sp source.Span, what string) {
		d := l.diags.Warnf(CodeL7Voided, sp, "%s voids the HTTP rules of %s port(s) %s for the same endpoints", what, v.dir, lintPortsOf(http))
		d.Detail = "Cilium merges the rules selecting an endpoint: a rule that allows a port without L7 rules allows every request on it, and the HTTP rules no longer restrict anything. Add the same rules.http to this rule, or narrow its peers or ports."
		d.Notes = []diag.Note{{Span: h.lr.pos(h.dir, h.i, "toPorts", k), Message: "the HTTP rules"}}
	}
	if len(v.ports) == 0 {
		warn(v.lr.pos(v.dir, v.i), "a rule without toPorts (every port)")
		return
	}
	for m, pr := range v.ports {
		if pr.Rules != nil && !pr.Rules.IsEmpty() {
			continue
		}
		for _, a := range pr.Ports {
			if lintHasMeet(a, http.Ports) {
				warn(v.lr.pos(v.dir, v.i, "toPorts", m), "an L4-only toPorts entry")
				break
			}
		}
	}
}

func lintHasMeet(a api.PortProtocol, ps []api.PortProtocol) bool {
	for _, b := range ps {
		if lintPortMeets(a, b) {
			return true
		}
	}
	return false
}

func lintPortsOf(pr api.PortRule) string {
	var out []string
	for _, p := range pr.Ports {
		s := p.Port
		if p.Protocol != "" {
			s += "/" + string(p.Protocol)
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}
