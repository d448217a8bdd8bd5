package reach

import (
	"encoding/binary"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// engine decides classes against classes. See docs/analysis.md.
type engine struct {
	classes  []class
	classOf  []int32
	portSets [][]namedPort

	rules   []crule
	descs   []*desc
	descOf  [2][]int32 // per direction, per class: its side descriptor
	sides   []side     // interned side results
	sideIdx map[string]int32

	mu       sync.RWMutex
	pairs    map[uint64]int32 // (egress side, ingress side) -> index in conns
	conns    []Conns
	connsIdx map[string]int32

	table []atomic.Int32 // class x class -> conns index + 1 (0: not yet); nil when too large
	n     int            // number of classes
}

// crule is a rule compiled against the classes.
type crule struct {
	deny  bool
	peers bitset
	t     traffic
}

// desc is what the policies selecting a class say in one direction:
// whether they isolate it and their rules of that direction, in program
// order. Classes with the same descriptor decide alike against every peer
// (up to named ports resolved on the destination). The peer classes are
// partitioned by the set of the descriptor's rules they match.
type desc struct {
	isolated bool
	rules    []int32
	named    bool    // a rule has named ports
	group    []int32 // per peer class: its partition group
	reps     []int32 // per group: a representative peer class
	// side per group (named false), or per group and named-port set
	// (named true: index group*len(portSets)+ports).
	side []int32
}

// side is the decision of one side of a connection, per protocol index.
type side struct {
	allowed, l7 [3]PortSet
	icmp        [2]ICMPTypes
}

// tableLimit bounds the class-pair table (cells of 4 bytes).
const tableLimit = 1 << 22

func newEngine(prog *ir.Program, w *eval.World, eps []eval.Endpoint, par int) *engine {
	e := &engine{sideIdx: map[string]int32{}, pairs: map[uint64]int32{}, connsIdx: map[string]int32{}}
	e.classes, e.classOf, e.portSets = buildClasses(prog, w, eps)
	e.n = len(e.classes)
	m := newMatcher(e.classes, w)

	// Rules, and the policies selecting each class.
	type cpol struct {
		iso   [2]bool
		rules [2][]int32
		subj  bitset
	}
	pols := make([]cpol, len(prog.Policies))
	for pi, pol := range prog.Policies {
		cp := &pols[pi]
		cp.iso = [2]bool{pol.Isolation.Ingress, pol.Isolation.Egress}
		cp.subj = m.subject(pol)
		for _, r := range pol.Rules {
			cr := crule{deny: r.Action == ir.Deny, peers: newBitset(e.n), t: compileTraffic(r)}
			for i := range r.Peers {
				cr.peers.or(m.peer(&r.Peers[i], pol.Namespace))
			}
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
		pols[pi].subj.forEach(func(c int32) { polsOf[c] = append(polsOf[c], int32(pi)) })
	}
	descIdx := map[string]int32{}
	for d := 0; d < 2; d++ {
		e.descOf[d] = make([]int32, e.n)
		for c := 0; c < e.n; c++ {
			var key strings.Builder
			iso := false
			var rules []int32
			for _, pi := range polsOf[c] {
				iso = iso || pols[pi].iso[d]
				rules = append(rules, pols[pi].rules[d]...)
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
	for d, ds := range e.descs {
		_ = d
		e.partition(ds)
	}
	// Side results of every descriptor and group.
	for _, ds := range e.descs {
		e.sidesOf(ds)
	}
	if e.n*e.n <= tableLimit {
		e.table = make([]atomic.Int32, e.n*e.n)
		e.fill(par)
	}
	return e
}

// partition splits the peer classes by the rules of ds they match.
func (e *engine) partition(ds *desc) {
	ds.group = make([]int32, e.n)
	groups := 1
	next := make([]int32, 0, 2)
	for _, ri := range ds.rules {
		r := &e.rules[ri]
		ds.named = ds.named || len(r.t.named) > 0
		next = next[:0]
		for i := 0; i < 2*groups; i++ {
			next = append(next, -1)
		}
		n := int32(0)
		for c := range ds.group {
			k := 2 * ds.group[c]
			if r.peers.has(int32(c)) {
				k++
			}
			if next[k] < 0 {
				next[k] = n
				n++
			}
			ds.group[c] = next[k]
		}
		groups = int(n)
		if groups == 0 {
			groups = 1
		}
	}
	ds.reps = make([]int32, groups)
	for i := range ds.reps {
		ds.reps[i] = -1
	}
	for c := len(ds.group) - 1; c >= 0; c-- {
		ds.reps[ds.group[c]] = int32(c)
	}
}

// sidesOf decides every group of ds (and every named-port set when ds has
// named ports).
func (e *engine) sidesOf(ds *desc) {
	np := 1
	if ds.named {
		np = len(e.portSets)
	}
	ds.side = make([]int32, len(ds.reps)*np)
	for g, rep := range ds.reps {
		for p := 0; p < np; p++ {
			if rep < 0 {
				continue // no class (an empty world)
			}
			ds.side[g*np+p] = e.intern(e.decideSide(ds, rep, e.portSets[p]))
		}
	}
}

// decideSide decides the side of ds against peer class peer, with named
// ports resolved on a destination with the named ports dst.
func (e *engine) decideSide(ds *desc, peer int32, dst []namedPort) side {
	var allowOpen, allowL7, deny [3]PortSet
	var icmpAllow, icmpDeny [2]ICMPTypes
	for _, ri := range ds.rules {
		r := &e.rules[ri]
		if !r.peers.has(peer) {
			continue
		}
		open, l7 := r.t.open, r.t.l7
		if len(r.t.named) > 0 {
			open, l7 = r.t.resolve(dst)
		}
		for k := range open {
			if r.deny {
				deny[k] = union(deny[k], union(open[k], l7[k]))
			} else {
				allowOpen[k] = union(allowOpen[k], open[k])
				allowL7[k] = union(allowL7[k], l7[k])
			}
		}
		for f := range icmpAllow {
			if r.deny {
				icmpDeny[f] = orICMP(icmpDeny[f], r.t.icmp[f])
			} else {
				icmpAllow[f] = orICMP(icmpAllow[f], r.t.icmp[f])
			}
		}
	}
	var s side
	for k := range s.allowed {
		a := PortSet{allPorts}
		if ds.isolated {
			a = union(allowOpen[k], allowL7[k])
		}
		s.allowed[k] = a.Minus(deny[k])
		s.l7[k] = allowL7[k].Minus(allowOpen[k]).Intersect(s.allowed[k])
	}
	for f := range s.icmp {
		a := allICMP
		if ds.isolated {
			a = icmpAllow[f]
		}
		s.icmp[f] = a.minus(icmpDeny[f])
	}
	return s
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
	g := ds.group[peer]
	if !ds.named {
		return ds.side[g]
	}
	return ds.side[int(g)*len(e.portSets)+int(e.classes[dst].ports)]
}

// pair returns the index in e.conns of the connections from class ci to
// class cj.
func (e *engine) pair(ci, cj int32) int32 {
	if e.table != nil {
		if v := e.table[int(ci)*e.n+int(cj)].Load(); v > 0 {
			return v - 1
		}
	}
	eg := e.sideOf(1, ci, cj, cj)
	in := e.sideOf(0, cj, ci, cj)
	k := uint64(eg)<<32 | uint64(uint32(in))
	e.mu.RLock()
	id, ok := e.pairs[k]
	e.mu.RUnlock()
	if !ok {
		id = e.combine(k, eg, in)
	}
	if e.table != nil {
		e.table[int(ci)*e.n+int(cj)].Store(id + 1)
	}
	return id
}

// combine intersects an egress and an ingress side into connections and
// records them under key k.
func (e *engine) combine(k uint64, eg, in int32) int32 {
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
	if id, ok := e.pairs[k]; ok {
		return id
	}
	id, ok := e.connsIdx[string(key)]
	if !ok {
		id = int32(len(e.conns))
		e.connsIdx[string(key)] = id
		e.conns = append(e.conns, c)
	}
	e.pairs[k] = id
	return id
}

// fill computes the class-pair table on par goroutines, rows handed out in
// turn.
func (e *engine) fill(par int) {
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	var next atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ci := next.Add(1) - 1
				if int(ci) >= e.n {
					return
				}
				for cj := 0; cj < e.n; cj++ {
					e.pair(ci, int32(cj))
				}
			}
		}()
	}
	wg.Wait()
}

// get returns the connections of index id.
func (e *engine) get(id int32) Conns {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.conns[id]
}
