package reach

import (
	"encoding/binary"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	parallel "github.com/netpolc/netpolc/internal/par"
)

// engine decides classes against classes. See docs/analysis.md.
type engine struct {
	classes  []class
	classOf  []int32
	portSets [][]namedPort

	rules   []crule
	descs   []*desc
	descOf  [2][]int32   // per direction, per class: its side descriptor
	parts   []*partition // distinct partitions of the peer classes
	sides   []side       // interned side results
	sideIdx map[string]int32

	// Connections of an (egress side, ingress side) pair, interned:
	// combos is a dense table (egress*len(sides)+ingress -> index in
	// conns + 1, 0 while not computed) when the sides are few enough,
	// else pairs, a map under mu.
	mu       sync.RWMutex
	combos   []atomic.Int32
	pairs    map[uint64]int32
	conns    atomic.Pointer[[]*[connsChunk]Conns] // read without lock; appended under mu
	nconns   int32
	connsIdx map[string]int32

	n int // number of classes
}

// crule is a rule compiled against the classes.
type crule struct {
	action ir.Action
	// ordered marks a rule of a TierOrdered policy; passAllow an Allow rule
	// that still counts after a Pass (of a namespaced policy isolating the
	// rule's direction).
	ordered, passAllow bool
	peers              bitset
	t                  traffic
}

// desc is what the policies selecting a class say in one direction:
// whether they isolate it and their rules of that direction: the ordered
// rules in ir.OrderLess order, then the others in program order. Classes with the same descriptor decide alike against every peer
// (up to named ports resolved on the destination). The peer classes are
// partitioned by the set of the descriptor's rules they match.
type desc struct {
	isolated bool
	rules    []int32
	named    bool // a rule has named ports
	part     *partition
	// side per group (named false), or per group and named-port set
	// (named true: index group*len(portSets)+ports).
	side []int32
}

// partition groups the peer classes by the rules (of a descriptor) they
// match. Descriptors whose rules have the same peer sets share it.
type partition struct {
	small []uint8 // per peer class: its group, when there are at most 256
	large []int32 // otherwise
	reps  []int32 // per group: a representative peer class
}

func (p *partition) group(c int32) int32 {
	if p.small != nil {
		return int32(p.small[c])
	}
	return p.large[c]
}

// side is the decision of one side of a connection, per protocol index.
type side struct {
	allowed, l7 [3]PortSet
	icmp        [2]ICMPTypes
}

// combosLimit bounds the dense table of side pairs (cells of 4 bytes).
const combosLimit = 1 << 20

func newEngine(prog *ir.Program, w *eval.World, eps []eval.Endpoint, par int) *engine {
	e := &engine{sideIdx: map[string]int32{}, pairs: map[uint64]int32{}, connsIdx: map[string]int32{}}
	e.classes, e.classOf, e.portSets = buildClasses(prog, w, eps)
	e.n = len(e.classes)
	m := newMatcher(e.classes, w)

	// Rules, and the policies selecting each class.
	peerSetIdx := map[string]int32{}
	var peerSetID []int32 // per rule
	type cpol struct {
		iso   [2]bool
		rules [2][]int32
		subj  []int32
	}
	pols := make([]cpol, len(prog.Policies))
	type ruleSource struct {
		pol  *ir.Policy
		rule *ir.Rule
	}
	var sources []ruleSource // per rule: where it comes from (for OrderLess)
	for pi, pol := range prog.Policies {
		cp := &pols[pi]
		cp.iso = [2]bool{pol.Isolation.Ingress, pol.Isolation.Egress}
		cp.subj = m.subject(pol)
		for _, r := range pol.Rules {
			cr := crule{action: r.Action, t: compileTraffic(r), ordered: pol.Tier == ir.TierOrdered}
			cr.passAllow = !cr.ordered && r.Action == ir.Allow && pol.Namespace != "" && cp.iso[r.Direction]
			sources = append(sources, ruleSource{pol, r})
			var key strings.Builder
			for i := range r.Peers {
				s, id := m.peer(&r.Peers[i], pol.Namespace)
				switch {
				case len(r.Peers) == 1:
					cr.peers = s
				case i == 0:
					cr.peers = append(bitset(nil), s...)
				default:
					cr.peers.or(s)
				}
				key.WriteString(strconv.Itoa(int(id)))
				key.WriteByte(',')
			}
			if cr.peers == nil {
				cr.peers = newBitset(e.n)
			}
			k := key.String()
			id, ok := peerSetIdx[k]
			if !ok {
				id = int32(len(peerSetIdx))
				peerSetIdx[k] = id
			}
			peerSetID = append(peerSetID, id)
			d := 0
			if r.Direction == ir.Egress {
				d = 1
			}
			cp.rules[d] = append(cp.rules[d], int32(len(e.rules)))
			e.rules = append(e.rules, cr)
		}
	}
	// Each class's policy list, then its descriptor per direction.
	polsOf := make([][]int32, e.n)
	for pi := range pols {
		for _, c := range pols[pi].subj {
			polsOf[c] = append(polsOf[c], int32(pi))
		}
	}
	descIdx := map[string]int32{}
	for d := 0; d < 2; d++ {
		e.descOf[d] = make([]int32, e.n)
		for c := 0; c < e.n; c++ {
			var key strings.Builder
			iso := false
			var rules, ordered []int32
			for _, pi := range polsOf[c] {
				iso = iso || pols[pi].iso[d]
				for _, ri := range pols[pi].rules[d] {
					if e.rules[ri].ordered {
						ordered = append(ordered, ri)
					} else {
						rules = append(rules, ri)
					}
				}
			}
			if len(ordered) > 0 {
				slices.SortStableFunc(ordered, func(a, b int32) int {
					sa, sb := sources[a], sources[b]
					switch {
					case ir.OrderLess(sa.pol, sa.rule, sb.pol, sb.rule):
						return -1
					case ir.OrderLess(sb.pol, sb.rule, sa.pol, sa.rule):
						return 1
					}
					return 0
				})
				rules = append(ordered, rules...)
			}
			if iso {
				key.WriteByte('I')
			}
			for _, r := range rules {
				key.WriteString(strconv.Itoa(int(r)))
				key.WriteByte(',')
			}
			id, ok := descIdx[key.String()]
			if !ok {
				id = int32(len(e.descs))
				descIdx[key.String()] = id
				e.descs = append(e.descs, &desc{isolated: iso, rules: rules})
			}
			e.descOf[d][c] = id
		}
	}
	// Partitions: one per distinct list of rule peer sets, computed on
	// par goroutines.
	partIdx := map[string]int{}
	var owners []*desc // the first descriptor of each partition
	partOf := make([]int, len(e.descs))
	for i, ds := range e.descs {
		var key strings.Builder
		for _, ri := range ds.rules {
			ds.named = ds.named || len(e.rules[ri].t.named) > 0
			key.WriteString(strconv.Itoa(int(peerSetID[ri])))
			key.WriteByte(',')
		}
		k, ok := partIdx[key.String()]
		if !ok {
			k = len(owners)
			partIdx[key.String()] = k
			owners = append(owners, ds)
		}
		partOf[i] = k
	}
	e.parts = make([]*partition, len(owners))
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	parallel.ForEach(min(par, len(owners)/16), len(owners), func() func(int) {
		scratch := make([]uint64, e.n)
		return func(k int) { e.parts[k] = e.partition(owners[k], scratch) }
	})
	for i, ds := range e.descs {
		ds.part = e.parts[partOf[i]]
	}
	// Side results of every descriptor and group.
	for _, ds := range e.descs {
		e.sidesOf(ds)
	}
	if len(e.sides)*len(e.sides) <= combosLimit {
		e.combos = make([]atomic.Int32, len(e.sides)*len(e.sides))
	}
	return e
}

// partition groups the peer classes by the rules of ds they match: the
// classes each rule's peer set holds get the rule's bit in their
// signature (scratch, all zero on entry and on return), classes of equal
// signature one group. Group 0 is the classes no rule matches.
func (e *engine) partition(ds *desc, scratch []uint64) *partition {
	type sig struct {
		lo   uint64
		more string // bits of rules beyond the 64th
	}
	var touched []int32
	var more map[int32][]byte
	for x, ri := range ds.rules {
		e.rules[ri].peers.forEach(func(c int32) {
			if scratch[c] == 0 && (more == nil || more[c] == nil) {
				touched = append(touched, c)
			}
			if x < 64 {
				scratch[c] |= 1 << x
				return
			}
			if more == nil {
				more = map[int32][]byte{}
			}
			b := more[c]
			for len(b) <= (x-64)/8 {
				b = append(b, 0)
			}
			b[(x-64)/8] |= 1 << ((x - 64) % 8)
			more[c] = b
		})
	}
	ids := map[sig]int32{{}: 0}
	groups := make([]int32, len(touched))
	reps := []int32{-1}
	for t, c := range touched {
		k := sig{lo: scratch[c]}
		if more != nil {
			k.more = string(more[c])
		}
		scratch[c] = 0
		id, ok := ids[k]
		if !ok {
			id = int32(len(reps))
			ids[k] = id
			reps = append(reps, c)
		}
		groups[t] = id
	}
	p := &partition{}
	if len(reps) <= 256 {
		p.small = make([]uint8, e.n)
		for t, c := range touched {
			p.small[c] = uint8(groups[t])
		}
	} else {
		p.large = make([]int32, e.n)
		for t, c := range touched {
			p.large[c] = groups[t]
		}
	}
	// Group 0's representative: any class no rule matches.
	for c := 0; c < e.n && reps[0] < 0; c++ {
		if p.group(int32(c)) == 0 {
			reps[0] = int32(c)
		}
	}
	p.reps = reps
	return p
}

// sidesOf decides every group of ds (and every named-port set when ds has
// named ports).
func (e *engine) sidesOf(ds *desc) {
	np := 1
	if ds.named {
		np = len(e.portSets)
	}
	ds.side = make([]int32, len(ds.part.reps)*np)
	for g, rep := range ds.part.reps {
		for p := 0; p < np; p++ {
			if rep < 0 {
				continue // no class in the group (every class matches a rule)
			}
			ds.side[g*np+p] = e.intern(e.decideSide(ds, rep, e.portSets[p]))
		}
	}
}

// decideSide decides the side of ds against peer class peer, with named
// ports resolved on a destination with the named ports dst.
//
// Ordered rules first (see ir.TierOrdered): each takes, of the traffic it
// matches, what no earlier ordered rule took; an Allow admits it, a Deny
// refuses it, a Pass hands it to the isolation and the passAllow rules.
// The traffic no ordered rule took is decided by the other rules.
func (e *engine) decideSide(ds *desc, peer int32, dst []namedPort) side {
	var allowOpen, allowL7, deny, passOpen, passL7 [3]PortSet
	var icmpAllow, icmpDeny, icmpPassAllow [2]ICMPTypes
	// Ordered rules: what is left to decide, and what they admit or pass.
	rest := [3]PortSet{{allPorts}, {allPorts}, {allPorts}}
	restICMP := [2]ICMPTypes{allICMP, allICMP}
	var ordAllow, passed [3]PortSet
	var ordAllowICMP, passedICMP [2]ICMPTypes
	for _, ri := range ds.rules {
		r := &e.rules[ri]
		if !r.peers.has(peer) {
			continue
		}
		open, l7 := r.t.open, r.t.l7
		if len(r.t.named) > 0 {
			open, l7 = r.t.resolve(dst)
		}
		if r.ordered {
			for k := range open {
				took := union(open[k], l7[k]).Intersect(rest[k])
				rest[k] = rest[k].Minus(took)
				switch r.action {
				case ir.Allow:
					ordAllow[k] = union(ordAllow[k], took)
				case ir.Pass:
					passed[k] = union(passed[k], took)
				}
			}
			for f := range restICMP {
				took := andICMP(r.t.icmp[f], restICMP[f])
				restICMP[f] = restICMP[f].minus(took)
				switch r.action {
				case ir.Allow:
					ordAllowICMP[f] = orICMP(ordAllowICMP[f], took)
				case ir.Pass:
					passedICMP[f] = orICMP(passedICMP[f], took)
				}
			}
			continue
		}
		for k := range open {
			if r.action == ir.Deny {
				deny[k] = union(deny[k], union(open[k], l7[k]))
			} else {
				allowOpen[k] = union(allowOpen[k], open[k])
				allowL7[k] = union(allowL7[k], l7[k])
				if r.passAllow {
					passOpen[k] = union(passOpen[k], open[k])
					passL7[k] = union(passL7[k], l7[k])
				}
			}
		}
		for f := range icmpAllow {
			if r.action == ir.Deny {
				icmpDeny[f] = orICMP(icmpDeny[f], r.t.icmp[f])
			} else {
				icmpAllow[f] = orICMP(icmpAllow[f], r.t.icmp[f])
				if r.passAllow {
					icmpPassAllow[f] = orICMP(icmpPassAllow[f], r.t.icmp[f])
				}
			}
		}
	}
	var s side
	for k := range s.allowed {
		a, pa := PortSet{allPorts}, PortSet{allPorts}
		if ds.isolated {
			a, pa = union(allowOpen[k], allowL7[k]), union(passOpen[k], passL7[k])
		}
		def := a.Minus(deny[k]).Intersect(rest[k])
		pass := pa.Intersect(passed[k])
		s.allowed[k] = union(ordAllow[k], union(def, pass))
		s.l7[k] = union(allowL7[k].Minus(allowOpen[k]).Intersect(def), passL7[k].Minus(passOpen[k]).Intersect(pass))
	}
	for f := range s.icmp {
		a, pa := allICMP, allICMP
		if ds.isolated {
			a, pa = icmpAllow[f], icmpPassAllow[f]
		}
		def := andICMP(a.minus(icmpDeny[f]), restICMP[f])
		s.icmp[f] = orICMP(ordAllowICMP[f], orICMP(def, andICMP(pa, passedICMP[f])))
	}
	return s
}

func andICMP(a, b ICMPTypes) ICMPTypes {
	for i := range a {
		a[i] &= b[i]
	}
	return a
}

func orICMP(a, b ICMPTypes) ICMPTypes {
	for i := range a {
		a[i] |= b[i]
	}
	return a
}

// intern returns the index of s in e.sides.
func (e *engine) intern(s side) int32 {
	var b []byte
	for k := range s.allowed {
		b = appendPorts(b, s.allowed[k])
		b = appendPorts(b, s.l7[k])
	}
	for f := range s.icmp {
		for _, w := range s.icmp[f] {
			b = binary.LittleEndian.AppendUint64(b, w)
		}
	}
	if id, ok := e.sideIdx[string(b)]; ok {
		return id
	}
	id := int32(len(e.sides))
	e.sideIdx[string(b)] = id
	e.sides = append(e.sides, s)
	return id
}

func appendPorts(b []byte, s PortSet) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(len(s)))
	for _, r := range s {
		b = binary.LittleEndian.AppendUint16(b, r.First)
		b = binary.LittleEndian.AppendUint16(b, r.Last)
	}
	return b
}

// sideOf returns the side of subject class subj in direction d against peer
// class peer, named ports resolved on class dst.
func (e *engine) sideOf(d int, subj, peer, dst int32) int32 {
	ds := e.descs[e.descOf[d][subj]]
	g := ds.part.group(peer)
	if !ds.named {
		return ds.side[g]
	}
	return ds.side[int(g)*len(e.portSets)+int(e.classes[dst].ports)]
}

// pair returns the index in e.conns of the connections from class ci to
// class cj.
func (e *engine) pair(ci, cj int32) int32 {
	eg := e.sideOf(1, ci, cj, cj)
	in := e.sideOf(0, cj, ci, cj)
	if e.combos != nil {
		slot := &e.combos[int(eg)*len(e.sides)+int(in)]
		if v := slot.Load(); v > 0 {
			return v - 1
		}
		id := e.combine(eg, in)
		slot.Store(id + 1)
		return id
	}
	k := uint64(eg)<<32 | uint64(uint32(in))
	e.mu.RLock()
	id, ok := e.pairs[k]
	e.mu.RUnlock()
	if ok {
		return id
	}
	id = e.combine(eg, in)
	e.mu.Lock()
	e.pairs[k] = id
	e.mu.Unlock()
	return id
}

// combine intersects an egress and an ingress side into connections and
// returns their index in e.conns.
func (e *engine) combine(eg, in int32) int32 {
	a, b := &e.sides[eg], &e.sides[in]
	var c Conns
	var all, l7 [3]PortSet
	for p := range all {
		all[p] = a.allowed[p].Intersect(b.allowed[p])
		l7[p] = union(a.l7[p], b.l7[p]).Intersect(all[p])
	}
	c.TCP, c.UDP, c.SCTP = all[0], all[1], all[2]
	c.L7 = L7Ports{TCP: l7[0], UDP: l7[1], SCTP: l7[2]}
	for w := range c.ICMPv4 {
		c.ICMPv4[w] = a.icmp[0][w] & b.icmp[0][w]
		c.ICMPv6[w] = a.icmp[1][w] & b.icmp[1][w]
	}
	var key []byte
	for p := range all {
		key = appendPorts(key, all[p])
		key = appendPorts(key, l7[p])
	}
	for w := range c.ICMPv4 {
		key = binary.LittleEndian.AppendUint64(key, c.ICMPv4[w])
		key = binary.LittleEndian.AppendUint64(key, c.ICMPv6[w])
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	id, ok := e.connsIdx[string(key)]
	if !ok {
		id = e.nconns
		e.nconns++
		chunks := e.conns.Load()
		var cs []*[connsChunk]Conns
		if chunks != nil {
			cs = *chunks
		}
		if int(id/connsChunk) == len(cs) {
			// Publish a new list of chunks; readers holding the old list
			// only look up ids they were given, which it holds.
			cs = append(cs[:len(cs):len(cs)], new([connsChunk]Conns))
			e.conns.Store(&cs)
		}
		cs[id/connsChunk][id%connsChunk] = c
		e.connsIdx[string(key)] = id
	}
	return id
}

// connsChunk is the number of connection sets per chunk of e.conns.
const connsChunk = 256

// get returns the connections of index id, which pair returned (and so
// published: the slot or map that gave id was written after the chunk).
func (e *engine) get(id int32) Conns {
	return (*e.conns.Load())[id/connsChunk][id%connsChunk]
}
