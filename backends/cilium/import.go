package cilium

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/cilium/cilium/pkg/iana"

	"github.com/netpolc/netpolc/backends/cilium/api"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// ImportKinds are the kinds Import reads, for yamlsrc.Read: namespaced
// CiliumNetworkPolicies and cluster-scoped CiliumClusterwideNetworkPolicies.
var ImportKinds = []yamlsrc.Kind{
	{APIVersion: APIVersion, Kind: KindCNP},
	{APIVersion: APIVersion, Kind: KindCCNP, ClusterScoped: true},
}

// Import implements backends.Importer: it reads CiliumNetworkPolicies and
// CiliumClusterwideNetworkPolicies (cilium.io/v2; objects of other kinds are
// skipped with a note) into the IR, with the meaning Cilium's agent gives
// them (docs/semantics.md, section 2), decoded with Cilium's own Go types:
//
//   - one ir.Policy per rule: the object's spec and each entry of specs,
//     Origin "CiliumNetworkPolicy NS/NAME" (" (specs[i])" for list
//     entries), Namespace "" for a CCNP;
//   - subject: endpointSelector -> pods; in a CNP always the pods of the
//     policy's namespace (Cilium forces the namespace: a term on
//     k8s:io.kubernetes.pod.namespace in matchLabels is overwritten, other
//     namespace terms are decided against the policy's namespace); in a
//     CCNP, namespace and namespace-label terms become Subject.Namespaces
//     (the namespace key as kubernetes.io/metadata.name); nodeSelector (a
//     CCNP only) -> a node subject (host policy);
//   - isolation per direction: Cilium isolates a direction when the rule
//     has a rule of it (allow or deny) and enableDefaultDeny does not say
//     false for it; enableDefaultDeny true without rules isolates nothing
//     (Cilium makes no policy entry for it);
//   - one ir.Rule per ingress, ingressDeny, egress and egressDeny entry,
//     spanned at its list item. Peers: fromEndpoints/toEndpoints -> pod
//     peers with Cilium's namespace defaulting (no namespace term: the
//     policy's namespace, any namespace in a CCNP; the namespace key with
//     one value -> that namespace by name; other namespace or
//     namespace-label terms -> namespaces by labels, the namespace key read
//     as kubernetes.io/metadata.name); fromEntities/toEntities -> entities
//     (all -> the any peer); fromCIDR/toCIDR/fromCIDRSet/toCIDRSet -> CIDR
//     peers with their excepts; toFQDNs -> DNS names (lower case, without
//     a trailing dot); toServices -> services; fromNodes/toNodes -> node
//     peers. No peer list and some traffic -> the any peer (Cilium's L3
//     wildcard); an explicitly empty peer list, an empty rule ({}) or
//     toPorts entries without ports allow nothing (the rule still
//     isolates: no IR rule);
//   - traffic: no toPorts or icmps -> all traffic; each toPorts entry ->
//     one PortRule (protocol ANY when left out; port "0" every port of the
//     protocol; endPort above port a range; an IANA service name a named
//     port, lower-cased as Cilium does; a number as Cilium parses it, with
//     Go's base prefixes), rules.http -> HTTP rules (headers "Name" and
//     headerMatches without value: presence; "Name: value" and
//     headerMatches with an inline value: exact value; Envoy reads an
//     empty value as presence), rules.dns -> DNS lookups; icmps -> ICMP
//     types (family IPv4 when left out). Repeated ports and ICMP types
//     are kept once, and the ports of a deny rule's toPorts entries (which
//     carry no L7 rules) go into one PortRule;
//   - selectors: matchLabels stay labels and matchExpressions
//     expressions, keys without their k8s: or any: source;
//   - a rule of the shape ir.DNSRule builds (egress to the cluster DNS
//     server, UDP and TCP 53, with rules.dns) is marked Rule.DNS, so that
//     it reads as "allow dns".
//
// Errors, at the line and column of the field: what Decode refuses
// (unknown fields, wrong types; also unknown fields inside selectors,
// which Cilium's types would drop silently), what Cilium's agent refuses
// when it parses the rule (then it enforces nothing of the object: Cilium
// rejects the object as a whole), and every field the IR cannot hold
// (code "unsupported"): kafka, l7proto and l7 rules, TLS contexts,
// serverNames, listeners, authentication, CIDR groups, fromRequires and
// toRequires, fromGroups and toGroups, headerMatches with a mismatch action
// or a secret, reserved: and other label sources in peer selectors, the
// keys Cilium derives (cluster, service account) or leaves out of
// identities, services without a namespace (Cilium matches them in every
// namespace), extended IP protocols. An object given twice is an error.
//
// The result has DNS = ir.DefaultDNSServer(), Governed = the namespaces of
// the CNPs, ClusterWide when a CCNP was read; it passes ir.Validate, or the
// violation is an internal error. Policies of objects with errors are
// left out; the program is nil only when no object could be read.
func (Backend) Import(objs []*yamlsrc.Object) (*ir.Program, diag.List) {
	im := &cnpImporter{seen: map[string]*yamlsrc.Object{}}
	var pols []*ir.Policy
	read := 0
	for _, o := range objs {
		if o.APIVersion != APIVersion || (o.Kind != KindCNP && o.Kind != KindCCNP) {
			im.diags.Add(diag.Diagnostic{Severity: diag.Info, Code: yamlsrc.CodeSkipped, Span: o.Span,
				Message: fmt.Sprintf("skipped %s: not a %s %s or %s", o, APIVersion, KindCNP, KindCCNP)})
			continue
		}
		read++
		objPols, ok := im.object(o)
		if !ok {
			continue
		}
		pols = append(pols, objPols...)
	}
	if read > 0 && len(pols) == 0 && im.diags.HasErrors() {
		return nil, im.diags
	}
	prog := ir.ProgramOf(pols)
	if err := ir.Validate(prog); err != nil {
		im.diags.Errorf(codeInternal, source.Span{}, "the Cilium importer built invalid IR: %v", err)
		return nil, im.diags
	}
	return prog, im.diags
}

type cnpImporter struct {
	diags diag.List
	seen  map[string]*yamlsrc.Object // kind namespace/name -> first object
}

// object imports one CNP or CCNP: its policies, and false when it has
// errors (then none of its policies is kept, as Cilium rejects the
// object as a whole).
// validMeta reports whether the object's name (and namespace) are what
// the API server accepts: a DNS subdomain (and a DNS label). It reports
// them at their YAML lines otherwise: names end up in messages, in the
// comments netpolc import writes and in the objects convert writes.
func (im *cnpImporter) validMeta(o *yamlsrc.Object) bool {
	ok := true
	if errs := validation.IsDNS1123Subdomain(o.Name); len(errs) > 0 {
		im.diags.Errorf(codeInvalid, o.Pos("metadata", "name"), "metadata.name %q: %s", o.Name, strings.Join(errs, "; ")).Detail = detailAPIRefuses
		ok = false
	}
	if o.Kind == KindCNP {
		if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
			im.diags.Errorf(codeInvalid, o.Pos("metadata", "namespace"), "metadata.namespace %q: %s", o.Namespace, strings.Join(errs, "; ")).Detail = detailAPIRefuses
			ok = false
		}
	}
	return ok
}

func (im *cnpImporter) object(o *yamlsrc.Object) ([]*ir.Policy, bool) {
	key := o.Kind + " " + o.Namespace + "/" + o.Name
	if first, dup := im.seen[key]; dup {
		d := im.diags.Errorf("duplicate", o.Span, "%s is defined twice", o)
		d.Notes = []diag.Note{{Span: first.Span, Message: "first defined here"}}
		return nil, false
	}
	im.seen[key] = o
	if !im.validMeta(o) {
		return nil, false
	}

	// The fields the IR cannot hold and the selectors (whose Cilium type
	// reads its own JSON, unchecked) are judged on the generic form first.
	var raw any
	if d := o.Decode(&raw); d.HasErrors() {
		im.diags.Append(d)
		return nil, false
	}
	sc := &importScanner{o: o}
	sc.object(raw)
	im.diags.Append(sc.diags)

	if sc.noICMPType {
		return nil, false
	}
	spec, specs, d := decodeTyped(o)
	for _, x := range d {
		if sc.covers(x.Span) {
			continue // reported as unsupported by the scanner
		}
		im.diags.Add(x)
	}
	if d.HasErrors() || sc.diags.HasErrors() {
		return nil, false
	}
	if spec == nil && len(specs) == 0 {
		im.diags.Errorf(codeInvalid, o.Span, msgNoSpec, o).Detail = detailAgentRefuses
		return nil, false
	}
	origin := o.Kind + " " + o.Name
	if o.Namespace != "" {
		origin = o.Kind + " " + o.Namespace + "/" + o.Name
	}
	var out []*ir.Policy
	ok := true
	add := func(r *api.Rule, path []any, origin string) {
		if r == nil {
			im.diags.Errorf(codeInvalid, o.Pos(path...), msgNullRule, o).Detail = detailAgentRefuses
			ok = false
			return
		}
		rc := &ruleImporter{im: im, o: o, path: path, ns: o.Namespace, ccnp: o.Kind == KindCCNP}
		pol := rc.policy(r, origin)
		if pol == nil {
			ok = false
			return
		}
		out = append(out, pol)
	}
	if spec != nil {
		add(spec, []any{"spec"}, origin)
	}
	for i, r := range specs {
		add(r, []any{"specs", i}, fmt.Sprintf("%s (specs[%d])", origin, i))
	}
	if !ok {
		return nil, false
	}
	return out, true
}

// ruleImporter imports one rule (spec or an entry of specs) of an object.
type ruleImporter struct {
	im   *cnpImporter
	o    *yamlsrc.Object
	path []any // of the rule: ("spec") or ("specs", i)
	ns   string
	ccnp bool
	host bool // a host policy (nodeSelector)
	bad  bool // an error was reported
}

// at returns the span of the field at path below the rule.
func (rc *ruleImporter) at(path ...any) source.Span {
	return rc.o.Pos(append(slices.Clone(rc.path), path...)...)
}

func (rc *ruleImporter) errorf(code diag.Code, span source.Span, format string, args ...any) *diag.Diagnostic {
	rc.bad = true
	d := rc.im.diags.Errorf(code, span, format, args...)
	if code == codeInvalid {
		d.Detail = detailAgentRefuses
	}
	return d
}

// policy imports rule r; nil when it has errors.
func (rc *ruleImporter) policy(r *api.Rule, origin string) *ir.Policy {
	pol := &ir.Policy{Span: rc.at(), Name: rc.o.Name, Origin: origin, Namespace: rc.ns}
	if len(r.Ingress) == 0 && len(r.IngressDeny) == 0 && len(r.Egress) == 0 && len(r.EgressDeny) == 0 {
		rc.errorf(codeInvalid, rc.at(), msgNoRules)
	}
	switch {
	case r.EndpointSelector.LabelSelector == nil && r.NodeSelector.LabelSelector == nil:
		rc.errorf(codeInvalid, rc.at(), msgNoSubject)
	case r.EndpointSelector.LabelSelector != nil && r.NodeSelector.LabelSelector != nil:
		rc.errorf(codeInvalid, rc.at("nodeSelector"), msgBothSubjects)
	case r.NodeSelector.LabelSelector != nil && !rc.ccnp:
		rc.errorf(codeInvalid, rc.at("nodeSelector"), msgNodeSelectorCNP)
	case r.NodeSelector.LabelSelector != nil:
		rc.host = true
		pol.Subject = ir.Subject{Span: rc.at("nodeSelector"), Nodes: true,
			Pods: rc.nodeSelector(r.NodeSelector.LabelSelector, "nodeSelector")}
	default:
		pol.Subject = rc.subject(r.EndpointSelector.LabelSelector)
	}
	if rc.bad {
		return nil
	}
	// Cilium fills in the default per direction (Rule.Sanitize) and makes
	// a policy entry, which carries the default-deny flag, per rule of the
	// direction: a direction without rules is never isolated.
	dd := func(set *bool, rules int) bool { return rules > 0 && (set == nil || *set) }
	pol.Isolation = ir.Isolation{
		Ingress: dd(r.EnableDefaultDeny.Ingress, len(r.Ingress)+len(r.IngressDeny)),
		Egress:  dd(r.EnableDefaultDeny.Egress, len(r.Egress)+len(r.EgressDeny)),
	}
	if r.EnableDefaultDeny.Ingress != nil && *r.EnableDefaultDeny.Ingress && len(r.Ingress)+len(r.IngressDeny) == 0 {
		rc.im.diags.Warnf(codeNoEffect, rc.at("enableDefaultDeny", "ingress"), msgDefaultDenyNoRules, "ingress").Detail = detailDefaultDenyNoRules
	}
	if r.EnableDefaultDeny.Egress != nil && *r.EnableDefaultDeny.Egress && len(r.Egress)+len(r.EgressDeny) == 0 {
		rc.im.diags.Warnf(codeNoEffect, rc.at("enableDefaultDeny", "egress"), msgDefaultDenyNoRules, "egress").Detail = detailDefaultDenyNoRules
	}
	for i, x := range r.Ingress {
		rc.add(pol, rc.rule(ir.Ingress, ir.Allow, "ingress", i, ingressL3(x.IngressCommonRule), x.ToPorts, nil, x.ICMPs))
	}
	for i, x := range r.IngressDeny {
		rc.add(pol, rc.rule(ir.Ingress, ir.Deny, "ingressDeny", i, ingressL3(x.IngressCommonRule), nil, x.ToPorts, x.ICMPs))
	}
	for i, x := range r.Egress {
		peers := egressL3(x.EgressCommonRule)
		peers.fqdns = x.ToFQDNs
		rc.add(pol, rc.rule(ir.Egress, ir.Allow, "egress", i, peers, x.ToPorts, nil, x.ICMPs))
	}
	for i, x := range r.EgressDeny {
		rc.add(pol, rc.rule(ir.Egress, ir.Deny, "egressDeny", i, egressL3(x.EgressCommonRule), nil, x.ToPorts, x.ICMPs))
	}
	if rc.bad {
		return nil
	}
	ir.SortRules(pol.Rules)
	return pol
}

func (rc *ruleImporter) add(pol *ir.Policy, r *ir.Rule) {
	if r != nil {
		pol.Rules = append(pol.Rules, r)
	}
}

// l3Peers is the peers of one Cilium rule, by field (JSON name -> list).
type l3Peers struct {
	endpoints, nodes []api.EndpointSelector
	cidrs            api.CIDRSlice
	cidrSets         api.CIDRRuleSlice
	entities         api.EntitySlice
	services         []api.Service
	fqdns            api.FQDNSelectorSlice
	ingress          bool
}

func ingressL3(c api.IngressCommonRule) l3Peers {
	return l3Peers{endpoints: c.FromEndpoints, nodes: c.FromNodes, cidrs: c.FromCIDR, cidrSets: c.FromCIDRSet,
		entities: c.FromEntities, ingress: true}
}

func egressL3(c api.EgressCommonRule) l3Peers {
	return l3Peers{endpoints: c.ToEndpoints, nodes: c.ToNodes, cidrs: c.ToCIDR, cidrSets: c.ToCIDRSet,
		entities: c.ToEntities, services: c.ToServices}
}

// field names the JSON field of a peer list in the rule's direction.
func (p l3Peers) field(in, out string) string {
	if p.ingress {
		return in
	}
	return out
}

// rule imports one Cilium rule (entry i of the list dir); nil when it
// allows nothing or has errors.
func (rc *ruleImporter) rule(dir ir.Direction, act ir.Action, list string, i int, peers l3Peers, ports api.PortRules, denyPorts api.PortDenyRules, icmps api.ICMPRules) *ir.Rule {
	at := func(path ...any) source.Span { return rc.at(append([]any{list, i}, path...)...) }
	r := &ir.Rule{Span: at(), Direction: dir, Action: act}
	// Each rule is judged on its own errors, and every rule is judged.
	was := rc.bad
	rc.bad = false
	defer func() { rc.bad = rc.bad || was }()

	type member struct {
		name  string
		n     int
		isNil bool
	}
	members := []member{
		{peers.field("fromEndpoints", "toEndpoints"), len(peers.endpoints), peers.endpoints == nil},
		{peers.field("fromNodes", "toNodes"), len(peers.nodes), peers.nodes == nil},
		{peers.field("fromCIDR", "toCIDR"), len(peers.cidrs), peers.cidrs == nil},
		{peers.field("fromCIDRSet", "toCIDRSet"), len(peers.cidrSets), peers.cidrSets == nil},
		{peers.field("fromEntities", "toEntities"), len(peers.entities), peers.entities == nil},
		{"toServices", len(peers.services), true},
		{"toFQDNs", len(peers.fqdns), true},
	}
	var used []string
	emptyList := ""
	for _, m := range members {
		if m.n > 0 {
			used = append(used, m.name)
		} else if !m.isNil && emptyList == "" {
			emptyList = m.name
		}
	}
	if len(used) > 1 {
		rc.errorf(codeInvalid, at(used[1]), msgCombined, used[0], used[1])
		return nil
	}

	// Traffic.
	nPorts := len(ports) + len(denyPorts)
	if nPorts > 0 && len(icmps) > 0 {
		rc.errorf(codeInvalid, at("icmps"), msgICMPWithPorts)
		return nil
	}
	switch {
	case len(icmps) > 0:
		r.ICMP = rc.icmps(icmps, at)
	case len(ports) > 0:
		r.Ports = rc.portRules(ports, dir, at)
	case len(denyPorts) > 0:
		// Deny port rules carry ports only: one PortRule holds them all.
		for j, pr := range denyPorts {
			got := rc.portRule(pr.Ports, nil, dir, at, j)
			switch {
			case got == nil:
			case len(r.Ports) == 0:
				r.Ports = []ir.PortRule{*got}
			default:
				r.Ports[0].Ports = dedupePorts(append(r.Ports[0].Ports, got.Ports...))
			}
		}
	default:
		r.AllTraffic = true
	}
	if rc.bad {
		return nil
	}
	if !r.AllTraffic && len(r.Ports) == 0 && len(r.ICMP) == 0 {
		// toPorts entries without ports: Cilium adds no port for them.
		rc.im.diags.Warnf(codeNoEffect, at("toPorts"), msgNoPorts).Detail = detailAllowsNothing
		return nil
	}

	// Peers.
	if emptyList != "" && len(used) == 0 {
		if nPorts > 0 || len(icmps) > 0 {
			rc.im.diags.Warnf(codeNoEffect, at(emptyList), msgEmptyPeerList, emptyList).Detail = detailAllowsNothing
		}
		return nil
	}
	if len(used) == 0 {
		if nPorts == 0 && len(icmps) == 0 {
			return nil // the empty rule: it isolates, and selects no peer
		}
		// No L3 part: Cilium's L3 wildcard (every peer) for the traffic.
		r.Peers = []ir.Peer{{Span: at(), Kind: ir.PeerAny}}
		return rc.dnsShape(r)
	}
	var out []ir.Peer
	switch name := used[0]; name {
	case "fromEndpoints", "toEndpoints":
		for j, sel := range peers.endpoints {
			if p, ok := rc.podPeer(sel.LabelSelector, at(name, j), list, i, name, j); ok {
				out = append(out, p)
			}
		}
	case "fromNodes", "toNodes":
		for j, sel := range peers.nodes {
			out = append(out, ir.Peer{Span: at(name, j), Kind: ir.PeerNodes,
				Pods: rc.nodeSelector(sel.LabelSelector, list, i, name, j)})
		}
	case "fromCIDR", "toCIDR":
		for j, c := range peers.cidrs {
			if p, ok := rc.cidr(string(c), nil, true, at(name, j), nil); ok {
				out = append(out, p)
			}
		}
	case "fromCIDRSet", "toCIDRSet":
		for j, c := range peers.cidrSets {
			var excepts []string
			for _, x := range c.ExceptCIDRs {
				excepts = append(excepts, string(x))
			}
			exceptAt := func(k int) source.Span { return at(name, j, "except", k) }
			if p, ok := rc.cidr(string(c.Cidr), excepts, false, at(name, j, "cidr"), exceptAt); ok {
				p.Span = at(name, j)
				out = append(out, p)
			}
		}
	case "fromEntities", "toEntities":
		for j, e := range peers.entities {
			if p, ok := rc.entity(e, at(name, j)); ok {
				out = append(out, p)
			}
		}
	case "toServices":
		for j, s := range peers.services {
			if p, ok := rc.service(s, at(name, j), list, i, j); ok {
				out = append(out, p)
			}
		}
	case "toFQDNs":
		if act == ir.Allow {
			for j, f := range peers.fqdns {
				if fq, ok := rc.fqdn(f.MatchName, f.MatchPattern, at(name, j)); ok {
					out = append(out, ir.Peer{Span: at(name, j), Kind: ir.PeerFQDN, FQDN: fq})
				}
			}
		}
	}
	if rc.bad {
		return nil
	}
	r.Peers = ir.PeersIn(out, rc.ns)
	return rc.dnsShape(r)
}

// dnsShape marks r as the DNS rule when it has exactly the shape
// ir.DNSRule builds (with lookups), its ports in DNSRule's order.
func (rc *ruleImporter) dnsShape(r *ir.Rule) *ir.Rule {
	dns := ir.DefaultDNSServer()
	want := ir.DNSRule(dns, rc.ns, nil, r.Span)
	if r.Direction != ir.Egress || r.Action != ir.Allow || len(r.Peers) != 1 || len(r.Ports) != 1 ||
		ir.PeerKey(r.Peers[0]) != ir.PeerKey(want.Peers[0]) || len(r.Ports[0].DNS) == 0 || len(r.Ports[0].Ports) != 2 {
		return r
	}
	var udp, tcp *ir.Port
	for k := range r.Ports[0].Ports {
		p := &r.Ports[0].Ports[k]
		if p.Port != dns.Port || p.EndPort != 0 || p.Name != "" {
			return r
		}
		switch p.Protocol {
		case ir.UDP:
			udp = p
		case ir.TCP:
			tcp = p
		}
	}
	if udp == nil || tcp == nil {
		return r
	}
	r.Ports[0].Ports = []ir.Port{*udp, *tcp}
	r.DNS = true
	return r
}

// portRules imports the toPorts entries of an allow rule.
func (rc *ruleImporter) portRules(ports api.PortRules, dir ir.Direction, at func(...any) source.Span) []ir.PortRule {
	var out []ir.PortRule
	for j, pr := range ports {
		if got := rc.portRule(pr.Ports, pr.Rules, dir, at, j); got != nil {
			out = append(out, *got)
		}
	}
	return out
}

// portRule imports toPorts entry j; nil when it has no ports.
func (rc *ruleImporter) portRule(ports []api.PortProtocol, rules *api.L7Rules, dir ir.Direction, at func(...any) source.Span, j int) *ir.PortRule {
	pat := func(path ...any) source.Span { return at(append([]any{"toPorts", j}, path...)...) }
	if len(ports) > maxPorts {
		rc.errorf(codeInvalid, pat("ports"), msgTooManyPorts, maxPorts)
		return nil
	}
	pr := &ir.PortRule{Span: pat()}
	hasHTTP := rules != nil && len(rules.HTTP) > 0
	hasDNS := rules != nil && len(rules.DNS) > 0
	if hasHTTP && hasDNS {
		rc.errorf(codeInvalid, pat("rules"), msgHTTPAndDNS)
		return nil
	}
	if hasDNS && dir == ir.Ingress {
		rc.errorf(codeInvalid, pat("rules", "dns"), msgDNSIngress)
		return nil
	}
	if hasHTTP && rc.host {
		rc.errorf(codeInvalid, pat("rules", "http"), msgHostHTTPImport, dir)
		return nil
	}
	for k, pp := range ports {
		sp := pat("ports", k)
		p, ok := rc.port(pp, sp, hasDNS)
		if !ok {
			continue
		}
		if hasHTTP && (p.Protocol != ir.TCP) {
			rc.errorf(codeInvalid, sp, msgL7NotTCP, p.Protocol)
			continue
		}
		if (hasHTTP || hasDNS) && p.Port == 0 && p.Name == "" {
			rc.errorf(codeInvalid, sp, msgL7PortZero)
			continue
		}
		pr.Ports = append(pr.Ports, p)
	}
	if hasDNS && len(ports) == 0 {
		rc.errorf(codeInvalid, pat("rules", "dns"), msgDNSNoPort)
	}
	if hasHTTP {
		for h, x := range rules.HTTP {
			pr.HTTP = append(pr.HTTP, rc.http(x, pat("rules", "http", h)))
		}
	}
	if hasDNS {
		for h, x := range rules.DNS {
			if f, ok := rc.fqdn(x.MatchName, x.MatchPattern, pat("rules", "dns", h)); ok {
				pr.DNS = append(pr.DNS, f)
			}
		}
	}
	if rc.bad || len(pr.Ports) == 0 {
		return nil
	}
	pr.Ports = dedupePorts(pr.Ports)
	return pr
}

// dedupePorts keeps the first of ports that are the same (spans aside).
func dedupePorts(ports []ir.Port) []ir.Port {
	type key struct {
		proto     ir.Protocol
		port, end uint16
		name      string
	}
	seen := map[key]bool{}
	out := ports[:0:0]
	for _, p := range ports {
		k := key{p.Protocol, p.Port, p.EndPort, p.Name}
		if !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}

// port imports one port as Cilium's PortProtocol.sanitize reads it.
func (rc *ruleImporter) port(pp api.PortProtocol, sp source.Span, dns bool) (ir.Port, bool) {
	out := ir.Port{Span: sp}
	proto, err := api.ParseL4Proto(string(pp.Protocol))
	if err != nil {
		rc.errorf(codeInvalid, sp, msgBadProtocol, pp.Protocol, err)
		return out, false
	}
	switch proto {
	case api.ProtoTCP, api.ProtoUDP, api.ProtoSCTP, api.ProtoAny:
		out.Protocol = ir.Protocol(proto)
	default:
		rc.errorf(codeUnsupported, sp, msgProtocolUnsupported, proto)
		return out, false
	}
	switch {
	case pp.Port == "":
		rc.errorf(codeInvalid, sp, msgNoPort)
		return out, false
	case iana.IsSvcName(pp.Port):
		out.Name = strings.ToLower(pp.Port)
		if pp.EndPort != 0 {
			rc.errorf(codeUnsupported, sp, msgNamedRange, pp.Port)
			return out, false
		}
	default:
		n, err := strconv.ParseUint(pp.Port, 0, 16)
		if err != nil {
			rc.errorf(codeInvalid, sp, msgBadPort, pp.Port, err)
			return out, false
		}
		out.Port = uint16(n)
		if pp.EndPort < 0 || pp.EndPort > 65535 {
			rc.errorf(codeInvalid, sp, msgBadEndPort, pp.EndPort)
			return out, false
		}
		if n != 0 && pp.EndPort > int32(n) {
			if dns {
				rc.errorf(codeInvalid, sp, msgDNSRange)
				return out, false
			}
			out.EndPort = uint16(pp.EndPort)
		} else if pp.EndPort != 0 && pp.EndPort != int32(n) {
			rc.im.diags.Warnf(codeNoEffect, sp, msgEndPortIgnored, pp.EndPort, pp.Port)
		}
	}
	return out, true
}

// http imports one HTTP rule.
func (rc *ruleImporter) http(h api.PortRuleHTTP, sp source.Span) ir.HTTPRule {
	out := ir.HTTPRule{Span: sp, Method: h.Method, Path: h.Path, Host: h.Host}
	if _, err := regexpCompile(h.Path); err != nil {
		rc.errorf(codeInvalid, sp, msgBadRegex, "path", h.Path, err)
	}
	if _, err := regexpCompile(h.Method); err != nil {
		rc.errorf(codeInvalid, sp, msgBadRegex, "method", h.Method, err)
	}
	for _, hd := range h.Headers {
		// As Cilium's Envoy translation: split at the first space; the
		// name loses its trailing colons, the rest is the exact value.
		name, value, found := strings.Cut(hd, " ")
		if !found {
			out.Headers = append(out.Headers, ir.HeaderMatch{Name: hd})
			continue
		}
		name = strings.TrimRight(name, ":")
		out.Headers = append(out.Headers, headerMatch(name, value))
	}
	for _, hm := range h.HeaderMatches {
		// The scanner refused mismatch actions and secrets.
		if hm.Name == "" {
			rc.errorf(codeInvalid, sp, msgHeaderNoName)
			continue
		}
		out.Headers = append(out.Headers, headerMatch(hm.Name, hm.Value))
	}
	return out
}

// headerMatch is the header condition Envoy applies: an empty exact value
// matches any value, i.e. presence.
func headerMatch(name, value string) ir.HeaderMatch {
	if value == "" {
		return ir.HeaderMatch{Name: name}
	}
	return ir.HeaderMatch{Name: name, Value: &value}
}

// icmps imports the icmps of a rule.
func (rc *ruleImporter) icmps(rules api.ICMPRules, at func(...any) source.Span) []ir.ICMPType {
	var out []ir.ICMPType
	for a, r := range rules {
		if len(r.Fields) > maxICMPFields {
			rc.errorf(codeInvalid, at("icmps", a, "fields"), msgTooManyICMP, maxICMPFields)
			continue
		}
		for b, f := range r.Fields {
			sp := at("icmps", a, "fields", b)
			t := ir.ICMPType{Span: sp, Family: ir.ICMPv4}
			switch f.Family {
			case "", api.IPv4Family:
			case api.IPv6Family:
				t.Family = ir.ICMPv6
			default:
				rc.errorf(codeInvalid, sp, msgBadFamily, f.Family)
				continue
			}
			if f.Type == nil {
				rc.errorf(codeInvalid, sp, msgICMPNoType)
				continue
			}
			if f.Type.Type == intstr.Int {
				if f.Type.IntVal < 0 || f.Type.IntVal > 255 {
					rc.errorf(codeInvalid, sp, msgICMPTypeRange, f.Type.IntVal)
					continue
				}
				t.Type = strconv.Itoa(int(f.Type.IntVal))
			} else {
				// A type name becomes its number, as Cilium's own table
				// translates it (the language writes numbers).
				t.Type = f.Number()
			}
			if !slices.ContainsFunc(out, func(u ir.ICMPType) bool { return u.Family == t.Family && u.Type == t.Type }) {
				out = append(out, t)
			}
		}
	}
	return out
}

// cidr imports a CIDR peer: bare addresses only where Cilium takes them
// (toCIDR), host bits masked with a warning, excepts inside the CIDR.
func (rc *ruleImporter) cidr(s string, excepts []string, bare bool, sp source.Span, exceptAt func(int) source.Span) (ir.Peer, bool) {
	parse := func(s string, bare bool, sp source.Span) (netip.Prefix, bool) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			if a, aerr := netip.ParseAddr(s); aerr == nil && bare && a.Zone() == "" {
				return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), true
			}
			rc.errorf(codeInvalid, sp, msgBadCIDR, s, err)
			return p, false
		}
		if p.Addr().Is4In6() {
			rc.errorf(codeUnsupported, sp, msgMappedCIDR, s)
			return p, false
		}
		if m := p.Masked(); m != p {
			rc.im.diags.Warnf(codeNonCanonicalCIDR, sp, msgHostBits, s, m).Detail = detailHostBits
			p = m
		}
		return p, true
	}
	prefix, ok := parse(s, bare, sp)
	if !ok {
		return ir.Peer{}, false
	}
	out := ir.Peer{Span: sp, Kind: ir.PeerCIDR, CIDR: prefix}
	for k, x := range excepts {
		esp := exceptAt(k)
		ex, ok := parse(x, false, esp)
		if !ok {
			continue
		}
		switch {
		case ex.Addr().Is4() != prefix.Addr().Is4() || ex.Bits() < prefix.Bits() || !prefix.Contains(ex.Addr()):
			rc.errorf(codeInvalid, esp, msgExceptOutside, x, s)
		case ex.Bits() == prefix.Bits():
			rc.errorf(codeUnsupported, esp, msgExceptEqual, x, s)
		default:
			out.Except = append(out.Except, ex)
		}
	}
	slices.SortFunc(out.Except, func(a, b netip.Prefix) int {
		return cmp.Or(a.Addr().Compare(b.Addr()), a.Bits()-b.Bits())
	})
	out.Except = slices.Compact(out.Except)
	return out, !rc.bad
}

// entity imports one entity; all is the any peer.
func (rc *ruleImporter) entity(e api.Entity, sp source.Span) (ir.Peer, bool) {
	if e == api.EntityAll {
		return ir.Peer{Span: sp, Kind: ir.PeerAny}, true
	}
	// The IR's entities are Cilium's (api.EntitySelectorMapping, which
	// the agent completes at run time).
	if !slices.Contains(ir.Entities, ir.Entity(e)) {
		rc.errorf(codeInvalid, sp, msgBadEntity, e)
		return ir.Peer{}, false
	}
	return ir.Peer{Span: sp, Kind: ir.PeerEntity, Entity: ir.Entity(e)}, true
}

// service imports one toServices entry.
func (rc *ruleImporter) service(s api.Service, sp source.Span, list string, i, j int) (ir.Peer, bool) {
	out := ir.Peer{Span: sp, Kind: ir.PeerService}
	switch {
	case s.K8sServiceSelector != nil && s.K8sService != nil:
		rc.errorf(codeUnsupported, sp, msgServiceBoth)
	case s.K8sServiceSelector != nil:
		if s.K8sServiceSelector.Namespace == "" {
			rc.errorf(codeUnsupported, rc.at(list, i, "toServices", j, "k8sServiceSelector"), msgServiceAnyNamespace)
			break
		}
		sel := rc.plainSelector(s.K8sServiceSelector.Selector.LabelSelector, []any{list, i, "toServices", j, "k8sServiceSelector", "selector"})
		out.Service = ir.Service{Namespace: s.K8sServiceSelector.Namespace, Selector: &sel}
	case s.K8sService != nil:
		switch {
		case s.K8sService.Namespace == "":
			rc.errorf(codeUnsupported, rc.at(list, i, "toServices", j, "k8sService"), msgServiceAnyNamespace)
		case s.K8sService.ServiceName == "":
			rc.errorf(codeInvalid, rc.at(list, i, "toServices", j, "k8sService"), msgServiceNoName)
		}
		out.Service = ir.Service{Namespace: s.K8sService.Namespace, Name: s.K8sService.ServiceName}
	default:
		rc.errorf(codeInvalid, sp, msgServiceEmpty)
	}
	return out, !rc.bad
}

// fqdn imports a matchName or matchPattern (toFQDNs or rules.dns).
func (rc *ruleImporter) fqdn(name, pattern string, sp source.Span) (ir.FQDN, bool) {
	switch {
	case name != "" && pattern != "":
		rc.errorf(codeInvalid, sp, msgFQDNBoth)
	case name == "" && pattern == "":
		rc.errorf(codeInvalid, sp, msgFQDNEmpty)
	case name != "":
		if !fqdnName.MatchString(name) {
			rc.errorf(codeInvalid, sp, msgFQDNChars, name)
			break
		}
		return ir.FQDN{Pattern: strings.TrimSuffix(strings.ToLower(name), "."), Exact: true}, true
	default:
		if !fqdnPattern.MatchString(pattern) {
			rc.errorf(codeInvalid, sp, msgFQDNChars, pattern)
			break
		}
		return ir.FQDN{Pattern: normalizePattern(pattern)}, true
	}
	return ir.FQDN{}, false
}

// --- selectors

// selectorTerm is one requirement of a Cilium label selector, with its key split
// into the label source and the key proper.
type selectorTerm struct {
	src, key string
	op       ir.Operator
	values   []string
	label    bool // from matchLabels
	span     source.Span
}

// terms splits ls into terms, checking keys, operators and values as the
// agent's label selector validation does. path is the selector's path
// below the rule.
func (rc *ruleImporter) terms(ls *api.LabelSelector, path []any) []selectorTerm {
	if ls == nil {
		return nil
	}
	var out []selectorTerm
	keys := make([]string, 0, len(ls.MatchLabels))
	for k := range ls.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sp := rc.at(append(slices.Clone(path), "matchLabels", k)...)
		src, key := splitSource(k)
		v := ls.MatchLabels[k]
		rc.checkKey(src, key, sp)
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			rc.errorf(codeInvalid, sp, msgBadLabelValue, v, k, strings.Join(errs, "; "))
		}
		out = append(out, selectorTerm{src: src, key: key, op: ir.OpIn, values: []string{v}, label: true, span: sp})
	}
	for n, x := range ls.MatchExpressions {
		sp := rc.at(append(slices.Clone(path), "matchExpressions", n)...)
		src, key := splitSource(x.Key)
		rc.checkKey(src, key, sp)
		op := ir.Operator(x.Operator)
		switch op {
		case ir.OpIn, ir.OpNotIn:
			if len(x.Values) == 0 {
				rc.errorf(codeInvalid, sp, msgNoValues, x.Operator)
			}
		case ir.OpExists, ir.OpDoesNotExist:
			if len(x.Values) > 0 {
				rc.errorf(codeInvalid, sp, msgValues, x.Operator)
			}
		default:
			rc.errorf(codeInvalid, sp, msgBadOperator, x.Operator)
		}
		for _, v := range x.Values {
			if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
				rc.errorf(codeInvalid, sp, msgBadLabelValue, v, x.Key, strings.Join(errs, "; "))
			}
		}
		out = append(out, selectorTerm{src: src, key: key, op: op, values: slices.Clone(x.Values), span: sp})
	}
	return out
}

func (rc *ruleImporter) checkKey(src, key string, sp source.Span) {
	if errs := validation.IsQualifiedName(key); len(errs) > 0 {
		rc.errorf(codeInvalid, sp, msgBadLabelKey, key, strings.Join(errs, "; "))
	}
}

// splitSource splits a Cilium selector key into its label source ("" when
// it has none, which Cilium reads as any) and the key, as Cilium does ("$"
// is the reserved source).
func splitSource(k string) (string, string) {
	if strings.HasPrefix(k, "$") {
		return "reserved", k[1:]
	}
	if i := strings.IndexByte(k, ':'); i >= 0 {
		return k[:i], k[i+1:]
	}
	return "", k
}

// Keys Cilium derives for pods, without their k8s: source.
const (
	podNamespaceKey  = "io.kubernetes.pod.namespace"
	ciliumK8sPrefix  = "io.cilium.k8s."
	namespaceNameKey = "kubernetes.io/metadata.name"
)

// addTerm adds t to s, as a label (from matchLabels) or an expression.
// A key may come twice with different sources (app and k8s:app); a
// second label on the key becomes an In requirement, so that the
// selector keeps both conditions with its label keys unique.
func addTerm(s *ir.Selector, key string, t selectorTerm) {
	if t.label {
		if !slices.ContainsFunc(s.MatchLabels, func(l ir.Label) bool { return l.Key == key }) {
			s.MatchLabels = append(s.MatchLabels, ir.Label{Key: key, Value: t.values[0]})
			return
		}
	}
	x := ir.Expression{Key: key, Operator: t.op}
	if len(t.values) > 0 {
		x.Values = slices.Clone(t.values)
	}
	s.MatchExpressions = append(s.MatchExpressions, x)
}

// podTerm checks the key of a term on pod labels: the k8s and any sources
// only, no key Cilium derives, none its identities leave out.
func (rc *ruleImporter) podTerm(t selectorTerm) bool {
	switch {
	case t.src != "" && t.src != "k8s" && t.src != "any":
		rc.errorf(codeUnsupported, t.span, msgLabelSource, t.src+":"+t.key, t.src)
	case strings.HasPrefix(t.key, ciliumK8sPrefix):
		rc.errorf(codeUnsupported, t.span, msgDerivedKey, t.key)
	case !inIdentity(t.key):
		rc.errorf(codeUnsupported, t.span, msgFilteredKeyImport, t.key).Detail = detailFilteredKey
	default:
		return true
	}
	return false
}

// subject imports the endpointSelector of the rule.
func (rc *ruleImporter) subject(ls *api.LabelSelector) ir.Subject {
	out := ir.Subject{Span: rc.at("endpointSelector")}
	var namespaces ir.Selector
	nsTerms := false
	for _, t := range rc.terms(ls, []any{"endpointSelector"}) {
		if t.src == "reserved" {
			rc.errorf(codeUnsupported, t.span, msgReservedSubject, t.key)
			continue
		}
		switch {
		case (t.src == "" || t.src == "k8s" || t.src == "any") && t.key == podNamespaceKey:
			if rc.ccnp {
				addTerm(&namespaces, namespaceNameKey, t)
				nsTerms = true
				continue
			}
			// Cilium sets k8s:io.kubernetes.pod.namespace to the policy's
			// namespace, overwriting that matchLabels entry; any other
			// namespace term stays and is decided here.
			if t.src == "k8s" && t.label {
				if t.values[0] != rc.ns {
					rc.im.diags.Warnf(codeNoEffect, t.span, msgSubjectNamespaceOverwritten, t.values[0], rc.ns)
				}
				continue
			}
			if !termHolds(t, rc.ns) {
				rc.errorf(codeUnsupported, t.span, msgSubjectOtherNamespace, rc.ns)
			}
		case (t.src == "" || t.src == "k8s" || t.src == "any") && strings.HasPrefix(t.key, NamespaceLabelsPrefix):
			if !rc.ccnp {
				rc.errorf(codeUnsupported, t.span, msgSubjectNamespaceLabels)
				continue
			}
			addTerm(&namespaces, strings.TrimPrefix(t.key, NamespaceLabelsPrefix), t)
			nsTerms = true
		default:
			if rc.podTerm(t) {
				addTerm(&out.Pods, t.key, t)
			}
		}
	}
	out.Pods = out.Pods.Normalize()
	if nsTerms {
		namespaces = namespaces.Normalize()
		out.Namespaces = &namespaces
	}
	return out
}

// termHolds reports whether a term on the namespace key holds for the
// namespace ns.
func termHolds(t selectorTerm, ns string) bool {
	return ir.Selector{MatchExpressions: []ir.Expression{{Key: "ns", Operator: t.op, Values: sortedCopy(t.values)}}}.
		Matches(map[string]string{"ns": ns})
}

func sortedCopy(v []string) []string {
	out := slices.Clone(v)
	sort.Strings(out)
	return out
}

// nodeSelector imports a node selector (nodeSelector, fromNodes, toNodes):
// node labels, of the k8s or any source.
func (rc *ruleImporter) nodeSelector(ls *api.LabelSelector, path ...any) ir.Selector {
	var out ir.Selector
	for _, t := range rc.terms(ls, path) {
		if t.src != "" && t.src != "k8s" && t.src != "any" {
			rc.errorf(codeUnsupported, t.span, msgLabelSource, t.src+":"+t.key, t.src)
			continue
		}
		addTerm(&out, t.key, t)
	}
	return out.Normalize()
}

// plainSelector imports a selector over plain labels (a Service's).
func (rc *ruleImporter) plainSelector(ls *api.LabelSelector, path []any) ir.Selector {
	var out ir.Selector
	for _, t := range rc.terms(ls, path) {
		if t.src != "" && t.src != "k8s" && t.src != "any" {
			rc.errorf(codeUnsupported, t.span, msgLabelSource, t.src+":"+t.key, t.src)
			continue
		}
		addTerm(&out, t.key, t)
	}
	return out.Normalize()
}

// podPeer imports one fromEndpoints/toEndpoints selector with Cilium's
// namespace defaulting (docs/semantics.md, section 2.4).
func (rc *ruleImporter) podPeer(ls *api.LabelSelector, sp source.Span, path ...any) (ir.Peer, bool) {
	out := ir.Peer{Span: sp, Kind: ir.PeerPods}
	var nsName []selectorTerm
	var nsLabels ir.Selector
	labelled := false
	for _, t := range rc.terms(ls, path) {
		plain := t.src == "" || t.src == "k8s" || t.src == "any"
		switch {
		case t.src == "reserved":
			rc.errorf(codeUnsupported, t.span, msgReservedPeer, t.key)
		case plain && t.key == podNamespaceKey:
			nsName = append(nsName, t)
		case plain && strings.HasPrefix(t.key, NamespaceLabelsPrefix):
			addTerm(&nsLabels, strings.TrimPrefix(t.key, NamespaceLabelsPrefix), t)
			labelled = true
		default:
			if rc.podTerm(t) {
				addTerm(&out.Pods, t.key, t)
			}
		}
	}
	out.Pods = out.Pods.Normalize()
	switch {
	case len(nsName) == 0 && !labelled:
		// Cilium adds the policy's namespace (any namespace in a CCNP).
		out.Namespace = ir.NamespaceRef{Scope: ir.NamespacePolicy}
	case len(nsName) == 1 && !labelled && nsName[0].op == ir.OpIn && len(nsName[0].values) == 1 && nsName[0].values[0] != "":
		out.Namespace = ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: nsName[0].values[0]}
	default:
		for _, t := range nsName {
			if t.op == ir.OpExists {
				continue // every pod has a namespace
			}
			addTerm(&nsLabels, namespaceNameKey, t)
		}
		out.Namespace = ir.NamespaceRef{Scope: ir.NamespaceLabels, Labels: nsLabels.Normalize()}
	}
	return out, !rc.bad
}

// normalizePattern returns a matchPattern in the IR's form, with the
// meaning Cilium's matchpattern package gives it: lower case, without a
// trailing dot; stars alone match every name ("*"); two or more stars and
// a dot at the start match one or more whole labels ("**."); any other run
// of stars matches within one label ("*").
func normalizePattern(p string) string {
	p = strings.TrimSuffix(strings.ToLower(p), ".")
	if strings.Trim(p, "*") == "" {
		return "*"
	}
	prefix := ""
	if n := len(p) - len(strings.TrimLeft(p, "*")); n >= 2 && p[n] == '.' {
		prefix, p = "**.", p[n+1:]
	}
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; i < len(p); i++ {
		if p[i] == '*' && i > 0 && p[i-1] == '*' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// decodeTyped decodes o strictly, its rules into Cilium's rule type. A panic
// of a Cilium type's own JSON reader is an error at the object.
func decodeTyped(o *yamlsrc.Object) (spec *api.Rule, specs api.Rules, d diag.List) {
	defer func() {
		if r := recover(); r != nil {
			spec, specs = nil, nil
			d.Errorf(yamlsrc.CodeBadValue, o.Span, msgUndecodable, o, r)
		}
	}()
	var doc document
	d = o.Decode(&doc)
	return doc.Spec, doc.Specs, d
}
