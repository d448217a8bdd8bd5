package k8s

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// The codes of Lint's findings, all warnings. They are stable; docs/design.md
// ("Linting manifests") has a table of them.
const (
	CodeORPeers        diag.Code = "or-peers"             // namespaceSelector and podSelector in two peers
	CodeDNSUDPOnly     diag.Code = "dns-udp-only"         // DNS egress on UDP 53 without TCP 53
	CodeDNSUnscoped    diag.Code = "dns-unscoped"         // port 53 to more than the DNS pods
	CodeNoDNS          diag.Code = "no-dns"               // egress isolated, DNS allowed by no policy
	CodeNamespaceLabel diag.Code = "namespace-name-label" // a namespace by a hand-made label
	CodeAllPorts       diag.Code = "all-ports"            // a ports entry with a protocol and no port
	CodeImplicitEgress diag.Code = "implicit-egress"      // egress rules, policyTypes omitted
	CodeReplyRule      diag.Code = "reply-rule"           // a rule for replies statefulness allows
	CodeMetadata       diag.Code = "metadata-reachable"   // 0.0.0.0/0 without the metadata address
	CodeSelectsNothing diag.Code = "selects-nothing"      // --world: a policy selecting no pod
	CodeDuplicateRule  diag.Code = "duplicate-rule"       // a rule repeated in its policy
	CodeShadowedRule   diag.Code = "shadowed-rule"        // a rule covered by another of its policy
	dnsPort                      = 53
	metadataV4                   = "169.254.169.254"
	metadataV6                   = "fd00:ec2::254"
	replyRangeMinWidth           = 1000 // a port range this wide from 1024 up looks ephemeral
)

// namespaceNameKeys are label keys people put on namespaces by hand to
// select them by name; the API server sets NamespaceNameLabel on every
// namespace, and nothing sets these.
var namespaceNameKeys = []string{"name", "ns", "namespace", "namespace-name", "namespaceName", "ns-name", "kubernetes.io/namespace"}

// LintOptions are the options of Lint.
type LintOptions struct {
	// World, when set, describes the cluster's namespaces and pods: Lint
	// then reports the policies that select none of its pods, and finds the
	// pods left without DNS exactly rather than by comparing selectors.
	World *eval.World
}

// Lint imports the NetworkPolicies of objs (Import, whose diagnostics it
// returns) and reports, as warnings at the line and column of the field,
// what they probably do not mean to say:
//
//   - or-peers: a rule with a peer of only a namespaceSelector and another
//     of only a podSelector, where one peer with both (AND) was probably
//     meant;
//   - dns-udp-only, dns-unscoped: egress to port 53 on UDP without TCP, or
//     to more than pods (every destination, every pod of some namespaces);
//   - no-dns: a policy isolating egress of pods no policy allows DNS for;
//   - namespace-name-label: a namespaceSelector on a hand-made label
//     ("name: kube-system") rather than kubernetes.io/metadata.name;
//   - all-ports: a ports entry with a protocol and no port;
//   - implicit-egress: egress rules without policyTypes;
//   - reply-rule: a rule on every port (or an ephemeral range) towards a
//     peer allowed to connect the other way: statefulness already lets the
//     replies through;
//   - metadata-reachable: egress to 0.0.0.0/0 (::/0) that does not except
//     the cloud metadata address;
//   - duplicate-rule, shadowed-rule: a rule that another rule of the same
//     policy repeats or covers;
//   - selects-nothing (with opts.World): a policy selecting no pod.
//
// Objects of other kinds are left out.
func Lint(objs []*yamlsrc.Object, opts LintOptions) diag.List {
	var mine []*yamlsrc.Object
	for _, o := range objs {
		if o.APIVersion == APIVersion && o.Kind == Kind {
			mine = append(mine, o)
		}
	}
	prog, diags := Backend{}.Import(mine)
	l := &linter{opts: opts, objs: map[string]*lintObject{}}
	for _, o := range mine {
		key := o.Namespace + "/" + o.Name
		if l.objs[key] != nil {
			continue // Import reports the duplicate
		}
		var np networkingv1.NetworkPolicy
		if o.Decode(&np).HasErrors() {
			continue // Import reports the errors
		}
		lo := &lintObject{o: o, np: &np}
		l.objs[key] = lo
		l.object(lo)
	}
	if prog != nil {
		for _, p := range prog.Policies {
			if lo := l.objs[p.Namespace+"/"+p.Name]; lo != nil {
				lo.pol = p
				l.pols = append(l.pols, lo)
			}
		}
		for _, lo := range l.pols {
			l.rules(lo)
			l.replies(lo)
			l.dns(lo)
			l.world(lo)
		}
	}
	diags.Append(l.diags)
	return diags
}

// lintObject is one NetworkPolicy: its YAML, what it decodes to and what it
// imports to (nil when Import left it out).
type lintObject struct {
	o   *yamlsrc.Object
	np  *networkingv1.NetworkPolicy
	pol *ir.Policy
}

type linter struct {
	opts  LintOptions
	objs  map[string]*lintObject // namespace/name -> the first object
	pols  []*lintObject          // the imported ones, in the program's order
	diags diag.List
}

// object runs the checks on the typed object.
func (l *linter) object(lo *lintObject) {
	o, spec := lo.o, &lo.np.Spec
	if len(spec.PolicyTypes) == 0 && len(spec.Egress) > 0 {
		d := l.diags.Warnf(CodeImplicitEgress, o.Pos("spec", "egress"), "egress rules without policyTypes: the API server adds Egress implicitly (policyTypes [Ingress, Egress])")
		d.Detail = "Write policyTypes: [Ingress, Egress] so that the manifest says what it means: its pods are isolated for egress (and for ingress, which is always implied)."
	}
	for i, r := range spec.Ingress {
		l.rule(o, "ingress", "from", i, r.From, r.Ports)
	}
	for i, r := range spec.Egress {
		l.rule(o, "egress", "to", i, r.To, r.Ports)
		l.dnsRule(lo, i, r)
	}
}

// rule runs the checks of one ingress or egress rule of o.
func (l *linter) rule(o *yamlsrc.Object, dir, list string, i int, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) {
	at := func(path ...any) source.Span { return o.Pos(append([]any{"spec", dir, i}, path...)...) }
	if ns, pods, ok := orPeers(peers); ok {
		merged := mergedPeer(peers[ns].NamespaceSelector, peers[pods].PodSelector)
		d := l.diags.Warnf(CodeORPeers, at(list, pods), "namespaceSelector and podSelector are two peers of this rule (OR): it allows every pod of the namespaces the namespaceSelector selects, and the podSelector's pods of namespace %s", o.Namespace)
		d.Detail = fmt.Sprintf("Each item of %s is a peer, and a rule allows the union of its peers. To allow only the podSelector's pods of those namespaces, write one peer with both selectors (AND), without the dash before podSelector: %s", list, merged)
		d.Notes = []diag.Note{{Span: at(list, ns), Message: "the namespaceSelector peer"}}
	}
	for j, p := range peers {
		l.namespaceLabels(o, p.NamespaceSelector, append([]any{"spec", dir, i, list, j}, "namespaceSelector")...)
		if dir == "egress" && p.IPBlock != nil {
			l.metadata(o, p.IPBlock, at(list, j, "ipBlock", "cidr"))
		}
	}
	for k, p := range ports {
		if p.Protocol != nil && p.Port == nil {
			d := l.diags.Warnf(CodeAllPorts, at("ports", k), "this ports entry allows every %s port: it has a protocol and no port", *p.Protocol)
			d.Detail = fmt.Sprintf("A ports entry without port matches every port of its protocol. Add port: (and endPort: for a range) for the port meant; if every %s port is really meant, say so in a comment.", *p.Protocol)
		}
	}
}

// mergedPeer writes, in YAML's flow style, the peer of both selectors,
// a hand-made namespace name label replaced by NamespaceNameLabel.
func mergedPeer(ns, pods *metav1.LabelSelector) string {
	ns = ns.DeepCopy()
	if _, ok := ns.MatchLabels[NamespaceNameLabel]; !ok {
		for _, key := range namespaceNameKeys {
			if v, ok := ns.MatchLabels[key]; ok {
				delete(ns.MatchLabels, key)
				ns.MatchLabels[NamespaceNameLabel] = v
				break
			}
		}
	}
	nsText, _ := json.Marshal(ns)
	podText, _ := json.Marshal(pods)
	return fmt.Sprintf(`{"namespaceSelector": %s, "podSelector": %s}`, nsText, podText)
}

// orPeers reports the OR bug in peers: a peer with only a namespaceSelector
// and one with only a podSelector (the first of each).
func orPeers(peers []networkingv1.NetworkPolicyPeer) (ns, pods int, ok bool) {
	ns, pods = -1, -1
	for j, p := range peers {
		switch {
		case p.NamespaceSelector != nil && p.PodSelector == nil && p.IPBlock == nil && ns < 0:
			ns = j
		case p.PodSelector != nil && p.NamespaceSelector == nil && p.IPBlock == nil && pods < 0:
			pods = j
		}
	}
	return ns, pods, ns >= 0 && pods >= 0
}

// namespaceLabels warns at the hand-made name labels of a namespaceSelector
// at path.
func (l *linter) namespaceLabels(o *yamlsrc.Object, sel *metav1.LabelSelector, path ...any) {
	if sel == nil {
		return
	}
	if _, ok := sel.MatchLabels[NamespaceNameLabel]; ok {
		return
	}
	for _, key := range namespaceNameKeys {
		v, ok := sel.MatchLabels[key]
		if !ok {
			continue
		}
		d := l.diags.Warnf(CodeNamespaceLabel, o.Pos(append(path, "matchLabels", key)...), "namespace selected by the hand-made label %q; the API server labels every namespace %s", key, NamespaceNameLabel)
		d.Detail = fmt.Sprintf("Nothing sets %q on a namespace unless someone does, on every cluster, and anyone who may label a namespace can put it there. Select the namespace %s by the label the API server sets.", key, v)
		d.Suggestion = NamespaceNameLabel + ": " + yamlScalar(v)
	}
}

// yamlScalar writes s as a YAML scalar: plain when that reads back as the
// same string, quoted otherwise.
func yamlScalar(s string) string {
	plain := s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_')
	})
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		plain = false
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~":
		plain = false
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}

// metadata warns when an egress ipBlock is a broad block holding the cloud
// metadata address without excepting it.
func (l *linter) metadata(o *yamlsrc.Object, b *networkingv1.IPBlock, sp source.Span) {
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil || cidr.Bits() >= 8 {
		return
	}
	md := netip.MustParseAddr(metadataV4)
	if cidr.Addr().Is6() {
		md = netip.MustParseAddr(metadataV6)
	}
	if !cidr.Contains(md) {
		return
	}
	for _, x := range b.Except {
		if p, err := netip.ParsePrefix(x); err == nil && p.Contains(md) {
			return
		}
	}
	bits := "/32"
	if md.Is6() {
		bits = "/128"
	}
	d := l.diags.Warnf(CodeMetadata, sp, "egress to %s lets the pods reach the cloud metadata service %s", b.CIDR, md)
	d.Detail = fmt.Sprintf("On most clouds %s serves the node's instance metadata, and often the credentials of its role. Add except: [%s%s] to the ipBlock unless the pods need it.", md, md, bits)
}

// dnsRule runs the DNS checks of egress rule i of lo.
func (l *linter) dnsRule(lo *lintObject, i int, r networkingv1.NetworkPolicyEgressRule) {
	o := lo.o
	at := func(path ...any) source.Span { return o.Pos(append([]any{"spec", "egress", i}, path...)...) }
	udp, tcp := -1, -1
	for k, p := range r.Ports {
		if isPort(p, corev1.ProtocolUDP, dnsPort) && udp < 0 {
			udp = k
		}
		if isPort(p, corev1.ProtocolTCP, dnsPort) && tcp < 0 {
			tcp = k
		}
	}
	if udp < 0 && tcp < 0 {
		return
	}
	if udp >= 0 && tcp < 0 && !allowsTCP53(lo.np, r.To) {
		d := l.diags.Warnf(CodeDNSUDPOnly, at("ports", udp), "DNS egress on UDP port 53 only: lookups over TCP fail")
		d.Detail = "Resolvers retry over TCP when an answer is truncated (larger than 512 bytes, or than the EDNS buffer), and some use TCP only. Add a ports entry {protocol: TCP, port: 53} next to the UDP one."
	}
	if _, _, ok := orPeers(r.To); ok {
		return // or-peers suggests the scoped peer
	}
	const fix = "Allow port 53 to the DNS pods only: one peer with namespaceSelector {matchLabels: {kubernetes.io/metadata.name: kube-system}} and podSelector {matchLabels: {k8s-app: kube-dns}}."
	if len(r.To) == 0 {
		l.diags.Warnf(CodeDNSUnscoped, at(), "DNS egress to every destination: port 53 is open to any pod and address").Detail = fix
		return
	}
	for j, p := range r.To {
		var what string
		switch {
		case p.IPBlock != nil:
			if c, err := netip.ParsePrefix(p.IPBlock.CIDR); err == nil && c.Bits() == 0 {
				what = "every address"
			}
		case p.PodSelector == nil || isEmpty(p.PodSelector):
			switch {
			case p.NamespaceSelector == nil:
				what = "every pod of namespace " + o.Namespace
			case isEmpty(p.NamespaceSelector):
				what = "every pod of every namespace"
			default:
				what = "every pod of the namespaces the namespaceSelector selects"
			}
		}
		if what != "" {
			l.diags.Warnf(CodeDNSUnscoped, at("to", j), "DNS egress to %s, not to the DNS pods", what).Detail = fix
		}
	}
}

// allowsTCP53 reports whether an egress rule of np to the peers to (the
// same list) allows TCP port 53.
func allowsTCP53(np *networkingv1.NetworkPolicy, to []networkingv1.NetworkPolicyPeer) bool {
	for _, r := range np.Spec.Egress {
		if !equality.Semantic.DeepEqual(r.To, to) {
			continue
		}
		if len(r.Ports) == 0 || slices.ContainsFunc(r.Ports, func(p networkingv1.NetworkPolicyPort) bool {
			return isPort(p, corev1.ProtocolTCP, dnsPort)
		}) {
			return true
		}
	}
	return false
}

// isPort reports whether p allows port n of proto.
func isPort(p networkingv1.NetworkPolicyPort, proto corev1.Protocol, n int32) bool {
	pp := corev1.ProtocolTCP
	if p.Protocol != nil {
		pp = *p.Protocol
	}
	if pp != proto {
		return false
	}
	switch {
	case p.Port == nil:
		return true
	case p.Port.Type == intstr.String:
		return false
	case p.EndPort != nil:
		return p.Port.IntVal <= n && n <= *p.EndPort
	}
	return p.Port.IntVal == n
}

func isEmpty(s *metav1.LabelSelector) bool {
	return len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

// rules warns at the rules of lo's policy that another rule of the policy
// repeats or covers.
func (l *linter) rules(lo *lintObject) {
	rules := lo.pol.Rules
	for i, r := range rules {
		for j, q := range rules {
			if i == j || q.Direction != r.Direction || q.Action != r.Action || !ruleCovers(q, r) {
				continue
			}
			if ruleCovers(r, q) && j > i {
				continue // the same rule twice: reported at the later one
			}
			var d *diag.Diagnostic
			if ir.FormatRule(q) == ir.FormatRule(r) {
				d = l.diags.Warnf(CodeDuplicateRule, r.Span, "duplicate %s rule: it repeats another rule of %s", r.Direction, lo.np.Name)
				d.Detail = "Remove one of them."
				d.Notes = []diag.Note{{Span: q.Span, Message: "the same rule"}}
			} else {
				d = l.diags.Warnf(CodeShadowedRule, r.Span, "%s rule is shadowed by another rule of %s, which allows all it allows", r.Direction, lo.np.Name)
				d.Detail = "Rules of a policy add up: this one allows nothing more. Remove it, or narrow the other rule if it allows more than meant."
				d.Notes = []diag.Note{{Span: q.Span, Message: "the rule that covers it"}}
			}
			break
		}
	}
}

// ruleCovers reports whether q allows everything r does; both are rules of
// one policy.
func ruleCovers(q, r *ir.Rule) bool {
	for _, p := range r.Peers {
		if !slices.ContainsFunc(q.Peers, func(qp ir.Peer) bool { return peerCovers(qp, p) }) {
			return false
		}
	}
	switch {
	case q.AllTraffic:
		return true
	case r.AllTraffic:
		return false
	}
	for _, pr := range r.Ports {
		for _, p := range pr.Ports {
			if !slices.ContainsFunc(q.Ports, func(qr ir.PortRule) bool {
				return slices.ContainsFunc(qr.Ports, func(qp ir.Port) bool { return qp.Covers(p) })
			}) {
				return false
			}
		}
	}
	return true
}

// peerCovers reports whether q includes p, peers of rules of one policy.
func peerCovers(q, p ir.Peer) bool {
	switch {
	case q.Kind == ir.PeerAny:
		return true
	case q.Kind == ir.PeerPods && p.Kind == ir.PeerPods:
		return namespaceCovers(q.Namespace, p.Namespace) && p.Pods.Implies(q.Pods)
	case q.Kind == ir.PeerCIDR && p.Kind == ir.PeerCIDR:
		return q.CIDRCovers(&p)
	}
	return ir.FormatPeer(q) == ir.FormatPeer(p)
}

// namespaceCovers reports whether the namespaces of q include those of p.
func namespaceCovers(q, p ir.NamespaceRef) bool {
	switch {
	case q.Scope == ir.NamespaceLabels && q.Labels.IsEmpty():
		return true
	case q.Scope != p.Scope:
		return false
	case q.Scope == ir.NamespaceLabels:
		return p.Labels.Implies(q.Labels)
	}
	return q.Name == p.Name
}

// replyLike reports whether r's ports look like the ports replies come
// back on: every port of a protocol, or an ephemeral range. A rule without
// ports (all traffic) is left out: allowing everything to a peer is common,
// and meant.
func replyLike(r *ir.Rule) bool {
	for _, pr := range r.Ports {
		for _, p := range pr.Ports {
			every := p.Port == 0 && p.Name == ""
			ephemeral := p.Port >= 1024 && p.EndPort >= p.Port+replyRangeMinWidth
			if !every && !ephemeral {
				return false
			}
		}
	}
	return len(r.Ports) > 0
}

// replies warns at the rules of lo that look like rules for replies: on
// reply-like ports towards pods that may connect the other way.
func (l *linter) replies(lo *lintObject) {
	pol := lo.pol
	self := ir.Peer{Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: pol.Namespace}, Pods: pol.Subject.Pods}
	for _, r := range pol.Rules {
		if r.Action != ir.Allow || !replyLike(r) {
			continue
		}
		for _, x := range r.Peers {
			if x.Kind != ir.PeerPods {
				continue
			}
			x = ir.Absolute(x, pol.Namespace)
			fwd := l.forward(pol, r.Direction, self, x)
			if fwd == nil {
				continue
			}
			other, this := "from", "to"
			if r.Direction == ir.Ingress {
				other, this = "to", "from"
			}
			d := l.diags.Warnf(CodeReplyRule, r.Span, "%s rule %s %s on %s looks like a rule for the replies of connections %s %s", r.Direction, this, ir.FormatPeer(x), portsText(r), other, ir.FormatPeer(x))
			d.Detail = "NetworkPolicy is stateful: the replies of an allowed connection are allowed without a rule. This rule allows new connections on those ports; remove it unless they are meant."
			d.Notes = []diag.Note{{Span: fwd.Span, Message: "the rule that allows the connections"}}
			break
		}
	}
}

// forward finds a rule that allows connections from x to self (dir Egress)
// or from self to x (dir Ingress), naming x's pods (or self's), on other
// than reply-like ports: a rule
// of the opposite direction of a policy selecting self's pods, or of
// direction dir of a policy selecting x's.
func (l *linter) forward(pol *ir.Policy, dir ir.Direction, self, x ir.Peer) *ir.Rule {
	opposite := ir.Ingress
	if dir == ir.Ingress {
		opposite = ir.Egress
	}
	for _, lo := range l.pols {
		q := lo.pol
		var want ir.Direction
		var far ir.Peer
		switch {
		case q.Namespace == pol.Namespace && q.Subject.Pods.MayIntersect(pol.Subject.Pods):
			want, far = opposite, x
		case mayBeIn(x.Namespace, q.Namespace) && q.Subject.Pods.MayIntersect(x.Pods):
			want, far = dir, self
		default:
			continue
		}
		for _, f := range q.Rules {
			if f.Direction != want || f.Action != ir.Allow || replyLike(f) {
				continue
			}
			for _, p := range f.Peers {
				if p.Kind == ir.PeerPods && peersMayMeet(ir.Absolute(p, q.Namespace), far) {
					return f
				}
			}
		}
	}
	return nil
}

// mayBeIn reports whether namespace ns may be one of ref's (absolute).
func mayBeIn(ref ir.NamespaceRef, ns string) bool {
	return ref.Scope == ir.NamespaceLabels || ref.Name == ns
}

// peersMayMeet reports whether two absolute pod peers may share a pod.
func peersMayMeet(a, b ir.Peer) bool {
	if a.Namespace.Scope == ir.NamespaceNamed && b.Namespace.Scope == ir.NamespaceNamed && a.Namespace.Name != b.Namespace.Name {
		return false
	}
	return a.Pods.MayIntersect(b.Pods)
}

// portsText describes r's traffic for a message.
func portsText(r *ir.Rule) string {
	var out []string
	for _, pr := range r.Ports {
		for _, p := range pr.Ports {
			if p.Port == 0 && p.Name == "" {
				out = append(out, "every "+string(p.Protocol)+" port")
			} else {
				out = append(out, ir.FormatPort(p))
			}
		}
	}
	return strings.Join(out, ", ")
}

// allowsDNS reports whether pol isolates egress and allows UDP port 53.
func allowsDNS(pol *ir.Policy) bool {
	if !pol.Isolation.Egress {
		return false
	}
	dns := ir.Port{Protocol: ir.UDP, Port: dnsPort}
	for _, r := range pol.Rules {
		if r.Direction != ir.Egress || r.Action != ir.Allow {
			continue
		}
		if r.AllTraffic || slices.ContainsFunc(r.Ports, func(pr ir.PortRule) bool {
			return slices.ContainsFunc(pr.Ports, func(p ir.Port) bool { return p.Covers(dns) })
		}) {
			return true
		}
	}
	return false
}

// dns warns when lo's policy isolates egress of pods that no policy allows
// DNS for: with a world, its pods that no policy allowing DNS selects;
// without one, when no policy allowing DNS selects all its pods.
func (l *linter) dns(lo *lintObject) {
	pol := lo.pol
	if !pol.Isolation.Egress || allowsDNS(pol) {
		return
	}
	var others []*ir.Policy
	for _, q := range l.pols {
		if q.pol.Namespace == pol.Namespace && allowsDNS(q.pol) {
			others = append(others, q.pol)
		}
	}
	var msg string
	if w := l.opts.World; w != nil {
		var lacking []string
		for _, pod := range w.Pods {
			if pod.Namespace != pol.Namespace || !pol.Subject.Pods.Matches(pod.Labels) {
				continue
			}
			if !slices.ContainsFunc(others, func(q *ir.Policy) bool { return q.Subject.Pods.Matches(pod.Labels) }) {
				lacking = append(lacking, pod.Name)
			}
		}
		if len(lacking) == 0 {
			return
		}
		if len(lacking) > 3 {
			lacking = append(lacking[:3], fmt.Sprintf("%d more", len(lacking)-3))
		}
		msg = fmt.Sprintf("%s isolates egress of pods no policy allows DNS for: %s", lo.np.Name, strings.Join(lacking, ", "))
	} else {
		if slices.ContainsFunc(others, func(q *ir.Policy) bool { return pol.Subject.Pods.Implies(q.Subject.Pods) }) {
			return
		}
		msg = fmt.Sprintf("%s isolates egress of its pods, and no policy selecting all of them allows DNS (port 53)", lo.np.Name)
	}
	sp := lo.o.Pos("spec", "policyTypes")
	if !lo.o.Has("spec", "policyTypes") {
		sp = lo.o.Pos("spec", "egress")
	}
	d := l.diags.Warnf(CodeNoDNS, sp, "%s", msg)
	d.Detail = "Pods whose egress is isolated reach only what a rule allows; without port 53 to the DNS pods they cannot resolve names. Add an egress rule to the DNS pods on UDP and TCP port 53 (or a policy with podSelector: {} that allows it to every pod of the namespace)."
	for _, q := range others {
		d.Notes = append(d.Notes, diag.Note{Span: q.Subject.Span, Message: fmt.Sprintf("%s allows DNS, for fewer pods", q.Name)})
	}
}

// world warns when lo's policy selects no pod of the world.
func (l *linter) world(lo *lintObject) {
	w := l.opts.World
	if w == nil {
		return
	}
	pol := lo.pol
	if slices.ContainsFunc(w.Pods, func(p eval.Pod) bool {
		return p.Namespace == pol.Namespace && pol.Subject.Pods.Matches(p.Labels)
	}) {
		return
	}
	d := l.diags.Warnf(CodeSelectsNothing, lo.o.Pos("spec", "podSelector"), "%s selects no pod of namespace %s in the world", lo.np.Name, pol.Namespace)
	d.Detail = "The policy has no effect on the pods the world describes: check the podSelector's labels (and the policy's namespace) against the pods'."
}
