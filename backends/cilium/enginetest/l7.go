package enginetest

import (
	"regexp"
	"strings"
	"sync"

	cilium "github.com/cilium/proxy/go/cilium/api"
	envoy_config_route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	envoy_type_matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/cilium/cilium/pkg/policy/api"

	"github.com/netpolc/netpolc/compile/ir"
)

// matchHTTP reports whether req matches one of rules, the Envoy HTTP rules
// Cilium computed for a per-selector policy. A rule matches when each of its
// HeaderMatchers matches; HeaderMatches (Cilium's own header actions) only
// block with FAIL_ON_MISMATCH, the other actions log or rewrite.
func matchHTTP(rules *cilium.HttpNetworkPolicyRules, req *ir.HTTPRequest) bool {
	if rules == nil {
		return true
	}
	if len(rules.HttpRules) == 0 {
		return true
	}
	for _, r := range rules.HttpRules {
		if httpRuleMatches(r, req) {
			return true
		}
	}
	return false
}

func httpRuleMatches(r *cilium.HttpNetworkPolicyRule, req *ir.HTTPRequest) bool {
	for _, h := range r.Headers {
		if !headerMatches(h, req) {
			return false
		}
	}
	for _, h := range r.HeaderMatches {
		if h.MismatchAction != cilium.HeaderMatch_FAIL_ON_MISMATCH {
			continue
		}
		v, ok := header(req, h.Name)
		if !ok || (h.Value != "" && v != h.Value) {
			return false
		}
	}
	return true
}

// header returns the value of header name (case-insensitive; :method,
// :path and :authority are the request line and Host).
func header(req *ir.HTTPRequest, name string) (string, bool) {
	switch strings.ToLower(name) {
	case ":method":
		return req.Method, true
	case ":path":
		return req.Path, true
	case ":authority", "host":
		return req.Host, req.Host != ""
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// headerMatches evaluates one Envoy HeaderMatcher the way Envoy does for
// the matchers Cilium generates: string_match (exact, safe_regex over the
// whole value, prefix, suffix, contains), present_match, and invert_match.
// An absent header matches only an inverted matcher.
func headerMatches(h *envoy_config_route.HeaderMatcher, req *ir.HTTPRequest) bool {
	v, ok := header(req, h.Name)
	var m bool
	switch spec := h.HeaderMatchSpecifier.(type) {
	case *envoy_config_route.HeaderMatcher_PresentMatch:
		m = ok == spec.PresentMatch
		if h.InvertMatch {
			m = !m
		}
		return m
	case *envoy_config_route.HeaderMatcher_StringMatch:
		if !ok {
			return h.InvertMatch
		}
		m = stringMatches(spec.StringMatch, v)
	case *envoy_config_route.HeaderMatcher_ExactMatch:
		if !ok {
			return h.InvertMatch
		}
		m = v == spec.ExactMatch
	case *envoy_config_route.HeaderMatcher_SafeRegexMatch:
		if !ok {
			return h.InvertMatch
		}
		m = fullMatch(spec.SafeRegexMatch.GetRegex(), v)
	default:
		// Unknown matcher kinds never match: the harness then reports a
		// mismatch rather than silently allowing.
		return false
	}
	if h.InvertMatch {
		m = !m
	}
	return m
}

func stringMatches(sm *envoy_type_matcher.StringMatcher, v string) bool {
	if sm.IgnoreCase {
		v = strings.ToLower(v)
	}
	lower := func(s string) string {
		if sm.IgnoreCase {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := sm.MatchPattern.(type) {
	case *envoy_type_matcher.StringMatcher_Exact:
		return v == lower(p.Exact)
	case *envoy_type_matcher.StringMatcher_Prefix:
		return strings.HasPrefix(v, lower(p.Prefix))
	case *envoy_type_matcher.StringMatcher_Suffix:
		return strings.HasSuffix(v, lower(p.Suffix))
	case *envoy_type_matcher.StringMatcher_Contains:
		return strings.Contains(v, lower(p.Contains))
	case *envoy_type_matcher.StringMatcher_SafeRegex:
		return fullMatch(p.SafeRegex.GetRegex(), v)
	}
	return false
}

var (
	regexMu    sync.Mutex
	regexCache = map[string]*regexp.Regexp{}
)

// fullMatch matches v against the RE2 expression re as Envoy's
// RegexMatcher does: the whole value must match. An invalid expression
// matches nothing (Envoy would reject the configuration).
func fullMatch(re, v string) bool {
	regexMu.Lock()
	rx, ok := regexCache[re]
	if !ok {
		rx, _ = regexp.Compile(`^(?:` + re + `)$`)
		regexCache[re] = rx
	}
	regexMu.Unlock()
	return rx != nil && rx.MatchString(v)
}

// matchDNS reports whether the DNS proxy allows a lookup of name under
// rules: one rule's FQDNSelector regular expression (Cilium's own
// ToRegex) matches the lower-cased, dot-terminated name.
func matchDNS(rules api.PortRulesDNS, name string) bool {
	n := dnsName(name)
	for _, r := range rules {
		sel := api.FQDNSelector(r)
		re, err := sel.ToRegex()
		if err == nil && re.MatchString(n) {
			return true
		}
	}
	return false
}
