package ir

import (
	"math/rand"
	"net/netip"
	"testing"
)

func TestCIDRTables(t *testing.T) {
	pp := func(s string, excepts ...string) *Peer {
		p := &Peer{Kind: PeerCIDR, CIDR: netip.MustParsePrefix(s)}
		for _, x := range excepts {
			p.Except = append(p.Except, netip.MustParsePrefix(x))
		}
		return p
	}
	for _, tc := range []struct {
		ip   string
		p    *Peer
		want bool
	}{
		{"10.1.2.3", pp("10.0.0.0/8"), true},
		{"10.1.2.3", pp("10.0.0.0/8", "10.1.0.0/16"), false},
		{"::ffff:10.1.2.3", pp("10.0.0.0/8"), true},
		{"11.0.0.1", pp("10.0.0.0/8"), false},
		{"2001:db8::1", pp("2001:db8::/32"), true},
		{"10.0.0.1", pp("::/0"), false},
	} {
		if got := tc.p.CIDRMatches(netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("%s in %s: %v, want %v", tc.ip, FormatPeer(*tc.p), got, tc.want)
		}
	}
	for _, tc := range []struct {
		q, p         *Peer
		covers, over bool
	}{
		{pp("10.0.0.0/8"), pp("10.1.0.0/16"), true, true},
		{pp("10.1.0.0/16"), pp("10.0.0.0/8"), false, true},
		{pp("10.0.0.0/8", "10.1.0.0/16"), pp("10.1.2.0/24"), false, false},
		{pp("10.0.0.0/8", "10.1.0.0/16"), pp("10.0.0.0/8", "10.1.0.0/16"), true, true},
		{pp("10.0.0.0/8", "10.1.2.0/24"), pp("10.1.0.0/16", "10.1.0.0/20", "10.1.2.0/23"), true, true},
		{pp("10.0.0.0/8"), pp("11.0.0.0/8"), false, false},
		{pp("0.0.0.0/0"), pp("::/0"), false, false},
	} {
		if got := tc.q.CIDRCovers(tc.p); got != tc.covers {
			t.Errorf("%s covers %s: %v, want %v", FormatPeer(*tc.q), FormatPeer(*tc.p), got, tc.covers)
		}
		if got := tc.q.CIDRMayOverlap(tc.p); got != tc.over {
			t.Errorf("%s overlaps %s: %v, want %v", FormatPeer(*tc.q), FormatPeer(*tc.p), got, tc.over)
		}
	}
}

// TestCIDRProperties checks CIDRCovers and CIDRMayOverlap for soundness
// against CIDRMatches over every address of a /24, and CIDRMatches against
// the definition, on random blocks.
func TestCIDRProperties(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	block := func() *Peer {
		bits := 24 + r.Intn(6)
		base := netip.AddrFrom4([4]byte{10, 0, 0, byte(r.Intn(256))})
		p := &Peer{Kind: PeerCIDR, CIDR: netip.PrefixFrom(base, bits).Masked()}
		for i := r.Intn(3); i > 0; i-- {
			xb := bits + 1 + r.Intn(32-bits)
			if xb > 32 {
				continue
			}
			x := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(int(p.CIDR.Addr().As4()[3]) + r.Intn(1<<(32-bits)))}), xb).Masked()
			if p.CIDR.Contains(x.Addr()) {
				p.Except = append(p.Except, x)
			}
		}
		return p
	}
	covers, disjoint := 0, 0
	for n := 0; n < 20000; n++ {
		q, p := block(), block()
		subset, shared := true, false
		for i := 0; i < 256; i++ {
			ip := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
			inP, inQ := p.CIDRMatches(ip), q.CIDRMatches(ip)
			want := p.CIDR.Contains(ip)
			for _, x := range p.Except {
				want = want && !x.Contains(ip)
			}
			if inP != want {
				t.Fatalf("CIDRMatches(%s) in %s = %v", ip, FormatPeer(*p), inP)
			}
			subset = subset && (!inP || inQ)
			shared = shared || (inP && inQ)
		}
		if q.CIDRCovers(p) {
			covers++
			if !subset {
				t.Fatalf("%s covers %s, but an address of the second is not in the first", FormatPeer(*q), FormatPeer(*p))
			}
		}
		if !q.CIDRMayOverlap(p) {
			disjoint++
			if shared {
				t.Fatalf("%s and %s said disjoint, but share an address", FormatPeer(*q), FormatPeer(*p))
			}
		}
	}
	if covers < 100 || disjoint < 100 {
		t.Fatalf("weak test: %d covers, %d disjoint of 20000", covers, disjoint)
	}
}
