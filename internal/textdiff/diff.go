// Package textdiff writes unified line diffs, for netpolc fmt -d. Written
// here rather than taken from a library: it is about a hundred lines (Myers'
// algorithm and hunk grouping), and the well-known Go diff libraries either
// diff characters rather than lines, are no longer maintained, or would be
// this module's only dependency for one flag. It lives in a package of its
// own so that its fuzz target builds without the compiler's dependencies.
package textdiff

import (
	"bytes"
	"fmt"
	"io"
)

// diffContext is the number of unchanged lines shown around each change.
const diffContext = 3

// maxDiffEdits bounds the work of the line diff: beyond this many inserted
// plus deleted lines the diff replaces every line, which is correct, only
// less minimal.
const maxDiffEdits = 4000

type editKind int8

const (
	editEqual editKind = iota
	editDelete
	editInsert
)

// edit is one line of a diff script: a line of a kept (editEqual), removed
// (editDelete) or b added (editInsert).
type edit struct {
	kind editKind
	// a and b are 0-based line indexes into a and b. For a deletion, b is
	// the number of lines of b before it; for an insertion, a is the number
	// of lines of a before it: where an empty side of a hunk sits.
	a, b int
}

// splitLines splits text into lines, each with its "\n" except perhaps the
// last.
func splitLines(text []byte) []string {
	var lines []string
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			lines = append(lines, string(text))
			break
		}
		lines = append(lines, string(text[:i+1]))
		text = text[i+1:]
	}
	return lines
}

// lineEdits returns a shortest edit script turning a into b (Myers, "An
// O(ND) Difference Algorithm and Its Variations", 1986), or a delete-all,
// insert-all script when more than maxDiffEdits edits are needed.
func lineEdits(a, b []string) []edit {
	n, m := len(a), len(b)
	limit := min(n+m, maxDiffEdits)
	offset := limit + 1
	v := make([]int, 2*limit+3) // v[k+offset]: furthest x on diagonal k
	var trace [][]int           // trace[d][k+d]: v after step d, for k in [-d, d]
	for d := 0; d <= limit; d++ {
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[k-1+offset] < v[k+1+offset]) {
				x = v[k+1+offset] // down: insert b[y-1]
			} else {
				x = v[k-1+offset] + 1 // right: delete a[x-1]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[k+offset] = x
			if x >= n && y >= m {
				trace = append(trace, append([]int(nil), v[offset-d:offset+d+1]...))
				return backtrack(trace, n, m)
			}
		}
		trace = append(trace, append([]int(nil), v[offset-d:offset+d+1]...))
	}
	var script []edit
	for i := range a {
		script = append(script, edit{kind: editDelete, a: i, b: 0})
	}
	for j := range b {
		script = append(script, edit{kind: editInsert, a: n, b: j})
	}
	return script
}

// backtrack walks the trace of lineEdits back from (n, m) to (0, 0).
func backtrack(trace [][]int, n, m int) []edit {
	var rev []edit
	x, y := n, m
	for d := len(trace) - 1; d > 0; d-- {
		prev := trace[d-1] // prev[k+d-1]
		at := func(k int) int { return prev[k+d-1] }
		k := x - y
		var prevK int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		startX, startY := prevX, prevY+1 // after an insertion
		if prevK == k-1 {
			startX, startY = prevX+1, prevY // after a deletion
		}
		for x > startX && y > startY {
			x, y = x-1, y-1
			rev = append(rev, edit{kind: editEqual, a: x, b: y})
		}
		if prevK == k-1 {
			rev = append(rev, edit{kind: editDelete, a: prevX, b: prevY})
		} else {
			rev = append(rev, edit{kind: editInsert, a: prevX, b: prevY})
		}
		x, y = prevX, prevY
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, edit{kind: editEqual, a: x, b: y})
	}
	script := make([]edit, len(rev))
	for i, e := range rev {
		script[len(rev)-1-i] = e
	}
	return script
}

// WriteUnified writes the unified diff (diff -u) of a and b, labelled
// aName and bName, to w. Equal inputs write nothing.
func WriteUnified(w io.Writer, aName, bName string, a, b []byte) {
	if bytes.Equal(a, b) {
		return
	}
	al, bl := splitLines(a), splitLines(b)
	script := lineEdits(al, bl)
	fmt.Fprintf(w, "--- %s\n+++ %s\n", aName, bName)
	for i := 0; i < len(script); {
		// Find the next change, then extend the hunk while the changes are
		// at most 2*diffContext equal lines apart.
		for i < len(script) && script[i].kind == editEqual {
			i++
		}
		if i == len(script) {
			break
		}
		start := max(0, i-diffContext)
		end := i
		for end < len(script) {
			if script[end].kind != editEqual {
				end++
				continue
			}
			run := end
			for run < len(script) && script[run].kind == editEqual {
				run++
			}
			if run == len(script) || run-end > 2*diffContext {
				end = min(run, end+diffContext)
				break
			}
			end = run
		}
		writeHunk(w, script[start:end], al, bl)
		i = end
	}
}

// writeHunk writes one "@@ -a,n +b,m @@" hunk.
func writeHunk(w io.Writer, hunk []edit, al, bl []string) {
	aCount, bCount := 0, 0
	for _, e := range hunk {
		if e.kind != editInsert {
			aCount++
		}
		if e.kind != editDelete {
			bCount++
		}
	}
	fmt.Fprintf(w, "@@ -%s +%s @@\n", hunkRange(hunk[0].a, aCount), hunkRange(hunk[0].b, bCount))
	for _, e := range hunk {
		switch e.kind {
		case editEqual:
			writeDiffLine(w, ' ', al[e.a])
		case editDelete:
			writeDiffLine(w, '-', al[e.a])
		case editInsert:
			writeDiffLine(w, '+', bl[e.b])
		}
	}
}

// hunkRange formats the start (1-based) and length of a hunk side. An
// empty side names the line before it.
func hunkRange(start0, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start0)
	case 1:
		return fmt.Sprintf("%d", start0+1)
	default:
		return fmt.Sprintf("%d,%d", start0+1, count)
	}
}

func writeDiffLine(w io.Writer, prefix byte, line string) {
	if len(line) > 0 && line[len(line)-1] == '\n' {
		fmt.Fprintf(w, "%c%s", prefix, line)
		return
	}
	fmt.Fprintf(w, "%c%s\n\\ No newline at end of file\n", prefix, line)
}
