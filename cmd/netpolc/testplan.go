package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/compile/testplan"
	"github.com/netpolc/netpolc/lang/source"
)

const testplanHelp = `Testplan checks the sources like check, then prints connectivity tests:
the flows to probe in a cluster, each with the verdict the policies give it
and the source lines that decide it. It probes every expect statement and,
for every rule, the ports it allows (first and last of a range, named ports
resolved on the destination), the neighbouring port, another protocol, a
pod in no rule, pods matching only one half of a namespace AND pod peer,
the edges of CIDR blocks and their excepts, and the cluster DNS server.
Probes are TCP, UDP and SCTP connections; ICMP and HTTP requests are not
probed (the plan lists what it leaves out). docs/testplan.md has the
details.

The flows are between the pods of the world (--world, or one
representative pod per group) plus the pods the plan adds (a pod without
labels per namespace, pods matching one half of a peer) and external
addresses.

--format yaml (the default) or json prints the plan (apiVersion
testplan.netpolc.io/v1alpha1, kind TestPlan). --format manifests prints
probe Pods that serve the probed ports and run the probes, with the steps
to follow in its header; --format script prints a POSIX shell script that
creates the same pods with kubectl, probes with kubectl exec, prints
expected and observed per probe and exits 1 on a mismatch. Both use
--image (default ` + testplan.DefaultImage + `) and leave out
probes to external addresses unless --externals.

Examples:
   netpolc testplan examples/zero-trust
   netpolc testplan --world examples/zero-trust/world.yaml --format json examples/zero-trust
   netpolc testplan --format manifests examples/zero-trust > probes.yaml
   netpolc testplan --format script examples/zero-trust > probe.sh && sh probe.sh`

// Values of testplan --format.
const (
	planYAML      = "yaml"
	planJSON      = "json"
	planManifests = "manifests"
	planScript    = "script"
)

func testplanCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "testplan",
		Usage:       "print connectivity tests derived from the sources",
		ArgsUsage:   "FILES|DIR|-",
		Description: testplanHelp,
		Flags: []cli.Flag{
			worldFlag("derive the probes from the pods of a cluster instead of one representative pod per group"),
			&cli.StringFlag{Name: "format", Value: planYAML, Usage: "what to print: yaml or json (the plan), manifests (probe pods) or script (a shell script using kubectl)"},
			&cli.StringFlag{Name: "image", Value: testplan.DefaultImage, Usage: "the probe pods' `IMAGE` (manifests, script): agnhost's connect, serve-hostname and porter at /agnhost, a POSIX shell, awk and dig"},
			&cli.IntFlag{Name: "timeout", Value: testplan.DefaultTimeout, Usage: "how long a probe waits, in `SECONDS` (manifests, script)"},
			&cli.BoolFlag{Name: "externals", Usage: "also run the probes from pods to external addresses (manifests, script); an address with nothing listening looks denied"},
		},
		Action: func(c *cli.Context) error {
			cmd := c.Command.Name
			if _, err := sourceArgs(c); err != nil {
				return err
			}
			format := c.String("format")
			if err := checkChoice(cmd, "--format", format, planYAML, planJSON, planManifests, planScript); err != nil {
				return err
			}
			if format == planYAML || format == planJSON {
				if err := onlyWith(c, cmd, "--format manifests or script", "image", "timeout", "externals"); err != nil {
					return err
				}
			}
			if err := testplan.CheckImage(c.String("image")); err != nil {
				return &usageError{msg: "--image: " + err.Error(), command: cmd}
			}
			if t := c.Int("timeout"); t < 1 || t > 600 {
				return &usageError{msg: fmt.Sprintf("--timeout must be between 1 and 600 seconds, not %d", t), command: cmd}
			}
			files, opts, err := e.loadSources(c)
			if err != nil {
				return err
			}
			res, diags := netpolc.Build(files, netpolc.Options{Compile: opts})
			if diags.HasErrors() || res.Program == nil {
				if res.Program == nil && !diags.HasErrors() {
					diags.Errorf(internalCode, source.Span{}, "compile returned no program and no error")
				}
				return e.printDiagnostics(files, diags)
			}
			plan, err := testplan.New(res.Program, opts.World, testplan.Options{})
			var out []byte
			if err == nil {
				run := testplan.RunOptions{Image: c.String("image"), Timeout: c.Int("timeout"), Externals: c.Bool("externals")}
				switch format {
				case planYAML:
					out, err = plan.YAML()
				case planJSON:
					out, err = plan.JSON()
				case planManifests:
					out, err = testplan.Manifests(res.Program, plan, run)
				case planScript:
					out, err = testplan.Script(res.Program, plan, run)
				}
			}
			if err != nil {
				var keyErr *testplan.LabelKeyError
				var worldErr *testplan.WorldError
				span, msg := source.Span{}, strings.TrimPrefix(err.Error(), "testplan: ")
				switch {
				case errors.As(err, &keyErr):
					span = keyErr.Span
				case errors.As(err, &worldErr):
					// The representative world is always valid: the
					// error is in the --world input.
					span, msg = source.Span{File: strings.Join(c.StringSlice("world"), ", ")}, worldErr.Msg
				}
				diags.Errorf("testplan", span, "%s", msg)
				return e.printDiagnostics(files, diags)
			}
			for _, w := range plan.Warnings {
				diags.Warnf("testplan", source.Span{}, "%s", w)
			}
			// Warnings go out first; then the output.
			if err := e.printDiagnostics(files, diags); err != nil {
				return err
			}
			if _, err := e.stdout.Write(out); err != nil {
				return &internalError{err: err}
			}
			return nil
		},
	}
}
