package main

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

const compileHelp = `Compile checks the sources like check, then checks that the target can
express everything they need, and writes the target's manifests: a
multi-document YAML stream (or with --format json a v1 List) on standard
output, or with -o one file per object in DIR, written atomically (on any
error nothing in DIR changes). Objects are sorted by kind, namespace and name;
the same input always gives the same bytes.

When there is an error, nothing is written to standard output or DIR.

A feature the target cannot express exactly is an error at the line that
needs it. --degrade FEATURE=MODE opts in to an explicit approximation (see
netpolc targets); each use is reported as a warning.

Examples:
   netpolc compile --target k8s policies/ > manifests.yaml
   netpolc compile --target k8s -o manifests/ policies/
   netpolc compile --target k8s --format json production.netpol | jq '.items[].metadata.name'
   netpolc compile --target cilium --cilium-version 1.19 policies/
   netpolc compile --target k8s --degrade l7=l4 policies/`

func compileCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "compile",
		Usage:       "compile sources to a target's manifests",
		ArgsUsage:   "FILES|DIR|-",
		Description: compileHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "target", Aliases: []string{"t"}, Usage: "the target to compile for: `NAME` as listed by netpolc targets (required)"},
			&cli.StringFlag{Name: "o", Usage: "write one file per object into `DIR` instead of standard output", TakesFile: true},
			&cli.StringFlag{Name: "format", Value: backends.FormatYAML, Usage: "output format: yaml or json"},
			&cli.StringSliceFlag{Name: "degrade", Usage: "approximate `FEATURE=MODE` on this target instead of failing (repeatable)"},
			&cli.StringFlag{Name: "cilium-version", Value: "1.20", Usage: "the Cilium `VERSION` the output must work on"},
			worldFlag(),
		},
		Action: func(c *cli.Context) error {
			// The command line first: a usage mistake is reported before
			// any input is read.
			if _, err := sourceArgs(c); err != nil {
				return err
			}
			name := c.String("target")
			if name == "" {
				return &usageError{msg: "missing --target (one of: " + e.targetList() + ")", command: "compile"}
			}
			target, ok := e.registry.Lookup(name)
			if !ok {
				return &usageError{msg: fmt.Sprintf("unknown target %q%s (one of: %s)", name, didYouMean(name, e.registry.Names()), e.targetList()), command: "compile"}
			}
			format := c.String("format")
			if format != backends.FormatYAML && format != backends.FormatJSON {
				return &usageError{msg: fmt.Sprintf("--format must be %s or %s, not %q", backends.FormatYAML, backends.FormatJSON, format), command: "compile"}
			}
			bopts, err := targetOptions(c, target)
			if err != nil {
				return err
			}
			files, opts, err := e.loadSources(c)
			if err != nil {
				return err
			}

			// The stages; each runs only when the ones before reported no
			// error, and all diagnostics are printed together at the end.
			var diags diag.List
			res, cd := compile.Compile(files, opts)
			diags.Append(cd)
			var objs []backends.Object
			if !diags.HasErrors() && res != nil && res.Program != nil {
				diags.Append(backends.CheckCapabilities(res.Program, target, bopts))
				if !diags.HasErrors() {
					var ed diag.List
					objs, ed = target.Emit(res.Program, bopts)
					diags.Append(ed)
				}
			} else if !diags.HasErrors() {
				diags.Errorf(internalCode, source.Span{}, "compile returned no program and no error")
			}
			if err := e.printDiagnostics(files, diags); err != nil {
				return err
			}

			if dir := c.String("o"); dir != "" {
				return backends.WriteDir(dir, objs, format)
			}
			var out bytes.Buffer
			if format == backends.FormatJSON {
				err = backends.WriteJSON(&out, objs)
			} else {
				err = backends.WriteYAML(&out, objs)
			}
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(out.Bytes())
			return err
		},
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
