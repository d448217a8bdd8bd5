package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/lang/diag"
)

// env is what one run of the command sees of the outside world. Commands use
// it instead of the os package, so tests run the app in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
	registry       *backends.Registry
	// setMemoryLimit sets the soft memory limit of the process (nil in
	// tests: the test binary's is left alone).
	setMemoryLimit func(int64) int64

	// Set from the global flags before a command runs.
	diagnostics string // diagJSON or diagText
	color       bool

	// In JSON mode, the diagnostics printDiagnostics was given, written by
	// report when the run ends (see printDiagnostics); jsonPending is set
	// once printDiagnostics was called, even with nothing to say.
	pendingJSON diag.List
	jsonPending bool
}

// Values of --diagnostics and --color.
const (
	diagText    = "text"
	diagJSON    = "json"
	colorAuto   = "auto"
	colorAlways = "always"
	colorNever  = "never"
)

// run runs netpolc with args (args[0] is the program name) and returns the
// process exit code; see exitCode for their meaning. It never exits the
// process and recovers panics as internal errors.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	return runWith(args, stdin, stdout, stderr, nil)
}

// runWith is run; setMemoryLimit, when set (the command, not in-process
// tests), is how a command that reads a big world sets the process's soft
// memory limit (runtime/debug.SetMemoryLimit).
func runWith(args []string, stdin io.Reader, stdout, stderr io.Writer, setMemoryLimit func(int64) int64) (code int) {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, lookupEnv: os.LookupEnv, diagnostics: diagText, setMemoryLimit: setMemoryLimit}
	defer func() {
		if p := recover(); p != nil {
			code = e.report(&internalError{panicValue: p, stack: debug.Stack()})
		}
	}()
	reg, err := newRegistry()
	if err != nil {
		return e.report(&internalError{err: err})
	}
	e.registry = reg
	return e.report(newApp(e).Run(args))
}

const appHelp = `netpolc checks network policy written in the netpolc language and compiles
it to the manifests of a policy engine (Kubernetes NetworkPolicy, Cilium),
and shows who can reach whom, and why, under it or under existing
manifests (explain, matrix, diff, graph).

Diagnostics go to standard error, manifests and formatted source to standard
output. Exit codes: 0 ok, 1 errors in the input (and the gates of explain
--expect and diff --fail-on), 2 usage (unknown command,
flag or target, missing or unreadable arguments), 3 internal error or I/O
failure, 128+N compile -o stopped by signal N (130 for SIGINT).

Examples:
   netpolc check policies/
   netpolc fmt -w policies/
   netpolc compile --target k8s policies/ > manifests.yaml
   netpolc compile --target k8s -o manifests/ policies/
   netpolc --diagnostics json check policies/
   netpolc explain shop/web shop/db:5432 policies/
   netpolc matrix --world cluster.yaml policies/
   netpolc diff old/ policies/
   netpolc graph --format svg policies/ > flows.svg
   netpolc targets

See docs/language.md for the language.`

// newApp builds the command tree. Flags become options here and nowhere
// else; every action returns an error that exitCode classifies.
func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:                 "netpolc",
		Usage:                "a policy-as-code compiler for Kubernetes network policy",
		UsageText:            "netpolc [global options] command [command options] [arguments...]",
		Description:          appHelp,
		Reader:               e.stdin,
		Writer:               e.stdout,
		ErrWriter:            e.stderr,
		HideVersion:          true,
		EnableBashCompletion: false,
		// Run returns every error; run maps them to exit codes.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{
				Name:  "diagnostics",
				Value: diagText,
				Usage: "how to print diagnostics on standard error: text (for people) or json (one array, for tools)",
			},
			&cli.StringFlag{
				Name:  "color",
				Value: colorAuto,
				Usage: "colour diagnostics: auto (when standard error is a terminal and NO_COLOR is unset), always or never",
			},
		},
		Before: e.setGlobals,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("unknown command %q%s", c.Args().First(), didYouMean(c.Args().First(), commandNames(c.App)))
			}
			// The help, on standard error: this run failed.
			c.App.Writer = e.stderr
			defer func() { c.App.Writer = e.stdout }()
			cli.ShowAppHelp(c)
			return usagef("no command given")
		},
		Commands: []*cli.Command{
			checkCommand(e),
			fmtCommand(e),
			compileCommand(e),
			importCommand(e),
			convertCommand(e),
			lintCommand(e),
			testplanCommand(e),
			explainCommand(e),
			matrixCommand(e),
			diffCommand(e),
			graphCommand(e),
			targetsCommand(e),
			versionCommand(e),
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = onUsageError
	}
	return app
}

// setGlobals validates the global flags and records them in e.
func (e *env) setGlobals(c *cli.Context) error {
	switch d := c.String("diagnostics"); d {
	case diagText, diagJSON:
		e.diagnostics = d
	default:
		return usagef("--diagnostics must be %s or %s, not %q", diagText, diagJSON, d)
	}
	switch col := c.String("color"); col {
	case colorAlways:
		e.color = true
	case colorNever:
		e.color = false
	case colorAuto:
		_, noColor := e.lookupEnv("NO_COLOR")
		term, _ := e.lookupEnv("TERM")
		e.color = !noColor && term != "dumb" && isTerminal(e.stderr)
	default:
		return usagef("--color must be %s, %s or %s, not %q", colorAuto, colorAlways, colorNever, col)
	}
	return nil
}

// isTerminal reports whether w is a character device (a terminal). Pipes,
// files and buffers are not.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// onUsageError turns flag parsing errors into usage errors (exit 2).
func onUsageError(c *cli.Context, err error, isSubcommand bool) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var known []string
		for _, f := range c.Command.VisibleFlags() {
			for _, n := range f.Names() {
				known = append(known, strings.TrimLeft(n, "-"))
			}
		}
		dashes := "--"
		if len(name) == 1 {
			dashes = "-"
		}
		msg = fmt.Sprintf("unknown flag %s%s%s", dashes, name, didYouMean(name, known))
	}
	return &usageError{msg: msg, command: c.Command.Name}
}

func commandNames(app *cli.App) []string {
	var names []string
	for _, c := range app.Commands {
		names = append(names, c.Names()...)
	}
	return names
}

// sourceArgs returns the FILES|DIR|- arguments of a command. urfave/cli stops
// reading flags at the first argument, so a flag written after the files is
// a usage error rather than a file name.
func sourceArgs(c *cli.Context) ([]string, error) {
	args := c.Args().Slice()
	if len(args) == 0 {
		return nil, &usageError{msg: "no input: name .netpol files, directories, or - for standard input", command: c.Command.Name}
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") && a != "-" {
			return nil, &usageError{msg: fmt.Sprintf("flag %s must come before the files", a), command: c.Command.Name}
		}
	}
	return args, nil
}

// didYouMean returns ` (did you mean "x"?)` when one of known is at most
// len(name)/2 edits from name (the first of the nearest), or "".
func didYouMean(name string, known []string) string {
	best, ok := diag.Nearest(name, known, diag.Levenshtein, func(string) int { return len(name) / 2 })
	if !ok {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
