package cilium

import (
	"fmt"
	"regexp"
	"slices"
	"sort"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// importScanner walks the generic (JSON) form of a CNP or CCNP before it is
// decoded into Cilium's types, and reports, at their fields: what the IR
// cannot hold (kafka and other L7 protocols, TLS, SNI, listeners,
// authentication, CIDR groups, requirements, groups, header match actions
// and secrets), unknown fields inside label selectors (Cilium's
// EndpointSelector reads its own JSON and would drop them), and ICMP
// fields without a type (which Cilium's ICMPField cannot read).
type importScanner struct {
	o     *yamlsrc.Object
	diags diag.List
	// reported are the fields reported as unsupported, so that what
	// Decode says about them (kafka and l7proto are unknown fields,
	// fromRequires takes strings) is not repeated.
	reported []source.Span
	// noICMPType is set when an ICMP field has no type: Cilium's
	// ICMPField cannot read it (its UnmarshalJSON dereferences the type).
	noICMPType bool
}

// covers reports whether sp lies in a field reported as unsupported.
func (s *importScanner) covers(sp source.Span) bool {
	for _, r := range s.reported {
		if r.File == sp.File && r.Start.Offset <= sp.Start.Offset && sp.Start.Offset < max(r.End.Offset, r.Start.Offset+1) {
			return true
		}
	}
	return false
}

// unsupported reports the field at path: what it is and why the IR
// cannot hold it.
func (s *importScanner) unsupported(what string, path []any) {
	sp := s.o.Pos(path...)
	s.reported = append(s.reported, sp)
	s.diags.Errorf(codeUnsupported, sp, msgUnsupportedField, jsonFieldPath(path), what).Detail = detailUnsupportedField
}

// jsonFieldPath writes a path as a field path: spec.egress[0].toPorts[1].rules.
func jsonFieldPath(path []any) string {
	out := ""
	for _, p := range path {
		switch p := p.(type) {
		case int:
			out += fmt.Sprintf("[%d]", p)
		default:
			if out != "" {
				out += "."
			}
			out += fmt.Sprint(p)
		}
	}
	return out
}

func pathWith(path []any, more ...any) []any { return append(slices.Clone(path), more...) }

func jsonMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

func jsonList(v any) []any { l, _ := v.([]any); return l }

// sortedJSONKeys returns the keys of m in order, for a stable report.
func sortedJSONKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s *importScanner) object(raw any) {
	obj := jsonMap(raw)
	if r := jsonMap(obj["spec"]); r != nil {
		s.rule(r, []any{"spec"})
	}
	for i, r := range jsonList(obj["specs"]) {
		if m := jsonMap(r); m != nil {
			s.rule(m, []any{"specs", i})
		}
	}
}

// Fields of a rule and its parts that the IR cannot hold, with what they
// are.
var (
	unsupportedRuleFields = map[string]string{
		"fromRequires":   "a requirement on every peer of the rule's subject (deprecated in Cilium)",
		"toRequires":     "a requirement on every peer of the rule's subject (deprecated in Cilium)",
		"fromGroups":     "peers from a cloud provider's groups (AWS security groups)",
		"toGroups":       "peers from a cloud provider's groups (AWS security groups)",
		"authentication": "mutual authentication of the peers",
	}
	unsupportedPortFields = map[string]string{
		"terminatingTLS": "TLS termination by the proxy",
		"originatingTLS": "TLS origination by the proxy",
		"serverNames":    "TLS server names (SNI)",
		"listener":       "a custom Envoy listener",
	}
	unsupportedL7Fields = map[string]string{
		"kafka":   "Kafka rules (no longer part of Cilium's API since 1.20)",
		"l7proto": "a generic L7 parser (no longer part of Cilium's API since 1.20)",
		"l7":      "generic L7 rules (no longer part of Cilium's API since 1.20)",
	}
	unsupportedCIDRFields = map[string]string{
		"cidrGroupRef":      "a CiliumCIDRGroup, whose CIDRs are not in the file",
		"cidrGroupSelector": "CiliumCIDRGroups by label, whose CIDRs are not in the file",
	}
)

// rule scans one rule at path.
func (s *importScanner) rule(r map[string]any, path []any) {
	for _, key := range []string{"endpointSelector", "nodeSelector"} {
		if v, ok := r[key]; ok {
			s.selector(v, pathWith(path, key))
		}
	}
	for _, dir := range []string{"ingress", "ingressDeny", "egress", "egressDeny"} {
		for i, item := range jsonList(r[dir]) {
			s.peerRule(jsonMap(item), pathWith(path, dir, i))
		}
	}
}

func (s *importScanner) peerRule(r map[string]any, path []any) {
	if r == nil {
		return
	}
	for _, k := range sortedJSONKeys(r) {
		if what, ok := unsupportedRuleFields[k]; ok {
			s.unsupported(what, pathWith(path, k))
		}
	}
	for _, list := range []string{"fromEndpoints", "toEndpoints", "fromNodes", "toNodes"} {
		for j, sel := range jsonList(r[list]) {
			s.selector(sel, pathWith(path, list, j))
		}
	}
	for _, list := range []string{"fromCIDRSet", "toCIDRSet"} {
		for j, c := range jsonList(r[list]) {
			m := jsonMap(c)
			for _, k := range sortedJSONKeys(m) {
				if what, ok := unsupportedCIDRFields[k]; ok {
					s.unsupported(what, pathWith(path, list, j, k))
				}
			}
		}
	}
	for j, svc := range jsonList(r["toServices"]) {
		if sel := jsonMap(jsonMap(svc)["k8sServiceSelector"]); sel != nil {
			if v, ok := sel["selector"]; ok {
				s.selector(v, pathWith(path, "toServices", j, "k8sServiceSelector", "selector"))
			}
		}
	}
	for j, pr := range jsonList(r["toPorts"]) {
		s.portRule(jsonMap(pr), pathWith(path, "toPorts", j))
	}
	for a, ic := range jsonList(r["icmps"]) {
		for b, f := range jsonList(jsonMap(ic)["fields"]) {
			if m := jsonMap(f); m != nil && m["type"] == nil {
				s.noICMPType = true
				s.diags.Errorf(codeInvalid, s.o.Pos(pathWith(path, "icmps", a, "fields", b)...), msgICMPNoType).Detail = detailAgentRefuses
			}
		}
	}
}

func (s *importScanner) portRule(pr map[string]any, path []any) {
	for _, k := range sortedJSONKeys(pr) {
		if what, ok := unsupportedPortFields[k]; ok {
			s.unsupported(what, pathWith(path, k))
		}
	}
	rules := jsonMap(pr["rules"])
	for _, k := range sortedJSONKeys(rules) {
		if what, ok := unsupportedL7Fields[k]; ok {
			s.unsupported(what, pathWith(path, "rules", k))
		}
	}
	for h, hr := range jsonList(rules["http"]) {
		for m, hm := range jsonList(jsonMap(hr)["headerMatches"]) {
			hmm := jsonMap(hm)
			if v, ok := hmm["mismatch"]; ok && v != nil && v != "" {
				s.unsupported("an action on a header mismatch (the request is changed, not refused)", pathWith(path, "rules", "http", h, "headerMatches", m, "mismatch"))
			}
			if v, ok := hmm["secret"]; ok && v != nil {
				s.unsupported("a header value from a Kubernetes Secret, which is not in the file", pathWith(path, "rules", "http", h, "headerMatches", m, "secret"))
			}
		}
	}
}

// selector checks a label selector's fields strictly: Cilium's
// EndpointSelector reads its own JSON and ignores unknown fields, so that
// a misspelt matchLabels would select everything.
func (s *importScanner) selector(v any, path []any) {
	if v == nil {
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		s.diags.Errorf(yamlsrc.CodeBadValue, s.o.Pos(path...), "%s must be a mapping", jsonFieldPath(path))
		return
	}
	for _, k := range sortedJSONKeys(m) {
		switch k {
		case "matchLabels":
			if _, ok := m[k].(map[string]any); !ok && m[k] != nil {
				s.diags.Errorf(yamlsrc.CodeBadValue, s.o.Pos(pathWith(path, k)...), "%s must be a mapping", jsonFieldPath(pathWith(path, k)))
				continue
			}
			for _, lk := range sortedJSONKeys(jsonMap(m[k])) {
				if _, ok := jsonMap(m[k])[lk].(string); !ok {
					s.diags.Errorf(yamlsrc.CodeBadValue, s.o.Pos(pathWith(path, k, lk)...), "%s[%q] must be a string (quote it)", jsonFieldPath(pathWith(path, k)), lk)
				}
			}
		case "matchExpressions":
			for i, x := range jsonList(m[k]) {
				xm := jsonMap(x)
				for _, xk := range sortedJSONKeys(xm) {
					if xk != "key" && xk != "operator" && xk != "values" {
						s.diags.Errorf(yamlsrc.CodeUnknownField, s.o.Pos(pathWith(path, k, i, xk)...), "unknown field %q", jsonFieldPath(pathWith(path, k, i, xk)))
					}
				}
			}
		default:
			s.diags.Errorf(yamlsrc.CodeUnknownField, s.o.Pos(pathWith(path, k)...), "unknown field %q", jsonFieldPath(pathWith(path, k))).Detail =
				"A selector has matchLabels and matchExpressions only. Cilium would ignore this field, which could make the selector select more."
		}
	}
}

// DNS name characters Cilium accepts: in a matchName, and in a matchPattern
// (which also has "*").
var (
	fqdnName    = regexp.MustCompile(`^[-a-zA-Z0-9_.]+$`)
	fqdnPattern = regexp.MustCompile(`^[-a-zA-Z0-9_.*]+$`)
)

// regexpCompile compiles an HTTP rule's regular expression as Cilium's
// Sanitize does ("" is no condition).
func regexpCompile(s string) (*regexp.Regexp, error) {
	if s == "" {
		return nil, nil
	}
	return regexp.Compile(s)
}
