package compile

import (
	"strings"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/format"
)

// reservedKey is a label key (or every key with a prefix) that no selector
// may name.
type reservedKey struct {
	key    string
	prefix bool   // every key that starts with key
	detail string // why, as a Detail sentence
	hint   func(t ast.LabelTerm) string
}

// reservedLabelKeys are the label keys Cilium derives for every pod endpoint
// or keeps for itself. Cilium matches a selector term without a source
// ("app") against labels of every source, and some of these keys change
// which namespaces a selector may reach, so a user selector naming one could
// select pods of any namespace (or cluster). They are refused in every
// selector (pods, namespaces, services, nodes) and for every target, so that
// a program means the same on every target (docs/semantics.md, section
// 2.5). The first matching entry wins: specific entries come before the
// prefix that covers them.
//
// Keys with a label source ("k8s:app", "reserved:host", "any:app",
// "cidr:...", "$host") are not listed: ':' and '$' are not allowed in a
// Kubernetes label key, so they are already invalid keys (bad-label-key).
var reservedLabelKeys = []reservedKey{
	// Cilium sets this label on every pod to the pod's namespace (replacing
	// a pod label of the same key), and an endpoint selector that names it
	// is not confined to the policy's namespace.
	{key: "io.kubernetes.pod.namespace", detail: detailReservedPodNamespace, hint: hintPodNamespace},
	// Cilium copies the labels of the pod's namespace to the pod under this
	// prefix, and an endpoint selector that names one of them is not
	// confined to the policy's namespace.
	{key: "io.cilium.k8s.namespace.labels.", prefix: true, detail: detailReservedNamespaceLabels, hint: hintNamespaceLabels},
	// The pod's service account: a pod label for Cilium only (NetworkPolicy
	// cannot select it), and not tied to a namespace.
	{key: "io.cilium.k8s.policy.serviceaccount", detail: detailReservedServiceAccount},
	// The pod's cluster: naming it lifts Cilium's confinement of peers to
	// the local cluster (ClusterMesh).
	{key: "io.cilium.k8s.policy.cluster", detail: detailReservedCluster},
	// Cilium removes every pod label whose key starts with these characters
	// (no dot: "io.cilium.k8sx" too) and uses the prefix for what it
	// derives: the two above, the policy labels (policy.name, .namespace,
	// .uid, .derived-from) and named ports.
	{key: "io.cilium.k8s", prefix: true, detail: detailReservedCilium},
}

// reservedLabelKey returns the entry of reservedLabelKeys that covers key.
func reservedLabelKey(key string) (reservedKey, bool) {
	for _, r := range reservedLabelKeys {
		if key == r.key || r.prefix && strings.HasPrefix(key, r.key) {
			return r, true
		}
	}
	return reservedKey{}, false
}

// termText renders a selector term, with the given key, as fmt writes it.
func termText(key string, t ast.LabelTerm) string {
	t.Key.Value = key
	return format.Term(t)
}

// hintPodNamespace writes the namespace part that says what the term
// meant: a namespace by name, or by the name label of the namespace.
func hintPodNamespace(t ast.LabelTerm) string {
	switch {
	case t.Op == ast.OpEq && len(t.Values) == 1:
		return sprintf(hintWriteNamespace, format.LabelValue(t.Values[0].Value)+"/{...}")
	case t.Op == ast.OpNotExists: // every pod has a namespace
		return sprintf(hintWriteNamespace, "NS/{...} or ns{...}/{...}")
	}
	return sprintf(hintWriteNamespace, "ns{"+termText(namespaceNameLabel, t)+"}/{...}")
}

// hintNamespaceLabels writes the namespace-label selector the term meant.
func hintNamespaceLabels(t ast.LabelTerm) string {
	key := strings.TrimPrefix(t.Key.Value, "io.cilium.k8s.namespace.labels.")
	return sprintf(hintWriteNamespace, "ns{"+termText(key, t)+"}/{...}")
}

// namespaceNameLabel is the label the API server sets on every namespace
// to its name.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// keyConstraint is what the terms of a selector seen so far require of one
// key. Terms are AND-ed; a key is either absent or has one value.
type keyConstraint struct {
	present  bool            // a term needs the key (k, k: v, k in (...))
	absent   bool            // !k
	values   map[string]bool // nil: any value; else the values k: v and k in (...) all allow
	excluded map[string]bool // k != v, k notin (...)
	terms    []ast.LabelTerm // the terms on the key so far
	reported bool
}

// add adds one term on the key.
func (k *keyConstraint) add(t ast.LabelTerm) {
	k.terms = append(k.terms, t)
	switch t.Op {
	case ast.OpEq, ast.OpIn:
		k.present = true
		next := map[string]bool{}
		for _, v := range t.Values {
			if k.values == nil || k.values[v.Value] {
				next[v.Value] = true
			}
		}
		k.values = next
	case ast.OpNotEq, ast.OpNotIn:
		if k.excluded == nil {
			k.excluded = map[string]bool{}
		}
		for _, v := range t.Values {
			k.excluded[v.Value] = true
		}
	case ast.OpExists:
		k.present = true
	case ast.OpNotExists:
		k.absent = true
	}
}

// empty reports whether no label set satisfies the terms: the key can be
// absent unless a term needs it, and present with a value unless !k is
// written or every allowed value is excluded (without k: v or k in (...)
// infinitely many values are allowed, and only finitely many excluded).
func (k *keyConstraint) empty() bool {
	if !k.present {
		return false
	}
	if k.absent {
		return true
	}
	if k.values == nil {
		return false
	}
	for v := range k.values {
		if !k.excluded[v] {
			return false
		}
	}
	return true
}

// ReservedLabelKey is one entry of the label keys no selector may name:
// Key itself, or with Prefix every key that starts with Key.
type ReservedLabelKey struct {
	Key    string
	Prefix bool
}

// ReservedLabelKeys returns the label keys that selectors may not name
// (reported as reserved-label-key), for tests of the backends.
func ReservedLabelKeys() []ReservedLabelKey {
	out := make([]ReservedLabelKey, len(reservedLabelKeys))
	for i, r := range reservedLabelKeys {
		out[i] = ReservedLabelKey{Key: r.key, Prefix: r.prefix}
	}
	return out
}
