package testgen

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	"github.com/cilium/cilium/pkg/policy/api"
)

// CiliumPolCase is a random set of CiliumNetworkPolicy and
// CiliumClusterwideNetworkPolicy objects, as people write them, over a
// generated world (NewCilium's: external addresses with DNS names, a
// remote node): the test case of the Cilium importer.
type CiliumPolCase struct {
	// Case holds the seed and the world (its Program is empty); CiliumFlows
	// samples its flows, HTTP requests and DNS lookups included.
	Case
	CNPs  []*ciliumv2.CiliumNetworkPolicy
	CCNPs []*ciliumv2.CiliumClusterwideNetworkPolicy
}

// NewCiliumPol generates the Cilium policy case of seed: 1 to 3 CNPs in
// each of 1 or 2 governed namespaces and sometimes a CCNP, each with a spec
// or 2 specs. Every object is one Cilium's agent accepts. The generator
// covers what the IR holds: endpointSelector ({}, labels and expressions,
// k8s: and any: sources, the policy's own namespace key), nodeSelector
// (host policies, in CCNPs), enableDefaultDeny omitted, true or false per
// direction, empty rules ({}), ingress/egress/ingressDeny/egressDeny with
// fromEndpoints/toEndpoints (the policy's namespace, a namespace by name,
// by labels, by expressions on the namespace key, every namespace),
// entities (world, world-ipv4, cluster, host, remote-node,
// kube-apiserver, all), fromCIDR/toCIDR and CIDR sets with except,
// fromNodes/toNodes, toServices (by name and by selector), toFQDNs (matchName, matchPattern, "**."; each policy
// with toFQDNs also has the DNS-proxy rule, with every name or a list of
// lookups), toPorts with or without peers (TCP, UDP, SCTP, ANY and
// omitted protocols, ranges, named ports, port "0"), HTTP rules (method,
// path, host, headers, headerMatches), ICMP types and explicitly empty
// peer lists.
func NewCiliumPol(seed int64) *CiliumPolCase {
	g := &cpGen{gen: newGen(seed)}
	r := g.r
	// Sets with L7 rules keep their L4 rules off the L7 ports, so that
	// the Cilium target, which refuses an L4 rule that voids an L7 one,
	// can write most of them.
	g.l7 = r.Intn(5) < 2
	c := &CiliumPolCase{Case: Case{Seed: seed}}
	c.World = g.world()
	for i := range c.World.Externals {
		c.World.Externals[i].Names = externalNames[c.World.Externals[i].IP.String()]
	}
	WithNodes(c.World)
	n := 0
	for _, ns := range g.governed {
		for i, k := 0, 1+r.Intn(3); i < k; i++ {
			cnp := &ciliumv2.CiliumNetworkPolicy{
				TypeMeta:   metav1.TypeMeta{APIVersion: "cilium.io/v2", Kind: "CiliumNetworkPolicy"},
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cnp-%d", n), Namespace: ns},
			}
			n++
			cnp.Spec, cnp.Specs = g.cpSpecs(ns)
			c.CNPs = append(c.CNPs, cnp)
		}
	}
	if g.chance(0.3) {
		ccnp := &ciliumv2.CiliumClusterwideNetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "cilium.io/v2", Kind: "CiliumClusterwideNetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Name: "ccnp-0"},
		}
		ccnp.Spec, ccnp.Specs = g.cpSpecs("")
		c.CCNPs = append(c.CCNPs, ccnp)
	}
	return c
}

// cpGen is the generator of Cilium policies.
type cpGen struct {
	*gen
	l7 bool // the set has L7 rules (HTTP, restricted DNS lookups)
}

// cpSpecs returns a spec, or (sometimes) a list of two.
func (g *cpGen) cpSpecs(ns string) (*api.Rule, api.Rules) {
	if g.chance(0.2) {
		return nil, api.Rules{g.cpRule(ns), g.cpRule(ns)}
	}
	return g.cpRule(ns), nil
}

// cpSel builds a selector from labels and expressions.
func cpSel(labels map[string]string, exprs ...slimv1.LabelSelectorRequirement) api.EndpointSelector {
	ls := &slimv1.LabelSelector{}
	if len(labels) > 0 {
		ls.MatchLabels = labels
	}
	if len(exprs) > 0 {
		ls.MatchExpressions = exprs
	}
	return api.EndpointSelector{LabelSelector: ls}
}

// cpPodTerms returns 0 to 2 terms over the world's pod labels, with a
// label source sometimes.
func (g *cpGen) cpPodTerms() (map[string]string, []slimv1.LabelSelectorRequirement) {
	labels := map[string]string{}
	var exprs []slimv1.LabelSelectorRequirement
	keys := []string{"app", "tier", "opt"}
	g.r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	vals := map[string][]string{"app": {"a", "b", "c"}, "tier": {"x", "y"}, "opt": {"1", "2"}}
	for _, k := range keys[:g.r.Intn(3)] {
		v := vals[k][g.r.Intn(len(vals[k]))]
		key := g.pick(k, k, k, "k8s:"+k, "any:"+k)
		switch g.r.Intn(6) {
		case 0, 1, 2:
			labels[key] = v
		case 3:
			exprs = append(exprs, slimv1.LabelSelectorRequirement{Key: key, Operator: slimv1.LabelSelectorOpIn, Values: g.values(vals[k])})
		case 4:
			if k == "opt" {
				exprs = append(exprs, slimv1.LabelSelectorRequirement{Key: key, Operator: slimv1.LabelSelectorOpExists})
			} else {
				exprs = append(exprs, slimv1.LabelSelectorRequirement{Key: key, Operator: slimv1.LabelSelectorOpNotIn, Values: []string{v}})
			}
		default:
			exprs = append(exprs, slimv1.LabelSelectorRequirement{Key: key, Operator: slimv1.LabelSelectorOpDoesNotExist})
		}
	}
	return labels, exprs
}

// cpSubject returns the rule's subject: pods (CNP and CCNP; in a CCNP
// sometimes limited by namespace terms) or, in a CCNP, nodes.
func (g *cpGen) cpSubject(r *api.Rule, ns string) {
	labels, exprs := g.cpPodTerms()
	if ns == "" {
		if g.chance(0.15) {
			r.NodeSelector = cpSel(map[string]string{}, exprs...)
			return
		}
		switch g.r.Intn(4) {
		case 0:
			labels["io.cilium.k8s.namespace.labels.env"] = g.pick("dev", "prod")
		case 1:
			labels["k8s:io.kubernetes.pod.namespace"] = g.governed[g.r.Intn(len(g.governed))]
		}
	} else if g.chance(0.15) {
		labels["k8s:io.kubernetes.pod.namespace"] = ns
	}
	r.EndpointSelector = cpSel(labels, exprs...)
}

func (g *cpGen) cpRule(ns string) *api.Rule {
	r := &api.Rule{}
	g.cpSubject(r, ns)
	host := r.NodeSelector.LabelSelector != nil
	t, f := true, false
	dd := func() *bool {
		switch g.r.Intn(4) {
		case 0:
			return &t
		case 1:
			return &f
		}
		return nil
	}
	if g.chance(0.4) {
		r.EnableDefaultDeny = api.DefaultDenyConfig{Ingress: dd(), Egress: dd()}
	}
	fqdn := false
	for i, n := 0, g.r.Intn(3); i < n; i++ {
		if g.chance(0.15) {
			r.Ingress = append(r.Ingress, api.IngressRule{})
			continue
		}
		var ir api.IngressRule
		ir.IngressCommonRule = g.cpIngressPeers(ns)
		ir.ToPorts, ir.ICMPs = g.cpTraffic(true, host, ir.IngressCommonRule.FromEndpoints != nil || ir.IngressCommonRule.FromEntities == nil && ir.IngressCommonRule.FromCIDRSet == nil && ir.IngressCommonRule.FromCIDR == nil && ir.IngressCommonRule.FromNodes == nil)
		r.Ingress = append(r.Ingress, ir)
	}
	if g.chance(0.25) {
		var dr api.IngressDenyRule
		dr.IngressCommonRule = g.cpIngressPeers(ns)
		ports, icmps := g.cpTraffic(false, host, false)
		dr.ToPorts, dr.ICMPs = cpDenyPorts(ports), icmps
		r.IngressDeny = append(r.IngressDeny, dr)
	}
	for i, n := 0, g.r.Intn(3); i < n; i++ {
		if g.chance(0.1) {
			r.Egress = append(r.Egress, api.EgressRule{})
			continue
		}
		var er api.EgressRule
		if g.chance(0.2) {
			er.ToFQDNs = g.cpFQDNs()
			fqdn = true
			er.ToPorts = g.cpPortRules(false, true, false, false)
		} else {
			er.EgressCommonRule = g.cpEgressPeers(ns)
			pods := er.ToEndpoints != nil || (er.ToEntities == nil && er.ToCIDRSet == nil && er.ToCIDR == nil && er.ToNodes == nil && er.ToServices == nil)
			er.ToPorts, er.ICMPs = g.cpTraffic(true, host, pods)
		}
		r.Egress = append(r.Egress, er)
	}
	if fqdn || g.chance(0.2) {
		r.Egress = append(r.Egress, g.cpDNSRule())
	}
	if g.chance(0.2) {
		var dr api.EgressDenyRule
		dr.EgressCommonRule = g.cpEgressPeers(ns)
		ports, icmps := g.cpTraffic(false, host, false)
		dr.ToPorts, dr.ICMPs = cpDenyPorts(ports), icmps
		r.EgressDeny = append(r.EgressDeny, dr)
	}
	if len(r.Ingress)+len(r.IngressDeny)+len(r.Egress)+len(r.EgressDeny) == 0 {
		r.Ingress = []api.IngressRule{{}}
	}
	return r
}

// cpDNSRule is the DNS-proxy rule: egress to the cluster DNS pods on UDP
// and TCP 53 (in either order, sometimes without the k8s: sources) with
// every name or a list of lookups.
func (g *cpGen) cpDNSRule() api.EgressRule {
	sel := map[string]string{"k8s:io.kubernetes.pod.namespace": dnsNS, "k8s:k8s-app": "kube-dns"}
	if g.chance(0.3) {
		sel = map[string]string{"io.kubernetes.pod.namespace": dnsNS, "k8s-app": "kube-dns"}
	}
	ports := []api.PortProtocol{{Port: "53", Protocol: api.ProtoUDP}, {Port: "53", Protocol: api.ProtoTCP}}
	if g.chance(0.3) {
		ports[0], ports[1] = ports[1], ports[0]
	}
	dns := api.PortRulesDNS{{MatchPattern: "*"}}
	if g.l7 && g.chance(0.5) {
		dns = api.PortRulesDNS{{MatchPattern: "*.example.com"}, {MatchName: "api.example.com"}, {MatchPattern: "**.amazonaws.com"}, {MatchPattern: "*.cluster.local"}}
	}
	return api.EgressRule{
		EgressCommonRule: api.EgressCommonRule{ToEndpoints: []api.EndpointSelector{cpSel(sel)}},
		ToPorts:          api.PortRules{{Ports: ports, Rules: &api.L7Rules{DNS: dns}}},
	}
}

// cpFQDNs returns 1 or 2 DNS-name selectors.
func (g *cpGen) cpFQDNs() api.FQDNSelectorSlice {
	var out api.FQDNSelectorSlice
	for i, n := 0, 1+g.r.Intn(2); i < n; i++ {
		switch g.r.Intn(4) {
		case 0:
			out = append(out, api.FQDNSelector{MatchName: g.pick("api.example.com", "Example.COM", "dns.google.", "s3.amazonaws.com")})
		default:
			out = append(out, api.FQDNSelector{MatchPattern: g.pick("*.example.com", "**.example.com", "s3*.amazonaws.com", "**.amazonaws.com", "*", "*.API.example.com")})
		}
	}
	return out
}

// cpPodPeer returns an endpoint selector for a peer, with or without
// namespace terms.
func (g *cpGen) cpPodPeer(ns string) api.EndpointSelector {
	labels, exprs := g.cpPodTerms()
	switch g.r.Intn(8) {
	case 0, 1, 2: // the policy's namespace (any namespace in a CCNP)
	case 3:
		labels[g.pick("k8s:io.kubernetes.pod.namespace", "io.kubernetes.pod.namespace")] = g.namespaceName()
	case 4:
		labels["io.cilium.k8s.namespace.labels.env"] = g.pick("dev", "prod")
	case 5:
		exprs = append(exprs, slimv1.LabelSelectorRequirement{Key: "k8s:io.kubernetes.pod.namespace", Operator: slimv1.LabelSelectorOpNotIn, Values: []string{g.namespaceName()}})
	case 6:
		exprs = append(exprs, slimv1.LabelSelectorRequirement{Key: "k8s:io.kubernetes.pod.namespace", Operator: slimv1.LabelSelectorOpExists})
	default:
		exprs = append(exprs, slimv1.LabelSelectorRequirement{Key: "io.cilium.k8s.namespace.labels.team", Operator: g.pick2(slimv1.LabelSelectorOpExists, slimv1.LabelSelectorOpDoesNotExist)})
	}
	return cpSel(labels, exprs...)
}

func (g *cpGen) pick2(a, b slimv1.LabelSelectorOperator) slimv1.LabelSelectorOperator {
	if g.chance(0.5) {
		return a
	}
	return b
}

// cpEntities returns 1 or 2 entities.
func (g *cpGen) cpEntities() api.EntitySlice {
	all := []api.Entity{api.EntityWorld, api.EntityWorldIPv4, api.EntityCluster, api.EntityHost, api.EntityRemoteNode, api.EntityKubeAPIServer, api.EntityAll, api.EntityWorldIPv6}
	out := api.EntitySlice{all[g.r.Intn(len(all))]}
	if g.chance(0.3) {
		out = append(out, all[g.r.Intn(len(all))])
	}
	return out
}

// cpCIDRs returns CIDR rules from npBlocks.
func (g *cpGen) cpCIDRs() api.CIDRRuleSlice {
	var out api.CIDRRuleSlice
	for i, n := 0, 1+g.r.Intn(2); i < n; i++ {
		b := npBlocks[g.r.Intn(len(npBlocks))]
		c := api.CIDRRule{Cidr: api.CIDR(b.cidr)}
		for _, x := range b.except {
			c.ExceptCIDRs = append(c.ExceptCIDRs, api.CIDR(x))
		}
		out = append(out, c)
	}
	return out
}

func (g *cpGen) cpIngressPeers(ns string) api.IngressCommonRule {
	var c api.IngressCommonRule
	switch g.r.Intn(12) {
	case 0, 1, 2, 3:
		for i, n := 0, 1+g.r.Intn(2); i < n; i++ {
			c.FromEndpoints = append(c.FromEndpoints, g.cpPodPeer(ns))
		}
	case 4, 5:
		c.FromEntities = g.cpEntities()
	case 6:
		c.FromCIDRSet = g.cpCIDRs()
	case 7:
		c.FromCIDR = api.CIDRSlice{api.CIDR(g.pick("203.0.113.7", "198.51.100.0/24", "2001:db8::/32", "203.0.113.77/24"))}
	case 8:
		c.FromNodes = []api.EndpointSelector{cpSel(map[string]string{"kubernetes.io/hostname": g.pick("worker-2", "worker-3")})}
	case 9:
		c.FromEndpoints = []api.EndpointSelector{}
	}
	return c // 10, 11: no peers
}

func (g *cpGen) cpEgressPeers(ns string) api.EgressCommonRule {
	var c api.EgressCommonRule
	switch g.r.Intn(12) {
	case 0, 1, 2, 3:
		for i, n := 0, 1+g.r.Intn(2); i < n; i++ {
			c.ToEndpoints = append(c.ToEndpoints, g.cpPodPeer(ns))
		}
	case 4, 5:
		c.ToEntities = g.cpEntities()
	case 6:
		c.ToCIDRSet = g.cpCIDRs()
	case 7:
		c.ToCIDR = api.CIDRSlice{api.CIDR(g.pick("203.0.113.7", "198.51.100.0/24", "2001:db8::/32", "8.8.8.8/32"))}
	case 8:
		c.ToNodes = []api.EndpointSelector{cpSel(map[string]string{"kubernetes.io/hostname": g.pick("worker-2", "worker-3")})}
	case 9:
		c.ToEntities = api.EntitySlice{}
	case 10:
		ns := g.pick(append(append([]string{}, g.governed...), referencedNS)...)
		if g.chance(0.5) {
			c.ToServices = []api.Service{{K8sService: &api.K8sServiceNamespace{ServiceName: g.pick("web", "db"), Namespace: ns}}}
		} else {
			c.ToServices = []api.Service{{K8sServiceSelector: &api.K8sServiceSelectorNamespace{
				Selector: api.ServiceSelector(cpSel(map[string]string{"app": g.pick("a", "b")})), Namespace: ns}}}
		}
	}
	return c
}

// cpTraffic returns toPorts or icmps (or neither: all traffic). HTTP rules
// only for allow rules of pod policies.
func (g *cpGen) cpTraffic(allow, host, pods bool) (api.PortRules, api.ICMPRules) {
	switch g.r.Intn(8) {
	case 0, 1:
		if !g.l7 || !allow {
			return nil, nil
		}
	case 2:
		var icmps api.ICMPRules
		f := api.ICMPRule{}
		for i, n := 0, 1+g.r.Intn(2); i < n; i++ {
			var t intstr.IntOrString
			fam := g.pick("", "IPv4", "IPv6")
			switch {
			case fam == "IPv6":
				t = intstr.FromString("EchoRequest")
			case g.chance(0.5):
				t = intstr.FromInt32(8)
			default:
				t = intstr.FromString("EchoReply")
			}
			f.Fields = append(f.Fields, api.ICMPField{Family: fam, Type: &t})
		}
		return nil, append(icmps, f)
	}
	return g.cpPortRules(allow && !host, allow, pods, true), nil
}

// cpPortRules returns 1 or 2 toPorts entries; with http, sometimes one of
// HTTP rules on TCP 80 or 8080; allow says they are an allow rule's.
func (g *cpGen) cpPortRules(http, allow, pods, named bool) api.PortRules {
	var out api.PortRules
	for i, n := 0, 1+g.r.Intn(2); i < n; i++ {
		if http && g.l7 && g.chance(0.4) {
			out = append(out, api.PortRule{
				Ports: []api.PortProtocol{{Port: g.pick("80", "8080"), Protocol: api.ProtoTCP}},
				Rules: &api.L7Rules{HTTP: g.cpHTTP()},
			})
			continue
		}
		var pr api.PortRule
		for j, m := 0, 1+g.r.Intn(3); j < m; j++ {
			pr.Ports = append(pr.Ports, g.cpPort(pods && named, allow))
		}
		out = append(out, pr)
	}
	return out
}

// cpPort returns a port; allow is set for the ports of allow rules, which
// stay off the L7 ports in a set with L7 rules.
func (g *cpGen) cpPort(named, allow bool) api.PortProtocol {
	var p api.PortProtocol
	p.Protocol = api.L4Proto(g.pick("", "TCP", "TCP", "UDP", "SCTP", "ANY", "tcp"))
	if g.l7 && allow {
		p.Port = g.pick("443", "5432", "7000", "8081", "9090", "8050")
		if g.chance(0.2) {
			p.Port, p.EndPort = "7000", 7010
		}
		return p
	}
	switch g.r.Intn(8) {
	case 0, 1, 2:
		p.Port = g.pick("53", "80", "443", "5432", "7000", "8080", "8081", "9090", "8050")
	case 3:
		rng := [][2]int32{{8000, 8100}, {8080, 8081}, {7000, 7010}, {50, 60}, {9090, 9090}}[g.r.Intn(5)]
		p.Port, p.EndPort = fmt.Sprint(rng[0]), rng[1]
	case 4, 5:
		if named {
			p.Port = g.pick("http", "metrics", "dns", "sig", "alt", "HTTP")
		} else {
			p.Port = "443"
		}
	default:
		p.Port = "0"
	}
	return p
}

// cpHTTP returns 1 or 2 HTTP rules.
func (g *cpGen) cpHTTP() api.PortRulesHTTP {
	var out api.PortRulesHTTP
	for i, n := 0, 1+g.r.Intn(2); i < n; i++ {
		h := api.PortRuleHTTP{Method: g.pick("GET", "POST", "GET|HEAD", "", "PUT")}
		if g.chance(0.8) {
			h.Path = g.pick("/api/.*", "/api/public/.*", "/healthz", `/v[0-9]+/items`, "/api(/.*)?")
		}
		if g.chance(0.2) {
			h.Host = g.pick(`api\.example\.com`, `api\.example\.com(:[0-9]+)?`, `.*\.example\.com`)
		}
		switch g.r.Intn(6) {
		case 0:
			h.Headers = []string{g.pick("X-Debug", "Content-Type: application/json", "x-token: abc")}
		case 1:
			h.HeaderMatches = []*api.HeaderMatch{{Name: g.pick("X-Debug", "Content-Type", "X-Token"), Value: g.pick("", "1", "application/json", "abc")}}
		}
		out = append(out, h)
	}
	return out
}

// cpDenyPorts turns port rules into deny port rules (no L7).
func cpDenyPorts(prs api.PortRules) api.PortDenyRules {
	var out api.PortDenyRules
	for _, pr := range prs {
		out = append(out, api.PortDenyRule{Ports: pr.Ports})
	}
	return out
}

// Objects returns the case's objects, CNPs first, as values for a YAML or
// JSON writer.
func (c *CiliumPolCase) Objects() []any {
	var out []any
	for _, o := range c.CNPs {
		out = append(out, o)
	}
	for _, o := range c.CCNPs {
		out = append(out, o)
	}
	return out
}

// Smaller returns the cases one step smaller than c: an object, a spec or
// a rule less (deep copies; c is not modified), for shrinking.
func (c *CiliumPolCase) Smaller() []*CiliumPolCase {
	var out []*CiliumPolCase
	clone := func() *CiliumPolCase {
		cp := &CiliumPolCase{Case: c.Case}
		for _, o := range c.CNPs {
			cp.CNPs = append(cp.CNPs, o.DeepCopy())
		}
		for _, o := range c.CCNPs {
			cp.CCNPs = append(cp.CCNPs, o.DeepCopy())
		}
		return cp
	}
	for i := range c.CNPs {
		cp := clone()
		cp.CNPs = append(cp.CNPs[:i], cp.CNPs[i+1:]...)
		out = append(out, cp)
	}
	for i := range c.CCNPs {
		cp := clone()
		cp.CCNPs = append(cp.CCNPs[:i], cp.CCNPs[i+1:]...)
		out = append(out, cp)
	}
	// Rules of each spec, one at a time.
	type specRef struct {
		get func(*CiliumPolCase) *api.Rule
	}
	var refs []specRef
	for i, o := range c.CNPs {
		if o.Spec != nil {
			refs = append(refs, specRef{func(k *CiliumPolCase) *api.Rule { return k.CNPs[i].Spec }})
		}
		for j := range o.Specs {
			refs = append(refs, specRef{func(k *CiliumPolCase) *api.Rule { return k.CNPs[i].Specs[j] }})
		}
	}
	for i, o := range c.CCNPs {
		if o.Spec != nil {
			refs = append(refs, specRef{func(k *CiliumPolCase) *api.Rule { return k.CCNPs[i].Spec }})
		}
		for j := range o.Specs {
			refs = append(refs, specRef{func(k *CiliumPolCase) *api.Rule { return k.CCNPs[i].Specs[j] }})
		}
	}
	for _, ref := range refs {
		r := ref.get(c)
		total := len(r.Ingress) + len(r.IngressDeny) + len(r.Egress) + len(r.EgressDeny)
		if total <= 1 {
			continue
		}
		for k := 0; k < total; k++ {
			cp := clone()
			cpDropRule(ref.get(cp), k)
			out = append(out, cp)
		}
	}
	return out
}

// cpDropRule removes the k-th rule of r, counting ingress, ingressDeny,
// egress and egressDeny in that order.
func cpDropRule(r *api.Rule, k int) {
	switch {
	case k < len(r.Ingress):
		r.Ingress = append(r.Ingress[:k], r.Ingress[k+1:]...)
		return
	case k < len(r.Ingress)+len(r.IngressDeny):
		k -= len(r.Ingress)
		r.IngressDeny = append(r.IngressDeny[:k], r.IngressDeny[k+1:]...)
		return
	case k < len(r.Ingress)+len(r.IngressDeny)+len(r.Egress):
		k -= len(r.Ingress) + len(r.IngressDeny)
		r.Egress = append(r.Egress[:k], r.Egress[k+1:]...)
		return
	}
	k -= len(r.Ingress) + len(r.IngressDeny) + len(r.Egress)
	r.EgressDeny = append(r.EgressDeny[:k], r.EgressDeny[k+1:]...)
}
