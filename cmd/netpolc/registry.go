package main

import (
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/k8s"
)

// newRegistry lists the targets netpolc compiles to. This is the one place
// backends are registered; there is no registration by init().
func newRegistry() (*backends.Registry, error) {
	return backends.NewRegistry(
		k8s.New(),
		cilium.New(),
	)
}
