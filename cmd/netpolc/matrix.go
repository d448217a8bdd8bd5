package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/analysis"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/compile/reach"
)

const matrixHelp = `Matrix prints who can reach whom under the policy: for every source and
destination, the connections allowed (both sides applied: the egress of the
source and the ingress of the destination), as protocols and port ranges
("TCP 80,443,8000-8080; UDP 53"), ICMP types, and the ports where HTTP or
DNS rules restrict requests ("L7 TCP 8080"); named ports are resolved on
each destination pod.

Rows and columns are the workloads of the world (the pods of a Deployment,
StatefulSet, ... grouped when they are allowed alike; a workload whose pods
differ is shown pod by pod, and the output says so), bare pods, external
addresses (the world's, plus one address for each CIDR, DNS name and world
entity the policy mentions, labelled with it), nodes, the kube-apiserver and
the local host. --per-pod shows every pod.

--focus NAME keeps the connections from and to one row (a workload
NS/KIND/NAME, a pod NS/POD or any row's name). --port P[/PROTO] reduces
every cell to one port: yes, L7 (allowed at L4, requests restricted) or -.

` + inputHelp + `

--format table (the default: rows are sources, columns destinations), list
(one line per pair that allows something: reads better when the matrix is
wide), csv (the table's cells) or json (docs/analysis.md has the schema).
The text forms start with lines beginning with "#": the world, how to read
the cells. The output is deterministic.

Examples:
   netpolc matrix examples/zero-trust
   netpolc matrix --world examples/zero-trust/world.yaml --format list examples/zero-trust
   netpolc matrix --world cluster.yaml --focus shop/Deployment/web policies/
   netpolc matrix --world cluster.yaml --port 5432 --format csv policies/ > matrix.csv
   kubectl get networkpolicies -A -o yaml | netpolc matrix --world cluster.yaml --format json -`

// Values of matrix --format.
const (
	formatTable = "table"
	formatList  = "list"
	formatCSV   = "csv"
	formatJSON  = "json"
)

func matrixCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "matrix",
		Usage:       "print the connections allowed between every pair of workloads",
		ArgsUsage:   "POLICY...",
		Description: matrixHelp,
		Flags: append(analysisFlags(),
			&cli.BoolFlag{Name: "per-pod", Usage: "one row and column per pod instead of per workload"},
			&cli.StringFlag{Name: "focus", Usage: "only the connections from and to `NAME` (NS/KIND/NAME, NS/POD, or a row's name)"},
			&cli.StringFlag{Name: "port", Usage: "reduce each cell to `P[/PROTO]`: allowed or not"},
			&cli.StringFlag{Name: "format", Value: formatTable, Usage: "table, list, csv or json"},
		),
		Action: func(c *cli.Context) error {
			cmd := c.Command.Name
			paths, err := sourceArgs(c)
			if err != nil {
				return err
			}
			format := c.String("format")
			if err := checkChoice(cmd, "--format", format, formatTable, formatList, formatCSV, formatJSON); err != nil {
				return err
			}
			var port *analysis.PortQuery
			if s := c.String("port"); s != "" {
				if port, err = parsePortQuery(s); err != nil {
					return &usageError{msg: err.Error(), command: cmd}
				}
			}
			in, err := e.readPolicy(c, paths)
			if err != nil {
				return err
			}
			w, worldNote, err := e.analysisWorld(c, slices.Contains(paths, compile.StdinName), in.prog)
			if err != nil {
				return err
			}
			conn := connectivity(in.prog, w, c.Bool("per-pod"))
			v := analysis.MatrixView{Conn: conn, World: worldNote, PerPod: c.Bool("per-pod"), Focus: -1, Port: port}
			if f := c.String("focus"); f != "" {
				i, ok := conn.Find(f)
				if !ok {
					return &usageError{msg: fmt.Sprintf("--focus: no row named %q%s", f, didYouMean(f, conn.Names())), command: cmd}
				}
				v.Focus = i
			}
			var err2 error
			switch format {
			case formatTable:
				err2 = v.WriteTable(e.stdout)
			case formatList:
				err2 = v.WriteList(e.stdout)
			case formatCSV:
				err2 = v.WriteCSV(e.stdout)
			case formatJSON:
				err2 = v.WriteJSON(e.stdout)
			}
			if err2 != nil {
				return &internalError{err: err2}
			}
			return nil
		},
	}
}

// connectivity analyses prog over w with an external for each external
// peer of prog, grouped into workloads unless perPod.
func connectivity(prog *ir.Program, w *eval.World, perPod bool) *analysis.Connectivity {
	w, labels := analysis.WithExternals(w, analysis.Peers(prog))
	an := reach.New(prog, w, reach.Options{})
	return analysis.Group(w, analysis.GroupOptions{PerPod: perPod, Labels: labels}, an)
}

// parsePortQuery reads P[/PROTO].
func parsePortQuery(s string) (*analysis.PortQuery, error) {
	p, proto, _ := strings.Cut(s, "/")
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 {
		return nil, fmt.Errorf("--port %q: want a port number 1-65535, optionally /tcp, /udp or /sctp", s)
	}
	q := &analysis.PortQuery{Port: uint16(n), Protocol: ir.TCP}
	if proto != "" {
		switch strings.ToUpper(proto) {
		case "TCP", "UDP", "SCTP":
			q.Protocol = ir.Protocol(strings.ToUpper(proto))
		default:
			return nil, fmt.Errorf("--port %q: unknown protocol %q (tcp, udp or sctp)", s, proto)
		}
	}
	return q, nil
}
