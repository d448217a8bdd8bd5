package testplan

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// Addresses of the endpoints a plan adds.
var (
	podRange  = netip.MustParsePrefix("10.244.0.0/16")
	worldIPv4 = netip.MustParseAddr("203.0.113.1") // TEST-NET-3
	worldIPv6 = netip.MustParseAddr("2001:db8::1")
)

// expectation adds the probes of one expect statement: every (source,
// destination) pair of the world's endpoints matching it, per protocol.
func (b *builder) expectation(x *ir.Expectation) {
	switch {
	case x.ICMP != nil:
		b.skip(x.Span, "ICMP expectation: the plan probes TCP, UDP and SCTP connections only")
		return
	case x.Port.Name == "" && x.Port.Port == 0:
		b.skip(x.Span, "expectation over every port: not probed port by port")
		return
	}
	if x.Request != nil {
		b.skip(x.Span, "HTTP request of the expectation: probed as a connection (L4) only")
	}
	froms := b.refs(b.base.Select(x.From.Peer, x.Namespace), x, "source")
	tos := b.refs(b.base.Select(x.To.Peer, x.Namespace), x, "destination")
	if len(froms) == 0 || len(tos) == 0 {
		b.skip(x.Span, "no pod or external address of the world matches the expectation's %s", map[bool]string{true: "source", false: "destination"}[len(froms) == 0])
		return
	}
	protos := []ir.Protocol{x.Port.Protocol}
	if x.Port.Protocol == ir.ProtoAny {
		protos = []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP}
	}
	for _, to := range tos {
		for _, proto := range protos {
			port := x.Port.Port
			if x.Port.Name != "" {
				cp, ok := namedPort(b.pod(to), x.Port.Name, proto)
				if !ok {
					continue
				}
				port, proto = cp.Port, flowProto(cp.Protocol)
			}
			for _, from := range froms {
				b.add(cand{from: from, to: to, proto: proto, port: port, reason: ReasonExpect, origin: x.Span})
			}
		}
	}
}

// refs keeps the pods and externals of eps, noting the others.
func (b *builder) refs(eps []eval.Endpoint, x *ir.Expectation, side string) []ref {
	var out []ref
	for _, ep := range eps {
		if r, ok := b.refOf(ep); ok {
			out = append(out, r)
			continue
		}
		b.skip(x.Span, "%s %s: only pods and external addresses are probed", side, ep)
	}
	return out
}

// subjects returns the indices of the world's pods pol selects, in world
// order.
func (b *builder) subjects(pol *ir.Policy) []int {
	var out []int
	for i := range b.w.Pods {
		p := &b.w.Pods[i]
		if b.added[i] != "" {
			continue
		}
		switch {
		case pol.Namespace != "":
			if p.Namespace != pol.Namespace {
				continue
			}
		case pol.Subject.Namespaces != nil:
			if !pol.Subject.Namespaces.Matches(b.nsLabels(p.Namespace)) {
				continue
			}
		}
		if pol.Subject.Pods.Matches(p.Labels) {
			out = append(out, i)
		}
	}
	return out
}

// policy adds the probes of every rule of pol, from the first pod it
// selects.
func (b *builder) policy(pol *ir.Policy) {
	if pol.Subject.Nodes {
		b.skip(pol.Span, "host policy (node subject): nodes are not probed")
		return
	}
	subjects := b.subjects(pol)
	if len(subjects) == 0 {
		b.skip(pol.Span, "no pod of the world is selected by %s", ir.FormatPolicySubject(pol))
		return
	}
	subj := ref{eval.EndpointPod, subjects[0]}
	for _, r := range pol.Rules {
		if len(r.ICMP) > 0 {
			b.skip(r.Span, "ICMP rule: the plan probes TCP, UDP and SCTP connections only")
			continue
		}
		for _, pr := range r.Ports {
			if len(pr.HTTP) > 0 {
				b.skip(pr.Span, "HTTP rules: probed as connections (L4) only")
			}
		}
		for i := range r.Peers {
			b.rulePeer(pol, r, &r.Peers[i], subj)
		}
	}
}

// aux is a probe target that gets only the rule's first port.
type aux struct {
	to     ref
	reason string
}

// rulePeer adds the probes of one peer of a rule: the rule's ports to one
// endpoint of the peer, and the first port to the endpoints around it
// (strangers, half matches, CIDR edges).
func (b *builder) rulePeer(pol *ir.Policy, r *ir.Rule, p *ir.Peer, subj ref) {
	var main ref
	var extra []aux
	switch p.Kind {
	case ir.PeerNodes:
		b.skip(p.Span, "node peer: nodes are not probed")
		return
	case ir.PeerCIDR:
		// The ports first: a rule without a port to probe adds no
		// external address to the world.
		var dst *eval.Pod
		if r.Direction == ir.Ingress {
			dst = b.pod(subj)
		}
		if len(b.rulePorts(r, dst)) == 0 {
			return
		}
		var ok bool
		if main, extra, ok = b.cidrTargets(p, pol.Namespace); !ok {
			b.skip(p.Span, "CIDR %s: no address of the block is free of the world's pods", p.CIDR)
			return
		}
	default:
		var ok bool
		eps := b.base.Select(*p, pol.Namespace)
		if main, ok = b.pick(eps, subj); !ok {
			switch {
			case len(eps) > 0:
				b.skip(p.Span, "%s matches only nodes, the local host or the kube-apiserver, which are not probed", ir.FormatPeer(*p))
				return
			case p.Kind == ir.PeerEntity && p.Entity == ir.EntityWorldIPv6:
				main = b.external(worldIPv6)
			case p.Kind == ir.PeerEntity && (p.Entity == ir.EntityWorld || p.Entity == ir.EntityWorldIPv4) || p.Kind == ir.PeerAny:
				main = b.external(worldIPv4)
			default:
				b.skip(p.Span, "no pod or external address of the world matches %s", ir.FormatPeer(*p))
				return
			}
		}
	}
	from, to := subj, main
	if r.Direction == ir.Ingress {
		from, to = main, subj
	}
	ports := b.rulePorts(r, b.pod(to))
	if len(ports) == 0 {
		return
	}
	if p.Kind != ir.PeerCIDR && main.kind == eval.EndpointPod {
		extra = b.podAux(pol, p, main)
	}
	for _, pp := range ports {
		b.add(cand{from: from, to: to, proto: pp.proto, port: pp.port, reason: pp.reason, origin: r.Span})
	}
	first := ports[0]
	// The subject replaced by a pod of its namespace in no rule.
	strangerSubj := b.stranger(b.pod(subj).Namespace)
	for _, a := range extra {
		from, to := subj, a.to
		if r.Direction == ir.Ingress {
			from, to = a.to, subj
		}
		port := first.port
		if named := first.named; named != "" {
			if cp, ok := namedPort(b.pod(to), named, first.proto); ok {
				port = cp.Port
			}
		}
		b.add(cand{from: from, to: to, proto: first.proto, port: port, reason: a.reason, origin: r.Span})
	}
	if strangerSubj != subj {
		from, to := strangerSubj, main
		if r.Direction == ir.Ingress {
			from, to = main, strangerSubj
		}
		b.add(cand{from: from, to: to, proto: first.proto, port: first.port, reason: ReasonStranger, origin: r.Span})
	}
}

// pick chooses the endpoint a rule's ports are probed against: the first
// pod other than the subject, else the subject, else the first external.
func (b *builder) pick(eps []eval.Endpoint, subj ref) (ref, bool) {
	var self, ext *ref
	for _, ep := range eps {
		r, ok := b.refOf(ep)
		if !ok {
			continue
		}
		switch {
		case r.kind == eval.EndpointPod && r != subj:
			return r, true
		case r.kind == eval.EndpointPod:
			self = &r
		case ext == nil:
			ext = &r
		}
	}
	if self != nil {
		// A pod probing itself never leaves it: a twin of the subject
		// (same namespace, labels and ports) stands for the peer.
		if i, ok := b.twins[self.i]; ok {
			return ref{eval.EndpointPod, i}, true
		}
		p := b.pod(*self)
		i := b.addPod(AddedPeer, p.Namespace, p.Name+"-peer", copyLabels(p.Labels), append([]eval.ContainerPort(nil), p.Ports...))
		b.twins[self.i] = i
		return ref{eval.EndpointPod, i}, true
	}
	if ext != nil {
		return *ext, true
	}
	return ref{}, false
}

// podAux returns the endpoints around a pod target of peer p: a pod in no
// rule (or matching only the namespace half) in its namespace and a pod
// with its labels in a namespace the peer does not select.
func (b *builder) podAux(pol *ir.Policy, p *ir.Peer, main ref) []aux {
	t := b.pod(main)
	var out []aux
	s := b.stranger(t.Namespace)
	if p.Kind == ir.PeerPods && !p.Pods.IsEmpty() && !p.Pods.Matches(b.pod(s).Labels) {
		out = append(out, aux{s, ReasonNamespaceOnly})
	} else {
		out = append(out, aux{s, ReasonStranger})
	}
	if p.Kind != ir.PeerPods {
		return out
	}
	if r, ok := b.podsOnly(pol, p, t); ok {
		out = append(out, aux{r, ReasonPodsOnly})
	}
	return out
}

func (b *builder) isStranger(i int) bool {
	s, ok := b.strangers[b.w.Pods[i].Namespace]
	return ok && s == i
}

// podsOnly returns a pod matching p's pod selector in a namespace p does not
// select: an existing pod of the world if there is one, else a copy of t in
// the first such namespace (by name), else a copy in a new namespace.
func (b *builder) podsOnly(pol *ir.Policy, p *ir.Peer, t *eval.Pod) (ref, bool) {
	selects := func(ns string) bool {
		switch p.Namespace.Scope {
		case ir.NamespaceNamed:
			return ns == p.Namespace.Name
		case ir.NamespaceLabels:
			return p.Namespace.Labels.Matches(b.nsLabels(ns))
		}
		return pol.Namespace == "" || ns == pol.Namespace
	}
	if p.Namespace.Scope == ir.NamespaceLabels && p.Namespace.Labels.IsEmpty() ||
		p.Namespace.Scope == ir.NamespacePolicy && pol.Namespace == "" {
		return ref{}, false // every namespace: no half to probe
	}
	for i := range b.w.Pods {
		q := &b.w.Pods[i]
		if !b.isStranger(i) && !selects(q.Namespace) && p.Pods.Matches(q.Labels) {
			return ref{eval.EndpointPod, i}, true
		}
	}
	names := make([]string, 0, len(b.w.Namespaces))
	for _, ns := range b.w.Namespaces {
		names = append(names, ns.Name)
	}
	sort.Strings(names)
	ns := ""
	for _, n := range names {
		if !selects(n) {
			ns = n
			break
		}
	}
	if ns == "" {
		for i := 1; ; i++ {
			ns = "other"
			if i > 1 {
				ns = fmt.Sprintf("other-%d", i)
			}
			if _, ok := b.nsIdx[ns]; !ok {
				break
			}
		}
		labels := copyLabels(b.opts.NamespaceLabels)
		if labels == nil {
			labels = map[string]string{}
		}
		b.namespace(ns, labels)
		if selects(ns) {
			// The peer selects the new namespace too: take it back.
			b.w.Namespaces = b.w.Namespaces[:len(b.w.Namespaces)-1]
			delete(b.nsIdx, ns)
			return ref{}, false
		}
	}
	i := b.addPod(AddedPodsOnly, ns, t.Name, copyLabels(t.Labels), append([]eval.ContainerPort(nil), t.Ports...))
	return ref{eval.EndpointPod, i}, true
}

// cidrTargets returns the external addresses probing a CIDR peer: the
// first usable address (the rule's ports), the last usable address, the
// addresses just outside the block and the edges of every except.
func (b *builder) cidrTargets(p *ir.Peer, ns string) (ref, []aux, bool) {
	podIPs := map[netip.Addr]bool{}
	for _, q := range b.w.Pods {
		if q.IP.IsValid() {
			podIPs[q.IP] = true
		}
	}
	first, last := p.CIDR.Masked().Addr(), lastAddr(p.CIDR)
	if p.CIDR.Bits() < first.BitLen()-1 {
		first, last = first.Next(), last.Prev()
	}
	// The first and last addresses of the block outside its excepts and
	// the world's pods.
	usable := func(a netip.Addr) bool { return p.CIDRMatches(a) && !podIPs[a] }
	lo, hi := first, last
	for lo.IsValid() && p.CIDR.Contains(lo) && !usable(lo) {
		lo = lo.Next()
		for _, x := range p.Except {
			if x.Contains(lo) {
				lo = lastAddr(x).Next()
			}
		}
	}
	if !lo.IsValid() || !p.CIDR.Contains(lo) {
		return ref{}, nil, false
	}
	for hi.Compare(lo) > 0 && !usable(hi) {
		hi = hi.Prev()
		for _, x := range p.Except {
			if x.Contains(hi) {
				hi = x.Masked().Addr().Prev()
			}
		}
	}
	// The rule's ports go to an address of the world in the block if there
	// is one (a real destination), else to the first usable address.
	var out []aux
	main, ok := ref{}, false
	for _, ep := range b.base.Select(*p, ns) {
		if r, isRef := b.refOf(ep); isRef && r.kind == eval.EndpointExternal && !podIPs[ep.External.IP] {
			main, ok = r, true
			break
		}
	}
	if !ok {
		main = b.external(lo)
	} else {
		out = append(out, aux{b.external(lo), ReasonCIDREdge})
	}
	if hi.Compare(lo) > 0 {
		out = append(out, aux{b.external(hi), ReasonCIDREdge})
	}
	add := func(a netip.Addr, reason string) {
		if a.IsValid() && !podIPs[a] {
			out = append(out, aux{b.external(a), reason})
		}
	}
	if before := p.CIDR.Masked().Addr().Prev(); p.CIDR.Bits() > 0 {
		add(before, ReasonCIDROutside)
	}
	if after := lastAddr(p.CIDR).Next(); p.CIDR.Bits() > 0 {
		add(after, ReasonCIDROutside)
	}
	for _, x := range p.Except {
		add(x.Masked().Addr(), ReasonExceptEdge)
		if x.Bits() < x.Addr().BitLen() {
			add(lastAddr(x), ReasonExceptEdge)
		}
	}
	return main, out, true
}

// portProbe is one (protocol, port) to probe for a rule.
type portProbe struct {
	proto  ir.Protocol
	port   uint16
	named  string // the named port it resolves, if any
	reason string
}

// rulePorts returns the ports to probe for rule r towards dst (nil when the
// destination is not a pod): for every port of the rule its first and last
// number (a named port resolved on dst), then the neighbouring port and the
// other protocol when the rule does not cover them. A rule allowing every
// port of a protocol (or all traffic) is probed on AnyPort.
func (b *builder) rulePorts(r *ir.Rule, dst *eval.Pod) []portProbe {
	reason := ReasonPortAllowed
	if r.DNS {
		reason = ReasonDNS
	}
	if r.AllTraffic {
		return []portProbe{{proto: ir.TCP, port: AnyPort, reason: reason}, {proto: ir.UDP, port: AnyPort, reason: reason}}
	}
	var allowed, around []portProbe
	for _, pr := range r.Ports {
		for _, pt := range pr.Ports {
			protos := []ir.Protocol{flowProto(pt.Protocol)}
			if pt.Protocol == ir.ProtoAny {
				protos = []ir.Protocol{ir.TCP, ir.UDP}
			}
			for _, proto := range protos {
				lo, hi, every := pt.Port, max(pt.Port, pt.EndPort), false
				if pt.Name != "" {
					cp, ok := namedPort(dst, pt.Name, pt.Protocol)
					if !ok {
						who := "an external address"
						if dst != nil {
							who = dst.Namespace + "/" + dst.Name
						}
						b.skip(pt.Span, "named port %s: not a container port of %s", pt.Name, who)
						break
					}
					proto, lo, hi = flowProto(cp.Protocol), cp.Port, cp.Port
				} else if pt.Port == 0 {
					lo, hi, every = AnyPort, AnyPort, true
				}
				allowed = append(allowed, portProbe{proto: proto, port: lo, named: pt.Name, reason: reason})
				if hi != lo {
					allowed = append(allowed, portProbe{proto: proto, port: hi, reason: reason})
				}
				if every {
					continue
				}
				for _, n := range []int{int(hi) + 1, int(lo) - 1} {
					if n >= 1 && n <= 65535 && !covers(r, proto, uint16(n), dst) {
						around = append(around, portProbe{proto: proto, port: uint16(n), reason: ReasonPortNeighbour})
						break
					}
				}
				if op := otherProto(proto); !covers(r, op, lo, dst) {
					around = append(around, portProbe{proto: op, port: lo, reason: ReasonOtherProtocol})
				}
			}
		}
	}
	return append(allowed, around...)
}

// covers reports whether a port of r matches (proto, port) towards dst.
func covers(r *ir.Rule, proto ir.Protocol, port uint16, dst *eval.Pod) bool {
	if r.AllTraffic {
		return true
	}
	for _, pr := range r.Ports {
		for _, pt := range pr.Ports {
			if pt.Protocol != ir.ProtoAny && flowProto(pt.Protocol) != proto {
				continue
			}
			switch {
			case pt.Name != "":
				if cp, ok := namedPort(dst, pt.Name, proto); ok && cp.Port == port {
					return true
				}
			case pt.Port == 0:
				return true
			case port >= pt.Port && port <= max(pt.Port, pt.EndPort):
				return true
			}
		}
	}
	return false
}

func otherProto(p ir.Protocol) ir.Protocol {
	if p == ir.TCP {
		return ir.UDP
	}
	return ir.TCP
}

func flowProto(p ir.Protocol) ir.Protocol {
	if p == "" {
		return ir.TCP
	}
	return p
}

// namedPort returns the container port of pod named name with protocol
// proto (ANY: any protocol; "" means TCP).
func namedPort(pod *eval.Pod, name string, proto ir.Protocol) (eval.ContainerPort, bool) {
	if pod == nil {
		return eval.ContainerPort{}, false
	}
	for _, cp := range pod.Ports {
		if cp.Name == name && (proto == ir.ProtoAny || flowProto(cp.Protocol) == flowProto(proto)) {
			return cp, true
		}
	}
	return eval.ContainerPort{}, false
}

// assignIPs gives an address to every pod without one (and, in a
// representative world, to every pod whose address a CIDR peer matches):
// the first addresses of 10.244.0.0/16 no endpoint uses and no CIDR peer
// matches.
func (b *builder) assignIPs(synthetic bool) error {
	var cidrs []*ir.Peer
	for _, pol := range b.prog.Policies {
		for _, r := range pol.Rules {
			for i := range r.Peers {
				if r.Peers[i].Kind == ir.PeerCIDR {
					cidrs = append(cidrs, &r.Peers[i])
				}
			}
		}
	}
	for _, x := range b.prog.Expectations {
		for _, ep := range []*ir.Peer{&x.From.Peer, &x.To.Peer} {
			if ep.Kind == ir.PeerCIDR {
				cidrs = append(cidrs, ep)
			}
		}
	}
	matched := func(a netip.Addr) bool {
		for _, c := range cidrs {
			if c.CIDRMatches(a) {
				return true
			}
		}
		return false
	}
	used := map[netip.Addr]bool{}
	var need []int
	for i := range b.w.Pods {
		p := &b.w.Pods[i]
		if !p.IP.IsValid() || synthetic && matched(p.IP) {
			need = append(need, i)
			continue
		}
		used[p.IP] = true
	}
	for _, x := range b.w.Externals {
		used[x.IP] = true
	}
	for _, n := range b.w.Nodes {
		if n.IP.IsValid() {
			used[n.IP] = true
		}
	}
	ranges := b.opts.PodRanges
	if len(ranges) == 0 {
		ranges = []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("100.64.0.0/10")}
	}
	// A range one CIDR peer matches whole is not scanned address by address.
	covered := func(rng netip.Prefix) bool {
		for _, c := range cidrs {
			if c.CIDR.Bits() <= rng.Bits() && c.CIDR.Contains(rng.Addr()) && !slices.ContainsFunc(c.Except, rng.Overlaps) {
				return true
			}
		}
		return false
	}
	// free returns the first address from next on, in the ranges from r
	// on, that no endpoint uses (and, with strict, no CIDR peer matches).
	free := func(r int, next netip.Addr, strict bool) (int, netip.Addr, bool) {
		for ; r < len(ranges); r++ {
			rng := ranges[r]
			if !rng.Contains(next) {
				next = rng.Masked().Addr().Next()
			}
			if strict && covered(rng) {
				continue
			}
			for ; next.IsValid() && rng.Contains(next) && next != lastAddr(rng); next = next.Next() {
				if !used[next] && !(strict && matched(next)) {
					return r, next, true
				}
			}
		}
		return r, netip.Addr{}, false
	}
	r, next, strict := 0, ranges[0].Masked().Addr().Next(), true
	for _, i := range need {
		var ok bool
		var a netip.Addr
		if strict {
			if r, a, ok = free(r, next, true); !ok {
				// Every free address is in a CIDR peer: use them anyway,
				// and say what that means.
				strict = false
				r, next = 0, ranges[0].Masked().Addr().Next()
				b.warnings = append(b.warnings, fmt.Sprintf("pod addresses are inside the CIDR peers of the program (no address of %v is outside them): netpolc never matches a CIDR peer against a pod, but NetworkPolicy implementations may, and then allow more between pods than the plan expects", ranges))
			}
		}
		if !strict {
			if r, a, ok = free(r, next, false); !ok {
				return fmt.Errorf("testplan: no free pod address left in %v for %s/%s", ranges, b.w.Pods[i].Namespace, b.w.Pods[i].Name)
			}
		}
		b.w.Pods[i].IP = a
		used[a] = true
		next = a.Next()
	}
	return nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	s := p.Addr().AsSlice()
	for i := p.Bits(); i < len(s)*8; i++ {
		s[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(s)
	return a
}

func copyLabels(l map[string]string) map[string]string {
	if l == nil {
		return nil
	}
	out := make(map[string]string, len(l))
	for k, v := range l {
		out[k] = v
	}
	return out
}

// copyWorld returns a deep copy of w.
func copyWorld(w *eval.World) *eval.World {
	out := &eval.World{}
	for _, ns := range w.Namespaces {
		out.Namespaces = append(out.Namespaces, eval.Namespace{Name: ns.Name, Labels: copyLabels(ns.Labels)})
	}
	for _, p := range w.Pods {
		q := p
		q.Labels = copyLabels(p.Labels)
		q.Ports = append([]eval.ContainerPort(nil), p.Ports...)
		out.Pods = append(out.Pods, q)
	}
	for _, x := range w.Externals {
		x.Names = append([]string(nil), x.Names...)
		out.Externals = append(out.Externals, x)
	}
	for _, n := range w.Nodes {
		n.Labels = copyLabels(n.Labels)
		out.Nodes = append(out.Nodes, n)
	}
	for _, s := range w.Services {
		s.Labels = copyLabels(s.Labels)
		s.Selector = copyLabels(s.Selector)
		out.Services = append(out.Services, s)
	}
	return out
}
