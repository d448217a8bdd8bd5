// Command writeshape writes a program of package shapes into a directory,
// one .netpol file per source, to measure the command on it:
//
//	go run ./internal/testsupport/shapes/writeshape -shape generated -n 100000 /tmp/100k
//	/usr/bin/time -v netpolc check /tmp/100k
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/netpolc/netpolc/internal/testsupport/shapes"
	"github.com/netpolc/netpolc/lang/source"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("writeshape", flag.ContinueOnError)
	shape := fs.String("shape", "generated", "the shape: hub, hub-all-ports, mesh, namespaces, chain or generated")
	n := fs.Int("n", 10000, "the size: clients (hub, hub-all-ports), groups (mesh), namespaces, groups (chain) or arrows (generated)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: writeshape [-shape SHAPE] [-n N] DIR")
		return 2
	}
	gen := map[string]func(int) []*source.File{
		"hub": shapes.Hub, "hub-all-ports": shapes.HubAllPorts, "mesh": shapes.Mesh, "namespaces": shapes.Namespaces,
		"chain": shapes.Chain, "generated": shapes.Generated,
	}[*shape]
	if gen == nil {
		fmt.Fprintf(os.Stderr, "writeshape: unknown shape %q\n", *shape)
		return 2
	}
	dir := fs.Arg(0)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, f := range gen(*n) {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Content, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}
