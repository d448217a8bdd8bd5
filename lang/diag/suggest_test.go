package diag_test

import (
	"testing"

	"github.com/netpolc/netpolc/lang/diag"
)

func TestClosest(t *testing.T) {
	cands := []string{"web", "database", "world", "cluster"}
	for _, tc := range []struct {
		name, want string
	}{
		{"webb", "web"},
		{"databse", "database"},
		{"wrld", "world"},
		{"xyz", ""},
		{"clutser", "cluster"}, // a transposition is two edits, within 7/3
		{"wolrd", "world"},     // one swap of adjacent letters is one edit
		{"web", ""},            // the name itself is never suggested
	} {
		got, ok := diag.Closest(tc.name, cands)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Closest(%q) = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
	// "bat" and "cat" are both one edit from "hat": the alphabetically first
	// wins, whatever the order of the candidates.
	for _, cands := range [][]string{{"cat", "bat"}, {"bat", "cat"}} {
		if got, _ := diag.Closest("hat", cands); got != "bat" {
			t.Errorf("Closest(hat, %q) = %q, want bat", cands, got)
		}
	}
}

func TestNearest(t *testing.T) {
	half := func(word string) func(string) int {
		return func(string) int { return len(word) / 2 }
	}
	keyword := func(kw string) int {
		if len(kw) <= 4 {
			return 1
		}
		return 2
	}
	for _, tc := range []struct {
		rule, word string
		cands      []string
		distance   func(a, b string) int
		maxEdits   func(string) int
		want       string
	}{
		// The CLI's rule: up to half the word's length, Levenshtein.
		{"half", "chek", []string{"check", "fmt", "compile"}, diag.Levenshtein, half("chek"), "check"},
		{"half", "compil", []string{"check", "fmt", "compile"}, diag.Levenshtein, half("compil"), "compile"},
		{"half", "deploy", []string{"check", "fmt", "compile"}, diag.Levenshtein, half("deploy"), ""},
		{"half", "check", []string{"check"}, diag.Levenshtein, half("check"), "check"}, // the word itself is not excluded
		// The parser's rule: one edit in a keyword of four bytes or fewer,
		// two in longer ones, a swap counting as one.
		{"keyword", "alow", []string{"allow", "deny"}, diag.Damerau, keyword, "allow"},
		{"keyword", "dney", []string{"allow", "deny"}, diag.Damerau, keyword, "deny"},
		{"keyword", "dn", []string{"deny", "dns"}, diag.Damerau, keyword, "dns"},
		{"keyword", "dnyy", []string{"deny"}, diag.Damerau, keyword, ""}, // two edits in a short keyword
		{"keyword", "isolaet", []string{"isolate"}, diag.Damerau, keyword, "isolate"},
		{"keyword", "isolaet", []string{"isolate"}, diag.Levenshtein, keyword, "isolate"},
		{"keyword", "dney", []string{"deny"}, diag.Levenshtein, keyword, ""},
		// Ties go to the first candidate; an empty one is never suggested.
		{"tie", "hat", []string{"cat", "bat"}, diag.Levenshtein, half("hat"), "cat"},
		{"tie", "hat", []string{"bat", "cat"}, diag.Levenshtein, half("hat"), "bat"},
		{"tie", "a", []string{""}, diag.Levenshtein, half("aaa"), ""},
	} {
		got, ok := diag.Nearest(tc.word, tc.cands, tc.distance, tc.maxEdits)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: Nearest(%q, %q) = %q, %v; want %q", tc.rule, tc.word, tc.cands, got, ok, tc.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b              string
		levenshtein, swap int
	}{
		{"kitten", "sitting", 3, 3},
		{"", "", 0, 0},
		{"", "abc", 3, 3},
		{"abc", "", 3, 3},
		{"same", "same", 0, 0},
		{"clutser", "cluster", 2, 1},
		{"ab", "ba", 2, 1},
		{"ca", "abc", 3, 3}, // optimal string alignment: no substring edited twice
	} {
		if got := diag.Levenshtein(tc.a, tc.b); got != tc.levenshtein {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.levenshtein)
		}
		if got := diag.Damerau(tc.a, tc.b); got != tc.swap {
			t.Errorf("Damerau(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.swap)
		}
	}
}
