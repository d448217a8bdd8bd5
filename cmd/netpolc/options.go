package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/netpolapi"
)

// targetFlags are the target option flags of compile.
type targetFlags struct {
	degrade       map[backends.Feature]string // --degrade
	ciliumVersion string                      // --cilium-version
	apiVersion    string                      // --netpol-api-version
	clusterCIDRs  []netip.Prefix              // --cluster-cidrs
}

// clusterCIDRsFlag is --cluster-cidrs: the cluster's own address ranges,
// for the network-policy API target and importer.
func clusterCIDRsFlag() cli.Flag {
	return &cli.StringFlag{Name: "cluster-cidrs", Usage: "the cluster's own address ranges (pods, Services, nodes) as comma-separated `CIDRS`, e.g. 10.244.0.0/16,10.96.0.0/12,192.168.0.0/24: --target netpol-api writes CIDR peers as networks minus these ranges (exact), and reads networks against them"}
}

// parseClusterCIDRs reads --cluster-cidrs.
func parseClusterCIDRs(c *cli.Context) ([]netip.Prefix, error) {
	cidrs, err := netpolapi.ParseClusterCIDRs(c.String("cluster-cidrs"))
	if err != nil {
		return nil, &usageError{msg: "--cluster-cidrs: " + err.Error(), command: c.Command.Name}
	}
	if c.IsSet("cluster-cidrs") && len(cidrs) == 0 {
		return nil, &usageError{msg: "--cluster-cidrs: want at least one CIDR, e.g. 10.244.0.0/16", command: c.Command.Name}
	}
	return cidrs, nil
}

// targetOptions reads the target option flags of compile (--degrade,
// --cilium-version, --netpol-api-version) and checks their values against target. A value the
// target does not accept is a mistake in the command line, reported as a
// usage error (exit 2) before any input is read; the library checks the
// same options again (CheckCapabilities, cilium.New), for callers other
// than the CLI.
func targetOptions(c *cli.Context, target backends.Backend) (flags targetFlags, err error) {
	defer func() {
		if ue, ok := err.(*usageError); ok {
			ue.command = c.Command.Name // compile or convert
		}
	}()
	degrade, err := parseDegrade(c.StringSlice("degrade"))
	if err != nil {
		return targetFlags{}, err
	}
	if err := checkDegrade(target, degrade); err != nil {
		return targetFlags{}, err
	}
	version := c.String("cilium-version")
	if err := checkCiliumVersion(version, c.IsSet("cilium-version")); err != nil {
		return targetFlags{}, err
	}
	apiVersion := c.String("netpol-api-version")
	if err := checkAPIVersion(apiVersion, c.IsSet("netpol-api-version")); err != nil {
		return targetFlags{}, err
	}
	cidrs, err := parseClusterCIDRs(c)
	if err != nil {
		return targetFlags{}, err
	}
	return targetFlags{degrade: degrade, ciliumVersion: version, apiVersion: apiVersion, clusterCIDRs: cidrs}, nil
}

// parseDegrade parses the --degrade FEATURE=MODE values; checkDegrade then
// checks them against the target.
func parseDegrade(values []string) (map[backends.Feature]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	out := map[backends.Feature]string{}
	for _, v := range values {
		feature, mode, ok := strings.Cut(v, "=")
		feature, mode = strings.TrimSpace(feature), strings.TrimSpace(mode)
		if !ok || feature == "" || mode == "" {
			return nil, &usageError{msg: fmt.Sprintf("--degrade %q: want FEATURE=MODE, e.g. l7=l4", v), command: "compile"}
		}
		if prev, dup := out[backends.Feature(feature)]; dup && prev != mode {
			return nil, &usageError{msg: fmt.Sprintf("--degrade %s given twice (%s and %s)", feature, prev, mode), command: "compile"}
		}
		out[backends.Feature(feature)] = mode
	}
	return out, nil
}

// checkDegrade reports the first degradation (in feature order) that target
// does not offer, naming what it offers and the nearest offer to what was
// written.
func checkDegrade(target backends.Backend, degrade map[backends.Feature]string) error {
	if len(degrade) == 0 {
		return nil
	}
	var offered []string
	if d, ok := target.(backends.Degrader); ok {
		for _, deg := range d.Degradations() {
			offered = append(offered, string(deg.Feature)+"="+deg.Mode)
		}
	}
	opts := backends.Options{Degrade: degrade}
	for _, f := range sortedDegrade(degrade) {
		if _, ok := backends.DegradationFor(target, opts, f); ok {
			continue
		}
		asked := string(f) + "=" + degrade[f]
		if len(offered) == 0 {
			return &usageError{msg: fmt.Sprintf("--degrade %s: target %s offers no degradations (see netpolc targets)", asked, target.Name()), command: "compile"}
		}
		return &usageError{msg: fmt.Sprintf("--degrade %s: target %s offers no such degradation%s; it offers %s",
			asked, target.Name(), didYouMean(asked, offered), strings.Join(offered, ", ")), command: "compile"}
	}
	return nil
}

func sortedDegrade(degrade map[backends.Feature]string) []backends.Feature {
	caps := backends.Capabilities{}
	for f := range degrade {
		caps[f] = backends.Capability{}
	}
	return sortedFeatures(caps)
}

// checkCiliumVersion checks the form of --cilium-version whatever the
// target: a malformed value is a mistake even where it is not used. An
// explicitly empty value is one too (left out, the flag has its default).
func checkCiliumVersion(version string, set bool) error {
	if version == "" && !set {
		return nil
	}
	if version == "" {
		return &usageError{msg: fmt.Sprintf("--cilium-version \"\": want MAJOR.MINOR, e.g. %s", cilium.DefaultVersion), command: "compile"}
	}
	if _, err := cilium.ParseVersion(version); err != nil {
		return &usageError{msg: fmt.Sprintf("--cilium-version %q: %v", version, err), command: "compile"}
	}
	return nil
}

// checkAPIVersion checks --netpol-api-version whatever the target, as
// checkCiliumVersion does.
func checkAPIVersion(version string, set bool) error {
	if version == "" && !set {
		return nil
	}
	for _, v := range netpolapi.Versions() {
		if version == v {
			return nil
		}
	}
	return &usageError{msg: fmt.Sprintf("--netpol-api-version %q: want one of %s%s", version, strings.Join(netpolapi.Versions(), ", "), didYouMean(version, netpolapi.Versions())), command: "compile"}
}
