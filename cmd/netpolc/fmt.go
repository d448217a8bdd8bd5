package main

import (
	"bytes"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/internal/textdiff"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/format"
)

const fmtHelp = `Fmt prints the sources in canonical form: canonical spacing and
alignment, comments kept. By default the formatted sources go to standard
output. With -l, -w or -d (which combine) nothing else is printed.

A file with syntax errors is not formatted: its diagnostics go to standard
error and fmt exits with 1. With -w the other files are still rewritten;
otherwise nothing is printed on standard output.

-w rewrites only the files whose formatting differs. A symbolic link stays a
link: the file it points to is rewritten. The mode, owner and group are
kept. A file is replaced atomically (a temporary file in its directory,
renamed over it), so it is never seen half-written; a file with several
hard links is instead overwritten in place, so that all its names keep
showing the same file, and so is a file in a directory netpolc cannot
write or whose owner it cannot keep. An in-place write is not atomic.

File names with characters that are not printable (a newline, say) are
printed quoted, as in diagnostics.

Examples:
   netpolc fmt production.netpol
   netpolc fmt -w policies/
   netpolc fmt -l policies/          # e.g. in CI: the output must be empty
   netpolc fmt -d production.netpol
   cat production.netpol | netpolc fmt -`

func fmtCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "fmt",
		Usage:       "format sources",
		ArgsUsage:   "FILES|DIR|-",
		Description: fmtHelp,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "w", Usage: "rewrite files whose formatting differs, in place (through symbolic links, keeping mode, owner and hard links)"},
			&cli.BoolFlag{Name: "l", Usage: "list files whose formatting differs"},
			&cli.BoolFlag{Name: "d", Usage: "print a unified diff of the changes formatting makes"},
		},
		Action: func(c *cli.Context) error {
			write, list, diff := c.Bool("w"), c.Bool("l"), c.Bool("d")
			paths, err := sourceArgs(c)
			if err != nil {
				return err
			}
			for _, p := range paths {
				if write && p == compile.StdinName {
					return &usageError{msg: "cannot use -w with standard input", command: "fmt"}
				}
			}
			files, err := compile.Load(paths, e.stdin)
			if err != nil {
				return &usageError{msg: err.Error(), command: "fmt"}
			}
			var (
				out   bytes.Buffer
				diags diag.List
			)
			for _, f := range files {
				formatted, fd := format.Source(f)
				diags.Append(fd)
				if fd.HasErrors() {
					continue
				}
				changed := !bytes.Equal(formatted, f.Content)
				if list && changed {
					fmt.Fprintln(&out, diag.FileName(f.Name))
				}
				if diff && changed {
					textdiff.WriteUnified(&out, diag.FileName(f.Name+".orig"), diag.FileName(f.Name), f.Content, formatted)
				}
				if write && changed {
					if err := rewriteFile(f.Name, formatted); err != nil {
						return err
					}
				}
				if !write && !list && !diff {
					out.Write(formatted)
				}
			}
			if err := e.printDiagnostics(files, diags); err != nil {
				return err
			}
			_, err = e.stdout.Write(out.Bytes())
			return err
		},
	}
}
