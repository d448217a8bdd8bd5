package cilium

import (
	"regexp"
	"strings"
	"testing"
)

// validCNP is a hand-written object every validator accepts; the cases
// below break it in one place each.
const validCNP = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  labels:
    app.kubernetes.io/managed-by: netpolc
  name: web
  namespace: shop
spec:
  enableDefaultDeny:
    egress: true
    ingress: true
  endpointSelector:
    matchLabels:
      app: web
  ingress:
  - fromEndpoints:
    - matchLabels:
        k8s:io.kubernetes.pod.namespace: ingress-nginx
    toPorts:
    - ports:
      - port: "8080"
        protocol: TCP
      rules:
        http:
        - method: GET
          path: /api/.*
  egress:
  - toFQDNs:
    - matchPattern: '*.example.com'
    toPorts:
    - ports:
      - port: "443"
        protocol: TCP
`

const validCCNP = `apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  labels:
    app.kubernetes.io/managed-by: netpolc
  name: nodes
spec:
  enableDefaultDeny:
    egress: false
    ingress: true
  nodeSelector: {}
  ingress:
  - fromEntities:
    - cluster
`

func TestValidatorsAcceptValid(t *testing.T) {
	for _, doc := range []string{validCNP, validCCNP} {
		checkAll(t, []byte(doc))
	}
}

// replace returns validCNP with old replaced by new (which must occur).
func replace(t *testing.T, doc, old, new string) string {
	t.Helper()
	if !strings.Contains(doc, old) {
		t.Fatalf("%q not in the document", old)
	}
	return strings.Replace(doc, old, new, 1)
}

// TestDecodeStrictRejects: strict decoding catches misspelt fields and
// wrong kinds.
func TestDecodeStrictRejects(t *testing.T) {
	cases := []struct {
		name, old, new, err string
	}{
		{"unknown spec field", "  endpointSelector:", "  endpointSelecter:", `unknown field "endpointSelecter"`},
		{"unknown rule field", "  - fromEndpoints:", "  - fromEndpoint:", `unknown field "fromEndpoint"`},
		{"wrong kind", "kind: CiliumNetworkPolicy", "kind: NetworkPolicy", `kind "NetworkPolicy"`},
		{"wrong apiVersion", "apiVersion: cilium.io/v2", "apiVersion: cilium.io/v1", `apiVersion "cilium.io/v1"`},
		{"duplicate field", "  name: web\n", "  name: web\n  name: api\n", `duplicate|already set`},
		{"wrong type", `port: "8080"`, `port: [8080]`, `cannot unmarshal`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeStrict([]byte(replace(t, validCNP, c.old, c.new)))
			if err == nil || !regexp.MustCompile(c.err).MatchString(err.Error()) {
				t.Fatalf("err = %v, want match %q", err, c.err)
			}
		})
	}
}

// TestParseRejects: Cilium's own Parse (Sanitize) catches what the CRD
// schema lets through.
func TestParseRejects(t *testing.T) {
	cases := []struct {
		name, old, new, err string
	}{
		{"two L3 kinds", "  - toFQDNs:", "  - toEndpoints:\n    - {}\n    toFQDNs:", `combining`},
		{"HTTP on UDP", "        protocol: TCP\n      rules:", "        protocol: UDP\n      rules:", `L7 rules can only apply to TCP`},
		{"HTTP on ANY", "        protocol: TCP\n      rules:", "        protocol: ANY\n      rules:", `L7 rules can only apply to TCP`},
		{"HTTP on port 0", `port: "8080"`, `port: "0"`, `L7 rules can not be used when a port is 0`},
		{"no port", `      - port: "8080"` + "\n", "      - endPort: 8080\n", `port must be specified`},
		{"no selector", "  endpointSelector:\n    matchLabels:\n      app: web\n", "", `EndpointSelector or NodeSelector`},
		{"bad regex", "path: /api/.*", "path: /api/(", `missing closing \)`},
		{"DNS on ingress", "        http:\n        - method: GET\n          path: /api/.*", "        dns:\n        - matchPattern: '*'", `DNS is not supported on ingress`},
		{"bad FQDN", "matchPattern: '*.example.com'", "matchPattern: 'a b'", `.`},
		{"HTTP in a host policy", "  endpointSelector:\n    matchLabels:\n      app: web\n", "  nodeSelector: {}\n", `L7 policy is not supported on host ingress`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj, err := DecodeStrict([]byte(replace(t, validCNP, c.old, c.new)))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			_, err = Parse(obj)
			if err == nil || !regexp.MustCompile(c.err).MatchString(err.Error()) {
				t.Fatalf("err = %v, want match %q", err, c.err)
			}
		})
	}
}

// TestCheckConventionsRejects: netpolc's own promises.
func TestCheckConventionsRejects(t *testing.T) {
	cases := []struct {
		name, old, new, err string
	}{
		{"no enableDefaultDeny", "  enableDefaultDeny:\n    egress: true\n    ingress: true\n", "", `enableDefaultDeny`},
		{"no protocol", "      - port: \"443\"\n        protocol: TCP\n", "      - port: \"443\"\n", `without protocol`},
		{"explicitly empty peers", "  - toFQDNs:", "  - toEndpoints: []\n    toFQDNs:", `explicitly empty toEndpoints`},
		{"no managed-by label", "app.kubernetes.io/managed-by: netpolc", "team: x", `managed-by`},
		{"specs", "spec:\n", "specs:\n- endpointSelector: {}\n  egress: [{}]\nspec:\n", `specs`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj, err := DecodeStrict([]byte(replace(t, validCNP, c.old, c.new)))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			err = CheckConventions(obj)
			if err == nil || !regexp.MustCompile(c.err).MatchString(err.Error()) {
				t.Fatalf("err = %v, want match %q", err, c.err)
			}
		})
	}
}

// TestCRDRejects: the CRD's OpenAPI schema, pruning (unknown fields), object
// metadata and CEL rules, as the API server would apply them.
func TestCRDRejects(t *testing.T) {
	cases := []struct {
		name, doc, old, new, err string
	}{
		{"schema: protocol enum", validCNP, "protocol: TCP\n      rules:", "protocol: ICMP\n      rules:", `protocol: Unsupported value: "ICMP"`},
		{"schema: entity enum", validCCNP, "- cluster", "- everything", `fromEntities\[0\]: Unsupported value: "everything"`},
		{"schema: endPort maximum", validCNP, `port: "8080"`, "port: \"8080\"\n        endPort: 70000", `endPort: Invalid value: 70000`},
		{"schema: type", validCNP, "    egress: true\n    ingress: true", "    egress: yes-please\n    ingress: true", `egress: Invalid value`},
		{"pruning: unknown field in a selector", validCNP, "    matchLabels:\n      app: web", "    matchLabels:\n      app: web\n    matchLabelz:\n      x: y", `spec.endpointSelector.matchLabelz: Invalid value: null: unknown field`},
		{"pruning: unknown top-level field", validCNP, "spec:\n", "description: x\nspec:\n", `description`},
		{"CEL: no spec", validCCNP, validCCNP[strings.Index(validCCNP, "spec:"):], "", `spec or specs must be provided`},
		{"metadata: name", validCNP, "name: web", "name: Web_1", `metadata.name: Invalid value: "Web_1"`},
		{"metadata: CCNP with namespace", validCCNP, "  name: nodes", "  name: nodes\n  namespace: shop", `metadata.namespace: Forbidden`},
		{"apiVersion", validCNP, "cilium.io/v2", "cilium.io/v3", `apiVersion: Invalid value`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := crds(t).Validate([]byte(replace(t, c.doc, c.old, c.new)))
			if len(errs) == 0 || !regexp.MustCompile(c.err).MatchString(errs.ToAggregate().Error()) {
				t.Fatalf("errs = %v, want match %q", errs.ToAggregate(), c.err)
			}
		})
	}
}
