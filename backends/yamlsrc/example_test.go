package yamlsrc_test

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/lang/source"
)

// An importer reads the objects of its kinds, decodes each strictly into
// its Go type, and points its own diagnostics at fields with Pos.
func ExampleRead() {
	file := source.NewFile("policies.yaml", []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - ipBlock: {cidr: 203.0.113.0/24}
`))
	objs, diags := yamlsrc.Read([]*source.File{file}, yamlsrc.Options{
		Kinds:     []yamlsrc.Kind{{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}},
		Namespace: "shop", // for objects without metadata.namespace, like kubectl -n
	})
	for _, d := range diags {
		fmt.Println(d.Span, d.Severity, d.Message)
	}
	for _, o := range objs {
		var np networkingv1.NetworkPolicy
		if d := o.Decode(&np); d.HasErrors() {
			fmt.Println(d)
			continue
		}
		fmt.Println(o, "at", o.Span)
		fmt.Println("cidr", np.Spec.Ingress[0].From[0].IPBlock.CIDR, "at", o.Pos("spec", "ingress", 0, "from", 0, "ipBlock", "cidr"))
		fmt.Println("egress (absent) falls back to", o.Pos("spec", "egress", 0))
	}
	// Output:
	// policies.yaml:1:1 info skipped ConfigMap shop/settings
	// NetworkPolicy shop/web at policies.yaml:5:1
	// cidr 203.0.113.0/24 at policies.yaml:13:17
	// egress (absent) falls back to policies.yaml:9:1
}
