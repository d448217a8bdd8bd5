package analysis

import (
	"fmt"
	"strings"

	"github.com/netpolc/netpolc/compile/reach"
)

// Change is what a change of policy does to the connections from one node
// to another.
type Change struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Opened are the connections NEW allows and OLD does not; Closed the
	// reverse.
	Opened reach.Conns `json:"-"`
	Closed reach.Conns `json:"-"`
	// Unrestricted are the ports allowed by both on which OLD restricted
	// requests with HTTP or DNS rules and NEW does not (more requests
	// pass); Restricted the reverse.
	Unrestricted reach.L7Ports `json:"-"`
	Restricted   reach.L7Ports `json:"-"`
}

// Opens reports whether the change lets through anything that did not
// pass before.
func (c Change) Opens() bool { return !c.Opened.IsEmpty() || !c.Unrestricted.IsEmpty() }

// Closes reports whether the change stops anything that passed before.
func (c Change) Closes() bool { return !c.Closed.IsEmpty() || !c.Restricted.IsEmpty() }

// Diff is the difference between two programs over one world.
type Diff struct {
	World   string
	Nodes   []Node
	Changes []Change // in node order, from then to
}

// NewDiff compares the first two analyses of c (OLD, then NEW).
func NewDiff(c *Connectivity, world string) *Diff {
	d := &Diff{World: world, Nodes: c.Nodes}
	for i := range c.Nodes {
		for j := range c.Nodes {
			if !c.Policed(i, j) {
				continue
			}
			old, cur := c.CellOf(0, i, j), c.CellOf(1, i, j)
			if old.Equal(cur) {
				continue
			}
			ch := Change{From: c.Nodes[i].Name, To: c.Nodes[j].Name, Opened: cur.Minus(old), Closed: old.Minus(cur)}
			ch.Unrestricted = l7Minus(old, cur)
			ch.Restricted = l7Minus(cur, old)
			if ch.Opens() || ch.Closes() {
				d.Changes = append(d.Changes, ch)
			}
		}
	}
	return d
}

// l7Minus returns the ports allowed by both a and b that a restricts at
// L7 and b does not.
func l7Minus(a, b reach.Conns) reach.L7Ports {
	f := func(al, bl, ap, bp reach.PortSet) reach.PortSet {
		return al.Minus(bl).Intersect(ap).Intersect(bp)
	}
	return reach.L7Ports{
		TCP:  f(a.L7.TCP, b.L7.TCP, a.TCP, b.TCP),
		UDP:  f(a.L7.UDP, b.L7.UDP, a.UDP, b.UDP),
		SCTP: f(a.L7.SCTP, b.L7.SCTP, a.SCTP, b.SCTP),
	}
}

// Opened and Closed count the changes that open and close something.
func (d *Diff) Opened() int { return d.count(Change.Opens) }

// Closed counts the changes that close something.
func (d *Diff) Closed() int { return d.count(Change.Closes) }

func (d *Diff) count(f func(Change) bool) int {
	n := 0
	for _, c := range d.Changes {
		if f(c) {
			n++
		}
	}
	return n
}

func l7Text(l reach.L7Ports) string {
	var parts []string
	for _, p := range []struct {
		name string
		s    reach.PortSet
	}{{"TCP", l.TCP}, {"UDP", l.UDP}, {"SCTP", l.SCTP}} {
		if len(p.s) > 0 {
			parts = append(parts, p.name+" "+p.s.String())
		}
	}
	return strings.Join(parts, "; ")
}

// Markdown renders d for a code review comment: a summary line, then a
// table of the opened and one of the closed connections.
func (d *Diff) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**netpolc diff**: %s opened, %s closed\n\n", pairs(d.Opened()), pairs(d.Closed()))
	fmt.Fprintf(&b, "World: %s.\n", d.World)
	section := func(title string, pick func(Change) (reach.Conns, reach.L7Ports), verb string) {
		var rows []string
		for _, c := range d.Changes {
			x, l7 := pick(c)
			var cells []string
			if !x.IsEmpty() {
				cells = append(cells, x.String())
			}
			if !l7.IsEmpty() {
				cells = append(cells, verb+" "+l7Text(l7))
			}
			if len(cells) > 0 {
				rows = append(rows, fmt.Sprintf("| `%s` | `%s` | %s |", c.From, c.To, strings.Join(cells, "; ")))
			}
		}
		fmt.Fprintf(&b, "\n### %s\n\n", title)
		if len(rows) == 0 {
			b.WriteString("None.\n")
			return
		}
		b.WriteString("| from | to | connections |\n|---|---|---|\n")
		b.WriteString(strings.Join(rows, "\n") + "\n")
	}
	section("Opened", func(c Change) (reach.Conns, reach.L7Ports) { return c.Opened, c.Unrestricted }, "requests no longer restricted at L7 on")
	section("Closed", func(c Change) (reach.Conns, reach.L7Ports) { return c.Closed, c.Restricted }, "requests now restricted at L7 on")
	return b.String()
}

func pairs(n int) string {
	if n == 1 {
		return "1 pair"
	}
	return fmt.Sprintf("%d pairs", n)
}

// DiffJSON is the schema of "netpolc diff --format json" (docs/analysis.md).
type DiffJSON struct {
	World   string       `json:"world"`
	Opened  int          `json:"opened"` // pairs with something opened
	Closed  int          `json:"closed"` // pairs with something closed
	Nodes   []Node       `json:"nodes"`
	Changes []ChangeJSON `json:"changes"`
}

// ChangeJSON is one pair of nodes whose connections changed.
type ChangeJSON struct {
	From         string     `json:"from"`
	To           string     `json:"to"`
	Opened       *ConnsJSON `json:"opened,omitempty"`
	Closed       *ConnsJSON `json:"closed,omitempty"`
	Unrestricted *L7JSON    `json:"unrestricted,omitempty"`
	Restricted   *L7JSON    `json:"restricted,omitempty"`
}

// JSON renders d (DiffJSON), indented, with a final newline.
func (d *Diff) JSON() ([]byte, error) {
	out := DiffJSON{World: d.World, Opened: d.Opened(), Closed: d.Closed(), Nodes: d.Nodes, Changes: []ChangeJSON{}}
	for _, c := range d.Changes {
		cj := ChangeJSON{From: c.From, To: c.To}
		if !c.Opened.IsEmpty() {
			x := NewConnsJSON(c.Opened)
			cj.Opened = &x
		}
		if !c.Closed.IsEmpty() {
			x := NewConnsJSON(c.Closed)
			cj.Closed = &x
		}
		if !c.Unrestricted.IsEmpty() {
			cj.Unrestricted = &L7JSON{TCP: ranges(c.Unrestricted.TCP), UDP: ranges(c.Unrestricted.UDP), SCTP: ranges(c.Unrestricted.SCTP)}
		}
		if !c.Restricted.IsEmpty() {
			cj.Restricted = &L7JSON{TCP: ranges(c.Restricted.TCP), UDP: ranges(c.Restricted.UDP), SCTP: ranges(c.Restricted.SCTP)}
		}
		out.Changes = append(out.Changes, cj)
	}
	return marshal(out)
}
