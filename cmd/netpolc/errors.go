package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Exit codes. exitCode is the only place that chooses one.
const (
	exitOK       = 0 // success (warnings do not fail)
	exitInput    = 1 // errors in the input, reported as diagnostics; a failed gate (explain --expect, diff --fail-on)
	exitUsage    = 2 // unknown command, flag or target; missing or unreadable arguments
	exitInternal = 3 // a bug (recovered panic, internal diagnostic) or an I/O failure
	// 128+N: compile -o stopped by signal N (see interruptedError).
)

// errInput says that the input had errors, already printed as diagnostics.
var errInput = errors.New("errors in the input")

// errGate says that a gate of the command failed (explain --expect, diff
// --fail-on): the output already says what happened; exit 1.
var errGate = errors.New("gate failed")

// errInternalReported says that the diagnostics printed include an internal
// error (code "internal"): a bug, not a mistake in the input.
var errInternalReported = errors.New("internal error reported as a diagnostic")

// usageError is a mistake in the command line.
type usageError struct {
	msg     string
	command string // the command whose help to suggest; "" for the app
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// internalError is a bug in netpolc: a recovered panic, or an error that no
// input should cause.
type internalError struct {
	err        error
	panicValue any
	stack      []byte
}

func (e *internalError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprint("panic: ", e.panicValue)
}

// exitCode maps the error a command returned to the process exit code.
func exitCode(err error) int {
	var (
		usage       *usageError
		exitCode    cli.ExitCoder
		interrupted *interruptedError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &interrupted):
		return interrupted.code()
	case errors.Is(err, errInput), errors.Is(err, errGate):
		return exitInput
	case errors.Is(err, errInternalReported):
		return exitInternal
	case errors.As(err, &usage):
		return exitUsage
	case errors.As(err, &exitCode):
		// Only urfave/cli's help command returns these ("No help topic for
		// 'x'"): a mistake in the command line.
		return exitUsage
	default:
		return exitInternal
	}
}

// internalCode is the diagnostic code of errors that no input should cause.
const internalCode diag.Code = "internal"

const bugReport = "This is a bug in netpolc. Please report it with the command line and the input that caused it."

// report prints err (unless it only says that diagnostics were printed) and
// returns its exit code. In JSON mode the error becomes one diagnostic
// without a position, so standard error stays one JSON array.
func (e *env) report(err error) int {
	code := exitCode(err)
	if err == nil || errors.Is(err, errInput) || errors.Is(err, errGate) || errors.Is(err, errInternalReported) || e.diagnostics != diagJSON {
		// Nothing to add to the diagnostics of the run: write them out.
		defer e.flushJSON()
	}
	if err == nil || errors.Is(err, errInput) || errors.Is(err, errGate) {
		return code
	}
	if errors.Is(err, errInternalReported) {
		if e.diagnostics == diagText {
			fmt.Fprintln(e.stderr, bugReport)
		}
		return code
	}
	var (
		msg      = err.Error()
		diagCode diag.Code
		detail   string
		internal *internalError
		usage    *usageError
	)
	switch {
	case errors.As(err, &internal):
		diagCode = internalCode
		if internal.stack != nil {
			detail = bugReport + "\n\n" + strings.TrimRight(string(internal.stack), "\n")
		} else {
			detail = bugReport
		}
	case errors.As(err, &usage):
		diagCode = "usage"
		help := "netpolc --help"
		if usage.command != "" {
			help = "netpolc " + usage.command + " --help"
		}
		detail = "Run '" + help + "' for usage."
	case code == exitUsage:
		diagCode = "usage"
	default:
		diagCode = "io"
	}
	if e.diagnostics == diagJSON {
		l := append(e.pendingJSON, diag.Diagnostic{Severity: diag.Error, Code: diagCode, Message: msg, Detail: detail})
		e.pendingJSON, e.jsonPending = nil, false
		diag.WriteJSON(e.stderr, l)
		return code
	}
	fmt.Fprintf(e.stderr, "netpolc: %s\n", msg)
	if detail != "" {
		fmt.Fprintln(e.stderr, detail)
	}
	return code
}

// flushJSON writes the diagnostics printDiagnostics kept in JSON mode, as
// one array, if printDiagnostics was called.
func (e *env) flushJSON() {
	if e.jsonPending {
		diag.WriteJSON(e.stderr, e.pendingJSON)
		e.pendingJSON, e.jsonPending = nil, false
	}
}

// printDiagnostics normalizes list and prints it on standard error in the
// chosen format, and returns errInput if it holds an error. In JSON mode it
// keeps the list instead: report writes it when the run ends, as one array
// together with the error that ended the run, if any (a failed -o write, say),
// and an empty array when there is nothing to say, so that tools can parse
// standard error unconditionally.
func (e *env) printDiagnostics(files []*source.File, list diag.List) error {
	list = list.Normalize()
	if e.diagnostics == diagJSON {
		e.pendingJSON = append(e.pendingJSON, list...)
		e.jsonPending = true
	} else if err := diag.WriteText(e.stderr, source.NewSet(files...), list, diag.TextOptions{Color: e.color}); err != nil {
		return err
	}
	for _, d := range list {
		if d.Severity == diag.Error && d.Code == internalCode {
			return errInternalReported
		}
	}
	if list.HasErrors() {
		return errInput
	}
	return nil
}
