package parser

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/lexicon"
)

// grammarLiterals returns the word literals ('namespace') of the parser
// tags of t and of every grammar struct it reaches, and the tag of each
// field by "type.Field".
func grammarLiterals(t reflect.Type, words map[string]bool, tags map[string]string, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	lit := regexp.MustCompile(`'([a-z][a-z0-9]*)'`)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("parser")
		tags[t.Name()+"."+f.Name] = tag
		for _, m := range lit.FindAllStringSubmatch(tag, -1) {
			words[m[1]] = true
		}
		grammarLiterals(f.Type, words, tags, seen)
	}
}

// TestGrammarKeywords checks the grammar against lang/lexicon's table: every
// word the grammar spells is a keyword, every keyword the grammar matches
// literally is spelt in it (protocols and ICMP are names the compiler reads),
// and the lookaheads of the group and rule alternatives exclude exactly the
// statement keywords.
func TestGrammarKeywords(t *testing.T) {
	words, tags := map[string]bool{}, map[string]string{}
	seen := map[reflect.Type]bool{}
	for _, root := range []any{stmt{}, httpBlock{}, request{}} {
		grammarLiterals(reflect.TypeOf(root), words, tags, seen)
	}
	for w := range words {
		if !lexicon.IsKeyword(w) {
			t.Errorf("the grammar spells %q, which is not in lang/lexicon's table", w)
		}
	}
	for _, w := range lexicon.Words(lexicon.Statement, lexicon.Modifier, lexicon.PeerForm, lexicon.Inner, lexicon.HTTPWord) {
		if !words[w] {
			t.Errorf("keyword %q is not in the grammar", w)
		}
	}
	// "http" opens a block through the lexer's HTTPOpen token.
	for _, field := range []string{"stmt.Group", "stmt.Rule"} {
		var got []string
		for _, m := range regexp.MustCompile(`'([a-z]+)'`).FindAllStringSubmatch(tags[field], -1) {
			got = append(got, m[1])
		}
		if !slices.Equal(got, stmtStarters) {
			t.Errorf("the lookahead of %s excludes %s, want %s", field, strings.Join(got, " "), strings.Join(stmtStarters, " "))
		}
	}
}
