package netpolapi

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// tier is the tier of an admin object.
type tier int

const (
	adminTier tier = iota
	baselineTier
)

// role says why an admin object exists; it names the object.
type role int

const (
	roleOrdered role = iota // a run of an ordered block
	roleDeny                // the deny rules of a TierDefault policy
	roleAccept              // its cluster-wide or non-isolating allows
	roleIsolate             // cluster-wide isolation (baseline)
)

// adminObject is one admin object to write, in target-neutral form.
type adminObject struct {
	tier     tier
	role     role
	priority int32 // 0 for the v1alpha1 baseline
	pol      *ir.Policy
	ingress  []rule
	egress   []rule
	spans    []source.Span
}

// rule is one rule of an admin object: action, peers (OR-ed) and ports
// (OR-ed; nil is all traffic).
type rule struct {
	span   source.Span
	action ir.Action
	peers  []peer
	ports  []port
	// notEnforced says what a degraded rule does not enforce (the
	// object's netpolc.io/not-enforced annotation).
	notEnforced []string
}

// peerKind says which field of a peer is set.
type peerKind int

const (
	peerNamespaces peerKind = iota // every pod of the namespaces
	peerPods                       // pods in namespaces
	peerNetworks                   // IP prefixes
	peerNodes                      // nodes by label
	peerDomains                    // DNS names
)

// peer is one peer of a rule, in the API's terms.
type peer struct {
	kind       peerKind
	namespaces metav1.LabelSelector // peerNamespaces, peerPods
	pods       metav1.LabelSelector // peerPods; nodes for peerNodes
	values     []string             // networks or domain names
}

// port is one port entry: a named port, or a protocol with a number or a
// range (end > start).
type port struct {
	protocol   ir.Protocol // TCP, UDP or SCTP; "" for a named port
	name       string
	start, end int32
}

// limits are the list sizes the CRDs of a version accept.
type limits struct {
	rules, peers, ports int // per direction of an object, per rule, per rule
}

// maxValues is the most networks or domain names of one peer (every
// version).
const maxValues = 25

func limitsOf(version string) limits {
	if version == V1Alpha1 {
		return limits{rules: 100, peers: 100, ports: 100}
	}
	return limits{rules: 25, peers: 25, ports: 25}
}

// planned is what a program becomes: the admin objects in order
// (ordered, deny, accept), the baseline objects, and the NetworkPolicy
// part as a program for package k8s.
type planned struct {
	admin    []*adminObject
	baseline []*adminObject
	np       *ir.Program
}

// config is what a plan depends on besides the program.
type config struct {
	version string
	// cluster are the cluster's own address ranges (--cluster-cidrs).
	cluster []netip.Prefix
	// degradeNetworks writes CIDRs that may hold cluster addresses as
	// networks (--degrade cidr=networks); degradeNamed writes named ports
	// with a protocol as the API's named ports (--degrade
	// named-port=any-protocol).
	degradeNetworks, degradeNamed bool
	// quiet leaves out the warnings of degraded rules (Emit: Prepare
	// gave them).
	quiet bool
}

// planner collects the plan and its diagnostics.
type planner struct {
	config
	lim     limits
	hasPass bool // the program has pass rules
	diags   diag.List
}

// hasPass reports whether p has a pass rule.
func hasPass(p *ir.Program) bool {
	for _, pol := range p.Policies {
		for _, r := range pol.Rules {
			if r.Action == ir.Pass {
				return true
			}
		}
	}
	return false
}

// adminAllow reports whether the allow rule r of the TierDefault policy pol
// is an admin Accept rule: a cluster-wide or non-isolating allow, or an
// allow of a namespace's isolated direction that NetworkPolicy cannot
// write (DNS names, nodes) in a program without pass rules. Such an allow
// decides exactly as an Accept after every deny: it admits what it
// matches whatever isolates the pod, and what it does not match goes on to
// the namespace's NetworkPolicies; only a pass rule, which skips admin
// Accepts but not the namespaces' isolating allows, tells them apart.
func (pl *planner) adminAllow(pol *ir.Policy, r *ir.Rule) bool {
	if pol.Namespace == "" || !isolated(pol, r.Direction) {
		return true
	}
	return !pl.hasPass && slices.ContainsFunc(r.Peers, func(p ir.Peer) bool {
		return p.Kind == ir.PeerFQDN || p.Kind == ir.PeerNodes || (p.Kind == ir.PeerEntity && !isWorld(p.Entity))
	})
}

// plan splits p into admin objects and the NetworkPolicy part, and reports
// every construct the target cannot write (errors) and what the output
// means beyond the source (warnings).
func plan(p *ir.Program, cfg config) (*planned, diag.List) {
	pl := &planner{config: cfg, lim: limitsOf(cfg.version)}
	out := &planned{}

	type ordered struct {
		pol *ir.Policy
		r   *ir.Rule
	}
	blocks := map[int32][]ordered{}
	pl.hasPass = hasPass(p)
	var denyPols, acceptPols, isolatePols []*ir.Policy
	npPols := make([]*ir.Policy, 0, len(p.Policies))
	for _, pol := range p.Policies {
		if pol.Subject.Nodes {
			continue // CheckCapabilities reports node subjects
		}
		for _, r := range pol.Rules {
			pl.checkLookups(r)
		}
		if pol.Tier == ir.TierOrdered {
			for _, r := range pol.Rules {
				blocks[pol.Priority] = append(blocks[pol.Priority], ordered{pol, r})
			}
			continue
		}
		var npRules []*ir.Rule
		deny, accept := false, false
		for _, r := range pol.Rules {
			switch {
			case r.Action == ir.Pass:
				pl.diags.Errorf(codeUnsupported, r.Span, msgPassDefault)
			case r.Action == ir.Deny:
				deny = true
			case pl.adminAllow(pol, r):
				accept = true
			default:
				npRules = append(npRules, r)
				pl.checkNetworkPolicyRule(r)
			}
		}
		if deny {
			denyPols = append(denyPols, pol)
		}
		if accept {
			acceptPols = append(acceptPols, pol)
		}
		if pol.Namespace == "" {
			if pol.Isolation.Ingress {
				pl.diags.Errorf(codeUnsupported, pol.Span, msgIngressIsolation).Detail = detailIngressIsolation
			}
			if pol.Isolation.Egress {
				isolatePols = append(isolatePols, pol)
			}
			continue
		}
		if pol.Isolation.Ingress || pol.Isolation.Egress || len(npRules) > 0 {
			np := *pol
			np.Rules = npRules
			npPols = append(npPols, &np)
		}
	}
	npProg := *p
	npProg.Policies = npPols
	out.np = &npProg

	// 1. Ordered blocks, by priority.
	prios := make([]int32, 0, len(blocks))
	for prio := range blocks {
		prios = append(prios, prio)
	}
	slices.Sort(prios)
	next := int32(0)
	for i, prio := range prios {
		rules := blocks[prio]
		sort.SliceStable(rules, func(a, b int) bool { return ir.RuleLess(rules[a].r, rules[b].r) })
		limit := int32(MaxPriority)
		limitWhy := fmt.Sprintf(whyMaxPriority, MaxPriority)
		if i+1 < len(prios) {
			limit = prios[i+1] - 1
			limitWhy = fmt.Sprintf(whyNextBlock, prios[i+1])
		}
		k := prio
		var last []*ir.Policy // the runs at priority k-1, as policies
		for start := 0; start < len(rules); {
			end := start
			for end < len(rules) && rules[end].pol == rules[start].pol {
				end++
			}
			pol := rules[start].pol
			run := make([]*ir.Rule, 0, end-start)
			for _, o := range rules[start:end] {
				run = append(run, o.r)
			}
			objs := pl.objects(adminTier, roleOrdered, pol, run)
			runPol := *pol
			runPol.Rules = run
			if k > limit && len(objs) == 1 && len(last) > 0 && pl.canShare(&runPol, last) {
				// No priority left, but the run cannot decide a
				// connection otherwise than the runs before it at k-1:
				// their order does not matter, and the API lets them
				// share it (imported objects of one priority are such).
				obj := objs[0]
				obj.priority = k - 1
				d := pl.diags.Warnf(codeSharedPriority, firstSpan(obj), msgSharedPriority, prio, k-1, k, limitWhy)
				d.Detail = detailSharedPriority
				out.admin = append(out.admin, obj)
				last = append(last, &runPol)
				start = end
				continue
			}
			for _, obj := range objs {
				if k > limit {
					d := pl.diags.Errorf(codeUnsupported, firstSpan(obj), msgBlockPriority, prio, k, limitWhy)
					d.Detail = fmt.Sprintf(detailBlockPriority, pl.lim.rules, prio, prio+1)
					break
				}
				obj.priority = k
				out.admin = append(out.admin, obj)
				k++
			}
			last = []*ir.Policy{&runPol}
			if len(objs) > 1 {
				last = nil // its objects are ordered among themselves
			}
			start = end
		}
		next = max(next, k)
	}

	// 2. The TierDefault rules of the admin tier: denies, then accepts.
	prio := next
	place := func(objs []*adminObject) {
		for _, obj := range objs {
			if prio > MaxPriority {
				pl.diags.Errorf(codeUnsupported, firstSpan(obj), msgNoPriority, MaxPriority).Detail = detailNoPriority
				return
			}
			obj.priority = prio
			out.admin = append(out.admin, obj)
			prio++
		}
	}
	for _, pol := range denyPols {
		var rules []*ir.Rule
		for _, r := range pol.Rules {
			if r.Action == ir.Deny {
				rules = append(rules, r)
			}
		}
		place(pl.objects(adminTier, roleDeny, pol, rules))
	}
	for _, pol := range acceptPols {
		var rules []*ir.Rule
		for _, r := range pol.Rules {
			if r.Action == ir.Allow && pl.adminAllow(pol, r) {
				rules = append(rules, r)
			}
		}
		place(pl.objects(adminTier, roleAccept, pol, rules))
	}

	// 3 is the NetworkPolicy part (npPols, above). 4. Cluster-wide
	// isolation: the baseline.
	for i, pol := range isolatePols {
		if pl.version == V1Alpha1 && i > 0 && !sameSubject(pol, isolatePols[0]) {
			d := pl.diags.Errorf(codeUnsupported, pol.Span, msgSecondBaseline)
			d.Detail = detailSecondBaseline
			d.Notes = append(d.Notes, diag.Note{Span: isolatePols[0].Span, Message: noteFirstBaseline})
			continue
		}
		obj := &adminObject{tier: baselineTier, role: roleIsolate, pol: pol, priority: int32(i), spans: []source.Span{pol.Span}}
		obj.egress = []rule{{span: pol.Span, action: ir.Deny, peers: []peer{{kind: peerNetworks, values: []string{"0.0.0.0/0", "::/0"}}}}}
		if pl.version == V1Alpha1 {
			obj.priority = 0
			if len(out.baseline) > 0 {
				out.baseline[0].spans = append(out.baseline[0].spans, pol.Span)
				continue
			}
		}
		out.baseline = append(out.baseline, obj)
	}
	return out, pl.diags
}

// canShare reports whether the run run may share a priority with the runs
// of others: no rule of it and of them may match one connection with
// different actions (conflict, as the importer judges ties), so that their
// order does not matter. CIDR peers are judged as addresses outside the
// cluster, which their networks are only when exact: with the cluster's
// ranges, or inside 169.254.0.0/16.
func (pl *planner) canShare(run *ir.Policy, others []*ir.Policy) bool {
	for _, o := range append([]*ir.Policy{run}, others...) {
		for _, r := range o.Rules {
			for _, p := range r.Peers {
				if p.Kind == ir.PeerCIDR && len(pl.cluster) == 0 && !outside(p.CIDR) {
					return false
				}
			}
		}
	}
	for _, o := range others {
		if ra, _ := conflict(run, o); ra != nil {
			return false
		}
	}
	return true
}

// isolated reports whether pol isolates direction d.
func isolated(pol *ir.Policy, d ir.Direction) bool {
	if d == ir.Ingress {
		return pol.Isolation.Ingress
	}
	return pol.Isolation.Egress
}

// sameSubject reports whether a and b select the same pods.
func sameSubject(a, b *ir.Policy) bool {
	if a.Namespace != b.Namespace || a.Subject.Nodes != b.Subject.Nodes || a.Subject.Pods.String() != b.Subject.Pods.String() {
		return false
	}
	if (a.Subject.Namespaces == nil) != (b.Subject.Namespaces == nil) {
		return false
	}
	return a.Subject.Namespaces == nil || a.Subject.Namespaces.String() == b.Subject.Namespaces.String()
}

func firstSpan(obj *adminObject) source.Span {
	for _, s := range obj.spans {
		if s.IsValid() {
			return s
		}
	}
	return obj.pol.Span
}

// objects converts the rules of pol (in order) and cuts them into objects
// of at most lim.rules rules per direction; the order of each direction
// is kept.
func (pl *planner) objects(t tier, ro role, pol *ir.Policy, rules []*ir.Rule) []*adminObject {
	var in, eg []rule
	var inSpans, egSpans [][]source.Span
	for _, r := range rules {
		conv := pl.rule(pol, r)
		for range conv {
			if r.Direction == ir.Ingress {
				inSpans = append(inSpans, []source.Span{r.Span})
			} else {
				egSpans = append(egSpans, []source.Span{r.Span})
			}
		}
		if r.Direction == ir.Ingress {
			in = append(in, conv...)
		} else {
			eg = append(eg, conv...)
		}
	}
	var out []*adminObject
	for i := 0; i < len(in) || i < len(eg); i += pl.lim.rules {
		obj := &adminObject{tier: t, role: ro, pol: pol}
		if i < len(in) {
			j := min(len(in), i+pl.lim.rules)
			obj.ingress = in[i:j]
			for _, s := range inSpans[i:j] {
				obj.spans = append(obj.spans, s...)
			}
		}
		if i < len(eg) {
			j := min(len(eg), i+pl.lim.rules)
			obj.egress = eg[i:j]
			for _, s := range egSpans[i:j] {
				obj.spans = append(obj.spans, s...)
			}
		}
		slices.SortFunc(obj.spans, func(a, b source.Span) int {
			if source.Less(a, b) {
				return -1
			}
			if source.Less(b, a) {
				return 1
			}
			return 0
		})
		out = append(out, obj)
	}
	return out
}

// rule converts one IR rule of an admin object into API rules: one, or
// several when its peers or ports exceed a rule's lists, or when named
// ports go to peers that are not pods (the API refuses named ports
// towards networks, nodes and DNS names; netpolc's named ports match pods
// only, so those peers keep the numbered ports). Consecutive rules of one
// action are exactly their union.
func (pl *planner) rule(pol *ir.Policy, r *ir.Rule) []rule {
	var podPeers, otherPeers []peer
	ok := true
	var widened []string
	for _, p := range r.Peers {
		conv, good := pl.peer(pol, r, p, &widened)
		ok = ok && good
		for _, c := range conv {
			if c.kind == peerPods || c.kind == peerNamespaces {
				podPeers = append(podPeers, c)
			} else {
				otherPeers = append(otherPeers, c)
			}
		}
	}
	if ok && r.Direction == ir.Egress && hasEveryNodePeer(r) && everyNode(pol, r) {
		otherPeers = append(otherPeers, peer{kind: peerNodes})
	}
	ports, named, anyProto := pl.ports(r)
	if !ok {
		return nil
	}
	var notEnforced []string
	if len(widened) > 0 {
		if !pl.quiet {
			pl.diags.Warnf(codeDegraded, r.Span, msgDegradedNetworks, strings.Join(widened, ", ")).Detail = detailDegradedNetworks
		}
		notEnforced = append(notEnforced, fmt.Sprintf(notEnforcedNetworks, strings.Join(widened, ", ")))
	}
	if len(anyProto) > 0 {
		if !pl.quiet {
			pl.diags.Warnf(codeDegraded, r.Span, msgDegradedNamed, strings.Join(anyProto, ", ")).Detail = detailDegradedNamed
		}
		notEnforced = append(notEnforced, fmt.Sprintf(notEnforcedNamed, strings.Join(anyProto, ", ")))
	}
	out := pl.split(r, podPeers, otherPeers, ports, named)
	for i := range out {
		out[i].notEnforced = notEnforced
	}
	return out
}

// split writes the peers and ports of r as rules: the pods with every
// port and the other peers with the numbered ports when r has named ports
// and peers that are not pods.
func (pl *planner) split(r *ir.Rule, podPeers, otherPeers []peer, ports []port, named bool) []rule {
	var out []rule
	if named && len(otherPeers) > 0 {
		out = append(out, pl.chunk(r, podPeers, ports)...)
		var numbered []port
		for _, p := range ports {
			if p.name == "" {
				numbered = append(numbered, p)
			}
		}
		if len(numbered) > 0 {
			out = append(out, pl.chunk(r, otherPeers, numbered)...)
		}
		return out
	}
	return pl.chunk(r, append(podPeers, otherPeers...), ports)
}

// chunk writes peers x ports as rules within the list limits.
func (pl *planner) chunk(r *ir.Rule, peers []peer, ports []port) []rule {
	if len(peers) == 0 {
		return nil
	}
	var out []rule
	for i := 0; i < len(peers); i += pl.lim.peers {
		ps := peers[i:min(len(peers), i+pl.lim.peers)]
		if ports == nil {
			out = append(out, rule{span: r.Span, action: r.Action, peers: ps})
			continue
		}
		for j := 0; j < len(ports); j += pl.lim.ports {
			out = append(out, rule{span: r.Span, action: r.Action, peers: ps, ports: ports[j:min(len(ports), j+pl.lim.ports)]})
		}
	}
	return out
}

// Every address of each family.
var (
	allIPv4 = netip.MustParsePrefix("0.0.0.0/0")
	allIPv6 = netip.MustParsePrefix("::/0")
)

// outsideRanges are the ranges that hold no pod, Service or node address
// in any cluster: IPv4 link-local (169.254.0.0/16: cloud metadata
// services, never a pod's or node's address), so networks in them match
// only what netpolc's CIDR peers match. IPv6 link-local (fe80::/10) is
// not among them: every interface of a pod and a node has such an
// address (docs/semantics.md, 5.3).
var outsideRanges = []netip.Prefix{netip.MustParsePrefix("169.254.0.0/16")}

// outside reports whether cidr lies inside outsideRanges.
func outside(cidr netip.Prefix) bool {
	for _, o := range outsideRanges {
		if o.Bits() <= cidr.Bits() && o.Contains(cidr.Addr()) {
			return true
		}
	}
	return false
}

// networks writes the CIDR peer p (addresses outside the cluster) as
// networks. Exactly: a CIDR in outsideRanges as it is; with the cluster's
// ranges, the CIDR minus its excepts and those ranges (an error when
// nothing is left: the CIDR can only mean cluster addresses). Otherwise
// the networks would also match the pods and nodes with addresses in the
// CIDR: an error, unless degraded (widened names the CIDR for the rule's
// warning).
func (pl *planner) networks(span source.Span, p ir.Peer, widened *[]string) ([]peer, bool) {
	switch {
	case outside(p.CIDR):
		return networkPeers(Complement(p.CIDR, p.Except)), true
	case len(pl.cluster) > 0:
		cut := append(slices.Clone(p.Except), pl.cluster...)
		out := Complement(p.CIDR, cut)
		if len(out) == 0 {
			pl.diags.Errorf(codeNetworksMatchPods, span, msgCIDRInCluster, describePeer(p), formatPrefixes(pl.cluster)).Detail = detailCIDRInCluster
			return nil, false
		}
		return networkPeers(out), true
	case pl.degradeNetworks:
		*widened = append(*widened, describePeer(p))
		return networkPeers(Complement(p.CIDR, p.Except)), true
	}
	pl.diags.Errorf(codeNetworksMatchPods, span, msgNetworksMatchPods, describePeer(p)).Detail = detailNetworksMatchPods
	return nil, false
}

func formatPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// everyNode reports whether rule r of pol names every node on its
// traffic: node{} and host (the other nodes and the pod's own), which is
// the API's nodes {}. The two may be peers of r or of the rules written
// with it in one source rule ("node{}:10250, host:10250": same span,
// direction, action and traffic), which are consecutive and so their
// union in every tier.
func everyNode(pol *ir.Policy, r *ir.Rule) bool {
	nodes, host := false, false
	key := trafficKey(r)
	for _, s := range pol.Rules {
		if s != r && (s.Span != r.Span || s.Direction != r.Direction || s.Action != r.Action || trafficKey(s) != key) {
			continue
		}
		for _, p := range s.Peers {
			nodes = nodes || (p.Kind == ir.PeerNodes && p.Pods.IsEmpty())
			host = host || (p.Kind == ir.PeerEntity && p.Entity == ir.EntityHost)
		}
	}
	return nodes && host
}

// hasEveryNodePeer reports whether r has the peer node{}.
func hasEveryNodePeer(r *ir.Rule) bool {
	return slices.ContainsFunc(r.Peers, func(p ir.Peer) bool { return p.Kind == ir.PeerNodes && p.Pods.IsEmpty() })
}

// trafficKey is the traffic of r (all, or its ports) as a string.
func trafficKey(r *ir.Rule) string {
	if r.AllTraffic {
		return "*"
	}
	var b strings.Builder
	for _, pr := range r.Ports {
		for _, p := range pr.Ports {
			b.WriteString(ir.FormatPort(p) + ",")
		}
		b.WriteString(";")
	}
	return b.String()
}

// isWorld reports whether e is a world entity.
func isWorld(e ir.Entity) bool {
	return e == ir.EntityWorld || e == ir.EntityWorldIPv4 || e == ir.EntityWorldIPv6
}

// peer converts one peer of a rule of an admin object; ok is false when
// it cannot be written (reported).
func (pl *planner) peer(pol *ir.Policy, r *ir.Rule, p ir.Peer, widened *[]string) ([]peer, bool) {
	span := p.Span
	if !span.IsValid() {
		span = r.Span
	}
	if r.Direction == ir.Ingress && p.Kind != ir.PeerPods {
		pl.diags.Errorf(codeUnsupported, span, msgIngressSource, describePeer(p), ruleKind(pol, r)).Detail = detailIngressSource
		return nil, false
	}
	switch p.Kind {
	case ir.PeerPods:
		ns := pl.namespaceSelector(pol, p.Namespace)
		if p.Pods.IsEmpty() {
			return []peer{{kind: peerNamespaces, namespaces: ns}}, true
		}
		return []peer{{kind: peerPods, namespaces: ns, pods: k8s.LabelSelector(p.Pods)}}, true
	case ir.PeerAny:
		return networkPeers([]netip.Prefix{allIPv4, allIPv6}), true
	case ir.PeerCIDR:
		return pl.networks(span, p, widened)
	case ir.PeerNodes, ir.PeerEntity:
		if everyNode(pol, r) && (p.Kind == ir.PeerNodes || p.Entity == ir.EntityHost) {
			// node{} and host: every node, which rule writes as one
			// nodes {}; other node peers of the rule are among them.
			return nil, true
		}
		if p.Kind == ir.PeerNodes {
			pl.diags.Errorf(codeUnsupported, span, msgNodePeer, describePeer(p)).Detail = detailNodePeer
			return nil, false
		}
		if p.Entity == ir.EntityHost {
			pl.diags.Errorf(codeUnsupported, span, msgHostPeer).Detail = detailNodePeer
			return nil, false
		}
	case ir.PeerFQDN:
		if r.Action != ir.Allow {
			pl.diags.Errorf(codeUnsupported, span, msgDomainAction, describePeer(p), r.Action).Detail = detailDomainAction
			return nil, false
		}
		name, ok := domainName(p.FQDN)
		if !ok {
			pl.diags.Errorf(codeUnsupported, span, msgDomainPattern, describePeer(p)).Detail = detailDomainPattern
			return nil, false
		}
		return []peer{{kind: peerDomains, values: []string{name}}}, true
	}
	d := pl.diags.Errorf(codeUnsupported, span, msgEgressPeer, describePeer(p), ruleKind(pol, r))
	d.Detail = detailEgressPeer
	if p.Kind == ir.PeerEntity && (p.Entity == ir.EntityWorld || p.Entity == ir.EntityWorldIPv4 || p.Entity == ir.EntityWorldIPv6) {
		d.Detail = detailWorldPeer
	}
	return nil, false
}

// networkPeers writes prefixes as networks peers of at most maxValues
// prefixes each.
func networkPeers(prefixes []netip.Prefix) []peer {
	var out []peer
	for i := 0; i < len(prefixes); i += maxValues {
		p := peer{kind: peerNetworks}
		for _, c := range prefixes[i:min(len(prefixes), i+maxValues)] {
			p.values = append(p.values, c.String())
		}
		out = append(out, p)
	}
	return out
}

// domainName is the API's form of a DNS name or pattern: exact names as
// they are, "**.x" as "*.x"; false when the API has no equivalent.
func domainName(f ir.FQDN) (string, bool) {
	if f.Exact {
		return f.Pattern, !strings.Contains(f.Pattern, "*")
	}
	if rest, ok := strings.CutPrefix(f.Pattern, "**."); ok {
		return "*." + rest, !strings.Contains(rest, "*")
	}
	return f.Pattern, !strings.Contains(f.Pattern, "*")
}

// namespaceSelector selects the namespaces of a pod peer of pol.
func (pl *planner) namespaceSelector(pol *ir.Policy, ref ir.NamespaceRef) metav1.LabelSelector {
	switch ref.Scope {
	case ir.NamespaceNamed:
		return nameSelector(ref.Name)
	case ir.NamespaceLabels:
		return k8s.LabelSelector(ref.Labels)
	}
	if pol.Namespace != "" {
		return nameSelector(pol.Namespace)
	}
	return metav1.LabelSelector{}
}

func nameSelector(ns string) metav1.LabelSelector {
	return metav1.LabelSelector{MatchLabels: map[string]string{k8s.NamespaceNameLabel: ns}}
}

// ports converts the ports of r; nil for all traffic. named reports a
// named port; degraded lists the named ports written for every protocol
// under --degrade named-port=any-protocol. A named port is exact when the
// rule names it for every protocol (/any, or TCP, UDP and SCTP): the API's
// named port matches the container port of that name whatever its
// protocol, and container ports have no other protocols. Otherwise it is
// an error (named-port-protocol), or degraded.
func (pl *planner) ports(r *ir.Rule) (out []port, named bool, degraded []string) {
	if r.AllTraffic {
		return nil, false, nil
	}
	protos := map[string]map[ir.Protocol]bool{}
	for _, pr := range r.Ports {
		for _, p := range pr.Ports {
			if p.Name != "" {
				if protos[p.Name] == nil {
					protos[p.Name] = map[ir.Protocol]bool{}
				}
				protos[p.Name][p.Protocol] = true
			}
		}
	}
	everyProtocol := func(name string) bool {
		m := protos[name]
		return m[ir.ProtoAny] || (m[ir.TCP] && m[ir.UDP] && m[ir.SCTP])
	}
	reported := map[string]bool{}
	seen := map[port]bool{}
	add := func(p port) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, pr := range r.Ports {
		for _, p := range pr.Ports {
			if p.Name != "" {
				named = true
				if !everyProtocol(p.Name) && !reported[p.Name] {
					reported[p.Name] = true
					if pl.degradeNamed {
						degraded = append(degraded, p.Name+"/"+string(p.Protocol))
					} else {
						span := p.Span
						if !span.IsValid() {
							span = r.Span
						}
						d := pl.diags.Errorf(codeNamedPortProtocol, span, msgNamedPortProtocol, p.Name, p.Protocol)
						d.Detail = fmt.Sprintf(detailNamedPortProtocol, p.Name, p.Name, p.Protocol)
					}
				}
				add(port{name: p.Name})
				continue
			}
			protos := []ir.Protocol{p.Protocol}
			if p.Protocol == ir.ProtoAny {
				protos = []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP}
			}
			for _, proto := range protos {
				switch {
				case p.Port == 0:
					add(port{protocol: proto, start: 1, end: 65535})
				case p.EndPort != 0 && p.EndPort != p.Port:
					add(port{protocol: proto, start: int32(p.Port), end: int32(p.EndPort)})
				default:
					add(port{protocol: proto, start: int32(p.Port)})
				}
			}
		}
	}
	return out, named, degraded
}

// checkLookups reports the DNS rules of r that restrict lookups: only
// those that let every name through ("*") can be written, at L4.
func (pl *planner) checkLookups(r *ir.Rule) {
	for _, pr := range r.Ports {
		if len(pr.DNS) == 0 || slices.ContainsFunc(pr.DNS, everyName) {
			continue
		}
		span := pr.Span
		if !span.IsValid() {
			span = r.Span
		}
		pl.diags.Errorf(codeUnsupported, span, msgLookups).Detail = detailLookups
	}
}

// everyName reports whether f matches every DNS name.
func everyName(f ir.FQDN) bool { return !f.Exact && f.Pattern == "*" }

// checkNetworkPolicyRule reports the peers of an allow of a namespace's
// isolated direction that NetworkPolicy cannot write.
func (pl *planner) checkNetworkPolicyRule(r *ir.Rule) {
	for _, p := range r.Peers {
		if p.Kind == ir.PeerFQDN || p.Kind == ir.PeerNodes || (p.Kind == ir.PeerEntity && !isWorld(p.Entity)) {
			span := p.Span
			if !span.IsValid() {
				span = r.Span
			}
			pl.diags.Errorf(codeUnsupported, span, msgNetworkPolicyPeer, r.Direction, describePeer(p)).Detail = detailNetworkPolicyPeer
		}
	}
}

// describePeer names a peer for messages.
func describePeer(p ir.Peer) string {
	switch p.Kind {
	case ir.PeerCIDR:
		return "CIDR " + p.CIDR.String()
	case ir.PeerAny:
		return "any peer"
	case ir.PeerEntity:
		return "entity " + string(p.Entity)
	case ir.PeerFQDN:
		return "DNS " + ir.FormatFQDN(p.FQDN)
	case ir.PeerNodes:
		return "nodes " + p.Pods.String()
	case ir.PeerService:
		return "service " + ir.FormatPeer(p)
	}
	return ir.FormatPeer(p)
}

// ruleKind names the kind of an admin rule for messages.
func ruleKind(pol *ir.Policy, r *ir.Rule) string {
	switch {
	case pol.Tier == ir.TierOrdered:
		return "rule of an ordered block"
	case r.Action == ir.Deny:
		return "deny rule"
	case pol.Namespace == "":
		return "cluster-wide rule"
	case isolated(pol, r.Direction):
		return "rule written as an admin Accept (it has DNS names or nodes)"
	}
	return "nonisolating rule"
}

// npWorld writes the world entities of the NetworkPolicy part as the CIDRs
// of every address, as package k8s does (its Prepare warns about them).
// World peers elsewhere are errors of plan.
func npWorld(pol *ir.Policy, p ir.Peer) ([]ir.Peer, bool) {
	if pol.Namespace == "" || pol.Tier != ir.TierDefault || p.Kind != ir.PeerEntity {
		return nil, false
	}
	cidr := func(c netip.Prefix) ir.Peer { return ir.Peer{Span: p.Span, Kind: ir.PeerCIDR, CIDR: c} }
	switch p.Entity {
	case ir.EntityWorld:
		return []ir.Peer{cidr(allIPv4), cidr(allIPv6)}, true
	case ir.EntityWorldIPv4:
		return []ir.Peer{cidr(allIPv4)}, true
	case ir.EntityWorldIPv6:
		return []ir.Peer{cidr(allIPv6)}, true
	}
	return nil, false
}
