package testgen

import (
	"net/netip"
	"strings"
	"testing"
)

// TestClusterCIDRs: every pod of the generated worlds has an address in
// ClusterCIDRs and no external address does, and no CIDR the generators
// write overlaps them, so that the netpol-api target writes those CIDRs
// unchanged and exactly.
func TestClusterCIDRs(t *testing.T) {
	in := func(w string, a interface{ String() string }, want bool) {
		t.Helper()
		for _, r := range ClusterCIDRs() {
			if r.Contains(mustAddr(a.String())) {
				if !want {
					t.Errorf("%s %s lies in the cluster range %s", w, a, r)
				}
				return
			}
		}
		if want {
			t.Errorf("%s %s lies outside the cluster ranges", w, a)
		}
	}
	for seed := int64(1); seed <= 50; seed++ {
		for _, c := range []*Case{New(seed), NewOrdered(seed, OrderedOptions{NetpolAPI: true}), NewCilium(seed)} {
			for _, p := range c.World.Pods {
				in("pod", p.IP, true)
			}
			for _, x := range c.World.Externals {
				in("external", x.IP, false)
			}
		}
	}
	for _, s := range cidrs {
		p, except := cidrOf(s)
		for _, r := range ClusterCIDRs() {
			excepted := false
			for _, x := range except {
				excepted = excepted || (x.Bits() <= r.Bits() && x.Contains(r.Addr()))
			}
			if r.Overlaps(p) && !excepted {
				t.Errorf("generated CIDR %s overlaps the cluster range %s", s, r)
			}
		}
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// cidrOf reads a CIDR as the generators write it ("a.b.c.d" is a host,
// "X except Y" or "X except [Y, Z]").
func cidrOf(s string) (netip.Prefix, []netip.Prefix) {
	one := func(s string) netip.Prefix {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "/") {
			a := netip.MustParseAddr(s)
			return netip.PrefixFrom(a, a.BitLen())
		}
		return netip.MustParsePrefix(s)
	}
	base, except, _ := strings.Cut(s, " except ")
	var out []netip.Prefix
	for _, x := range strings.Split(strings.Trim(except, "[]"), ",") {
		if strings.TrimSpace(x) != "" {
			out = append(out, one(x))
		}
	}
	return one(base), out
}
