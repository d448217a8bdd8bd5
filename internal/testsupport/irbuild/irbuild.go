// Package irbuild builds pieces of IR from short text for tests. It imports
// only the IR, so that the evaluator's own tests can use it.
package irbuild

import (
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
)

// Selector builds a normalized selector from terms "k=v", "k" (exists),
// "!k" (does not exist), "k in a|b" and "k notin a|b".
func Selector(terms ...string) ir.Selector {
	var s ir.Selector
	for _, t := range terms {
		switch {
		case strings.Contains(t, " notin "):
			k, v, _ := strings.Cut(t, " notin ")
			s.MatchExpressions = append(s.MatchExpressions, ir.Expression{Key: k, Operator: ir.OpNotIn, Values: strings.Split(v, "|")})
		case strings.Contains(t, " in "):
			k, v, _ := strings.Cut(t, " in ")
			s.MatchExpressions = append(s.MatchExpressions, ir.Expression{Key: k, Operator: ir.OpIn, Values: strings.Split(v, "|")})
		case strings.HasPrefix(t, "!"):
			s.MatchExpressions = append(s.MatchExpressions, ir.Expression{Key: t[1:], Operator: ir.OpDoesNotExist})
		case strings.Contains(t, "="):
			k, v, _ := strings.Cut(t, "=")
			s.MatchLabels = append(s.MatchLabels, ir.Label{Key: k, Value: v})
		default:
			s.MatchExpressions = append(s.MatchExpressions, ir.Expression{Key: t, Operator: ir.OpExists})
		}
	}
	return s.Normalize()
}
