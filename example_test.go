package netpolc_test

import (
	"fmt"
	"os"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// A build tool compiles a program to Kubernetes NetworkPolicy and writes
// the manifests.
func ExampleBuild() {
	files := []*source.File{source.NewFile("shop.netpol", []byte(`namespace shop
allow dns

web = {app: web}
db  = {app: db}

web -> db:5432/tcp
`))}
	target, _ := netpolc.DefaultTargets().Lookup("k8s")
	res, diags := netpolc.Build(files, netpolc.Options{Target: target})
	if len(diags) > 0 {
		_ = diag.WriteText(os.Stdout, source.NewSet(files...), diags.Normalize(), diag.TextOptions{})
	}
	if diags.HasErrors() {
		return
	}
	if err := netpolc.Write(os.Stdout, res.Objects, backends.FormatYAML); err != nil {
		fmt.Println(err)
	}
	// Output:
	// apiVersion: networking.k8s.io/v1
	// kind: NetworkPolicy
	// metadata:
	//   annotations:
	//     netpolc.io/source: shop.netpol:2
	//   labels:
	//     app.kubernetes.io/managed-by: netpolc
	//   name: all-pods
	//   namespace: shop
	// spec:
	//   egress:
	//   - ports:
	//     - port: 53
	//       protocol: UDP
	//     - port: 53
	//       protocol: TCP
	//     to:
	//     - namespaceSelector:
	//         matchLabels:
	//           kubernetes.io/metadata.name: kube-system
	//       podSelector:
	//         matchLabels:
	//           k8s-app: kube-dns
	//   podSelector: {}
	//   policyTypes:
	//   - Egress
	// ---
	// apiVersion: networking.k8s.io/v1
	// kind: NetworkPolicy
	// metadata:
	//   annotations:
	//     netpolc.io/source: shop.netpol:7
	//   labels:
	//     app.kubernetes.io/managed-by: netpolc
	//   name: db
	//   namespace: shop
	// spec:
	//   ingress:
	//   - from:
	//     - podSelector:
	//         matchLabels:
	//           app: web
	//     ports:
	//     - port: 5432
	//       protocol: TCP
	//   podSelector:
	//     matchLabels:
	//       app: db
	//   policyTypes:
	//   - Ingress
	// ---
	// apiVersion: networking.k8s.io/v1
	// kind: NetworkPolicy
	// metadata:
	//   annotations:
	//     netpolc.io/source: shop.netpol:7
	//   labels:
	//     app.kubernetes.io/managed-by: netpolc
	//   name: web
	//   namespace: shop
	// spec:
	//   egress:
	//   - ports:
	//     - port: 5432
	//       protocol: TCP
	//     to:
	//     - podSelector:
	//         matchLabels:
	//           app: db
	//   podSelector:
	//     matchLabels:
	//       app: web
	//   policyTypes:
	//   - Egress
}
