package netpolapi

import (
	"strings"
	"testing"
)

const validCNP = `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  labels:
    app.kubernetes.io/managed-by: netpolc
  name: guard
spec:
  egress:
  - action: Deny
    name: a.netpol:3
    protocols:
    - tcp:
        destinationPort:
          range:
            end: 8080
            start: 8000
    to:
    - networks:
      - 169.254.169.254/32
  - action: Accept
    protocols:
    - destinationNamedPort: metrics
    to:
    - pods:
        namespaceSelector: {}
        podSelector:
          matchLabels:
            app: prom
  priority: 10
  subject:
    namespaces: {}
  tier: Admin
`

// TestValidateAgreesWithCRD: the CRD of the module (schema and CEL rules)
// and Validate both accept a valid ClusterNetworkPolicy, and both refuse
// each broken copy of it.
func TestValidateAgreesWithCRD(t *testing.T) {
	check := func(doc string) (crd, ours bool) {
		crd = len(crds(t).Validate([]byte(doc))) == 0
		o, err := DecodeStrict([]byte(doc))
		ours = err == nil && Validate(o) == nil
		return crd, ours
	}
	if crd, ours := check(validCNP); !crd || !ours {
		t.Fatalf("the valid object: CRD accepts %v, Validate accepts %v", crd, ours)
	}
	for _, c := range []struct{ name, from, to string }{
		{"one-port range", "end: 8080\n            start: 8000", "end: 8000\n            start: 8000"},
		{"port 0", "end: 8080\n            start: 8000", "end: 8080\n            start: 0"},
		{"priority", "priority: 10", "priority: 1001"},
		{"tier", "tier: Admin", "tier: Middle"},
		{"action", "action: Deny", "action: Drop"},
		{"host bits", "169.254.169.254/32", "169.254.169.254/16"},
		{"named port towards networks", "- tcp:\n        destinationPort:\n          range:\n            end: 8080\n            start: 8000", "- destinationNamedPort: metrics"},
		{"two subjects", "subject:\n    namespaces: {}", "subject:\n    namespaces: {}\n    pods:\n      namespaceSelector: {}\n      podSelector: {}"},
		{"empty peer", "- networks:\n      - 169.254.169.254/32", "- {}"},
		{"no peers", "to:\n    - networks:\n      - 169.254.169.254/32", "to: []"},
		{"empty protocol", "- destinationNamedPort: metrics", "- tcp: {}"},
		{"domain name", "- networks:\n      - 169.254.169.254/32", "- domainNames:\n      - a..b"},
	} {
		if !strings.Contains(validCNP, c.from) {
			t.Fatalf("%s: %q not in the valid object", c.name, c.from)
		}
		doc := strings.Replace(validCNP, c.from, c.to, 1)
		if crd, ours := check(doc); crd || ours {
			t.Errorf("%s: CRD accepts %v, Validate accepts %v; want both false\n%s", c.name, crd, ours, doc)
		}
	}
}
