package cilium

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/ciliumcheck"
)

// testBackend is the Cilium backend as the package's tests use it: every
// object Emit returns is validated as built and as written
// (ciliumcheck.Object: the agent's Parse, netpolc's conventions, strict
// decoding of the YAML written back into the object built). Emit itself
// checks nothing.
func testBackend() backends.Backend { return ciliumcheck.Checked(Backend{}) }

// Effective is the program the default backend emits for p, as IR (its
// Prepare), or nil when Prepare reports errors.
func Effective(p *ir.Program) *ir.Program {
	eff, _ := Backend{}.Prepare(p, backends.Options{})
	return eff
}

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
			_, err := ciliumcheck.DecodeStrict([]byte(replace(t, validCNP, c.old, c.new)))
			if err == nil || !regexp.MustCompile(c.err).MatchString(err.Error()) {
				t.Fatalf("err = %v, want match %q", err, c.err)
			}
		})
	}
}

// parseCases break validCNP (or validCCNP) so that the agent's Parse
// rejects it.
var parseCases = []struct {
	name, doc, old, new, err string
}{
	{"two L3 kinds", validCNP, "  - toFQDNs:", "  - toEndpoints:\n    - {}\n    toFQDNs:", `combining`},
	{"HTTP on UDP", validCNP, "        protocol: TCP\n      rules:", "        protocol: UDP\n      rules:", `L7 rules can only apply to TCP`},
	{"HTTP on ANY", validCNP, "        protocol: TCP\n      rules:", "        protocol: ANY\n      rules:", `L7 rules can only apply to TCP`},
	{"HTTP on port 0", validCNP, `port: "8080"`, `port: "0"`, `L7 rules can not be used when a port is 0`},
	{"no port", validCNP, `      - port: "8080"` + "\n", "      - endPort: 8080\n", `port must be specified`},
	{"no selector", validCNP, "  endpointSelector:\n    matchLabels:\n      app: web\n", "", `EndpointSelector or NodeSelector`},
	{"bad regex", validCNP, "path: /api/.*", "path: /api/(", `missing closing \)`},
	{"DNS on ingress", validCNP, "        http:\n        - method: GET\n          path: /api/.*", "        dns:\n        - matchPattern: '*'", `DNS is not supported on ingress`},
	{"bad FQDN", validCNP, "matchPattern: '*.example.com'", "matchPattern: 'a b'", `.`},
	{"HTTP in a host policy", validCNP, "  endpointSelector:\n    matchLabels:\n      app: web\n", "  nodeSelector: {}\n", `L7 policy is not supported on host ingress`},
	{"no name", validCNP, "  name: web\n", "", `must have name`},
	{"no spec", validCNP, validCNP[strings.Index(validCNP, "spec:"):], "", `empty policy`},
	{"CCNP: no spec", validCCNP, validCCNP[strings.Index(validCCNP, "spec:"):], "", `empty policy`},
	{"CCNP: no rules", validCCNP, "  ingress:\n  - fromEntities:\n    - cluster\n", "", `at least one of`},
	{"bad specs", validCNP, "spec:\n", "specs:\n- endpointSelector: {}\n  ingress:\n  - toPorts:\n    - ports:\n      - endPort: 1\nspec:\n", `port must be specified`},
}

// TestParseRejects: Cilium's own Parse (Sanitize) catches what the CRD
// schema lets through.
func TestParseRejects(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			obj, err := ciliumcheck.DecodeStrict([]byte(replace(t, c.doc, c.old, c.new)))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			_, err = ciliumcheck.Parse(obj)
			if err == nil || !regexp.MustCompile(c.err).MatchString(err.Error()) {
				t.Fatalf("err = %v, want match %q", err, c.err)
			}
		})
	}
}

// TestSanitizeIsParse: Sanitize, what Validate runs in production instead
// of Parse, returns Parse's error on every case (the same words: Cilium
// names two combined fields in map order), and accepts what Parse accepts.
func TestSanitizeIsParse(t *testing.T) {
	cnpNodes := replace(t, validCCNP, "kind: CiliumClusterwideNetworkPolicy", "kind: CiliumNetworkPolicy")
	docs := []string{
		validCNP, validCCNP,
		// A CNP without a namespace is parsed as a CCNP.
		replace(t, validCNP, "  namespace: shop\n", ""),
		// A CNP with a nodeSelector is not.
		replace(t, cnpNodes, "  name: nodes\n", "  name: nodes\n  namespace: shop\n"),
	}
	for _, c := range parseCases {
		docs = append(docs, replace(t, c.doc, c.old, c.new))
	}
	for i, doc := range docs {
		obj, err := ciliumcheck.DecodeStrict([]byte(doc))
		if err != nil {
			t.Fatalf("case %d: decode: %v", i, err)
		}
		_, perr := ciliumcheck.Parse(obj)
		serr := ciliumcheck.Sanitize(obj)
		if i == 3 && perr == nil {
			t.Errorf("Parse accepts a CNP with a nodeSelector")
		}
		if words(perr) != words(serr) {
			t.Errorf("case %d: Parse: %v\nSanitize: %v\n%s", i, perr, serr, doc)
		}
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
			obj, err := ciliumcheck.DecodeStrict([]byte(replace(t, validCNP, c.old, c.new)))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			err = ciliumcheck.CheckConventions(obj)
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

// TestValidateTyped: Validate, Emit's check in production, runs the agent's
// Parse and the conventions on the typed object, without marshalling.
func TestValidateTyped(t *testing.T) {
	for _, c := range []struct {
		name, doc, old, new, err string
	}{
		{"valid CNP", validCNP, "", "", ""},
		{"valid CCNP", validCCNP, "", "", ""},
		{"Parse: HTTP on UDP", validCNP, "        protocol: TCP\n      rules:", "        protocol: UDP\n      rules:", `L7 rules can only apply to TCP`},
		{"Parse: bad regex", validCNP, "path: /api/.*", "path: /api/(", `missing closing \)`},
		{"conventions: no protocol", validCNP, "      - port: \"443\"\n        protocol: TCP\n", "      - port: \"443\"\n", `without protocol`},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := c.doc
			if c.old != "" {
				doc = replace(t, doc, c.old, c.new)
			}
			obj, err := ciliumcheck.DecodeStrict([]byte(doc))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			err = ciliumcheck.Validate(obj)
			if c.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !regexp.MustCompile(c.err).MatchString(err.Error()) {
				t.Fatalf("err = %v, want match %q", err, c.err)
			}
		})
	}
}

// TestValidateWrittenRejects: ValidateWritten catches written bytes that
// do not say what was built, which Validate (typed) cannot see: a field
// the Cilium types do not know, a field lost, a value changed.
func TestValidateWrittenRejects(t *testing.T) {
	built, err := ciliumcheck.DecodeStrict([]byte(validCNP))
	if err != nil {
		t.Fatal(err)
	}
	if err := ciliumcheck.Validate(built); err != nil {
		t.Fatal(err)
	}
	doc, err := backends.MarshalYAML(built)
	if err != nil {
		t.Fatal(err)
	}
	if err := ciliumcheck.ValidateWritten(doc, built); err != nil {
		t.Fatalf("as written: %v", err)
	}
	for _, c := range []struct {
		name, old, new, err string
	}{
		{"unknown field", "  endpointSelector:", "  endpointSelecter:", `unknown field "endpointSelecter"`},
		{"lost field", "    - matchPattern: '*.example.com'\n", "    - {}\n", `another object`},
		{"changed value", "path: /api/.*", "path: /api/", `another object`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := ciliumcheck.ValidateWritten([]byte(replace(t, string(doc), c.old, c.new)), built)
			if err == nil || !regexp.MustCompile(c.err).MatchString(err.Error()) {
				t.Fatalf("err = %v, want match %q", err, c.err)
			}
		})
	}
}

// words returns the words of err's message, sorted, or "" for nil.
func words(err error) string {
	if err == nil {
		return ""
	}
	w := strings.Fields(err.Error())
	slices.Sort(w)
	return strings.Join(w, " ")
}
