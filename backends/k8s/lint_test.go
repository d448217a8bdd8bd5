package k8s

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// wantRE finds the findings a lint test case expects: a "# want CODE..."
// comment on the line each is reported at.
var wantRE = regexp.MustCompile(`#.*\bwant ([a-z, -]+)$`)

// wantedFindings returns "line code" for each "# want" comment of text.
func wantedFindings(text string) []string {
	var out []string
	for i, line := range strings.Split(text, "\n") {
		if m := wantRE.FindStringSubmatch(line); m != nil {
			for _, c := range strings.Split(m[1], ",") {
				out = append(out, fmt.Sprintf("%d %s", i+1, strings.TrimSpace(c)))
			}
		}
	}
	slices.Sort(out)
	return out
}

// lintText lints one YAML text of NetworkPolicies.
func lintText(t *testing.T, text string, opts LintOptions) diag.List {
	t.Helper()
	objs, diags := yamlsrc.Read([]*source.File{source.NewFile("np.yaml", []byte(text))}, yamlsrc.Options{Kinds: ImportKinds})
	diags.Append(Lint(objs, opts))
	for _, d := range diags {
		if d.Severity == diag.Error {
			t.Fatalf("unexpected error: %v", d)
		}
	}
	return diags
}

func gotFindings(l diag.List) []string {
	var out []string
	for _, d := range l {
		out = append(out, fmt.Sprintf("%d %s", d.Span.Start.Line, d.Code))
	}
	slices.Sort(out)
	return out
}

const npHeader = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  namespace: shop
`

var lintWorld = `
namespaces: {shop: {}, kube-system: {}}
pods:
  - {namespace: shop, name: web-0, labels: {app: web}}
  - {namespace: shop, name: db-0, labels: {app: db}}
  - {namespace: kube-system, name: coredns-0, labels: {k8s-app: kube-dns}}
`

func TestLint(t *testing.T) {
	cases := []struct {
		name  string
		world bool
		yaml  string // NetworkPolicies, each after npHeader; "# want" marks the findings
	}{
		{name: "or-peers", yaml: `  name: a
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {team: x}
    - podSelector: # want or-peers
        matchLabels: {app: web}
`},
		{name: "and-peer", yaml: `  name: a
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {team: x}
      podSelector:
        matchLabels: {app: web}
    - ipBlock: {cidr: 10.0.0.0/8}
`},
		{name: "dns-udp-only", yaml: `  name: a
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
      podSelector:
        matchLabels: {k8s-app: kube-dns}
    ports:
    - {protocol: UDP, port: 53} # want dns-udp-only
`},
		{name: "dns-udp-and-tcp-in-two-rules", yaml: `  name: a
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
      podSelector:
        matchLabels: {k8s-app: kube-dns}
    ports:
    - {protocol: UDP, port: 53}
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
      podSelector:
        matchLabels: {k8s-app: kube-dns}
    ports:
    - {protocol: TCP, port: 53}
`},
		{name: "dns-unscoped", yaml: `  name: a
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: # want dns-unscoped
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
  - to: # want shadowed-rule
    - namespaceSelector: {} # want dns-unscoped
    - ipBlock: # want dns-unscoped
        cidr: 0.0.0.0/0 # want metadata-reachable
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
`},
		{name: "no-dns", yaml: `  name: a
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress] # want no-dns
---
` + npHeader + `  name: b
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
      podSelector:
        matchLabels: {k8s-app: kube-dns}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
`},
		{name: "no-dns-covered", yaml: `  name: a
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Egress]
---
` + npHeader + `  name: b
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
      podSelector:
        matchLabels: {k8s-app: kube-dns}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
`},
		{name: "no-dns-world", world: true, yaml: `  name: a
spec:
  podSelector: {}
  policyTypes: [Egress] # want no-dns
---
` + npHeader + `  name: b
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
      podSelector:
        matchLabels: {k8s-app: kube-dns}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
`},
		{name: "no-dns-world-covered", world: true, yaml: `  name: a
spec:
  podSelector:
    matchExpressions:
    - {key: app, operator: In, values: [web, db]}
  policyTypes: [Egress]
---
` + npHeader + `  name: b
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Egress]
  egress:
  - ports: # want dns-unscoped
    - {protocol: UDP, port: 53} # want dns-udp-only
  - to:
    - podSelector:
        matchLabels: {app: db}
---
` + npHeader + `  name: c
spec:
  podSelector:
    matchLabels: {app: db}
  policyTypes: [Egress]
  egress:
  - ports: # want dns-unscoped
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
`},
		{name: "namespace-name-label", yaml: `  name: a
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          ns: monitoring # want namespace-name-label
      podSelector:
        matchLabels: {app: prometheus}
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
          name: monitoring
      podSelector:
        matchLabels: {app: prometheus}
`},
		{name: "all-ports", yaml: `  name: a
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {}
    ports:
    - protocol: UDP # want all-ports
    - protocol: TCP
      port: 80
`},
		{name: "implicit-egress", yaml: `  name: a
spec:
  podSelector:
    matchLabels: {app: web}
  ingress:
  - from:
    - podSelector: {}
  egress: # want implicit-egress, no-dns
  - to:
    - podSelector: {}
    ports:
    - {port: 443}
---
` + npHeader + `  name: b
spec:
  podSelector:
    matchLabels: {app: db}
  ingress:
  - from:
    - podSelector: {}
`},
		{name: "reply-rule", yaml: `  name: a
spec:
  podSelector:
    matchLabels: {app: db}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: web}
    ports:
    - {port: 5432}
  egress:
  - to: # want reply-rule
    - podSelector:
        matchLabels: {app: web}
    ports:
    - {port: 1024, endPort: 65535}
  - to:
    - podSelector:
        matchLabels: {app: batch}
    ports:
    - {port: 1024, endPort: 65535}
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
      podSelector:
        matchLabels: {k8s-app: kube-dns}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
---
` + npHeader + `  name: b
spec:
  podSelector:
    matchLabels: {app: cache}
  policyTypes: [Ingress]
  ingress:
  - from: # want reply-rule
    - podSelector:
        matchLabels: {app: db}
    ports:
    - {port: 32768, endPort: 60999}
---
` + npHeader + `  name: c
spec:
  podSelector:
    matchLabels: {app: db}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: cache}
    ports:
    - {port: 5432}
`},
		{name: "metadata", yaml: `  name: a
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress] # want no-dns
  egress:
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0 # want metadata-reachable
    - ipBlock:
        cidr: ::/0 # want metadata-reachable
    - ipBlock:
        cidr: 0.0.0.0/0
        except: [169.254.0.0/16]
    - ipBlock:
        cidr: ::/0
        except: [fd00:ec2::254/128]
    - ipBlock:
        cidr: 10.0.0.0/8
    ports:
    - {port: 443}
`},
		{name: "selects-nothing", world: true, yaml: `  name: a
spec:
  podSelector: # want selects-nothing
    matchLabels: {app: nosuch}
  policyTypes: [Ingress]
---
` + npHeader + `  name: b
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress]
`},
		{name: "duplicate-and-shadowed", yaml: `  name: a
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: web}
    ports:
    - {port: 80}
  - from: # want duplicate-rule
    - podSelector:
        matchLabels: {app: web}
    ports:
    - {port: 80}
  - from: # want shadowed-rule
    - podSelector:
        matchLabels: {app: web, tier: front}
    ports:
    - {port: 80}
  - from:
    - podSelector:
        matchLabels: {app: web}
    ports:
    - {port: 81}
  - from: # want shadowed-rule
    - ipBlock: {cidr: 10.1.0.0/16}
  - from:
    - ipBlock: {cidr: 10.0.0.0/8}
`},
	}
	w, err := eval.LoadWorld([]byte(lintWorld))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := npHeader + c.yaml
			var opts LintOptions
			if c.world {
				opts.World = w
			}
			diags := lintText(t, text, opts)
			var lint diag.List
			for _, d := range diags {
				if d.Code != "ingress-isolated" { // Import's
					lint = append(lint, d)
				}
			}
			got, want := gotFindings(lint), wantedFindings(text)
			if !slices.Equal(got, want) {
				t.Errorf("findings:\n got %q\nwant %q", got, want)
				for _, d := range lint {
					t.Log(d.Error())
				}
			}
			for _, d := range lint {
				if d.Severity != diag.Warning || d.Detail == "" {
					t.Errorf("%v: want a warning with a detail", d)
				}
			}
		})
	}
}

// The suggestions are exact replacements of the diagnostic's span.
func TestLintSuggestions(t *testing.T) {
	text := npHeader + `  name: a
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          name: "kube-system" # a comment
`
	diags := lintText(t, text, LintOptions{})
	if len(diags) != 1 {
		t.Fatalf("got %v", diags)
	}
	d := diags[0]
	if got := text[d.Span.Start.Offset:d.Span.End.Offset]; got != `name: "kube-system"` {
		t.Errorf("span covers %q", got)
	}
	if d.Suggestion != "kubernetes.io/metadata.name: kube-system" {
		t.Errorf("suggestion %q", d.Suggestion)
	}
	for s, want := range map[string]string{"kube-system": "kube-system", "yes": `"yes"`, "123": `"123"`, "a b": `"a b"`} {
		if got := yamlScalar(s); got != want {
			t.Errorf("yamlScalar(%q) = %s, want %s", s, got, want)
		}
	}
}

// The OR bug's detail carries the merged peer, namespace selected by name.
func TestLintORPeersMerged(t *testing.T) {
	text := npHeader + `  name: a
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {name: monitoring}
    - podSelector:
        matchLabels: {app: prometheus}
`
	for _, d := range lintText(t, text, LintOptions{}) {
		if d.Code == CodeORPeers {
			want := `{"namespaceSelector": {"matchLabels":{"kubernetes.io/metadata.name":"monitoring"}}, "podSelector": {"matchLabels":{"app":"prometheus"}}}`
			if !strings.HasSuffix(d.Detail, want) {
				t.Errorf("detail %q\ndoes not end with %s", d.Detail, want)
			}
			return
		}
	}
	t.Error("no or-peers finding")
}
