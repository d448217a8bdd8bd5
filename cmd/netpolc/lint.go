package main

import (
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends/world"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/lang/diag"
)

const lintHelp = `Lint reads existing policy manifests, as import does (NetworkPolicy,
CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, AdminNetworkPolicy,
BaselineAdminNetworkPolicy and ClusterNetworkPolicy objects in YAML or
JSON files, directories, DIR/... or - for standard input), and reports the
common mistakes it finds in them, each at the YAML line of the field, with a
stable code and a one-line fix: two peers where one AND peer was meant, DNS
egress over UDP only or to more than the DNS pods, egress isolation without
DNS, namespaces selected by a hand-made label, ports entries without port,
egress rules without policyTypes, rules for replies, egress to 0.0.0.0/0
that reaches the cloud metadata address, duplicate and shadowed rules, and
on Cilium toFQDNs without a DNS proxy rule, "*." patterns where "**." was
meant and L4 rules that void HTTP rules, and on admin policies rules that
an earlier rule of the policy always decides first. docs/design.md lists
the codes.

Every finding is a warning, and warnings count: lint exits 1 when it
reports anything, 0 when the manifests are clean. Objects of other kinds
are left out. With --world (a cluster's objects, as check --world reads
them), lint also reports policies that select no pod of that world, and
finds the pods left without DNS exactly.

Objects without metadata.namespace take --namespace, as with kubectl (the
objects of --world too).

Examples:
   netpolc lint policies/
   kubectl get networkpolicies -A -o yaml | netpolc lint -
   netpolc lint --world cluster.yaml policies/
   netpolc --diagnostics json lint policies/`

func lintCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "lint",
		Usage:       "report common mistakes in existing policy manifests",
		ArgsUsage:   "FILES|DIR|-",
		Description: lintHelp,
		Flags: []cli.Flag{
			namespaceFlag(),
			worldFlag("report the policies that select no pod of a cluster, and find exactly the pods left without DNS"),
		},
		Action: func(c *cli.Context) error {
			files, err := e.loadManifests(c)
			if err != nil {
				return err
			}
			opts := netpolc.LintOptions{Namespace: c.String("namespace")}
			// The world's warnings are printed, and are no findings.
			if opts.World, err = e.loadWorld(c, world.Options{Namespace: opts.Namespace, NamespaceHint: "write it, or pass --namespace"},
				slices.Contains(c.Args().Slice(), compile.StdinName)); err != nil {
				return err
			}
			diags := netpolc.Lint(files, opts)
			if err := e.printDiagnostics(files, diags); err != nil {
				return err
			}
			for _, d := range diags {
				if d.Severity != diag.Info {
					return errInput // findings fail the run
				}
			}
			return nil
		},
	}
}
