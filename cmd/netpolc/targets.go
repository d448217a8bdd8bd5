package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/backends"
)

const targetsHelp = `Targets lists the targets netpolc compiles to and what each can express:
one row per feature, one column per target. "partial" and "no" cells carry a
note number; the notes below the table explain the caveat or what to do
instead (often a --degrade option of netpolc compile).

Examples:
   netpolc targets`

func targetsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "targets",
		Usage:       "list the targets and their capabilities",
		Description: targetsHelp,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{msg: "targets takes no arguments", command: "targets"}
			}
			_, err := e.stdout.Write([]byte(targetsTable(e.registry)))
			return err
		},
	}
}

// targetsTable renders the capabilities of every registered backend.
func targetsTable(reg *backends.Registry) string {
	names := reg.Names()
	if len(names) == 0 {
		return "no targets registered\n"
	}
	var b strings.Builder
	var caps []backends.Capabilities
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, n := range names {
		be, _ := reg.Lookup(n)
		caps = append(caps, be.Capabilities())
		fmt.Fprintf(tw, "%s\t%s\n", n, be.Description())
	}
	tw.Flush()
	b.WriteString("\n")

	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "FEATURE\t%s\n", strings.Join(names, "\t"))
	var notes []string
	for _, f := range sortedFeatures(caps...) {
		row := []string{string(f)}
		for i, c := range caps {
			capability, ok := c[f]
			cell := string(backends.No)
			if ok && capability.Support != "" {
				cell = string(capability.Support)
			}
			if ok && capability.Note != "" {
				notes = append(notes, fmt.Sprintf("[%d] %s, %s: %s", len(notes)+1, names[i], f, capability.Note))
				cell += fmt.Sprintf(" [%d]", len(notes))
			}
			row = append(row, cell)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	return b.String()
}
