package backends

import (
	"net/netip"
	"slices"
)

// Excepts renders the except blocks of an IP block as both targets write
// them: masked, sorted by address then prefix length, without duplicates. It
// returns nil for no excepts, so that the field is omitted. except is not
// modified.
func Excepts(except []netip.Prefix) []string {
	masked := make([]netip.Prefix, len(except))
	for i, x := range except {
		masked[i] = x.Masked()
	}
	slices.SortFunc(masked, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	var out []string
	for _, x := range slices.Compact(masked) {
		out = append(out, x.String())
	}
	return out
}
