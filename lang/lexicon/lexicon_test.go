package lexicon

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// languageDoc returns docs/language.md, the reference the table must agree
// with.
func languageDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/language.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// between returns the text of doc from the end of start to the beginning of
// the next end.
func between(t *testing.T, doc, start, end string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, start)
	if !ok {
		t.Fatalf("docs/language.md has no %q", start)
	}
	text, _, ok := strings.Cut(rest, end)
	if !ok {
		t.Fatalf("docs/language.md has no %q after %q", end, start)
	}
	return text
}

var codeRE = regexp.MustCompile("`([^`]*)`")

// codeWords returns the words of the code spans of text.
func codeWords(text string) []string {
	var out []string
	for _, m := range codeRE.FindAllStringSubmatch(text, -1) {
		out = append(out, strings.Fields(m[1])...)
	}
	return out
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(slices.Compact(g), slices.Compact(w)) {
		t.Errorf("%s:\n table %v\n  docs %v", what, w, g)
	}
}

// TestDocsKeywords checks the keyword table against section 1 of
// docs/language.md: the reserved words, the words that are not reserved,
// and the literals of the grammar (section 17).
func TestDocsKeywords(t *testing.T) {
	doc := languageDoc(t)
	reserved := between(t, doc, "Keywords are reserved", "and the entity names of section 4.4")
	_, reserved, _ = strings.Cut(reserved, "group: ")
	sameSet(t, "reserved words (section 1)", codeWords(reserved), ReservedWords())

	other := between(t, doc, "Other words have a meaning only where the grammar expects them", "(ports)")
	var unreserved []string
	for _, k := range Keywords() {
		if !k.Reserved {
			unreserved = append(unreserved, k.Word)
		}
	}
	sameSet(t, "words that are not reserved (section 1)", codeWords(other), unreserved)

	ebnf := between(t, doc, "```ebnf", "```")
	var literals []string
	for _, m := range regexp.MustCompile(`"([a-z][a-z0-9]*)"`).FindAllStringSubmatch(ebnf, -1) {
		literals = append(literals, m[1])
	}
	var all []string
	for _, k := range Keywords() {
		all = append(all, k.Word)
	}
	sameSet(t, "the grammar's words (section 17)", literals, all)
}

// TestDocsEntities checks the entity table against section 4.4 of
// docs/language.md: the names written alone, and those only entity(NAME)
// reaches.
func TestDocsEntities(t *testing.T) {
	table := between(t, languageDoc(t), "### 4.4 Entities", "Precisions:")
	var bareDoc, otherDoc []string
	for _, row := range strings.Split(table, "\n") {
		cells := strings.Split(row, "|")
		if len(cells) < 3 {
			continue
		}
		if strings.Contains(cells[1], "entity(NAME)") {
			otherDoc = append(otherDoc, codeWords(cells[2])...)
			continue
		}
		for _, w := range codeWords(cells[1]) {
			w = strings.TrimSuffix(w, ",")
			if regexp.MustCompile(`^[a-z][a-z0-9-]*$`).MatchString(w) {
				bareDoc = append(bareDoc, w)
			}
		}
	}
	sameSet(t, "entities written by name (section 4.4)", bareDoc, BareEntities())
	var other []string
	for _, e := range Entities() {
		if !IsBareEntity(e) {
			other = append(other, e)
		}
	}
	sameSet(t, "entities written entity(NAME) only (section 4.4)", otherDoc, other)
}

func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Keywords() {
		if seen[k.Word] {
			t.Errorf("keyword %q twice", k.Word)
		}
		seen[k.Word] = true
		if k.Kind == 0 {
			t.Errorf("keyword %q has no kind", k.Word)
		}
		if want := k.Reserved || IsBareEntity(k.Word); IsReserved(k.Word) != want {
			t.Errorf("IsReserved(%q) = %v", k.Word, !want)
		}
	}
	if !slices.IsSorted(Entities()) {
		t.Errorf("entities not sorted: %v", Entities())
	}
	for _, e := range Entities() {
		if !IsEntity(e) {
			t.Errorf("IsEntity(%q) is false", e)
		}
		// A bare entity cannot also be a keyword: the parser would not
		// know which it is.
		if IsBareEntity(e) && IsKeyword(e, Statement, Modifier, PeerForm, Block) {
			t.Errorf("entity %q is written alone but is a keyword", e)
		}
		if IsBareEntity(e) && !IsReserved(e) {
			t.Errorf("entity %q is written alone but can name a group", e)
		}
	}
	if IsEntity("web") || IsBareEntity("ingress") || IsReserved("none") || !IsReserved("world") {
		t.Error("lookups disagree with the table")
	}
}
