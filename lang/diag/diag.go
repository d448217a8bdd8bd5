// Package diag defines netpolc's diagnostics: positioned errors, warnings and
// notes with stable codes, collected by every pass, and the renderers that
// print them for people (text with the source line and a caret) and for
// tools (JSON).
package diag

import (
	"fmt"
	"sort"

	"github.com/netpolc/netpolc/lang/source"
)

// Severity says how bad a diagnostic is.
type Severity int

// Severities, most severe first.
const (
	Error Severity = iota
	Warning
	Info
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	default:
		return "info"
	}
}

// MarshalText makes severities readable in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Code is a stable, machine-readable diagnostic code such as "bad-port".
// Codes never change meaning once released; tools may match on them.
type Code string

// Diagnostic is one message about the input.
type Diagnostic struct {
	Severity   Severity    `json:"severity"`
	Code       Code        `json:"code"`
	Span       source.Span `json:"span"`
	Message    string      `json:"message"`              // lower-case, no final period
	Detail     string      `json:"detail,omitempty"`     // full sentences
	Notes      []Note      `json:"notes,omitempty"`      // related places
	Suggestion string      `json:"suggestion,omitempty"` // replacement text for Span, if any
}

// Note points at a second place related to a diagnostic, such as an earlier
// declaration.
type Note struct {
	Span    source.Span `json:"span"`
	Message string      `json:"message"`
}

// Error makes a Diagnostic usable as an error.
func (d Diagnostic) Error() string {
	return fmt.Sprintf("%s: %s[%s]: %s", Location(d.Span), d.Severity, d.Code, d.Message)
}

// List is an ordered collection of diagnostics. Passes append to a List and
// keep going after errors.
type List []Diagnostic

// Errorf appends an error.
func (l *List) Errorf(code Code, span source.Span, format string, args ...any) *Diagnostic {
	return l.add(Error, code, span, fmt.Sprintf(format, args...))
}

// Warnf appends a warning.
func (l *List) Warnf(code Code, span source.Span, format string, args ...any) *Diagnostic {
	return l.add(Warning, code, span, fmt.Sprintf(format, args...))
}

// Add appends d and returns a pointer to the stored copy so that callers can
// attach a detail, notes or a suggestion.
func (l *List) Add(d Diagnostic) *Diagnostic {
	*l = append(*l, d)
	return &(*l)[len(*l)-1]
}

func (l *List) add(sev Severity, code Code, span source.Span, msg string) *Diagnostic {
	return l.Add(Diagnostic{Severity: sev, Code: code, Span: span, Message: msg})
}

// Append appends every diagnostic of other.
func (l *List) Append(other List) { *l = append(*l, other...) }

// HasErrors reports whether l holds at least one error.
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns the number of errors in l.
func (l List) Errors() int {
	n := 0
	for _, d := range l {
		if d.Severity == Error {
			n++
		}
	}
	return n
}

// MaxPerRun is the number of diagnostics Normalize keeps; more would bury the
// first, most useful ones.
const MaxPerRun = 50

// Normalize returns l sorted by position (file, offset), then severity and
// code, with repeats of the same code and message on the same line removed
// (one error per cause, even when several passes report it), and capped at MaxPerRun entries (the last of which then says how
// many were dropped).
func (l List) Normalize() List {
	out := make(List, len(l))
	copy(out, l)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Span.File != b.Span.File {
			return a.Span.File < b.Span.File
		}
		if a.Span.Start.Offset != b.Span.Start.Offset {
			return a.Span.Start.Offset < b.Span.Start.Offset
		}
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Message < b.Message
	})
	type lineKey struct {
		file string
		line int
		code Code
		msg  string
	}
	seen := map[lineKey]bool{}
	kept := out[:0]
	for _, d := range out {
		k := lineKey{d.Span.File, d.Span.Start.Line, d.Code, d.Message}
		if seen[k] {
			continue
		}
		seen[k] = true
		kept = append(kept, d)
	}
	if len(kept) > MaxPerRun {
		dropped := len(kept) - MaxPerRun + 1
		kept = append(kept[:MaxPerRun-1], Diagnostic{
			Severity: Info, Code: "too-many-diagnostics",
			Message: fmt.Sprintf("%d more diagnostics not shown", dropped),
		})
	}
	return kept
}
