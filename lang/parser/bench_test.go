package parser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/source"
)

// benchSource returns a file of n statements in the proportions of a large
// real program: a namespace block now and then, group declarations with
// selectors, namespaces and unions, and rules with ports, some with an
// HTTP block.
func benchSource(n int) []byte {
	var b strings.Builder
	for i := 0; i < n; i++ {
		switch i % 10 {
		case 0:
			fmt.Fprintf(&b, "namespace ns%d\n", i/10)
		case 1, 2:
			fmt.Fprintf(&b, "g%d = {app: web-%d, tier in (front, edge), !canary}\n", i, i)
		case 3:
			fmt.Fprintf(&b, "h%d = monitoring/{app.kubernetes.io/name: prom-%d}, ns{env: dev}/{app: t}\n", i, i)
		case 4:
			fmt.Fprintf(&b, "u%d = g%d, g%d, h%d  # a union\n", i, i-3, i-2, i-1)
		case 5, 6:
			fmt.Fprintf(&b, "g%d -> h%d:[8080, 9000-9100/tcp, metrics]\n", i-4, i-3)
		case 7:
			fmt.Fprintf(&b, "u%d -> 10.0.0.0/8 except [10.1.0.0/16, 10.2.0.0/16]:443, \"*.example.com\":443\n", i-3)
		case 8:
			fmt.Fprintf(&b, "g%d -> h%d:80 http {\n  GET /api/.* header X-A: b\n  POST /x\n}\n", i-7, i-5)
		case 9:
			fmt.Fprintf(&b, "expect g%d -> h%d:8080 allowed\n", i-8, i-6)
		}
	}
	return []byte(b.String())
}

// BenchmarkParse parses a generated file of 10,000 statements.
func BenchmarkParse(b *testing.B) {
	src := benchSource(10000)
	if _, diags := ParseFile(source.NewFile("bench.netpol", src)); len(diags) > 0 {
		b.Fatal(diags)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		ParseFile(source.NewFile("bench.netpol", src))
	}
}
