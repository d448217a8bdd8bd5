// Package policylock serializes, across the two test processes realk8s.sh
// runs against one API server (integration and dataplane), the times when
// admin policies of the network-policy API exist in the server. They are
// cluster-scoped and the agent in its admin-policy mode enforces every one
// of them, so an AdminNetworkPolicy the integration tests create for a
// moment would act on the dataplane's pods; and the v1alpha1 baseline is a
// singleton named "default" that both packages create. realk8s.sh names a
// lock file in $NETPOLC_POLICY_API_LOCK; without it (one package run alone)
// Lock does nothing.
package policylock

import (
	"fmt"
	"os"
	"syscall"
)

// Env names the lock file.
const Env = "NETPOLC_POLICY_API_LOCK"

// Lock takes the lock (waiting for it) and returns its release.
func Lock() (func(), error) {
	path := os.Getenv(Env)
	if path == "" {
		return func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("policy API lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("policy API lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
