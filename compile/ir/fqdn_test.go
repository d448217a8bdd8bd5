package ir

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

func pattern(p string) FQDN { return FQDN{Pattern: p} }
func name(n string) FQDN    { return FQDN{Pattern: n, Exact: true} }

func TestFQDNMatches(t *testing.T) {
	cases := []struct {
		f    FQDN
		name string
		want bool
	}{
		// Exact names: the whole name, ignoring case and a trailing dot.
		{name("api.example.com"), "api.example.com", true},
		{name("api.example.com"), "API.Example.COM.", true},
		{name("api.example.com"), "x.api.example.com", false},
		{name("api.example.com"), "api.example.co", false},
		{name("api.example.com"), "", false},
		// A pattern without "*" is a name too.
		{pattern("example.com"), "Example.com.", true},
		{pattern("example.com"), "www.example.com", false},
		// "*" within one label, possibly empty, never a dot.
		{pattern("*.example.com"), "s3.example.com", true},
		{pattern("*.example.com"), "S3.EXAMPLE.COM.", true},
		{pattern("*.example.com"), "a-b_c9.example.com", true},
		{pattern("*.example.com"), ".example.com", true},
		{pattern("*.example.com"), "a.b.example.com", false},
		{pattern("*.example.com"), "example.com", false},
		{pattern("*.example.com"), "a b.example.com", false},
		{pattern("s3*.amazonaws.com"), "s3.amazonaws.com", true},
		{pattern("s3*.amazonaws.com"), "s3-eu-1.amazonaws.com", true},
		{pattern("s3*.amazonaws.com"), "s3.eu.amazonaws.com", false},
		{pattern("s3*.amazonaws.com"), "x3.amazonaws.com", false},
		{pattern("a*b*c.com"), "abc.com", true},
		{pattern("a*b*c.com"), "axxbyybc.com", true},
		{pattern("a*b*c.com"), "axxbyy.c.com", false},
		{pattern("api-*.example.com"), "api-v1.example.com", true},
		{pattern("api-*.example.com"), "web.example.com", false},
		{pattern("sub.*.example.com"), "sub.x.example.com", true},
		{pattern("sub.*.example.com"), "sub.x.y.example.com", false},
		{pattern("api.*"), "api.com", true},
		{pattern("api.*"), "api.co.uk", false},
		{pattern("*.*.example.com"), "a.b.example.com", true},
		{pattern("*.*.example.com"), "a.example.com", false},
		// The bare "*": every name.
		{pattern("*"), "example.com", true},
		{pattern("*"), "a.b.c.d", true},
		{pattern("*"), "localhost.", true},
		// A leading "**.": one or more whole labels.
		{pattern("**.example.com"), "a.example.com", true},
		{pattern("**.example.com"), "a.b.c.example.com", true},
		{pattern("**.example.com"), "A.B.Example.Com.", true},
		{pattern("**.example.com"), "example.com", false},
		{pattern("**.example.com"), ".example.com", false},
		{pattern("**.example.com"), "a..example.com", false},
		{pattern("**.example.com"), "a b.example.com", false},
		{pattern("**.example.com"), "aexample.com", false},
		{pattern("**.*.example.com"), "a.b.example.com", true},
		{pattern("**.*.example.com"), "b.example.com", false},
		{pattern("**.s3*.com"), "x.y.s3-eu.com", true},
		{pattern("**.s3*.com"), "x.y.s3.eu.com", false},
		// A pattern in upper case or with a trailing dot (not normalized).
		{pattern("*.EXAMPLE.com."), "a.example.com", true},
	}
	for _, c := range cases {
		if got := c.f.Matches(c.name); got != c.want {
			t.Errorf("%+v.Matches(%q) = %v, want %v", c.f, c.name, got, c.want)
		}
	}
}

// ciliumRegexp translates a normalized matchPattern into an anchored
// regular expression over normalized names, the way Cilium's matchPattern
// package does (with "*" standing for every name).
func ciliumRegexp(pat string) *regexp.Regexp {
	if pat == "*" {
		return regexp.MustCompile(`^.*$`)
	}
	var b strings.Builder
	b.WriteString("^")
	if rest, ok := strings.CutPrefix(pat, "**."); ok {
		b.WriteString(`(?:[-a-z0-9_]+\.)+`)
		pat = rest
	}
	for _, c := range pat {
		if c == '*' {
			b.WriteString(`[-a-z0-9_]*`)
		} else {
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// randomFQDN returns a random valid pattern (or, with exact, a name) over a
// small alphabet, so that random names often match.
func randomFQDN(r *rand.Rand, exact bool) FQDN {
	if !exact && r.Intn(12) == 0 {
		return pattern("*")
	}
	var labels []string
	for n := 1 + r.Intn(3); len(labels) < n; {
		var l strings.Builder
		for m := 1 + r.Intn(3); l.Len() < m; {
			switch c := "ab-*"[r.Intn(4)]; {
			case c == '*' && exact:
			default:
				l.WriteByte(c)
			}
		}
		labels = append(labels, l.String())
	}
	p := strings.Join(labels, ".")
	if !exact && r.Intn(3) == 0 {
		p = "**." + p
	}
	return FQDN{Pattern: p, Exact: exact}
}

// randomName returns a random name, sometimes with odd characters, empty
// labels, upper case or a trailing dot.
func randomName(r *rand.Rand) string {
	var b strings.Builder
	for n := r.Intn(9); b.Len() < n; {
		b.WriteByte("abAB-.._ *"[r.Intn(10)])
	}
	return b.String()
}

// TestFQDNMatchesRegexp checks Matches against a regular expression built
// as Cilium builds it, on random patterns and names.
func TestFQDNMatchesRegexp(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for range 20000 {
		f := randomFQDN(r, r.Intn(4) == 0)
		n := randomName(r)
		var want bool
		if f.Exact {
			want = NormalizeName(n) == NormalizeName(f.Pattern)
		} else {
			want = ciliumRegexp(NormalizeName(f.Pattern)).MatchString(NormalizeName(n))
		}
		if got := f.Matches(n); got != want {
			t.Fatalf("%+v.Matches(%q) = %v, the regular expression says %v", f, n, got, want)
		}
	}
}

func TestFQDNExample(t *testing.T) {
	for f, want := range map[FQDN]string{
		name("API.example.com."):  "api.example.com",
		pattern("*"):              "example.com",
		pattern("*.example.com"):  "x.example.com",
		pattern("**.example.com"): "x.example.com",
		pattern("**.s3*.aws.com"): "x.s3x.aws.com",
		pattern("example.com"):    "example.com",
	} {
		if got := f.Example(); got != want {
			t.Errorf("%+v.Example() = %q, want %q", f, got, want)
		}
	}
	r := rand.New(rand.NewSource(3))
	for range 5000 {
		if f := randomFQDN(r, r.Intn(4) == 0); !f.Matches(f.Example()) {
			t.Fatalf("%+v does not match its example %q", f, f.Example())
		}
	}
}

func TestFQDNMayOverlap(t *testing.T) {
	cases := []struct {
		a, b FQDN
		want bool
	}{
		{name("api.a.com"), name("API.a.com"), true},
		{name("api.a.com"), name("api.b.com"), false},
		{name("s3.a.com"), pattern("*.a.com"), true},
		{name("x.s3.a.com"), pattern("*.a.com"), false},
		{name("x.s3.a.com"), pattern("**.a.com"), true},
		{pattern("*.a.com"), pattern("*.b.com"), false},
		{pattern("*.a.com"), pattern("**.a.com"), true},
		{pattern("*"), name("x.com"), true},
		{pattern("*"), pattern("*.x.com"), true},
		{pattern("api.*"), pattern("www.*"), false},
		{pattern("api.*"), pattern("api.*.com"), true},
		{pattern("**.api.*"), pattern("www.*"), true},
		{pattern("a*.com"), pattern("*b.com"), true},
	}
	for _, c := range cases {
		for _, x := range [][2]FQDN{{c.a, c.b}, {c.b, c.a}} {
			if got := x[0].MayOverlap(x[1]); got != c.want {
				t.Errorf("%+v.MayOverlap(%+v) = %v, want %v", x[0], x[1], got, c.want)
			}
		}
	}
}

func TestFQDNCovers(t *testing.T) {
	cases := []struct {
		f, g FQDN
		want bool
	}{
		{pattern("*"), pattern("**.a.com"), true},
		{pattern("*"), name("a.com"), true},
		{pattern("*.a.com"), name("x.A.com"), true},
		{pattern("*.a.com"), name("x.y.a.com"), false},
		{pattern("*.a.com"), pattern("*.a.com"), true},
		{pattern("*.a.com"), pattern("x*.a.com"), false}, // true, but not shown
		{name("a.com"), name("A.com."), true},
		{name("a.com"), pattern("a.com"), true},
		{name("a.com"), pattern("*.com"), false},
		{pattern("*.com"), pattern("*"), false},
	}
	for _, c := range cases {
		if got := c.f.Covers(c.g); got != c.want {
			t.Errorf("%+v.Covers(%+v) = %v, want %v", c.f, c.g, got, c.want)
		}
	}
}

// instance returns a name that f matches.
func instance(r *rand.Rand, f FQDN) string {
	pat := NormalizeName(f.Pattern)
	switch {
	case f.Exact:
		return pat
	case pat == "*":
		return randomFQDN(r, true).Pattern
	}
	var b strings.Builder
	if rest, ok := strings.CutPrefix(pat, "**."); ok {
		for n := 1 + r.Intn(2); n > 0; n-- {
			b.WriteString("ab"[r.Intn(2):] + ".")
		}
		pat = rest
	}
	for _, c := range pat {
		if c == '*' {
			b.WriteString("ab-"[r.Intn(3):])
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// TestFQDNSoundness: on random patterns and names, a name matching two
// patterns means MayOverlap, and Covers means every matching name matches
// the covering pattern too.
func TestFQDNSoundness(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for range 20000 {
		a, b := randomFQDN(r, r.Intn(4) == 0), randomFQDN(r, r.Intn(4) == 0)
		n := instance(r, b)
		if !b.Matches(n) {
			t.Fatalf("%+v does not match its instance %q", b, n)
		}
		if r.Intn(4) == 0 {
			n = randomName(r)
		}
		if a.Matches(n) && b.Matches(n) && !a.MayOverlap(b) {
			t.Fatalf("%q matches %+v and %+v, but MayOverlap is false", n, a, b)
		}
		if b.Matches(n) && !a.Matches(n) && a.Covers(b) {
			t.Fatalf("%q matches %+v and not %+v, but Covers is true", n, b, a)
		}
	}
}
