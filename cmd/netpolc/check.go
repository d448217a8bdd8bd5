package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

const checkHelp = `Check parses and checks the sources, evaluates their expectations, and
prints the diagnostics on standard error. Warnings do not fail the check.

FILES|DIR|- name .netpol files, directories (their .netpol files, not those
of subdirectories) or - for standard input. Flags come before the files.

Examples:
   netpolc check policies/
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
			files, opts, err := e.loadSources(c)
			if err != nil {
				return err
			}
			_, diags := compile.Compile(files, opts)
			return e.printDiagnostics(files, diags)
		},
	}
}

// loadSources reads the source arguments and the --world file of c.
func (e *env) loadSources(c *cli.Context) ([]*source.File, compile.Options, error) {
	var opts compile.Options
	paths, err := sourceArgs(c)
	if err != nil {
		return nil, opts, err
	}
	files, err := compile.Load(paths, e.stdin)
	if err != nil {
		return nil, opts, &usageError{msg: err.Error(), command: c.Command.Name}
	}
	if path := c.String("world"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, opts, &usageError{msg: fmt.Sprintf("--world: %v", err), command: c.Command.Name}
		}
		if opts.World, err = eval.LoadWorld(data); err != nil {
			var l diag.List
			l.Errorf("bad-world", source.Span{File: path}, "%v", err)
			return nil, opts, e.printDiagnostics(nil, l)
		}
	}
	return files, opts, nil
}
