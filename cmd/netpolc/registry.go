package main

import (
	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/netpolapi"
)

// newRegistry returns the targets netpolc compiles to, with their default
// options: what netpolc targets lists and what messages name. The backends
// are registered in one place, netpolc.NewTargets; there is no
// registration by init().
func newRegistry() (*backends.Registry, error) {
	return netpolc.NewTargets(netpolc.TargetOptions{})
}

// configuredRegistry returns the targets configured with the target flags
// of compile (--cilium-version, --netpol-api-version).
func configuredRegistry(flags targetFlags) (*backends.Registry, error) {
	return netpolc.NewTargets(netpolc.TargetOptions{
		Cilium:    cilium.Options{Version: flags.ciliumVersion},
		NetpolAPI: netpolapi.Options{Version: flags.apiVersion, ClusterCIDRs: flags.clusterCIDRs},
	})
}
