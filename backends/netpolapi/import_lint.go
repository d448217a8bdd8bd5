package netpolapi

import (
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
)

// CodeUnreachableRule is the code of Lint's finding: a rule of an admin
// policy that never decides anything.
const CodeUnreachableRule diag.Code = "unreachable-rule"

// Lint imports the AdminNetworkPolicies, BaselineAdminNetworkPolicies and
// ClusterNetworkPolicies of objs (Import, whose diagnostics it returns;
// objects of other kinds are left out silently) and reports, as warnings
// at the rule:
//
//   - unreachable-rule: a rule of an admin policy that an earlier rule of
//     the same policy and direction matches whenever it matches (every
//     peer and all traffic covered): the first match decides, so the rule
//     never does. (The baseline's rules after its deny of everything are
//     reported by Import, no-effect.)
func Lint(objs []*yamlsrc.Object) diag.List {
	var mine []*yamlsrc.Object
	for _, o := range objs {
		if isImportKind(o) {
			mine = append(mine, o)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	prog, diags := Importer{}.Import(mine)
	if prog == nil {
		return diags
	}
	for _, pol := range prog.Policies {
		if pol.Tier != ir.TierOrdered {
			continue
		}
		for j, r := range pol.Rules {
			for _, earlier := range pol.Rules[:j] {
				if earlier.Direction == r.Direction && ruleCovers(earlier, r) {
					d := diags.Warnf(CodeUnreachableRule, r.Span, "this %s rule is never reached: an earlier rule of %s matches every connection it matches", r.Direction, pol.Origin)
					d.Notes = []diag.Note{{Span: earlier.Span, Message: "the earlier rule"}}
					break
				}
			}
		}
	}
	return diags
}

// ruleCovers reports whether a matches every connection b matches. It is
// sound: true only when that holds.
func ruleCovers(a, b *ir.Rule) bool {
	for _, pb := range b.Peers {
		covered := false
		for _, pa := range a.Peers {
			if peerCovers(pa, pb) {
				covered = true
				break
			}
		}
		if !covered {
			return false
		}
	}
	if a.AllTraffic {
		return true
	}
	if b.AllTraffic {
		return false
	}
	for _, prb := range b.Ports {
		for _, x := range prb.Ports {
			covered := false
			for _, pra := range a.Ports {
				for _, y := range pra.Ports {
					if y.Covers(x) {
						covered = true
					}
				}
			}
			if !covered {
				return false
			}
		}
	}
	return true
}

// peerCovers reports whether every endpoint b matches is matched by a.
func peerCovers(a, b ir.Peer) bool {
	switch {
	case a.Kind == ir.PeerAny:
		return true
	case ir.PeerKey(a) == ir.PeerKey(b):
		return true
	case a.Kind == ir.PeerPods && b.Kind == ir.PeerPods:
		return namespaceSelector(b.Namespace).Implies(namespaceSelector(a.Namespace)) && b.Pods.Implies(a.Pods)
	case a.Kind == ir.PeerCIDR && b.Kind == ir.PeerCIDR:
		return a.CIDRCovers(&b)
	case a.Kind == ir.PeerFQDN && b.Kind == ir.PeerFQDN:
		return a.FQDN.Covers(b.FQDN)
	}
	return false
}
