package backends

import (
	"slices"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
)

// stagedBackend records the stages Run calls and fails the one named fail.
type stagedBackend struct {
	fakeBackend
	fail  string
	calls *[]string
}

func (b stagedBackend) Prepare(p *ir.Program, _ Options) (*ir.Program, diag.List) {
	*b.calls = append(*b.calls, "prepare")
	var d diag.List
	if b.fail == "prepare" {
		d.Errorf("x", line(1), "prepare fails")
		return nil, d
	}
	cp := *p
	return &cp, d
}

func (b stagedBackend) Emit(*ir.Program) ([]Object, diag.List) {
	*b.calls = append(*b.calls, "emit")
	var d diag.List
	if b.fail == "emit" {
		d.Errorf("internal", line(1), "emit fails")
	}
	return []Object{{Name: "o"}}, d
}

// TestRunStages: CheckCapabilities, Prepare and Emit run in order, each
// only when the ones before reported no error; with an error, no objects.
func TestRunStages(t *testing.T) {
	all := Capabilities{}
	for _, u := range Features(testProgram()) {
		all[u.Feature] = Capability{Support: Yes}
	}
	for _, c := range []struct {
		fail  string
		caps  Capabilities
		calls []string
		objs  int
	}{
		{"", all, []string{"prepare", "emit"}, 1},
		{"", Capabilities{}, nil, 0},
		{"prepare", all, []string{"prepare"}, 0},
		{"emit", all, []string{"prepare", "emit"}, 0},
	} {
		var calls []string
		b := stagedBackend{fakeBackend: fakeBackend{name: "t", caps: c.caps}, fail: c.fail, calls: &calls}
		p := testProgram()
		prepared, objs, diags := Run(b, p, Options{})
		if !slices.Equal(calls, c.calls) || len(objs) != c.objs {
			t.Errorf("fail %q, caps %d: calls %v, %d objects; want %v, %d", c.fail, len(c.caps), calls, len(objs), c.calls, c.objs)
		}
		if (c.objs == 0) != diags.HasErrors() {
			t.Errorf("fail %q: errors %v with %d objects", c.fail, diags, len(objs))
		}
		if c.fail == "" && len(c.caps) > 0 && (prepared == nil || prepared == p) {
			t.Errorf("Run did not return the prepared program")
		}
	}
}
