package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// version is the release, set at link time:
//
//	go build -ldflags "-X main.version=v0.1.0" ./cmd/netpolc
//
// Empty in development builds; versionString then asks the build info.
var version string

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "version",
		Usage:       "print the version of netpolc",
		Description: "Version prints netpolc's version and the Go toolchain that built it.\n\nExamples:\n   netpolc version",
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{msg: "version takes no arguments", command: "version"}
			}
			_, err := fmt.Fprintf(e.stdout, "netpolc %s (%s %s/%s)\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}

// versionString is the link-time version, else the module version (set by go
// install pkg@version), else the VCS revision the binary was built from, else
// "devel".
func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "-dirty"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return "devel-" + rev + modified
	}
	return "devel"
}
