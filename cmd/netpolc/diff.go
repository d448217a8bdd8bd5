package main

import (
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/analysis"
	"github.com/netpolc/netpolc/compile/reach"
)

const diffHelp = `Diff compares two versions of a policy, OLD and NEW, over one world, and
prints exactly the connections the change opens (allowed by NEW, not by
OLD) and closes (allowed by OLD, not by NEW), per pair of workloads (or of
pods, --per-pod), as protocols and port ranges; a port allowed by both
whose HTTP or DNS restriction is lifted or added is reported too.

OLD and NEW are each a file or a directory of netpolc sources or of policy
manifests (one may be - for standard input); they need not be of the same
kind: diff compares what they mean. The world is --world, or the
representative world of both programs together (one pod per group of
either, named after the groups of OLD's expectations).

--format text (the default: Markdown, for a code review comment) or json
(docs/analysis.md has the schema).

The exit status says whether the change passes --fail-on: open (the
default) exits 1 when anything opens, close when anything closes, any when
anything changes, none never; so CI can gate on it. 2 is a usage error and
also 1 an error in OLD or NEW (reported as diagnostics on standard error).

Examples:
   netpolc diff old/ policies/
   git show main:policies/prod.netpol > /tmp/old.netpol && netpolc diff /tmp/old.netpol policies/prod.netpol
   netpolc diff --world cluster.yaml --fail-on any old.yaml new.yaml
   netpolc diff --format json old/ new/`

func diffCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "diff",
		Usage:       "print the connections a change of policy opens and closes",
		ArgsUsage:   "OLD NEW",
		Description: diffHelp,
		Flags: append(analysisFlags(),
			&cli.BoolFlag{Name: "per-pod", Usage: "compare pod by pod instead of workload by workload"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text (Markdown) or json"},
			&cli.StringFlag{Name: "fail-on", Value: "open", Usage: "exit 1 when the change does this: open, close, any or none"},
		),
		Action: func(c *cli.Context) error {
			cmd := c.Command.Name
			args, err := sourceArgs(c)
			if err != nil {
				return err
			}
			if len(args) != 2 {
				return &usageError{msg: fmt.Sprintf("diff takes two arguments, OLD and NEW, not %d", len(args)), command: cmd}
			}
			if args[0] == "-" && args[1] == "-" {
				return &usageError{msg: "OLD and NEW cannot both be standard input", command: cmd}
			}
			format := c.String("format")
			if err := checkChoice(cmd, "--format", format, "text", "json"); err != nil {
				return err
			}
			failOn := c.String("fail-on")
			switch failOn {
			case "open", "close", "any", "none":
			default:
				return &usageError{msg: fmt.Sprintf("--fail-on must be open, close, any or none, not %q%s", failOn, didYouMean(failOn, []string{"open", "close", "any", "none"})), command: cmd}
			}
			stdin, err := e.readStdin(args...)
			if err != nil {
				return err
			}
			old, err := e.loadPolicy(c, args[:1], stdin)
			if err != nil {
				return err
			}
			cur, err := e.loadPolicy(c, args[1:], stdin)
			if err != nil {
				return err
			}
			w, worldNote, err := e.analysisWorld(c, slices.Contains(args, compile.StdinName), old.prog, cur.prog)
			if err != nil {
				return err
			}
			w, labels := analysis.WithExternals(w, analysis.Peers(old.prog, cur.prog))
			conn := analysis.Group(w, analysis.GroupOptions{PerPod: c.Bool("per-pod"), Labels: labels},
				reach.New(old.prog, w, reach.Options{}), reach.New(cur.prog, w, reach.Options{}))
			d := analysis.NewDiff(conn, worldNote)
			out := []byte(d.Markdown())
			if format == "json" {
				if out, err = d.JSON(); err != nil {
					return &internalError{err: err}
				}
			}
			if err := e.writeOut(out); err != nil {
				return err
			}
			opens, closes := d.Opened() > 0, d.Closed() > 0
			if failOn == "open" && opens || failOn == "close" && closes || failOn == "any" && (opens || closes) {
				return errGate
			}
			return nil
		},
	}
}
