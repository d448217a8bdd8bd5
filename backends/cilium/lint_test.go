package cilium

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// lintWantRE finds the findings a lint test case expects: a "# want
// CODE..." comment on the line each is reported at.
var lintWantRE = regexp.MustCompile(`#.*\bwant ([a-z0-9, -]+)$`)

func lintWanted(text string) []string {
	var out []string
	for i, line := range strings.Split(text, "\n") {
		if m := lintWantRE.FindStringSubmatch(line); m != nil {
			for _, c := range strings.Split(m[1], ",") {
				out = append(out, fmt.Sprintf("%d %s", i+1, strings.TrimSpace(c)))
			}
		}
	}
	slices.Sort(out)
	return out
}

func lintCNP(t *testing.T, text string) diag.List {
	t.Helper()
	objs, diags := yamlsrc.Read([]*source.File{source.NewFile("cnp.yaml", []byte(text))}, yamlsrc.Options{Kinds: LintKinds})
	diags.Append(Lint(objs))
	for _, d := range diags {
		if d.Severity == diag.Error {
			t.Fatalf("unexpected error: %v", d)
		}
	}
	return diags
}

const cnpHeader = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  namespace: shop
`

// dnsProxyRule is an egress rule through the DNS proxy.
const dnsProxyRule = `  - toEndpoints:
    - matchLabels:
        k8s:io.kubernetes.pod.namespace: kube-system
        k8s-app: kube-dns
    toPorts:
    - ports:
      - {port: "53", protocol: ANY}
      rules:
        dns:
        - matchPattern: "*"
`

func TestLint(t *testing.T) {
	cases := []struct{ name, yaml string }{
		{"fqdn-no-dns-proxy", `  name: a
spec:
  endpointSelector:
    matchLabels: {app: web}
  egress:
  - toFQDNs: # want fqdn-no-dns-proxy
    - matchName: api.example.com
    toPorts:
    - ports:
      - {port: "443", protocol: TCP}
`},
		{"fqdn-proxy-in-same-policy", `  name: a
spec:
  endpointSelector:
    matchLabels: {app: web}
  egress:
  - toFQDNs:
    - matchName: api.example.com
` + dnsProxyRule},
		{"fqdn-proxy-in-broader-policy", `  name: a
spec:
  endpointSelector:
    matchLabels: {app: web, tier: front}
  egress:
  - toFQDNs:
    - matchName: api.example.com
---
` + cnpHeader + `  name: dns
spec:
  endpointSelector: {}
  egress:
` + dnsProxyRule},
		{"fqdn-proxy-for-other-pods", `  name: a
spec:
  endpointSelector:
    matchLabels: {app: web}
  egress:
  - toFQDNs: # want fqdn-no-dns-proxy
    - matchName: api.example.com
---
` + cnpHeader + `  name: dns
spec:
  endpointSelector:
    matchLabels: {app: db}
  egress:
` + dnsProxyRule},
		{"fqdn-one-label", `  name: a
specs:
- endpointSelector:
    matchLabels: {app: web}
  egress:
  - toFQDNs:
    - matchPattern: "*.example.com" # want fqdn-one-label
    - matchPattern: "**.example.org"
    - matchPattern: "api.*.example.net"
` + dnsProxyRule},
		{"fqdn-proxy-clusterwide", `  name: a
spec:
  endpointSelector:
    matchLabels: {app: web}
  egress:
  - toFQDNs:
    - matchName: api.example.com
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: dns
spec:
  endpointSelector: {}
  egress:
` + dnsProxyRule},
		{"spec-and-specs", `  name: a
spec:
  endpointSelector: {}
  egress:
` + dnsProxyRule + `specs:
- endpointSelector:
    matchLabels: {app: web}
  egress:
  - toFQDNs:
    - matchPattern: "*.example.com" # want fqdn-one-label
`},
		{"l7-voided", `  name: a
spec:
  endpointSelector:
    matchLabels: {app: api}
  ingress:
  - fromEndpoints:
    - matchLabels: {app: web}
    toPorts:
    - ports:
      - {port: "8080", protocol: TCP}
      rules:
        http:
        - {method: GET, path: "/public/.*"}
  - fromEndpoints: # want l7-voided
    - {}
    toPorts:
    - ports:
      - {port: "8080", protocol: TCP}
  - fromEndpoints:
    - matchLabels: {app: web}
    toPorts:
    - ports:
      - {port: "9090", protocol: TCP}
---
` + cnpHeader + `  name: b
spec:
  endpointSelector:
    matchLabels: {app: api}
  ingress:
  - fromEndpoints: # want l7-voided
    - matchLabels: {app: web}
  - fromEndpoints:
    - matchLabels: {app: batch}
    toPorts:
    - ports:
      - {port: "8080", protocol: TCP}
`},
		{"l7-empty-rule", `  name: a
spec:
  endpointSelector:
    matchLabels: {app: api}
  ingress:
  - {}
  - fromEndpoints:
    - matchLabels: {app: web}
    toPorts:
    - ports:
      - {port: "8080", protocol: TCP}
      rules:
        http:
        - {method: GET}
  - toPorts: # want l7-voided
    - ports:
      - {port: "0", protocol: ANY}
`},
		{"l7-same-rules", `  name: a
spec:
  endpointSelector:
    matchLabels: {app: api}
  ingress:
  - fromEndpoints:
    - matchLabels: {app: web}
    toPorts:
    - ports:
      - {port: "8080", protocol: TCP}
      rules:
        http:
        - {method: GET}
  - fromEndpoints:
    - matchLabels: {app: admin}
    toPorts:
    - ports:
      - {port: "8080", protocol: TCP}
      rules:
        http:
        - {method: POST}
`},
		{"metadata", `  name: a
spec:
  endpointSelector: {}
  egress:
  - toCIDR:
    - 0.0.0.0/0 # want metadata-reachable
  - toCIDRSet:
    - cidr: ::/0 # want metadata-reachable
    - cidr: 0.0.0.0/0
      except: [169.254.169.254/32]
    - cidr: 10.0.0.0/8
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := cnpHeader + c.yaml
			diags := lintCNP(t, text)
			var got []string
			for _, d := range diags {
				got = append(got, fmt.Sprintf("%d %s", d.Span.Start.Line, d.Code))
				if d.Severity != diag.Warning || d.Detail == "" {
					t.Errorf("%v: want a warning with a detail", d)
				}
			}
			slices.Sort(got)
			if want := lintWanted(text); !slices.Equal(got, want) {
				t.Errorf("findings:\n got %q\nwant %q", got, want)
				for _, d := range diags {
					t.Log(d.Error())
				}
			}
		})
	}
}

// "*." comes with an exact suggestion for its span.
func TestLintFQDNSuggestion(t *testing.T) {
	text := cnpHeader + `  name: a
spec:
  endpointSelector: {}
  egress:
  - toFQDNs:
    - matchPattern: '*.example.com'
` + dnsProxyRule
	diags := lintCNP(t, text)
	if len(diags) != 1 {
		t.Fatalf("got %v", diags)
	}
	d := diags[0]
	if got := text[d.Span.Start.Offset:d.Span.End.Offset]; got != `matchPattern: '*.example.com'` {
		t.Errorf("span covers %q", got)
	}
	if d.Suggestion != `matchPattern: "**.example.com"` {
		t.Errorf("suggestion %q", d.Suggestion)
	}
}

// Objects Cilium's types refuse are errors at their field.
func TestLintDecodeError(t *testing.T) {
	objs, _ := yamlsrc.Read([]*source.File{source.NewFile("cnp.yaml", []byte(cnpHeader+`  name: a
spec:
  endpointSelector: {}
  egres: []
`))}, yamlsrc.Options{Kinds: LintKinds})
	diags := Lint(objs)
	if !diags.HasErrors() || diags[0].Span.Start.Line != 8 {
		t.Errorf("got %v, want an error at line 8", diags)
	}
}
