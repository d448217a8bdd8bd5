package k8s

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/source"
)

// TestImportParallelSameAsSequential imports a stream of many objects
// (enough for Import to convert them in parallel) with duplicates,
// objects that do not decode, invalid ones and warnings spread through
// it, and requires the same program and the same diagnostics, in the same
// order, as on one processor (one goroutine), and as when every object is
// converted as soon as it is read and its YAML dropped (ObjectImporter).
func TestImportParallelSameAsSequential(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 300; i++ {
		name := fmt.Sprintf("p%d", i)
		if i%50 == 7 {
			name = "p3" // a duplicate
		}
		fmt.Fprintf(&b, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: %s, namespace: ns}\nspec:\n", name)
		switch i % 37 {
		case 5:
			b.WriteString("  podSelector: [1]\n") // does not decode
		case 11:
			b.WriteString("  podSelector: {}\n  ingress:\n  - from: [{ipBlock: {cidr: 10.0.0.1/8}}]\n") // warning: host bits
		case 13:
			b.WriteString("  podSelector: {matchLabels: {\"a b\": x}}\n") // invalid label key
		case 17:
			b.WriteString("  podSelector: {}\n  egress:\n  - to: [{podSelector: {}}]\n") // egress only, no policyTypes
		default:
			fmt.Fprintf(&b, "  podSelector: {matchLabels: {app: a%d}}\n  policyTypes: [Ingress]\n  ingress:\n  - ports: [{port: %d}]\n", i, 1+i)
		}
	}
	file := source.NewFile("many.yaml", []byte(b.String()))
	importOnce := func() (string, string) {
		prog, _, diags := importFiles([]*source.File{file}, "")
		var d strings.Builder
		for _, x := range diags {
			d.WriteString(x.Error() + "\n")
		}
		if prog == nil {
			return "<nil>", d.String()
		}
		return ir.Format(prog), d.String()
	}
	prog, diags := importOnce()
	// Converted ahead as netpolc.Import does (backends.ObjectImporter:
	// each object converted as it is read, its YAML then dropped).
	var mu sync.Mutex
	ahead := map[*yamlsrc.Object]any{}
	objs, readDiags := yamlsrc.Read([]*source.File{file}, yamlsrc.Options{Kinds: ImportKinds, Each: func(o *yamlsrc.Object) bool {
		c := Backend{}.Convert(o)
		mu.Lock()
		ahead[o] = c
		mu.Unlock()
		return false
	}})
	cs := make([]any, len(objs))
	for i, o := range objs {
		cs[i] = ahead[o]
	}
	aheadProg, aheadDiags := Backend{}.ImportConverted(objs, cs)
	readDiags.Append(aheadDiags)
	var ad strings.Builder
	for _, x := range readDiags {
		ad.WriteString(x.Error() + "\n")
	}
	if got := ir.Format(aheadProg); got != prog || ad.String() != diags {
		t.Errorf("converted ahead, YAML dropped:\n%s\n%s\nwant\n%s\n%s", got, ad.String(), prog, diags)
	}
	old := runtime.GOMAXPROCS(1)
	seqProg, seqDiags := importOnce()
	runtime.GOMAXPROCS(old)
	if prog != seqProg {
		t.Errorf("programs differ:\n--- parallel\n%s\n--- sequential\n%s", prog, seqProg)
	}
	if diags != seqDiags {
		t.Errorf("diagnostics differ:\n--- parallel\n%s\n--- sequential\n%s", diags, seqDiags)
	}
	for _, want := range []string{"defined twice", "host bits", "ingress-isolated"} {
		if !strings.Contains(diags, want) {
			t.Errorf("no %q among the diagnostics:\n%s", want, diags)
		}
	}
	if strings.Count(diags, "error") < 10 {
		t.Errorf("too few errors:\n%s", diags)
	}
}
