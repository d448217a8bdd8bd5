package cilium

import (
	"slices"

	"github.com/netpolc/netpolc/compile/ir"
)

// implies reports whether every label set that a matches also matches b
// (a selects a subset of b). It is sound, not complete: false means
// "not shown".
func implies(a, b ir.Selector) bool {
	for _, l := range b.MatchLabels {
		if !impliesTerm(a, ir.Expression{Key: l.Key, Operator: ir.OpIn, Values: []string{l.Value}}) {
			return false
		}
	}
	for _, x := range b.MatchExpressions {
		if !impliesTerm(a, x) {
			return false
		}
	}
	return true
}

// impliesTerm reports whether a implies the requirement x.
func impliesTerm(a ir.Selector, x ir.Expression) bool {
	c := constraintOf(a, x.Key)
	switch x.Operator {
	case ir.OpExists:
		return c.exists
	case ir.OpDoesNotExist:
		return c.absent
	case ir.OpIn:
		if c.values == nil {
			return false
		}
		for v := range c.values {
			if !c.excluded[v] && !slices.Contains(x.Values, v) {
				return false
			}
		}
		return true
	case ir.OpNotIn:
		if c.absent {
			return true
		}
		for _, v := range x.Values {
			if c.excluded[v] {
				continue
			}
			if c.values == nil || c.values[v] {
				return false
			}
		}
		return true
	}
	return false
}

// mayIntersect reports whether some label set may match both a and b: false
// only when a key's requirements contradict each other.
func mayIntersect(a, b ir.Selector) bool {
	keys := map[string]bool{}
	for _, s := range []ir.Selector{a, b} {
		for _, l := range s.MatchLabels {
			keys[l.Key] = true
		}
		for _, x := range s.MatchExpressions {
			keys[x.Key] = true
		}
	}
	both := ir.Selector{
		MatchLabels:      append(slices.Clone(a.MatchLabels), b.MatchLabels...),
		MatchExpressions: append(slices.Clone(a.MatchExpressions), b.MatchExpressions...),
	}
	for k := range keys {
		if constraintOf(both, k).empty() {
			return false
		}
	}
	return true
}

// constraint is what a selector requires of one key.
type constraint struct {
	exists, absent bool
	values         map[string]bool // nil: any value
	excluded       map[string]bool
}

func (c constraint) empty() bool {
	if c.exists && c.absent {
		return true
	}
	if c.values == nil {
		return false
	}
	for v := range c.values {
		if !c.excluded[v] {
			return false
		}
	}
	return true
}

func constraintOf(s ir.Selector, key string) constraint {
	c := constraint{excluded: map[string]bool{}}
	restrict := func(vals []string) {
		c.exists = true
		next := map[string]bool{}
		for _, v := range vals {
			if c.values == nil || c.values[v] {
				next[v] = true
			}
		}
		c.values = next
	}
	for _, l := range s.MatchLabels {
		if l.Key == key {
			restrict([]string{l.Value})
		}
	}
	for _, x := range s.MatchExpressions {
		if x.Key != key {
			continue
		}
		switch x.Operator {
		case ir.OpIn:
			restrict(x.Values)
		case ir.OpNotIn:
			for _, v := range x.Values {
				c.excluded[v] = true
			}
		case ir.OpExists:
			c.exists = true
		case ir.OpDoesNotExist:
			c.absent = true
		}
	}
	return c
}
