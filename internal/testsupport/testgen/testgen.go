// Package testgen generates random netpolc programs, as source text, with
// random worlds (namespaces, pods, external addresses) and flows to sample,
// for the backends' differential tests: compile the program, emit it for a
// target, and compare the target's semantics (an independent evaluator of
// the emitted objects) with compile/eval's verdicts on the IR.
//
// Generators: New (L3/L4 programs every target expresses), NewCilium
// (Cilium-only constructs too) and NewOrdered (ordered blocks, "clusterwide
// priority N" with allow, deny and pass rules, plus deny and nonisolating
// rules; OrderedOptions.NetpolAPI restricts it to what the netpol-api target
// expresses). Everything is derived from a seed, so a case is reproduced by
// its seed, and Shrink reduces a failing case to a minimal one.
//
// It lives under internal/testsupport because its users are test code in
// several modules (the backends' differential tests, the Cilium engine
// tests, the real-API-server tests): the repository root's internal/ is
// importable from all of them and is not public API. It needs only
// compile/eval's World and the IR, never the syntax.
//
// The label universe is chosen so that the generated programs stay within
// what every backend expresses at L3/L4 and so that known deviations of the
// reference evaluators do not fire:
//   - pods always carry "app" and "tier", namespaces always carry "env":
//     NotIn and != are only generated on those keys (cyclonus treats NotIn on
//     a missing key as a mismatch, Kubernetes as a match);
//   - label values are never empty;
//   - pod IPs are in 10.244.0.0/16 and CIDR peers are drawn from
//     documentation and public ranges (plus 0.0.0.0/0 except 10.0.0.0/8), so
//     that a CIDR never contains a pod address except through world.
package testgen

import (
	"fmt"
	"hash/fnv"
	"math/rand"
	"net/netip"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// Stmt is one source line of a generated program.
type Stmt struct {
	Text string
	// Header statements (namespace blocks, the first statement of a file)
	// are never dropped when shrinking.
	Header bool
}

// Program is a generated source, one statement per line.
type Program struct {
	Stmts []Stmt
}

// Source renders the program; statement i is on line i+1.
func (p *Program) Source() string {
	var b strings.Builder
	for _, s := range p.Stmts {
		b.WriteString(s.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// DropLines removes the non-header statements on the given 1-based lines
// and reports whether any was removed.
func (p *Program) DropLines(lines []int) bool {
	drop := map[int]bool{}
	for _, l := range lines {
		if l >= 1 && l <= len(p.Stmts) && !p.Stmts[l-1].Header {
			drop[l-1] = true
		}
	}
	if len(drop) == 0 {
		return false
	}
	out := p.Stmts[:0:0]
	for i, s := range p.Stmts {
		if !drop[i] {
			out = append(out, s)
		}
	}
	p.Stmts = out
	return true
}

// Case is one generated program with its world.
type Case struct {
	Seed    int64
	Program Program
	World   *eval.World
}

// Clone returns a deep copy of c (the world's slices are copied; pods and
// externals are values).
func (c *Case) Clone() *Case {
	w := &eval.World{
		Namespaces: append([]eval.Namespace(nil), c.World.Namespaces...),
		Pods:       append([]eval.Pod(nil), c.World.Pods...),
		Externals:  append([]eval.External(nil), c.World.Externals...),
	}
	return &Case{Seed: c.Seed, Program: Program{Stmts: append([]Stmt(nil), c.Program.Stmts...)}, World: w}
}

// Namespaces of the generated worlds. The first Governed of them are
// governed by the program; "ext" is referenced only; kube-system holds the
// DNS pods.
var namespaceNames = []string{"ns0", "ns1", "ns2"}

const (
	referencedNS = "ext"
	dnsNS        = "kube-system"
)

// New generates the case of seed.
func New(seed int64) *Case {
	g := newGen(seed)
	c := &Case{Seed: seed, World: g.world()}
	c.Program = g.program()
	return c
}

// newGen is the generator of seed with its governed namespaces drawn, the
// first draw of every case.
func newGen(seed int64) *gen {
	r := rand.New(rand.NewSource(seed))
	return &gen{r: r, governed: namespaceNames[:1+r.Intn(2)]}
}

type gen struct {
	r        *rand.Rand
	governed []string
	groups   []group
	// api restricts peers to what the netpol-api target expresses
	// (OrderedOptions.NetpolAPI); noNamed leaves named ports out of admin
	// rules (OrderedOptions.NoNamedPorts), admin is set while one is
	// generated. All false for New and NewCilium.
	api, noNamed, admin bool
}

type group struct {
	name  string
	ns    string // block it was declared in
	pods  bool   // only pod peers (named ports allowed)
	local bool   // only pods of governed namespaces (a governed end)
}

func (g *gen) pick(xs ...string) string { return xs[g.r.Intn(len(xs))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// --- world

var podPorts = []eval.ContainerPort{
	{Name: "http", Port: 8080, Protocol: ir.TCP},
	{Name: "http", Port: 8081, Protocol: ir.TCP},
	{Name: "metrics", Port: 9090, Protocol: ir.TCP},
	{Name: "dns", Port: 53, Protocol: ir.UDP},
	{Name: "sig", Port: 7000, Protocol: ir.SCTP},
	{Name: "alt", Port: 8050, Protocol: ir.UDP},
}

var externalAddrs = []string{
	"203.0.113.7", "203.0.113.200", "203.0.113.20", "198.51.100.9", "192.0.2.1", "8.8.8.8",
	"2001:db8::5", "2001:db8:1::9", "2606:4700::1",
}

// ClusterCIDRs are the cluster's own address ranges of the generators'
// worlds: every pod address (10.244.0.0/16) and the Service range
// (10.96.0.0/12, kube-adm's default); generated nodes have no address,
// and no external address lies in these ranges. Pass them to the
// netpol-api target (netpolapi.Options.ClusterCIDRs, --cluster-cidrs) so
// that its CIDR peers are written exactly as networks.
func ClusterCIDRs() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("10.96.0.0/12")}
}

func (g *gen) world() *eval.World {
	w := &eval.World{}
	all := append(append([]string{}, g.governed...), referencedNS)
	for _, ns := range all {
		labels := map[string]string{"env": g.pick("dev", "prod")}
		if g.chance(0.5) {
			labels["team"] = g.pick("red", "blue")
		}
		w.Namespaces = append(w.Namespaces, eval.Namespace{Name: ns, Labels: labels})
	}
	w.Namespaces = append(w.Namespaces, eval.Namespace{Name: dnsNS, Labels: map[string]string{"env": "prod"}})

	ip := 1
	for nsi, ns := range all {
		n := 2 + g.r.Intn(3)
		for i := 0; i < n; i++ {
			labels := map[string]string{"app": g.pick("a", "b", "c"), "tier": g.pick("x", "y")}
			if g.chance(0.5) {
				labels["opt"] = g.pick("1", "2")
			}
			var ports []eval.ContainerPort
			used := map[string]bool{}
			for _, p := range podPorts {
				if !used[p.Name] && g.chance(0.4) {
					used[p.Name] = true
					ports = append(ports, p)
				}
			}
			w.Pods = append(w.Pods, eval.Pod{
				Namespace: ns, Name: fmt.Sprintf("p%d", i), Labels: labels,
				IP:    netip.AddrFrom4([4]byte{10, 244, byte(nsi), byte(ip)}),
				Ports: ports,
			})
			ip++
		}
	}
	w.Pods = append(w.Pods, eval.Pod{
		Namespace: dnsNS, Name: "coredns", IP: netip.MustParseAddr("10.244.9.10"),
		Labels: map[string]string{"k8s-app": "kube-dns", "app": "dns", "tier": "x"},
		Ports:  []eval.ContainerPort{{Name: "dns", Port: 53, Protocol: ir.UDP}, {Name: "dns-tcp", Port: 53, Protocol: ir.TCP}},
	})
	for _, a := range externalAddrs {
		if g.chance(0.6) {
			w.Externals = append(w.Externals, eval.External{IP: netip.MustParseAddr(a)})
		}
	}
	return w
}

// --- program

// namespaceOpening opens the namespace block of ns: its header, at random
// a default deny, up to two groups and, at the chance isolate, an isolate
// statement.
func (g *gen) namespaceOpening(ns string, isolate float64) []Stmt {
	stmts := []Stmt{{Text: "namespace " + ns, Header: true}}
	if g.chance(0.3) {
		stmts = append(stmts, Stmt{Text: "default deny" + g.direction(0.5)})
	}
	for i, n := 0, g.r.Intn(3); i < n; i++ {
		name := fmt.Sprintf("g%d", len(g.groups))
		peers, pods, local := g.groupPeers(ns)
		g.groups = append(g.groups, group{name: name, ns: ns, pods: pods, local: local})
		stmts = append(stmts, Stmt{Text: name + " = " + peers})
	}
	if g.chance(isolate) {
		stmts = append(stmts, Stmt{Text: "isolate " + g.localSelector() + g.direction(0.6)})
	}
	return stmts
}

func (g *gen) program() Program {
	var p Program
	for _, ns := range g.governed {
		p.Stmts = append(p.Stmts, g.namespaceOpening(ns, 0.25)...)
		if g.chance(0.3) {
			if g.chance(0.5) {
				p.Stmts = append(p.Stmts, Stmt{Text: "allow dns"})
			} else {
				p.Stmts = append(p.Stmts, Stmt{Text: "allow dns for " + g.localSelector()})
			}
		}
		for i, n := 0, 1+g.r.Intn(6); i < n; i++ {
			p.Stmts = append(p.Stmts, Stmt{Text: g.rule(ns)})
		}
	}
	return p
}

func (g *gen) direction(p float64) string {
	if !g.chance(p) {
		return ""
	}
	return " " + g.pick("ingress", "egress")
}

// podSelector returns a selector over pod labels with 0-2 terms on distinct
// keys; NotIn and != only on keys every pod has.
func (g *gen) podSelector() string {
	keys := []string{"app", "tier", "opt"}
	g.r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	n := g.r.Intn(3)
	var terms []string
	for _, k := range keys[:n] {
		terms = append(terms, g.podTerm(k))
	}
	return "{" + strings.Join(terms, ", ") + "}"
}

func (g *gen) podTerm(k string) string {
	vals := map[string][]string{"app": {"a", "b", "c"}, "tier": {"x", "y"}, "opt": {"1", "2"}}[k]
	v := vals[g.r.Intn(len(vals))]
	switch g.r.Intn(6) {
	case 0, 1:
		return k + ": " + v
	case 2:
		return k + " in (" + v + ", " + vals[(g.r.Intn(len(vals)))] + ")"
	case 3:
		if k != "opt" {
			return k + " notin (" + v + ")"
		}
		return k
	case 4:
		if k != "opt" {
			return k + " != " + v
		}
		return "!" + k
	default:
		if k == "opt" {
			return g.pick("opt", "!opt")
		}
		return k + ": " + v
	}
}

func (g *gen) localSelector() string {
	s := g.podSelector()
	if s == "{}" && g.chance(0.5) {
		return "{app: " + g.pick("a", "b", "c") + "}"
	}
	return s
}

func (g *gen) nsSelector() string {
	return g.pick("{env: dev}", "{env: prod}", "{team}", "{!team}", "{env notin (dev)}", "{team in (red)}", "{}", "{env: prod, team: blue}")
}

func (g *gen) namespaceName() string {
	names := append(append([]string{}, g.governed...), referencedNS, referencedNS, dnsNS)
	return names[g.r.Intn(len(names))]
}

// podPeer returns a peer made of pods only.
func (g *gen) podPeer() string {
	switch g.r.Intn(8) {
	case 0, 1, 2:
		return g.localSelector()
	case 3:
		return g.namespaceName() + "/" + g.podSelector()
	case 4:
		return g.namespaceName() + "/{}"
	case 5:
		return "ns" + g.nsSelector() + "/" + g.podSelector()
	case 6:
		return "ns" + g.nsSelector()
	default:
		return "ns{}"
	}
}

var cidrs = []string{
	"203.0.113.0/24", "203.0.113.0/24 except [203.0.113.128/25, 203.0.113.16/28]",
	"203.0.113.7", "198.51.100.0/24", "8.8.8.8", "192.0.2.0/24 except 192.0.2.0/25",
	"2001:db8::/32 except 2001:db8:1::/48", "2001:db8::/32", "0.0.0.0/0 except [10.0.0.0/8]",
	"0.0.0.0/0 except [10.0.0.0/8, 203.0.113.0/24]", "::/0 except 2001:db8::/32",
}

// otherPeer returns a peer that is not pods (a CIDR only, under g.api).
func (g *gen) otherPeer() string {
	if g.api {
		return cidrs[g.r.Intn(len(cidrs))]
	}
	switch g.r.Intn(6) {
	case 0, 1, 2:
		return cidrs[g.r.Intn(len(cidrs))]
	case 3:
		return g.pick(ent(ir.EntityWorld), ent(ir.EntityWorldIPv4), ent(ir.EntityWorldIPv6))
	default:
		return "*"
	}
}

// groupPeers returns a union of 1-2 peers for a group, whether they are all
// pods, and whether they are all pods of governed namespaces.
func (g *gen) groupPeers(ns string) (string, bool, bool) {
	n := 1 + g.r.Intn(2)
	pods, local := true, true
	var peers []string
	for i := 0; i < n; i++ {
		switch {
		case g.chance(0.15) && !g.api:
			peers = append(peers, cidrs[g.r.Intn(len(cidrs))])
			pods, local = false, false
		case g.chance(0.6):
			peers = append(peers, g.governedPeer())
		default:
			peers = append(peers, g.podPeer())
			local = false
		}
	}
	return strings.Join(peers, ", "), pods, local
}

// governedPeer returns pods of a governed namespace.
func (g *gen) governedPeer() string {
	if g.chance(0.7) {
		return g.localSelector()
	}
	return g.governed[g.r.Intn(len(g.governed))] + "/" + g.podSelector()
}

// localPeer returns a governed end: pods of a governed namespace, or a group
// of such pods.
func (g *gen) localPeer() string {
	var local []group
	for _, gr := range g.groups {
		if gr.local {
			local = append(local, gr)
		}
	}
	if len(local) > 0 && g.chance(0.4) {
		return local[g.r.Intn(len(local))].name
	}
	return g.governedPeer()
}

// peer returns a source or target and whether it is pods only.
func (g *gen) peer(ns string) (string, bool) {
	switch {
	case len(g.groups) > 0 && g.chance(0.3):
		gr := g.groups[g.r.Intn(len(g.groups))]
		return gr.name, gr.pods
	case g.chance(0.75):
		return g.podPeer(), true
	default:
		return g.otherPeer(), false
	}
}

func (g *gen) rule(ns string) string {
	var b strings.Builder
	// Every (source, target) pair needs a governed end, the one the
	// direction prefix names: all sources or all targets are governed.
	governedSource := g.chance(0.5)
	if g.chance(0.15) {
		if g.chance(0.5) {
			b.WriteString("ingress ")
			governedSource = false
		} else {
			b.WriteString("egress ")
			governedSource = true
		}
	}
	nsrc := 1
	if g.chance(0.2) {
		nsrc = 2
	}
	for i := 0; i < nsrc; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		s, pods := g.peer(ns)
		for g.api && !pods {
			s, pods = g.peer(ns) // the netpol-api target's ingress peers are pods
		}
		if governedSource {
			s = g.localPeer()
		}
		b.WriteString(s)
	}
	b.WriteString(" -> ")
	ntgt := 1
	if g.chance(0.2) {
		ntgt = 2
	}
	for i := 0; i < ntgt; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		t, pods := g.peer(ns)
		if !governedSource {
			t, pods = g.localPeer(), true
		}
		b.WriteString(t + ":" + g.ports(pods))
	}
	return b.String()
}

func (g *gen) ports(pods bool) string {
	pods = pods && !(g.admin && g.noNamed) // named ports only towards pods
	n := 1
	if g.chance(0.3) {
		n = 2 + g.r.Intn(2)
	}
	var items []string
	for i := 0; i < n; i++ {
		items = append(items, g.port(pods))
	}
	if n == 1 {
		return items[0]
	}
	return "[" + strings.Join(items, ", ") + "]"
}

func (g *gen) port(pods bool) string {
	proto := func() string {
		switch g.r.Intn(8) {
		case 0:
			return "/udp"
		case 1:
			return "/sctp"
		case 2:
			return "/any"
		case 3:
			return "/tcp"
		}
		return ""
	}
	switch g.r.Intn(10) {
	case 0, 1, 2, 3:
		return g.pick("53", "80", "443", "5432", "7000", "8080", "8081", "9090", "8050") + proto()
	case 4:
		return g.pick("8000-8100", "8080-8081", "7000-7010", "50-60", "9090-9090") + proto()
	case 5, 6:
		if pods {
			return g.pick("http", "metrics", "dns/udp", "sig/sctp", "alt/udp", "http/udp", "dns")
		}
		return g.pick("443", "53/udp")
	case 7:
		return g.pick("*/udp", "*/sctp", "*/tcp")
	case 8:
		return "*"
	default:
		return g.pick("53/udp", "53/tcp", "53/any")
	}
}

// --- flows

// Ports sampled by Flows, with the named container ports' numbers.
var flowPorts = []uint16{53, 80, 443, 5432, 7000, 7005, 8000, 8050, 8080, 8081, 8100, 9090, 9999, 55}

// Flows returns the flows to check for c's world: every ordered pair of
// pods (a pod with itself included), every pod to every external and back,
// each with a few ports and protocols sampled from the seed and the pair
// (so that a pair keeps its flows when Shrink removes other endpoints).
func (c *Case) Flows() []eval.Flow {
	w := c.World
	protos := []ir.Protocol{ir.TCP, ir.TCP, ir.UDP, ir.SCTP}
	var flows []eval.Flow
	add := func(from, to eval.Endpoint, n int) {
		h := fnv.New64a()
		h.Write([]byte(from.String() + "\x00" + to.String()))
		r := rand.New(rand.NewSource(c.Seed ^ int64(h.Sum64())))
		for i := 0; i < n; i++ {
			proto, port := protos[r.Intn(len(protos))], flowPorts[r.Intn(len(flowPorts))]
			if to.Kind == eval.EndpointPod && len(to.Pod.Ports) > 0 && r.Intn(2) == 0 {
				cp := to.Pod.Ports[r.Intn(len(to.Pod.Ports))]
				proto, port = cp.Protocol, cp.Port
			}
			flows = append(flows, eval.Flow{From: from, To: to, Protocol: proto, Port: port})
		}
	}
	for i := range w.Pods {
		for j := range w.Pods {
			add(eval.PodEndpoint(&w.Pods[i]), eval.PodEndpoint(&w.Pods[j]), 2)
		}
		for j := range w.Externals {
			add(eval.PodEndpoint(&w.Pods[i]), eval.ExternalEndpoint(&w.Externals[j]), 1)
			add(eval.ExternalEndpoint(&w.Externals[j]), eval.PodEndpoint(&w.Pods[i]), 1)
		}
	}
	return flows
}

// --- shrinking

// Shrink returns a smaller case for which fails still holds: it drops
// statements, pods and externals one at a time while the failure persists.
// fails must be deterministic.
func Shrink(c *Case, fails func(*Case) bool) *Case {
	cur := c.Clone()
	for changed := true; changed; {
		changed = false
		for i := len(cur.Program.Stmts) - 1; i >= 0; i-- {
			if cur.Program.Stmts[i].Header {
				continue
			}
			next := cur.Clone()
			next.Program.Stmts = append(next.Program.Stmts[:i:i], cur.Program.Stmts[i+1:]...)
			if fails(next) {
				cur, changed = next, true
			}
		}
		for i := len(cur.World.Pods) - 1; i >= 0; i-- {
			next := cur.Clone()
			next.World.Pods = append(next.World.Pods[:i:i], cur.World.Pods[i+1:]...)
			if fails(next) {
				cur, changed = next, true
			}
		}
		for i := len(cur.World.Externals) - 1; i >= 0; i-- {
			next := cur.Clone()
			next.World.Externals = append(next.World.Externals[:i:i], cur.World.Externals[i+1:]...)
			if fails(next) {
				cur, changed = next, true
			}
		}
	}
	return cur
}

// ContainerPortName returns the name of the container port of pod that
// listens on port/proto ("" if none); named ports resolve through it.
func ContainerPortName(pod *eval.Pod, proto ir.Protocol, port uint16) string {
	if proto == "" {
		proto = ir.TCP
	}
	var names []string
	for _, cp := range pod.Ports {
		p := cp.Protocol
		if p == "" {
			p = ir.TCP
		}
		if p == proto && cp.Port == port {
			names = append(names, cp.Name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// FromSource builds a case from a source text and a world (a regression
// case kept in testdata); seed drives the flow sampling.
func FromSource(seed int64, src string, w *eval.World) *Case {
	c := &Case{Seed: seed, World: w}
	for i, line := range strings.Split(strings.TrimRight(src, "\n"), "\n") {
		c.Program.Stmts = append(c.Program.Stmts, Stmt{Text: line, Header: i == 0 || strings.HasPrefix(line, "namespace ")})
	}
	return c
}

// ProgramCount is how many random programs a differential test checks:
// flagValue when the test's -netpolc.programs flag is set (> 0), else the
// positive integer in the environment variable env (for make fuzz), else
// short under go test -short (when short > 0), else def.
func ProgramCount(flagValue int, env string, def, short int) int {
	if flagValue > 0 {
		return flagValue
	}
	if v, err := strconv.Atoi(os.Getenv(env)); err == nil && v > 0 {
		return v
	}
	if short > 0 && testing.Short() {
		return short
	}
	return def
}

// Endpoints returns the endpoints of w's pods, externals and nodes, in that
// order and each in world order.
func Endpoints(w *eval.World) []eval.Endpoint {
	var eps []eval.Endpoint
	for i := range w.Pods {
		eps = append(eps, eval.PodEndpoint(&w.Pods[i]))
	}
	for i := range w.Externals {
		eps = append(eps, eval.ExternalEndpoint(&w.Externals[i]))
	}
	for i := range w.Nodes {
		eps = append(eps, eval.NodeEndpoint(&w.Nodes[i]))
	}
	return eps
}

// InterestingPorts returns, sorted, the ports worth probing for p over w:
// every port and range end the program names, every container port of the
// world's pods, each with its two neighbours, plus 1, 65535 and extra.
func InterestingPorts(p *ir.Program, w *eval.World, extra ...uint16) []uint16 {
	ports := map[uint16]bool{1: true, 65535: true}
	for _, v := range extra {
		ports[v] = true
	}
	mark := func(v uint16) {
		for _, d := range []int{-1, 0, 1} {
			if x := int(v) + d; x >= 1 && x <= 65535 {
				ports[uint16(x)] = true
			}
		}
	}
	for _, pol := range p.Policies {
		for _, r := range pol.Rules {
			for _, pr := range r.Ports {
				for _, port := range pr.Ports {
					if port.Port != 0 {
						mark(port.Port)
					}
					if port.EndPort != 0 {
						mark(port.EndPort)
					}
				}
			}
		}
	}
	for _, pod := range w.Pods {
		for _, cp := range pod.Ports {
			mark(cp.Port)
		}
	}
	out := make([]uint16, 0, len(ports))
	for v := range ports {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// RunSeeds calls check for the seeds first, first+1, ..., first+n-1 on
// GOMAXPROCS goroutines and returns the failures check reported (a
// non-empty string), at most max of them: once max failures are in, no
// further seed is handed out.
func RunSeeds(first int64, n, max int, check func(seed int64) (failure string)) []string {
	var mu sync.Mutex
	var failures []string
	seeds := make(chan int64)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range seeds {
				if f := check(seed); f != "" {
					mu.Lock()
					if len(failures) < max {
						failures = append(failures, f)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		mu.Lock()
		stop := len(failures) >= max
		mu.Unlock()
		if stop {
			break
		}
		seeds <- first + int64(i)
	}
	close(seeds)
	wg.Wait()
	return failures
}
