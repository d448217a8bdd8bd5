package ir

import (
	"slices"
	"sort"
	"strings"
)

// Selector is a Kubernetes label selector: every MatchLabels entry and every
// MatchExpressions requirement must hold. The empty selector matches every
// label set. Keep it normalized (Normalize) so that equal selectors compare
// equal.
type Selector struct {
	MatchLabels      []Label      // sorted by key; keys unique
	MatchExpressions []Expression // sorted by key, operator, values
}

// Label is one key=value pair.
type Label struct {
	Key   string
	Value string
}

// Operator is a label selector requirement operator (Kubernetes spelling).
type Operator string

// Operators.
const (
	OpIn           Operator = "In"
	OpNotIn        Operator = "NotIn"
	OpExists       Operator = "Exists"
	OpDoesNotExist Operator = "DoesNotExist"
)

// Expression is one matchExpressions requirement.
type Expression struct {
	Key      string
	Operator Operator
	Values   []string // sorted, unique; empty for Exists/DoesNotExist
}

// IsEmpty reports whether s matches everything.
func (s Selector) IsEmpty() bool { return len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0 }

// Keys returns the label keys s names, sorted, each once.
func (s Selector) Keys() []string {
	keys := make([]string, 0, len(s.MatchLabels)+len(s.MatchExpressions))
	for _, l := range s.MatchLabels {
		keys = append(keys, l.Key)
	}
	for _, x := range s.MatchExpressions {
		keys = append(keys, x.Key)
	}
	sort.Strings(keys)
	return slices.Compact(keys)
}

// Matches reports whether labels satisfy s.
func (s Selector) Matches(labels map[string]string) bool {
	for _, l := range s.MatchLabels {
		if v, ok := labels[l.Key]; !ok || v != l.Value {
			return false
		}
	}
	for _, e := range s.MatchExpressions {
		v, ok := labels[e.Key]
		switch e.Operator {
		case OpIn:
			if !ok || !contains(e.Values, v) {
				return false
			}
		case OpNotIn:
			if ok && contains(e.Values, v) {
				return false
			}
		case OpExists:
			if !ok {
				return false
			}
		case OpDoesNotExist:
			if ok {
				return false
			}
		default:
			return false // unknown operators match nothing (validation rejects them)
		}
	}
	return true
}

func contains(sorted []string, v string) bool {
	i := sort.SearchStrings(sorted, v)
	return i < len(sorted) && sorted[i] == v
}

// Normalize sorts labels and expressions and their values and removes exact
// duplicates, in place, and returns s.
func (s Selector) Normalize() Selector {
	sort.Slice(s.MatchLabels, func(i, j int) bool {
		a, b := s.MatchLabels[i], s.MatchLabels[j]
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.Value < b.Value
	})
	s.MatchLabels = dedupe(s.MatchLabels, func(a, b Label) bool { return a == b })
	for i := range s.MatchExpressions {
		vals := s.MatchExpressions[i].Values
		sort.Strings(vals)
		s.MatchExpressions[i].Values = dedupe(vals, func(a, b string) bool { return a == b })
	}
	sort.Slice(s.MatchExpressions, func(i, j int) bool {
		return s.MatchExpressions[i].sortKey() < s.MatchExpressions[j].sortKey()
	})
	s.MatchExpressions = dedupe(s.MatchExpressions, func(a, b Expression) bool { return a.sortKey() == b.sortKey() })
	if len(s.MatchLabels) == 0 {
		s.MatchLabels = nil
	}
	if len(s.MatchExpressions) == 0 {
		s.MatchExpressions = nil
	}
	return s
}

func (e Expression) sortKey() string {
	return e.Key + "\x00" + string(e.Operator) + "\x00" + strings.Join(e.Values, "\x00")
}

func dedupe[T any](xs []T, eq func(a, b T) bool) []T {
	if len(xs) < 2 {
		return xs
	}
	out := xs[:1]
	for _, x := range xs[1:] {
		if !eq(out[len(out)-1], x) {
			out = append(out, x)
		}
	}
	return out
}

// Equal reports whether two normalized selectors are the same.
func (s Selector) Equal(t Selector) bool { return s.String() == t.String() }

// String renders s in the language's selector syntax, e.g.
// "{app: web, tier in (a, b), !legacy}"; stable for normalized selectors.
func (s Selector) String() string {
	var parts []string
	for _, l := range s.MatchLabels {
		parts = append(parts, l.Key+": "+l.Value)
	}
	for _, e := range s.MatchExpressions {
		switch e.Operator {
		case OpIn:
			parts = append(parts, e.Key+" in ("+strings.Join(e.Values, ", ")+")")
		case OpNotIn:
			parts = append(parts, e.Key+" notin ("+strings.Join(e.Values, ", ")+")")
		case OpExists:
			parts = append(parts, e.Key)
		case OpDoesNotExist:
			parts = append(parts, "!"+e.Key)
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
