package yamlsrc_test

import (
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolc/netpolc/backends/cilium/api"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/internal/testsupport/clustergen"
	"github.com/netpolc/netpolc/internal/testsupport/yamlmutate"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// decodeTypes are the types objects are decoded into: those the world,
// the importers and the world format decode, plus a few with maps,
// pointers and types that read their own JSON.
var decodeTypes = []func() any{
	func() any { return new(corev1.Pod) },
	func() any { return new(corev1.Namespace) },
	func() any { return new(corev1.Service) },
	func() any { return new(corev1.Node) },
	func() any { return new(appsv1.Deployment) },
	func() any { return new(appsv1.StatefulSet) },
	func() any { return new(appsv1.DaemonSet) },
	func() any { return new(appsv1.ReplicaSet) },
	func() any { return new(batchv1.Job) },
	func() any { return new(batchv1.CronJob) },
	func() any { return new(networkingv1.NetworkPolicy) },
	func() any { return new(eval.WorldFile) },
	func() any { return new(api.Rule) },
	func() any { return new(map[string]any) },
	func() any { return new(any) },
}

// decodeKinds are the kinds checkDecode reads.
var decodeKinds = []yamlsrc.Kind{
	{APIVersion: "v1", Kind: "Namespace", ClusterScoped: true},
	{APIVersion: "v1", Kind: "Pod"},
	{APIVersion: "v1", Kind: "Service"},
	{APIVersion: "v1", Kind: "Node", ClusterScoped: true},
	{APIVersion: "apps/v1", Kind: "Deployment"},
	{APIVersion: "apps/v1", Kind: "StatefulSet"},
	{APIVersion: "apps/v1", Kind: "DaemonSet"},
	{APIVersion: "apps/v1", Kind: "ReplicaSet"},
	{APIVersion: "batch/v1", Kind: "Job"},
	{APIVersion: "batch/v1", Kind: "CronJob"},
	{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
	{APIVersion: "cilium.io/v2", Kind: "CiliumNetworkPolicy"},
	{APIVersion: "cilium.io/v2", Kind: "CiliumClusterwideNetworkPolicy", ClusterScoped: true},
}

// decodeStats count what checkDecode compared.
type decodeStats struct{ decodes, fast, fastWarnings int }

// checkDecode decodes every object of text into every type of
// decodeTypes, strictly and laxly, and holds Decode (with the fast
// decoder) and the fast decoder alone to the slow path: the same value and
// the same diagnostics, and no value from the fast decoder where the slow
// path reports an error.
func checkDecode(t *testing.T, name string, text []byte, st *decodeStats) {
	t.Helper()
	objs, _ := yamlsrc.Read([]*source.File{source.NewFile(name, text)}, yamlsrc.Options{Kinds: decodeKinds, Namespace: "default", Untyped: true})
	for _, o := range objs {
		for _, newValue := range decodeTypes {
			for _, lax := range []bool{false, true} {
				st.decodes++
				slow := newValue()
				slowDiags := o.DecodeSlow(slow, lax)
				got := newValue()
				var gotDiags diag.List
				if lax {
					gotDiags = o.DecodeLax(got)
				} else {
					gotDiags = o.Decode(got)
				}
				what := fmt.Sprintf("%s: %s into %T (lax %v)", name, o, slow, lax)
				if !reflect.DeepEqual(slow, got) || fmt.Sprint(slowDiags) != fmt.Sprint(gotDiags) {
					t.Fatalf("%s: Decode gives %+v\n%v\nthe slow path %+v\n%v\n--- text\n%s", what, got, gotDiags, slow, slowDiags, text)
				}
				fast := newValue()
				fastDiags, ok := o.DecodeFast(fast, lax)
				if lax {
					checkOnly(t, what, o, newValue, ok, fastDiags, text)
				}
				if !ok {
					continue
				}
				st.fast++
				if len(fastDiags) > 0 {
					st.fastWarnings++
				}
				if slowDiags.HasErrors() {
					t.Fatalf("%s: the fast decoder accepts what the slow path refuses: %v\n--- text\n%s", what, slowDiags, text)
				}
				if !reflect.DeepEqual(slow, fast) || fmt.Sprint(slowDiags) != fmt.Sprint(fastDiags) {
					t.Fatalf("%s: the fast decoder gives %+v\n%v\nthe slow path %+v\n%v\n--- text\n%s", what, fast, fastDiags, slow, slowDiags, text)
				}
			}
		}
	}
}

// checkOnly holds the fast decoder that fills no field (DecodeLaxFields
// with an empty Fields), which checks the whole value, to the fast decoder
// that fills them all: it gives up exactly when that does, reports the
// same warnings otherwise, and leaves a struct zero. DecodeLaxFields must
// equal DecodeLax but for the fields left out.
func checkOnly(t *testing.T, what string, o *yamlsrc.Object, newValue func() any, fastOK bool, fastDiags diag.List, text []byte) {
	t.Helper()
	got := newValue()
	diags, ok := o.DecodeFastFields(got, yamlsrc.Fields{})
	if ok != fastOK {
		t.Fatalf("%s: checking alone accepts %v (%v), filling accepts %v (%v)\n--- text\n%s", what, ok, diags, fastOK, fastDiags, text)
	}
	lax := newValue()
	laxDiags := o.DecodeLax(lax)
	fields := newValue()
	if d := o.DecodeLaxFields(fields, yamlsrc.Fields{}); fmt.Sprint(d) != fmt.Sprint(laxDiags) {
		t.Fatalf("%s: DecodeLaxFields reports %v, DecodeLax %v\n--- text\n%s", what, d, laxDiags, text)
	}
	if !ok {
		return
	}
	if fmt.Sprint(diags) != fmt.Sprint(fastDiags) {
		t.Fatalf("%s: checking alone reports %v, filling %v\n--- text\n%s", what, diags, fastDiags, text)
	}
	if v := reflect.ValueOf(got).Elem(); v.Kind() == reflect.Struct && !v.IsZero() {
		t.Fatalf("%s: checking alone fills %+v\n--- text\n%s", what, got, text)
	}
}

// decodeValues replace values in yamlmutate.Lines.
var decodeValues = []string{
	"80", "-1", "0", "007", "0x10", "1_000", "99999999999", "-9223372036854775809", "18446744073709551615",
	"1e3", "1.5", "-0.0", ".inf", ".nan", "true", "false", "yes", "on", "n", "null", "~", "{}", "[]", `"x"`,
	`'80'`, "abc", `"2026-11-20T09:12:44Z"`, "2026-11-20T09:12:44Z", "2001-12-14", `"garbage time"`, "10.244.0.1",
	`"100m"`, "1Gi", `"1.5x"`, "TCP", "http", `"-"`, "<<",
}

// TestFastDecode holds the fast decoder to the slow path on the
// benchmark cluster's world and policies (the first objects), on every
// YAML file of the repository and on value-level mutations of both.
func TestFastDecode(t *testing.T) {
	var st decodeStats
	r := rand.New(rand.NewSource(1))
	c := clustergen.Generate(20)
	inputs := map[string][]byte{"cluster.yaml": c.WorldYAML[:40000], "policies.yaml": c.PolicyYAML[:20000]}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			text, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			inputs[path] = text
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range inputs {
		if name == "cluster.yaml" || name == "policies.yaml" {
			// Cut at an object: the last "\n- " or "\n---".
			i := max(strings.LastIndex(string(text), "\n- apiVersion"), strings.LastIndex(string(text), "\n---"))
			text = text[:i+1]
		}
		checkDecode(t, name, text, &st)
		mutations := 1
		if name == "cluster.yaml" || name == "policies.yaml" {
			mutations = 12
		}
		for j := 0; j < mutations; j++ {
			checkDecode(t, name+" (mutated)", []byte(yamlmutate.Lines(r, string(text), decodeValues)), &st)
		}
	}
	t.Logf("%d decodes, %d by the fast decoder (%d with warnings)", st.decodes, st.fast, st.fastWarnings)
	if st.fast < st.decodes/10 || st.fastWarnings == 0 {
		t.Errorf("the fast decoder decoded %d of %d (%d with warnings)", st.fast, st.decodes, st.fastWarnings)
	}
}

// FuzzFastDecode holds the fast decoder to the slow path on any input
// (objects of every kind decodeKinds lists, into every type, strict and
// lax), seeded with small objects as kubectl prints them.
func FuzzFastDecode(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-0\n  namespace: shop\n  labels:\n    app: web\n  creationTimestamp: \"2026-11-20T09:12:44Z\"\n  ownerReferences:\n  - apiVersion: apps/v1\n    kind: ReplicaSet\n    name: web-5d7c\n    controller: true\nspec:\n  containers:\n  - name: app\n    ports:\n    - containerPort: 8080\n      name: http\n      protocol: TCP\n    resources: {}\nstatus:\n  phase: Running\n  podIP: 10.244.0.1\n"))
	f.Add([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: 2\n  strategy:\n    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 1\n  template:\n    metadata:\n      creationTimestamp: null\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: app\n        resources:\n          limits:\n            cpu: 500m\n"))
	f.Add([]byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n        except:\n        - 10.1.0.0/16\n    ports:\n    - port: 80\n      endPort: 90\n    - port: http\n  policyTypes:\n  - Ingress\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		var st decodeStats
		checkDecode(t, "fuzz.yaml", text, &st)
	})
}

// checkOnlyTexts are objects of the world's kinds as kubectl prints them,
// for TestCheckOnlyEveryValue.
var checkOnlyTexts = []string{
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-0\n  namespace: shop\n  labels:\n    app: web\n  creationTimestamp: \"2026-11-20T09:12:44Z\"\n  ownerReferences:\n  - apiVersion: apps/v1\n    kind: ReplicaSet\n    name: web-5d7c\n    controller: true\n    uid: 8c433eed\nspec:\n  hostNetwork: false\n  containers:\n  - name: app\n    image: app:1\n    ports:\n    - containerPort: 8080\n      hostPort: 80\n      name: http\n      protocol: TCP\n    resources:\n      limits:\n        cpu: 500m\n  terminationGracePeriodSeconds: 30\n  nodeName: worker-1\nstatus:\n  conditions:\n  - lastProbeTime: null\n    lastTransitionTime: \"2026-11-20T09:12:44Z\"\n    status: \"True\"\n    type: Ready\n  containerStatuses:\n  - name: app\n    ready: true\n    restartCount: 0\n    state:\n      running:\n        startedAt: \"2026-11-20T09:12:44Z\"\n  phase: Running\n  podIP: 10.244.0.1\n  podIPs:\n  - ip: 10.244.0.1\n",
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  generation: 3\nspec:\n  replicas: 2\n  progressDeadlineSeconds: 600\n  strategy:\n    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 1\n  template:\n    metadata:\n      creationTimestamp: null\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: app\n        ports:\n        - containerPort: 8080\n          name: http\n        resources:\n          requests:\n            memory: 1Gi\nstatus:\n  availableReplicas: 2\n  observedGeneration: 3\n",
	"apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  namespace: shop\nspec:\n  parallelism: 1\n  suspend: false\n  template:\n    spec:\n      containers:\n      - name: c\nstatus:\n  completionTime: \"2026-11-20T09:12:44Z\"\n  conditions:\n  - type: Complete\n    status: \"True\"\n",
	"apiVersion: v1\nkind: Node\nmetadata:\n  name: worker-1\n  labels:\n    zone: a\nstatus:\n  capacity:\n    cpu: \"4\"\n  addresses:\n  - type: InternalIP\n    address: 192.168.0.10\n",
	"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: http\n  clusterIP: 10.96.0.10\n",
}

// TestCheckOnlyEveryValue holds checking alone (DecodeLaxFields' fields
// left out) to filling on objects of the world's kinds with every value
// of decodeValues in turn on every line, a line given twice and an
// unknown field after it.
func TestCheckOnlyEveryValue(t *testing.T) {
	n := 0
	for _, text := range checkOnlyTexts {
		lines := strings.Split(text, "\n")
		for i, l := range lines {
			k, _, ok := strings.Cut(l, ": ")
			if !ok {
				continue
			}
			var variants []string
			for _, v := range decodeValues {
				variants = append(variants, strings.Join(append(append(slices.Clone(lines[:i]), k+": "+v), lines[i+1:]...), "\n"))
			}
			variants = append(variants, strings.Join(append(slices.Clone(lines[:i+1]), lines[i:]...), "\n"))
			ind := len(l) - len(strings.TrimLeft(l, " -"))
			variants = append(variants, strings.Join(append(append(slices.Clone(lines[:i+1]), strings.Repeat(" ", ind)+"unknownField: [1]"), lines[i+1:]...), "\n"))
			for _, v := range variants {
				objs, _ := yamlsrc.Read([]*source.File{source.NewFile("o.yaml", []byte(v))}, yamlsrc.Options{Kinds: decodeKinds, Namespace: "default", Untyped: true})
				for _, o := range objs {
					for _, newValue := range decodeTypes[:10] {
						if reflect.TypeOf(newValue()).Elem().Name() != o.Kind {
							continue // into its own type only: the test's time
						}
						n++
						full := newValue()
						fullDiags, ok := o.DecodeFast(full, true)
						checkOnly(t, fmt.Sprintf("%s into %T", o, full), o, newValue, ok, fullDiags, []byte(v))
					}
				}
			}
		}
	}
	if n < 2000 {
		t.Errorf("%d decodes", n)
	}
}

// TestYAML11Short: tagOf looks up only values of at most three
// characters; every YAML 1.1 boolean beyond true and false is that short.
func TestYAML11Short(t *testing.T) {
	words := yamlsrc.YAML11Words()
	if len(words) != 16 {
		t.Errorf("%d words: %v", len(words), words)
	}
	for _, v := range words {
		if got := yamlsrc.TagOf(v); got != "!!bool" || len(v) > 3 {
			t.Errorf("%q: %s, want !!bool", v, got)
		}
	}
	for _, v := range []string{"yess", "onn", "offf", "Yes ", "nope"} {
		if got := yamlsrc.TagOf(v); got != "!!str" {
			t.Errorf("%q: %s, want !!str", v, got)
		}
	}
}
