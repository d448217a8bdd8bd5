package analysis

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/source"
)

// Query is the flow Explain explains.
type Query struct {
	From, To ResolvedEndpoint
	Protocol ir.Protocol // TCP, UDP or SCTP
	Port     uint16      // the destination port, a named port already resolved
	PortName string      // the named port Port was resolved from; "" for a number
	HTTP     *ir.HTTPRequest
	// ICMP, when set, makes the flow an ICMP message instead of a
	// connection to Port.
	ICMP *ir.ICMPType
}

// ParseICMP reads "icmp", "icmp/TYPE", "icmpv6" or "icmpv6/TYPE" (TYPE a
// number or a Cilium type name such as EchoRequest); ok is false when s is
// not ICMP at all.
func ParseICMP(s string) (t *ir.ICMPType, ok bool, err error) {
	fam, typ, _ := strings.Cut(s, "/")
	switch strings.ToLower(fam) {
	case "icmp":
		t = &ir.ICMPType{Family: ir.ICMPv4}
	case "icmpv6":
		t = &ir.ICMPType{Family: ir.ICMPv6}
	default:
		return nil, false, nil
	}
	if typ == "" {
		return nil, true, fmt.Errorf("%s: name the ICMP type, e.g. %s/8 or %s/EchoRequest", s, fam, fam)
	}
	n, valid := eval.ICMPTypeNumber(t.Family, typ)
	if !valid {
		return nil, true, fmt.Errorf("%s: unknown ICMP type %q (a number 0-255 or a type name such as EchoRequest)", s, typ)
	}
	t.Type = fmt.Sprint(n)
	return t, true, nil
}

// ResolvePort resolves the port written as port (a number or a container
// port name of to) with protocol proto ("" for TCP, or for a named port the
// protocol of its container port).
func ResolvePort(to eval.Endpoint, port string, proto ir.Protocol) (uint16, ir.Protocol, error) {
	var n uint16
	if _, err := fmt.Sscanf(port, "%d", &n); err == nil && fmt.Sprint(n) == port {
		if n == 0 {
			return 0, "", fmt.Errorf("port 0 is not a port")
		}
		if proto == "" {
			proto = ir.TCP
		}
		return n, proto, nil
	}
	if to.Kind != eval.EndpointPod {
		return 0, "", fmt.Errorf("named port %q needs a pod destination, not %s", port, to)
	}
	var names []string
	for _, cp := range to.Pod.Ports {
		p := cp.Protocol
		if p == "" {
			p = ir.TCP
		}
		if cp.Name == port && (proto == "" || proto == p) {
			return cp.Port, p, nil
		}
		if cp.Name != "" {
			names = append(names, cp.Name+"/"+string(p))
		}
	}
	msg := fmt.Sprintf("%s has no container port named %q", to, port)
	if proto != "" {
		msg += " with protocol " + string(proto)
	}
	if len(names) == 0 {
		return 0, "", fmt.Errorf("%s (it has no named ports)", msg)
	}
	sort.Strings(names)
	return 0, "", fmt.Errorf("%s; its named ports: %s", msg, strings.Join(names, ", "))
}

// Explanation is why a flow is allowed or denied: the verdict of each side
// and the rules and policies that decide it. Its JSON form is the schema of
// "netpolc explain --format json" (docs/analysis.md).
type Explanation struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Protocol string `json:"protocol,omitempty"`
	Port     uint16 `json:"port,omitempty"`
	// ICMP is the ICMP message instead of a port: "icmp/8", "icmpv6/128".
	ICMP string `json:"icmp,omitempty"`
	// PortName is the named port the port was resolved from.
	PortName string       `json:"portName,omitempty"`
	HTTP     *HTTPRequest `json:"http,omitempty"`
	// World describes the world the flow was decided over (a file name,
	// or RepresentativeNote).
	World   string   `json:"world"`
	Notes   []string `json:"notes,omitempty"`
	Allowed bool     `json:"allowed"`
	// L7Restricted: allowed at L4, but HTTP or DNS rules restrict the
	// requests, and the flow carries none (see Side.L7).
	L7Restricted bool `json:"l7Restricted"`
	Egress       Side `json:"egress"`
	Ingress      Side `json:"ingress"`
}

// HTTPRequest is the request of an explained flow.
type HTTPRequest struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Host    string            `json:"host,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
}

// Side is the decision of one side of a flow.
type Side struct {
	// Endpoint is the endpoint whose side this is: the source for egress,
	// the destination for ingress.
	Endpoint  string `json:"endpoint"`
	Direction string `json:"direction"` // "egress" or "ingress"
	Allowed   bool   `json:"allowed"`
	// Reason is one of Reason*.
	Reason string `json:"reason"`
	// Governed: some policy selects the endpoint.
	Governed   bool        `json:"governed"`
	Isolated   bool        `json:"isolated"`
	IsolatedBy []PolicyRef `json:"isolatedBy"`
	AllowedBy  []RuleRef   `json:"allowedBy"`
	DeniedBy   []RuleRef   `json:"deniedBy"`
	// L7 is "none", "restricted", "allowed" or "denied" (eval.L7Status);
	// L7By are the allow rules whose HTTP or DNS rules restrict the flow.
	L7   string    `json:"l7"`
	L7By []RuleRef `json:"l7By"`
	// Ordered is the ordered rule ("clusterwide priority N") that decided
	// the side: the first that matches; nil when none matches and the
	// other policies decide.
	Ordered *OrderedRef `json:"ordered,omitempty"`
}

// OrderedRef is the ordered rule that decided a side.
type OrderedRef struct {
	Rule     RuleRef `json:"rule"`
	Priority int32   `json:"priority"`
	// Action is "allow" (the side allows, nothing else consulted), "deny"
	// (the side denies) or "pass" (only the isolation and the allow rules
	// of namespace policies isolating the direction decide: AllowedBy).
	Action string `json:"action"`
}

// Reasons of a side's verdict.
const (
	ReasonNotSelected = "not-selected" // no policy selects the endpoint: allowed
	ReasonNotIsolated = "not-isolated" // selected, not isolated in this direction, no deny rule: allowed
	ReasonAllowed     = "allowed"      // isolated, an allow rule matches
	ReasonNoRule      = "no-rule"      // isolated, no allow rule matches: denied
	ReasonDenied      = "denied"       // a deny rule matches: denied
	ReasonL7Denied    = "l7-denied"    // allowed at L4, the request matches no HTTP or DNS rule
	ReasonNotSubject  = "not-subject"  // an external endpoint or the API server: never a subject, allowed
	// ReasonOrderedAllowed and ReasonOrderedDenied: the first matching
	// ordered rule (Side.Ordered) allows or denies. After an ordered pass
	// the reason is one of the above, over the namespace policies.
	ReasonOrderedAllowed = "ordered-allowed"
	ReasonOrderedDenied  = "ordered-denied"
)

// Position is a place in a source or YAML file.
type Position struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

// String is "file:line".
func (p Position) String() string {
	if p.Line == 0 {
		if p.File == "" {
			return "-"
		}
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

func position(s source.Span) Position {
	return Position{File: s.File, Line: s.Start.Line, Col: s.Start.Col}
}

// PolicyRef names a policy: where it was written and, for an imported one,
// the object it came from.
type PolicyRef struct {
	At Position `json:"at"`
	// Subject is what the policy selects ("production/{app: web}").
	Subject string `json:"subject"`
	// Origin is the object the policy was imported from
	// ("NetworkPolicy shop/allow-web"); "" for netpolc source.
	Origin string `json:"origin,omitempty"`
	// Source is the text of the source line at At (netpolc source only).
	Source string `json:"source,omitempty"`
}

// RuleRef names a rule: where it was written, its policy and what it says.
type RuleRef struct {
	At     Position  `json:"at"`
	Policy PolicyRef `json:"policy"`
	// Rule is the rule in the IR's words ("egress allow to {app: db} ports
	// [5432/TCP]").
	Rule string `json:"rule"`
	// Source is the text of the source line at At (netpolc source only).
	Source string `json:"source,omitempty"`
	// HTTP are the HTTP rules of the rule's ports that carry the flow's port
	// (L7By only).
	HTTP []string `json:"http,omitempty"`
	// DNS are the DNS lookup patterns of those ports (L7By only).
	DNS []string `json:"dns,omitempty"`
}

// Explainer explains flows of one program over one world.
type Explainer struct {
	ev       *eval.Evaluator
	policyOf map[*ir.Rule]*ir.Policy
	files    *source.Set
}

// NewExplainer returns an Explainer for prog over w; files are the sources
// (or YAML) the program came from, for quoting source lines (nil: none).
func NewExplainer(prog *ir.Program, w *eval.World, files []*source.File) *Explainer {
	x := &Explainer{ev: eval.New(prog, w), policyOf: map[*ir.Rule]*ir.Policy{}, files: source.NewSet(files...)}
	for _, pol := range prog.Policies {
		for _, r := range pol.Rules {
			x.policyOf[r] = pol
		}
	}
	return x
}

// Explain decides q and explains the verdict.
func (x *Explainer) Explain(q Query) *Explanation {
	f := eval.Flow{From: q.From.Endpoint, To: q.To.Endpoint, Protocol: q.Protocol, Port: q.Port, HTTP: q.HTTP, ICMP: q.ICMP}
	v := x.ev.Decide(f)
	out := &Explanation{
		From: EndpointName(q.From.Endpoint), To: EndpointName(q.To.Endpoint),
		Protocol: string(q.Protocol), Port: q.Port, PortName: q.PortName,
		Allowed: v.Allowed, L7Restricted: v.L7Restricted,
	}
	if q.ICMP != nil {
		out.Protocol, out.Port = "", 0
		out.ICMP = ir.FormatICMP(*q.ICMP)
	}
	if q.HTTP != nil {
		out.HTTP = &HTTPRequest{Method: q.HTTP.Method, Path: q.HTTP.Path, Host: q.HTTP.Host, Headers: q.HTTP.Headers}
	}
	for _, r := range []ResolvedEndpoint{q.From, q.To} {
		if r.Note != "" {
			out.Notes = append(out.Notes, EndpointName(r.Endpoint)+": "+r.Note)
		}
	}
	if q.PortName != "" {
		out.Notes = append(out.Notes, fmt.Sprintf("port %s is %d/%s on %s", q.PortName, q.Port, q.Protocol, EndpointName(q.To.Endpoint)))
	}
	out.Egress = x.side(v.Egress, ir.Egress, q.From.Endpoint, q.Port)
	out.Ingress = x.side(v.Ingress, ir.Ingress, q.To.Endpoint, q.Port)
	return out
}

func (x *Explainer) side(s eval.Side, d ir.Direction, ep eval.Endpoint, port uint16) Side {
	out := Side{
		Endpoint: EndpointName(ep), Direction: d.String(), Allowed: s.Allowed,
		Governed: s.Governed, Isolated: s.Isolated, L7: s.L7.String(),
		IsolatedBy: []PolicyRef{}, AllowedBy: []RuleRef{}, DeniedBy: []RuleRef{}, L7By: []RuleRef{},
	}
	for _, p := range s.IsolatedBy {
		out.IsolatedBy = append(out.IsolatedBy, x.policyRef(p))
	}
	for _, r := range s.AllowedBy {
		out.AllowedBy = append(out.AllowedBy, x.ruleRef(r, 0))
	}
	for _, r := range s.DeniedBy {
		out.DeniedBy = append(out.DeniedBy, x.ruleRef(r, 0))
	}
	for _, r := range s.L7By {
		out.L7By = append(out.L7By, x.ruleRef(r, port))
	}
	if s.Ordered != nil {
		out.Ordered = &OrderedRef{Rule: x.ruleRef(s.Ordered, 0), Priority: s.OrderedPolicy.Priority, Action: s.Ordered.Action.String()}
	}
	switch {
	case ep.Kind == eval.EndpointExternal || ep.Kind == eval.EndpointAPIServer:
		out.Reason = ReasonNotSubject
	case s.Ordered != nil && s.Ordered.Action == ir.Allow:
		out.Reason = ReasonOrderedAllowed
	case s.Ordered != nil && s.Ordered.Action == ir.Deny:
		out.Reason = ReasonOrderedDenied
	case !s.Governed:
		out.Reason = ReasonNotSelected
	case len(s.DeniedBy) > 0:
		out.Reason = ReasonDenied
	case s.L7 == eval.L7Denied:
		out.Reason = ReasonL7Denied
	case len(s.AllowedBy) > 0:
		out.Reason = ReasonAllowed
	case !s.Isolated:
		out.Reason = ReasonNotIsolated
	default:
		out.Reason = ReasonNoRule
	}
	return out
}

func (x *Explainer) policyRef(p *ir.Policy) PolicyRef {
	ref := PolicyRef{At: position(p.Span), Subject: ir.FormatPolicySubject(p), Origin: p.Origin}
	if p.Origin == "" {
		ref.Source = x.line(p.Span)
	}
	return ref
}

// ruleRef describes r; with port != 0, the HTTP and DNS rules of r's ports
// that carry port.
func (x *Explainer) ruleRef(r *ir.Rule, port uint16) RuleRef {
	ref := RuleRef{At: position(r.Span), Rule: ir.FormatRule(r)}
	if pol := x.policyOf[r]; pol != nil {
		ref.Policy = x.policyRef(pol)
		if pol.Origin == "" {
			ref.Source = x.line(r.Span)
		}
	}
	if port == 0 {
		return ref
	}
	for _, pr := range r.Ports {
		if !carries(pr, port) {
			continue
		}
		for _, h := range pr.HTTP {
			ref.HTTP = append(ref.HTTP, ir.FormatHTTPRule(h)+" ("+position(h.Span).String()+")")
		}
		for _, f := range pr.DNS {
			ref.DNS = append(ref.DNS, ir.FormatFQDN(f))
		}
	}
	return ref
}

// carries reports whether a port of pr may carry port: a number or range
// holding it, every port, or a named port (which eval resolved to it).
func carries(pr ir.PortRule, port uint16) bool {
	for _, p := range pr.Ports {
		switch {
		case p.Name != "", p.Port == 0:
			return true
		case p.Port == port, p.EndPort != 0 && p.Port <= port && port <= p.EndPort:
			return true
		}
	}
	return false
}

// line returns the trimmed text of the line s starts on, or "".
func (x *Explainer) line(s source.Span) string {
	f := x.files.File(s.File)
	if f == nil || !s.IsValid() {
		return ""
	}
	return strings.TrimSpace(f.Line(s.Start.Line))
}

// JSON renders e, indented, with a final newline.
func (e *Explanation) JSON() ([]byte, error) { return marshal(e) }

// Text renders e for people.
func (e *Explanation) Text() string {
	var b strings.Builder
	verdict := "denied"
	switch {
	case e.Allowed && e.L7Restricted:
		verdict = "allowed at L4, requests restricted at L7"
	case e.Allowed:
		verdict = "allowed"
	}
	if e.ICMP != "" {
		fmt.Fprintf(&b, "%s -> %s %s", e.From, e.To, e.ICMP)
	} else {
		fmt.Fprintf(&b, "%s -> %s:%d/%s", e.From, e.To, e.Port, e.Protocol)
	}
	if e.HTTP != nil {
		fmt.Fprintf(&b, " %s %s", e.HTTP.Method, e.HTTP.Path)
		if e.HTTP.Host != "" {
			fmt.Fprintf(&b, " host %s", e.HTTP.Host)
		}
		for _, k := range slices.Sorted(maps.Keys(e.HTTP.Headers)) {
			fmt.Fprintf(&b, " header %s: %s", k, e.HTTP.Headers[k])
		}
	}
	fmt.Fprintf(&b, ": %s\n", verdict)
	if e.World != "" {
		fmt.Fprintf(&b, "  world: %s\n", e.World)
	}
	for _, n := range e.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	for _, s := range []Side{e.Egress, e.Ingress} {
		b.WriteString("\n")
		s.text(&b)
	}
	return b.String()
}

func (s Side) text(b *strings.Builder) {
	verdict := "denied"
	if s.Allowed {
		verdict = "allowed"
	}
	fmt.Fprintf(b, "%s of %s: %s\n", s.Direction, s.Endpoint, verdict)
	if o := s.Ordered; o != nil {
		switch o.Action {
		case "pass":
			fmt.Fprintf(b, "  passed to namespace policies by the first matching ordered rule (priority %d):\n    %s\n", o.Priority, o.Rule.text())
		default:
			fmt.Fprintf(b, "  %s by the first matching ordered rule (priority %d), before every other rule:\n    %s\n", verdict, o.Priority, o.Rule.text())
			return
		}
	}
	switch s.Reason {
	case ReasonNotSubject:
		fmt.Fprintf(b, "  %s is not a pod or node: no policy applies to its %s\n", s.Endpoint, s.Direction)
	case ReasonNotSelected:
		fmt.Fprintf(b, "  no policy selects %s, so it is not isolated\n", s.Endpoint)
	case ReasonNotIsolated:
		fmt.Fprintf(b, "  policies select %s, but none isolates its %s, and no deny rule matches\n", s.Endpoint, s.Direction)
	case ReasonNoRule:
		fmt.Fprintf(b, "  isolated, and no allow rule matches\n")
	}
	if len(s.IsolatedBy) > 0 {
		fmt.Fprintf(b, "  isolated for %s by:\n", s.Direction)
		for _, p := range s.IsolatedBy {
			fmt.Fprintf(b, "    %s\n", p.text())
		}
	}
	if len(s.DeniedBy) > 0 {
		b.WriteString("  denied by (deny wins over every allow):\n")
		for _, r := range s.DeniedBy {
			fmt.Fprintf(b, "    %s\n", r.text())
		}
	}
	if len(s.AllowedBy) > 0 {
		label := "allowed by"
		switch {
		case len(s.DeniedBy) > 0:
			label = "also matched by the allow rules"
		case s.L7 != "none":
			label = "allowed at L4 by"
		}
		fmt.Fprintf(b, "  %s:\n", label)
		for _, r := range s.AllowedBy {
			fmt.Fprintf(b, "    %s\n", r.text())
		}
	}
	if len(s.L7By) > 0 {
		switch s.L7 {
		case "restricted":
			b.WriteString("  allowed at L4; only these requests pass (the flow carries none: add --http METHOD PATH):\n")
		case "allowed":
			b.WriteString("  the request matches an L7 rule of:\n")
		case "denied":
			b.WriteString("  the request matches no L7 rule of:\n")
		}
		for _, r := range s.L7By {
			fmt.Fprintf(b, "    %s\n", r.text())
			for _, h := range r.HTTP {
				fmt.Fprintf(b, "      http %s\n", h)
			}
			for _, d := range r.DNS {
				fmt.Fprintf(b, "      dns lookup %s\n", d)
			}
		}
	}
}

func (p PolicyRef) text() string {
	if p.Origin != "" {
		return p.Origin + " (" + p.At.String() + ")"
	}
	return "policy " + p.Subject + " (first written at " + p.At.String() + ")"
}

func (r RuleRef) text() string {
	s := r.At.String() + ": "
	switch {
	case r.Policy.Origin != "":
		s += r.Policy.Origin + ": " + r.Rule
	case r.Source != "":
		s += r.Source
	default:
		s += r.Rule
	}
	return s
}
