package ir

import "slices"

// This file decides containment and overlap of selectors. Both work key by
// key: a selector's requirements on different keys are independent, so for
// a satisfiable selector the answers are exact; for an unsatisfiable one
// (e.g. {app: a, app: b}) Implies may answer false.

// Implies reports whether every label set that s matches also matches t (s
// selects a subset of t). It is sound: true only when that holds; false
// means "not shown", which happens only when s matches nothing.
func (s Selector) Implies(t Selector) bool {
	for _, l := range t.MatchLabels {
		// Fast path: s requires the same label.
		if slices.Contains(s.MatchLabels, l) {
			continue
		}
		if !s.impliesTerm(Expression{Key: l.Key, Operator: OpIn, Values: []string{l.Value}}) {
			return false
		}
	}
	for _, x := range t.MatchExpressions {
		// Fast path: s has the same requirement.
		if slices.ContainsFunc(s.MatchExpressions, func(y Expression) bool {
			return y.Key == x.Key && y.Operator == x.Operator && slices.Equal(y.Values, x.Values)
		}) {
			continue
		}
		if !s.impliesTerm(x) {
			return false
		}
	}
	return true
}

// impliesTerm reports whether s implies the requirement x.
func (s Selector) impliesTerm(x Expression) bool {
	c := s.constraint(x.Key)
	switch x.Operator {
	case OpExists:
		return c.exists
	case OpDoesNotExist:
		return c.absent
	case OpIn:
		if c.values == nil {
			return false
		}
		for v := range c.values {
			if !c.excluded[v] && !slices.Contains(x.Values, v) {
				return false
			}
		}
		return true
	case OpNotIn:
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

// MayIntersect reports whether some label set matches both s and t: false
// exactly when the requirements of the two on some key contradict each
// other.
func (s Selector) MayIntersect(t Selector) bool {
	both := Selector{
		MatchLabels:      append(slices.Clone(s.MatchLabels), t.MatchLabels...),
		MatchExpressions: append(slices.Clone(s.MatchExpressions), t.MatchExpressions...),
	}
	for _, k := range both.Keys() {
		if both.constraint(k).empty() {
			return false
		}
	}
	return true
}

// constraint is what a selector requires of one key.
type constraint struct {
	exists, absent bool            // the key must be present / absent
	values         map[string]bool // the values allowed by In and MatchLabels; nil: any value
	excluded       map[string]bool // the values NotIn excludes
}

// empty reports whether no label set satisfies c.
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

// constraint returns what s requires of key.
func (s Selector) constraint(key string) constraint {
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
		case OpIn:
			restrict(x.Values)
		case OpNotIn:
			for _, v := range x.Values {
				c.excluded[v] = true
			}
		case OpExists:
			c.exists = true
		case OpDoesNotExist:
			c.absent = true
		default:
			c.exists, c.absent = true, true // an unknown operator matches nothing
		}
	}
	return c
}
