package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends/world"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

const checkHelp = `Check parses and checks the sources, evaluates their expectations, and
prints the diagnostics on standard error. Warnings do not fail the check.

FILES|DIR|- name .netpol files, directories (their .netpol files, not those
of subdirectories) or - for standard input; DIR/... checks every directory
below DIR that holds .netpol files, each as a program of its own. Flags come
before the files. netpolc reads at most 16 MiB from one source.

Expectations are evaluated over one representative pod per group, or with
--world over the pods of a cluster, where each must pass: Kubernetes
objects (Namespaces, Pods, workloads, Services, Nodes) as kubectl get -A
-o yaml or -o json prints them, manifests, or netpolc's world format, from
files, directories (DIR/... for a tree) or - (docs/world.md). A workload
whose pods are not given stands for its replicas as one pod named after it.

Examples:
   netpolc check policies/
   netpolc check examples/...
   netpolc check production.netpol staging.netpol
   netpolc check --world cluster.yaml policies/
   kubectl get ns,pods,deploy,sts,ds,rs,jobs,cronjobs,svc,nodes -A -o yaml | netpolc check --world - policies/
   cat production.netpol | netpolc check -
   netpolc --diagnostics json check policies/`

// checkWorldUsage is the usage of --world of check and compile.
const checkWorldUsage = "evaluate expectations over the pods of a cluster instead of one representative pod per group"

func checkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "check",
		Usage:       "check sources and print diagnostics",
		ArgsUsage:   "FILES|DIR|-",
		Description: checkHelp,
		Flags:       []cli.Flag{worldFlag(checkWorldUsage)},
		Action: func(c *cli.Context) error {
			progs, opts, err := e.loadPrograms(c)
			if err != nil {
				return err
			}
			// Each DIR/... directory is a program of its own; report them
			// all at once (one JSON array in --diagnostics json).
			var all []*source.File
			var diags diag.List
			for _, files := range progs {
				_, d := netpolc.Build(files, netpolc.Options{Compile: opts})
				diags.Append(d)
				all = append(all, files...)
			}
			return e.printDiagnostics(all, diags)
		},
	}
}

// loadSources reads the source arguments of c as one program, and the
// world of --world.
func (e *env) loadSources(c *cli.Context) ([]*source.File, compile.Options, error) {
	progs, opts, err := e.loadPrograms(c)
	if err != nil {
		return nil, opts, err
	}
	if len(progs) != 1 {
		var dirs []string
		for _, p := range progs {
			dirs = append(dirs, diag.FileName(filepath.Dir(p[0].Name)))
		}
		return nil, opts, &usageError{command: c.Command.Name, msg: fmt.Sprintf(
			"%s takes one program, but the arguments name %d (%s); name one directory or its files",
			c.Command.Name, len(progs), strings.Join(dirs, ", "))}
	}
	return progs[0], opts, nil
}

// loadPrograms reads the source arguments of c, one program per directory
// matched by a DIR/... pattern plus one for the other arguments, and the
// world of --world (printing its warnings).
func (e *env) loadPrograms(c *cli.Context) ([][]*source.File, compile.Options, error) {
	var opts compile.Options
	paths, err := sourceArgs(c)
	if err != nil {
		return nil, opts, err
	}
	files, err := compile.LoadPrograms(paths, e.stdin)
	if err != nil {
		return nil, opts, &usageError{msg: err.Error(), command: c.Command.Name}
	}
	if opts.World, err = e.loadWorld(c, world.Options{}, slices.Contains(paths, compile.StdinName)); err != nil {
		return nil, opts, err
	}
	return files, opts, nil
}
