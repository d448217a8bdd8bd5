package eval

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
)

// cpolicy is a policy compiled for evaluation.
type cpolicy struct {
	p           *ir.Policy
	order       int
	subjectPods ir.Selector
	subjectNS   *ir.Selector
	byDir       [2][]*crule // ingress, egress
}

// crule is a rule compiled for evaluation.
type crule struct {
	r     *ir.Rule
	pol   *ir.Policy // the policy of r
	peers []*cpeer
	all   bool
	ports []cportRule
	icmp  []icmpMatch
}

type cportRule struct {
	ports []ir.Port
	http  []chttp
	dns   []ir.FQDN
}

func (pr *cportRule) restricted() bool { return len(pr.http) > 0 || len(pr.dns) > 0 }

type chttp struct {
	method, path, host *regexp.Regexp // nil: any
	headers            []ir.HeaderMatch
	bad                bool // an expression did not compile: matches nothing
}

// cpeer is a peer compiled in the context of a namespace.
type cpeer struct {
	p           *ir.Peer
	ctxNS       string // the policy's namespace; "" for cluster-wide
	pods        ir.Selector
	nsLabels    ir.Selector
	svcSelector *ir.Selector
	set         *memberSet // shared by equal peers
}

// memberSet is the lazily computed set of world endpoints matching a peer.
type memberSet struct {
	once sync.Once
	bits []uint64
}

type regexpOrErr struct {
	re  *regexp.Regexp
	err error
}

func (e *Evaluator) compilePolicy(p *ir.Policy) *cpolicy {
	cp := &cpolicy{p: p, order: len(e.policies), subjectPods: p.Subject.Pods.Normalized()}
	if p.Subject.Namespaces != nil {
		s := p.Subject.Namespaces.Normalized()
		cp.subjectNS = &s
	}
	for _, r := range p.Rules {
		cr := e.compileRule(r, p.Namespace, &e.warns)
		cr.pol = p
		d := 0
		if r.Direction == ir.Egress {
			d = 1
		}
		cp.byDir[d] = append(cp.byDir[d], cr)
	}
	return cp
}

func (e *Evaluator) compileRule(r *ir.Rule, ns string, warns *diag.List) *crule {
	cr := &crule{r: r, all: r.AllTraffic}
	for i := range r.Peers {
		cr.peers = append(cr.peers, e.compilePeer(&r.Peers[i], ns))
	}
	for _, pr := range r.Ports {
		c := cportRule{ports: pr.Ports}
		if r.Action == ir.Allow {
			for _, h := range pr.HTTP {
				c.http = append(c.http, e.compileHTTP(h, warns))
			}
			c.dns = pr.DNS
		}
		cr.ports = append(cr.ports, c)
	}
	for _, t := range r.ICMP {
		cr.icmp = append(cr.icmp, compileICMP(t))
	}
	return cr
}

func (e *Evaluator) compilePeer(p *ir.Peer, ns string) *cpeer {
	cp := &cpeer{p: p, ctxNS: ns, pods: p.Pods.Normalized()}
	// The member set is shared by every peer that selects the same
	// endpoints: same ir.PeerKey once normalized and made absolute (a
	// NamespacePolicy peer of a cluster-wide policy stays as it is: any
	// namespace).
	q := *p
	q.Pods = cp.pods
	switch p.Kind {
	case ir.PeerPods:
		if p.Namespace.Scope == ir.NamespaceLabels {
			cp.nsLabels = p.Namespace.Labels.Normalized()
			q.Namespace.Labels = cp.nsLabels
		}
	case ir.PeerService:
		if q.Service.Namespace == "" {
			q.Service.Namespace = ns
		}
		if p.Service.Selector != nil {
			s := p.Service.Selector.Normalized()
			cp.svcSelector = &s
			q.Service.Selector = &s
		}
	}
	k := ir.PeerKey(ir.Absolute(q, ns))
	e.setsMu.Lock()
	defer e.setsMu.Unlock()
	cp.set = e.sets[k]
	if cp.set == nil {
		cp.set = &memberSet{}
		e.sets[k] = cp.set
	}
	return cp
}

// peerMatches reports whether ep (at world index idx, or -1) matches cp.
func (e *Evaluator) peerMatches(cp *cpeer, ep Endpoint, idx int) bool {
	if idx < 0 {
		return e.peerMatchesSlow(cp, ep)
	}
	cp.set.once.Do(func() {
		bits := make([]uint64, (len(e.eps)+63)/64)
		for i, x := range e.eps {
			if e.peerMatchesSlow(cp, x) {
				bits[i/64] |= 1 << (i % 64)
			}
		}
		cp.set.bits = bits
	})
	return cp.set.bits[idx/64]&(1<<(idx%64)) != 0
}

func (e *Evaluator) peerMatchesSlow(cp *cpeer, ep Endpoint) bool {
	p := cp.p
	switch p.Kind {
	case ir.PeerPods:
		return ep.Kind == EndpointPod && e.namespaceMatches(cp, ep.Pod.Namespace) && cp.pods.Matches(ep.Pod.Labels)
	case ir.PeerCIDR:
		return ep.Kind == EndpointExternal && p.CIDRMatches(ep.External.IP)
	case ir.PeerEntity:
		return entityMatches(p.Entity, ep)
	case ir.PeerFQDN:
		if ep.Kind != EndpointExternal {
			return false
		}
		for _, n := range ep.External.Names {
			if p.FQDN.Matches(n) {
				return true
			}
		}
		return false
	case ir.PeerService:
		return ep.Kind == EndpointPod && e.serviceSelects(cp, ep.Pod)
	case ir.PeerNodes:
		// Cilium adds reserved:remote-node to every fromNodes/toNodes
		// selector: node peers never match the local host.
		labels, ok := ep.nodeLabels()
		return ok && !ep.isLocalHost() && cp.pods.Matches(labels)
	case ir.PeerAny:
		return true
	}
	return false
}

func (e *Evaluator) namespaceMatches(cp *cpeer, ns string) bool {
	ref := cp.p.Namespace
	switch ref.Scope {
	case ir.NamespacePolicy:
		return cp.ctxNS == "" || ns == cp.ctxNS
	case ir.NamespaceNamed:
		return ns == ref.Name
	default:
		return cp.nsLabels.Matches(e.namespaceLabels(ns))
	}
}

func (e *Evaluator) serviceSelects(cp *cpeer, pod *Pod) bool {
	svcNS := cp.p.Service.Namespace
	if svcNS == "" {
		svcNS = cp.ctxNS
	}
	if pod.Namespace != svcNS {
		return false
	}
	return e.world.ServiceSelects(svcNS, cp.p.Service.Name, cp.svcSelector, pod.Labels)
}

// ServiceSelects reports whether a pod with labels in namespace ns is
// selected by one of the Services of w in ns that a Service peer names: the
// one called name or, when sel is not nil, every one whose labels sel
// matches. A Service without a selector selects no pod.
func (w *World) ServiceSelects(ns, name string, sel *ir.Selector, labels map[string]string) bool {
	for _, s := range w.Services {
		if s.Namespace != ns || s.Selector == nil {
			continue
		}
		if sel != nil {
			if !sel.Matches(s.Labels) {
				continue
			}
		} else if s.Name != name {
			continue
		}
		if labelsInclude(labels, s.Selector) {
			return true
		}
	}
	return false
}

func labelsInclude(labels, sel map[string]string) bool {
	for k, v := range sel {
		if w, ok := labels[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func entityMatches(ent ir.Entity, ep Endpoint) bool {
	switch ent {
	case ir.EntityAll:
		return true
	case ir.EntityWorld:
		return ep.Kind == EndpointExternal
	case ir.EntityWorldIPv4:
		return ep.Kind == EndpointExternal && ep.External.IP.Unmap().Is4()
	case ir.EntityWorldIPv6:
		return ep.Kind == EndpointExternal && ep.External.IP.Is6() && !ep.External.IP.Is4In6()
	case ir.EntityCluster, ir.EntityClusterMesh:
		return ep.Kind != EndpointExternal
	case ir.EntityHost:
		return ep.isLocalHost()
	case ir.EntityRemoteNode:
		return ep.Kind == EndpointNode && !ep.Node.Local
	case ir.EntityKubeAPIServer:
		return ep.Kind == EndpointAPIServer
	}
	// ingress, init, health, unmanaged, none: no such endpoint in a World.
	return false
}

// trafficResult is how a rule's traffic relates to a flow.
type trafficResult struct {
	match      bool // the rule's traffic matches the flow at L4
	restricted bool // ... only through port rules with L7 rules
	accepted   bool // ... and one of those accepts the flow's request
}

func (e *Evaluator) trafficMatch(r *crule, f *Flow) trafficResult {
	if r.all {
		return trafficResult{match: true}
	}
	if f.ICMP != nil {
		for _, m := range r.icmp {
			if m.matches(f.ICMP) {
				return trafficResult{match: true}
			}
		}
		return trafficResult{}
	}
	var res trafficResult
	for i := range r.ports {
		pr := &r.ports[i]
		if !anyPortMatches(pr.ports, f) {
			continue
		}
		if !pr.restricted() {
			return trafficResult{match: true}
		}
		res.match, res.restricted = true, true
		res.accepted = res.accepted || pr.accepts(f)
	}
	return res
}

func (pr *cportRule) accepts(f *Flow) bool {
	if f.HTTP != nil {
		for i := range pr.http {
			if pr.http[i].accepts(f.HTTP) {
				return true
			}
		}
	}
	if f.DNSName != "" {
		for _, d := range pr.dns {
			if d.Matches(f.DNSName) {
				return true
			}
		}
	}
	return false
}

func anyPortMatches(ports []ir.Port, f *Flow) bool {
	for i := range ports {
		if portMatches(&ports[i], f) {
			return true
		}
	}
	return false
}

func portMatches(p *ir.Port, f *Flow) bool {
	proto := flowProto(f.Protocol)
	if !protoMatches(p.Protocol, proto) {
		return false
	}
	switch {
	case p.Name != "":
		if f.To.Kind != EndpointPod || f.To.Pod == nil {
			return false
		}
		for _, cp := range f.To.Pod.Ports {
			if cp.Name == p.Name && cp.Port == f.Port && flowProto(cp.Protocol) == proto {
				return true
			}
		}
		return false
	case p.Port == 0:
		return true
	case p.EndPort != 0:
		return p.Port <= f.Port && f.Port <= p.EndPort
	default:
		return f.Port == p.Port
	}
}

func protoMatches(rule, flow ir.Protocol) bool {
	switch rule {
	case ir.ProtoAny:
		return flow == ir.TCP || flow == ir.UDP || flow == ir.SCTP
	case "":
		return flow == ir.TCP
	}
	return rule == flow
}

// HTTP.

func (e *Evaluator) compileHTTP(h ir.HTTPRule, warns *diag.List) chttp {
	c := chttp{headers: h.Headers}
	for _, x := range []struct {
		expr string
		dst  **regexp.Regexp
	}{{h.Method, &c.method}, {h.Path, &c.path}, {h.Host, &c.host}} {
		if x.expr == "" {
			continue
		}
		re, err := e.wholeRegexp(x.expr)
		if err != nil {
			warns.Warnf(codeBadRegexp, h.Span, msgBadRegexp, x.expr, err)
			c.bad = true
			continue
		}
		*x.dst = re
	}
	return c
}

// wholeRegexp compiles expr to match whole strings, once per expression.
func (e *Evaluator) wholeRegexp(expr string) (*regexp.Regexp, error) {
	e.setsMu.Lock()
	defer e.setsMu.Unlock()
	if r, ok := e.regex[expr]; ok {
		return r.re, r.err
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	e.regex[expr] = &regexpOrErr{re, err}
	return re, err
}

func (h *chttp) accepts(req *ir.HTTPRequest) bool {
	if h.bad {
		return false
	}
	if h.method != nil && !h.method.MatchString(req.Method) {
		return false
	}
	if h.path != nil && !h.path.MatchString(req.Path) {
		return false
	}
	if h.host != nil && !h.host.MatchString(req.Host) {
		return false
	}
	for _, hm := range h.headers {
		if !headerPresent(req.Headers, hm) {
			return false
		}
	}
	return true
}

func headerPresent(headers map[string]string, hm ir.HeaderMatch) bool {
	for k, v := range headers {
		if strings.EqualFold(k, hm.Name) && (hm.Value == nil || v == *hm.Value) {
			return true
		}
	}
	return false
}

// ICMP.

type icmpMatch struct {
	family ir.ICMPFamily
	typ    int    // -1: every type
	name   string // an unknown type name, compared case-insensitively
}

func compileICMP(t ir.ICMPType) icmpMatch {
	n, name := icmpTypeNumber(t.Family, t.Type)
	return icmpMatch{family: t.Family, typ: n, name: name}
}

func (m icmpMatch) matches(t *ir.ICMPType) bool {
	if t.Family != m.family {
		return false
	}
	if m.typ == -1 && m.name == "" {
		return true
	}
	n, name := icmpTypeNumber(t.Family, t.Type)
	if m.name != "" || name != "" {
		return strings.EqualFold(m.name, name)
	}
	return n == m.typ
}

// icmpTypeNumber returns the number of an ICMP type written as a number or a
// Cilium type name: (-1, "") for "", (-1, name) for an unknown name.
func icmpTypeNumber(fam ir.ICMPFamily, typ string) (int, string) {
	if typ == "" {
		return -1, ""
	}
	if n, err := strconv.Atoi(typ); err == nil {
		return n, ""
	}
	table := icmpv4Types
	if fam == ir.ICMPv6 {
		table = icmpv6Types
	}
	if n, ok := table[strings.ToLower(typ)]; ok {
		return n, ""
	}
	return -1, typ
}

// ICMP type names as Cilium accepts them (CamelCase, compared
// case-insensitively), with their IANA numbers.
var icmpv4Types = map[string]int{
	"echoreply": 0, "destinationunreachable": 3, "redirect": 5, "echo": 8, "echorequest": 8,
	"routeradvertisement": 9, "routerselection": 10, "routersolicitation": 10, "timeexceeded": 11,
	"parameterproblem": 12, "timestamp": 13, "timestampreply": 14, "photuris": 40,
	"extendedechorequest": 42, "extendedechoreply": 43,
}

var icmpv6Types = map[string]int{
	"destinationunreachable": 1, "packettoobig": 2, "timeexceeded": 3, "parameterproblem": 4,
	"echorequest": 128, "echoreply": 129, "multicastlistenerquery": 130,
	"multicastlistenerreport": 131, "multicastlistenerdone": 132, "routersolicitation": 133,
	"routeradvertisement": 134, "neighborsolicitation": 135, "neighboradvertisement": 136,
	"redirectmessage": 137, "routerrenumbering": 138, "icmpnodeinformationquery": 139,
	"icmpnodeinformationresponse": 140, "inverseneighbordiscoverysolicitation": 141,
	"inverseneighbordiscoveryadvertisement": 142, "homeagentaddressdiscoveryrequest": 144,
	"homeagentaddressdiscoveryreply": 145, "mobileprefixsolicitation": 146,
	"mobileprefixadvertisement": 147, "duplicateaddressrequestcodesuffix": 157,
	"duplicateaddressconfirmationcodesuffix": 158, "extendedechorequest": 160,
	"extendedechoreply": 161,
}

// ICMPTypeNumber returns the number of the ICMP type typ of family fam,
// written as a number or a Cilium type name (compared case-insensitively);
// ok is false for "" (every type) and for a name Cilium does not know.
func ICMPTypeNumber(fam ir.ICMPFamily, typ string) (n int, ok bool) {
	n, name := icmpTypeNumber(fam, typ)
	return n, n >= 0 && name == ""
}
