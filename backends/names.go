package backends

import (
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Object metadata every backend writes, the same for all targets.
const (
	// ManagedByLabel marks every object netpolc writes.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "netpolc"
	// SourceAnnotation lists the source lines behind an object (see
	// SourceLines).
	SourceAnnotation = "netpolc.io/source"
	// NotEnforcedAnnotation lists what a degraded object does not enforce.
	NotEnforcedAnnotation = "netpolc.io/not-enforced"
)

// MaxNameLength is the longest object name netpolc writes: a DNS-1123 label,
// so that the name also fits in a label value (e.g. for tools that label
// resources with the policy that selects them).
const MaxNameLength = 63

// BaseName turns a suggested policy name into a valid DNS-1123 label: lower
// case, runs of anything but [a-z0-9] become one "-", no leading or trailing
// "-", at most MaxNameLength characters (a longer name is cut and ends with
// a hash of the whole name, so that distinct long names stay distinct).
func BaseName(suggested string) string {
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

// Namer hands out names unique within a namespace. Call it in a canonical
// policy order: the first policy of a base name keeps it; the next ones get a
// suffix derived from their subject (stable when unrelated policies come
// and go), then a counter if that collides too.
type Namer struct {
	used map[string]bool // namespace + "/" + name
}

// NewNamer returns a Namer with no name used.
func NewNamer() *Namer { return &Namer{used: map[string]bool{}} }

// Name returns a name for a policy of namespace with base name base (see
// BaseName) and subject (any stable rendering of what the policy selects).
func (n *Namer) Name(namespace, base, subject string) string {
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

// PolicyNames names the objects of pols, one per policy: BaseName of
// Policy.Name, made unique per namespace by a Namer called in a canonical
// policy order (namespace, base name, first source position, subject,
// isolation), so that names do not depend on the order of the input files.
func PolicyNames(pols []*ir.Policy) map[*ir.Policy]string {
	sorted := make([]*ir.Policy, len(pols))
	copy(sorted, pols)
	keys := make(map[*ir.Policy]policyKey, len(pols))
	for _, pol := range pols {
		keys[pol] = keyOf(pol)
	}
	sort.SliceStable(sorted, func(i, j int) bool { return keys[sorted[i]].less(keys[sorted[j]]) })
	names := NewNamer()
	out := make(map[*ir.Policy]string, len(pols))
	for _, pol := range sorted {
		k := keys[pol]
		out[pol] = names.Name(pol.Namespace, k.base, k.subject)
	}
	return out
}

// policyKey orders policies canonically.
type policyKey struct {
	ns, base, subject string
	span              source.Span
	sig               string
}

func keyOf(pol *ir.Policy) policyKey {
	subject := pol.Subject.Pods.String()
	if pol.Subject.Nodes {
		subject = "node" + subject
	}
	if pol.Subject.Namespaces != nil {
		subject = "ns" + pol.Subject.Namespaces.String() + "/" + subject
	}
	return policyKey{
		ns: pol.Namespace, base: BaseName(pol.Name), subject: subject,
		span: FirstSpan(pol), sig: fmt.Sprintf("%v", pol.Isolation),
	}
}

func (a policyKey) less(b policyKey) bool {
	if a.ns != b.ns {
		return a.ns < b.ns
	}
	if a.base != b.base {
		return a.base < b.base
	}
	if a.span != b.span {
		return source.Less(a.span, b.span)
	}
	if a.subject != b.subject {
		return a.subject < b.subject
	}
	return a.sig < b.sig
}

// FirstSpan is the earliest source span of pol or its rules.
func FirstSpan(pol *ir.Policy) source.Span {
	first := pol.Span
	for _, r := range pol.Rules {
		if r.Span.IsValid() && (!first.IsValid() || source.Less(r.Span, first)) {
			first = r.Span
		}
	}
	return first
}

// LineOf renders a span as file:line. A file name with characters that are
// not printable is quoted (see diag.FileName).
func LineOf(s source.Span) string {
	if !s.IsValid() {
		return diag.FileName(s.File)
	}
	return diag.FileName(s.File) + ":" + strconv.Itoa(s.Start.Line)
}

// SourceLines renders the lines of spans, sorted and de-duplicated, grouped
// by file: "a.netpol:3,7 b.netpol:12" (the value of SourceAnnotation). A
// file name with characters that are not printable (a newline, say) is
// quoted (see diag.FileName), so that the value stays one line.
func SourceLines(spans []source.Span) string {
	type line struct {
		file string
		n    int
	}
	lines := make([]line, 0, len(spans))
	for _, s := range spans {
		if s.IsValid() && s.File != "" {
			lines = append(lines, line{s.File, s.Start.Line})
		}
	}
	slices.SortFunc(lines, func(a, b line) int {
		if c := strings.Compare(a.file, b.file); c != 0 {
			return c
		}
		return a.n - b.n
	})
	lines = slices.Compact(lines)
	var b strings.Builder
	for i, l := range lines {
		switch {
		case i == 0:
		case l.file != lines[i-1].file:
			b.WriteByte(' ')
		default:
			b.WriteByte(',')
			b.WriteString(strconv.Itoa(l.n))
			continue
		}
		b.WriteString(diag.FileName(l.file))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(l.n))
	}
	return b.String()
}
