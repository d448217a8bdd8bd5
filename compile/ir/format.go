package ir

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Format renders p as readable, deterministic text (for golden tests and
// debugging): one line per policy, isolation, rule and expectation, each
// followed by the file:line it came from.
func Format(p *Program) string {
	var b strings.Builder
	fmt.Fprintf(&b, "governed: %s\n", strings.Join(p.Governed, ", "))
	if p.ClusterWide {
		b.WriteString("cluster-wide\n")
	}
	fmt.Fprintf(&b, "dns server: %s/%s:%d%s\n", p.DNS.Namespace, p.DNS.Pods.String(), p.DNS.Port, at(p.DNS.Span.String(), p.DNS.Span.IsValid()))
	for _, pol := range p.Policies {
		ns := pol.Namespace
		if ns == "" {
			ns = "*"
		}
		fmt.Fprintf(&b, "policy %s: %s subject %s%s\n", pol.Name, ns, FormatSubject(pol.Subject), at(pol.Span.String(), pol.Span.IsValid()))
		var iso []string
		if pol.Isolation.Ingress {
			iso = append(iso, "ingress")
		}
		if pol.Isolation.Egress {
			iso = append(iso, "egress")
		}
		if len(iso) > 0 {
			fmt.Fprintf(&b, "  isolate %s\n", strings.Join(iso, ", "))
		}
		if pol.Tier == TierOrdered {
			fmt.Fprintf(&b, "  ordered priority %d\n", pol.Priority)
		}
		for _, r := range pol.Rules {
			fmt.Fprintf(&b, "  %s%s\n", FormatRule(r), at(r.Span.String(), r.Span.IsValid()))
		}
	}
	for _, x := range p.Expectations {
		fmt.Fprintf(&b, "expect %s\n", FormatExpectation(x))
	}
	return b.String()
}

func at(s string, ok bool) string {
	if !ok {
		return ""
	}
	return "  # " + s
}

// FormatSubject renders a policy subject.
func FormatSubject(s Subject) string {
	out := s.Pods.String()
	if s.Nodes {
		out = "node" + out
	}
	if s.Namespaces != nil {
		out = "ns" + s.Namespaces.String() + "/" + out
	}
	return out
}

// FormatPolicySubject renders what a policy applies to, with its namespace:
// "shop/{app: web}", "ns{team: a}/{app: web}", "ns{}/{app: web}" for pods
// of every namespace, "node{role: db}" for nodes.
func FormatPolicySubject(pol *Policy) string {
	s := FormatSubject(pol.Subject)
	switch {
	case pol.Namespace != "":
		return pol.Namespace + "/" + s
	case pol.Subject.Namespaces == nil && !pol.Subject.Nodes:
		return "ns{}/" + s
	}
	return s
}

// FormatPeer renders a peer in the language's syntax; it ignores the span,
// so equal peers render equally.
func FormatPeer(p Peer) string {
	switch p.Kind {
	case PeerPods:
		switch p.Namespace.Scope {
		case NamespaceNamed:
			return p.Namespace.Name + "/" + p.Pods.String()
		case NamespaceLabels:
			return "ns" + p.Namespace.Labels.String() + "/" + p.Pods.String()
		}
		return p.Pods.String()
	case PeerCIDR:
		s := p.CIDR.String()
		if len(p.Except) > 0 {
			xs := make([]string, len(p.Except))
			for i, x := range p.Except {
				xs[i] = x.String()
			}
			s += " except [" + strings.Join(xs, ", ") + "]"
		}
		return s
	case PeerEntity:
		return "entity(" + string(p.Entity) + ")"
	case PeerFQDN:
		return FormatFQDN(p.FQDN)
	case PeerService:
		if p.Service.Selector != nil {
			return "service(" + p.Service.Namespace + "/" + p.Service.Selector.String() + ")"
		}
		return "service(" + p.Service.Namespace + "/" + p.Service.Name + ")"
	case PeerNodes:
		return "node" + p.Pods.String()
	case PeerAny:
		return "*"
	}
	return fmt.Sprintf("peer-kind-%d", p.Kind)
}

// FormatFQDN renders a DNS name or pattern as the language writes it, a
// quoted string ("api.example.com", "*.example.com"): exact names are the
// ones without "*". The two forms the language cannot write are marked: a
// pattern without "*" (pattern "example.com") and an exact name with "*"
// (name "*.example.com").
func FormatFQDN(f FQDN) string {
	s := strconv.Quote(f.Pattern)
	switch wild := strings.Contains(f.Pattern, "*"); {
	case f.Exact && wild:
		return "name " + s
	case !f.Exact && !wild:
		return "pattern " + s
	}
	return s
}

// FormatPort renders a port: "5432/TCP", "8000-8080/TCP", "metrics/TCP",
// "*/UDP".
func FormatPort(p Port) string {
	switch {
	case p.Name != "":
		return p.Name + "/" + string(p.Protocol)
	case p.Port == 0:
		return "*/" + string(p.Protocol)
	case p.EndPort != 0:
		return fmt.Sprintf("%d-%d/%s", p.Port, p.EndPort, p.Protocol)
	}
	return fmt.Sprintf("%d/%s", p.Port, p.Protocol)
}

// FormatPorts renders a list of ports: "5432/TCP, 8080/TCP".
func FormatPorts(ports []Port) string {
	xs := make([]string, len(ports))
	for i, p := range ports {
		xs[i] = FormatPort(p)
	}
	return strings.Join(xs, ", ")
}

// FormatHTTPRule renders an HTTP rule; "*" stands for an empty field.
func FormatHTTPRule(h HTTPRule) string {
	or := func(s string) string {
		if s == "" {
			return "*"
		}
		return strconv.Quote(s)
	}
	s := or(h.Method) + " " + or(h.Path)
	if h.Host != "" {
		s += " host " + strconv.Quote(h.Host)
	}
	for _, m := range h.Headers {
		s += " header " + strconv.Quote(m.Name)
		if m.Value != nil {
			s += ": " + strconv.Quote(*m.Value)
		}
	}
	return s
}

// FormatHTTPRules renders a list of HTTP rules: `"GET" "/a"; "POST" *`.
func FormatHTTPRules(rules []HTTPRule) string {
	xs := make([]string, len(rules))
	for i, h := range rules {
		xs[i] = FormatHTTPRule(h)
	}
	return strings.Join(xs, "; ")
}

// FormatICMP renders an ICMP type: "icmp/8", "icmpv6".
func FormatICMP(t ICMPType) string {
	s := "icmp"
	if t.Family == ICMPv6 {
		s = "icmpv6"
	}
	if t.Type != "" {
		s += "/" + t.Type
	}
	return s
}

// FormatRule renders a rule without its span:
// "egress allow to {app: db} ports [5432/TCP]".
func FormatRule(r *Rule) string {
	var b strings.Builder
	b.WriteString(r.Direction.String() + " " + r.Action.String())
	if r.Direction == Egress {
		b.WriteString(" to ")
	} else {
		b.WriteString(" from ")
	}
	for i := range r.Peers {
		if i > 0 {
			b.WriteString(" | ")
		}
		b.WriteString(FormatPeer(r.Peers[i]))
	}
	if r.AllTraffic {
		b.WriteString(" all traffic")
	}
	for _, pr := range r.Ports {
		b.WriteString(" ports [" + FormatPorts(pr.Ports) + "]")
		if len(pr.HTTP) > 0 {
			b.WriteString(" http [" + FormatHTTPRules(pr.HTTP) + "]")
		}
		if len(pr.DNS) > 0 {
			ds := make([]string, len(pr.DNS))
			for i, d := range pr.DNS {
				ds[i] = FormatFQDN(d)
			}
			b.WriteString(" lookups [" + strings.Join(ds, ", ") + "]")
		}
	}
	if len(r.ICMP) > 0 {
		xs := make([]string, len(r.ICMP))
		for i, t := range r.ICMP {
			xs[i] = FormatICMP(t)
		}
		b.WriteString(" [" + strings.Join(xs, ", ") + "]")
	}
	if r.DNS {
		b.WriteString(" (dns)")
	}
	return b.String()
}

// FormatExpectation renders an expectation without its span.
func FormatExpectation(x *Expectation) string {
	end := func(e Endpoint) string {
		s := FormatPeer(e.Peer)
		if e.Group != "" {
			s = e.Group + "=" + s
		}
		return s
	}
	var b strings.Builder
	if x.Namespace != "" {
		b.WriteString("(in " + x.Namespace + ") ")
	}
	b.WriteString(end(x.From) + " -> " + end(x.To) + " ")
	if x.ICMP != nil {
		b.WriteString(FormatICMP(*x.ICMP))
	} else {
		b.WriteString(FormatPort(x.Port))
	}
	if r := x.Request; r != nil {
		fmt.Fprintf(&b, " request %q %q", r.Method, r.Path)
		if r.Host != "" {
			fmt.Fprintf(&b, " host %q", r.Host)
		}
		keys := make([]string, 0, len(r.Headers))
		for k := range r.Headers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " header %q: %q", k, r.Headers[k])
		}
	}
	if x.Allowed {
		b.WriteString(" allowed")
	} else {
		b.WriteString(" denied")
	}
	return b.String()
}
