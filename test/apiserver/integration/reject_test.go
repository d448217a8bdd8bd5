package integration

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// TestRejects proves that the harness can fail: hand-written invalid
// objects are rejected by the server, with its own messages.
func TestRejects(t *testing.T) {
	c := connect(t)
	cases := []struct {
		name     string
		manifest string
		want     []string // substrings of the server's message
	}{{
		name: "NetworkPolicy except equal to its cidr",
		manifest: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad-except, namespace: NS}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}
`,
		want: []string{`spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.0.0.0/16": must be a strict subset of ` + "`cidr`"},
	}, {
		name: "NetworkPolicy endPort below port",
		manifest: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad-range, namespace: NS}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: [{protocol: TCP, port: 9000, endPort: 8000}]
`,
		want: []string{`spec.egress[0].ports[0].endPort: Invalid value: 8000: must be greater than or equal to ` + "`port`"},
	}, {
		name: "NetworkPolicy unknown field (strict field validation)",
		manifest: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad-field, namespace: NS}
spec:
  podSelector: {}
  ingres: []
`,
		want: []string{`strict decoding error: unknown field "spec.ingres"`},
	}, {
		name: "CiliumNetworkPolicy integer port",
		manifest: `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: bad-port, namespace: NS}
spec:
  endpointSelector: {}
  ingress:
  - toPorts:
    - ports: [{port: 80, protocol: TCP}]
`,
		want: []string{`spec.ingress[0].toPorts[0].ports[0].port: Invalid value: "integer": spec.ingress[0].toPorts[0].ports[0].port in body must be of type string: "integer"`},
	}, {
		name: "CiliumNetworkPolicy without spec",
		manifest: `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: no-spec, namespace: NS}
`,
		want: []string{`spec or specs must be provided`},
	}, {
		name: "CiliumClusterwideNetworkPolicy unknown entity",
		manifest: `
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: netpolc-test-bad-entity}
spec:
  endpointSelector: {}
  egress:
  - toEntities: [internet]
`,
		want: []string{`spec.egress[0].toEntities[0]: Unsupported value: "internet"`},
	}, {
		name: "AdminNetworkPolicy priority above 1000",
		manifest: `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: netpolc-test-bad-priority}
spec:
  priority: 1001
  subject: {namespaces: {}}
  egress:
  - {name: r, action: Deny, to: [{networks: [0.0.0.0/0]}]}
`,
		want: []string{`spec.priority: Invalid value: 1001: spec.priority in body should be less than or equal to 1000`},
	}, {
		name: "AdminNetworkPolicy named port with a networks peer (CEL)",
		manifest: `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: netpolc-test-bad-named}
spec:
  priority: 10
  subject: {namespaces: {}}
  egress:
  - {name: r, action: Allow, to: [{networks: [10.0.0.0/8]}], ports: [{namedPort: http}]}
`,
		want: []string{`networks/nodes peer cannot be set with namedPorts`},
	}, {
		name: "BaselineAdminNetworkPolicy not named default (CEL)",
		manifest: `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: netpolc-test-baseline}
spec:
  subject: {namespaces: {}}
  egress:
  - {name: r, action: Deny, to: [{networks: [0.0.0.0/0]}]}
`,
		want: []string{`Only one baseline admin network policy with metadata.name="default"`},
	}, {
		name: "ClusterNetworkPolicy port range of one port (CEL)",
		manifest: `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: netpolc-test-bad-range}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {}}
  egress:
  - action: Deny
    to: [{networks: [0.0.0.0/0]}]
    protocols: [{tcp: {destinationPort: {range: {start: 80, end: 80}}}}]
`,
		want: []string{`Start port must be less than End port`},
	}}
	var us []*unstructured.Unstructured
	for _, tc := range cases {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(tc.manifest), &u.Object); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if u.GetNamespace() == "NS" {
			u.SetNamespace("rejects")
		}
		us = append(us, u)
	}
	if err := c.namespaces(t, "test", us); err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := c.check(context.Background(), us[i])
			if err == nil {
				t.Fatalf("the server accepted:\n%s", show(us[i]))
			}
			if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
				t.Errorf("want an Invalid or BadRequest status, got %T: %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), "dry-run create rejected: ") {
				t.Errorf("want the dry run to reject it, got: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the server's message lacks %q:\n%v", w, err)
				}
			}
			t.Logf("server: %v", err)
		})
	}
}
