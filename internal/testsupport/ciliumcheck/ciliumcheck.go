// Package ciliumcheck validates emitted Cilium objects with Cilium's own
// code: the agent's Parse (Rule.Sanitize and namespace defaulting, run in
// process from the github.com/cilium/cilium module), strict decoding of the
// bytes written back into the Cilium v2 types, and netpolc's conventions.
//
// It is test support: the Cilium backend (backends/cilium) checks nothing
// in production and touches no global state, and every test path that
// emits Cilium objects validates them here (Object, Check). Parse reads
// the agent's global options (package option), and this package turns on
// --enable-node-selector-labels there, once per test process, which
// netpolc's node peers require; no production package imports it
// (internal/archtest keeps it so).
package ciliumcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"sigs.k8s.io/yaml"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	"github.com/cilium/cilium/pkg/option"
	"github.com/cilium/cilium/pkg/policy/api"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
)

// APIVersion and kinds of the Cilium objects (as in backends/cilium, which
// this package does not import, so that its in-package tests can use it).
const (
	APIVersion = "cilium.io/v2"
	KindCNP    = "CiliumNetworkPolicy"
	KindCCNP   = "CiliumClusterwideNetworkPolicy"
)

// Object validates one emitted object (backends.Object of a Cilium
// backend) as built (Validate) and as backends.MarshalYAML writes it
// (ValidateWritten).
func Object(o backends.Object) error {
	if err := Validate(o.Value); err != nil {
		return err
	}
	doc, err := backends.MarshalYAML(o.Value)
	if err != nil {
		return fmt.Errorf("marshal: %w", err)
	}
	return ValidateWritten(doc, o.Value)
}

// Checked returns b with every object its Emit returns validated by
// Object; a failure is an "internal" error and Emit then returns no
// objects. Tests emit Cilium objects through it (or through Check).
func Checked(b backends.Backend) backends.Backend {
	return emitcheck.Checked(b, Object)
}

// ClusterName is the cluster name Parse is run with (it only adds the
// io.cilium.k8s.policy.cluster term to peer selectors).
const ClusterName = "default"

// Validate checks one emitted object (cilium.CNP, cilium.CCNP, or a
// pointer to either Cilium type) as built, read as Cilium's types (Cilium):
// Sanitize (every check of the agent's Parse) and CheckConventions.
// ValidateWritten checks what the bytes written say.
func Validate(v any) error {
	obj, err := Cilium(v)
	if err != nil {
		return err
	}
	if err := Sanitize(obj); err != nil {
		return err
	}
	return CheckConventions(obj)
}

// Sanitize returns the error the agent's Parse would return for v (a CNP,
// CCNP, or a pointer to either Cilium type), or nil, at a fraction of its
// cost: Parse fails only when the name or the spec is missing, when
// Rule.Sanitize fails on a spec, or on a nodeSelector in a CNP, and it
// then translates every rule (ParseToCiliumRule: namespace defaulting and
// the cluster filter of selectors), which cannot fail and is most of its
// cost. Sanitize runs those checks, Rule.Sanitize on a deep copy of the
// spec (it fills in defaults), and returns Parse's errors.
// TestSanitizeIsParse checks that the two agree, and the package's tests
// run Parse itself on every object emitted (ValidateWritten).
func Sanitize(v any) error {
	enableNodeLabels.Do(func() { option.Config.EnableNodeSelectorLabels = true })
	var (
		kind, name string
		spec       *api.Rule
		specs      api.Rules
		nspc       bool
	)
	obj, err := Cilium(v)
	if err != nil {
		return err
	}
	switch o := obj.(type) {
	case *ciliumv2.CiliumNetworkPolicy:
		kind, name, spec, specs = KindCNP, o.Name, o.Spec, o.Specs
		// Parse reads a CNP without a namespace as a CCNP.
		nspc = o.Namespace != ""
	case *ciliumv2.CiliumClusterwideNetworkPolicy:
		kind, name, spec, specs = KindCCNP, o.Name, o.Spec, o.Specs
	default:
		return fmt.Errorf("parse: %T is not a Cilium policy", v)
	}
	if !nspc {
		kind = KindCCNP
	}
	if name == "" {
		return ciliumv2.NewErrParse(kind + " must have name")
	}
	if spec == nil && specs == nil {
		if nspc {
			return ciliumv2.ErrEmptyCNP
		}
		return ciliumv2.ErrEmptyCCNP
	}
	check := func(r *api.Rule, field string) error {
		if err := r.DeepCopy().Sanitize(); err != nil {
			return ciliumv2.NewErrParse(fmt.Sprintf("Invalid %s %s: %s", kind, field, err))
		}
		if nspc && r.NodeSelector.LabelSelector != nil {
			return ciliumv2.NewErrParse("Invalid " + kind + " spec: rule cannot have NodeSelector")
		}
		return nil
	}
	if spec != nil {
		if err := check(spec, "spec"); err != nil {
			return err
		}
	}
	for _, r := range specs {
		if err := check(r, "specs"); err != nil {
			return err
		}
	}
	return nil
}

// ValidateWritten checks doc, the YAML document written for the emitted
// object v, as Cilium would read it: doc is strict-decoded into the Cilium
// v2 type (unknown or misspelt fields fail), compared with v (the bytes
// written must say exactly what was built), parsed by the agent's own Parse
// and checked against CheckConventions.
func ValidateWritten(doc []byte, v any) error {
	obj, err := DecodeStrict(doc)
	if err != nil {
		return err
	}
	if err := SameAsBuilt(obj, v); err != nil {
		return fmt.Errorf("the YAML written decodes to another object: %w", err)
	}
	if _, err := Parse(obj); err != nil {
		return err
	}
	return CheckConventions(obj)
}

// SameAsBuilt compares an object decoded from the YAML written with v, the
// object built, as JSON without their status (which cilium.CNP and
// cilium.CCNP do not write).
func SameAsBuilt(decoded, v any) error {
	a, err := withoutStatus(decoded)
	if err != nil {
		return err
	}
	b, err := withoutStatus(v)
	if err != nil {
		return err
	}
	return backends.SameJSON(a, b)
}

func withoutStatus(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return statusless(data)
}

// statusless decodes a JSON object and leaves its status out.
func statusless(data []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	return m, nil
}

// DecodeStrict decodes one YAML document into *ciliumv2.CiliumNetworkPolicy
// or *ciliumv2.CiliumClusterwideNetworkPolicy, by its kind, rejecting
// unknown and duplicate fields.
func DecodeStrict(doc []byte) (any, error) {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if meta.APIVersion != APIVersion {
		return nil, fmt.Errorf("decode: apiVersion %q, want %q", meta.APIVersion, APIVersion)
	}
	obj := newPolicy(meta.Kind)
	if obj == nil {
		return nil, fmt.Errorf("decode: kind %q, want %s or %s", meta.Kind, KindCNP, KindCCNP)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("strict decode: %w", err)
	}
	return obj, nil
}

// Parse runs the agent's parser ((*CiliumNetworkPolicy).Parse or
// (*CiliumClusterwideNetworkPolicy).Parse, which sanitize every rule and
// default the namespaces of selectors) on a deep copy of v, and returns the
// rules the agent would import.
//
// Parse reads the agent options of package option. Their package defaults
// are the agent's defaults (L7 proxy on, ICMP rules on, non-default-deny
// policies on), except for --enable-node-selector-labels, which toNodes and
// fromNodes need: Parse turns it on (once, for the process), because
// netpolc's node peers require that flag (see the node-peer capability).
func Parse(v any) (api.Rules, error) {
	enableNodeLabels.Do(func() { option.Config.EnableNodeSelectorLabels = true })
	logger := slog.New(slog.DiscardHandler)
	obj, err := Cilium(v)
	if err != nil {
		return nil, err
	}
	switch o := obj.(type) {
	case *ciliumv2.CiliumNetworkPolicy:
		return o.DeepCopy().Parse(logger, ClusterName)
	case *ciliumv2.CiliumClusterwideNetworkPolicy:
		return o.DeepCopy().Parse(logger, ClusterName)
	}
	return nil, fmt.Errorf("parse: %T is not a Cilium policy", v)
}

var enableNodeLabels sync.Once

// Cilium returns the Cilium object of v: v itself if it is a pointer to
// one of Cilium's types, or, for the backend's own objects (cilium.CNP and
// cilium.CCNP, which carry netpolc's copy of Cilium's rule types), the
// object of Cilium's type their JSON decodes to, strictly. The copy must
// lose nothing: Cilium's object must marshal to the same JSON as v.
func Cilium(v any) (any, error) {
	switch v.(type) {
	case *ciliumv2.CiliumNetworkPolicy, *ciliumv2.CiliumClusterwideNetworkPolicy:
		return v, nil
	case nil:
		return nil, errors.New("no object")
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal %T: %w", v, err)
	}
	built, err := statusless(data)
	if err != nil {
		return nil, fmt.Errorf("%T: %w", v, err)
	}
	kind, _ := built["kind"].(string)
	obj := newPolicy(kind)
	if obj == nil {
		return nil, fmt.Errorf("%T of kind %q is not a Cilium policy", v, kind)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return nil, fmt.Errorf("%T does not decode into Cilium's type: %w", v, err)
	}
	read, err := withoutStatus(obj)
	if err != nil {
		return nil, err
	}
	if err := backends.SameJSON(read, built); err != nil {
		return nil, fmt.Errorf("%T reads differently as Cilium's type: %w", v, err)
	}
	return obj, nil
}

// CheckConventions checks what netpolc promises beyond validity: the
// managed-by label, a name that fits in a label value, exactly one spec,
// enableDefaultDeny written for both directions, an explicit protocol on
// every port, no explicitly empty peer list (which selects nothing), one L3
// kind per rule, HTTP only on TCP ports, and no CCNP-only nodeSelector in a
// CNP.
func CheckConventions(v any) error {
	var (
		meta backends.Object
		spec *api.Rule
		nspc bool
	)
	obj, err := Cilium(v)
	if err != nil {
		return err
	}
	switch o := obj.(type) {
	case *ciliumv2.CiliumNetworkPolicy:
		meta = backends.Object{Name: o.Name, Namespace: o.Namespace}
		spec, nspc = o.Spec, true
		if o.Labels[backends.ManagedByLabel] != backends.ManagedBy {
			return errors.New("missing label " + backends.ManagedByLabel)
		}
		if len(o.Specs) > 0 {
			return errors.New("specs is not used")
		}
	case *ciliumv2.CiliumClusterwideNetworkPolicy:
		meta = backends.Object{Name: o.Name}
		spec = o.Spec
		if o.Labels[backends.ManagedByLabel] != backends.ManagedBy {
			return errors.New("missing label " + backends.ManagedByLabel)
		}
		if len(o.Specs) > 0 {
			return errors.New("specs is not used")
		}
	default:
		return fmt.Errorf("%T is not a Cilium policy", v)
	}
	if len(meta.Name) > backends.MaxNameLength {
		return fmt.Errorf("name %q longer than %d", meta.Name, backends.MaxNameLength)
	}
	if spec == nil {
		return errors.New("no spec")
	}
	if nspc && spec.NodeSelector.LabelSelector != nil {
		return errors.New("nodeSelector in a namespaced policy")
	}
	if spec.EndpointSelector.LabelSelector == nil && spec.NodeSelector.LabelSelector == nil {
		return errors.New("no endpointSelector")
	}
	if spec.EnableDefaultDeny.Ingress == nil || spec.EnableDefaultDeny.Egress == nil {
		return errors.New("enableDefaultDeny not written for both directions")
	}
	var errs []error
	check := func(where string, l3 []l3List, ports api.PortRules, denyPorts api.PortDenyRules) {
		kinds := 0
		for _, l := range l3 {
			if l.n > 0 {
				kinds++
			}
			if l.n == 0 && l.nonNil {
				errs = append(errs, fmt.Errorf("%s: explicitly empty %s selects nothing", where, l.name))
			}
		}
		if kinds > 1 {
			errs = append(errs, fmt.Errorf("%s: several L3 kinds in one rule", where))
		}
		var all []api.PortProtocol
		for _, pr := range ports {
			all = append(all, pr.Ports...)
			if pr.Rules != nil && len(pr.Rules.HTTP) > 0 {
				for _, p := range pr.Ports {
					if p.Protocol != api.ProtoTCP || p.Port == "0" {
						errs = append(errs, fmt.Errorf("%s: HTTP rules on port %s/%s", where, p.Port, p.Protocol))
					}
				}
			}
		}
		for _, pr := range denyPorts {
			all = append(all, pr.Ports...)
		}
		for _, p := range all {
			if p.Protocol == "" {
				errs = append(errs, fmt.Errorf("%s: port %s without protocol", where, p.Port))
			}
		}
	}
	for i, r := range spec.Ingress {
		check(fmt.Sprintf("ingress[%d]", i), ingressL3(r.IngressCommonRule), r.ToPorts, nil)
	}
	for i, r := range spec.IngressDeny {
		check(fmt.Sprintf("ingressDeny[%d]", i), ingressL3(r.IngressCommonRule), nil, r.ToPorts)
	}
	for i, r := range spec.Egress {
		l3 := append(egressL3(r.EgressCommonRule), l3List{"toFQDNs", len(r.ToFQDNs), r.ToFQDNs != nil})
		check(fmt.Sprintf("egress[%d]", i), l3, r.ToPorts, nil)
	}
	for i, r := range spec.EgressDeny {
		check(fmt.Sprintf("egressDeny[%d]", i), egressL3(r.EgressCommonRule), nil, r.ToPorts)
	}
	return errors.Join(errs...)
}

// l3List is one L3 peer list of a rule: its length and whether it is
// written (an explicitly empty list selects nothing).
type l3List struct {
	name   string
	n      int
	nonNil bool
}

func ingressL3(c api.IngressCommonRule) []l3List {
	return []l3List{
		{"fromEndpoints", len(c.FromEndpoints), c.FromEndpoints != nil},
		{"fromNodes", len(c.FromNodes), c.FromNodes != nil},
		{"fromCIDR", len(c.FromCIDR), c.FromCIDR != nil},
		{"fromCIDRSet", len(c.FromCIDRSet), c.FromCIDRSet != nil},
		{"fromEntities", len(c.FromEntities), c.FromEntities != nil},
		{"fromGroups", len(c.FromGroups), c.FromGroups != nil},
	}
}

func egressL3(c api.EgressCommonRule) []l3List {
	return []l3List{
		{"toEndpoints", len(c.ToEndpoints), c.ToEndpoints != nil},
		{"toNodes", len(c.ToNodes), c.ToNodes != nil},
		{"toCIDR", len(c.ToCIDR), c.ToCIDR != nil},
		{"toCIDRSet", len(c.ToCIDRSet), c.ToCIDRSet != nil},
		{"toEntities", len(c.ToEntities), c.ToEntities != nil},
		{"toServices", len(c.ToServices), c.ToServices != nil},
		{"toGroups", len(c.ToGroups), c.ToGroups != nil},
	}
}

// Spec returns the rule of a Cilium object (the backend's CNP or CCNP, or a
// pointer to either Cilium type), or nil.
func Spec(v any) *api.Rule {
	obj, _ := Cilium(v)
	switch o := obj.(type) {
	case *ciliumv2.CiliumNetworkPolicy:
		return o.Spec
	case *ciliumv2.CiliumClusterwideNetworkPolicy:
		return o.Spec
	}
	return nil
}

// newPolicy returns a new, empty Cilium policy object of kind (KindCNP or
// KindCCNP); nil for any other kind.
func newPolicy(kind string) any {
	switch kind {
	case KindCNP:
		return &ciliumv2.CiliumNetworkPolicy{}
	case KindCCNP:
		return &ciliumv2.CiliumClusterwideNetworkPolicy{}
	}
	return nil
}
