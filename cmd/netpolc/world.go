package main

import (
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/backends/world"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/eval"
)

// worldFlag is --world, with usage saying what the command does with the
// world.
func worldFlag(usage string) cli.Flag {
	return &cli.StringSliceFlag{
		Name: "world",
		Usage: usage + ", from `FILES|DIR|-` (DIR/... for a tree; repeatable): Kubernetes objects as kubectl get -A -o yaml " +
			"or -o json prints them, manifests, or netpolc's world format (docs/world.md)",
		TakesFile: true,
	}
}

// loadWorld reads the world named by --world (nil when the flag is not
// given), printing its diagnostics: warnings (skipped kinds, unknown
// fields) do not stop the run, errors do (errInput). opts carry the
// namespace of objects without one. sourcesOnStdin says whether the
// command's other arguments already read standard input.
func (e *env) loadWorld(c *cli.Context, opts world.Options, sourcesOnStdin bool) (*eval.World, error) {
	paths := c.StringSlice("world")
	if len(paths) == 0 {
		return nil, nil
	}
	if sourcesOnStdin && slices.Contains(paths, compile.StdinName) {
		return nil, &usageError{msg: "--world -: standard input is read once; it already holds the sources", command: c.Command.Name}
	}
	files, err := compile.LoadManifests(paths, e.stdin)
	if err != nil {
		return nil, &usageError{msg: "--world: " + err.Error(), command: c.Command.Name}
	}
	w, diags := world.Read(files, opts)
	if len(diags) > 0 {
		if err := e.printDiagnostics(files, diags); err != nil {
			return nil, err
		}
	}
	return w, nil
}
