package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/analysis"
	"github.com/netpolc/netpolc/compile/ir"
)

const explainHelp = `Explain decides one connection, from SRC to DST on PORT, under the policy,
and says why: the verdict of each side (the egress side of SRC, the ingress
side of DST) and overall, the policies that isolate each end, the rules
that allow or deny it with their file:line (for manifests also the object,
kind namespace/name), "no policy selects X" when an end is not isolated,
and for a port with HTTP rules the rules a request must match.

` + analysis.EndpointSyntax + `

DST:PORT[/PROTO] is the destination, a port (a number, or the name of a
container port of the destination pod) and a protocol (tcp, udp or sctp;
default tcp, or the named port's); DST:icmp/TYPE or DST:icmpv6/TYPE is an
ICMP message instead (TYPE a number or a name: icmp/8, icmp/EchoRequest).
IPv6 addresses go in brackets: [2001:db8::1]:443. --http "METHOD PATH" (with --header K:V and --host) adds
an HTTP request, which HTTP rules judge.

` + inputHelp + `

Without --world, the endpoints are those of a representative world of the
program: one pod per group, named after the group (netpolc explain says so).

--format text (the default) or json (docs/analysis.md has the schema).
The exit status is 0 whatever the verdict; with --expect allowed or
--expect denied it is 1 when the verdict differs, for CI.

Examples:
   netpolc explain production/web production/database:5432 examples/zero-trust
   netpolc explain --world examples/zero-trust/world.yaml production/web-0 8.8.8.8:443 examples/zero-trust
   netpolc explain --world world.yaml --format json shop/web-0 shop/db-0:postgres policies/
   netpolc explain --http "GET /api/public/x" ingress-nginx/nginx production/web:8080 examples/cilium-l7
   netpolc explain --expect denied production/database production/web:8080 examples/zero-trust`

func explainCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "explain",
		Usage:       "decide one connection and show the rules that decide it",
		ArgsUsage:   "SRC DST:PORT[/PROTO] POLICY...",
		Description: explainHelp,
		Flags: append(analysisFlags(),
			&cli.StringFlag{Name: "http", Usage: "an HTTP request on the connection: `\"METHOD PATH\"`"},
			&cli.StringSliceFlag{Name: "header", Usage: "a header of the --http request, `K:V` (repeatable)"},
			&cli.StringFlag{Name: "host", Usage: "the Host of the --http request"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text or json"},
			&cli.StringFlag{Name: "expect", Usage: "exit 1 unless the connection is `allowed` or denied, as given"},
		),
		Action: func(c *cli.Context) error {
			cmd := c.Command.Name
			args := c.Args().Slice()
			if len(args) < 3 {
				return &usageError{msg: "explain takes SRC DST:PORT[/PROTO] and the policy (files, a directory or -)", command: cmd}
			}
			for _, a := range args {
				if strings.HasPrefix(a, "-") && a != "-" {
					return &usageError{msg: fmt.Sprintf("flag %s must come before the arguments", a), command: cmd}
				}
			}
			format := c.String("format")
			if err := checkChoice(cmd, "--format", format, "text", "json"); err != nil {
				return err
			}
			expect := c.String("expect")
			if expect != "" {
				if err := checkChoice(cmd, "--expect", expect, "allowed", "denied"); err != nil {
					return err
				}
			}
			req, err := httpRequest(c)
			if err != nil {
				return &usageError{msg: err.Error(), command: cmd}
			}
			dst, port, proto, err := splitDestination(args[1])
			if err != nil {
				return &usageError{msg: err.Error(), command: cmd}
			}
			icmp, isICMP, err := analysis.ParseICMP(port)
			switch {
			case err != nil:
				return &usageError{msg: "DST: " + err.Error(), command: cmd}
			case isICMP && req != nil:
				return &usageError{msg: "an ICMP message carries no HTTP request", command: cmd}
			}
			in, err := e.readPolicy(c, args[2:])
			if err != nil {
				return err
			}
			w, worldNote, err := e.analysisWorld(c, slices.Contains(args[2:], compile.StdinName), in.prog)
			if err != nil {
				return err
			}
			from, err := analysis.ParseEndpoint(w, args[0])
			if err != nil {
				return &usageError{msg: "SRC: " + err.Error(), command: cmd}
			}
			to, err := analysis.ParseEndpoint(w, dst)
			if err != nil {
				return &usageError{msg: "DST: " + err.Error(), command: cmd}
			}
			q := analysis.Query{From: from, To: to, HTTP: req, ICMP: icmp}
			if icmp == nil {
				n, p, err := analysis.ResolvePort(to.Endpoint, port, proto)
				if err != nil {
					return &usageError{msg: "PORT: " + err.Error(), command: cmd}
				}
				q.Protocol, q.Port = p, n
				if fmt.Sprint(n) != port {
					q.PortName = port
				}
			}
			x := analysis.NewExplainer(in.prog, w, in.files).Explain(q)
			x.World = worldNote
			var out []byte
			if format == "json" {
				if out, err = x.JSON(); err != nil {
					return &internalError{err: err}
				}
			} else {
				out = []byte(x.Text())
			}
			if err := e.writeOut(out); err != nil {
				return err
			}
			if expect != "" && (expect == "allowed") != x.Allowed {
				return errGate
			}
			return nil
		},
	}
}

// splitDestination splits DST:PORT[/PROTO].
func splitDestination(s string) (dst, port string, proto ir.Protocol, err error) {
	i := strings.LastIndex(s, ":")
	if i < 0 || (strings.HasPrefix(s, "[") && !strings.Contains(s[:i], "]")) {
		return "", "", "", fmt.Errorf("destination %q: want DST:PORT[/PROTO], e.g. shop/db-0:5432/tcp", s)
	}
	dst, port = s[:i], s[i+1:]
	if dst == "" || port == "" {
		return "", "", "", fmt.Errorf("destination %q: want DST:PORT[/PROTO], e.g. shop/db-0:5432/tcp", s)
	}
	if strings.Count(dst, ":") > 0 && !strings.HasPrefix(dst, "[") {
		return "", "", "", fmt.Errorf("destination %q: write an IPv6 address in brackets, e.g. [2001:db8::1]:443", s)
	}
	if strings.HasPrefix(strings.ToLower(port), "icmp") {
		return dst, port, "", nil // an ICMP message: analysis.ParseICMP reads it
	}
	if p, pr, ok := strings.Cut(port, "/"); ok {
		port = p
		switch strings.ToUpper(pr) {
		case "TCP", "UDP", "SCTP":
			proto = ir.Protocol(strings.ToUpper(pr))
		default:
			return "", "", "", fmt.Errorf("destination %q: unknown protocol %q%s (tcp, udp or sctp)", s, pr, didYouMean(strings.ToLower(pr), []string{"tcp", "udp", "sctp"}))
		}
	}
	return dst, port, proto, nil
}

// httpRequest returns the request of --http, --header and --host, or nil.
func httpRequest(c *cli.Context) (*ir.HTTPRequest, error) {
	spec := c.String("http")
	if spec == "" {
		if c.IsSet("header") || c.IsSet("host") {
			return nil, fmt.Errorf("--header and --host need --http")
		}
		return nil, nil
	}
	method, path, ok := strings.Cut(strings.TrimSpace(spec), " ")
	path = strings.TrimSpace(path)
	if !ok || method == "" || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t") {
		return nil, fmt.Errorf("--http %q: want \"METHOD PATH\", e.g. \"GET /api/users\"", spec)
	}
	req := &ir.HTTPRequest{Method: strings.ToUpper(method), Path: path, Host: c.String("host")}
	for _, h := range c.StringSlice("header") {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--header %q: want K:V", h)
		}
		if req.Headers == nil {
			req.Headers = map[string]string{}
		}
		req.Headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return req, nil
}
