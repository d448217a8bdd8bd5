package netpolapi

import (
	"math/big"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// bounds is the first and last address of p as integers.
func bounds(p netip.Prefix) (lo, hi *big.Int) {
	p = p.Masked()
	lo = new(big.Int).SetBytes(p.Addr().AsSlice())
	size := new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))
	hi = new(big.Int).Add(lo, size)
	hi.Sub(hi, big.NewInt(1))
	return lo, hi
}

// size is the number of addresses of p.
func size(p netip.Prefix) *big.Int {
	return new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))
}

// uncovered counts the addresses of cidr outside every except, by merging
// the excepts' intervals clipped to cidr: arithmetic on address ranges,
// independent of Complement's halving of prefixes.
func uncovered(cidr netip.Prefix, except []netip.Prefix) *big.Int {
	clo, chi := bounds(cidr)
	type iv struct{ lo, hi *big.Int }
	var ivs []iv
	for _, x := range except {
		if x.Addr().Is4() != cidr.Addr().Is4() {
			continue
		}
		lo, hi := bounds(x)
		if lo.Cmp(clo) < 0 {
			lo = clo
		}
		if hi.Cmp(chi) > 0 {
			hi = chi
		}
		if lo.Cmp(hi) <= 0 {
			ivs = append(ivs, iv{lo, hi})
		}
	}
	slices.SortFunc(ivs, func(a, b iv) int { return a.lo.Cmp(b.lo) })
	covered := new(big.Int)
	var cur *iv
	flush := func() {
		if cur != nil {
			n := new(big.Int).Sub(cur.hi, cur.lo)
			covered.Add(covered, n.Add(n, big.NewInt(1)))
		}
	}
	for i := range ivs {
		x := ivs[i]
		if cur != nil && x.lo.Cmp(new(big.Int).Add(cur.hi, big.NewInt(1))) <= 0 {
			if x.hi.Cmp(cur.hi) > 0 {
				cur.hi = x.hi
			}
			continue
		}
		flush()
		c := x
		cur = &c
	}
	flush()
	return new(big.Int).Sub(size(cidr), covered)
}

// randomPrefix is a random prefix of the family of base: inside base (of
// at least its length) when inside, anywhere otherwise.
func randomPrefix(r *rand.Rand, base netip.Prefix, inside bool) netip.Prefix {
	b := base.Masked().Addr().AsSlice()
	from := base.Bits()
	if !inside {
		from = 0
	}
	for bit := from; bit < len(b)*8; bit++ {
		if r.IntN(2) == 1 {
			b[bit/8] |= 0x80 >> (bit % 8)
		} else {
			b[bit/8] &^= 0x80 >> (bit % 8)
		}
	}
	a, _ := netip.AddrFromSlice(b)
	bits := from + r.IntN(a.BitLen()-from+1)
	return netip.PrefixFrom(a, bits).Masked()
}

// TestComplement: the prefixes Complement returns lie inside the CIDR, are
// disjoint from each other and from every except, number exactly the
// addresses of the CIDR outside the excepts (counted independently, by
// merging address intervals), and are the fewest (no two are the halves
// of one prefix). Random CIDRs of both families with random excepts,
// inside and outside.
func TestComplement(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 1))
	bases := []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.168.1.0/24"), netip.MustParsePrefix("::/0"),
		netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("2001:db8::/120"),
	}
	for i := 0; i < 3000; i++ {
		base := bases[r.IntN(len(bases))]
		cidr := randomPrefix(r, base, true)
		var except []netip.Prefix
		for n := r.IntN(6); n > 0; n-- {
			except = append(except, randomPrefix(r, cidr, r.IntN(5) > 0))
		}
		got := Complement(cidr, except)
		total := new(big.Int)
		for j, p := range got {
			if !p.IsValid() || p.Masked() != p {
				t.Fatalf("%v except %v: %v is not canonical", cidr, except, p)
			}
			if p.Bits() < cidr.Bits() || !cidr.Contains(p.Addr()) {
				t.Fatalf("%v except %v: %v is outside the CIDR", cidr, except, p)
			}
			for _, x := range except {
				if x.Overlaps(p) {
					t.Fatalf("%v except %v: %v overlaps the except %v", cidr, except, p, x)
				}
			}
			for _, q := range got[j+1:] {
				if p.Overlaps(q) {
					t.Fatalf("%v except %v: %v and %v overlap", cidr, except, p, q)
				}
				if p.Bits() == q.Bits() && p.Bits() > 0 {
					parent, _ := p.Addr().Prefix(p.Bits() - 1)
					if parent.Contains(q.Addr()) {
						t.Fatalf("%v except %v: %v and %v are the halves of %v", cidr, except, p, q, parent)
					}
				}
			}
			total.Add(total, size(p))
		}
		if want := uncovered(cidr, except); total.Cmp(want) != 0 {
			t.Fatalf("%v except %v: %v cover %v addresses, want %v", cidr, except, got, total, want)
		}
		if !slices.IsSortedFunc(got, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) }) {
			t.Fatalf("%v except %v: %v not sorted", cidr, except, got)
		}
	}
}

// TestComplementCases: hand-checked complements.
func TestComplementCases(t *testing.T) {
	for _, c := range []struct {
		cidr   string
		except []string
		want   []string
	}{
		{"10.0.0.0/8", nil, []string{"10.0.0.0/8"}},
		{"10.0.0.0/8", []string{"10.0.0.0/8"}, nil},
		{"10.0.0.0/8", []string{"0.0.0.0/0"}, nil},
		{"10.0.0.0/8", []string{"192.168.0.0/16", "fd00::/8"}, []string{"10.0.0.0/8"}},
		{"10.0.0.0/30", []string{"10.0.0.1/32"}, []string{"10.0.0.0/32", "10.0.0.2/31"}},
		{"10.0.0.0/8", []string{"10.1.0.0/16"}, []string{"10.0.0.0/16", "10.2.0.0/15", "10.4.0.0/14", "10.8.0.0/13", "10.16.0.0/12", "10.32.0.0/11", "10.64.0.0/10", "10.128.0.0/9"}},
		{"192.168.0.0/24", []string{"192.168.0.0/25", "192.168.0.128/26"}, []string{"192.168.0.192/26"}},
	} {
		var except []netip.Prefix
		for _, x := range c.except {
			except = append(except, netip.MustParsePrefix(x))
		}
		var got []string
		for _, p := range Complement(netip.MustParsePrefix(c.cidr), except) {
			got = append(got, p.String())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s except %v = %v, want %v", c.cidr, c.except, got, c.want)
		}
	}
	if n := len(Complement(netip.MustParsePrefix("0.0.0.0/0"), []netip.Prefix{netip.MustParsePrefix("169.254.169.254/32")})); n != 32 {
		t.Errorf("0.0.0.0/0 except one address: %d prefixes, want 32", n)
	}
}
