package analysis

import (
	"net/netip"
	"sort"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// fqdnBase is the first address given to the externals that stand for DNS
// names the world does not resolve (TEST-NET-2, as eval's representative
// world; numbered from .101 so as not to meet its addresses).
var fqdnBase = netip.MustParseAddr("198.51.100.101")

// Peers returns the external peers the rules of prog mention: CIDRs, DNS
// names and the world entities, each once (by ir.PeerKey), in order of
// their keys.
func Peers(progs ...*ir.Program) []ir.Peer {
	seen := map[string]bool{}
	var out []ir.Peer
	for _, prog := range progs {
		if prog == nil {
			continue
		}
		for _, pol := range prog.Policies {
			for _, r := range pol.Rules {
				for _, p := range r.Peers {
					external := p.Kind == ir.PeerCIDR || p.Kind == ir.PeerFQDN
					if p.Kind == ir.PeerEntity {
						switch p.Entity {
						case ir.EntityWorld, ir.EntityWorldIPv4, ir.EntityWorldIPv6:
							external = true
						}
					}
					if k := ir.PeerKey(p); external && !seen[k] {
						seen[k] = true
						out = append(out, p)
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return ir.PeerKey(out[i]) < ir.PeerKey(out[j]) })
	return out
}

// WithExternals returns a copy of w with an external endpoint for each of
// peers that no external of w stands for yet: the first usable address of
// a CIDR outside its excepts, an address resolving to an example name of a
// DNS pattern, 203.0.113.1 or 2001:db8::1 for the world entities. Labels
// maps the index (in the result's Externals) of every external added to
// the peers it stands for, for display ("52.94.0.0/20").
func WithExternals(w *eval.World, peers []ir.Peer) (out *eval.World, labels map[int][]string) {
	cp := *w
	cp.Externals = append([]eval.External(nil), w.Externals...)
	labels = map[int][]string{}
	fqdns := 0
	for _, p := range peers {
		key := ir.PeerKey(p)
		if p.Kind == ir.PeerFQDN {
			key = ir.FormatFQDN(p.FQDN)
		}
		found := -1
		for i := range cp.Externals {
			if peerMatchesExternal(&p, &cp.Externals[i]) {
				found = i
				break
			}
		}
		if found >= 0 && found < len(w.Externals) {
			continue // the world's own external stands for p
		}
		if found < 0 {
			var x eval.External
			switch p.Kind {
			case ir.PeerFQDN:
				x = eval.External{IP: addrPlus(fqdnBase, fqdns), Names: []string{p.FQDN.Example()}}
				fqdns++
			default:
				// The representative world of this peer alone holds the
				// external that stands for it.
				r := eval.RepresentativeWorld(&ir.Program{}, p)
				if len(r.Externals) == 0 {
					continue // a CIDR whose excepts cover it
				}
				x = r.Externals[0]
			}
			for i := range cp.Externals {
				if cp.Externals[i].IP == x.IP {
					found = i // two peers, one address: share it
					break
				}
			}
			if found < 0 {
				found = len(cp.Externals)
				cp.Externals = append(cp.Externals, x)
			}
		}
		labels[found] = append(labels[found], key)
	}
	return &cp, labels
}

func peerMatchesExternal(p *ir.Peer, x *eval.External) bool {
	switch p.Kind {
	case ir.PeerCIDR:
		return p.CIDRMatches(x.IP)
	case ir.PeerFQDN:
		for _, n := range x.Names {
			if p.FQDN.Matches(n) {
				return true
			}
		}
	case ir.PeerEntity:
		switch p.Entity {
		case ir.EntityWorldIPv4:
			return x.IP.Is4()
		case ir.EntityWorldIPv6:
			return x.IP.Is6() && !x.IP.Is4In6()
		}
		return x.IP.IsValid()
	}
	return false
}

func addrPlus(a netip.Addr, n int) netip.Addr {
	for ; n > 0; n-- {
		a = a.Next()
	}
	return a
}
