package main

import (
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/analysis"
)

const graphHelp = `Graph draws the flows of a policy. Without --world it draws the intended
flows, from the rules: a node per group of pods (per namespace and
selector, named after the group), CIDR, DNS name or entity, an edge per
pair a rule allows (or denies), labelled with the ports; the flow of an
arrow, written on both ends, is one edge, and an edge written on one end
only is dashed and says so. With --world it draws the analysed
connectivity: a node per workload (as matrix groups them), an edge per
pair with allowed connections (both sides applied), labelled with them;
pairs that allow everything (mostly pods no policy selects) are left out
unless --all, and the title says how many.

Namespaces are clusters. Edges whose requests HTTP or DNS rules restrict
are bold and blue and marked L7 (HTTP, DNS), edges to DNS names purple and
marked FQDN, deny edges red.

--format dot (Graphviz), mermaid (a Mermaid flowchart, which GitHub
renders in Markdown) or svg: a picture drawn by netpolc itself, no Graphviz
needed (a simple layout: namespaces in layers, flows left to right). For a
denser layout, render the DOT with Graphviz: dot -Tsvg.

` + inputHelp + `

Examples:
   netpolc graph --format svg examples/zero-trust > zero-trust.svg
   netpolc graph --format mermaid examples/cilium-l7
   netpolc graph --world examples/zero-trust/world.yaml examples/zero-trust | dot -Tpng > flows.png
   kubectl get networkpolicies -A -o yaml | netpolc graph --format svg - > policies.svg`

func graphCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "graph",
		Usage:       "draw the intended flows, or the analysed connectivity over a world (DOT, Mermaid, SVG)",
		ArgsUsage:   "POLICY...",
		Description: graphHelp,
		Flags: append(analysisFlags(),
			&cli.StringFlag{Name: "format", Value: "dot", Usage: "dot, mermaid or svg"},
			&cli.BoolFlag{Name: "per-pod", Usage: "with --world: a node per pod instead of per workload"},
			&cli.BoolFlag{Name: "all", Usage: "with --world: also the edges of pairs that allow everything"},
		),
		Action: func(c *cli.Context) error {
			cmd := c.Command.Name
			paths, err := sourceArgs(c)
			if err != nil {
				return err
			}
			format := c.String("format")
			if err := checkChoice(cmd, "--format", format, "dot", "mermaid", "svg"); err != nil {
				return err
			}
			if !c.IsSet("world") {
				if err := onlyWith(c, cmd, "--world", "per-pod", "all"); err != nil {
					return err
				}
			}
			in, err := e.readPolicy(c, paths)
			if err != nil {
				return err
			}
			var g *analysis.Graph
			if !c.IsSet("world") {
				g = analysis.IntendedGraph(in.prog)
			} else {
				w, _, err := e.analysisWorld(c, slices.Contains(paths, compile.StdinName), in.prog)
				if err != nil {
					return err
				}
				g = analysis.AnalysedGraph(connectivity(in.prog, w, c.Bool("per-pod")), c.Bool("all"))
			}
			var out string
			switch format {
			case "dot":
				out = g.DOT()
			case "mermaid":
				out = g.Mermaid()
			case "svg":
				out = g.SVG()
			}
			return e.writeOut([]byte(out))
		},
	}
}
