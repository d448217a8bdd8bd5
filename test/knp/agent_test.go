package knp

import (
	"os"
	"testing"

	"github.com/netpolc/netpolc/compile/eval"
)

const handWorld = `
namespaces:
  a: {}
  b: {}
pods:
- {namespace: a, name: a0, ip: 10.244.0.1, labels: {app: web}}
- {namespace: b, name: b0, ip: 10.244.1.1, labels: {app: db}, ports: [{name: http, port: 8080}]}
externals:
- {ip: 203.0.113.7}
- {ip: 8.8.8.8}
`

// TestAgentHandWritten checks the harness on hand-written objects with
// hand-written verdicts (the API's meaning, read from the v1alpha1 types'
// documentation), no netpolc evaluator involved, and shows deviation (a):
// a NetworkPolicy of the other policy type makes the agent skip the
// BaselineAdminNetworkPolicy.
func TestAgentHandWritten(t *testing.T) {
	w, err := eval.LoadWorld([]byte(handWorld))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/handwritten.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAgent()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	pod := func(ns, name string) eval.Endpoint {
		for i := range w.Pods {
			if w.Pods[i].Namespace == ns && w.Pods[i].Name == name {
				return eval.PodEndpoint(&w.Pods[i])
			}
		}
		t.Fatalf("no pod %s/%s", ns, name)
		return eval.Endpoint{}
	}
	ext := func(ip string) eval.Endpoint {
		for i := range w.Externals {
			if w.Externals[i].IP.String() == ip {
				return eval.ExternalEndpoint(&w.Externals[i])
			}
		}
		t.Fatalf("no external %s", ip)
		return eval.Endpoint{}
	}
	a0, b0 := pod("a", "a0"), pod("b", "b0")
	cases := []struct {
		flow eval.Flow
		want bool
		why  string
	}{
		{eval.Flow{From: a0, To: b0, Protocol: "TCP", Port: 5432}, false, "ANP deny-db (priority 10)"},
		{eval.Flow{From: a0, To: ext("203.0.113.7"), Protocol: "TCP", Port: 443}, true, "ANP allow-doc-net"},
		{eval.Flow{From: a0, To: ext("8.8.8.8"), Protocol: "UDP", Port: 53}, false, "BANP: egress of a denied to 0.0.0.0/0"},
		{eval.Flow{From: a0, To: b0, Protocol: "TCP", Port: 8080}, false, "BANP: 0.0.0.0/0 holds pod addresses too"},
		{eval.Flow{From: b0, To: a0, Protocol: "TCP", Port: 8080}, true, "nothing applies to b0's egress nor a0's ingress"},
		{eval.Flow{From: ext("8.8.8.8"), To: b0, Protocol: "TCP", Port: 8080}, false, "NetworkPolicy ingress-b admits namespace a only"},
		{eval.Flow{From: b0, To: b0, Protocol: "UDP", Port: 8080}, false, "NetworkPolicy ingress-b: TCP only"},
	}
	check := func(phase string) {
		for _, c := range cases {
			if got := a.Allowed(c.flow); got != c.want {
				t.Errorf("%s: %s: kube-network-policies says allowed=%v, want %v (%s)", phase, c.flow, got, c.want, c.why)
			}
		}
	}
	if err := a.Load(w, objs); err != nil {
		t.Fatal(err)
	}
	check("hand-written objects")

	// Deviation (a): a NetworkPolicy selecting a0 for ingress only makes the
	// agent skip the BaselineAdminNetworkPolicy for a0's egress too.
	more, err := Decode([]byte(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ingress-a, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{}]
`))
	if err != nil {
		t.Fatal(err)
	}
	objs.NetworkPolicies = append(objs.NetworkPolicies, more.NetworkPolicies...)
	if err := a.Load(w, objs); err != nil {
		t.Fatal(err)
	}
	for i := range cases {
		if cases[i].flow.From == a0 && cases[i].why[:4] == "BANP" {
			cases[i].want, cases[i].why = true, "deviation (a): the BANP is skipped for a pod some NetworkPolicy selects"
		}
	}
	check("with an ingress NetworkPolicy in a")
}
