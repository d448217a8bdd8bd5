package netpolapi

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/netpolc/netpolc/backends/yamlsrc"
)

// This file checks what the CRDs of the three kinds refuse alike (their
// OpenAPI schemas and CEL rules), beyond what decoding and the per-kind
// readers of import_decode.go check.

// maxCIDR is the longest CIDR string the CRDs accept (maxRuleName, the
// longest rule name, and maxValues, the most networks or domain names of
// a peer, are the emitter's).
const maxCIDR = 43

// validate checks obj.
func (c *converter) validate(obj *importObject) {
	if c.o.Kind != KindBANP && (obj.priority < 0 || obj.priority > MaxPriority) {
		c.errorf(codeInvalid, []any{"spec", "priority"}, msgPriority, obj.priority)
	}
	if obj.subject.namespaces != nil {
		c.selector([]any{"spec", "subject", "namespaces"}, obj.subject.namespaces)
	}
	if obj.subject.pods != nil {
		c.pods([]any{"spec", "subject", "pods"}, obj.subject.pods)
	}
	for _, r := range obj.rules {
		c.checkRule(obj, r)
	}
}

// rule checks one rule.
func (c *converter) checkRule(obj *importObject, r *ruleSpec) {
	if len(r.name) > maxRuleName {
		c.errorf(codeInvalid, join(r.path, "name"), msgRuleName, len(r.name))
	}
	if c.present(join(r.path, "action")...) && !slices.Contains(obj.actions, r.action) {
		c.errorf(codeInvalid, join(r.path, "action"), msgAction, r.action, orList(obj.actions))
	}
	c.maxItems(join(r.path, r.peerField), len(r.peers), obj.limit)
	c.maxItems(join(r.path, r.portsField), len(r.ports), obj.limit)
	towardsAddresses := false
	for _, p := range r.peers {
		c.checkPeer(obj, p)
		towardsAddresses = towardsAddresses || p.nodes != nil || p.networks != nil || p.domainNames != nil
	}
	for _, p := range r.ports {
		c.checkPort(p)
		if p.kind == portKindNamed && towardsAddresses {
			c.errorf(codeInvalid, p.path, msgNamedPortTo)
		}
	}
}

// peer checks one peer.
func (c *converter) checkPeer(obj *importObject, p peerSpec) {
	if p.namespaces != nil {
		c.selector(join(p.path, "namespaces"), p.namespaces)
	}
	if p.pods != nil {
		c.pods(join(p.path, "pods"), p.pods)
	}
	if p.nodes != nil {
		c.selector(join(p.path, "nodes"), p.nodes)
	}
	if c.present(join(p.path, "networks")...) {
		c.set(join(p.path, "networks"), p.networks)
		for k, n := range p.networks {
			c.network(obj, join(p.path, "networks", k), n)
		}
	}
	if c.present(join(p.path, "domainNames")...) {
		c.set(join(p.path, "domainNames"), p.domainNames)
		for k, d := range p.domainNames {
			if !domainPattern.MatchString(d) {
				c.errorf(codeInvalid, join(p.path, "domainNames", k), msgDomainName, d)
			}
		}
	}
}

// set checks a list of the CRD type "set": 1 to maxValues entries, each
// once.
func (c *converter) set(path []any, items []string) {
	if len(items) == 0 {
		c.errorf(codeInvalid, path, msgEmptyList, fieldName(path))
	}
	c.maxItems(path, len(items), maxValues)
	seen := map[string]bool{}
	for k, s := range items {
		if seen[s] {
			c.errorf(codeInvalid, join(path, k), msgDuplicate, s)
		}
		seen[s] = true
	}
}

// network checks one CIDR of a networks peer: a valid prefix, canonical
// (v1alpha1: read masked with a warning).
func (c *converter) network(obj *importObject, path []any, s string) {
	if len(s) > maxCIDR {
		c.errorf(codeInvalid, path, msgCIDRLength, s)
		return
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		c.errorf(codeInvalid, path, msgBadCIDR, s, err)
		return
	}
	if p.Addr().Is4In6() {
		c.errorf(codeUnsupported, path, msgMappedCIDR, s)
		return
	}
	if p.Masked() != p {
		if obj.strictCIDR {
			c.errorf(codeInvalid, path, msgHostBits, s)
			return
		}
		c.diags.Warnf(codeNonCanonicalCIDR, c.o.Pos(path...), msgHostBitsRead, s, p.Masked()).Detail = detailHostBits
	}
}

// port checks one port entry.
func (c *converter) checkPort(p portSpec) {
	if p.kind == portKindNamed {
		return // judged when it is read (import_convert.go)
	}
	switch p.protocol {
	case "", "TCP", "UDP", "SCTP":
	default:
		c.errorf(codeInvalid, p.protoPath, msgProtocol, p.protocol)
	}
	inRange := func(n int32) bool { return n >= 1 && n <= 65535 }
	switch p.kind {
	case portKindNumber:
		if !inRange(p.port) {
			c.errorf(codeInvalid, p.numberPath, msgPortNumber, p.port)
		}
	case portKindRange:
		switch {
		case !inRange(p.port):
			c.errorf(codeInvalid, join(p.numberPath, "start"), msgPortNumber, p.port)
		case !inRange(p.end):
			c.errorf(codeInvalid, join(p.numberPath, "end"), msgPortNumber, p.end)
		case p.port >= p.end:
			// The ClusterNetworkPolicy CRD refuses it; the v1alpha1 CRDs
			// accept it although the API says the start must be below the
			// end, so what it means is not defined.
			c.errorf(codeInvalid, p.numberPath, msgPortRange, p.port, p.end)
		}
	}
}

// pods checks the two selectors of a NamespacedPod.
func (c *converter) pods(path []any, p *podsSpec) {
	c.selector(join(path, "namespaceSelector"), &p.namespaces)
	c.selector(join(path, "podSelector"), &p.pods)
}

// selector checks a label selector as the API machinery parses it: the CRD
// checks only its shape (the API server accepts the object), and an
// implementation cannot match pods with a selector that does not parse.
func (c *converter) selector(path []any, s *metav1.LabelSelector) {
	for _, e := range metav1validation.ValidateLabelSelector(s, selectorOpts, toFieldPath(path)) {
		c.errorf(codeBadSelector, yamlsrc.FieldPath(e.Field), msgSelector, e.Field, e.ErrorBody()).Detail = detailSelector
	}
}

// toFieldPath converts a path of keys and indexes to a field.Path.
func toFieldPath(path []any) *field.Path {
	var fp *field.Path
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if fp == nil {
				fp = field.NewPath(p)
			} else {
				fp = fp.Child(p)
			}
		case int:
			fp = fp.Index(p)
		}
	}
	return fp
}

// fieldName renders a path of keys and indexes as the API machinery does:
// "spec.ingress[0].from".
func fieldName(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		case int:
			b.WriteString("[" + strconv.Itoa(p) + "]")
		default:
			fmt.Fprint(&b, p)
		}
	}
	return b.String()
}

// orList renders names as "a, b or c".
func orList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
