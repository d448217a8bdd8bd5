package ir

import "net/netip"

// This file decides membership, containment and overlap of the address
// blocks of CIDR peers (a CIDR minus its excepts): the evaluator, the lint
// and the Cilium backend's checks all use it.

// CIDRMatches reports whether ip is in the block of the CIDR peer p:
// inside p.CIDR and inside none of its excepts. An IPv4-mapped IPv6
// address counts as the IPv4 address.
func (p *Peer) CIDRMatches(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || !p.CIDR.Contains(ip) {
		return false
	}
	for _, x := range p.Except {
		if x.Contains(ip) {
			return false
		}
	}
	return true
}

// CIDRCovers reports whether every address of the block of the CIDR peer p
// is in the block of the CIDR peer q. It is sound: true only when that
// holds; it may answer false when q's excepts are covered by several of
// p's together.
func (q *Peer) CIDRCovers(p *Peer) bool {
	if q.CIDR.Addr().Is4() != p.CIDR.Addr().Is4() || q.CIDR.Bits() > p.CIDR.Bits() || !q.CIDR.Contains(p.CIDR.Addr()) {
		return false
	}
	for _, e := range q.Except {
		if !e.Overlaps(p.CIDR) {
			continue
		}
		if !prefixWithin(e, p.Except) {
			return false
		}
	}
	return true
}

// CIDRMayOverlap reports whether the blocks of the CIDR peers x and y may
// share an address. It is sound: false only when they surely do not (their
// CIDRs are disjoint, or one's CIDR lies inside an except of the other).
func (x *Peer) CIDRMayOverlap(y *Peer) bool {
	return x.CIDR.Overlaps(y.CIDR) && !prefixWithin(y.CIDR, x.Except) && !prefixWithin(x.CIDR, y.Except)
}

// prefixWithin reports whether p lies inside one of blocks.
func prefixWithin(p netip.Prefix, blocks []netip.Prefix) bool {
	for _, b := range blocks {
		if b.Bits() <= p.Bits() && b.Contains(p.Addr()) {
			return true
		}
	}
	return false
}
