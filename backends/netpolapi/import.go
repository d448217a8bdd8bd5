package netpolapi

import (
	"fmt"
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/network-policy-api/apis/v1alpha1"
	"sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// The API versions the importer reads.
const (
	importV1alpha1 = Group + "/" + V1Alpha1
	importV1alpha2 = Group + "/" + V1Alpha2
	importV1beta1  = Group + "/" + V1Beta1
)

// ImportKinds are the kinds Import reads, for yamlsrc.Read: the
// cluster-scoped AdminNetworkPolicy and BaselineAdminNetworkPolicy
// (policy.networking.k8s.io/v1alpha1) and ClusterNetworkPolicy (v1alpha2
// and v1beta1).
var ImportKinds = []yamlsrc.Kind{
	{APIVersion: importV1alpha1, Kind: KindANP, ClusterScoped: true},
	{APIVersion: importV1alpha1, Kind: KindBANP, ClusterScoped: true},
	{APIVersion: importV1alpha2, Kind: KindCNP, ClusterScoped: true},
	{APIVersion: importV1beta1, Kind: KindCNP, ClusterScoped: true},
}

// Importer reads the objects of the SIG Network policy API into the IR. It
// implements backends.Importer.
type Importer struct {
	// ClusterCIDRs are the cluster's own address ranges (pods, Services,
	// nodes; --cluster-cidrs). netpolc reads networks as addresses outside
	// the cluster, which is exact only when no pod or node has an address
	// in them: with the ranges, networks that overlap them are an error
	// (networks-match-pods); without them, such a reading is a warning.
	ClusterCIDRs []netip.Prefix
}

// Import implements backends.Importer for the target: Importer's Import,
// whatever the API version the target writes.
func (b *Backend) Import(objs []*yamlsrc.Object) (*ir.Program, diag.List) {
	return Importer{ClusterCIDRs: b.cluster}.Import(objs)
}

// Import implements backends.Importer: it reads AdminNetworkPolicies,
// BaselineAdminNetworkPolicies and ClusterNetworkPolicies (objects of other
// kinds are skipped with a note) into the IR, decoded with the upstream Go
// types of sigs.k8s.io/network-policy-api (a v1beta1 ClusterNetworkPolicy,
// whose schema is v1alpha2's, is read with v1alpha2's type), with exactly the
// meaning the API gives them under the IR's tiers (ir.TierOrdered):
//
//   - an AdminNetworkPolicy, or a ClusterNetworkPolicy of tier Admin, is one
//     cluster-wide ir.Policy of TierOrdered at its priority (when every
//     admin rule read is a Deny, of TierDefault: its deny rules win over
//     every allow, which is what the ordered tier then means), Origin
//     "AdminNetworkPolicy NAME" (kind and name), Span the object. Subject:
//     namespaces -> every pod of the namespaces selected
//     (Subject.Namespaces, nil for {}); pods -> its pod selector in the
//     namespaces selected. One ir.Rule per ingress and egress rule, in
//     source order (the API's order within a policy): Allow and Accept ->
//     Allow, Deny -> Deny, Pass -> Pass. Ordered policies never isolate;
//   - peers: namespaces -> every pod of those namespaces; pods -> the pods
//     of those namespaces (a namespace selector that is exactly
//     kubernetes.io/metadata.name=X is the namespace X by name); networks ->
//     one CIDR peer each (netpolc's CIDRs are addresses outside the cluster,
//     as for NetworkPolicy ipBlocks: with Importer.ClusterCIDRs networks that
//     overlap them are an error, without them each network outside
//     169.254.0.0/16 gets a warning "networks-match-pods"), except that 0.0.0.0/0 and ::/0 in
//     one rule, which the API matches against every address, pods and
//     nodes included, are the any peer; nodes: {} -> node{} and the entity
//     host (every node, the pod's own included); domainNames -> DNS names
//     ("*.example.com" matches one or more labels: "**.example.com");
//   - traffic: ports/protocols omitted -> all traffic; otherwise one
//     PortRule with a port per entry: portNumber and tcp/udp/sctp
//     destinationPort.number -> a port (protocol TCP when left out),
//     portRange and destinationPort.range -> a range, namedPort and
//     destinationNamedPort -> a named port of any protocol (the container
//     port's own);
//   - a BaselineAdminNetworkPolicy, or a ClusterNetworkPolicy of tier
//     Baseline, applies only to pods that no NetworkPolicy selects in a
//     direction. netpolc has no such tier, and reads exactly one form: an
//     egress Deny of every destination (networks 0.0.0.0/0 and ::/0, no
//     ports; Deny rules before it add nothing, rules after it are never
//     reached: warning "no-effect") is egress default-deny (Isolation) of
//     the subject, a cluster-wide TierDefault policy without rules, which
//     the NetworkPolicies that select a pod then open, as the API's tiers
//     say. Every other baseline rule is an error "unsupported" that says
//     why: allows (Allow, Accept, Pass), partial denies, and every ingress
//     rule (ingress peers are pods only, so a deny of every pod is not
//     isolation).
//
// Errors, at the line and column of the field: what Decode refuses (unknown
// fields: an implementation that meets one must fail closed, netpolc
// refuses the object), what the CRDs refuse (required fields, exactly one
// field of a subject, peer or port, enums, ranges, list sizes, CIDRs,
// domain names, a named port towards networks, nodes or domain names, the
// BaselineAdminNetworkPolicy's name), label selectors that do not parse
// ("bad-selector": the CRD accepts them, implementations cannot use them),
// what the API leaves undefined (domain names in other than allow rules, a
// port range that does not start below its end), what the IR cannot hold
// ("unsupported": a single family's /0, nodes by label, the baseline rules
// above), an object given twice, and two admin policies of the same
// priority whose rules may match one connection with different actions
// ("priority-tie": the API leaves their order to the implementation; with
// identical actions, or subjects, peers or traffic that cannot meet, their
// order does not matter and they import, tried in file order). A
// v1alpha1 CIDR with host bits is read masked with a warning (the current
// CRD refuses it; v1alpha2 and v1beta1 refuse it here too).
//
// The result has DNS = ir.DefaultDNSServer(), no governed namespace and
// ClusterWide set; it passes ir.Validate, or the violation is an internal
// error. Objects with errors are left out; the program is nil only when no
// object could be read.
func (i Importer) Import(objs []*yamlsrc.Object) (*ir.Program, diag.List) {
	cluster, err := clusterRanges(i.ClusterCIDRs)
	if err != nil {
		var diags diag.List
		diags.Errorf(codeInvalid, source.Span{}, "%v", err)
		return nil, diags
	}
	im := &importer{seen: map[string]*yamlsrc.Object{}, cluster: cluster}
	var pols []*ir.Policy
	var ordered []*imported
	read := 0
	for _, o := range objs {
		if !isImportKind(o) {
			im.diags.Add(diag.Diagnostic{Severity: diag.Info, Code: yamlsrc.CodeSkipped, Span: o.Span,
				Message: fmt.Sprintf("skipped %s: not a %s %s, %s or %s", o, v1alpha1.GroupName, KindANP, KindBANP, KindCNP)})
			continue
		}
		read++
		x := im.object(o)
		if x == nil || x.pol == nil {
			continue
		}
		if x.pol.Tier == ir.TierOrdered {
			ordered = append(ordered, x)
		}
		pols = append(pols, x.pol)
	}
	if tied := im.ties(ordered); len(tied) > 0 {
		kept := pols[:0]
		for _, p := range pols {
			if !tied[p] {
				kept = append(kept, p)
			}
		}
		pols = kept
	}
	denyOnly(ordered)
	if read > 0 && len(pols) == 0 && im.diags.HasErrors() {
		return nil, im.diags
	}
	prog := ir.ProgramOf(pols)
	if err := ir.Validate(prog); err != nil {
		im.diags.Errorf(codeInternal, source.Span{}, "the network-policy API importer built invalid IR: %v", err)
		return nil, im.diags
	}
	return prog, im.diags
}

// denyOnly makes the ordered policies TierDefault policies when every
// ordered rule is a Deny: first match decides, and every match denies, so
// the ordered tier then means exactly "a matching deny wins over every
// allow", the default tier's deny rules; targets without ordered rules
// (Cilium) can then say it. Importers of the other kinds write no ordered
// policy, so these are all of a program's ordered rules.
func denyOnly(ordered []*imported) {
	for _, x := range ordered {
		for _, r := range x.pol.Rules {
			if r.Action != ir.Deny {
				return
			}
		}
	}
	for _, x := range ordered {
		x.pol.Tier, x.pol.Priority = ir.TierDefault, 0
	}
}

func isImportKind(o *yamlsrc.Object) bool {
	for _, k := range ImportKinds {
		if o.APIVersion == k.APIVersion && o.Kind == k.Kind {
			return true
		}
	}
	return false
}

type importer struct {
	cluster []netip.Prefix // Importer.ClusterCIDRs
	diags   diag.List
	seen    map[string]*yamlsrc.Object // kind/name -> first object
}

// imported is one object read: the neutral form and its policy (nil when
// the object changes nothing).
type imported struct {
	obj *importObject
	pol *ir.Policy
}

// object imports one object; nil when it has errors.
func (im *importer) object(o *yamlsrc.Object) *imported {
	// The versions of ClusterNetworkPolicy are one resource: the same name
	// in two versions is the same object.
	key := o.Kind + "/" + o.Name
	if first, dup := im.seen[key]; dup {
		d := im.diags.Errorf("duplicate", o.Span, msgDuplicateObject, o)
		d.Notes = []diag.Note{{Span: first.Span, Message: "first defined here"}}
		return nil
	}
	im.seen[key] = o
	if errs := validation.IsDNS1123Subdomain(o.Name); len(errs) > 0 {
		im.diags.Errorf(codeInvalid, o.Pos("metadata", "name"), msgName, o.Name, strings.Join(errs, "; ")).Detail = detailAPIRefuses
		return nil
	}
	c := &converter{o: o, cluster: im.cluster}
	var obj *importObject
	switch {
	case o.Kind == KindANP:
		var anp v1alpha1.AdminNetworkPolicy
		if d := o.Decode(&anp); d.HasErrors() {
			im.diags.Append(d)
			return nil
		}
		obj = c.fromANP(&anp)
	case o.Kind == KindBANP:
		var banp v1alpha1.BaselineAdminNetworkPolicy
		if d := o.Decode(&banp); d.HasErrors() {
			im.diags.Append(d)
			return nil
		}
		obj = c.fromBANP(&banp)
	default:
		// v1alpha2 or v1beta1, which has v1alpha2's fields in the module's
		// version (package betacheck compares the two types); the module's
		// v1beta1 package is left out of the library for the modules that
		// build it with release v0.2.0, which has none (see CNP).
		var cnp v1alpha2.ClusterNetworkPolicy
		if d := o.Decode(&cnp); d.HasErrors() {
			im.diags.Append(d)
			return nil
		}
		obj = c.fromCNP(&cnp.Spec)
	}
	// Everything is checked, also after an error, so that one run reports
	// every problem of the object.
	c.validate(obj)
	if c.bad {
		im.diags.Append(c.diags)
		return nil
	}
	pol := c.policy(obj)
	im.diags.Append(c.diags)
	if c.bad {
		return nil
	}
	return &imported{obj: obj, pol: pol}
}

// converter reads one object: its neutral form, its checks and its
// policy, with the diagnostics of all three.
type converter struct {
	o       *yamlsrc.Object
	cluster []netip.Prefix // Importer.ClusterCIDRs
	diags   diag.List
	bad     bool // an error was reported
}

func (c *converter) errorf(code diag.Code, path []any, format string, args ...any) *diag.Diagnostic {
	c.bad = true
	d := c.diags.Errorf(code, c.o.Pos(path...), format, args...)
	if code == codeInvalid {
		d.Detail = detailAPIRefuses
	}
	return d
}

// present reports whether the field at path is there and not null (the
// API server drops null values of fields that are not nullable).
func (c *converter) present(path ...any) bool { return !c.o.IsNull(path...) }

// join appends elems to a copy of path.
func join(path []any, elems ...any) []any {
	out := make([]any, 0, len(path)+len(elems))
	return append(append(out, path...), elems...)
}
