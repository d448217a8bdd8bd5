package netpolc

import (
	"slices"

	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/backends/netpolapi"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// LintOptions are the options of Lint.
type LintOptions struct {
	// Namespace is the namespace of namespaced objects that name none, as
	// for Import.
	Namespace string
	// World, when set, describes the cluster's namespaces and pods, for
	// the checks that need them (policies that select no pod; pods left
	// without DNS, exactly).
	World *eval.World
}

// Lint reads the NetworkPolicies, CiliumNetworkPolicies,
// CiliumClusterwideNetworkPolicies, AdminNetworkPolicies,
// BaselineAdminNetworkPolicies and ClusterNetworkPolicies of files (YAML or
// JSON, as Import reads them) and returns, as warnings at the line and
// column of the field, the common mistakes it finds in them (k8s.Lint,
// cilium.Lint and netpolapi.Lint list the checks), with the errors and
// warnings of reading and importing them.
// Objects of other kinds are left out silently; files without any policy
// object are an error ("no-policy").
func Lint(files []*source.File, opts LintOptions) diag.List {
	kinds := slices.Concat(k8s.ImportKinds, cilium.LintKinds, netpolapi.ImportKinds)
	objs, read := yamlsrc.Read(files, yamlsrc.Options{Kinds: kinds, Namespace: opts.Namespace})
	var diags diag.List
	for _, d := range read {
		if d.Code != yamlsrc.CodeSkipped {
			diags = append(diags, d)
		}
	}
	if len(objs) == 0 {
		if !diags.HasErrors() {
			diags.Errorf("no-policy", source.Span{}, "no policy object found (kinds read: %s)", kindList(kinds))
		}
		return diags
	}
	diags.Append(k8s.Lint(objs, k8s.LintOptions{World: opts.World}))
	diags.Append(cilium.Lint(objs))
	diags.Append(netpolapi.Lint(objs))
	return diags
}
