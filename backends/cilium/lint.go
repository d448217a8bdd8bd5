package cilium

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/netpolc/netpolc/backends/cilium/api"
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
		var doc document
		d := o.Decode(&doc)
		spec, specs := doc.Spec, doc.Specs
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
	}
	l.l7Voided(objs)
	return l.diags
}

// l7Voided reports, as warnings, what the Cilium target's own check
// (checkL7Voided, the one Prepare runs) finds in what the objects mean: an
// L4-only allowance that voids HTTP or DNS-lookup rules. Objects the
// importer cannot read are left out (their decoding errors are reported).
func (l *ciliumLinter) l7Voided(objs []*yamlsrc.Object) {
	var mine []*yamlsrc.Object
	for _, o := range objs {
		if o.APIVersion == APIVersion && (o.Kind == KindCNP || o.Kind == KindCCNP) {
			mine = append(mine, o)
		}
	}
	prog, _ := Backend{}.Import(mine)
	if prog == nil {
		return
	}
	for _, d := range checkL7Voided(prog) {
		d.Severity, d.Code = diag.Warning, CodeL7Voided
		l.diags.Add(d)
	}
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
