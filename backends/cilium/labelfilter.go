package cilium

import (
	"regexp"
	"sync"
)

// labelPrefix is one entry of Cilium's identity label filter: a regular
// expression that must match at the start of a label key, and whether a
// match keeps the label or leaves it out.
type labelPrefix struct {
	re     *regexp.Regexp
	ignore bool
}

// defaultIdentityFilter is the label filter a Cilium agent uses when it is
// not configured otherwise (no label prefix file, no --labels): the pod
// labels it leaves out of a pod's security identity. Policy is decided on
// identities, so a selector term on a left-out key matches no pod (or,
// negated, every pod). Keys the filter keeps explicitly come first. See
// docs/semantics.md, section 2.5. It is compiled on first use, not at
// start-up.
var defaultIdentityFilter = sync.OnceValue(func() []labelPrefix {
	return []labelPrefix{
		{re: regexp.MustCompile(`io\.kubernetes\.pod\.namespace`)},
		{re: regexp.MustCompile(`io\.cilium\.k8s\.namespace\.labels`)},
		{re: regexp.MustCompile(`app\.kubernetes\.io`)},
		{re: regexp.MustCompile(`io\.cilium\.k8s\.policy\.cluster`)},
		{re: regexp.MustCompile(`io\.cilium\.k8s\.policy\.serviceaccount`)},
		{re: regexp.MustCompile(`io\.kubernetes`), ignore: true},
		{re: regexp.MustCompile(`kubernetes\.io`), ignore: true},
		{re: regexp.MustCompile(`statefulset\.kubernetes\.io/pod-name`), ignore: true},
		{re: regexp.MustCompile(`apps\.kubernetes\.io/pod-index`), ignore: true},
		{re: regexp.MustCompile(`batch\.kubernetes\.io/job-completion-index`), ignore: true},
		{re: regexp.MustCompile(`batch\.kubernetes\.io/controller-uid`), ignore: true},
		{re: regexp.MustCompile(`.*beta\.kubernetes\.io`), ignore: true},
		{re: regexp.MustCompile(`k8s\.io`), ignore: true},
		{re: regexp.MustCompile(`pod-template-generation`), ignore: true},
		{re: regexp.MustCompile(`pod-template-hash`), ignore: true},
		{re: regexp.MustCompile(`controller-revision-hash`), ignore: true},
		{re: regexp.MustCompile(`controller-uid`), ignore: true},
		{re: regexp.MustCompile(`annotation.*`), ignore: true},
		{re: regexp.MustCompile(`etcd_node`), ignore: true},
		{re: regexp.MustCompile(`topology\.kubernetes\.io`), ignore: true},
	}
})

// inIdentity reports whether the default identity filter keeps a pod label
// with this key (namespace labels are pod labels under
// NamespaceLabelsPrefix). As in Cilium, an entry matches when its
// expression's leftmost match starts at the beginning of the key, and the
// label is kept when no ignoring entry matches, or when a keeping entry
// matches a longer part of the key than the shortest ignoring match.
func inIdentity(key string) bool {
	kept, ignored := 0, 0
	for _, p := range defaultIdentityFilter() {
		loc := p.re.FindStringIndex(key)
		if loc == nil || loc[0] != 0 {
			continue
		}
		switch n := loc[1]; {
		case p.ignore && (ignored == 0 || n < ignored):
			ignored = n
		case !p.ignore && n > kept:
			kept = n
		}
	}
	return ignored == 0 || kept > ignored
}
