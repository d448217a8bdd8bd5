// Package testplan derives connectivity probes from a program: the flows to
// try in a cluster, each with the verdict the evaluator (compile/eval) gives
// it and the source lines that decide it. A plan catches a wrong or missing
// policy: it probes every expectation of the program and, for every rule,
// the ports it allows, their neighbours, another protocol, pods in no rule,
// pods matching only one half of a namespace AND pod peer, the edges of
// CIDR blocks and of their excepts, and the cluster DNS server.
//
// Verdicts are L4 verdicts (eval.Verdict.Allowed for a flow without an HTTP
// request or DNS lookup): the plan probes connections, not requests. ICMP
// rules and expectations, expectations over every port, and flows from or to
// nodes, the local host and the kube-apiserver are not probed; Plan.Skipped
// says which and where.
//
// The plan's world is the world given (or the program's representative
// world) extended with the pods and external addresses the probes need. Pods
// the plan adds, and pods without an address, get addresses from
// 10.244.0.0/16 (then 100.64.0.0/10; see Options.PodRanges) that no CIDR
// peer of the program matches and that no other endpoint uses.
package testplan

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/source"
)

// Reasons say why a probe is in a plan. They are stable tokens (documented in
// docs/testplan.md).
const (
	// ReasonExpect: an expect statement of the program (Origin is it).
	ReasonExpect = "expect"
	// ReasonPortAllowed: a port (first and last of a range, a named port
	// resolved on the destination) of a rule, between a subject pod and a
	// peer endpoint of the rule.
	ReasonPortAllowed = "port"
	// ReasonPortNeighbour: the port next to a rule's port (after its last,
	// or before its first when the last is 65535), not in the rule.
	ReasonPortNeighbour = "port-neighbour"
	// ReasonOtherProtocol: a rule's port with another protocol (TCP for
	// UDP and SCTP, UDP for TCP), when the rule does not list it.
	ReasonOtherProtocol = "other-protocol"
	// ReasonStranger: a pod matching no peer of any rule (no labels) in
	// place of the rule's peer or subject, on the rule's first port.
	ReasonStranger = "stranger"
	// ReasonPodsOnly: a pod with the labels of a pod peer in a namespace the
	// peer does not select (only the pod half of the AND matches).
	ReasonPodsOnly = "pods-only"
	// ReasonNamespaceOnly: a pod of a namespace a pod peer selects, without
	// the peer's pod labels (only the namespace half matches).
	ReasonNamespaceOnly = "namespace-only"
	// ReasonCIDREdge: the first and last usable addresses of a CIDR peer
	// (network and broadcast addresses excluded for blocks larger than /31).
	ReasonCIDREdge = "cidr-edge"
	// ReasonCIDROutside: the addresses just before and just after a CIDR
	// peer's block.
	ReasonCIDROutside = "cidr-outside"
	// ReasonExceptEdge: the first and last addresses of an except of a CIDR
	// peer.
	ReasonExceptEdge = "except-edge"
	// ReasonDNS: the cluster DNS server's pods on the DNS port, UDP and TCP,
	// from a pod of a policy that allows DNS ("allow dns").
	ReasonDNS = "dns"
)

// Reasons returns every reason, in the order documented.
func Reasons() []string {
	return []string{
		ReasonExpect, ReasonPortAllowed, ReasonPortNeighbour, ReasonOtherProtocol,
		ReasonStranger, ReasonPodsOnly, ReasonNamespaceOnly, ReasonCIDREdge,
		ReasonCIDROutside, ReasonExceptEdge, ReasonDNS,
	}
}

// AnyPort is the port probed for a rule allowing every port of a protocol
// (or all traffic).
const AnyPort = 80

// Options tunes New. The zero value is the default.
type Options struct {
	// StrangerLabels are the labels of the pods the plan adds as pods in no
	// rule (default: none). A world whose pods all carry some key (so that
	// an evaluator reading NotIn on a missing key differently agrees) can
	// give them that key here.
	StrangerLabels map[string]string
	// NamespaceLabels are the labels of the namespaces the plan adds
	// (default: none).
	NamespaceLabels map[string]string
	// PodRanges are where pods without an address get one, in order
	// (default: 10.244.0.0/16, then, for programs whose CIDR peers match
	// all of it, 100.64.0.0/10).
	PodRanges []netip.Prefix
}

// Plan is the probes of a program over a world.
type Plan struct {
	// World is the world the probes point into: the world given to New (or
	// the representative world), copied and extended.
	World *eval.World
	// Probes in a deterministic order: expectations in program order, then
	// rules in program order; no two probes have the same flow.
	Probes []Probe
	// Added says, per pod of World, why the plan added it (AddedStranger,
	// AddedPodsOnly, AddedPeer); "" for a pod of the world given.
	Added []string
	// Skipped says what the plan does not probe, in program order.
	Skipped []Skip
	// Warnings say where the plan's verdicts may differ from a cluster's.
	Warnings []string
}

// Why a plan adds a pod to the world.
const (
	// AddedStranger: the pod of a namespace in no rule (no labels, or
	// Options.StrangerLabels).
	AddedStranger = "stranger"
	// AddedPodsOnly: a copy of a pod peer's pod in a namespace the peer does
	// not select.
	AddedPodsOnly = "pods-only"
	// AddedPeer: a copy of a subject pod that is also the only pod of a
	// rule's peer (a pod does not probe itself).
	AddedPeer = "peer"
)

// Probe is one flow to try and the verdict expected.
type Probe struct {
	// Flow goes from and to endpoints of Plan.World: pods
	// (eval.PodEndpoint(&plan.World.Pods[i])) and externals. It carries no
	// HTTP request and no DNS lookup.
	Flow eval.Flow
	// Allowed is eval.New(prog, plan.World).Decide(Flow).Allowed.
	Allowed bool
	// Reason is why the probe is in the plan (one of Reasons()).
	Reason string
	// Source lists, as "file:line" separated by ", ", what decides the
	// verdict: for an allowed flow the allow rules of both sides, for a
	// denied flow the deny rules or else the isolating policies of the
	// sides that deny. "" when no rule or policy decides (see Note).
	Source string
	// Origin is the "file:line" of the statement the probe was derived
	// from: the expect statement or the rule.
	Origin string
	// Note explains a side allowed without a rule: "egress of ns/pod not
	// isolated" or "ingress of ns/pod not governed", joined by "; ".
	Note string
}

// PodToPod reports whether both ends of the probe are pods.
func (p *Probe) PodToPod() bool {
	return p.Flow.From.Kind == eval.EndpointPod && p.Flow.To.Kind == eval.EndpointPod
}

// Skip is something of the program the plan does not probe.
type Skip struct {
	Source string `json:"source"` // "file:line"
	What   string `json:"what"`   // what is not probed and why
}

// New builds the probes for prog over w. w may be nil: the plan's world is
// then eval.RepresentativeWorld(prog). w is not modified: the plan's world is
// a copy of it extended with the pods the probes need (a pod in no rule per
// namespace, pods matching only one half of an AND peer) and the external
// addresses of CIDR edges. Every pod of Plan.World has an IP.
func New(prog *ir.Program, w *eval.World, opts Options) (*Plan, error) {
	if prog == nil {
		return nil, fmt.Errorf("testplan: no program")
	}
	var base *eval.World
	synthetic := w == nil
	if synthetic {
		base = eval.RepresentativeWorld(prog)
	} else {
		base = copyWorld(w)
	}
	b := newBuilder(prog, base, opts)
	if err := b.checkWorld(); err != nil {
		return nil, err
	}
	for _, x := range prog.Expectations {
		b.expectation(x)
	}
	for _, pol := range prog.Policies {
		b.policy(pol)
	}
	if err := b.assignIPs(synthetic); err != nil {
		return nil, err
	}
	return b.finish(), nil
}

// ref is an endpoint of the world being built: a pod or an external, by
// index (pointers move while the world grows).
type ref struct {
	kind eval.EndpointKind
	i    int
}

type cand struct {
	from, to ref
	proto    ir.Protocol
	port     uint16
	reason   string
	origin   source.Span
}

func (c *cand) key() string {
	return fmt.Sprintf("%d.%d>%d.%d:%d/%s", c.from.kind, c.from.i, c.to.kind, c.to.i, c.port, c.proto)
}

type builder struct {
	prog *ir.Program
	opts Options
	w    *eval.World
	base *eval.Evaluator // over the world as given, before additions

	podRef map[*eval.Pod]int      // base pod pointers -> index
	extRef map[*eval.External]int // base external pointers -> index
	extIP  map[netip.Addr]int     // external address -> index
	pods   map[string]int         // "ns/name" -> index
	nsIdx  map[string]int         // namespace -> index in w.Namespaces

	strangers map[string]int // namespace -> index of its stranger pod
	twins     map[int]int    // subject pod -> index of its twin (AddedPeer)
	added     map[int]string // pods the plan added -> why

	cands    []cand
	warnings []string
	seen     map[string]bool
	skipped  []Skip
	skipKey  map[string]bool
}

func newBuilder(prog *ir.Program, w *eval.World, opts Options) *builder {
	b := &builder{
		prog:      prog,
		opts:      opts,
		w:         w,
		base:      eval.New(prog, w),
		podRef:    map[*eval.Pod]int{},
		extRef:    map[*eval.External]int{},
		extIP:     map[netip.Addr]int{},
		pods:      map[string]int{},
		nsIdx:     map[string]int{},
		strangers: map[string]int{},
		twins:     map[int]int{},
		added:     map[int]string{},
		seen:      map[string]bool{},
		skipKey:   map[string]bool{},
	}
	for i := range w.Pods {
		b.podRef[&w.Pods[i]] = i
		b.pods[w.Pods[i].Namespace+"/"+w.Pods[i].Name] = i
	}
	for i := range w.Externals {
		b.extRef[&w.Externals[i]] = i
		if _, ok := b.extIP[w.Externals[i].IP]; !ok {
			b.extIP[w.Externals[i].IP] = i
		}
	}
	for i, ns := range w.Namespaces {
		b.nsIdx[ns.Name] = i
	}
	// Namespaces used by pods but not listed exist with only their name
	// label: list them, so that the plan's world names every namespace.
	for _, p := range w.Pods {
		b.namespace(p.Namespace, nil)
	}
	return b
}

// checkWorld refuses worlds whose pods cannot be told apart.
func (b *builder) checkWorld() error {
	seen := map[string]bool{}
	for _, p := range b.w.Pods {
		k := p.Namespace + "/" + p.Name
		if seen[k] {
			return worldErrorf("duplicate pod %s", k)
		}
		seen[k] = true
	}
	return nil
}

func (b *builder) namespace(name string, labels map[string]string) {
	if _, ok := b.nsIdx[name]; ok {
		return
	}
	b.nsIdx[name] = len(b.w.Namespaces)
	b.w.Namespaces = append(b.w.Namespaces, eval.Namespace{Name: name, Labels: labels})
}

func (b *builder) nsLabels(name string) map[string]string {
	l := map[string]string{}
	if i, ok := b.nsIdx[name]; ok {
		for k, v := range b.w.Namespaces[i].Labels {
			l[k] = v
		}
	}
	l[eval.NamespaceNameLabel] = name
	return l
}

func (b *builder) skip(span source.Span, format string, args ...any) {
	s := Skip{Source: spanString(span), What: fmt.Sprintf(format, args...)}
	k := s.Source + "|" + s.What
	if b.skipKey[k] {
		return
	}
	b.skipKey[k] = true
	b.skipped = append(b.skipped, s)
}

func (b *builder) add(c cand) {
	if c.from == c.to { // a pod talking to itself never leaves it
		return
	}
	if c.proto == "" {
		c.proto = ir.TCP
	}
	k := c.key()
	if b.seen[k] {
		return
	}
	b.seen[k] = true
	b.cands = append(b.cands, c)
}

// refOf returns the ref of an endpoint of the base world.
func (b *builder) refOf(ep eval.Endpoint) (ref, bool) {
	switch ep.Kind {
	case eval.EndpointPod:
		if i, ok := b.podRef[ep.Pod]; ok {
			return ref{eval.EndpointPod, i}, true
		}
	case eval.EndpointExternal:
		if i, ok := b.extRef[ep.External]; ok {
			return ref{eval.EndpointExternal, i}, true
		}
	}
	return ref{}, false
}

func (b *builder) pod(r ref) *eval.Pod {
	if r.kind != eval.EndpointPod {
		return nil
	}
	return &b.w.Pods[r.i]
}

// external returns the ref of the external with address ip, adding it.
func (b *builder) external(ip netip.Addr) ref {
	if i, ok := b.extIP[ip]; ok {
		return ref{eval.EndpointExternal, i}
	}
	b.extIP[ip] = len(b.w.Externals)
	b.w.Externals = append(b.w.Externals, eval.External{IP: ip})
	return ref{eval.EndpointExternal, len(b.w.Externals) - 1}
}

// addPod adds a pod to the world (unique name in its namespace) and returns
// its index.
func (b *builder) addPod(why, ns, name string, labels map[string]string, ports []eval.ContainerPort) int {
	b.namespace(ns, nil)
	base := name
	for i := 2; ; i++ {
		if _, ok := b.pods[ns+"/"+name]; !ok {
			break
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
	i := len(b.w.Pods)
	b.w.Pods = append(b.w.Pods, eval.Pod{Namespace: ns, Name: name, Labels: labels, Ports: ports})
	b.pods[ns+"/"+name] = i
	b.added[i] = why
	return i
}

// stranger returns the pod of namespace ns without labels, adding it.
func (b *builder) stranger(ns string) ref {
	if i, ok := b.strangers[ns]; ok {
		return ref{eval.EndpointPod, i}
	}
	labels := copyLabels(b.opts.StrangerLabels)
	if labels == nil {
		labels = map[string]string{}
	}
	i := b.addPod(AddedStranger, ns, "stranger", labels, nil)
	b.strangers[ns] = i
	return ref{eval.EndpointPod, i}
}

func (b *builder) finish() *Plan {
	plan := &Plan{World: b.w, Skipped: b.skipped, Warnings: b.warnings, Added: make([]string, len(b.w.Pods))}
	for i, why := range b.added {
		plan.Added[i] = why
	}
	e := eval.New(b.prog, b.w)
	for _, c := range b.cands {
		f := eval.Flow{From: b.endpoint(c.from), To: b.endpoint(c.to), Protocol: c.proto, Port: c.port}
		v := e.Decide(f)
		src, note := explain(f, v)
		plan.Probes = append(plan.Probes, Probe{
			Flow:    f,
			Allowed: v.Allowed,
			Reason:  c.reason,
			Source:  src,
			Origin:  spanString(c.origin),
			Note:    note,
		})
	}
	return plan
}

func (b *builder) endpoint(r ref) eval.Endpoint {
	if r.kind == eval.EndpointPod {
		return eval.PodEndpoint(&b.w.Pods[r.i])
	}
	return eval.ExternalEndpoint(&b.w.Externals[r.i])
}

// explain returns the Source and Note of a verdict.
func explain(f eval.Flow, v eval.Verdict) (string, string) {
	var spans []source.Span
	var notes []string
	sides := []struct {
		s   *eval.Side
		dir ir.Direction
		ep  eval.Endpoint
	}{{&v.Egress, ir.Egress, f.From}, {&v.Ingress, ir.Ingress, f.To}}
	for _, sd := range sides {
		s := sd.s
		if !v.Allowed && s.Allowed {
			continue // only the sides that deny explain a denial
		}
		if o := s.Ordered; o != nil && o.Action == ir.Pass {
			// The pass, then what decides among the namespace policies.
			spans = append(spans, o.Span)
		}
		switch {
		case len(s.DeniedBy) > 0:
			for _, r := range s.DeniedBy {
				spans = append(spans, r.Span)
			}
		case len(s.AllowedBy) > 0:
			for _, r := range s.AllowedBy {
				spans = append(spans, r.Span)
			}
		case s.Isolated:
			for _, p := range s.IsolatedBy {
				spans = append(spans, p.Span)
			}
		case !s.Governed:
			if sd.ep.Kind == eval.EndpointPod {
				notes = append(notes, fmt.Sprintf("%s of %s not governed", sd.dir, sd.ep))
			}
		default:
			notes = append(notes, fmt.Sprintf("%s of %s not isolated", sd.dir, sd.ep))
		}
	}
	return spansString(spans), strings.Join(notes, "; ")
}

func spanString(s source.Span) string {
	if !s.IsValid() {
		return s.File
	}
	return fmt.Sprintf("%s:%d", s.File, s.Start.Line)
}

// spansString renders spans as sorted, unique "file:line" joined by ", ".
func spansString(spans []source.Span) string {
	sort.SliceStable(spans, func(i, j int) bool { return source.Less(spans[i], spans[j]) })
	var out []string
	for _, s := range spans {
		str := spanString(s)
		if str == "" || (len(out) > 0 && out[len(out)-1] == str) {
			continue
		}
		out = append(out, str)
	}
	return strings.Join(out, ", ")
}
