package netpolapi

import (
	"net/netip"
	"slices"
)

// Complement returns the prefixes that cover exactly the addresses of cidr
// outside every prefix of except: the fewest such prefixes, sorted by
// address. The policy API has no except, so a CIDR with excepts is written
// as these networks. cidr is masked; excepts of another family or outside
// cidr remove nothing.
func Complement(cidr netip.Prefix, except []netip.Prefix) []netip.Prefix {
	cidr = cidr.Masked()
	var cut []netip.Prefix
	for _, x := range except {
		x = x.Masked()
		if x.Addr().Is4() == cidr.Addr().Is4() && x.Overlaps(cidr) {
			cut = append(cut, x)
		}
	}
	var out []netip.Prefix
	var walk func(p netip.Prefix)
	walk = func(p netip.Prefix) {
		overlaps := false
		for _, x := range cut {
			if x.Bits() <= p.Bits() && x.Contains(p.Addr()) {
				return // p lies inside an except
			}
			if x.Overlaps(p) {
				overlaps = true
			}
		}
		if !overlaps {
			out = append(out, p)
			return
		}
		lo, hi := halves(p)
		walk(lo)
		walk(hi)
	}
	walk(cidr)
	slices.SortFunc(out, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	return out
}

// halves splits p (not a single address, since an except overlaps it
// without containing it) into its two halves.
func halves(p netip.Prefix) (netip.Prefix, netip.Prefix) {
	bits := p.Bits() + 1
	lo := netip.PrefixFrom(p.Addr(), bits)
	b := p.Addr().AsSlice()
	i := (bits - 1) / 8
	b[i] |= 0x80 >> ((bits - 1) % 8)
	a, _ := netip.AddrFromSlice(b)
	return lo, netip.PrefixFrom(a, bits)
}
