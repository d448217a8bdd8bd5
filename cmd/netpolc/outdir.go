package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// signalCatcher catches SIGINT, SIGTERM and SIGHUP for the whole of a
// compile -o: the first one cancels ctx, so that the write stops cleanly
// before its commit point or completes after it, and the run then exits with
// the signal's code. Later signals are ignored (the write finishes its
// renames first).
type signalCatcher struct {
	ctx  context.Context
	stop func()

	mu  sync.Mutex
	sig os.Signal
}

func catchSignals() *signalCatcher {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	s := &signalCatcher{ctx: ctx}
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			s.mu.Lock()
			s.sig = sig
			s.mu.Unlock()
			cancel()
		case <-done:
		}
	}()
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel()
		})
	}
	return s
}

// caught returns the signal caught, or nil.
func (s *signalCatcher) caught() os.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sig
}

// interruptedError says that a signal stopped the run; the exit code is
// 128 plus the signal's number, as a shell reports a process it killed.
type interruptedError struct {
	sig os.Signal
	msg string
}

func (e *interruptedError) Error() string { return e.msg }

func (e *interruptedError) code() int {
	if n, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return exitInternal
}

// writeOutputDir writes objs into dir for compile -o and returns what to add
// to the diagnostics (files kept because they were edited, a completed
// interrupted write) and the error to exit with.
func (e *env) writeOutputDir(c *cli.Context, sigs *signalCatcher, dir string, objs []backends.Object, format string) (diag.List, error) {
	var warnings diag.List
	interrupted := func(what string) error {
		sig := sigs.caught()
		return &interruptedError{sig: sig, msg: fmt.Sprintf("interrupted by %s: %s", signalName(sig), what)}
	}
	if sigs.caught() != nil {
		return nil, interrupted(dir + " unchanged")
	}
	timeout := c.Duration("lock-timeout")
	opts := backends.DirOptions{
		Format:      format,
		KeepStale:   c.Bool("keep-stale"),
		LockTimeout: timeout,
		Waiting: func(lock string) {
			// In JSON mode standard error is one array of diagnostics:
			// no progress messages there.
			if e.diagnostics == diagText {
				fmt.Fprintf(e.stderr, "netpolc: %s: locked by another process (another netpolc writing there, or a reader holding %s); waiting up to %v\n", dir, lock, timeout)
			}
		},
	}
	res, err := backends.WriteDir(sigs.ctx, dir, objs, opts)
	if res != nil {
		if res.Recovered {
			warnings.Warnf("output-recovered", source.Span{File: filepath.Join(dir, backends.JournalFile)},
				"completed an earlier compile -o into %s that was interrupted after its commit point", dir)
		}
		for _, name := range res.Edited {
			d := warnings.Warnf("output-edited", source.Span{File: filepath.Join(dir, name)},
				"no longer produced, but kept: it changed since netpolc wrote it")
			d.Detail = "Delete it if it is not needed: kubectl apply -f " + dir + " still applies it."
		}
	}
	switch {
	case err != nil && sigs.caught() != nil && (res == nil || !res.Committed):
		if res != nil && res.Recovered {
			return warnings, interrupted(dir + " holds the output of the earlier interrupted run, completed, not this one's")
		}
		return warnings, interrupted(dir + " unchanged")
	case err != nil && errors.Is(err, backends.ErrDirLocked):
		return warnings, fmt.Errorf("%w (--lock-timeout %v)", err, timeout)
	case err != nil:
		return warnings, err
	case sigs.caught() != nil:
		return warnings, interrupted(dir + " holds the new output: the signal came after its commit point")
	}
	return warnings, nil
}

// signalName names a signal as people write it (SIGINT).
func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return fmt.Sprint(sig)
}
