// Package yamlmutate makes small random changes to block-style YAML text,
// for the tests that hold two readers of the same input to each other
// (backends/yamlsrc's fast decoder, backends/world's lean read).
package yamlmutate

import (
	"math/rand"
	"strings"
)

// Lines changes one to three lines of text: a value replaced by one of
// values, a line removed or given twice, or an unknown field added at the
// line's indentation. The draws from r depend only on text and values, so a
// seeded r gives the same mutations in every run.
func Lines(r *rand.Rand, text string, values []string) string {
	lines := strings.Split(text, "\n")
	for n := 1 + r.Intn(3); n > 0 && len(lines) > 0; n-- {
		i := r.Intn(len(lines))
		l := lines[i]
		switch r.Intn(5) {
		case 0, 1:
			if k, _, ok := strings.Cut(l, ": "); ok {
				lines[i] = k + ": " + values[r.Intn(len(values))]
			}
		case 2:
			lines = append(lines[:i], lines[i+1:]...)
		case 3:
			lines = append(lines[:i+1], lines[i:]...)
		default:
			ind := len(l) - len(strings.TrimLeft(l, " -"))
			lines = append(lines[:i+1], append([]string{strings.Repeat(" ", ind) + "unknownField: 1"}, lines[i+1:]...)...)
		}
	}
	return strings.Join(lines, "\n")
}
