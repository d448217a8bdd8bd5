package yamlsrc

import (
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// sameNodes compares two trees as this package reads them: kind, style,
// tag, value, anchor, line, column and children (comments aside: nothing
// here reads them).
func sameNodes(a, b *yaml.Node, path string) error {
	if (a == nil) != (b == nil) {
		return fmt.Errorf("%s: %v vs %v", path, a, b)
	}
	if a == nil {
		return nil
	}
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value || a.Anchor != b.Anchor ||
		a.Line != b.Line || a.Column != b.Column || len(a.Content) != len(b.Content) || (a.Alias == nil) != (b.Alias == nil) {
		return fmt.Errorf("%s: fast {kind %d style %d tag %s value %q at %d:%d, %d children}, yaml.v3 {kind %d style %d tag %s value %q at %d:%d, %d children}",
			path, a.Kind, a.Style, a.Tag, a.Value, a.Line, a.Column, len(a.Content), b.Kind, b.Style, b.Tag, b.Value, b.Line, b.Column, len(b.Content))
	}
	for i := range a.Content {
		if err := sameNodes(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", path, i)); err != nil {
			return err
		}
	}
	return nil
}

// checkFast holds fastDocs to yaml.v3 on text: when fastDocs reads it,
// yaml.v3 must read it too, into the same nodes. It reports whether
// fastDocs read it.
func checkFast(t testing.TB, text []byte) bool {
	t.Helper()
	got, ok := fastDocs(text, 3)
	if !ok {
		return false
	}
	want, wantOK := yamlDocs(text, 3)
	if !wantOK {
		t.Fatalf("fastDocs reads what yaml.v3 refuses:\n%s", text)
	}
	if len(got) != len(want) {
		t.Fatalf("fastDocs reads %d documents, yaml.v3 %d:\n%s", len(got), len(want), text)
	}
	for i := range got {
		if err := sameNodes(got[i], want[i], fmt.Sprintf("doc %d", i)); err != nil {
			t.Fatalf("%v\n--- text\n%s", err, text)
		}
	}
	return true
}

// fastScalars are the scalars the generator writes: every kind yaml.v3
// resolves, quoted forms and escapes, and characters near the edges of
// what fastDocs reads.
var fastScalars = []string{
	"a", "web-0", "app.kubernetes.io/name", "80", "-1", "0", "007", "0x1F", "0o17", "0b101", "-0b101", "1_000",
	"1e3", "1.5", ".5", "+12", "-", "-a", "true", "True", "yes", "on", "off", "n", "Y", "null", "~", "NULL",
	"<<", ".inf", "-.Inf", ".nan", "2026-11-20T09:12:44Z", "2001-12-14", "2001-12-14 21:59:43.10 -5",
	"héllo", "日本", "a:b", "http://x/y", "a,b", "a]b", "a}", "x[0]", "a #b", "a#b", "a  b", "@x", "`x`",
	"%x", "!x", "&a", "*a", "|", ">", "?", "? a", ": a", "a:", "a: b", "- a", "---", "...", "{a: 1}", "[a]",
	"{}", "[]", "{ }", "[ ]",
	`"a"`, `""`, `''`, `'it''s'`, `'a"b'`, `"a\"b\\c"`, `"\n\t\r\0\a\b\v\f\e\ \/"`, `"\x41\u00e9\U0001F600"`,
	`"\N\_\L\P"`, `"\ud800"`, `"\q"`, `"a'b"`, `'a\nb'`, `"unterminated`, `'x' y`, `"x" # c`, `'' # c`, `"a":`,
}

// kubectlScalars are scalars as kubectl writes them.
var kubectlScalars = []string{
	"v1", "Pod", "web-5d7c9f8b6-x0001", "10.244.0.1", `"2026-11-20T09:12:44Z"`, `"88231"`, "8080", "TCP",
	"true", "false", "null", "ghcr.io/example/app:2.4.1", "/dev/termination-log", "Always", "{}", "[]",
}

// fastKeys are the keys the generator writes.
var fastKeys = []string{
	"name", "namespace", "labels", "app", "kubernetes.io/metadata.name", "k8s-app", "80", "true", "null", "<<",
	"-x", "a b", "a b ", "f:metadata", "k:{\"port\":80,\"protocol\":\"TCP\"}", ".", `"quoted"`, `"a: b"`, `'single'`, `"é"`, "é", "x#y", "a:b", "~",
}

// genYAML writes a random block-style document of depth at most depth,
// at indentation ind, in the ways people and kubectl write them.
func genYAML(r *rand.Rand, b *strings.Builder, depth, ind int, inSeq, clean bool) {
	pad := strings.Repeat(" ", ind)
	comment := func() {
		if r.Intn(10) == 0 {
			b.WriteString(strings.Repeat(" ", r.Intn(ind+3)) + "# a comment: with [stuff]\n")
		}
		if r.Intn(15) == 0 {
			b.WriteString("\n")
		}
	}
	scalar := func() string {
		s := fastScalars[r.Intn(len(fastScalars))]
		if clean || r.Intn(2) == 0 {
			s = kubectlScalars[r.Intn(len(kubectlScalars))]
		}
		if r.Intn(8) == 0 {
			s += " # trailing"
		}
		return s
	}
	if depth == 0 || r.Intn(3) == 0 || (clean && inSeq) {
		// a mapping
		n := 1 + r.Intn(4)
		for i := 0; i < n; i++ {
			comment()
			if i > 0 || !inSeq {
				b.WriteString(pad)
			}
			k := fastKeys[r.Intn(len(fastKeys))]
			if clean {
				k = fastKeys[r.Intn(10)]
			}
			if depth > 0 && r.Intn(3) == 0 {
				b.WriteString(k + ":\n")
				if r.Intn(2) == 0 {
					genSeq(r, b, depth-1, ind+r.Intn(2)*2, clean)
				} else {
					genYAML(r, b, depth-1, ind+1+r.Intn(3), false, clean)
				}
				continue
			}
			if r.Intn(8) == 0 {
				// A literal block scalar.
				header := []string{"|", "|-", "|+", "|2", "| # c", ">"}[r.Intn(6)]
				if clean {
					header = header[:1]
				}
				fmt.Fprintf(b, "%s: %s\n", k, header)
				in := strings.Repeat(" ", ind+1+r.Intn(3))
				for l := r.Intn(4); l >= 0; l-- {
					switch r.Intn(6) {
					case 0:
						if !clean {
							b.WriteString("\n")
						}
					case 1:
						b.WriteString(in + "  more: indented # not a comment\n")
					case 2:
						b.WriteString(in + "   \n")
					default:
						b.WriteString(in + scalar() + "\n")
					}
				}
				continue
			}
			fmt.Fprintf(b, "%s:%s%s\n", k, strings.Repeat(" ", 1+r.Intn(2)*r.Intn(3)), scalar())
		}
		return
	}
	genSeq(r, b, depth-1, ind, clean)
}

// genSeq writes a random block sequence at indentation ind.
func genSeq(r *rand.Rand, b *strings.Builder, depth, ind int, clean bool) {
	pad := strings.Repeat(" ", ind)
	n := 1 + r.Intn(4)
	for i := 0; i < n; i++ {
		gap := strings.Repeat(" ", 1+r.Intn(2)*r.Intn(3))
		b.WriteString(pad + "-" + gap)
		if depth > 0 && r.Intn(2) == 0 {
			genYAML(r, b, depth, ind+1+len(gap), true, clean)
			continue
		}
		if clean {
			b.WriteString(kubectlScalars[r.Intn(len(kubectlScalars))] + "\n")
			continue
		}
		b.WriteString(fastScalars[r.Intn(len(fastScalars))] + "\n")
	}
}

// genStream writes one to three documents, half of the streams of what
// kubectl writes only.
func genStream(r *rand.Rand) []byte {
	var b strings.Builder
	clean := r.Intn(2) == 0
	n := 1 + r.Intn(3)
	for i := 0; i < n; i++ {
		if i > 0 || r.Intn(2) == 0 {
			b.WriteString("---\n")
		}
		if r.Intn(2) == 0 {
			genYAML(r, &b, 3, 0, false, clean)
		} else {
			genSeq(r, &b, 3, 0, clean)
		}
	}
	return []byte(b.String())
}

// mutate changes text at a few random places with characters that
// matter to YAML.
func mutate(r *rand.Rand, text []byte) []byte {
	const chars = " -:#'\"{}[],&*!|>?%@`\\\n\tab0é"
	out := append([]byte{}, text...)
	for n := 1 + r.Intn(3); n > 0 && len(out) > 0; n-- {
		i := r.Intn(len(out))
		c := []byte(string([]rune(chars)[r.Intn(len([]rune(chars)))]))
		switch r.Intn(3) {
		case 0:
			out = append(out[:i], append(c, out[i:]...)...)
		case 1:
			out = append(out[:i], out[i+1:]...)
		default:
			out = append(out[:i], append(c, out[i+1:]...)...)
		}
	}
	return out
}

// TestFastDocsGenerated holds fastDocs to yaml.v3 on random block-style
// streams and on mutations of them.
func TestFastDocsGenerated(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	read, mutated := 0, 0
	n := 5000
	if testing.Short() {
		n = 1000
	}
	for i := 0; i < n; i++ {
		text := genStream(r)
		if checkFast(t, text) {
			read++
		}
		for j := 0; j < 3; j++ {
			if checkFast(t, mutate(r, text)) {
				mutated++
			}
		}
	}
	t.Logf("%d streams: fastDocs read %d, and %d of %d mutations", n, read, mutated, 3*n)
	if read < n/5 {
		t.Errorf("fastDocs read only %d of %d generated streams", read, n)
	}
}

// TestFastDocsRepository holds fastDocs to yaml.v3 on every YAML file of
// the repository (examples, golden files, test inputs) and on mutations
// of them.
func TestFastDocsRepository(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	files, read := 0, 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return nil
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if checkFast(t, text) {
			read++
		}
		for j := 0; j < 20; j++ {
			checkFast(t, mutate(r, text))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d YAML files, fastDocs read %d", files, read)
	if read < files/3 {
		t.Errorf("fastDocs read only %d of %d files", read, files)
	}
}

// FuzzFastDocs holds fastDocs to yaml.v3 on any input.
func FuzzFastDocs(f *testing.F) {
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 50; i++ {
		f.Add(genStream(r))
	}
	f.Add([]byte("items:\n- a: 1\n  b: [] # c\n- \"x\"\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		checkFast(t, text)
	})
}

// TestPlainTag holds plainTag to yaml.v3's resolution of plain scalars.
func TestPlainTag(t *testing.T) {
	words := []string{"", "~", "~~", "null", "Null", "NULL", "NuLL", "nil", "true", "True", "TRUE", "truE", "tru", "false",
		"False", "FALSE", "y", "Y", "yes", "n", "N", "no", "No", "on", "On", "off", "OFF", "o", "O", "t", "f", "name",
		"namespace", "ownerReferences", "0", "-1", "+1", "1.5", ".5", ".inf", "-.Inf", ".nan", "0x1F", "0o17", "1_000",
		"2026-11-20", "2026-11-20T09:12:44Z", "-", "+", ".", "a", "Z", "<", "<<<", "=", "10.244.0.1", "8080/TCP"}
	for _, w := range words {
		want := (&yaml.Node{Kind: yaml.ScalarNode, Value: w}).ShortTag()
		if got := plainTag(w); got != want {
			t.Errorf("plainTag(%q) = %s, yaml.v3 resolves %s", w, got, want)
		}
	}
	if got := plainTag("<<"); got != "!!merge" {
		t.Errorf("plainTag(<<) = %s, want the parser's !!merge", got)
	}
}
