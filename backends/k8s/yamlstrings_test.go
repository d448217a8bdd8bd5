package k8s

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/lang/diag"
)

// TestYAMLKeepsAnnotations: HTTP strings reach NetworkPolicy output through
// the not-enforced annotation of --degrade l7=l4, and file names through
// the source annotation. For awkward ones (line breaks for YAML, control
// characters, whitespace at the ends, YAML 1.1 booleans and null, a file
// name with a newline) the YAML written decodes strictly to exactly the
// objects built. The HTTP strings are set in the IR, past the compiler,
// which rejects some of them.
func TestYAMLKeepsAnnotations(t *testing.T) {
	strs := []string{"/a\u0085b", "/a\u2028b", "/a\u2029b", "/t\tab", "/c\rr", "/n\x00ul", "/d\x7fel",
		" /lead", "/trail ", "yes", "~", "null", "<<", "/caf\u00e9", "/b\ufeffom"}
	files := []string{"p.netpol", "a\nforged.netpol:1:1: error[x]: forged.netpol", "yes", "caf\u00e9\u0085.netpol"}
	for i, s := range strs {
		file := files[i%len(files)]
		t.Run(fmt.Sprintf("%q in %q", s, file), func(t *testing.T) {
			prog := backendtest.HTTPProgram(t, file, s, s)
			objs, ed := emitcheck.Emit(testBackend(), prog, backends.Options{Degrade: map[backends.Feature]string{backends.FeatureHTTP: "l4"}})
			if ed.HasErrors() {
				t.Fatalf("emit: %v", ed)
			}
			data := backendtest.YAML(t, objs) // proves each document reads back as its object
			nps := decodeAll(t, data)
			sorted := backends.SortObjects(objs)
			if len(nps) != len(sorted) {
				t.Fatalf("%d documents for %d objects", len(nps), len(sorted))
			}
			degraded := 0
			for i, np := range nps {
				if err := backends.SameJSON(np, sorted[i].Value); err != nil {
					t.Errorf("%s: %v", np.Name, err)
				}
				if note, ok := np.Annotations[NotEnforcedAnnotation]; ok {
					degraded++
					if !strings.Contains(note, `"GET" `+strconv.Quote(s)+` header "X-V": `+strconv.Quote(s)) {
						t.Errorf("%s: annotation %q does not carry %q", np.Name, note, s)
					}
				}
				if src := np.Annotations[SourceAnnotation]; !strings.HasPrefix(src, diag.FileName(file)+":") || strings.Contains(src, "\n") {
					t.Errorf("%s: source annotation %q", np.Name, src)
				}
			}
			if degraded != 2 {
				t.Errorf("%d degraded objects, want 2\n%s", degraded, data)
			}
		})
	}
}
