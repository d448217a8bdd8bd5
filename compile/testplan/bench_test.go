package testplan_test

import (
	"fmt"
	"testing"

	"github.com/netpolc/netpolc/compile/testplan"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
)

// BenchmarkNew builds the plan of the benchmarks' program (backendtest's
// BenchSource) over its representative world, and renders it as YAML.
func BenchmarkNew(b *testing.B) {
	for _, arrows := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("arrows=%d", arrows), func(b *testing.B) {
			prog, diags := backendtest.CompileFiles(backendtest.BenchSource(arrows), nil)
			if diags.HasErrors() || prog == nil {
				b.Fatalf("compile: %v", diags)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				plan, err := testplan.New(prog, nil, testplan.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(len(plan.Probes)), "probes")
			}
		})
	}
}

// BenchmarkYAML renders the plan of 1000 arrows as YAML.
func BenchmarkYAML(b *testing.B) {
	prog, diags := backendtest.CompileFiles(backendtest.BenchSource(1000), nil)
	if diags.HasErrors() || prog == nil {
		b.Fatalf("compile: %v", diags)
	}
	plan, err := testplan.New(prog, nil, testplan.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := plan.YAML(); err != nil {
			b.Fatal(err)
		}
	}
}
