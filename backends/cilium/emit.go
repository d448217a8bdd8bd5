package cilium

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium/api"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Cilium's per-entry limits (pkg/policy/api rule_validation.go).
const (
	maxPorts      = 40
	maxICMPFields = 40
)

// emitted is one object and the span of the policy behind it.
type emitted struct {
	obj  backends.Object
	span source.Span
}

type emitter struct {
	diags diag.List
}

// emit returns the objects of p (the effective program) sorted by kind,
// namespace and name.
func (e *emitter) emit(p *ir.Program) []emitted {
	pols := make([]*ir.Policy, 0, len(p.Policies))
	for _, pol := range p.Policies {
		if !pol.Isolation.Ingress && !pol.Isolation.Egress && len(pol.Rules) == 0 {
			continue // isolates nothing and allows nothing
		}
		pols = append(pols, pol)
	}
	names := backends.PolicyNames(pols)
	out := make([]emitted, 0, len(pols))
	for _, pol := range pols {
		rule, spans := e.policy(pol)
		meta := metav1.ObjectMeta{
			Name:      names[pol],
			Namespace: pol.Namespace,
			Labels:    map[string]string{backends.ManagedByLabel: backends.ManagedBy},
		}
		if lines := backends.SourceLines(spans); lines != "" {
			meta.Annotations = map[string]string{backends.SourceAnnotation: lines}
		}
		o := backends.Object{APIVersion: APIVersion, Namespace: pol.Namespace, Name: names[pol]}
		if pol.Namespace == "" {
			o.Kind = KindCCNP
			o.Value = CCNP{
				TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: KindCCNP},
				ObjectMeta: meta, Spec: rule,
			}
		} else {
			o.Kind = KindCNP
			o.Value = CNP{
				TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: KindCNP},
				ObjectMeta: meta, Spec: rule,
			}
		}
		out = append(out, emitted{obj: o, span: pol.Span})
	}
	sort.SliceStable(out, func(i, j int) bool { return backends.ObjectLess(out[i].obj, out[j].obj) })
	return out
}

// policy builds the spec of pol and returns it with the spans behind it.
func (e *emitter) policy(pol *ir.Policy) (*api.Rule, []source.Span) {
	rule := &api.Rule{}
	subject := newSelector()
	subject.add(pol.Subject.Pods, "")
	if pol.Subject.Namespaces != nil {
		subject.add(*pol.Subject.Namespaces, NamespaceLabelsPrefix)
	}
	if pol.Subject.Nodes {
		rule.NodeSelector = subject.build()
	} else {
		rule.EndpointSelector = subject.build()
	}
	// Always written, so that deny and nonisolating rules never isolate
	// (docs/semantics.md, section 2.2).
	ingress, egress := pol.Isolation.Ingress, pol.Isolation.Egress
	rule.EnableDefaultDeny = api.DefaultDenyConfig{Ingress: &ingress, Egress: &egress}

	spans := make([]source.Span, 0, len(pol.Rules)+1)
	spans = append(spans, pol.Span)
	// Room for one Cilium rule per IR rule, the usual case (a rule with
	// peers of several L3 kinds makes more).
	var nIn, nOut int
	for _, r := range pol.Rules {
		if r.Action != ir.Allow {
			continue
		}
		if r.Direction == ir.Ingress {
			nIn++
		} else {
			nOut++
		}
	}
	rule.Ingress = make([]api.IngressRule, 0, nIn)
	rule.Egress = make([]api.EgressRule, 0, nOut)
	for _, r := range pol.Rules { // in the IR's order: source order
		spans = append(spans, r.Span)
		e.rule(pol, r, rule)
	}
	if ingress && len(rule.Ingress) == 0 {
		rule.Ingress = []api.IngressRule{{}} // isolates, selects no peer
	}
	if egress && len(rule.Egress) == 0 {
		rule.Egress = []api.EgressRule{{}}
	}
	if len(rule.Ingress) == 0 {
		rule.Ingress = nil
	}
	if len(rule.Egress) == 0 {
		rule.Egress = nil
	}
	return rule, spans
}

// peerSet is the peers of one IR rule, by Cilium L3 kind: one Cilium peer
// per IR peer (Prepare made them distinct as written: targetPeer).
type peerSet struct {
	endpoints []api.EndpointSelector
	nodes     []api.EndpointSelector
	cidrs     api.CIDRRuleSlice
	entities  api.EntitySlice
	services  []api.Service
	fqdns     api.FQDNSelectorSlice
}

func (e *emitter) peers(pol *ir.Policy, r *ir.Rule) *peerSet {
	s := &peerSet{}
	for _, peer := range r.Peers {
		switch peer.Kind {
		case ir.PeerPods:
			sel := podPeerSelector(peer)
			if sel.clash != "" {
				// Reported by Prepare (checkNamespaceClash).
				e.diags.Errorf(codeInternal, spanOr(peer.Span, r.Span), msgNamespaceClash, ir.FormatPeer(peer), sel.clash)
				continue
			}
			s.endpoints = append(s.endpoints, sel.build())
		case ir.PeerNodes:
			sel := newSelector()
			sel.add(peer.Pods, "")
			s.nodes = append(s.nodes, sel.build())
		case ir.PeerCIDR:
			s.cidrs = append(s.cidrs, cidrRule(peer.CIDR, peer.Except))
		case ir.PeerEntity:
			s.entities = append(s.entities, api.Entity(peer.Entity))
		case ir.PeerAny:
			s.entities = append(s.entities, api.EntityAll)
		case ir.PeerService:
			s.services = append(s.services, e.service(peer.Service))
		case ir.PeerFQDN:
			var f api.FQDNSelector
			if peer.FQDN.Exact {
				f.MatchName = peer.FQDN.Pattern
			} else {
				f.MatchPattern = peer.FQDN.Pattern
			}
			s.fqdns = append(s.fqdns, f)
		}
	}
	return s
}

func (e *emitter) service(svc ir.Service) api.Service {
	if svc.Selector != nil {
		sel := newSelector()
		sel.add(*svc.Selector, "")
		return api.Service{K8sServiceSelector: &api.K8sServiceSelectorNamespace{
			Selector: api.ServiceSelector(sel.build()), Namespace: svc.Namespace,
		}}
	}
	return api.Service{K8sService: &api.K8sServiceNamespace{ServiceName: svc.Name, Namespace: svc.Namespace}}
}

func cidrRule(cidr netip.Prefix, except []netip.Prefix) api.CIDRRule {
	c := api.CIDRRule{Cidr: api.CIDR(cidr.Masked().String())}
	for _, x := range backends.Excepts(except) {
		c.ExceptCIDRs = append(c.ExceptCIDRs, api.CIDR(x))
	}
	return c
}

// rule appends the Cilium rules of r to spec: one per L3 kind of its peers.
func (e *emitter) rule(pol *ir.Policy, r *ir.Rule, spec *api.Rule) {
	peers := e.peers(pol, r)
	deny := r.Action == ir.Deny
	if deny && (len(peers.fqdns) > 0 || hasL7(r)) {
		e.diags.Errorf(codeInternal, r.Span, "deny rule with DNS names or L7 rules")
		return
	}
	if r.Direction == ir.Ingress && (len(peers.fqdns) > 0 || len(peers.services) > 0) {
		e.diags.Errorf(codeInternal, r.Span, "ingress rule with DNS names or services")
		return
	}
	var (
		ports     api.PortRules
		denyPorts api.PortDenyRules
		icmps     api.ICMPRules
	)
	switch {
	case r.AllTraffic:
	case len(r.ICMP) > 0:
		icmps = icmpRules(r.ICMP)
	case len(r.Ports) > 0:
		if deny {
			denyPorts = e.denyPorts(r)
		} else {
			ports = e.portRules(r)
		}
	default:
		e.diags.Errorf(codeInternal, r.Span, "rule without traffic")
		return
	}

	if r.Direction == ir.Ingress {
		commons := []api.IngressCommonRule{}
		if len(peers.endpoints) > 0 {
			commons = append(commons, api.IngressCommonRule{FromEndpoints: peers.endpoints})
		}
		if len(peers.nodes) > 0 {
			commons = append(commons, api.IngressCommonRule{FromNodes: peers.nodes})
		}
		if len(peers.cidrs) > 0 {
			commons = append(commons, api.IngressCommonRule{FromCIDRSet: peers.cidrs})
		}
		if len(peers.entities) > 0 {
			commons = append(commons, api.IngressCommonRule{FromEntities: peers.entities})
		}
		for _, c := range commons {
			if deny {
				spec.IngressDeny = append(spec.IngressDeny, api.IngressDenyRule{IngressCommonRule: c, ToPorts: denyPorts, ICMPs: icmps})
			} else {
				spec.Ingress = append(spec.Ingress, api.IngressRule{IngressCommonRule: c, ToPorts: ports, ICMPs: icmps})
			}
		}
		if len(commons) == 0 {
			e.noPeers(r)
		}
		return
	}
	commons := []api.EgressCommonRule{}
	if len(peers.endpoints) > 0 {
		commons = append(commons, api.EgressCommonRule{ToEndpoints: peers.endpoints})
	}
	if len(peers.nodes) > 0 {
		commons = append(commons, api.EgressCommonRule{ToNodes: peers.nodes})
	}
	if len(peers.cidrs) > 0 {
		commons = append(commons, api.EgressCommonRule{ToCIDRSet: peers.cidrs})
	}
	if len(peers.entities) > 0 {
		commons = append(commons, api.EgressCommonRule{ToEntities: peers.entities})
	}
	if len(peers.services) > 0 {
		commons = append(commons, api.EgressCommonRule{ToServices: peers.services})
	}
	for _, c := range commons {
		if deny {
			spec.EgressDeny = append(spec.EgressDeny, api.EgressDenyRule{EgressCommonRule: c, ToPorts: denyPorts, ICMPs: icmps})
		} else {
			spec.Egress = append(spec.Egress, api.EgressRule{EgressCommonRule: c, ToPorts: ports, ICMPs: icmps})
		}
	}
	if len(peers.fqdns) > 0 {
		spec.Egress = append(spec.Egress, api.EgressRule{ToFQDNs: peers.fqdns, ToPorts: ports, ICMPs: icmps})
	}
	if len(commons) == 0 && len(peers.fqdns) == 0 {
		e.noPeers(r)
	}
}

// noPeers reports a rule left without peers: in Cilium an empty rule
// selects nothing, which is never what an IR rule means.
func (e *emitter) noPeers(r *ir.Rule) {
	if !e.diags.HasErrors() {
		e.diags.Errorf(codeInternal, r.Span, "rule without peers")
	}
}

func hasL7(r *ir.Rule) bool {
	for _, pr := range r.Ports {
		if len(pr.HTTP) > 0 || len(pr.DNS) > 0 {
			return true
		}
	}
	return false
}

// portRules maps the port rules of an allow rule: one Cilium PortRule per
// IR PortRule (split by 40 ports), with its L7 rules.
func (e *emitter) portRules(r *ir.Rule) api.PortRules {
	var out api.PortRules
	for _, pr := range r.Ports {
		ports := portProtocols(pr.Ports)
		var l7 *api.L7Rules
		switch {
		case len(pr.HTTP) > 0 && len(pr.DNS) > 0:
			e.diags.Errorf(codeInternal, spanOr(pr.Span, r.Span), "port rule with both HTTP and DNS rules")
			continue
		case len(pr.HTTP) > 0:
			l7 = &api.L7Rules{HTTP: httpRules(pr.HTTP)}
			for _, p := range pr.Ports {
				if p.Protocol != ir.TCP || (p.Port == 0 && p.Name == "") {
					e.diags.Errorf(codeInternal, spanOr(p.Span, r.Span), "HTTP rules on a port that is not a numbered or named TCP port")
				}
			}
		case len(pr.DNS) > 0:
			l7 = &api.L7Rules{DNS: dnsRules(pr.DNS)}
		}
		for len(ports) > 0 {
			n := min(len(ports), maxPorts)
			out = append(out, api.PortRule{Ports: ports[:n:n], Rules: l7})
			ports = ports[n:]
		}
	}
	return out
}

func (e *emitter) denyPorts(r *ir.Rule) api.PortDenyRules {
	var all []ir.Port
	for _, pr := range r.Ports {
		all = append(all, pr.Ports...)
	}
	ports := portProtocols(all)
	var out api.PortDenyRules
	for len(ports) > 0 {
		n := min(len(ports), maxPorts)
		out = append(out, api.PortDenyRule{Ports: ports[:n:n]})
		ports = ports[n:]
	}
	return out
}

// portProtocols maps ports, de-duplicated, protocol always written.
func portProtocols(ports []ir.Port) []api.PortProtocol {
	var out []api.PortProtocol
	seen := map[api.PortProtocol]bool{}
	for _, p := range ports {
		proto := api.L4Proto(p.Protocol)
		if proto == "" {
			proto = api.ProtoTCP
		}
		pp := api.PortProtocol{Protocol: proto}
		switch {
		case p.Name != "":
			pp.Port = strings.ToLower(p.Name)
		case p.Port == 0:
			pp.Port = "0"
		default:
			pp.Port = strconv.Itoa(int(p.Port))
			if p.EndPort > p.Port {
				pp.EndPort = int32(p.EndPort)
			}
		}
		if !seen[pp] {
			seen[pp] = true
			out = append(out, pp)
		}
	}
	return out
}

func httpRules(rules []ir.HTTPRule) api.PortRulesHTTP {
	out := make(api.PortRulesHTTP, 0, len(rules))
	for _, h := range rules {
		hr := api.PortRuleHTTP{Method: h.Method, Path: h.Path, Host: h.Host}
		for _, hd := range h.Headers {
			if hd.Value == nil {
				hr.Headers = append(hr.Headers, hd.Name)
			} else {
				// Cilium splits at the first space and trims the ':' off the
				// name; the rest is the exact value.
				hr.Headers = append(hr.Headers, hd.Name+": "+*hd.Value)
			}
		}
		out = append(out, hr)
	}
	return out
}

func dnsRules(names []ir.FQDN) api.PortRulesDNS {
	out := make(api.PortRulesDNS, 0, len(names))
	for _, n := range names {
		if n.Exact {
			out = append(out, api.PortRuleDNS{MatchName: n.Pattern})
		} else {
			out = append(out, api.PortRuleDNS{MatchPattern: n.Pattern})
		}
	}
	return out
}

// icmpRules maps ICMP types, at most 40 fields per entry. Every type has a
// number or a name (checkExpressible rejects the empty type).
func icmpRules(types []ir.ICMPType) api.ICMPRules {
	var fields []api.ICMPField
	seen := map[string]bool{}
	for _, t := range types {
		k := string(t.Family) + "/" + t.Type
		if seen[k] {
			continue
		}
		seen[k] = true
		var typ intstr.IntOrString
		if n, err := strconv.Atoi(t.Type); err == nil {
			typ = intstr.FromInt32(int32(n))
		} else {
			typ = intstr.FromString(t.Type)
		}
		fields = append(fields, api.ICMPField{Family: string(t.Family), Type: &typ})
	}
	var out api.ICMPRules
	for len(fields) > 0 {
		n := min(len(fields), maxICMPFields)
		out = append(out, api.ICMPRule{Fields: fields[:n:n]})
		fields = fields[n:]
	}
	return out
}

// podPeerSelector is the endpoint selector of a pod peer: its pod labels
// and, in the same selector, its namespace. Its clash is set when the pod
// labels already use Cilium's namespace key with another value.
func podPeerSelector(peer ir.Peer) *selector {
	sel := newSelector()
	sel.add(peer.Pods, "")
	switch peer.Namespace.Scope {
	case ir.NamespaceNamed:
		sel.label(PodNamespaceLabel, peer.Namespace.Name)
	case ir.NamespaceLabels:
		if peer.Namespace.Labels.IsEmpty() {
			sel.expr(PodNamespaceLabel, ir.OpExists, nil)
		} else {
			sel.add(peer.Namespace.Labels, NamespaceLabelsPrefix)
		}
	}
	return sel
}

// checkNamespaceClash reports the pod peers of p whose pod selector
// already uses Cilium's namespace key for another namespace: one selector
// cannot say both.
func checkNamespaceClash(p *ir.Program) diag.List {
	var diags diag.List
	for _, pol := range p.Policies {
		for _, r := range pol.Rules {
			for _, peer := range r.Peers {
				if peer.Kind != ir.PeerPods || !mayClash(peer) {
					continue
				}
				if sel := podPeerSelector(peer); sel.clash != "" {
					diags.Errorf(codeUnsupported, spanOr(peer.Span, r.Span), msgNamespaceClash, ir.FormatPeer(peer), sel.clash)
				}
			}
		}
	}
	return diags
}

// mayClash reports whether podPeerSelector may find a clash in peer: only
// a pod label whose key is one Cilium uses for the namespace terms can meet
// a namespace term (a normalized selector has each label key once).
func mayClash(peer ir.Peer) bool {
	if peer.Namespace.Scope == ir.NamespacePolicy {
		return false
	}
	for _, l := range peer.Pods.MatchLabels {
		if l.Key == PodNamespaceLabel || strings.HasPrefix(l.Key, NamespaceLabelsPrefix) {
			return true
		}
	}
	return false
}

// selector builds a Cilium endpoint selector from IR selectors.
type selector struct {
	labels map[string]string
	exprs  []api.LabelSelectorRequirement
	clash  string // a key set twice with different meanings
}

func newSelector() *selector { return &selector{labels: map[string]string{}} }

// add adds every term of s, with prefix before each key.
func (b *selector) add(s ir.Selector, prefix string) {
	for _, l := range s.MatchLabels {
		b.label(prefix+l.Key, l.Value)
	}
	for _, x := range s.MatchExpressions {
		b.expr(prefix+x.Key, x.Operator, x.Values)
	}
}

func (b *selector) label(k, v string) {
	if old, ok := b.labels[k]; ok && old != v {
		b.clash = k
	}
	b.labels[k] = v
}

func (b *selector) expr(k string, op ir.Operator, values []string) {
	req := api.LabelSelectorRequirement{Key: k, Operator: api.LabelSelectorOperator(op)}
	if len(values) > 0 {
		req.Values = append([]string(nil), values...)
	}
	b.exprs = append(b.exprs, req)
}

// build returns the selector; an empty one is {} (never nil: a nil
// selector is "absent" in Cilium).
func (b *selector) build() api.EndpointSelector {
	ls := &api.LabelSelector{}
	if len(b.labels) > 0 {
		ls.MatchLabels = b.labels
	}
	if len(b.exprs) > 0 {
		exprs := append([]api.LabelSelectorRequirement(nil), b.exprs...)
		sort.SliceStable(exprs, func(i, j int) bool {
			if exprs[i].Key != exprs[j].Key {
				return exprs[i].Key < exprs[j].Key
			}
			return exprs[i].Operator < exprs[j].Operator
		})
		ls.MatchExpressions = exprs
	}
	return api.EndpointSelector{LabelSelector: ls}
}

func spanOr(s, fallback source.Span) source.Span {
	if s.IsValid() {
		return s
	}
	return fallback
}
