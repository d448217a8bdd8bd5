package compile

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/shapes"
	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/source"
)

// chainSource is a program of n groups, each the previous one
// (g2 = g1, ..., gN = g(N-1)), and one rule using the last.
func chainSource(n int) []byte { return shapes.ChainSource(n) }

// doublingSource is a program of n groups, each naming the previous one
// twice (g2 = g1, g1, ...), and one rule using the last. Expanded naively,
// the last group would hold 2^(n-1) peers.
func doublingSource(n int) []byte {
	var b strings.Builder
	b.WriteString("namespace shop\nallow dns\ng1 = {app: a}, {app: b}\n")
	for i := 2; i <= n; i++ {
		fmt.Fprintf(&b, "g%d = g%d, g%d\n", i, i-1, i-1)
	}
	fmt.Fprintf(&b, "g%d -> g1:80/tcp\n", n)
	return []byte(b.String())
}

func BenchmarkGroupChain(b *testing.B) {
	src := chainSource(100000)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, diags := Compile([]*source.File{source.NewFile("chain.netpol", src)}, Options{}); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}

// checked runs the stages up to check on src and fails on errors.
func checkedCompiler(t *testing.T, name string, src []byte) *compiler {
	t.Helper()
	c := newCompiler([]*source.File{source.NewFile(name, src)}, Options{})
	for _, st := range stages[:3] {
		if d := st.run(c); d.HasErrors() {
			t.Fatalf("%s: %v", st.name, d.Normalize()[0])
		}
	}
	return c
}

func formatPeers(rps []rpeer) []string {
	var out []string
	for _, rp := range rps {
		out = append(out, ir.FormatPeer(*rp.peer))
	}
	return out
}

// TestGroupChains checks long and doubling chains of groups: each group
// resolves to the peers of the first, each once, also through NS/group.
func TestGroupChains(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  []byte
		last string
		want []string // the peers of every group
	}{
		{"chain", chainSource(100000), "g100000", []string{"shop/{app: a}"}},
		{"doubling", doublingSource(60), "g60", []string{"shop/{app: a}", "shop/{app: b}"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := fmt.Appendf(tt.src, "g1 -> prod/%s:80/tcp\n", tt.last)
			if len(tt.want) == 1 { // an expectation needs one peer
				src = fmt.Appendf(src, "expect %s -> g1:80 allowed\n", tt.last)
			}
			c := checkedCompiler(t, tt.name+".netpol", src)
			for name, g := range c.groups {
				if got := formatPeers(g.peers); !slices.Equal(got, tt.want) {
					t.Fatalf("%s resolves to %v, want %v", name, got, tt.want)
				}
			}
			// The NS/group peer of the rule.
			var r *ast.Rule
			for _, s := range c.order[0].Stmts {
				if rule, ok := s.(*ast.Rule); ok {
					r = rule
				}
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, strings.Replace(w, "shop/", "prod/", 1))
			}
			if got := formatPeers(c.peers[r.Targets[0].Peer]); !slices.Equal(got, want) {
				t.Errorf("prod/%s resolves to %v, want %v", tt.last, got, want)
			}
		})
	}
}

// TestGroupChainCycles closes the chains into cycles: each is reported once,
// with its path, at its first group.
func TestGroupChainCycles(t *testing.T) {
	chain := append(chainSource(100000), "g1 = g100000\nx = prod/g100000\n"...)
	chain = bytes.Replace(chain, []byte("g1 = {app: a}\n"), nil, 1)
	doubling := append(doublingSource(60), "g1 = g60\nx = prod/g60\n"...)
	doubling = bytes.Replace(doubling, []byte("g1 = {app: a}, {app: b}\n"), nil, 1)
	for _, tt := range []struct {
		name string
		src  []byte
		path string
	}{
		{"chain", chain, "g1 -> g100000 -> g99999 -> "},
		{"doubling", doubling, "g1 -> g60 -> g59 -> "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Compile([]*source.File{source.NewFile(tt.name+".netpol", tt.src)}, Options{})
			var cycles []string
			for _, d := range diags {
				if d.Code == CodeGroupCycle {
					cycles = append(cycles, d.Message)
				}
			}
			if len(cycles) != 1 || !strings.HasPrefix(cycles[0], "group g1 refers to itself: "+tt.path) || !strings.HasSuffix(cycles[0], " -> g2 -> g1") {
				t.Errorf("cycles reported: %.200q", cycles)
			}
		})
	}
}
