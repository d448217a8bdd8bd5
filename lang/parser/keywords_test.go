package parser

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/netpolc/netpolc/lang/lexicon"
)

// TestParserKeywords checks the words the parser spells against
// lang/lexicon's table: every keyword the parser matches (by isKeyword,
// gotKeyword or expectKeyword, or as a statement keyword in stmt's switch)
// is in the table, and every keyword of a kind the parser matches literally
// is matched somewhere (protocols and ICMP families are names that the
// compiler reads; "http" opens a block through the scanner's tokHTTPOpen).
func TestParserKeywords(t *testing.T) {
	src, err := os.ReadFile("parse.go")
	if err != nil {
		t.Fatal(err)
	}
	spelt := map[string]bool{}
	call := regexp.MustCompile(`(?:isKeyword\([a-z]+, |gotKeyword\(|expectKeyword\()"([a-z]+)"\)`)
	for _, m := range call.FindAllStringSubmatch(string(src), -1) {
		spelt[m[1]] = true
	}
	var cases []string
	for _, m := range regexp.MustCompile(`\tcase "([a-z]+)":`).FindAllStringSubmatch(string(src), -1) {
		spelt[m[1]] = true
		cases = append(cases, m[1])
	}
	for w := range spelt {
		if !lexicon.IsKeyword(w) {
			t.Errorf("the parser spells %q, which is not in lang/lexicon's table", w)
		}
	}
	for _, w := range lexicon.Words(lexicon.Statement, lexicon.Modifier, lexicon.PeerForm, lexicon.Inner, lexicon.HTTPWord) {
		if !spelt[w] {
			t.Errorf("keyword %q is not matched by the parser", w)
		}
	}
	// stmt's switch handles exactly the statement keywords, in the
	// table's order.
	if want := lexicon.Words(lexicon.Statement); !slices.Equal(cases, want) {
		t.Errorf("stmt's switch has cases %q, want %q", cases, want)
	}
}
