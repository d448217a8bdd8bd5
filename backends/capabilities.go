package backends

import (
	"fmt"
	"sort"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Use is one place where a program needs a Feature from its target.
type Use struct {
	Feature Feature
	// Span is the source of the node that needs the feature: the port, the
	// peer, the port rule, the rule or the policy, whichever is most precise.
	Span source.Span
	// What names the construct for messages, e.g. `FQDN "*.example.com"`.
	What string
	// Policy is the policy the use belongs to; Rule is nil for a use of the
	// policy itself (cluster-wide, node subject).
	Policy *ir.Policy
	Rule   *ir.Rule
}

// Features lists every use of a feature in p, in policy and rule order.
func Features(p *ir.Program) []Use {
	return features(p, func(Feature) bool { return true })
}

// features lists the uses in p of the features keep accepts; the others
// cost no description.
func features(p *ir.Program, keep func(Feature) bool) []Use {
	var uses []Use
	for _, pol := range p.Policies {
		add := func(f Feature, span source.Span, r *ir.Rule, what string) {
			if !span.IsValid() && r != nil {
				span = r.Span
			}
			if !span.IsValid() {
				span = pol.Span
			}
			uses = append(uses, Use{Feature: f, Span: span, What: what, Policy: pol, Rule: r})
		}
		if pol.Namespace == "" && keep(FeatureClusterWide) {
			add(FeatureClusterWide, pol.Span, nil, "a cluster-wide policy")
		}
		if pol.Subject.Nodes && keep(FeatureNodeSubject) {
			add(FeatureNodeSubject, spanOr(pol.Subject.Span, pol.Span), nil, "a policy for nodes")
		}
		if pol.Tier == ir.TierOrdered && keep(FeatureOrdered) {
			add(FeatureOrdered, pol.Span, nil, fmt.Sprintf("ordered rules (clusterwide priority %d)", pol.Priority))
		}
		for _, r := range pol.Rules {
			ruleUses(pol, r, keep, add)
		}
	}
	return uses
}

func ruleUses(pol *ir.Policy, r *ir.Rule, keep func(Feature) bool, add func(Feature, source.Span, *ir.Rule, string)) {
	switch {
	case pol.Tier == ir.TierOrdered:
		// Ordered rules decide by their order, not by a deny winning or by
		// isolation: FeatureOrdered (the policy's) covers their actions
		// except pass.
		if r.Action == ir.Pass && keep(FeaturePass) {
			add(FeaturePass, r.Span, r, "a pass rule")
		}
	case r.Action == ir.Deny:
		if keep(FeatureDeny) {
			add(FeatureDeny, r.Span, r, "a deny rule")
		}
	case (r.Direction == ir.Ingress && !pol.Isolation.Ingress) || (r.Direction == ir.Egress && !pol.Isolation.Egress):
		if keep(FeatureNonIsolating) {
			add(FeatureNonIsolating, r.Span, r, "a rule that does not isolate its subject")
		}
	}
	for _, peer := range r.Peers {
		span := peer.Span
		switch peer.Kind {
		case ir.PeerPods:
			switch peer.Namespace.Scope {
			case ir.NamespaceNamed:
				if keep(FeatureNamespaceName) {
					add(FeatureNamespaceName, span, r, "namespace "+peer.Namespace.Name)
				}
			case ir.NamespaceLabels:
				if keep(FeatureNamespaceLabel) {
					add(FeatureNamespaceLabel, span, r, "namespaces "+peer.Namespace.Labels.String())
				}
			}
		case ir.PeerCIDR:
			if keep(FeatureCIDR) {
				add(FeatureCIDR, span, r, "CIDR "+peer.CIDR.String())
			}
		case ir.PeerEntity:
			switch peer.Entity {
			case ir.EntityWorld, ir.EntityWorldIPv4, ir.EntityWorldIPv6:
				if keep(FeatureWorld) {
					add(FeatureWorld, span, r, "entity "+string(peer.Entity))
				}
			case ir.EntityHost:
				if keep(FeatureHost) {
					add(FeatureHost, span, r, "entity "+string(peer.Entity))
				}
			default:
				if keep(FeatureEntity) {
					add(FeatureEntity, span, r, "entity "+string(peer.Entity))
				}
			}
		case ir.PeerFQDN:
			if keep(FeatureFQDN) {
				add(FeatureFQDN, span, r, "FQDN "+ir.FormatFQDN(peer.FQDN))
			}
			if strings.HasPrefix(peer.FQDN.Pattern, "**.") && !peer.FQDN.Exact {
				if keep(FeatureFQDNAnyDepth) {
					add(FeatureFQDNAnyDepth, span, r, "FQDN pattern "+ir.FormatFQDN(peer.FQDN))
				}
			}
			if !peer.FQDN.Exact && strings.Contains(strings.TrimPrefix(peer.FQDN.Pattern, "**."), "*") {
				if keep(FeatureFQDNOneLabel) {
					add(FeatureFQDNOneLabel, span, r, "FQDN pattern "+ir.FormatFQDN(peer.FQDN))
				}
			}
		case ir.PeerService:
			if keep(FeatureService) {
				add(FeatureService, span, r, ir.FormatPeer(peer))
			}
		case ir.PeerNodes:
			if keep(FeatureNodePeer) {
				add(FeatureNodePeer, span, r, "nodes "+peer.Pods.String())
			}
		case ir.PeerAny:
			if keep(FeatureAnyPeer) {
				add(FeatureAnyPeer, span, r, "any peer")
			}
		}
	}
	if r.AllTraffic {
		if keep(FeatureAllTraffic) {
			add(FeatureAllTraffic, r.Span, r, "all traffic")
		}
	}
	for _, pr := range r.Ports {
		if len(pr.HTTP) > 0 {
			if keep(FeatureHTTP) {
				add(FeatureHTTP, spanOr(pr.Span, r.Span), r, "HTTP rules")
			}
		}
		if len(pr.DNS) > 0 {
			if keep(FeatureDNSRules) {
				add(FeatureDNSRules, spanOr(pr.Span, r.Span), r, "DNS lookup restrictions")
			}
		}
		for _, port := range pr.Ports {
			span := spanOr(port.Span, pr.Span)
			switch port.Protocol {
			case ir.SCTP:
				if keep(FeatureSCTP) {
					add(FeatureSCTP, span, r, "SCTP")
				}
			case ir.ProtoAny:
				if keep(FeatureProtoAny) {
					add(FeatureProtoAny, span, r, "protocol any")
				}
			default:
				if keep(FeatureL4) {
					add(FeatureL4, span, r, string(port.Protocol))
				}
			}
			if port.EndPort != 0 {
				if keep(FeaturePortRange) {
					add(FeaturePortRange, span, r, fmt.Sprintf("port range %d-%d", port.Port, port.EndPort))
				}
			}
			if port.Name != "" {
				if keep(FeatureNamedPort) {
					add(FeatureNamedPort, span, r, "named port "+port.Name)
				}
			}
		}
	}
	for _, t := range r.ICMP {
		if keep(FeatureICMP) {
			add(FeatureICMP, spanOr(t.Span, r.Span), r, "ICMP")
		}
	}
}

func spanOr(s, fallback source.Span) source.Span {
	if s.IsValid() {
		return s
	}
	return fallback
}

// Degradation is an explicit opt-in a backend offers to express a feature it
// cannot express exactly by widening it (e.g. "--degrade l7=l4": allow an
// HTTP rule's ports at L4). The backend reports every degraded rule with a
// warning and records it in the emitted object.
type Degradation struct {
	Feature Feature
	Mode    string // the value of --degrade FEATURE=MODE
	Note    string // what is lost, one line
}

// Degrader is implemented by backends that offer degradations.
type Degrader interface {
	Degradations() []Degradation
}

// DegradationFor returns the degradation of f that opts opt into and b
// offers, if any.
func DegradationFor(b Backend, opts Options, f Feature) (Degradation, bool) {
	mode, ok := opts.Degrade[f]
	if !ok {
		return Degradation{}, false
	}
	if d, ok := b.(Degrader); ok {
		for _, deg := range d.Degradations() {
			if deg.Feature == f && deg.Mode == mode {
				return deg, true
			}
		}
	}
	return Degradation{}, false
}

// CheckCapabilities reports, at its source span, every use in p of a feature
// that b cannot express (code "unsupported"), unless opts opts into a
// degradation b offers for it. Uses are grouped per rule (and per policy for
// policy-level features): one error each, naming the features and the
// targets that can express them: those of opts.Targets, other than b, whose
// Capabilities include every one of the features and whose own checks
// (CheckCapabilities and Prepare, without degradations) report no error in
// the rule or policy of the group (a capability may be partial: Cilium
// cannot order rules, netpol-api cannot take a CIDR as an ingress source).
func CheckCapabilities(p *ir.Program, b Backend, opts Options) diag.List {
	var diags diag.List
	alternatives := map[string]Capabilities{}
	others := map[string]Backend{}
	if opts.Targets != nil {
		for _, name := range opts.Targets.Names() {
			if o, _ := opts.Targets.Lookup(name); name != b.Name() {
				alternatives[name] = o.Capabilities()
				others[name] = o
			}
		}
	}
	refusals := map[string][]source.Span{}
	refused := func(name string, region []source.Span) bool {
		errs, ok := refusals[name]
		if !ok {
			errs = targetErrors(p, others[name])
			refusals[name] = errs
		}
		for _, e := range errs {
			for _, r := range region {
				if overlaps(e, r) {
					return true
				}
			}
		}
		return false
	}

	diags.Append(checkDegradeOptions(b, opts))

	caps := b.Capabilities()
	type group struct {
		span source.Span
		uses []Use
	}
	var groups []*group
	index := map[any]*group{}
	unsupported := func(f Feature) bool {
		if caps.Supports(f) {
			return false
		}
		_, degraded := DegradationFor(b, opts, f)
		return !degraded
	}
	for _, u := range features(p, unsupported) {
		var key any = u.Policy
		if u.Rule != nil {
			key = u.Rule
		}
		g := index[key]
		if g == nil {
			g = &group{span: u.Span}
			index[key] = g
			groups = append(groups, g)
		}
		g.uses = append(g.uses, u)
	}
	for _, g := range groups {
		var feats []Feature
		var whats []string
		seen := map[Feature]bool{}
		for _, u := range g.uses {
			if !seen[u.Feature] {
				seen[u.Feature] = true
				feats = append(feats, u.Feature)
				whats = append(whats, u.What)
			}
		}
		names := make([]string, len(feats))
		for i, f := range feats {
			names[i] = string(f)
		}
		region := []source.Span{g.span}
		if u := g.uses[0]; u.Rule != nil && u.Rule.Span.IsValid() {
			region = append(region, u.Rule.Span)
		} else if u.Policy != nil && u.Policy.Span.IsValid() {
			region = append(region, u.Policy.Span)
		}
		var targets []string
		for _, name := range targetsFor(alternatives, feats) {
			if !refused(name, region) {
				targets = append(targets, name)
			}
		}
		msg := fmt.Sprintf("target %s cannot express %s", b.Name(), strings.Join(whats, ", "))
		if len(targets) > 0 {
			flag := opts.TargetFlag
			if flag == "" {
				flag = "--target"
			}
			msg += fmt.Sprintf(" (%s); use %s %s", strings.Join(names, ", "), flag, strings.Join(targets, " or "))
		} else {
			msg += fmt.Sprintf(" (%s)", strings.Join(names, ", "))
		}
		d := diags.Errorf("unsupported", g.span, "%s", msg)
		var detail []string
		seenNote := map[string]bool{}
		for _, f := range feats {
			if note := caps[f].Note; note != "" && !seenNote[note] {
				seenNote[note] = true
				detail = append(detail, note)
			}
			if d, ok := b.(Degrader); ok {
				for _, deg := range d.Degradations() {
					if deg.Feature == f {
						detail = append(detail, fmt.Sprintf("Pass --degrade %s=%s to accept this: %s.", f, deg.Mode, deg.Note))
					}
				}
			}
		}
		d.Detail = strings.Join(detail, " ")
		for _, u := range g.uses[1:] {
			if u.Span != g.span {
				d.Notes = append(d.Notes, diag.Note{Span: u.Span, Message: "needs " + string(u.Feature)})
			}
		}
	}
	return diags
}

// targetErrors returns the spans of the errors that b's own checks report
// on p, without degradations and without naming other targets:
// CheckCapabilities, then Prepare on the policies CheckCapabilities did not
// refuse (Prepare expects what the capabilities let through). An error
// without a span stands for the whole program.
func targetErrors(p *ir.Program, b Backend) []source.Span {
	var out []source.Span
	errs := func(diags diag.List) {
		for _, d := range diags {
			if d.Severity == diag.Error {
				out = append(out, d.Span)
			}
		}
	}
	uses := features(p, func(f Feature) bool { return !b.Capabilities().Supports(f) })
	errs(CheckCapabilities(p, b, Options{}))
	refused := map[*ir.Policy]bool{}
	for _, u := range uses {
		refused[u.Policy] = true
	}
	rest := *p
	rest.Policies = nil
	for _, pol := range p.Policies {
		if !refused[pol] {
			rest.Policies = append(rest.Policies, pol)
		}
	}
	if len(rest.Policies) > 0 {
		_, pd := b.Prepare(&rest, Options{})
		errs(pd)
	}
	return out
}

// overlaps reports whether the error span e lies in region r (an error
// without a position concerns every region).
func overlaps(e, r source.Span) bool {
	if !e.IsValid() {
		return true
	}
	if !r.IsValid() || e.File != r.File {
		return false
	}
	end := func(s source.Span) int { return max(s.End.Offset, s.Start.Offset+1) }
	return e.Start.Offset < end(r) && r.Start.Offset < end(e)
}

// checkDegradeOptions reports degradations asked for that b does not offer.
func checkDegradeOptions(b Backend, opts Options) diag.List {
	var diags diag.List
	var keys []string
	for f := range opts.Degrade {
		keys = append(keys, string(f))
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := Feature(k)
		if _, ok := DegradationFor(b, opts, f); ok {
			continue
		}
		var offered []string
		if d, ok := b.(Degrader); ok {
			for _, deg := range d.Degradations() {
				offered = append(offered, string(deg.Feature)+"="+deg.Mode)
			}
		}
		msg := fmt.Sprintf("target %s offers no degradation %s=%s", b.Name(), k, opts.Degrade[f])
		if len(offered) > 0 {
			msg += "; it offers " + strings.Join(offered, ", ")
		}
		diags.Errorf("bad-degrade", source.Span{}, "%s", msg)
	}
	return diags
}

// targetsFor returns the sorted names of the targets of alternatives (by
// name) whose capabilities include every feature of feats.
func targetsFor(alternatives map[string]Capabilities, feats []Feature) []string {
	var out []string
	for name, caps := range alternatives {
		ok := true
		for _, f := range feats {
			if !caps.Supports(f) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
