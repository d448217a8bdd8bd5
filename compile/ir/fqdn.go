package ir

import "strings"

// This file holds the semantics of DNS names and patterns (see
// docs/semantics.md, section 2.10): how a pattern matches a name, and when
// two patterns may match a common name or one covers the other. Matching
// follows Cilium's matchPattern: "*" matches any run (possibly empty) of the
// characters [-a-z0-9_] within one label, never a dot; a leading "**."
// matches one or more whole (non-empty) labels; the bare pattern "*" matches
// every name (Cilium's only the names made of those characters and dots;
// the two differ on no host name). Matching ignores case and a trailing dot.

// NormalizeName lower-cases a DNS name or pattern and removes one trailing
// dot: the form in which names are compared.
func NormalizeName(n string) string { return strings.TrimSuffix(strings.ToLower(n), ".") }

// literal reports whether f matches exactly one name, its normalized Pattern:
// an exact name, or a pattern without "*".
func (f FQDN) literal() bool { return f.Exact || !strings.Contains(f.Pattern, "*") }

// Matches reports whether the DNS name matches f.
func (f FQDN) Matches(name string) bool {
	name, pat := NormalizeName(name), NormalizeName(f.Pattern)
	switch {
	case f.literal():
		return name == pat
	case pat == "*":
		return true
	}
	rest, anyDepth := strings.CutPrefix(pat, "**.")
	if !anyDepth {
		return globMatches(pat, name)
	}
	// One or more whole labels, each a non-empty run of DNS characters and
	// followed by a dot, then rest.
	start := 0
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '.':
			if i == start {
				return false // an empty label
			}
			if globMatches(rest, name[i+1:]) {
				return true
			}
			start = i + 1
		case !dnsChar(c):
			return false
		}
	}
	return false
}

// dnsChar reports whether "*" may match c (after lower-casing).
func dnsChar(c byte) bool {
	return c == '-' || c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z'
}

// globMatches matches a pattern without "**." against a whole name: each
// "*" matches a run of DNS characters, every other byte itself.
func globMatches(pat, name string) bool {
	// cur[j] reports whether the part of pat read so far matches name[:j].
	cur := make([]bool, len(name)+1)
	next := make([]bool, len(name)+1)
	cur[0] = true
	for i := 0; i < len(pat); i++ {
		next[0] = pat[i] == '*' && cur[0]
		for j := 1; j <= len(name); j++ {
			if pat[i] == '*' {
				next[j] = cur[j] || (next[j-1] && dnsChar(name[j-1]))
			} else {
				next[j] = cur[j-1] && name[j-1] == pat[i]
			}
		}
		cur, next = next, cur
	}
	return cur[len(name)]
}

// Example returns a name that f matches: the name itself, or the pattern
// with "x" for each "*" and an "x." label for "**." ("example.com" for the
// bare "*").
func (f FQDN) Example() string {
	pat := NormalizeName(f.Pattern)
	switch {
	case f.literal():
		return pat
	case pat == "*":
		return "example.com"
	}
	if rest, ok := strings.CutPrefix(pat, "**."); ok {
		pat = "x." + rest
	}
	return strings.ReplaceAll(pat, "*", "x")
}

// MayOverlap reports whether some name may match both f and g. It is
// sound: false means that no name matches both. Two wildcard patterns are
// taken to overlap unless their literal beginnings (before the first "*",
// and not after "**.") or their literal endings (after the last "*") are
// incompatible.
func (f FQDN) MayOverlap(g FQDN) bool {
	pf, pg := NormalizeName(f.Pattern), NormalizeName(g.Pattern)
	switch {
	case f.literal() && g.literal():
		return pf == pg
	case f.literal():
		return g.Matches(pf)
	case g.literal():
		return f.Matches(pg)
	}
	prefix := func(p string) string {
		if strings.HasPrefix(p, "**.") {
			return ""
		}
		return p[:strings.Index(p, "*")]
	}
	suffix := func(p string) string { return p[strings.LastIndex(p, "*")+1:] }
	compatible := func(a, b string, has func(s, x string) bool) bool { return has(a, b) || has(b, a) }
	return compatible(prefix(pf), prefix(pg), strings.HasPrefix) &&
		compatible(suffix(pf), suffix(pg), strings.HasSuffix)
}

// Covers reports whether every name that g matches also matches f. It is
// sound, not complete: false means "not shown". It decides exact names and
// the bare pattern "*", and otherwise compares the patterns as written.
func (f FQDN) Covers(g FQDN) bool {
	pf, pg := NormalizeName(f.Pattern), NormalizeName(g.Pattern)
	switch {
	case !f.literal() && pf == "*":
		return true
	case g.literal():
		return f.Matches(pg)
	}
	return !f.literal() && pf == pg
}
