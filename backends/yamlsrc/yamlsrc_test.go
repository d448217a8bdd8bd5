package yamlsrc

import (
	"fmt"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

var npKinds = Options{Kinds: []Kind{
	{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
	{APIVersion: "cilium.io/v2", Kind: "CiliumClusterwideNetworkPolicy", ClusterScoped: true},
}}

// summary renders objects and diagnostics one a line.
func summary(objs []*Object, diags diag.List) string {
	var b strings.Builder
	for _, o := range objs {
		fmt.Fprintf(&b, "%s %s %s\n", o.Span, o.APIVersion, o)
	}
	for _, d := range diags {
		fmt.Fprintf(&b, "%s %s[%s] %s\n", d.Span, d.Severity, d.Code, d.Message)
	}
	return b.String()
}

func read(name, text string, opts Options) string {
	return summary(Read([]*source.File{source.NewFile(name, []byte(text))}, opts))
}

func TestReadForms(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		ns             string
	}{
		{name: "single", in: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: shop}
`, want: "f:1:1 networking.k8s.io/v1 NetworkPolicy shop/a\n"},
		{name: "multi-doc with empty documents", in: `---
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: shop}
---
# only a comment
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
...
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b, namespace: shop}
`, want: "f:3:1 networking.k8s.io/v1 NetworkPolicy shop/a\nf:14:1 networking.k8s.io/v1 NetworkPolicy shop/b\nf:9:1 info[skipped] skipped Deployment shop/web\n"},
		{name: "List", in: `apiVersion: v1
kind: List
metadata: {resourceVersion: ""}
items:
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: a, namespace: shop}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: c, namespace: shop}
`, want: "f:5:3 networking.k8s.io/v1 NetworkPolicy shop/a\nf:8:3 info[skipped] skipped ConfigMap shop/c\n"},
		{name: "NetworkPolicyList", in: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicyList
items:
- {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: a, namespace: x}}
- {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: b, namespace: z}}
`, want: "f:4:3 networking.k8s.io/v1 NetworkPolicy x/a\nf:5:3 networking.k8s.io/v1 NetworkPolicy z/b\n"},
		{name: "YAML 1.1 boolean as kubectl reads it", in: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: b, namespace: y}\n",
			want: "f:3:32 error[bad-value] metadata.namespace must be a string, found the boolean y\n"},
		{name: "quoted, it is a string", in: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: b, namespace: \"y\"}\n",
			want: "f:1:1 networking.k8s.io/v1 NetworkPolicy y/b\n"},
		{name: "empty List", in: "apiVersion: v1\nkind: List\nitems: []\n", want: ""},
		{name: "JSON with tabs", in: "{\n\t\"apiVersion\": \"networking.k8s.io/v1\",\n\t\"kind\": \"NetworkPolicy\",\n\t\"metadata\": {\"name\": \"a\", \"namespace\": \"shop\"}\n}\n",
			want: "f:1:1 networking.k8s.io/v1 NetworkPolicy shop/a\n"},
		{name: "JSON List", in: `{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "a", "namespace": "shop"}}]}`,
			want: "f:2:3 networking.k8s.io/v1 NetworkPolicy shop/a\n"},
		{name: "flow style with trailing commas", in: `{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy,
 metadata: {name: a, namespace: shop,}, spec: {podSelector: {}, policyTypes: [Ingress, Egress,],},}`,
			want: "f:1:1 networking.k8s.io/v1 NetworkPolicy shop/a\n"},
		{name: "empty file", in: "", want: ""},
		{name: "comments only", in: "# nothing\n", want: ""},
		{name: "default namespace", ns: "dflt", in: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n",
			want: "f:1:1 networking.k8s.io/v1 NetworkPolicy dflt/a\n"},
		{name: "no namespace", in: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: a\n",
			want: "f:3:1 error[no-namespace] NetworkPolicy a has no metadata.namespace; pass --namespace\n"},
		{name: "cluster-scoped", in: "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: a}\n",
			want: "f:1:1 cilium.io/v2 CiliumClusterwideNetworkPolicy a\n"},
		{name: "no name", in: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: x}\n",
			want: "f:3:1 error[no-name] NetworkPolicy has no metadata.name\n"},
		{name: "other API version", in: "apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: x}\n",
			want: "f:1:1 warning[api-version] skipped NetworkPolicy x/a: apiVersion extensions/v1beta1 is not read (only networking.k8s.io/v1)\n"},
		{name: "not an object", in: "- a\n- b\n", want: "f:1:1 error[not-an-object] a Kubernetes object is a mapping with apiVersion and kind, found a sequence\n"},
		{name: "no kind", in: "apiVersion: v1\nmetadata: {}\n", want: "f:1:1 error[not-an-object] not a Kubernetes object: no kind\n"},
		{name: "scalar", in: "hello\n", want: "f:1:1 error[not-an-object] a Kubernetes object is a mapping with apiVersion and kind, found the string \"hello\"\n"},
		{name: "bad YAML", in: "apiVersion: v1\nkind: List\nitems:\n- a: [1, 2\n  b: c\n",
			want: "f:4:1 error[yaml] invalid YAML: did not find expected ',' or ']'\n"},
		{name: "tab indentation", in: "apiVersion: v1\n\tkind: List\n", want: "f:2:2 error[yaml] invalid YAML: found a tab character that violates indentation\n"},
		{name: "bad YAML after a good document", in: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: x}\n---\nkind: [\n",
			want: "f:1:1 networking.k8s.io/v1 NetworkPolicy x/a\nf:6:1 error[yaml] invalid YAML: did not find expected node content\n"},
		{name: "aliases", in: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: &m {name: a, namespace: x}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: *m\n",
			want: "f:1:1 networking.k8s.io/v1 NetworkPolicy x/a\nf:5:1 networking.k8s.io/v1 NetworkPolicy x/a\n"},
		{name: "byte order mark", in: source.BOM + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: x}\n",
			want: "f:1:1 networking.k8s.io/v1 NetworkPolicy x/a\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := npKinds
			opts.Namespace = tc.ns
			if got := read("f", tc.in, opts); got != tc.want {
				t.Errorf("got:\n%swant:\n%s", got, tc.want)
			}
		})
	}
}

func TestReadFileOrder(t *testing.T) {
	doc := func(name string) []byte {
		return []byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name + ", namespace: x}\n")
	}
	objs, diags := Read([]*source.File{source.NewFile("b", doc("b")), source.NewFile("a", doc("a"))}, npKinds)
	if got, want := summary(objs, diags), "b:1:1 networking.k8s.io/v1 NetworkPolicy x/b\na:1:1 networking.k8s.io/v1 NetworkPolicy x/a\n"; got != want {
		t.Errorf("got:\n%swant:\n%s", got, want)
	}
}

const kubectlOutput = `apiVersion: v1
items:
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: |
        {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"annotations":{},"name":"web","namespace":"shop"},"spec":{"podSelector":{}}}
    creationTimestamp: "2024-05-01T10:00:00Z"
    generation: 1
    managedFields:
    - apiVersion: networking.k8s.io/v1
      fieldsType: FieldsV1
      fieldsV1:
        f:spec:
          f:podSelector: {}
          f:policyTypes: {}
      manager: kubectl-client-side-apply
      operation: Update
      time: 2024-05-01T10:00:00Z
    name: web
    namespace: shop
    resourceVersion: "1234"
    uid: 3f1c2c4e-8d3a-4b8e-9a53-0d2a4c7c1e11
  spec:
    podSelector:
      matchLabels:
        app: web
    ingress:
    - from:
      - podSelector: {}
      ports:
      - port: 8080
        protocol: TCP
      - port: http
    policyTypes:
    - Ingress
  status: {}
kind: List
metadata:
  resourceVersion: ""
`

func TestDecodeKubectlOutput(t *testing.T) {
	objs, diags := Read([]*source.File{source.NewFile("k.yaml", []byte(kubectlOutput))}, npKinds)
	if len(diags) > 0 || len(objs) != 1 {
		t.Fatalf("Read: %s", summary(objs, diags))
	}
	var np networkingv1.NetworkPolicy
	if d := objs[0].Decode(&np); len(d) > 0 {
		t.Fatalf("Decode: %s", summary(nil, d))
	}
	if np.Name != "web" || np.Spec.PodSelector.MatchLabels["app"] != "web" || len(np.Spec.Ingress) != 1 ||
		np.Spec.Ingress[0].Ports[0].Port.IntValue() != 8080 || np.Spec.Ingress[0].Ports[1].Port.String() != "http" ||
		np.Generation != 1 || np.ResourceVersion != "1234" || len(np.ManagedFields) != 1 {
		t.Errorf("decoded %+v", np)
	}
	for _, tc := range []struct {
		path []any
		want string
	}{
		{[]any{"spec", "ingress", 0, "ports", 1, "port"}, "k.yaml:35:9-35:19 port: http"},
		{[]any{"spec", "ingress", 0, "ports", 1}, "k.yaml:35:9-35:19 port: http"},
		{[]any{"spec", "ingress", 0, "from", 0, "podSelector"}, "k.yaml:31:9-31:24 podSelector: {}"},
		{[]any{"spec", "ingress", 0, "from", 7, "podSelector"}, "k.yaml:30:7-31:24 from:\n      - podSelector: {}"}, // from: falls back
		{[]any{"spec", "policyTypes", 0}, "k.yaml:37:7-37:14 Ingress"},
		{[]any{"metadata", "uid"}, "k.yaml:24:5-24:46 uid: 3f1c2c4e-8d3a-4b8e-9a53-0d2a4c7c1e11"},
		{[]any{"metadata", "name"}, "k.yaml:21:5-21:14 name: web"},
		{[]any{"metadata", "creationTimestamp"}, "k.yaml:9:5-9:46 creationTimestamp: \"2024-05-01T10:00:00Z\""},
		{[]any{"nope"}, ""},
	} {
		sp := objs[0].Pos(tc.path...)
		got := fmt.Sprintf("%s:%d:%d-%d:%d %s", sp.File, sp.Start.Line, sp.Start.Col, sp.End.Line, sp.End.Col, kubectlOutput[sp.Start.Offset:sp.End.Offset])
		if tc.want == "" {
			if sp != objs[0].Span {
				t.Errorf("Pos%v = %s, want the object's span", tc.path, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("Pos%v = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	const head = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: x}\n"
	for _, tc := range []struct{ name, in, want string }{
		{"unknown field", head + "spec:\n  ingress:\n  - form: []\n",
			"f:6:5 error[unknown-field] unknown field \"spec.ingress[0].form\"\n"},
		{"case matters", head + "spec:\n  PodSelector: {}\n",
			"f:5:3 error[unknown-field] unknown field \"spec.PodSelector\"\n"},
		{"unknown in metadata", head[:len(head)-1] + "\nmetadata2: {}\n",
			"f:4:1 error[unknown-field] unknown field \"metadata2\"\n"},
		{"duplicate", head + "spec:\n  podSelector: {}\n  podSelector: {}\n",
			"f:6:3 error[duplicate-field] duplicate field \"spec.podSelector\"\n"},
		{"YAML 1.1 boolean as label value", head + "spec:\n  podSelector:\n    matchLabels: {enabled: on}\n",
			"f:6:28 error[bad-value] spec.podSelector.matchLabels[\"enabled\"] must be a string, found the boolean on (quote it)\n"},
		{"number as label value", head + "spec:\n  podSelector:\n    matchLabels: {version: 1.0}\n",
			"f:6:28 error[bad-value] spec.podSelector.matchLabels[\"version\"] must be a string, found the number 1.0 (quote it)\n"},
		{"string as port number", head + "spec:\n  ingress:\n  - ports:\n    - {port: 80, endPort: high}\n",
			"f:7:27 error[bad-value] spec.ingress[0].ports[0].endPort must be an integer, found the string \"high\"\n"},
		{"mapping as list", head + "spec:\n  ingress: {from: []}\n",
			"f:5:12 error[bad-value] spec.ingress must be a list, found a mapping\n"},
		{"status tolerated", head + "status: {}\nspec: {}\n", ""},
		{"trailing comma", head + "spec: {policyTypes: [Ingress,],}\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, diags := Read([]*source.File{source.NewFile("f", []byte(tc.in))}, npKinds)
			if len(diags) > 0 || len(objs) != 1 {
				t.Fatalf("Read: %s", summary(objs, diags))
			}
			var np networkingv1.NetworkPolicy
			if got := summary(nil, objs[0].Decode(&np)); got != tc.want {
				t.Errorf("got:\n%swant:\n%s", got, tc.want)
			}
		})
	}
}

func TestHasIsNull(t *testing.T) {
	in := "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: x}\nspec:\n  ingress:\n  - from:\n  - from: []\n"
	objs, _ := Read([]*source.File{source.NewFile("f", []byte(in))}, npKinds)
	o := objs[0]
	for _, tc := range []struct {
		path      []any
		has, null bool
	}{
		{[]any{"spec", "ingress", 0, "from"}, true, true},
		{[]any{"spec", "ingress", 1, "from"}, true, false},
		{[]any{"spec", "ingress", 2, "from"}, false, true},
		{[]any{"spec", "egress"}, false, true},
	} {
		if o.Has(tc.path...) != tc.has || o.IsNull(tc.path...) != tc.null {
			t.Errorf("%v: Has %v IsNull %v, want %v %v", tc.path, o.Has(tc.path...), o.IsNull(tc.path...), tc.has, tc.null)
		}
	}
}

// FuzzRead checks that Read, Decode and Pos never panic and that every span
// lies inside its file.
func FuzzRead(f *testing.F) {
	f.Add(kubectlOutput)
	f.Add("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: x}\nspec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]}\n")
	f.Add("{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{}]}")
	f.Add("a: &x [*x]\n")
	f.Add("<<: {a: 1}\n")
	f.Add("---\n- 1\n---\n'x'\n")
	f.Fuzz(func(t *testing.T, in string) {
		file := source.NewFile("f", []byte(in))
		objs, diags := Read([]*source.File{file}, npKinds)
		inside := func(sp source.Span) {
			if sp.IsValid() && (sp.Start.Offset > sp.End.Offset || sp.End.Offset > len(in)) {
				t.Fatalf("span %+v outside the file of %d bytes", sp, len(in))
			}
		}
		for _, d := range diags {
			inside(d.Span)
		}
		for _, o := range objs {
			inside(o.Span)
			inside(o.Pos("spec", "ingress", 0, "from", 0))
			var np networkingv1.NetworkPolicy
			for _, d := range o.Decode(&np) {
				inside(d.Span)
			}
		}
	})
}

func TestMergeKeys(t *testing.T) {
	in := `base: &base {podSelector: {matchLabels: {app: web}}, policyTypes: [Egress]}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: x}
spec:
  <<: [*base, *base]
  policyTypes: [Ingress]
`
	objs, diags := Read([]*source.File{source.NewFile("f", []byte(in))}, npKinds)
	if len(objs) != 1 || len(diags) != 0 {
		t.Fatalf("Read: %s", summary(objs, diags))
	}
	var np networkingv1.NetworkPolicy
	d := objs[0].Decode(&np)
	// "base" is not a field: merge keys are for use within the object.
	if got, want := summary(nil, d), "f:1:1 error[unknown-field] unknown field \"base\"\n"; got != want {
		t.Errorf("got:\n%swant:\n%s", got, want)
	}
	if got := objs[0].Pos("spec", "podSelector", "matchLabels", "app"); got.Start.Line != 1 {
		t.Errorf("merged key at %s, want line 1", got)
	}
}

// TestAliasBomb: a document whose aliases expand exponentially is refused
// quickly, with an error.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	// fieldsV1 reads its own JSON: Decode converts it without checking it.
	b.WriteString("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: a\n  namespace: x\n  managedFields:\n  - fieldsV1:\n      x0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "      x%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	objs, diags := Read([]*source.File{source.NewFile("f", []byte(b.String()))}, npKinds)
	if len(objs) != 1 || len(diags) != 0 {
		t.Fatalf("Read: %s", summary(objs, diags))
	}
	var np networkingv1.NetworkPolicy
	d := objs[0].Decode(&np)
	if !d.HasErrors() || !strings.Contains(d[0].Message, "too many values") {
		t.Errorf("got %s, want the error of too many values", summary(nil, d))
	}
}

func TestReadUntyped(t *testing.T) {
	in := `namespaces: {shop: {}}
---
apiVersion: networking.k8s.io/v1
kind: List
items:
- {pods: []}
---
kind: NetworkPolicy
metadata: {name: a, namespace: shop}
---
- not a mapping
`
	opts := npKinds
	opts.Untyped = true
	want := "f:1:1  document\n" +
		"f:6:3 error[not-an-object] not a Kubernetes object: no apiVersion and kind\n" +
		"f:8:1 error[not-an-object] not a Kubernetes object: no apiVersion\n" +
		"f:11:1 error[not-an-object] a Kubernetes object is a mapping with apiVersion and kind, found a sequence\n"
	if got := read("f", in, opts); got != want {
		t.Errorf("Untyped:\n got %s\nwant %s", got, want)
	}
	// Without Untyped, the first document is an error too.
	if got := read("f", in, npKinds); !strings.HasPrefix(got, "f:1:1 error[not-an-object] not a Kubernetes object: no apiVersion and kind\n") {
		t.Errorf("typed:\n%s", got)
	}
	// An untyped document decodes, strictly, with positions.
	objs, _ := Read([]*source.File{source.NewFile("f", []byte("pods: [{name: a, nmae: b}]\n"))}, opts)
	var doc struct {
		Pods []struct {
			Name string `json:"name"`
		} `json:"pods"`
	}
	if got := fmt.Sprint(objs[0].Decode(&doc)); got != `[f:1:18: error[unknown-field]: unknown field "pods[0].nmae"]` {
		t.Errorf("Decode of an untyped document: %s", got)
	}
}

func TestNamespaceHint(t *testing.T) {
	in := "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n"
	opts := npKinds
	if got := read("f", in, opts); !strings.Contains(got, "has no metadata.namespace; pass --namespace\n") {
		t.Errorf("default hint: %s", got)
	}
	opts.NamespaceHint = "write it"
	if got := read("f", in, opts); !strings.Contains(got, "error[no-namespace] NetworkPolicy a has no metadata.namespace; write it\n") {
		t.Errorf("hint: %s", got)
	}
}

func TestDecodeLax(t *testing.T) {
	in := `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: a
  namespace: shop
  Labels: {app: x}
  labels: {app: web}
spec:
  futureField: {x: 1}
  podSelector: {matchLabels: {app: web}}
`
	objs, _ := Read([]*source.File{source.NewFile("f", []byte(in))}, npKinds)
	var np networkingv1.NetworkPolicy
	got := fmt.Sprint(objs[0].DecodeLax(&np))
	want := `[f:6:3: warning[unknown-field]: unknown field "metadata.Labels", ignored f:9:3: warning[unknown-field]: unknown field "spec.futureField", ignored]`
	if got != want {
		t.Errorf("DecodeLax diagnostics:\n got %s\nwant %s", got, want)
	}
	// The unknown field is left out, not read case-insensitively.
	if np.Labels["app"] != "web" || np.Spec.PodSelector.MatchLabels["app"] != "web" {
		t.Errorf("DecodeLax read %+v", np)
	}
	var np2 networkingv1.NetworkPolicy
	if d := objs[0].Decode(&np2); !d.HasErrors() {
		t.Errorf("Decode accepts unknown fields: %v", d)
	}
	// Wrong types stay errors.
	bad := strings.Replace(in, "labels: {app: web}", "labels: {app: [web]}", 1)
	objs, _ = Read([]*source.File{source.NewFile("f", []byte(bad))}, npKinds)
	if d := objs[0].DecodeLax(&np); !d.HasErrors() || !strings.Contains(fmt.Sprint(d), `f:7:17: error[bad-value]: metadata.labels["app"] must be a string`) {
		t.Errorf("DecodeLax of a wrong type: %v", d)
	}
}

func TestFieldPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "[]",
		"spec":                        "[spec]",
		"spec.ingress[0].from[12]":    "[spec ingress 0 from 12]",
		"metadata.labels[app]":        "[metadata labels app]",
		"spec.template.spec[x":        "[spec template spec]",
		"status.podIPs[1].ip":         "[status podIPs 1 ip]",
		"metadata.annotations[a.b/c]": "[metadata annotations a.b/c]",
		"spec.ingress[0].from[1].ipBlock.except[0]": "[spec ingress 0 from 1 ipBlock except 0]",
		"metadata.labels[app.kubernetes.io/name]":   "[metadata labels app.kubernetes.io/name]",
	} {
		if got := fmt.Sprint(FieldPath(in)); got != want {
			t.Errorf("FieldPath(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSkipHook(t *testing.T) {
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"
	opts := npKinds
	var got []string
	opts.Skip = func(kind, object string, sp source.Span) {
		got = append(got, fmt.Sprintf("%s|%s|%s", kind, object, sp))
	}
	objs, diags := Read([]*source.File{source.NewFile("f", []byte(in))}, opts)
	if len(objs) != 0 || len(diags) != 0 {
		t.Errorf("objects %v, diagnostics %v", objs, diags)
	}
	if fmt.Sprint(got) != "[ConfigMap|ConfigMap shop/c|f:1:1 Namespace|Namespace x|f:5:1]" {
		t.Errorf("Skip saw %v", got)
	}
}
