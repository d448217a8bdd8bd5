package main

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/netpolapi"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

const compileHelp = `Compile checks the sources like check, then checks that the target can
express everything they need, and writes the target's manifests: a
multi-document YAML stream (or with --format json a v1 List) on standard
output, or with -o one file per object in DIR. Objects are sorted by kind,
namespace and name; the same input always gives the same bytes.

When there is an error, nothing is written to standard output or DIR.

-o DIR writes as one transaction (docs/output.md): when the run ends, DIR
holds the complete output of the previous run or of this one, whatever
fails, even on SIGINT, SIGTERM or SIGHUP (the run then exits with 128 plus
the signal's number, 130 for SIGINT; after the commit point it finishes its
renames first). Only a program reading DIR during those final renames
(milliseconds) can see files of both. Runs on the same DIR take turns: one
waits for the other up to --lock-timeout, then fails (exit 3). Files that
an earlier run wrote and this one no longer produces are deleted, unless
--keep-stale or they were edited since (kept, with a warning); netpolc
records what it wrote in DIR/.netpolc-manifest and deletes nothing else
but its own temporary files. Other files in DIR are left alone, except that
a file with the name of an output file is replaced. A run killed outright
(SIGKILL, power loss) during its final renames leaves DIR/.netpolc-journal,
and the next run on DIR completes it before anything else.

A feature the target cannot express exactly is an error at the line that
needs it. --degrade FEATURE=MODE opts in to an explicit approximation (see
netpolc targets); each use is reported as a warning.

Examples:
   netpolc compile --target k8s policies/ > manifests.yaml
   netpolc compile --target k8s -o manifests/ policies/
   netpolc compile --target k8s --format json production.netpol | jq '.items[].metadata.name'
   netpolc compile --target cilium --cilium-version 1.19 policies/
   netpolc compile --target netpol-api --netpol-api-version v1alpha1 policies/
   netpolc compile --target netpol-api --cluster-cidrs 10.244.0.0/16,10.96.0.0/12,192.168.0.0/24 policies/
   netpolc compile --target k8s --degrade l7=l4 policies/`

func compileCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "compile",
		Usage:       "compile sources to a target's manifests",
		ArgsUsage:   "FILES|DIR|-",
		Description: compileHelp,
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: "target", Aliases: []string{"t"}, Usage: "the target to compile for: `NAME` as listed by netpolc targets (required)"},
		}, outputFlags()...), worldFlag(checkWorldUsage)),
		Action: func(c *cli.Context) error {
			// The command line first: a usage mistake is reported before
			// any input is read.
			if _, err := sourceArgs(c); err != nil {
				return err
			}
			return e.runTarget(c, "target", func(target backends.Backend, flags targetFlags, registry *backends.Registry) ([]*source.File, *netpolc.Result, diag.List, error) {
				files, opts, err := e.loadSources(c)
				if err != nil {
					return nil, nil, nil, err
				}
				res, diags := netpolc.Build(files, netpolc.Options{
					Target: target, Degrade: flags.degrade, Targets: registry, Compile: opts,
				})
				return files, res, diags, nil
			})
		},
	}
}

// runTarget is what compile and convert share: it checks the target flag
// (named targetFlag) and the output flags, runs build with the target as
// the flags configure it (build loads the input and runs the stages), and
// writes the objects to standard output or -o DIR. Each stage runs only
// when the ones before reported no error, and all diagnostics are printed
// together at the end.
func (e *env) runTarget(c *cli.Context, targetFlag string, build func(backends.Backend, targetFlags, *backends.Registry) ([]*source.File, *netpolc.Result, diag.List, error)) error {
	cmd := c.Command.Name
	name := c.String(targetFlag)
	if name == "" {
		return &usageError{msg: "missing --" + targetFlag + " (one of: " + e.targetList() + ")", command: cmd}
	}
	target, ok := e.registry.Lookup(name)
	if !ok {
		return &usageError{msg: fmt.Sprintf("unknown target %q%s (one of: %s)", name, didYouMean(name, e.registry.Names()), e.targetList()), command: cmd}
	}
	format := c.String("format")
	if err := checkChoice(cmd, "--format", format, backends.FormatYAML, backends.FormatJSON); err != nil {
		return err
	}
	flags, err := targetOptions(c, target)
	if err != nil {
		return err
	}
	// The targets as the flags configure them; what a target cannot
	// express names those that can ("use --target cilium").
	registry, err := configuredRegistry(flags)
	if err != nil {
		return &usageError{msg: err.Error(), command: cmd}
	}
	target, _ = registry.Lookup(name)
	if c.String("o") == "" {
		if err := onlyWith(c, cmd, "-o DIR", "keep-stale", "lock-timeout"); err != nil {
			return err
		}
	}
	if c.Duration("lock-timeout") < 0 {
		return &usageError{msg: fmt.Sprintf("--lock-timeout must not be negative, not %v", c.Duration("lock-timeout")), command: cmd}
	}
	// With -o, signals stop the run cleanly (see writeOutputDir).
	var sigs *signalCatcher
	if c.String("o") != "" {
		sigs = catchSignals()
		defer sigs.stop()
	}
	files, res, diags, err := build(target, flags, registry)
	if err != nil {
		return err
	}
	var objs []backends.Object
	if res != nil {
		objs = res.Objects
	}
	var writeErr error
	if dir := c.String("o"); dir != "" && !diags.HasErrors() {
		var wd diag.List
		wd, writeErr = e.writeOutputDir(c, sigs, dir, objs, format)
		diags.Append(wd)
	}
	if err := e.printDiagnostics(files, diags); err != nil {
		return err
	}
	if c.String("o") != "" {
		return writeErr
	}
	var out bytes.Buffer
	if err := netpolc.Write(&out, objs, format); err != nil {
		return err
	}
	_, err = e.stdout.Write(out.Bytes())
	return err
}

// outputFlags are the flags of compile and convert that choose how the
// objects are written and for which Cilium release.
func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "o", Usage: "write one file per object into `DIR` instead of standard output", TakesFile: true},
		&cli.BoolFlag{Name: "keep-stale", Usage: "with -o, keep the files an earlier run wrote into DIR that this one no longer produces"},
		&cli.DurationFlag{Name: "lock-timeout", Value: time.Minute, Usage: "with -o, wait up to `DURATION` for another run writing into DIR (0: fail at once)"},
		&cli.StringFlag{Name: "format", Value: backends.FormatYAML, Usage: "output format: yaml or json"},
		&cli.StringSliceFlag{Name: "degrade", Usage: "approximate `FEATURE=MODE` on this target instead of failing (repeatable)"},
		&cli.StringFlag{Name: "cilium-version", Value: "1.20", Usage: "the Cilium `VERSION` the output must work on"},
		&cli.StringFlag{Name: "netpol-api-version", Value: netpolapi.DefaultVersion, Usage: "the `VERSION` of the network-policy API objects for --target netpol-api: v1alpha2 or v1beta1 (ClusterNetworkPolicy), v1alpha1 (AdminNetworkPolicy, BaselineAdminNetworkPolicy)"},
		clusterCIDRsFlag(),
	}
}

// targetList is the registered target names for messages.
func (e *env) targetList() string {
	names := e.registry.Names()
	if len(names) == 0 {
		return "none registered"
	}
	return strings.Join(names, ", ")
}

// sortedFeatures returns the features of caps in name order.
func sortedFeatures(caps ...backends.Capabilities) []backends.Feature {
	seen := map[backends.Feature]bool{}
	var out []backends.Feature
	for _, c := range caps {
		for f := range c {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
