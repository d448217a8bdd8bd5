package ir

import (
	"math/rand"
	"slices"
	"testing"
)

func sel(labels ...string) Selector {
	var s Selector
	for i := 0; i+1 < len(labels); i += 2 {
		s.MatchLabels = append(s.MatchLabels, Label{Key: labels[i], Value: labels[i+1]})
	}
	return s.Normalize()
}

func withExpr(s Selector, key string, op Operator, values ...string) Selector {
	s.MatchExpressions = append(s.MatchExpressions, Expression{Key: key, Operator: op, Values: values})
	return s.Normalize()
}

func TestSelectorImplies(t *testing.T) {
	cases := []struct {
		a, b Selector
		want bool
	}{
		{sel("app", "web"), sel(), true},
		{sel(), sel(), true},
		{sel("app", "web", "tier", "x"), sel("app", "web"), true},
		{sel("app", "web"), sel("app", "web", "tier", "x"), false},
		{sel("app", "web"), withExpr(sel(), "app", OpIn, "api", "web"), true},
		{sel("app", "web"), withExpr(sel(), "app", OpExists), true},
		{sel("app", "web"), withExpr(sel(), "app", OpNotIn, "api"), true},
		{sel("app", "web"), withExpr(sel(), "app", OpNotIn, "web"), false},
		{sel("app", "web"), withExpr(sel(), "app", OpDoesNotExist), false},
		{withExpr(sel(), "app", OpIn, "a", "b"), withExpr(sel(), "app", OpIn, "a", "b", "c"), true},
		{withExpr(sel(), "app", OpIn, "a", "d"), withExpr(sel(), "app", OpIn, "a", "b"), false},
		{withExpr(withExpr(sel(), "app", OpIn, "a", "d"), "app", OpNotIn, "d"), sel("app", "a"), true},
		{withExpr(sel(), "app", OpIn, "a", "b"), withExpr(sel(), "app", OpExists), true},
		{withExpr(sel(), "app", OpIn, "a", "b"), withExpr(sel(), "app", OpNotIn, "c"), true},
		{withExpr(sel(), "app", OpDoesNotExist), withExpr(sel(), "app", OpNotIn, "a"), true},
		{withExpr(sel(), "app", OpNotIn, "a", "b"), withExpr(sel(), "app", OpNotIn, "a"), true},
		{withExpr(sel(), "app", OpNotIn, "a"), withExpr(sel(), "app", OpNotIn, "a", "b"), false},
		{withExpr(sel(), "app", OpExists), withExpr(sel(), "app", OpNotIn, "a"), false},
		{withExpr(sel(), "app", OpExists), withExpr(sel(), "app", OpIn, "a"), false},
		{withExpr(sel(), "app", OpNotIn, "a"), withExpr(sel(), "app", OpDoesNotExist), false},
		{sel(), sel("app", "web"), false},
		{sel(), withExpr(sel(), "app", OpNotIn, "a"), false},
		{sel(), withExpr(sel(), "app", OpDoesNotExist), false},
		// Different keys are independent.
		{sel("app", "web"), withExpr(sel(), "tier", OpDoesNotExist), false},
		{withExpr(sel("app", "web"), "tier", OpDoesNotExist), withExpr(sel(), "tier", OpNotIn, "x"), true},
	}
	for _, c := range cases {
		if got := c.a.Implies(c.b); got != c.want {
			t.Errorf("%s.Implies(%s) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestSelectorMayIntersect(t *testing.T) {
	cases := []struct {
		a, b Selector
		want bool
	}{
		{sel(), sel(), true},
		{sel("app", "web"), sel("tier", "x"), true},
		{sel("app", "web"), sel("app", "api"), false},
		{sel("app", "web"), withExpr(sel(), "app", OpNotIn, "web"), false},
		{sel("app", "web"), withExpr(sel(), "app", OpDoesNotExist), false},
		{withExpr(sel(), "app", OpIn, "a", "b"), withExpr(sel(), "app", OpIn, "b", "c"), true},
		{withExpr(sel(), "app", OpIn, "a"), withExpr(sel(), "app", OpIn, "c"), false},
		{withExpr(sel(), "app", OpIn, "a", "b"), withExpr(sel(), "app", OpNotIn, "a", "b"), false},
		{withExpr(sel(), "app", OpExists), withExpr(sel(), "app", OpNotIn, "a"), true},
		{withExpr(sel(), "app", OpExists), withExpr(sel(), "app", OpDoesNotExist), false},
		{withExpr(sel(), "app", OpNotIn, "a"), withExpr(sel(), "app", OpDoesNotExist), true},
		// One side alone matches nothing.
		{sel("app", "a", "app", "b"), sel(), false},
	}
	for _, c := range cases {
		for _, x := range [][2]Selector{{c.a, c.b}, {c.b, c.a}} {
			if got := x[0].MayIntersect(x[1]); got != c.want {
				t.Errorf("%s.MayIntersect(%s) = %v, want %v", x[0], x[1], got, c.want)
			}
		}
	}
}

// Keys and values of the random selectors and label sets below. The label
// sets give each key one of the values or an extra value that no selector
// names, or leave it out: every label set is like one of them as far as the
// selectors can tell, so checking them all decides containment exactly.
var (
	propKeys   = []string{"a", "b", "c"}
	propValues = []string{"1", "2", "3"}
)

func randomSelector(r *rand.Rand) Selector {
	var s Selector
	for n := r.Intn(4); n > 0; n-- {
		key := propKeys[r.Intn(len(propKeys))]
		var vals []string
		for _, v := range propValues {
			if r.Intn(2) == 0 {
				vals = append(vals, v)
			}
		}
		switch r.Intn(5) {
		case 0:
			s.MatchLabels = append(s.MatchLabels, Label{Key: key, Value: propValues[r.Intn(len(propValues))]})
		case 1:
			s.MatchExpressions = append(s.MatchExpressions, Expression{Key: key, Operator: OpIn, Values: vals})
		case 2:
			s.MatchExpressions = append(s.MatchExpressions, Expression{Key: key, Operator: OpNotIn, Values: vals})
		case 3:
			s.MatchExpressions = append(s.MatchExpressions, Expression{Key: key, Operator: OpExists})
		case 4:
			s.MatchExpressions = append(s.MatchExpressions, Expression{Key: key, Operator: OpDoesNotExist})
		}
	}
	return s.Normalize()
}

// allLabelSets returns every label set over propKeys with a value of
// propValues, the value "other", or no value.
func allLabelSets() []map[string]string {
	sets := []map[string]string{{}}
	for _, k := range propKeys {
		var next []map[string]string
		for _, s := range sets {
			next = append(next, s)
			for _, v := range append(slices.Clip(propValues), "other") {
				c := map[string]string{k: v}
				for k2, v2 := range s {
					c[k2] = v2
				}
				next = append(next, c)
			}
		}
		sets = next
	}
	return sets
}

// TestSelectorProperties checks Implies and MayIntersect against Matches on
// every label set of the universe, for random selectors: both must be sound,
// and both are exact except that Implies may miss a vacuous truth.
func TestSelectorProperties(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	sets := allLabelSets()
	var implied, intersecting int
	for range 5000 {
		s, u := randomSelector(r), randomSelector(r)
		subset, common, sEmpty := true, false, true
		for _, l := range sets {
			ms, mu := s.Matches(l), u.Matches(l)
			if ms && !mu {
				subset = false
			}
			common = common || (ms && mu)
			sEmpty = sEmpty && !ms
		}
		if got := s.Implies(u); got != subset && (got || !sEmpty) {
			t.Fatalf("%s.Implies(%s) = %v, but on every label set it is %v", s, u, got, subset)
		}
		if got := s.MayIntersect(u); got != common {
			t.Fatalf("%s.MayIntersect(%s) = %v, but on every label set it is %v", s, u, got, common)
		}
		if subset && !sEmpty {
			implied++
		}
		if common {
			intersecting++
		}
	}
	if implied < 100 || intersecting < 100 || intersecting > 4900 {
		t.Errorf("weak sample: %d implications, %d intersections of 5000", implied, intersecting)
	}
}
