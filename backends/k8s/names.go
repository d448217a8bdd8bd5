package k8s

import (
	"hash/fnv"
	"strconv"
	"strings"
)

// MaxNameLength is the longest object name netpolc writes: a DNS-1123 label,
// so that the name also fits in a label value (e.g. for tools that label
// resources with the policy that selects them).
const MaxNameLength = 63

// baseName turns a suggested policy name into a valid DNS-1123 label: lower
// case, runs of anything but [a-z0-9] become one "-", no leading or trailing
// "-", at most MaxNameLength characters (a longer name is cut and ends with
// a hash of the whole name, so that distinct long names stay distinct).
func baseName(suggested string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(suggested) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	name := b.String()
	if name == "" {
		name = "policy"
	}
	if len(name) > MaxNameLength {
		h := shortHash(name, 6)
		name = strings.TrimRight(name[:MaxNameLength-len(h)-1], "-") + "-" + h
	}
	return name
}

// shortHash is n hex digits of the FNV-1a hash of s.
func shortHash(s string, n int) string {
	f := fnv.New64a()
	f.Write([]byte(s))
	h := strconv.FormatUint(f.Sum64(), 16)
	for len(h) < 16 {
		h = "0" + h
	}
	return h[:n]
}

// namer hands out names unique within a namespace. Call it in a canonical
// policy order: the first policy of a base name keeps it; the next ones get a
// suffix derived from their subject (stable when unrelated policies come
// and go), then a counter if that collides too.
type namer struct {
	used map[string]bool // namespace + "/" + name
}

func newNamer() *namer { return &namer{used: map[string]bool{}} }

func (n *namer) name(namespace, base, subject string) string {
	try := func(name string) bool {
		k := namespace + "/" + name
		if n.used[k] {
			return false
		}
		n.used[k] = true
		return true
	}
	if try(base) {
		return base
	}
	withSuffix := func(suffix string) string {
		stem := base
		if len(stem)+1+len(suffix) > MaxNameLength {
			stem = strings.TrimRight(stem[:MaxNameLength-1-len(suffix)], "-")
		}
		return stem + "-" + suffix
	}
	h := shortHash(subject, 5)
	if name := withSuffix(h); try(name) {
		return name
	}
	for i := 2; ; i++ {
		if name := withSuffix(h + "-" + strconv.Itoa(i)); try(name) {
			return name
		}
	}
}
