package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

const checkHelp = `Check parses and checks the sources, evaluates their expectations, and
prints the diagnostics on standard error. Warnings do not fail the check.

FILES|DIR|- name .netpol files, directories (their .netpol files, not those
of subdirectories) or - for standard input; DIR/... checks every directory
below DIR that holds .netpol files, each as a program of its own. Flags come
before the files. netpolc reads at most 16 MiB from one source.

Examples:
   netpolc check policies/
   netpolc check examples/...
   netpolc check production.netpol staging.netpol
   netpolc check --world cluster-world.yaml policies/
   cat production.netpol | netpolc check -
   netpolc --diagnostics json check policies/`

func worldFlag() cli.Flag {
	return &cli.StringFlag{
		Name:      "world",
		Usage:     "evaluate expectations over the namespaces and pods described in `FILE` instead of one representative pod per group",
		TakesFile: true,
	}
}

func checkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "check",
		Usage:       "check sources and print diagnostics",
		ArgsUsage:   "FILES|DIR|-",
		Description: checkHelp,
		Flags:       []cli.Flag{worldFlag()},
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
// --world file.
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
// --world file.
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
	if path := c.String("world"); path != "" {
		data, err := compile.ReadFile(path)
		if err != nil {
			return nil, opts, &usageError{msg: "--world: " + err.Error(), command: c.Command.Name}
		}
		if opts.World, err = eval.LoadWorld(data); err != nil {
			var l diag.List
			l.Errorf("bad-world", source.Span{File: path}, "%v", err)
			return nil, opts, e.printDiagnostics(nil, l)
		}
	}
	return files, opts, nil
}
