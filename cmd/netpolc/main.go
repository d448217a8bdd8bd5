// Command netpolc compiles netpolc policy sources into Kubernetes network
// policy manifests. All logic lives in the library packages; this command
// only maps flags to their options (see run).
package main

import (
	"os"
	"runtime/debug"
)

func main() { os.Exit(runWith(os.Args, os.Stdin, os.Stdout, os.Stderr, debug.SetMemoryLimit)) }
