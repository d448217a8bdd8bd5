package main

import (
	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/decompile"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

const importHelp = `Import reads the NetworkPolicy (networking.k8s.io/v1),
CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2),
AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1)
and ClusterNetworkPolicy (v1alpha2, v1beta1)
objects of Kubernetes manifests, as people have them: YAML or JSON files, multi-document
streams, List wrappers, kubectl get -A -o yaml output, directories of them
(*.yaml, *.yml, *.json; DIR/... for a whole tree) or - for standard input.
It prints netpolc source that means exactly what they mean: one namespace
block per namespace, groups named after their labels, an arrow where both
ends allow a flow, one-sided ingress/egress rules otherwise, and a comment
naming the objects each statement came from. Admin policies become
"clusterwide priority N" blocks (their rules in order); a baseline that
denies every egress destination becomes egress isolation; what the language
cannot say exactly (other baseline rules, two admin policies of one
priority whose order matters) is an error. Objects of other kinds are
skipped with a note; anything netpolc cannot hold is an error at the YAML
line of the field, and nothing is printed.

Objects without metadata.namespace take --namespace, as with kubectl.

Examples:
   netpolc import policies/ > policies.netpol
   kubectl get networkpolicies -A -o yaml | netpolc import -
   kubectl get cnp,ccnp -A -o yaml | netpolc import -
   kubectl get anp,banp -o yaml | netpolc import -`

const convertHelp = `Convert imports manifests as import does and compiles what they mean for
another target: import + compile, with compile's checks, --degrade
opt-ins, -o DIR and --format. An error points at the YAML line that needs
what the target cannot express.

Examples:
   netpolc convert --to cilium policies/ > cilium.yaml
   netpolc convert --to k8s --degrade l7=l4 cilium-policies/
   netpolc convert --to netpol-api ccnp-with-deny-rules.yaml
   netpolc convert --to cilium admin-policies.yaml
   kubectl get networkpolicies -A -o yaml | netpolc convert --to cilium -o out/ -`

// namespaceFlag is the default namespace of objects that name none.
func namespaceFlag() cli.Flag {
	return &cli.StringFlag{Name: "namespace", Aliases: []string{"n"}, Usage: "the `NAMESPACE` of objects without metadata.namespace"}
}

// loadManifests reads the manifest arguments of c.
func (e *env) loadManifests(c *cli.Context) ([]*source.File, error) {
	paths, err := sourceArgs(c)
	if err != nil {
		return nil, err
	}
	files, err := compile.LoadManifests(paths, e.stdin)
	if err != nil {
		return nil, &usageError{msg: err.Error(), command: c.Command.Name}
	}
	return files, nil
}

func importCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "import",
		Usage:       "print netpolc source for existing NetworkPolicy, Cilium and admin network policy manifests",
		ArgsUsage:   "FILES|DIR|-",
		Description: importHelp,
		Flags:       []cli.Flag{namespaceFlag(), clusterCIDRsFlag()},
		Action: func(c *cli.Context) error {
			cidrs, err := parseClusterCIDRs(c)
			if err != nil {
				return err
			}
			files, err := e.loadManifests(c)
			if err != nil {
				return err
			}
			prog, diags := netpolc.Import(files, netpolc.ImportOptions{Namespace: c.String("namespace"), ClusterCIDRs: cidrs})
			var out []byte
			if prog != nil && !diags.HasErrors() {
				var dd diag.List
				out, dd = decompile.Decompile(prog)
				diags.Append(dd)
			}
			if err := e.printDiagnostics(files, diags); err != nil {
				return err
			}
			_, err = e.stdout.Write(out)
			return err
		},
	}
}

func convertCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "convert",
		Usage:       "import manifests and compile them for another target",
		ArgsUsage:   "FILES|DIR|-",
		Description: convertHelp,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "to", Usage: "the target to convert to: `NAME` as listed by netpolc targets (required)"},
			namespaceFlag(),
		}, outputFlags()...),
		Action: func(c *cli.Context) error {
			if _, err := sourceArgs(c); err != nil {
				return err
			}
			return e.runTarget(c, "to", func(target backends.Backend, flags targetFlags, registry *backends.Registry) ([]*source.File, *netpolc.Result, diag.List, error) {
				files, err := e.loadManifests(c)
				if err != nil {
					return nil, nil, nil, err
				}
				prog, diags := netpolc.Import(files, netpolc.ImportOptions{Namespace: c.String("namespace"), ClusterCIDRs: flags.clusterCIDRs})
				if prog == nil || diags.HasErrors() {
					return files, nil, diags, nil
				}
				res, ed := netpolc.Emit(prog, netpolc.Options{Target: target, Degrade: flags.degrade, Targets: registry, TargetFlag: "--to"})
				diags.Append(ed)
				return files, res, diags, nil
			})
		},
	}
}
