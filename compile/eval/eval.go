// Package eval decides flows on the intent IR: given a world of namespaces,
// pods, nodes and external addresses, is a connection allowed, and which
// rules decide it? Backend tests compare their targets' verdicts with this
// package's, so the semantics below are exact and are the contract.
//
// # World
//
// A World lists namespaces (each implicitly carries the label
// kubernetes.io/metadata.name=<name>; a namespace used by a pod but not
// listed exists with only that label), pods (labels, IP, named container
// ports), external addresses (an IP and the DNS names resolving to it),
// optional nodes (one may be Local, the node the flows are judged on) and
// optional Services. Two special endpoints always exist: the kube-apiserver
// and, unless a node is Local, the local host (a node without labels).
//
// # Flows and sides
//
// A Flow goes From one endpoint To another with a protocol and port (or an
// ICMP message), and optionally an HTTP request or a DNS lookup. It is
// allowed when both of its sides allow it: the egress side of From and the
// ingress side of To. A side belongs to the endpoint's subject policies:
//   - a namespaced Policy selects the pods of Policy.Namespace matching
//     Subject.Pods;
//   - a cluster-wide Policy (Namespace "") selects the pods of every namespace
//     whose labels match Subject.Namespaces (nil: every namespace), or with
//     Subject.Nodes the nodes (and the local host) matching Subject.Pods.
//
// External endpoints and the kube-apiserver are never subjects: their side
// always allows. For one side (endpoint X, direction D, the other endpoint
// being the peer), over the rules of direction D of the policies selecting X:
//  1. X is isolated in D if any of those policies has Isolation in D;
//  2. if a Deny rule matches, the side denies (deny wins over every allow,
//     Cilium semantics; deny rules never isolate by themselves, only
//     Isolation does);
//  3. otherwise the side allows at L4 if X is not isolated, or if an Allow
//     rule matches (pure union: rule order is irrelevant);
//  4. L7: if at least one Allow rule matches and every matching Allow rule
//     matches only through port rules carrying HTTP or DNS rules, the side
//     is L7-restricted, whether or not X is isolated (Cilium filters L7 on
//     such a port even with default deny off). A flow with an HTTP request
//     (or a DNS lookup) then passes only if one restricting port rule
//     accepts it; a flow without one is allowed at L4 and reported as
//     L7Restricted. If any matching Allow rule matches without an L7
//     restriction (an L4-only rule, AllTraffic, ICMP), L7 is open: the union
//     of an L4 allowance with an L7 one is the L4 allowance.
//
// A rule matches when one of its Peers matches the peer endpoint and its
// traffic matches the flow.
//
// Ordered rules (ir.TierOrdered policies, which never isolate) come first:
// the rules of direction D of the ordered policies selecting X are tried in
// ir.OrderLess order (policy Priority, then source order), and the first
// that matches decides the side (Side.Ordered):
//   - Allow: the side allows (at L4; ordered rules have no L7 rules), and
//     nothing else is consulted;
//   - Deny: the side denies;
//   - Pass: the remaining ordered rules, every Deny rule and every Allow rule
//     of a cluster-wide policy or of a policy not isolating D are skipped:
//     steps 1, 3 and 4 above decide with only the Allow rules of namespaced
//     policies that isolate D (isolation still counts every policy).
//
// When no ordered rule matches, steps 1 to 4 decide over the default-tier
// policies.
//
// # Peers
//
//   - PeerPods: pods whose labels match Pods, in the namespaces of the
//     NamespaceRef: NamespacePolicy is the policy's namespace (any namespace
//     for a cluster-wide policy; for an expectation, Expectation.Namespace,
//     "" meaning any), NamespaceNamed the named one, NamespaceLabels every
//     namespace whose labels match (empty selector: every namespace).
//   - PeerCIDR: external endpoints whose IP is inside CIDR and in none of
//     Except. A CIDR never matches pods, nodes or the special endpoints, even
//     when their IP is inside it. This is what netpolc emits for Cilium
//     (ipBlock/CIDR rules do not select Cilium-managed endpoints) and it keeps
//     the NetworkPolicy comparison valid as long as test worlds keep pod IPs
//     out of the CIDRs the policies use.
//   - PeerEntity: world = every external endpoint (world-ipv4/world-ipv6: of
//     that family); cluster and cluster-mesh = every pod, node, the local host
//     and the kube-apiserver; host = the local host or the Local node;
//     remote-node = every other node; kube-apiserver = the kube-apiserver;
//     all = every endpoint; ingress, init, health, unmanaged and none match
//     no endpoint of a World (a World has no such identities).
//   - PeerFQDN: external endpoints one of whose Names matches. Matching is
//     case-insensitive and ignores a trailing dot. Exact: the whole name.
//     Otherwise "*" matches any run of [-a-z0-9_] within one label, a leading
//     "**." matches one or more whole labels, and the bare pattern "*"
//     matches every name.
//   - PeerService: the pods selected by the selector of the Services of
//     World.Services named Service.Name (or whose labels match
//     Service.Selector) in Service.Namespace ("" meaning the policy's).
//     Services without a selector select nothing.
//   - PeerNodes: the other nodes (never the local host) whose labels
//     match Pods, as Cilium reads fromNodes/toNodes (it adds
//     reserved:remote-node to each selector). A node subject (host policy)
//     still selects the local node.
//   - PeerAny: every endpoint.
//
// # Traffic
//
//   - AllTraffic matches every flow, ICMP included.
//   - A Port matches a non-ICMP flow whose protocol is Protocol (ProtoAny:
//     TCP, UDP or SCTP; a flow's empty protocol means TCP) and whose port is
//     Port, within [Port, EndPort], or any port (Port 0, no Name). A named
//     port is resolved against the container ports of the flow's destination
//     (for ingress and egress rules alike): it matches when the destination
//     is a pod with a container port of that name, the flow's port and
//     protocol (a container port's empty protocol means TCP). Anything else
//     never matches a named port.
//   - An ICMPType matches an ICMP flow of the same family and type (numbers
//     and Cilium type names compare by number; "" matches every type).
//
// Deny rules match at L3/L4 only; L7 rules on a deny rule are ignored.
//
// # L7
//
// HTTP rules: Method, Path and Host are RE2 expressions matched against the
// whole value (compiled as ^(?:re)$, so "/api/public/.*" does not match
// "/api/public"); "" matches anything. A header without a value must be
// present, with a value it must be equal; header names compare
// case-insensitively. DNS rules: the lookup (Flow.DNSName) must match one
// pattern, with the FQDN matching above. A flow carrying an HTTP request
// never passes a DNS-only restriction, and the reverse.
//
// # What is not modelled
//
// Loopback and node-local exemptions (kubelet probes from the local host)
// are not applied: the policies alone decide, also for a pod talking to
// itself. Host-network pods, Service (ClusterIP) translation and
// cluster-mesh are outside the World model.
//
// An Evaluator is safe for concurrent use by multiple goroutines. It keeps
// pointers into the World it was built from, which must not change
// afterwards.
package eval

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
)

// NamespaceNameLabel is the label the API server sets on every namespace.
const NamespaceNameLabel = "kubernetes.io/metadata.name"

// World is the set of endpoints flows are evaluated over.
type World struct {
	Namespaces []Namespace
	Pods       []Pod
	Externals  []External
	Nodes      []Node    // optional; at most one should be Local
	Services   []Service // optional; only for PeerService
}

// Namespace is a namespace and its labels. The evaluator adds
// kubernetes.io/metadata.name=Name implicitly.
type Namespace struct {
	Name   string
	Labels map[string]string
}

// Pod is a pod of a namespace.
type Pod struct {
	Namespace string
	Name      string
	Labels    map[string]string
	IP        netip.Addr // optional: CIDR peers never match pods
	Ports     []ContainerPort
	// Workload is the owning workload as "Kind/name" (e.g.
	// "Deployment/web"), "" for a bare pod. Policies never look at it; it
	// groups pods for display.
	Workload string
}

// ContainerPort is a (named) port a pod's containers listen on.
type ContainerPort struct {
	Name     string
	Port     uint16
	Protocol ir.Protocol // "" means TCP
}

// External is an address outside the cluster and the DNS names that resolve
// to it (for FQDN peers).
type External struct {
	IP    netip.Addr
	Names []string
}

// Node is a cluster node. Local is the node the flows are judged on (the
// "host" entity); the others are remote nodes.
type Node struct {
	Name   string
	Labels map[string]string
	IP     netip.Addr
	Local  bool
}

// Service is a Kubernetes Service: its own labels and the pod selector it
// routes to (nil: a Service without selector).
type Service struct {
	Namespace string
	Name      string
	Labels    map[string]string
	Selector  map[string]string
}

// EndpointKind says what an Endpoint is.
type EndpointKind int

// Endpoint kinds.
const (
	EndpointPod       EndpointKind = iota // Endpoint.Pod is set
	EndpointExternal                      // Endpoint.External is set
	EndpointNode                          // Endpoint.Node is set
	EndpointAPIServer                     // the kube-apiserver
	EndpointHost                          // the local host, when no node is Local
)

// Endpoint is one end of a flow. Build it with PodEndpoint, ExternalEndpoint,
// NodeEndpoint, APIServer or LocalHost, or take it from Evaluator.Endpoints.
// Endpoints pointing into the evaluator's World are decided faster (their
// selections are cached).
type Endpoint struct {
	Kind     EndpointKind
	Pod      *Pod
	External *External
	Node     *Node
}

// PodEndpoint returns the endpoint of p.
func PodEndpoint(p *Pod) Endpoint { return Endpoint{Kind: EndpointPod, Pod: p} }

// ExternalEndpoint returns the endpoint of x.
func ExternalEndpoint(x *External) Endpoint { return Endpoint{Kind: EndpointExternal, External: x} }

// NodeEndpoint returns the endpoint of n.
func NodeEndpoint(n *Node) Endpoint { return Endpoint{Kind: EndpointNode, Node: n} }

// APIServer returns the kube-apiserver endpoint.
func APIServer() Endpoint { return Endpoint{Kind: EndpointAPIServer} }

// LocalHost returns the local host endpoint.
func LocalHost() Endpoint { return Endpoint{Kind: EndpointHost} }

// String names the endpoint: "production/web-0", "52.94.1.1",
// "node/worker-1", "kube-apiserver", "host".
func (ep Endpoint) String() string {
	switch ep.Kind {
	case EndpointPod:
		if ep.Pod == nil {
			return "pod(nil)"
		}
		return ep.Pod.Namespace + "/" + ep.Pod.Name
	case EndpointExternal:
		if ep.External == nil {
			return "external(nil)"
		}
		if len(ep.External.Names) > 0 {
			return ep.External.Names[0] + " (" + ep.External.IP.String() + ")"
		}
		return ep.External.IP.String()
	case EndpointNode:
		if ep.Node == nil {
			return "node(nil)"
		}
		return "node/" + ep.Node.Name
	case EndpointAPIServer:
		return string(ir.EntityKubeAPIServer)
	default:
		return "host"
	}
}

// nodeLabels returns the labels of a node or of the local host (none), and
// whether ep is one of them.
func (ep Endpoint) nodeLabels() (map[string]string, bool) {
	switch ep.Kind {
	case EndpointNode:
		return ep.Node.Labels, true
	case EndpointHost:
		return nil, true
	}
	return nil, false
}

func (ep Endpoint) isLocalHost() bool {
	return ep.Kind == EndpointHost || (ep.Kind == EndpointNode && ep.Node.Local)
}

// Flow is a connection (or ICMP message, or request) to decide.
type Flow struct {
	From, To Endpoint
	Protocol ir.Protocol // TCP, UDP or SCTP; "" means TCP; ignored for ICMP
	Port     uint16      // destination port
	ICMP     *ir.ICMPType
	HTTP     *ir.HTTPRequest // an HTTP request carried by the connection
	DNSName  string          // a DNS lookup carried by the flow (to a DNS server)
}

// String renders the flow as "production/web-0 -> production/db-0:5432/TCP".
func (f Flow) String() string {
	var b strings.Builder
	b.WriteString(f.From.String())
	b.WriteString(" -> ")
	b.WriteString(f.To.String())
	switch {
	case f.ICMP != nil:
		b.WriteString(" " + ir.FormatICMP(*f.ICMP))
	default:
		fmt.Fprintf(&b, ":%d/%s", f.Port, flowProto(f.Protocol))
	}
	if f.HTTP != nil {
		fmt.Fprintf(&b, " %s %s", f.HTTP.Method, f.HTTP.Path)
		if f.HTTP.Host != "" {
			b.WriteString(" host " + f.HTTP.Host)
		}
	}
	if f.DNSName != "" {
		b.WriteString(" lookup " + f.DNSName)
	}
	return b.String()
}

func flowProto(p ir.Protocol) ir.Protocol {
	if p == "" {
		return ir.TCP
	}
	return p
}

// L7Status says how L7 rules bear on one side of a flow.
type L7Status int

// L7 statuses.
const (
	// L7None: no L7 restriction applies (no matching allow rule restricts L7,
	// or one matching allow rule does not).
	L7None L7Status = iota
	// L7Restricted: the connection is allowed at L4, but only requests (or
	// lookups) matching the L7 rules of L7By pass; the flow carries none.
	L7Restricted
	// L7Allowed: the flow's request matches the L7 rules of one of L7By.
	L7Allowed
	// L7Denied: the flow's request matches none of the L7 rules of L7By.
	L7Denied
)

func (s L7Status) String() string {
	switch s {
	case L7Restricted:
		return "restricted"
	case L7Allowed:
		return "allowed"
	case L7Denied:
		return "denied"
	}
	return "none"
}

// Side is the decision of one side of a flow: the egress side of its source
// or the ingress side of its destination.
type Side struct {
	// Governed: at least one policy selects the endpoint. An ungoverned side
	// allows everything.
	Governed bool
	// Isolated: a policy selecting the endpoint isolates this direction;
	// IsolatedBy lists those policies.
	Isolated   bool
	IsolatedBy []*ir.Policy
	// AllowedBy lists the allow rules matching the flow at L3/L4, in policy
	// and rule order; DeniedBy the deny rules.
	AllowedBy []*ir.Rule
	DeniedBy  []*ir.Rule
	// L7 says how L7 rules restrict the flow; L7By lists the matching allow
	// rules that restrict it (when L7 != L7None).
	L7   L7Status
	L7By []*ir.Rule
	// Ordered is the ordered rule (ir.TierOrdered) that decided the side:
	// the first, in ir.OrderLess order, that matches the flow; nil when none
	// matches and the default tier decides. An Allow or a Deny decides
	// alone (AllowedBy or DeniedBy holds just it). After a Pass, AllowedBy
	// lists the matching Allow rules of namespaced policies that isolate the
	// direction, the only rules that count then, and DeniedBy is empty.
	// OrderedPolicy is Ordered's policy.
	Ordered       *ir.Rule
	OrderedPolicy *ir.Policy
	// Allowed is the side's verdict.
	Allowed bool
}

// Verdict is the decision on a flow.
type Verdict struct {
	// Allowed: both sides allow the flow. For a flow without request on an
	// L7-restricted port it means "allowed at L4" and L7Restricted is set.
	Allowed bool
	// L7Restricted: the flow is allowed at L4 but some side filters requests
	// at L7 and the flow carries none; only requests matching those rules
	// pass.
	L7Restricted bool
	// Egress is the egress side of the source, Ingress the ingress side of
	// the destination.
	Egress, Ingress Side
}

// Evaluator decides flows for one program over one world.
type Evaluator struct {
	prog  *ir.Program
	world *World

	nsLabels map[string]map[string]string // namespace -> labels incl. the name label
	nsNames  []string                     // sorted

	eps     []Endpoint // world endpoints: pods, externals, nodes, apiserver, host
	podIdx  map[*Pod]int
	extIdx  map[*External]int
	nodeIdx map[*Node]int
	apiIdx  int
	hostIdx int // -1 when a node is Local

	policies    []*cpolicy
	byNS        map[string][]*cpolicy
	clusterPods []*cpolicy // cluster-wide pod subjects
	nodePols    []*cpolicy // cluster-wide node subjects

	subjects [][2]*subjectSide // per world endpoint, per direction (nil: no policy)

	sets   map[string]*memberSet // shared peer member sets, by peer key
	setsMu sync.Mutex
	regex  map[string]*regexpOrErr
	warns  diag.List
}

// New precomputes what it can of p over w: policy subjects of every world
// endpoint, compiled regular expressions and FQDN patterns, peer keys.
// Peer memberships are computed lazily, once per distinct peer.
func New(p *ir.Program, w *World) *Evaluator {
	if w == nil {
		w = &World{}
	}
	if p == nil {
		p = &ir.Program{}
	}
	e := &Evaluator{
		prog:     p,
		world:    w,
		nsLabels: map[string]map[string]string{},
		podIdx:   map[*Pod]int{},
		extIdx:   map[*External]int{},
		nodeIdx:  map[*Node]int{},
		byNS:     map[string][]*cpolicy{},
		sets:     map[string]*memberSet{},
		regex:    map[string]*regexpOrErr{},
	}
	e.indexWorld()
	for _, pol := range p.Policies {
		cp := e.compilePolicy(pol)
		e.policies = append(e.policies, cp)
		switch {
		case pol.Namespace != "":
			e.byNS[pol.Namespace] = append(e.byNS[pol.Namespace], cp)
		case pol.Subject.Nodes:
			e.nodePols = append(e.nodePols, cp)
		default:
			e.clusterPods = append(e.clusterPods, cp)
		}
	}
	e.subjects = make([][2]*subjectSide, len(e.eps))
	for i, ep := range e.eps {
		e.subjects[i] = e.computeSubject(ep)
	}
	return e
}

func (e *Evaluator) indexWorld() {
	w := e.world
	for _, ns := range w.Namespaces {
		e.addNamespace(ns.Name, ns.Labels)
	}
	for i := range w.Pods {
		p := &w.Pods[i]
		if _, ok := e.nsLabels[p.Namespace]; !ok {
			e.addNamespace(p.Namespace, nil)
		}
		e.podIdx[p] = len(e.eps)
		e.eps = append(e.eps, PodEndpoint(p))
	}
	for i := range w.Externals {
		x := &w.Externals[i]
		e.extIdx[x] = len(e.eps)
		e.eps = append(e.eps, ExternalEndpoint(x))
	}
	local := false
	for i := range w.Nodes {
		n := &w.Nodes[i]
		local = local || n.Local
		e.nodeIdx[n] = len(e.eps)
		e.eps = append(e.eps, NodeEndpoint(n))
	}
	e.apiIdx = len(e.eps)
	e.eps = append(e.eps, APIServer())
	e.hostIdx = -1
	if !local {
		e.hostIdx = len(e.eps)
		e.eps = append(e.eps, LocalHost())
	}
	for name := range e.nsLabels {
		e.nsNames = append(e.nsNames, name)
	}
	sort.Strings(e.nsNames)
}

func (e *Evaluator) addNamespace(name string, labels map[string]string) {
	l := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		l[k] = v
	}
	l[NamespaceNameLabel] = name
	e.nsLabels[name] = l
}

// namespaceLabels returns the labels of namespace name, including the
// implicit name label, also for a namespace the world does not list.
func (e *Evaluator) namespaceLabels(name string) map[string]string {
	if l, ok := e.nsLabels[name]; ok {
		return l
	}
	return map[string]string{NamespaceNameLabel: name}
}

// Program returns the program e evaluates.
func (e *Evaluator) Program() *ir.Program { return e.prog }

// World returns the world e evaluates over.
func (e *Evaluator) World() *World { return e.world }

// Endpoints returns every endpoint of the world: pods, externals, nodes
// (in World order), the kube-apiserver and, unless a node is Local, the
// local host.
func (e *Evaluator) Endpoints() []Endpoint {
	out := make([]Endpoint, len(e.eps))
	copy(out, e.eps)
	return out
}

// Pod returns the endpoint of the world's pod namespace/name.
func (e *Evaluator) Pod(namespace, name string) (Endpoint, bool) {
	for i := range e.world.Pods {
		p := &e.world.Pods[i]
		if p.Namespace == namespace && p.Name == name {
			return PodEndpoint(p), true
		}
	}
	return Endpoint{}, false
}

// Warnings returns what New could not compile (invalid regular expressions or
// FQDN patterns); the rules concerned match no request.
func (e *Evaluator) Warnings() diag.List { return e.warns }

// index returns the world index of ep, or -1 if ep is not one of the world's
// endpoints.
func (e *Evaluator) index(ep Endpoint) int {
	switch ep.Kind {
	case EndpointPod:
		if i, ok := e.podIdx[ep.Pod]; ok {
			return i
		}
	case EndpointExternal:
		if i, ok := e.extIdx[ep.External]; ok {
			return i
		}
	case EndpointNode:
		if i, ok := e.nodeIdx[ep.Node]; ok {
			return i
		}
	case EndpointAPIServer:
		return e.apiIdx
	case EndpointHost:
		return e.hostIdx
	}
	return -1
}

// valid reports whether ep carries the pointer its kind needs.
func (ep Endpoint) valid() bool {
	switch ep.Kind {
	case EndpointPod:
		return ep.Pod != nil
	case EndpointExternal:
		return ep.External != nil
	case EndpointNode:
		return ep.Node != nil
	case EndpointAPIServer, EndpointHost:
		return true
	}
	return false
}

// subjectSide is what the policies selecting one endpoint say for one
// direction.
type subjectSide struct {
	isolatedBy []*ir.Policy
	rules      []*crule // TierDefault rules of that direction, policy and rule order
	// ordered holds the rules of that direction of the TierOrdered policies,
	// in ir.OrderLess order; passed the Allow rules of rules that decide
	// after a Pass: those of namespaced policies isolating the direction.
	ordered, passed []*crule
}

// computeSubject returns the ingress and egress subject sides of ep; nil
// entries when no policy selects ep (the side allows everything). A
// direction with policies but neither isolation nor rules still gets a
// non-nil side, so that Side.Governed is reported.
func (e *Evaluator) computeSubject(ep Endpoint) [2]*subjectSide {
	var cands []*cpolicy
	switch ep.Kind {
	case EndpointPod:
		ns := e.byNS[ep.Pod.Namespace]
		cands = make([]*cpolicy, 0, len(ns)+len(e.clusterPods))
		cands = append(append(cands, ns...), e.clusterPods...)
	case EndpointNode, EndpointHost:
		cands = e.nodePols
	}
	var pols []*cpolicy
	for _, cp := range cands {
		if e.selects(cp, ep) {
			pols = append(pols, cp)
		}
	}
	var out [2]*subjectSide
	if len(pols) == 0 {
		return out
	}
	// Keep program order across namespaced and cluster-wide policies.
	sort.SliceStable(pols, func(i, j int) bool { return pols[i].order < pols[j].order })
	for d := range out {
		s := &subjectSide{}
		for _, cp := range pols {
			if cp.p.Tier == ir.TierOrdered {
				s.ordered = append(s.ordered, cp.byDir[d]...)
				continue
			}
			iso := isolates(cp.p.Isolation, ir.Direction(d))
			if iso {
				s.isolatedBy = append(s.isolatedBy, cp.p)
			}
			s.rules = append(s.rules, cp.byDir[d]...)
			if iso && cp.p.Namespace != "" {
				for _, r := range cp.byDir[d] {
					if r.r.Action == ir.Allow {
						s.passed = append(s.passed, r)
					}
				}
			}
		}
		sort.SliceStable(s.ordered, func(i, j int) bool {
			a, b := s.ordered[i], s.ordered[j]
			return ir.OrderLess(a.pol, a.r, b.pol, b.r)
		})
		out[d] = s
	}
	return out
}

// selects reports whether policy cp applies to ep.
func (e *Evaluator) selects(cp *cpolicy, ep Endpoint) bool {
	switch ep.Kind {
	case EndpointPod:
		p := ep.Pod
		switch {
		case cp.p.Subject.Nodes:
			return false
		case cp.p.Namespace != "":
			return p.Namespace == cp.p.Namespace && cp.subjectPods.Matches(p.Labels)
		}
		return (cp.subjectNS == nil || cp.subjectNS.Matches(e.namespaceLabels(p.Namespace))) && cp.subjectPods.Matches(p.Labels)
	case EndpointNode, EndpointHost:
		labels, _ := ep.nodeLabels()
		return cp.p.Namespace == "" && cp.p.Subject.Nodes && cp.subjectPods.Matches(labels)
	}
	return false
}

func isolates(iso ir.Isolation, d ir.Direction) bool {
	if d == ir.Egress {
		return iso.Egress
	}
	return iso.Ingress
}

// Decide decides f. See the package documentation for the semantics.
func (e *Evaluator) Decide(f Flow) Verdict {
	var v Verdict
	v.Egress = e.side(&f, ir.Egress, f.From, f.To)
	v.Ingress = e.side(&f, ir.Ingress, f.To, f.From)
	v.Allowed = v.Egress.Allowed && v.Ingress.Allowed
	v.L7Restricted = v.Allowed && (v.Egress.L7 == L7Restricted || v.Ingress.L7 == L7Restricted)
	return v
}

// side decides the side of subject (in direction d) against peer.
func (e *Evaluator) side(f *Flow, d ir.Direction, subject, peer Endpoint) Side {
	if !subject.valid() || !peer.valid() {
		return Side{}
	}
	var ss *subjectSide
	if i := e.index(subject); i >= 0 {
		ss = e.subjects[i][d]
	} else {
		ss = e.computeSubject(subject)[d]
	}
	if ss == nil {
		return Side{Allowed: true}
	}
	s := Side{Governed: true, Isolated: len(ss.isolatedBy) > 0, IsolatedBy: ss.isolatedBy}
	peerIdx := e.index(peer)
	rules := ss.rules
	for _, r := range ss.ordered {
		if !e.trafficMatch(r, f).match || !e.anyPeerMatches(r, peer, peerIdx) {
			continue
		}
		s.Ordered, s.OrderedPolicy = r.r, r.pol
		switch r.r.Action {
		case ir.Allow:
			s.AllowedBy, s.Allowed = []*ir.Rule{r.r}, true
			return s
		case ir.Deny:
			s.DeniedBy = []*ir.Rule{r.r}
			return s
		}
		rules = ss.passed
		break
	}
	hasRequest := f.HTTP != nil || f.DNSName != ""
	l7Open, l7Accepted := false, false
	for _, r := range rules {
		m := e.trafficMatch(r, f)
		if !m.match || !e.anyPeerMatches(r, peer, peerIdx) {
			continue
		}
		if r.r.Action == ir.Deny {
			s.DeniedBy = append(s.DeniedBy, r.r)
			continue
		}
		s.AllowedBy = append(s.AllowedBy, r.r)
		if !m.restricted {
			l7Open = true
			continue
		}
		s.L7By = append(s.L7By, r.r)
		l7Accepted = l7Accepted || m.accepted
	}
	switch {
	case len(s.AllowedBy) == 0 || l7Open:
		s.L7, s.L7By = L7None, nil
	case !hasRequest:
		s.L7 = L7Restricted
	case l7Accepted:
		s.L7 = L7Allowed
	default:
		s.L7 = L7Denied
	}
	s.Allowed = len(s.DeniedBy) == 0 && (!s.Isolated || len(s.AllowedBy) > 0) && s.L7 != L7Denied
	return s
}

func (e *Evaluator) anyPeerMatches(r *crule, peer Endpoint, peerIdx int) bool {
	for _, cp := range r.peers {
		if e.peerMatches(cp, peer, peerIdx) {
			return true
		}
	}
	return false
}

// Select returns the world endpoints matching peer, with namespace as the
// scope of NamespacePolicy pod peers ("" meaning any namespace), in
// Endpoints order.
func (e *Evaluator) Select(peer ir.Peer, namespace string) []Endpoint {
	cp := e.compilePeer(&peer, namespace)
	var out []Endpoint
	for i, ep := range e.eps {
		if e.peerMatches(cp, ep, i) {
			out = append(out, ep)
		}
	}
	return out
}
