package textdiff

import (
	"bytes"
	"fmt"
	"math/rand"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"change in the middle", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			"--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
		{"insert at the start", "x\ny\n", "new\nx\ny\n", "--- a\n+++ b\n@@ -1,2 +1,3 @@\n+new\n x\n y\n"},
		{"from empty", "", "a\nb\n", "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"to empty", "a\n", "", "--- a\n+++ b\n@@ -1 +0,0 @@\n-a\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve\n",
			"--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+twelve\n"},
		{"changes 6 lines apart share a hunk", "1\n2\n3\n4\n5\n6\n7\n8\n", "one\n2\n3\n4\n5\n6\n7\neight\n",
			"--- a\n+++ b\n@@ -1,8 +1,8 @@\n-1\n+one\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n+eight\n"},
		{"missing final newline", "a\nb", "a\nb\n", "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			WriteUnified(&buf, "a", "b", []byte(tt.a), []byte(tt.b))
			if buf.String() != tt.want {
				t.Errorf("diff:\n%s\nwant:\n%s", buf.String(), tt.want)
			}
			if got := applyDiff(t, tt.a, buf.String()); got != tt.b {
				t.Errorf("applying the diff gives %q, want %q", got, tt.b)
			}
		})
	}
}

// TestUnifiedDiffRandom checks on random line edits that the diff applies
// back and that it is minimal against a quadratic LCS.
func TestUnifiedDiffRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 500; i++ {
		a, b := randomText(rng), randomText(rng)
		var buf bytes.Buffer
		WriteUnified(&buf, "a", "b", []byte(a), []byte(b))
		if got := applyDiff(t, a, buf.String()); got != b {
			t.Fatalf("case %d: applying\n%s\nto %q gives %q, want %q", i, buf.String(), a, got, b)
		}
		al, bl := splitLines([]byte(a)), splitLines([]byte(b))
		edits := 0
		for _, e := range lineEdits(al, bl) {
			if e.kind != editEqual {
				edits++
			}
		}
		if want := len(al) + len(bl) - 2*lcsLength(al, bl); edits != want {
			t.Fatalf("case %d: %d edits, the shortest script has %d", i, edits, want)
		}
	}
}

func TestUnifiedDiffLimit(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < maxDiffEdits; i++ {
		fmt.Fprintf(&a, "a%d\n", i)
		fmt.Fprintf(&b, "b%d\n", i)
	}
	var buf bytes.Buffer
	WriteUnified(&buf, "a", "b", []byte(a.String()), []byte(b.String()))
	if got := applyDiff(t, a.String(), buf.String()); got != b.String() {
		t.Fatalf("the diff past the edit limit does not apply")
	}
}

func FuzzUnifiedDiff(f *testing.F) {
	f.Add("namespace a\nweb={app:web}\n", "namespace a\nweb = {app: web}\n")
	f.Add("a\nb", "a\nb\n")
	f.Add("", "x\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 4096 || len(b) > 4096 {
			return
		}
		var buf bytes.Buffer
		WriteUnified(&buf, "a", "b", []byte(a), []byte(b))
		if got := applyDiff(t, a, buf.String()); got != b {
			t.Fatalf("applying\n%s\nto %q gives %q, want %q", buf.String(), a, got, b)
		}
	})
}

func randomText(rng *rand.Rand) string {
	var b strings.Builder
	n := rng.Intn(12)
	for i := 0; i < n; i++ {
		b.WriteString(string(rune('a' + rng.Intn(4))))
		if i < n-1 || rng.Intn(4) != 0 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func lcsLength(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$`)

// applyDiff applies a unified diff made by writeUnifiedDiff to a, checking
// the hunk headers and the context lines as patch would.
func applyDiff(t testing.TB, a, diff string) string {
	t.Helper()
	if diff == "" {
		return a
	}
	src := splitLines([]byte(a))
	lines := strings.SplitAfter(diff, "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		t.Fatalf("no file header:\n%s", diff)
	}
	var out []string
	pos := 0 // next line of src to copy
	for i := 2; i < len(lines) && lines[i] != ""; {
		m := hunkHeader.FindStringSubmatch(strings.TrimSuffix(lines[i], "\n"))
		if m == nil {
			t.Fatalf("bad hunk header %q in\n%s", lines[i], diff)
		}
		aStart, _ := strconv.Atoi(m[1])
		aCount := 1
		if m[2] != "" {
			aCount, _ = strconv.Atoi(m[2])
		}
		bCount := 1
		if m[4] != "" {
			bCount, _ = strconv.Atoi(m[4])
		}
		first := aStart - 1 // 0-based index of the hunk's first a line
		if aCount == 0 {
			first = aStart
		}
		out = append(out, src[pos:first]...)
		pos = first
		i++
		gotA, gotB := 0, 0
		for i < len(lines) && lines[i] != "" && !strings.HasPrefix(lines[i], "@@") {
			l := lines[i]
			i++
			text := l[1:]
			if i < len(lines) && strings.HasPrefix(lines[i], `\ No newline at end of file`) {
				text = strings.TrimSuffix(text, "\n")
				i++
			}
			switch l[0] {
			case ' ':
				if pos >= len(src) || src[pos] != text {
					t.Fatalf("context %q does not match line %d of a in\n%s", text, pos+1, diff)
				}
				out = append(out, text)
				pos++
				gotA++
				gotB++
			case '-':
				if pos >= len(src) || src[pos] != text {
					t.Fatalf("deleted %q does not match line %d of a in\n%s", text, pos+1, diff)
				}
				pos++
				gotA++
			case '+':
				out = append(out, text)
				gotB++
			default:
				t.Fatalf("bad diff line %q", l)
			}
		}
		if gotA != aCount || gotB != bCount {
			t.Fatalf("hunk %q has %d/%d lines, header says %d/%d\n%s", m[0], gotA, gotB, aCount, bCount, diff)
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, "")
}
