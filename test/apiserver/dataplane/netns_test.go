package dataplane

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// Network namespaces are held by file descriptors only, never by `ip netns`
// bind mounts: a namespace lives while its descriptor, a socket created in
// it or a process inside it does, so everything the test creates disappears
// with the test process, even when it is killed (the agent, the only process
// inside one, gets SIGKILL when the test dies: see startAgent).

// newNetns creates a network namespace and returns a descriptor holding it.
func newNetns() (*os.File, error) {
	var ns *os.File
	err := onFreshThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
		}
		f, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			return err
		}
		ns = f
		return nil
	})
	return ns, err
}

// inNetns runs fn on an OS thread switched into the network namespace ns.
// Sockets fn creates belong to ns for good, wherever they are used later;
// processes fn starts begin in ns.
func inNetns(ns *os.File, fn func() error) error {
	return onFreshThread(func() error {
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("setns: %w", err)
		}
		return fn()
	})
}

// onFreshThread runs fn on a goroutine locked to its OS thread and restores
// the thread's network namespace afterwards. If the namespace cannot be
// restored, the goroutine exits still locked, which makes the Go runtime
// discard the thread rather than reuse it in the wrong namespace.
func onFreshThread(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			done <- err
			return // still locked: the thread is discarded
		}
		defer orig.Close()
		ferr := fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("restoring the thread's network namespace: %w", err)
			return // still locked: the thread is discarded
		}
		runtime.UnlockOSThread()
		done <- ferr
	}()
	return <-done
}

// writeSysctl sets a sysctl of the network namespace ns (/proc/sys/net is
// that of the thread that opens it).
func writeSysctl(ns *os.File, path, value string) error {
	return inNetns(ns, func() error {
		return os.WriteFile("/proc/sys/"+path, []byte(value), 0o644)
	})
}
