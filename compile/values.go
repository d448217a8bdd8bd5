package compile

import (
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/lexicon"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// capitalize upper-cases the first letter, turning a message into the start
// of a Detail sentence.
func capitalize(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}

// validationDetail turns the messages of k8s.io/apimachinery's validation
// into Detail sentences.
func validationDetail(errs []string) string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = capitalize(strings.TrimSuffix(e, ".")) + "."
	}
	return strings.Join(out, " ")
}

// selector converts a label selector, checking keys and values. A key that
// Cilium reserves (reservedLabelKeys) and terms that no labels can satisfy
// together are errors at the term.
func (c *compiler) selector(diags *diag.List, s *ast.Selector) ir.Selector {
	var out ir.Selector
	if s == nil {
		return out
	}
	keys := map[string]*keyConstraint{}
	for _, t := range s.Terms {
		key := t.Key.Value
		if errs := validation.IsQualifiedName(key); len(errs) > 0 {
			diags.Errorf(CodeBadLabelKey, t.Key.Span(), msgBadLabelKey, key).Detail = validationDetail(errs)
		} else if r, ok := reservedLabelKey(key); ok {
			d := diags.Errorf(CodeReservedLabelKey, t.Key.Span(), msgReservedLabelKey, key)
			d.Detail = r.detail
			if r.hint != nil {
				d.Detail += " " + r.hint(t)
			}
		}
		for _, v := range t.Values {
			if errs := validation.IsValidLabelValue(v.Value); len(errs) > 0 {
				diags.Errorf(CodeBadLabelValue, v.Span(), msgBadLabelValue, v.Value).Detail = validationDetail(errs)
			}
		}
		vals := make([]string, len(t.Values))
		for i, v := range t.Values {
			vals[i] = v.Value
		}
		if (t.Op == ast.OpEq || t.Op == ast.OpNotEq) && len(vals) != 1 {
			continue
		}
		kc := keys[key]
		if kc == nil {
			kc = &keyConstraint{}
			keys[key] = kc
		}
		earlier := kc.terms
		kc.add(t)
		if !kc.reported && kc.empty() {
			kc.reported = true
			contradiction(diags, t, earlier)
		}
		switch t.Op {
		case ast.OpEq:
			if slices.ContainsFunc(out.MatchLabels, func(l ir.Label) bool { return l.Key == key }) {
				continue // one label per key (a second value is reported above)
			}
			out.MatchLabels = append(out.MatchLabels, ir.Label{Key: key, Value: vals[0]})
		case ast.OpNotEq:
			out.MatchExpressions = append(out.MatchExpressions, ir.Expression{Key: key, Operator: ir.OpNotIn, Values: vals})
		case ast.OpIn:
			out.MatchExpressions = append(out.MatchExpressions, ir.Expression{Key: key, Operator: ir.OpIn, Values: vals})
		case ast.OpNotIn:
			out.MatchExpressions = append(out.MatchExpressions, ir.Expression{Key: key, Operator: ir.OpNotIn, Values: vals})
		case ast.OpExists:
			out.MatchExpressions = append(out.MatchExpressions, ir.Expression{Key: key, Operator: ir.OpExists})
		case ast.OpNotExists:
			out.MatchExpressions = append(out.MatchExpressions, ir.Expression{Key: key, Operator: ir.OpDoesNotExist})
		}
	}
	return out.Normalize()
}

// contradiction reports term t, which no labels satisfy together with the
// earlier terms on its key.
func contradiction(diags *diag.List, t ast.LabelTerm, earlier []ast.LabelTerm) {
	key := t.Key.Value
	if t.Op == ast.OpEq {
		for _, e := range earlier {
			if e.Op == ast.OpEq && e.Values[0].Value != t.Values[0].Value {
				diags.Errorf(CodeBadSelector, t.Span(), msgConflictingLabel, key, e.Values[0].Value, t.Values[0].Value)
				return
			}
		}
	}
	text := func(t ast.LabelTerm) string { return strconv.Quote(termText(t.Key.Value, t)) }
	prev := make([]string, len(earlier))
	for i, e := range earlier {
		prev[i] = text(e)
	}
	d := diags.Errorf(CodeBadSelector, t.Span(), msgContradictoryTerm, text(t), strings.Join(prev, " and "))
	d.Detail = sprintf(detailContradictoryTerm, termText(key, ast.LabelTerm{Op: ast.OpExists}))
}

// namespaceName checks a namespace written by name.
func checkNamespaceName(diags *diag.List, id ast.Ident) {
	if errs := validation.IsDNS1123Label(id.Name); len(errs) > 0 {
		diags.Errorf(CodeBadNamespace, id.Span(), msgBadNamespace, id.Name).Detail = validationDetail(errs)
	}
}

// parsePrefix parses a CIDR as written: a prefix, or a bare IPv4 address
// (a /32). It reports what is wrong and returns ok=false for a placeholder.
func parsePrefix(diags *diag.List, s ast.String) (netip.Prefix, bool) {
	text := s.Value
	var p netip.Prefix
	if strings.Contains(text, "/") {
		var err error
		p, err = netip.ParsePrefix(text)
		if err != nil {
			diags.Errorf(CodeBadCIDR, s.Span(), msgBadCIDR, text)
			return p, false
		}
	} else {
		a, err := netip.ParseAddr(text)
		if err != nil || a.Zone() != "" {
			diags.Errorf(CodeBadCIDR, s.Span(), msgBadCIDR, text)
			return p, false
		}
		if a.Is6() {
			d := diags.Errorf(CodeBadCIDR, s.Span(), msgIPv6NeedsPrefix, text)
			d.Suggestion = text + "/128"
			return p, false
		}
		p = netip.PrefixFrom(a, 32)
	}
	if a := p.Addr(); a.Is4In6() {
		diags.Errorf(CodeBadCIDR, s.Span(), msgBadCIDR, text)
		return p, false
	}
	if m := p.Masked(); m != p {
		d := diags.Errorf(CodeNonCanonicalCIDR, s.Span(), msgNonCanonical, text, m)
		d.Detail = detailNonCanonical
		d.Suggestion = m.String()
		return m, false
	}
	return p, true
}

// fqdnProblem says what is wrong with a DNS name pattern ("" if nothing).
func fqdnProblem(p string) string {
	if p == "" {
		return "empty name"
	}
	if len(p) > 255 {
		return "longer than 255 characters"
	}
	for _, r := range p {
		if !(r == '-' || r == '_' || r == '.' || r == '*' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return sprintf("character %q is not allowed (only letters, digits, '-', '_', '.' and '*')", r)
		}
	}
	if p == "*" {
		return ""
	}
	rest := strings.TrimSuffix(p, ".")
	rest = strings.TrimPrefix(rest, "**.")
	if strings.Contains(rest, "**") {
		return "\"**.\" is only allowed as a prefix"
	}
	for _, l := range strings.Split(rest, ".") {
		if l == "" {
			return "empty label"
		}
	}
	return ""
}

// fqdn converts a DNS name pattern, checking it.
func fqdn(diags *diag.List, s ast.String) (ir.FQDN, bool) {
	if prob := fqdnProblem(s.Value); prob != "" {
		diags.Errorf(CodeBadFQDN, s.Span(), msgBadFQDN, s.Value, prob)
		return ir.FQDN{Pattern: "invalid"}, false
	}
	p := strings.ToLower(strings.TrimSuffix(s.Value, "."))
	if p == "" {
		p = "*"
	}
	return ir.FQDN{Pattern: p, Exact: !strings.Contains(p, "*")}, true
}

// checkRegex checks an HTTP regular expression (matched whole).
func checkRegex(diags *diag.List, s *ast.String) string {
	if s == nil {
		return ""
	}
	_, err := regexp.Compile(s.Value)
	if err == nil {
		_, err = regexp.Compile("^(?:" + s.Value + ")$")
	}
	if err != nil {
		msg := err.Error()
		if e, ok := err.(*syntax.Error); ok {
			msg = string(e.Code)
		}
		diags.Errorf(CodeBadRegex, s.Span(), msgBadRegex, s.Value, msg).Detail = detailBadRegex
	}
	return s.Value
}

var protocols = lexicon.Words(lexicon.Protocol)

// port converts one port item. It returns a port or ICMP type (isICMP), or
// all (every port of every protocol); ok is false after an error.
func (c *compiler) port(diags *diag.List, ps ast.PortSpec) (p ir.Port, icmp ir.ICMPType, isICMP, all, ok bool) {
	ok = true
	proto := strings.ToLower(ps.Protocol.Name)
	p.Span = ps.Span()
	if ps.IsICMP || lexicon.IsKeyword(proto, lexicon.ICMP) {
		icmp = ir.ICMPType{Span: ps.Span(), Family: ir.ICMPv4, Type: ps.ICMPType.Value}
		if proto == "icmpv6" {
			icmp.Family = ir.ICMPv6
		}
		if n, err := strconv.Atoi(icmp.Type); icmp.Type != "" && err == nil && (n < 0 || n > 255) {
			diags.Errorf(CodeBadICMP, ps.ICMPType.Span(), msgBadICMPType, icmp.Type)
			ok = false
		}
		return p, icmp, true, false, ok
	}
	switch proto {
	case "", "tcp":
		p.Protocol = ir.TCP
	case "udp":
		p.Protocol = ir.UDP
	case "sctp":
		p.Protocol = ir.SCTP
	case "any":
		p.Protocol = ir.ProtoAny
	default:
		d := diags.Errorf(CodeUnknownProtocol, ps.Protocol.Span(), msgUnknownProto, ps.Protocol.Name)
		if s, found := diag.Closest(proto, protocols); found {
			d.Detail = capitalize(sprintf(msgDidYouMean, s))
			d.Suggestion = s
		}
		p.Protocol, ok = ir.TCP, false
	}
	switch {
	case ps.All:
		if proto == "" {
			return p, icmp, false, true, ok
		}
		return p, icmp, false, false, ok
	case ps.Name != "":
		if errs := validation.IsValidPortName(ps.Name); len(errs) > 0 {
			diags.Errorf(CodeBadPortName, ps.Span(), msgBadPortName, ps.Name).Detail = validationDetail(errs)
			ok = false
		}
		p.Name = ps.Name
		return p, icmp, false, false, ok
	}
	if ps.Start < 0 {
		diags.Errorf(CodeBadPort, ps.Span(), msgMissingPortNumber)
		return p, icmp, false, false, false
	}
	if ps.Start < 1 || ps.Start > 65535 {
		diags.Errorf(CodeBadPort, ps.Span(), msgBadPort, ps.Start)
		return p, icmp, false, false, false
	}
	p.Port = uint16(ps.Start)
	if ps.End != 0 && ps.End != ps.Start {
		switch {
		case ps.End < 1 || ps.End > 65535:
			diags.Errorf(CodeBadPort, ps.Span(), msgBadPort, ps.End)
			ok = false
		case ps.End < ps.Start:
			diags.Errorf(CodeBadPortRange, ps.Span(), msgBadPortRange, ps.Start, ps.End)
			ok = false
		default:
			p.EndPort = uint16(ps.End)
		}
	}
	return p, icmp, false, false, ok
}
