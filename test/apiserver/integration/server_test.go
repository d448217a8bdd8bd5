package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/test/apiserver/policylock"
)

// KubeconfigEnv names the kubeconfig of the server the tests use;
// realk8s.sh sets it. A plain KUBECONFIG is ignored on purpose: the tests
// create and delete namespaces and policies, and must never do so in a
// cluster that happens to be the developer's current context.
const KubeconfigEnv = "NETPOLC_APISERVER_KUBECONFIG"

// cluster is the API server under test.
type cluster struct {
	dyn  dynamic.Interface
	core kubernetes.Interface
	// clusterScoped serialises the checks of cluster-scoped objects, whose
	// names are not made unique by a per-program namespace.
	clusterScoped sync.Mutex
}

var (
	connectOnce sync.Once
	theCluster  *cluster
	connectErr  error
)

// connect returns the server named by $NETPOLC_APISERVER_KUBECONFIG. Without
// it the test is skipped with a loud message, or fails when $CI is set, so
// that a missing server never passes silently in CI.
func connect(t *testing.T) *cluster {
	t.Helper()
	path := os.Getenv(KubeconfigEnv)
	if path == "" {
		msg := "NO KUBE-APISERVER: $" + KubeconfigEnv + " is not set, so netpolc's output was NOT checked " +
			"against a real API server. Run test/apiserver/realk8s.sh run (make test does)."
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " $CI is set: a missing server is a failure.")
		}
		t.Skip(msg)
	}
	connectOnce.Do(func() { theCluster, connectErr = newCluster(path) })
	if connectErr != nil {
		t.Fatalf("API server of %s=%s: %v", KubeconfigEnv, path, connectErr)
	}
	return theCluster
}

func newCluster(kubeconfig string) (*cluster, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	// client-go's default of 5 requests a second would make the suite take
	// most of an hour.
	cfg.QPS, cfg.Burst = 1000, 2000
	cfg.Timeout = 30 * time.Second
	c := &cluster{}
	cfg.WarningHandlerWithContext = warningRouter{}
	if c.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if c.core, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := c.core.Discovery().ServerVersion()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "integration: kube-apiserver %s at %s\n", v.GitVersion, cfg.Host)
	// The Cilium and network-policy API CRDs must be there; realk8s.sh
	// installs them.
	for _, gvr := range append([]schema.GroupVersionResource{cnpGVR, ccnpGVR}, policyAPIGVR...) {
		if _, err := c.dyn.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
			return nil, fmt.Errorf("listing %s %s (are the CRDs installed?): %w", gvr.Version, gvr.Resource, err)
		}
	}
	return c, nil
}

// warningRouter hands the server's warnings (Warning headers) to the
// warningSink of the request's context, so that check can fail on them: an
// object netpolc writes should draw none. Warnings outside a check are
// printed.
type warningRouter struct{}

type warningsKey struct{}

type warningSink struct {
	mu    sync.Mutex
	texts []string
}

func (warningRouter) HandleWarningHeaderWithContext(ctx context.Context, code int, _, text string) {
	if code != 299 || text == "" {
		return
	}
	if s, ok := ctx.Value(warningsKey{}).(*warningSink); ok {
		s.mu.Lock()
		s.texts = append(s.texts, text)
		s.mu.Unlock()
		return
	}
	fmt.Fprintf(os.Stderr, "integration: server warning: %s\n", text)
}

func (s *warningSink) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.texts
	s.texts = nil
	return t
}

var (
	npGVR   = schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}
	cnpGVR  = schema.GroupVersionResource{Group: "cilium.io", Version: "v2", Resource: "ciliumnetworkpolicies"}
	ccnpGVR = schema.GroupVersionResource{Group: "cilium.io", Version: "v2", Resource: "ciliumclusterwidenetworkpolicies"}
	// The network-policy API (realk8s.sh installs its CRDs).
	anpGVR       = schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1alpha1", Resource: "adminnetworkpolicies"}
	banpGVR      = schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1alpha1", Resource: "baselineadminnetworkpolicies"}
	cnpA2GVR     = schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1alpha2", Resource: "clusternetworkpolicies"}
	cnpB1GVR     = schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1beta1", Resource: "clusternetworkpolicies"}
	policyAPIGVR = []schema.GroupVersionResource{anpGVR, banpGVR, cnpA2GVR, cnpB1GVR}
)

// resourceOf maps an emitted object's apiVersion and kind to its resource.
func resourceOf(u *unstructured.Unstructured) (schema.GroupVersionResource, error) {
	switch u.GetAPIVersion() + " " + u.GetKind() {
	case "networking.k8s.io/v1 NetworkPolicy":
		return npGVR, nil
	case "cilium.io/v2 CiliumNetworkPolicy":
		return cnpGVR, nil
	case "cilium.io/v2 CiliumClusterwideNetworkPolicy":
		return ccnpGVR, nil
	case "policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy":
		return anpGVR, nil
	case "policy.networking.k8s.io/v1alpha1 BaselineAdminNetworkPolicy":
		return banpGVR, nil
	case "policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy":
		return cnpA2GVR, nil
	case "policy.networking.k8s.io/v1beta1 ClusterNetworkPolicy":
		return cnpB1GVR, nil
	}
	return schema.GroupVersionResource{}, fmt.Errorf("no resource known for %s %s", u.GetAPIVersion(), u.GetKind())
}

// strict is how every object is sent: unknown or duplicate fields are
// errors, as with kubectl's default --validate=strict.
const strict = metav1.FieldValidationStrict

// manifests turns emitted objects into what a user applies: the YAML stream
// netpolc writes (backends.WriteYAML), split and decoded the way kubectl
// decodes it. It also checks that the YAML and JSON outputs agree, so a YAML
// quoting problem (say, a label value y read back as true) shows up here.
func manifests(objs []backends.Object) ([]*unstructured.Unstructured, error) {
	var y, j bytes.Buffer
	if err := backends.WriteYAML(&y, objs); err != nil {
		return nil, err
	}
	if err := backends.WriteJSON(&j, objs); err != nil {
		return nil, err
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(j.Bytes(), &list); err != nil {
		return nil, fmt.Errorf("JSON output: %w", err)
	}
	out, err := decodeYAML(y.Bytes())
	if err != nil {
		return nil, err
	}
	for i, u := range out {
		if i >= len(list.Items) {
			return nil, fmt.Errorf("YAML output has more documents than the JSON output has items")
		}
		if d := differences("", list.Items[i], u.Object); len(d) > 0 {
			return nil, fmt.Errorf("YAML document %d differs from JSON item %d: %s\n%s", i+1, i+1, d[0], show(u))
		}
	}
	if len(out) != len(list.Items) || len(out) != len(objs) {
		return nil, fmt.Errorf("%d objects, %d YAML documents, %d JSON items", len(objs), len(out), len(list.Items))
	}
	return out, nil
}

// decodeYAML splits a YAML stream as netpolc writes it and decodes each
// document as kubectl does (sigs.k8s.io/yaml, YAML 1.1 scalars).
func decodeYAML(stream []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for i, doc := range backends.SplitYAML(stream) {
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("YAML document %d: %w\n%s", i+1, err, doc)
		}
		var m map[string]any
		if err := json.Unmarshal(js, &m); err != nil {
			return nil, fmt.Errorf("YAML document %d: %w", i+1, err)
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out, nil
}

// namespaces creates one fresh namespace for each namespace the objects
// live in, named prefix-NAME, and moves the objects there: programs never
// share a namespace, and a namespace is never reused (without a controller
// manager, a deleted namespace stays Terminating for ever). Only
// metadata.namespace changes: namespaces named inside the policies are label
// values, which the server does not resolve. The namespaces are deleted when
// the test ends.
func (c *cluster) namespaces(t *testing.T, prefix string, us []*unstructured.Unstructured) error {
	t.Helper()
	ctx := context.Background()
	made := map[string]string{}
	var names []string
	for _, u := range us {
		ns := u.GetNamespace()
		if ns == "" {
			continue
		}
		if _, ok := made[ns]; !ok {
			made[ns] = prefix + "-" + ns
			names = append(names, made[ns])
		}
		u.SetNamespace(made[ns])
	}
	sort.Strings(names)
	for _, n := range names {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n, Labels: map[string]string{"netpolc.io/test": "apiserver"}}}
		if _, err := c.core.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating namespace %s: %w", n, err)
		}
		t.Cleanup(func() {
			err := c.core.CoreV1().Namespaces().Delete(context.Background(), n, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("deleting namespace %s: %v", n, err)
			}
		})
	}
	return nil
}

// check sends one object as a user's apply would, with strict field
// validation: first as a dry run (DryRun: All), then for real; reads it back
// and compares it with what was sent; then deletes it. Any rejection is
// returned with the server's own message.
func (c *cluster) check(ctx context.Context, u *unstructured.Unstructured) (err error) {
	gvr, err := resourceOf(u)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = c.dyn.Resource(gvr)
	if u.GetNamespace() != "" {
		ri = c.dyn.Resource(gvr).Namespace(u.GetNamespace())
	} else {
		c.clusterScoped.Lock()
		defer c.clusterScoped.Unlock()
	}
	if gvr.Group == "policy.networking.k8s.io" {
		// Admin policies act on every pod of the cluster: none may exist
		// while the dataplane tests run the agent in its admin-policy
		// mode (policylock).
		unlock, err := policylock.Lock()
		if err != nil {
			return err
		}
		defer unlock()
	}
	return roundTrip(ctx, ri, u, "read back differs from what was sent", func(sent, got map[string]any) []string {
		return unexplained(u.GetKind(), sent, got)
	})
}

// checkUnique is check for a cluster-scoped object whose name no other
// object of the run has: it need not wait for the other cluster-scoped
// objects.
func (c *cluster) checkUnique(ctx context.Context, u *unstructured.Unstructured) error {
	gvr, err := resourceOf(u)
	if err != nil {
		return err
	}
	if u.GetNamespace() != "" {
		return fmt.Errorf("checkUnique takes cluster-scoped objects")
	}
	unlock, err := policylock.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	return roundTrip(ctx, c.dyn.Resource(gvr), u, "read back differs from what was sent", func(sent, got map[string]any) []string {
		return unexplained(u.GetKind(), sent, got)
	})
}

// roundTrip creates u through ri with strict field validation, first as a
// dry run (which must raise no warning), then for real; reads it back and
// returns diff(sent, stored), when not empty, as an error under heading;
// then deletes it. Any rejection is returned with the server's own message.
func roundTrip(ctx context.Context, ri dynamic.ResourceInterface, u *unstructured.Unstructured, heading string, diff func(sent, got map[string]any) []string) (err error) {
	sent := u.DeepCopy().Object
	sink := &warningSink{}
	ctx = context.WithValue(ctx, warningsKey{}, sink)

	if _, err := ri.Create(ctx, u.DeepCopy(), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: strict}); err != nil {
		return fmt.Errorf("dry-run create rejected: %w", err)
	}
	if w := sink.take(); len(w) > 0 {
		return fmt.Errorf("dry-run create accepted it with warnings:\n  %s", strings.Join(w, "\n  "))
	}
	if _, err := ri.Create(ctx, u.DeepCopy(), metav1.CreateOptions{FieldValidation: strict, FieldManager: "netpolc-test"}); err != nil {
		return fmt.Errorf("create rejected (the dry run had accepted it): %w", err)
	}
	defer func() {
		if derr := ri.Delete(ctx, u.GetName(), metav1.DeleteOptions{}); derr != nil && err == nil {
			err = fmt.Errorf("delete: %w", derr)
		}
	}()
	got, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	if d := diff(sent, got.Object); len(d) > 0 {
		return fmt.Errorf("%s:\n  %s", heading, strings.Join(d, "\n  "))
	}
	return nil
}

// unexplained compares what was sent with what the server stored: the whole
// spec, and every metadata field that was sent (the server adds uid,
// resourceVersion, creationTimestamp, generation and managedFields). It
// returns the differences that server defaulting does not explain.
func unexplained(kind string, sent, got map[string]any) []string {
	var out []string
	for _, k := range []string{"apiVersion", "kind", "spec"} {
		for _, d := range differences(k, sent[k], got[k]) {
			if why := explained(kind, d); why == "" {
				out = append(out, d.String())
			}
		}
	}
	sm, _ := sent["metadata"].(map[string]any)
	gm, _ := got["metadata"].(map[string]any)
	for k, v := range sm {
		for _, d := range differences("metadata."+k, v, gm[k]) {
			out = append(out, d.String())
		}
	}
	sort.Strings(out)
	return out
}

// explained says why the server may legitimately store d differently from
// what was sent (its defaulting), or "" if nothing explains it. netpolc
// writes these fields itself, so none of them is expected to fire; they are
// listed so that a failure is never about a harmless default.
func explained(kind string, d difference) string {
	if d.sent != nil {
		return ""
	}
	last := d.path[strings.LastIndex(d.path, ".")+1:]
	switch {
	case kind == "NetworkPolicy" && d.path == "spec.policyTypes":
		return "NetworkPolicy: policyTypes defaults from the rules present"
	case kind == "NetworkPolicy" && last == "protocol" && d.got == "TCP":
		return "NetworkPolicy: a port's protocol defaults to TCP"
	case strings.HasPrefix(kind, "Cilium") && last == "family" && d.got == "IPv4" && strings.Contains(d.path, ".icmps["):
		return "Cilium CRD schema: an ICMP field's family defaults to IPv4"
	}
	return ""
}

// difference is one place where two JSON values differ; nil is "absent".
type difference struct {
	path      string
	sent, got any
}

func (d difference) String() string {
	show := func(v any) string {
		if v == nil {
			return "(absent)"
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	return fmt.Sprintf("%s: sent %s, stored %s", d.path, show(d.sent), show(d.got))
}

// differences walks two decoded JSON values. Numbers are compared by value
// (encoding/json decodes float64, the dynamic client int64).
func differences(path string, a, b any) []difference {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return []difference{{path, a, b}}
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		var out []difference
		for _, k := range sorted {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out = append(out, differences(p, av[k], bv[k])...)
		}
		return out
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return []difference{{path, a, b}}
		}
		var out []difference
		for i := range av {
			out = append(out, differences(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i])...)
		}
		return out
	}
	if an, ok := number(a); ok {
		if bn, ok := number(b); ok && an == bn {
			return nil
		}
		return []difference{{path, a, b}}
	}
	if a != b {
		return []difference{{path, a, b}}
	}
	return nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	}
	return 0, false
}

// summary logs a result line and also prints it to stderr, which go test
// shows in local directory mode (realk8s.sh run) even when the test passes.
func summary(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf(format, args...)
	if !testing.Verbose() {
		fmt.Fprintf(os.Stderr, "integration: "+format+"\n", args...)
	}
}

// show renders an object for a failure message.
func show(u *unstructured.Unstructured) string {
	b, err := yaml.Marshal(u.Object)
	if err != nil {
		return fmt.Sprint(u.Object)
	}
	return string(b)
}

var _ rest.WarningHandlerWithContext = warningRouter{}
