package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

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
			&cli.BoolFlag{Name: "w", Usage: "rewrite files whose formatting differs, in place (atomically)"},
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
					fmt.Fprintln(&out, f.Name)
				}
				if diff && changed {
					textdiff.WriteUnified(&out, f.Name+".orig", f.Name, f.Content, formatted)
				}
				if write && changed {
					if err := writeFileAtomic(f.Name, formatted); err != nil {
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

// writeFileAtomic replaces the file at path with content, keeping its
// permissions: it writes a temporary file in the same directory and renames
// it over path, so the file is never seen half-written.
func writeFileAtomic(path string, content []byte) (err error) {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".netpolc-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(content); err == nil {
		err = tmp.Chmod(info.Mode().Perm())
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
