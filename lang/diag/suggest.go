package diag

import "slices"

// Did-you-mean suggestions for misspelt names. The parser, the compiler and
// the CLI accept different amounts of misspelling (a keyword of four letters
// allows one edit; a group name one edit in three; a command one in two), so
// Nearest takes the distance and the limit as parameters; Closest is the
// compiler's rule.

// Closest returns the candidate nearest to word by Damerau distance (a swap
// of adjacent letters, as in "upd", is one edit), and true, if it is at most
// max(1, len(word)/3) edits away. Ties go to the
// alphabetically first candidate, so that suggestions do not depend on the
// order of candidates; word itself is never suggested.
func Closest(word string, candidates []string) (string, bool) {
	limit := max(1, len(word)/3)
	others := slices.DeleteFunc(slices.Sorted(slices.Values(candidates)), func(c string) bool { return c == word })
	return Nearest(word, others, Damerau, func(string) int { return limit })
}

// Nearest returns the first of candidates at the smallest distance from word
// among those at most maxEdits(candidate) away, and true; or "", false if
// there is none. An empty candidate is never suggested.
func Nearest(word string, candidates []string, distance func(a, b string) int, maxEdits func(candidate string) int) (string, bool) {
	best, bestDist, found := "", 0, false
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if d := distance(word, c); d <= maxEdits(c) && (!found || d < bestDist) {
			best, bestDist, found = c, d, true
		}
	}
	return best, found
}

// Levenshtein is the edit distance between a and b in bytes: the fewest
// insertions, deletions and substitutions that turn a into b.
func Levenshtein(a, b string) int { return editDistance(a, b, false) }

// Damerau is Levenshtein with an exchange of two adjacent bytes counted as
// one edit, not two (the optimal string alignment distance: no substring is
// edited twice).
func Damerau(a, b string) int { return editDistance(a, b, true) }

// editDistance computes Levenshtein (swaps false) or Damerau (swaps true)
// row by row.
func editDistance(a, b string, swaps bool) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if swaps && i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
