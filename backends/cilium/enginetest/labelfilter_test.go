package enginetest

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	k8sConst "github.com/cilium/cilium/pkg/k8s/apis/cilium.io"
	"github.com/cilium/cilium/pkg/labels"
	"github.com/cilium/cilium/pkg/labelsfilter"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/lang/diag"
)

// TestLabelFilterRefusals checks netpolc's refusal of label keys that
// Cilium leaves out of pod identities against Cilium's own label filter
// (pkg/labelsfilter, with the agent's default configuration, as the engine
// uses it): for every generated key that the compiler accepts as a label
// key, a pod selector and a namespace selector naming it compile for the
// cilium target exactly when Cilium keeps the (pod or namespace-prefixed)
// label in identities, and are refused with an unsupported error naming
// the key otherwise.
func TestLabelFilterRefusals(t *testing.T) {
	initCilium()
	kept := func(key string) bool {
		id, _ := labelsfilter.Filter(labels.Labels{key: labels.NewLabel(key, "v", labels.LabelSourceK8s)})
		return id.Has(labels.NewLabel(key, "v", labels.LabelSourceK8s))
	}
	// Fragments around the filter's prefixes, joined at random.
	parts := []string{
		"kubernetes.io", "app.kubernetes.io", "k8s.io", "io.kubernetes", "topology.kubernetes.io",
		"beta.kubernetes.io", "node.beta.kubernetes.io", "statefulset.kubernetes.io", "apps.kubernetes.io",
		"batch.kubernetes.io", "example.com", "pod-template-hash", "pod-template-generation",
		"controller-revision-hash", "controller-uid", "annotation", "annotations", "etcd_node",
		"pod-name", "pod-index", "job-completion-index", "app", "tier", "name", "io", "x",
	}
	rng := rand.New(rand.NewSource(1))
	keys := map[string]bool{}
	for _, p := range parts {
		keys[p] = true
	}
	for len(keys) < 600 {
		n := 1 + rng.Intn(3)
		var b strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString([]string{".", "-", "/", ""}[rng.Intn(4)])
			}
			b.WriteString(parts[rng.Intn(len(parts))])
		}
		keys[b.String()] = true
	}
	var podChecked, podRefused, nsChecked, nsRefused int
	for key := range keys {
		for _, ns := range []bool{false, true} {
			peer := fmt.Sprintf("{%q: v}", key)
			identityKey := key
			if ns {
				peer = fmt.Sprintf("ns{%q: v}/{app: a}", key)
				identityKey = k8sConst.PodNamespaceMetaLabelsPrefix + key
			}
			src := "namespace shop\nallow dns\nweb = {app: web}\n" + peer + " -> web:80\n"
			prog, diags := compileSource(src)
			if diags.HasErrors() {
				continue // not a valid or usable label key: the compiler's business
			}
			_, ed := targetcheck.Emit(cilium.Backend{}, prog, backends.Options{})
			refused, other := filterRefusals(ed, key)
			if other != "" {
				if ns && strings.Contains(other, "namespace label key") {
					continue // too long once prefixed: a separate check
				}
				t.Errorf("%s: unexpected diagnostics:\n%s", peer, other)
				continue
			}
			if want := !kept(identityKey); refused != want {
				t.Errorf("%s: refused=%v, but Cilium's label filter keeps %q: %v", peer, refused, identityKey, !want)
			}
			if ns {
				nsChecked++
				if refused {
					nsRefused++
				}
			} else {
				podChecked++
				if refused {
					podRefused++
				}
			}
		}
	}
	t.Logf("%d pod label keys (%d refused), %d namespace label keys (%d refused) checked against Cilium's label filter", podChecked, podRefused, nsChecked, nsRefused)
	if podRefused == 0 || podRefused == podChecked || nsRefused == 0 {
		t.Errorf("the generated keys do not exercise both outcomes")
	}
}

// filterRefusals reports whether diags refuse key as a label Cilium
// filters out, and renders every other error.
func filterRefusals(diags diag.List, key string) (refused bool, other string) {
	var b strings.Builder
	for _, d := range diags {
		if d.Severity != diag.Error {
			continue
		}
		if d.Code == "unsupported" && strings.Contains(d.Message, fmt.Sprintf("by the label %q", key)) {
			refused = true
			continue
		}
		fmt.Fprintf(&b, "%s\n", d.Error())
	}
	return refused, b.String()
}
