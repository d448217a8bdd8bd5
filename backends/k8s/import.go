package k8s

import (
	"cmp"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/par"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// ImportKinds are the kinds Import reads, for yamlsrc.Read.
var ImportKinds = []yamlsrc.Kind{{APIVersion: APIVersion, Kind: Kind}}

// Import implements backends.Importer: it reads NetworkPolicies
// (networking.k8s.io/v1; objects of other kinds are skipped with a note)
// into the IR, with exactly the meaning the API server gives them, its
// defaulting included:
//
//   - one ir.Policy per object: Namespace and Name from metadata, Origin
//     "NetworkPolicy NS/NAME", Span the object; subject: spec.podSelector;
//   - isolation: the directions of policyTypes; without policyTypes,
//     Ingress always and Egress when the policy has egress rules. Rules of
//     a direction policyTypes does not list are ignored, as upstream does
//     (warning "ignored-rules"); a policy with only egress rules and no
//     policyTypes isolates ingress too (warning "ingress-isolated");
//   - one ir.Rule per ingress/egress rule, spanned at its list item, in
//     source order. from/to missing, null or [] -> one PeerAny (every
//     source or destination); ports missing, null or [] -> AllTraffic;
//     otherwise one PortRule with every port;
//   - a peer: podSelector alone -> pods of the policy's namespace;
//     namespaceSelector (with a podSelector: AND, in one peer) -> pods of
//     the namespaces it selects ({}: every namespace), or of the namespace
//     named X when it is exactly matchLabels
//     {kubernetes.io/metadata.name: X} (made relative when X is the
//     policy's namespace); ipBlock -> a CIDR peer, excepts sorted and
//     de-duplicated; peers of a rule de-duplicated (ir.PeersIn);
//   - a port: protocol default TCP; a number, with endPort a range (endPort
//     equal to port: the single port); a name: a named port; no port: every
//     port of the protocol;
//   - selectors normalized (matchLabels and matchExpressions, every
//     operator).
//
// Errors, at the line and column of the field: what Decode refuses
// (unknown fields, wrong types), what the API server's validation refuses
// (Validate: selectors, ports, peers, an except outside its CIDR, ...) and
// an object given twice. A non-canonical CIDR (host bits set) is read
// masked, with a warning (the API server refuses it with
// StrictIPCIDRValidation, and masks it without). The result has
// DNS = ir.DefaultDNSServer() and Governed = the namespaces of the
// policies; it passes ir.Validate, or the violation is an internal error.
// Policies of objects with errors are left out; the program is nil only
// when no object could be read.
func (b Backend) Import(objs []*yamlsrc.Object) (*ir.Program, diag.List) {
	return b.ImportConverted(objs, nil)
}

// Convert implements backends.ObjectImporter: it decodes and converts one
// NetworkPolicy on its own (nil for an object of another kind).
func (Backend) Convert(o *yamlsrc.Object) any {
	if o.APIVersion != APIVersion || o.Kind != Kind {
		return nil
	}
	r := convert(o)
	return &r
}

// ImportConverted implements backends.ObjectImporter: Import, with the
// objects Convert has converted (converted[i] for objs[i]; nil: not yet).
func (Backend) ImportConverted(objs []*yamlsrc.Object, converted []any) (*ir.Program, diag.List) {
	im := &importer{seen: map[string]*yamlsrc.Object{}}
	// Objects are decoded and converted in parallel, each with its own
	// diagnostics; duplicates are found and everything is reported in
	// input order afterwards, as one pass would.
	results := make([]*objectResult, len(objs))
	for i := range converted {
		results[i], _ = converted[i].(*objectResult)
	}
	parallel(len(objs), func(i int) {
		if o := objs[i]; results[i] == nil && o.APIVersion == APIVersion && o.Kind == Kind {
			r := convert(o)
			results[i] = &r
		}
	})
	var pols []*ir.Policy
	read := 0
	for i, o := range objs {
		if o.APIVersion != APIVersion || o.Kind != Kind {
			im.diags.Add(diag.Diagnostic{Severity: diag.Info, Code: yamlsrc.CodeSkipped, Span: o.Span,
				Message: fmt.Sprintf("skipped %s: not a %s %s", o, APIVersion, Kind)})
			continue
		}
		read++
		if pol := im.object(o, results[i]); pol != nil {
			pols = append(pols, pol)
		}
	}
	if read > 0 && len(pols) == 0 && im.diags.HasErrors() {
		return nil, im.diags
	}
	prog := ir.ProgramOf(pols)
	if err := ir.Validate(prog); err != nil {
		im.diags.Errorf("internal", source.Span{}, "the NetworkPolicy importer built invalid IR: %v", err)
		return nil, im.diags
	}
	return prog, im.diags
}

type importer struct {
	diags diag.List
	seen  map[string]*yamlsrc.Object // namespace/name -> first object
}

// objectResult is one NetworkPolicy decoded and converted on its own.
type objectResult struct {
	decodeErrs diag.List  // the object does not decode: nothing else was done
	pol        *ir.Policy // nil when the object has errors
	diags      diag.List  // of the conversion
}

// convert decodes and converts one NetworkPolicy, independently of the
// other objects.
func convert(o *yamlsrc.Object) objectResult {
	var np networkingv1.NetworkPolicy
	if d := o.Decode(&np); d.HasErrors() {
		return objectResult{decodeErrs: d}
	}
	sub := &importer{}
	pol := sub.convert(o, &np)
	return objectResult{pol: pol, diags: sub.diags}
}

// parallel calls f(0), ..., f(n-1) on up to GOMAXPROCS goroutines (one
// for small n).
func parallel(n int, f func(i int)) {
	par.For(min(runtime.GOMAXPROCS(0), n/32), n, f)
}

// object imports one NetworkPolicy from its converted result r, in input
// order: decoding errors, then a duplicate, then the conversion's
// diagnostics; nil when it has errors.
func (im *importer) object(o *yamlsrc.Object, r *objectResult) *ir.Policy {
	if r.decodeErrs.HasErrors() {
		im.diags.Append(r.decodeErrs)
		return nil
	}
	key := o.Namespace + "/" + o.Name
	if first, dup := im.seen[key]; dup {
		d := im.diags.Errorf("duplicate", o.Span, "%s is defined twice", o)
		d.Notes = []diag.Note{{Span: first.Span, Message: "first defined here"}}
		return nil
	}
	im.seen[key] = o
	im.diags.Append(r.diags)
	return r.pol
}

// convert converts a decoded NetworkPolicy; nil when it has errors.
func (im *importer) convert(o *yamlsrc.Object, np *networkingv1.NetworkPolicy) *ir.Policy {
	np.Namespace = o.Namespace // Options.Namespace when metadata has none

	unparsed := im.canonicalCIDRs(o, np)
	errs := false
	for _, e := range Validate(np) {
		if e.Type == field.ErrorTypeDuplicate && strings.HasPrefix(e.Field, "spec.policyTypes") {
			continue // Validate is stricter than the API server there
		}
		im.diags.Errorf("invalid", o.Pos(yamlsrc.FieldPath(e.Field)...), "%s: %s", e.Field, e.ErrorBody()).Detail =
			"The API server refuses this " + Kind + "."
		errs = true
	}
	if !errs && len(unparsed) > 0 {
		// Validate let through what netip cannot read: refuse it rather
		// than guess.
		for _, u := range unparsed {
			im.diags.Errorf("invalid", o.Pos(u.path...), "%q is not a CIDR netpolc reads (address/prefix-length)", u.cidr)
		}
		errs = true
	}
	if errs {
		return nil
	}

	spec := np.Spec
	pol := &ir.Policy{
		Span: o.Span, Name: o.Name, Origin: Kind + " " + o.Namespace + "/" + o.Name,
		Namespace: o.Namespace,
		Subject:   ir.Subject{Span: o.Pos("spec", "podSelector"), Pods: IRSelector(spec.PodSelector)},
	}
	if len(spec.PolicyTypes) == 0 {
		// The API server's defaulting.
		pol.Isolation = ir.Isolation{Ingress: true, Egress: len(spec.Egress) > 0}
		if len(spec.Egress) > 0 && len(spec.Ingress) == 0 {
			im.diags.Warnf("ingress-isolated", o.Pos("spec", "egress"), "%s has only egress rules and no policyTypes: the API server makes it [Ingress, Egress], which denies all ingress to its pods", o).Detail =
				"Write policyTypes: [Egress] if the policy is about egress only."
		}
	}
	for _, t := range spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			pol.Isolation.Ingress = true
		case networkingv1.PolicyTypeEgress:
			pol.Isolation.Egress = true
		}
	}
	ignored := func(dir string, n int, typ networkingv1.PolicyType) {
		im.diags.Warnf("ignored-rules", o.Pos("spec", dir), "%s: %d %s rule(s) ignored: policyTypes does not list %s", o, n, dir, typ).Detail =
			"The API server keeps rules of a direction policyTypes does not list, and Kubernetes ignores them, while Cilium enforces them: the policy means different things on different clusters. netpolc reads it as Kubernetes does."
	}
	if pol.Isolation.Ingress {
		for i, r := range spec.Ingress {
			pol.Rules = append(pol.Rules, im.rule(o, ir.Ingress, i, r.From, r.Ports))
		}
	} else if len(spec.Ingress) > 0 {
		ignored("ingress", len(spec.Ingress), networkingv1.PolicyTypeIngress)
	}
	if pol.Isolation.Egress {
		for i, r := range spec.Egress {
			pol.Rules = append(pol.Rules, im.rule(o, ir.Egress, i, r.To, r.Ports))
		}
	} else if len(spec.Egress) > 0 {
		ignored("egress", len(spec.Egress), networkingv1.PolicyTypeEgress)
	}
	ir.SortRules(pol.Rules)
	return pol
}

// canonicalCIDRs masks the CIDRs of np's ipBlocks that have host bits set,
// with a warning each, so that Validate judges what the policy means. It
// returns the CIDRs that do not parse (Validate reports them).
func (im *importer) canonicalCIDRs(o *yamlsrc.Object, np *networkingv1.NetworkPolicy) (unparsed []badCIDR) {
	fix := func(s *string, path ...any) {
		p, err := netip.ParsePrefix(*s)
		if err != nil {
			unparsed = append(unparsed, badCIDR{cidr: *s, path: path})
			return
		}
		if p.Masked() == p {
			return // canonical, or spelt differently ("2001:DB8::/32"): read as is
		}
		if p.Addr().Zone() != "" || p.Addr().Is4In6() {
			return
		}
		im.diags.Warnf("non-canonical-cidr", o.Pos(path...), "CIDR %s has host bits set; read as %s", *s, p.Masked()).Detail =
			"The API server refuses such a CIDR when StrictIPCIDRValidation is on, and uses the masked prefix otherwise."
		*s = p.Masked().String()
	}
	peers := func(dir, list string, i int, ps []networkingv1.NetworkPolicyPeer) {
		for j := range ps {
			if b := ps[j].IPBlock; b != nil {
				fix(&b.CIDR, "spec", dir, i, list, j, "ipBlock", "cidr")
				for k := range b.Except {
					fix(&b.Except[k], "spec", dir, i, list, j, "ipBlock", "except", k)
				}
			}
		}
	}
	for i, r := range np.Spec.Ingress {
		peers("ingress", "from", i, r.From)
	}
	for i, r := range np.Spec.Egress {
		peers("egress", "to", i, r.To)
	}
	return unparsed
}

// badCIDR is a CIDR that does not parse, and its path in the object.
type badCIDR struct {
	cidr string
	path []any
}

// rule imports rule i of direction dir (its peers and ports).
func (im *importer) rule(o *yamlsrc.Object, dir ir.Direction, i int, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) *ir.Rule {
	dname, list := "ingress", "from"
	if dir == ir.Egress {
		dname, list = "egress", "to"
	}
	at := func(path ...any) source.Span {
		return o.Pos(append([]any{"spec", dname, i}, path...)...)
	}
	r := &ir.Rule{Span: at(), Direction: dir, Action: ir.Allow}
	if len(peers) == 0 {
		// from/to missing or empty: every source or destination.
		r.Peers = []ir.Peer{{Span: at(list), Kind: ir.PeerAny}}
	} else {
		ps := make([]ir.Peer, 0, len(peers))
		for j, p := range peers {
			ps = append(ps, peer(p, at(list, j)))
		}
		r.Peers = ir.PeersIn(ps, o.Namespace)
	}
	if len(ports) == 0 {
		r.AllTraffic = true
		return r
	}
	pr := ir.PortRule{Span: at("ports")}
	for k, p := range ports {
		pr.Ports = append(pr.Ports, port(p, at("ports", k)))
	}
	r.Ports = []ir.PortRule{pr}
	return r
}

// peer imports one valid NetworkPolicyPeer.
func peer(p networkingv1.NetworkPolicyPeer, sp source.Span) ir.Peer {
	if b := p.IPBlock; b != nil {
		out := ir.Peer{Span: sp, Kind: ir.PeerCIDR, CIDR: netip.MustParsePrefix(b.CIDR).Masked()}
		for _, s := range b.Except {
			out.Except = append(out.Except, netip.MustParsePrefix(s).Masked())
		}
		slices.SortFunc(out.Except, func(a, b netip.Prefix) int {
			return cmp.Or(a.Addr().Compare(b.Addr()), a.Bits()-b.Bits())
		})
		out.Except = slices.Compact(out.Except)
		return out
	}
	out := ir.Peer{Span: sp, Kind: ir.PeerPods}
	if p.PodSelector != nil {
		out.Pods = IRSelector(*p.PodSelector)
	}
	if ns := p.NamespaceSelector; ns != nil {
		if name, ok := ns.MatchLabels[NamespaceNameLabel]; ok && len(ns.MatchLabels) == 1 && len(ns.MatchExpressions) == 0 {
			out.Namespace = ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: name}
		} else {
			out.Namespace = ir.NamespaceRef{Scope: ir.NamespaceLabels, Labels: IRSelector(*ns)}
		}
	}
	return out
}

// port imports one valid NetworkPolicyPort.
func port(p networkingv1.NetworkPolicyPort, sp source.Span) ir.Port {
	out := ir.Port{Span: sp, Protocol: ir.TCP}
	if p.Protocol != nil {
		out.Protocol = ir.Protocol(*p.Protocol)
	}
	switch {
	case p.Port == nil:
	case p.Port.Type == intstr.String:
		out.Name = p.Port.StrVal
	default:
		out.Port = uint16(p.Port.IntVal)
		if p.EndPort != nil && *p.EndPort != p.Port.IntVal {
			out.EndPort = uint16(*p.EndPort)
		}
	}
	return out
}

// IRSelector converts a valid label selector, normalized.
func IRSelector(ls metav1.LabelSelector) ir.Selector {
	var s ir.Selector
	for k, v := range ls.MatchLabels {
		s.MatchLabels = append(s.MatchLabels, ir.Label{Key: k, Value: v})
	}
	for _, e := range ls.MatchExpressions {
		x := ir.Expression{Key: e.Key, Operator: ir.Operator(e.Operator)}
		if len(e.Values) > 0 {
			x.Values = slices.Clone(e.Values)
		}
		s.MatchExpressions = append(s.MatchExpressions, x)
	}
	// A matchLabels entry and an In requirement of one value on the same
	// key are one condition; Normalize keeps both, which is what they say.
	return s.Normalize()
}
