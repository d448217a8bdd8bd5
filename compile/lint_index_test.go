package compile

import (
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
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
// covers are frequent): labels, "in" and "exists" requirements,
// namespaces (the policy's, by name, every one, by label), other peer
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
	// ns: the policy's namespace (written as shop or left out), another
	// one by name, every namespace, or namespaces by label.
	ns := func() ir.NamespaceRef {
		switch r.Intn(6) {
		case 0:
			return ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: "shop"}
		case 1:
			return ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: "other"}
		case 2:
			return ir.NamespaceRef{Scope: ir.NamespaceLabels}
		case 3:
			return ir.NamespaceRef{Scope: ir.NamespaceLabels, Labels: ir.Selector{MatchLabels: []ir.Label{{Key: "env", Value: vals[r.Intn(2)]}}}}
		}
		return ir.NamespaceRef{}
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
		return ir.Peer{Kind: ir.PeerPods, Namespace: ns(), Pods: sel()}
	}
	found := 0
	var sc lintScratch // shared, as lint shares it
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
		lintPolicy(&got, pol, &sc)
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

// naiveLintReplies is lintReplies without the index: every other arrow is
// a candidate "a -> b" for every reply-like target. The indexed version
// must find exactly what it finds.
func (c *compiler) naiveLintReplies(diags *diag.List) {
	var arrows []*checked
	for i := range c.stmts {
		if st := &c.stmts[i]; st.kind == stmtRule && !st.deny {
			arrows = append(arrows, st)
		}
	}
	same := func(x, y rpeer) bool { return ir.PeerKey(*x.peer) == ir.PeerKey(*y.peer) }
	for _, back := range arrows {
	targets:
		for _, t := range back.targets {
			if t.traffic == nil || !replyLike(t.traffic) {
				continue
			}
			for _, fwd := range arrows {
				if fwd == back {
					continue
				}
				for _, a := range t.peers {
					if !slices.ContainsFunc(fwd.sources, func(x rpeer) bool { return same(x, a) }) {
						continue
					}
					for _, b := range back.sources {
						for _, ft := range fwd.targets {
							if slices.ContainsFunc(ft.peers, func(x rpeer) bool { return same(x, b) }) {
								bq, aq := c.quotePeer(b.src), c.quotePeer(t.src)
								d := diags.Warnf(CodeReplyRule, back.span, msgReplyRule, bq, aq, aq, bq)
								d.Detail = sprintf(detailReplyRule, bq, aq)
								d.Notes = append(d.Notes, diag.Note{Span: fwd.span, Message: noteReplyRule})
								continue targets
							}
						}
					}
				}
			}
		}
	}
}

// TestLintRepliesIndexFindsWhatPairsFind compares lintReplies with the
// search over every pair of arrows on random programs over a few groups
// (so that replies are frequent): several sources and targets per arrow,
// groups that overlap, reply-like and other ports, deny rules, and a block
// of two namespaces.
func TestLintRepliesIndexFindsWhatPairsFind(t *testing.T) {
	r := rand.New(rand.NewSource(14))
	peers := []string{"a", "b", "c", "ab", "{app: a}", "{app: d}", "other/{app: a}", "10.0.0.0/8"}
	ports := []string{"*", "80", "*/tcp", "1024-65535", "2000-61000/tcp", "53/udp", "[80, *]"}
	list := func(max int) string {
		var out []string
		for i := 0; i <= r.Intn(max); i++ {
			out = append(out, peers[r.Intn(len(peers))])
		}
		return strings.Join(out, ", ")
	}
	found, compiled := 0, 0
	for n := 0; n < 500; n++ {
		var b strings.Builder
		if r.Intn(3) == 0 {
			b.WriteString("namespace shop, other\n")
		} else {
			b.WriteString("namespace shop\n")
		}
		b.WriteString("allow dns\na = {app: a}\nb = {app: b}\nc = {app: c}\nab = a, b\n")
		for i := 0; i < 2+r.Intn(10); i++ {
			if r.Intn(8) == 0 {
				b.WriteString("deny ")
			}
			fmt.Fprintf(&b, "%s -> ", list(2))
			for j := 0; j <= r.Intn(2); j++ {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%s:%s", peers[r.Intn(len(peers))], ports[r.Intn(len(ports))])
			}
			b.WriteString("\n")
		}
		src := b.String()
		c := newCompiler([]*source.File{source.NewFile("in.netpol", []byte(src))}, Options{})
		failed := false
		for _, st := range stages[:3] {
			if d := st.run(c); d.HasErrors() {
				failed = true
				break
			}
		}
		if failed {
			continue
		}
		compiled++
		var got, want diag.List
		c.lintReplies(&got)
		c.naiveLintReplies(&want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("program %d:\n%s\nindexed: %v\npairwise: %v", n, src, got, want)
		}
		found += len(want)
	}
	t.Logf("%d programs compiled, %d findings", compiled, found)
	if found < 200 {
		t.Fatalf("only %d findings in 500 programs: the test does not exercise the lint", found)
	}
}
