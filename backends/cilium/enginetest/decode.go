package enginetest

import (
	v2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"

	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/yamlsrc"
)

// DecodeRead decodes the Cilium policies among objs, as netpolc's reader
// read them (any form: List wrappers, JSON), into Cilium's types for the
// engine; a namespaced policy gets its object's namespace. Other kinds
// are left out.
func DecodeRead(objs []*yamlsrc.Object) (Objects, error) {
	var out Objects
	for _, o := range objs {
		switch o.Kind {
		case cilium.KindCNP:
			var cnp v2.CiliumNetworkPolicy
			if d := o.Decode(&cnp); d.HasErrors() {
				return out, d[0]
			}
			cnp.Namespace = o.Namespace
			out.CNPs = append(out.CNPs, &cnp)
		case cilium.KindCCNP:
			var ccnp v2.CiliumClusterwideNetworkPolicy
			if d := o.Decode(&ccnp); d.HasErrors() {
				return out, d[0]
			}
			out.CCNPs = append(out.CCNPs, &ccnp)
		}
	}
	return out, nil
}
