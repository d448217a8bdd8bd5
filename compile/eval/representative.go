package eval

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
)

// Addresses of the synthetic endpoints of a representative world.
var (
	reprPodBase   = netip.MustParseAddr("10.244.0.1")
	reprNodeBase  = netip.MustParseAddr("172.31.0.1")
	reprFQDNBase  = netip.MustParseAddr("198.51.100.1") // TEST-NET-2
	reprWorldIPv4 = netip.MustParseAddr("203.0.113.1")  // TEST-NET-3
	reprWorldIPv6 = netip.MustParseAddr("2001:db8::1")
)

// reprNamedPortBase is the first number given to named ports; numbers used
// numerically anywhere in the program are skipped.
const reprNamedPortBase = 40000

// RepresentativeWorld builds the smallest world that exercises p, plus
// endpoints for the extra peers (treated like expectation endpoints, with
// NamespacePolicy meaning the first governed namespace):
//   - a namespace per governed namespace, per namespace a policy, peer,
//     Service or expectation names, and per non-empty namespace label
//     selector a synthetic namespace carrying exactly its labels (named
//     "ns-" and the label values; a selector on kubernetes.io/metadata.name
//     names the namespace itself);
//   - a pod per distinct (namespace, pod selector) used by subjects, pod peers
//     and expectation endpoints, carrying exactly the selector's labels
//     (matchExpressions: In gives the first value, Exists the value "x",
//     NotIn and DoesNotExist add nothing), named after the expectation group
//     that uses it or else after its label values ("pod" when it has none);
//     selectors without a namespace of their own (cluster-wide policies) put
//     their pod in the first governed namespace (or "default");
//   - a node per node selector (subjects, peers), all remote;
//   - for CIDR, FQDN and world entity expectation endpoints, an external
//     endpoint: the first usable address of the CIDR outside its excepts, a
//     synthetic address resolving to the FQDN pattern with each "*" replaced
//     by "x" (bare "*": "example.com"), 203.0.113.1 or 2001:db8::1;
//   - every named port a rule or expectation uses becomes a container port of
//     the pods on the destination side (the subject of an ingress rule, the
//     pod peers of an egress rule, the destination of an expectation), with a
//     number from 40000 up, in name order, skipping numbers the program uses.
//
// The result is deterministic: the same program gives the same world.
func RepresentativeWorld(p *ir.Program, extra ...ir.Peer) *World {
	b := &reprBuilder{
		prog:    p,
		nsIdx:   map[string]int{},
		nsSel:   map[string]string{},
		podIdx:  map[string]int{},
		podName: map[string]string{},
		nodeIdx: map[string]bool{},
		extIdx:  map[string]bool{},
	}
	return b.build(extra)
}

type reprBuilder struct {
	prog *ir.Program
	w    World

	defaultNS string
	nsIdx     map[string]int    // namespace name -> index in w.Namespaces
	nsSel     map[string]string // namespace selector key -> namespace name
	podIdx    map[string]int    // pod key -> index in w.Pods
	podName   map[string]string // pod key -> group name (from expectations)
	nodeIdx   map[string]bool
	extIdx    map[string]bool
	fqdns     int
}

func (b *reprBuilder) build(extra []ir.Peer) *World {
	p := b.prog
	b.defaultNS = "default"
	if len(p.Governed) > 0 {
		b.defaultNS = p.Governed[0]
	}
	// Group names first, so that pods are named after them.
	for _, x := range p.Expectations {
		for _, ep := range []ir.Endpoint{x.From, x.To} {
			if ep.Group != "" && ep.Peer.Kind == ir.PeerPods {
				k := b.podKey(b.peerNamespace(&ep.Peer, b.exprNS(x)), ep.Peer.Pods)
				if _, ok := b.podName[k]; !ok {
					b.podName[k] = ep.Group
				}
			}
		}
	}
	for _, ns := range p.Governed {
		b.namespace(ns)
	}
	for _, pol := range p.Policies {
		if pol.Namespace != "" {
			b.namespace(pol.Namespace)
		}
	}
	for _, pol := range p.Policies {
		ctx := pol.Namespace
		if ctx == "" {
			ctx = b.defaultNS
		}
		switch {
		case pol.Subject.Nodes:
			b.node(pol.Subject.Pods)
		case pol.Namespace != "":
			b.pod(pol.Namespace, pol.Subject.Pods)
		default:
			ns := b.defaultNS
			if pol.Subject.Namespaces != nil {
				ns = b.labelNamespace(*pol.Subject.Namespaces, ns)
			}
			b.pod(ns, pol.Subject.Pods)
		}
		for _, r := range pol.Rules {
			for i := range r.Peers {
				b.peer(&r.Peers[i], ctx, false)
			}
		}
	}
	for _, x := range p.Expectations {
		ctx := b.exprNS(x)
		if x.Namespace != "" {
			b.namespace(x.Namespace)
		}
		b.peer(&x.From.Peer, ctx, true)
		b.peer(&x.To.Peer, ctx, true)
	}
	for i := range extra {
		b.peer(&extra[i], b.defaultNS, true)
	}
	if len(b.w.Namespaces) == 0 {
		b.namespace(b.defaultNS)
	}
	sort.Slice(b.w.Namespaces, func(i, j int) bool { return b.w.Namespaces[i].Name < b.w.Namespaces[j].Name })
	b.namedPorts()
	w := b.w
	return &w
}

// exprNS is the namespace NamespacePolicy peers of an expectation live in.
func (b *reprBuilder) exprNS(x *ir.Expectation) string {
	if x.Namespace != "" {
		return x.Namespace
	}
	return b.defaultNS
}

func (b *reprBuilder) namespace(name string) {
	if _, ok := b.nsIdx[name]; ok {
		return
	}
	b.nsIdx[name] = len(b.w.Namespaces)
	b.w.Namespaces = append(b.w.Namespaces, Namespace{Name: name, Labels: map[string]string{}})
}

// labelNamespace returns the namespace standing for a namespace selector
// (fallback for the empty selector, which matches every namespace).
func (b *reprBuilder) labelNamespace(sel ir.Selector, fallback string) string {
	sel = sel.Normalized()
	if sel.IsEmpty() {
		b.namespace(fallback)
		return fallback
	}
	key := sel.String()
	if name, ok := b.nsSel[key]; ok {
		return name
	}
	labels := labelsFor(sel)
	name, named := labels[NamespaceNameLabel]
	delete(labels, NamespaceNameLabel)
	if !named {
		name = b.uniqueNSName("ns-" + slug(labels, "labelled"))
	}
	b.nsSel[key] = name
	b.namespace(name)
	ns := &b.w.Namespaces[b.nsIdx[name]]
	for k, v := range labels {
		ns.Labels[k] = v
	}
	return name
}

func (b *reprBuilder) uniqueNSName(base string) string {
	name := base
	for i := 2; ; i++ {
		if _, ok := b.nsIdx[name]; !ok {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

// peerNamespace is the namespace of a pod peer's representative pod.
func (b *reprBuilder) peerNamespace(p *ir.Peer, ctx string) string {
	switch p.Namespace.Scope {
	case ir.NamespaceNamed:
		b.namespace(p.Namespace.Name)
		return p.Namespace.Name
	case ir.NamespaceLabels:
		return b.labelNamespace(p.Namespace.Labels, ctx)
	}
	b.namespace(ctx)
	return ctx
}

func (b *reprBuilder) podKey(ns string, sel ir.Selector) string {
	return ns + "|" + sel.Normalized().String()
}

func (b *reprBuilder) pod(ns string, sel ir.Selector) {
	b.namespace(ns)
	labels := labelsFor(sel.Normalized())
	// Pods are keyed by the labels they get: selectors giving the same
	// labels share a pod.
	key := ns + "|" + labelsKey(labels)
	if _, ok := b.podIdx[key]; ok {
		return
	}
	base, ok := b.podName[b.podKey(ns, sel)]
	if !ok {
		base = slug(labels, "pod")
	}
	name := base
	for i := 2; b.podExists(ns, name); i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	b.podIdx[key] = len(b.w.Pods)
	b.w.Pods = append(b.w.Pods, Pod{Namespace: ns, Name: name, Labels: labels, IP: addrPlus(reprPodBase, len(b.w.Pods))})
}

func (b *reprBuilder) podExists(ns, name string) bool {
	for _, p := range b.w.Pods {
		if p.Namespace == ns && p.Name == name {
			return true
		}
	}
	return false
}

func (b *reprBuilder) node(sel ir.Selector) {
	labels := labelsFor(sel.Normalized())
	key := labelsKey(labels)
	if b.nodeIdx[key] {
		return
	}
	b.nodeIdx[key] = true
	base := "node-" + slug(labels, "any")
	name := base
	for i := 2; b.nodeExists(name); i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	b.w.Nodes = append(b.w.Nodes, Node{Name: name, Labels: labels, IP: addrPlus(reprNodeBase, len(b.w.Nodes))})
}

func (b *reprBuilder) nodeExists(name string) bool {
	for _, n := range b.w.Nodes {
		if n.Name == name {
			return true
		}
	}
	return false
}

// peer adds what represents p; externals only for expectation endpoints.
func (b *reprBuilder) peer(p *ir.Peer, ctx string, endpoint bool) {
	switch p.Kind {
	case ir.PeerPods:
		b.pod(b.peerNamespace(p, ctx), p.Pods)
	case ir.PeerService:
		if p.Service.Namespace != "" {
			b.namespace(p.Service.Namespace)
		}
	case ir.PeerNodes:
		b.node(p.Pods)
	case ir.PeerCIDR:
		if endpoint {
			if ip, ok := firstUsable(p.CIDR, p.Except); ok {
				b.external(ip, nil)
			}
		}
	case ir.PeerFQDN:
		if endpoint {
			name := p.FQDN.Example()
			if !b.extIdx["name|"+name] {
				b.extIdx["name|"+name] = true
				b.external(addrPlus(reprFQDNBase, b.fqdns), []string{name})
				b.fqdns++
			}
		}
	case ir.PeerEntity:
		if endpoint {
			switch p.Entity {
			case ir.EntityWorld, ir.EntityWorldIPv4, ir.EntityAll:
				b.external(reprWorldIPv4, nil)
			case ir.EntityWorldIPv6:
				b.external(reprWorldIPv6, nil)
			}
		}
	case ir.PeerAny:
		if endpoint {
			b.external(reprWorldIPv4, nil)
		}
	}
}

func (b *reprBuilder) external(ip netip.Addr, names []string) {
	key := ip.String() + "|" + strings.Join(names, ",")
	if b.extIdx[key] {
		return
	}
	b.extIdx[key] = true
	b.w.Externals = append(b.w.Externals, External{IP: ip, Names: names})
}

// namedPorts gives every named port a container port on the pods of its
// destination side.
func (b *reprBuilder) namedPorts() {
	type use struct {
		proto ir.Protocol
		pods  []*Pod
	}
	uses := map[string]*use{}
	var names []string
	add := func(port ir.Port, pods []Endpoint) {
		if port.Name == "" {
			return
		}
		u := uses[port.Name]
		if u == nil {
			proto := port.Protocol
			if proto == ir.ProtoAny || proto == "" {
				proto = ir.TCP
			}
			u = &use{proto: proto}
			uses[port.Name] = u
			names = append(names, port.Name)
		}
		for _, ep := range pods {
			if ep.Kind == EndpointPod {
				u.pods = append(u.pods, ep.Pod)
			}
		}
	}
	e := New(b.prog, &b.w)
	used := map[uint16]bool{}
	for _, cp := range e.policies {
		for d, rules := range cp.byDir {
			for _, r := range rules {
				var dst []Endpoint
				if ir.Direction(d) == ir.Ingress {
					for _, ep := range e.eps {
						if e.selects(cp, ep) {
							dst = append(dst, ep)
						}
					}
				} else {
					for _, ep := range e.eps {
						if e.anyPeerMatches(r, ep, e.index(ep)) {
							dst = append(dst, ep)
						}
					}
				}
				for _, pr := range r.ports {
					for _, port := range pr.ports {
						markUsed(used, port)
						add(port, dst)
					}
				}
			}
		}
	}
	for _, x := range b.prog.Expectations {
		markUsed(used, x.Port)
		if x.Port.Name != "" {
			add(x.Port, e.Select(x.To.Peer, x.Namespace))
		}
	}
	sort.Strings(names)
	next := uint16(reprNamedPortBase)
	for _, name := range names {
		for used[next] || next == 0 {
			// Past 65535 (rules that use every port from the base up),
			// numbers wrap around to 1: never port 0.
			next++
		}
		u := uses[name]
		for _, p := range u.pods {
			if !hasPortName(p, name) {
				p.Ports = append(p.Ports, ContainerPort{Name: name, Port: next, Protocol: u.proto})
			}
		}
		next++
	}
	for i := range b.w.Pods {
		ports := b.w.Pods[i].Ports
		sort.Slice(ports, func(a, c int) bool { return ports[a].Name < ports[c].Name })
	}
}

func markUsed(used map[uint16]bool, p ir.Port) {
	if p.Name != "" || p.Port == 0 {
		return
	}
	end := p.EndPort
	if end < p.Port {
		end = p.Port
	}
	if p.Port <= reprNamedPortBase+1000 && end >= reprNamedPortBase {
		for n := max(p.Port, reprNamedPortBase); ; n++ {
			used[n] = true
			if n >= end || n == 65535 {
				break
			}
		}
	}
}

func hasPortName(p *Pod, name string) bool {
	for _, cp := range p.Ports {
		if cp.Name == name {
			return true
		}
	}
	return false
}

// labelsFor returns the labels a representative endpoint of sel carries.
func labelsFor(sel ir.Selector) map[string]string {
	l := map[string]string{}
	for _, x := range sel.MatchLabels {
		l[x.Key] = x.Value
	}
	notIn := map[string][]string{}
	for _, x := range sel.MatchExpressions {
		if x.Operator == ir.OpNotIn {
			notIn[x.Key] = append(notIn[x.Key], x.Values...)
		}
	}
	for _, x := range sel.MatchExpressions {
		if _, ok := l[x.Key]; ok {
			continue
		}
		switch x.Operator {
		case ir.OpIn:
			if len(x.Values) > 0 {
				l[x.Key] = x.Values[0]
			}
		case ir.OpExists:
			v := "x"
			for i := 2; contains(notIn[x.Key], v); i++ {
				v = fmt.Sprintf("x%d", i)
			}
			l[x.Key] = v
		}
	}
	return l
}

func contains(xs []string, v string) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}

func labelsKey(l map[string]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(l) {
		b.WriteString(k + "=" + l[k] + ",")
	}
	return b.String()
}

// slug joins the label values (in key order) into a DNS-label-like name.
func slug(l map[string]string, empty string) string {
	var parts []string
	for _, k := range sortedKeys(l) {
		v := l[k]
		if v == "" {
			v = k
		}
		parts = append(parts, v)
	}
	s := strings.ToLower(strings.Join(parts, "-"))
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '-'
	}, s)
	s = strings.Trim(s, "-.")
	if s == "" {
		return empty
	}
	return s
}

func addrPlus(a netip.Addr, n int) netip.Addr {
	for ; n > 0; n-- {
		a = a.Next()
	}
	return a
}

// firstUsable returns the first usable address of cidr outside except: the
// address after the network address (the address itself for a /32, /128 or
// /31), skipping excepted blocks.
func firstUsable(cidr netip.Prefix, except []netip.Prefix) (netip.Addr, bool) {
	cidr = cidr.Masked()
	a := cidr.Addr()
	if cidr.Bits() < a.BitLen()-1 {
		a = a.Next()
	}
	for a.IsValid() && cidr.Contains(a) {
		moved := false
		for _, x := range except {
			if x.Contains(a) {
				a = lastAddr(x).Next()
				moved = true
				break
			}
		}
		if !moved {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
