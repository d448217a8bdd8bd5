package main

import "github.com/netpolc/netpolc/backends"

// newRegistry lists the targets netpolc compiles to. This is the one place
// backends are registered; there is no registration by init().
func newRegistry() (*backends.Registry, error) {
	return backends.NewRegistry(
	// k8s.New(), once backends/k8s lands.
	// cilium.New(), once backends/cilium lands.
	)
}
