package compile

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// naiveLintPolicy is lintPolicy without the index: every earlier rule is a
// candidate. The indexed version must find exactly what it finds.
func naiveLintPolicy(diags *diag.List, p *ir.Policy) {
	for i, r := range p.Rules {
		for _, q := range p.Rules[:i] {
			if q.Direction != r.Direction || q.Action != r.Action {
				continue
			}
			if ir.FormatRule(q) == ir.FormatRule(r) {
				if q.Span == r.Span {
					break
				}
				d := diags.Warnf(CodeDuplicateRule, r.Span, msgDuplicateRule)
				d.Notes = append(d.Notes, diag.Note{Span: q.Span, Message: noteDuplicateRule})
				break
			}
			if ruleCovers(q, r) {
				d := diags.Warnf(CodeShadowedRule, r.Span, msgShadowedRule)
				d.Detail = detailShadowedRule
				d.Notes = append(d.Notes, diag.Note{Span: q.Span, Message: noteShadowedRule})
				break
			}
		}
	}
}

// TestLintIndexFindsWhatPairsFind compares lintPolicy with the pairwise
// search on random policies over small alphabets (so that repeats and
// covers are frequent): labels, "in" and "exists" requirements, other peer
// kinds, ports and directions.
func TestLintIndexFindsWhatPairsFind(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	vals := []string{"a", "b", "c"}
	sel := func() ir.Selector {
		var s ir.Selector
		for _, k := range []string{"app", "tier"} {
			switch r.Intn(5) {
			case 0, 1:
				s.MatchLabels = append(s.MatchLabels, ir.Label{Key: k, Value: vals[r.Intn(3)]})
			case 2:
				s.MatchExpressions = append(s.MatchExpressions, ir.Expression{Key: k, Operator: ir.OpIn,
					Values: slices.Compact(slices.Sorted(slices.Values([]string{vals[r.Intn(3)], vals[r.Intn(3)]})))})
			case 3:
				s.MatchExpressions = append(s.MatchExpressions, ir.Expression{Key: k, Operator: ir.OpExists})
			}
		}
		return s.Normalize()
	}
	peer := func() ir.Peer {
		switch r.Intn(6) {
		case 0:
			return ir.Peer{Kind: ir.PeerAny}
		case 1:
			return ir.Peer{Kind: ir.PeerEntity, Entity: ir.EntityWorld}
		case 2:
			return ir.Peer{Kind: ir.PeerNodes, Pods: sel()}
		}
		return ir.Peer{Kind: ir.PeerPods, Pods: sel()}
	}
	found := 0
	for n := 0; n < 3000; n++ {
		pol := &ir.Policy{Name: "p", Namespace: "shop"}
		for i := 0; i < 2+r.Intn(8); i++ {
			rule := &ir.Rule{Span: source.Span{File: "f", Start: source.Pos{Offset: i}}, Direction: ir.Direction(r.Intn(2))}
			for j := 0; j <= r.Intn(2); j++ {
				rule.Peers = append(rule.Peers, peer())
			}
			rule.Peers = ir.PeersIn(rule.Peers, "shop")
			if r.Intn(4) == 0 {
				rule.AllTraffic = true
			} else {
				rule.Ports = []ir.PortRule{{Ports: []ir.Port{{Protocol: ir.TCP, Port: uint16(80 + r.Intn(2))}}}}
			}
			pol.Rules = append(pol.Rules, rule)
		}
		var got, want diag.List
		lintPolicy(&got, pol)
		naiveLintPolicy(&want, pol)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			var rules []string
			for _, x := range pol.Rules {
				rules = append(rules, ir.FormatRule(x))
			}
			t.Fatalf("policy %d:\n%v\nindexed: %v\npairwise: %v", n, rules, got, want)
		}
		found += len(want)
	}
	if found < 1000 {
		t.Fatalf("only %d findings in 3000 policies: the test does not exercise the lint", found)
	}
}
