package compile

import (
	"math/rand"
	"testing"

	"github.com/netpolc/netpolc/lang/ast"
)

// TestKeyConstraintEmpty checks keyConstraint.empty against brute force on
// random conjunctions of terms on one key: the key absent, or one of the
// written values, or a value no term names.
func TestKeyConstraintEmpty(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	names := []string{"a", "b", "c"}
	values := func() []ast.String {
		n := 1 + r.Intn(3)
		var out []ast.String
		for range n {
			out = append(out, ast.String{Value: names[r.Intn(len(names))]})
		}
		return out
	}
	holds := func(t ast.LabelTerm, present bool, v string) bool {
		in := false
		for _, x := range t.Values {
			in = in || x.Value == v
		}
		switch t.Op {
		case ast.OpEq, ast.OpIn:
			return present && in
		case ast.OpNotEq, ast.OpNotIn:
			return !present || !in
		case ast.OpExists:
			return present
		}
		return !present
	}
	empties := 0
	for range 20000 {
		var k keyConstraint
		var terms []ast.LabelTerm
		for range 1 + r.Intn(4) {
			tm := ast.LabelTerm{Op: ast.LabelOp(r.Intn(6))}
			switch tm.Op {
			case ast.OpEq, ast.OpNotEq:
				tm.Values = values()[:1]
			case ast.OpIn, ast.OpNotIn:
				tm.Values = values()
			}
			terms = append(terms, tm)
			k.add(tm)
		}
		want := true // empty
		for _, st := range []struct {
			present bool
			v       string
		}{{false, ""}, {true, "a"}, {true, "b"}, {true, "c"}, {true, "other"}} {
			all := true
			for _, tm := range terms {
				all = all && holds(tm, st.present, st.v)
			}
			if all {
				want = false
			}
		}
		if k.empty() != want {
			t.Fatalf("%v: empty() = %v, want %v", terms, k.empty(), want)
		}
		if want {
			empties++
		}
	}
	if empties == 0 {
		t.Fatal("no empty conjunction generated")
	}
}

func TestReservedLabelKey(t *testing.T) {
	for key, want := range map[string]bool{
		"io.kubernetes.pod.namespace":                     true,
		"io.cilium.k8s.namespace.labels.team":             true,
		"io.cilium.k8s.namespace.labels":                  true,
		"io.cilium.k8s.policy.serviceaccount":             true,
		"io.cilium.k8s.policy.cluster":                    true,
		"io.cilium.k8s.policy.name":                       true,
		"io.cilium.k8sx":                                  true,
		"io.kubernetes.pod.namespace2":                    false,
		"io.kubernetes.pod.name":                          false,
		"IO.cilium.k8s.namespace.labels.team":             false,
		"k8s.io/io.kubernetes.pod.namespace":              false,
		"io.cilium/bgp-control-plane":                     false,
		"kubernetes.io/metadata.name":                     false,
		"example.com/io.cilium.k8s.namespace.labels.team": false,
		"io.cilium.k8":                                    false,
	} {
		if _, got := reservedLabelKey(key); got != want {
			t.Errorf("reservedLabelKey(%q) = %v, want %v", key, got, want)
		}
	}
}
