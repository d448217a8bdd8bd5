package main

import (
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/backends/world"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/lang/source"
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
	e.limitMemory(files)
	w, diags := world.Read(files, opts)
	if len(diags) > 0 {
		if err := e.printDiagnostics(files, diags); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// limitMemory sets the process's soft memory limit for reading a world of
// files and analysing it, unless GOMEMLIMIT says otherwise: ten times the
// world's size, at least 64 MiB. Reading and analysing keep about five to
// six times the input live at their peak; with Go's default the heap grows
// to twice what is live before it is collected, with the limit the
// collector runs more often near it instead (at 2,000 pods: 92 MB of
// memory instead of 126 MB, for 0.03 s of processor time;
// docs/analysis.md). GOMEMLIMIT=off restores Go's default.
func (e *env) limitMemory(files []*source.File) {
	if e.setMemoryLimit == nil {
		return
	}
	if _, set := e.lookupEnv("GOMEMLIMIT"); set {
		return
	}
	size := 0
	for _, f := range files {
		size += len(f.Content)
	}
	e.setMemoryLimit(max(64<<20, 10*int64(size)))
}
