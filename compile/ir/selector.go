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

// Normalized returns a normalized deep copy of s: unlike Normalize, it
// leaves s's slices alone (the program they belong to may be shared).
func (s Selector) Normalized() Selector {
	c := Selector{MatchLabels: append([]Label(nil), s.MatchLabels...)}
	for _, x := range s.MatchExpressions {
		x.Values = append([]string(nil), x.Values...)
		c.MatchExpressions = append(c.MatchExpressions, x)
	}
	return c.Normalize()
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
func (s Selector) Equal(t Selector) bool {
	return slices.Equal(s.MatchLabels, t.MatchLabels) &&
		slices.EqualFunc(s.MatchExpressions, t.MatchExpressions, func(a, b Expression) bool {
			return a.Key == b.Key && a.Operator == b.Operator && slices.Equal(a.Values, b.Values)
		})
}

// String renders s in the language's selector syntax, e.g.
// "{app: web, tier in (a, b), !legacy}"; stable for normalized selectors.
func (s Selector) String() string {
	var b strings.Builder
	s.writeTo(&b)
	return b.String()
}

// writeTo writes String's rendering to b.
func (s Selector) writeTo(b *strings.Builder) {
	b.WriteByte('{')
	first := true
	sep := func() {
		if !first {
			b.WriteString(", ")
		}
		first = false
	}
	for _, l := range s.MatchLabels {
		sep()
		b.WriteString(l.Key)
		b.WriteString(": ")
		b.WriteString(l.Value)
	}
	for _, e := range s.MatchExpressions {
		switch e.Operator {
		case OpIn, OpNotIn:
			sep()
			b.WriteString(e.Key)
			if e.Operator == OpIn {
				b.WriteString(" in (")
			} else {
				b.WriteString(" notin (")
			}
			for i, v := range e.Values {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(v)
			}
			b.WriteByte(')')
		case OpExists:
			sep()
			b.WriteString(e.Key)
		case OpDoesNotExist:
			sep()
			b.WriteByte('!')
			b.WriteString(e.Key)
		}
	}
	b.WriteByte('}')
}
