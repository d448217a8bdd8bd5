package eval

import (
	"fmt"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// CheckExpectations evaluates every expectation of p over w (nil: the
// representative world of p) and reports those that do not hold.
//
// The sources and destinations of an expectation are all the world's
// endpoints matching its From and To peers (NamespacePolicy pod peers are
// scoped to Expectation.Namespace). "allowed" must hold for every
// (source, destination) pair, "denied" for every pair; a flow allowed at L4
// but filtered at L7 (no request given) counts as allowed. A named port is
// resolved on each destination; destinations without it are skipped. A
// protocol ANY expectation checks TCP, UDP and SCTP.
//
// An expectation over every port (Port 0 without a name: "expect a -> b:*",
// or "*/udp") is judged per (source, destination) pair: "allowed" holds for
// a pair when some port of the protocol is allowed (with ProtoAny, the
// source's "*": some TCP, UDP or SCTP port, or some ICMP or ICMPv6 type),
// "denied" when every one is denied; it must hold for every pair
// (expectall.go).
//
// Diagnostics: "expectation-empty" when no endpoint matches a side (with an
// explicit world: a group whose pods the world lacks) or no destination has
// the named port; "expectation-failed" at the expectation, naming the first
// failing flow, with notes at the deciding rules (or isolating policies).
func CheckExpectations(p *ir.Program, w *World) diag.List {
	if w == nil {
		w = RepresentativeWorld(p)
	}
	return New(p, w).CheckExpectations()
}

// CheckExpectations checks the expectations of e's program over e's world;
// see the package-level CheckExpectations.
func (e *Evaluator) CheckExpectations() diag.List {
	var diags diag.List
	for _, x := range e.prog.Expectations {
		e.checkExpectation(x, &diags)
	}
	return diags
}

func (e *Evaluator) checkExpectation(x *ir.Expectation, diags *diag.List) {
	froms := e.Select(x.From.Peer, x.Namespace)
	tos := e.Select(x.To.Peer, x.Namespace)
	if len(froms) == 0 {
		diags.Errorf(codeExpectationEmpty, spanOr(x.From.Span, x.Span), msgExpectNoFrom, EndpointString(x.From))
	}
	if len(tos) == 0 {
		diags.Errorf(codeExpectationEmpty, spanOr(x.To.Span, x.Span), msgExpectNoTo, EndpointString(x.To))
	}
	if len(froms) == 0 || len(tos) == 0 {
		return
	}
	if allPorts(x) {
		e.checkAllPorts(x, froms, tos, diags)
		return
	}
	protos := []ir.Protocol{flowProto(x.Port.Protocol)}
	if x.Port.Protocol == ir.ProtoAny {
		protos = []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP}
	}
	var (
		total, failed int
		first         Flow
		firstV        Verdict
	)
	for _, to := range tos {
		for _, proto := range protos {
			f := Flow{To: to, Protocol: proto, Port: x.Port.Port, ICMP: x.ICMP, HTTP: x.Request}
			if x.ICMP == nil && x.Port.Name != "" {
				port, ok := namedPort(to, x.Port.Name, proto)
				if !ok {
					continue
				}
				f.Port = port
			}
			for _, from := range froms {
				f.From = from
				v := e.Decide(f)
				total++
				if v.Allowed != x.Allowed {
					if failed == 0 {
						first, firstV = f, v
					}
					failed++
				}
			}
		}
	}
	if total == 0 {
		diags.Errorf(codeExpectationEmpty, spanOr(x.To.Span, x.Span), msgExpectNoPort, EndpointString(x.To), x.Port.Name)
		return
	}
	if failed == 0 {
		return
	}
	d := diags.Errorf(codeExpectationFailed, x.Span, msgExpectFailed, first.String(), verdictWord(x.Allowed), verdictText(firstV))
	if failed > 1 {
		d.Detail = fmt.Sprintf(detailFailedSome, failed, total)
	}
	d.Notes = explain(first, firstV, x)
}

func spanOr(s, fallback source.Span) source.Span {
	if s.IsValid() {
		return s
	}
	return fallback
}

func namedPort(to Endpoint, name string, proto ir.Protocol) (uint16, bool) {
	if to.Kind != EndpointPod {
		return 0, false
	}
	for _, cp := range to.Pod.Ports {
		if cp.Name == name && flowProto(cp.Protocol) == proto {
			return cp.Port, true
		}
	}
	return 0, false
}

func verdictWord(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "denied"
}

func verdictText(v Verdict) string {
	switch {
	case v.L7Restricted:
		return "allowed (requests filtered at L7)"
	case v.Allowed:
		return "allowed"
	case v.Egress.L7 == L7Denied || v.Ingress.L7 == L7Denied:
		return "denied at L7"
	}
	return "denied"
}

// explain returns notes pointing at what decided v: for a denied flow the
// sides that deny it, for an allowed flow both sides.
func explain(f Flow, v Verdict, x *ir.Expectation) []diag.Note {
	var notes []diag.Note
	sides := []struct {
		s    *Side
		dir  ir.Direction
		ep   Endpoint
		span source.Span
	}{
		{&v.Egress, ir.Egress, f.From, spanOr(x.From.Span, x.Span)},
		{&v.Ingress, ir.Ingress, f.To, spanOr(x.To.Span, x.Span)},
	}
	for _, sd := range sides {
		s, who := sd.s, sd.ep.String()
		if !v.Allowed && s.Allowed {
			continue // only the sides that deny explain a denial
		}
		if o := s.Ordered; o != nil {
			msg := noteOrderedPassed
			switch o.Action {
			case ir.Allow:
				msg = noteOrderedAllowed
			case ir.Deny:
				msg = noteOrderedDenied
			}
			notes = append(notes, diag.Note{Span: o.Span, Message: fmt.Sprintf(msg, s.OrderedPolicy.Priority, sd.dir, who)})
			if o.Action != ir.Pass {
				continue
			}
		}
		for _, r := range s.DeniedBy {
			notes = append(notes, diag.Note{Span: r.Span, Message: fmt.Sprintf(noteDeniedBy, sd.dir, who)})
		}
		if len(s.DeniedBy) > 0 {
			continue
		}
		switch {
		case !s.Governed:
			notes = append(notes, diag.Note{Span: sd.span, Message: fmt.Sprintf(noteNotGoverned, who, sd.dir)})
			continue
		case s.Isolated && len(s.AllowedBy) == 0:
			for _, p := range s.IsolatedBy {
				notes = append(notes, diag.Note{Span: p.Span, Message: fmt.Sprintf(noteIsolatedBy, who, sd.dir)})
			}
			continue
		case !s.Isolated && len(s.AllowedBy) == 0:
			notes = append(notes, diag.Note{Span: sd.span, Message: fmt.Sprintf(noteNotIsolated, who, sd.dir, sd.dir)})
			continue
		}
		switch s.L7 {
		case L7Denied:
			for _, r := range s.L7By {
				notes = append(notes, diag.Note{Span: r.Span, Message: fmt.Sprintf(noteL7Denied, sd.dir, who)})
			}
		case L7Allowed:
			for _, r := range s.L7By {
				notes = append(notes, diag.Note{Span: r.Span, Message: fmt.Sprintf(noteL7Allowed, sd.dir, who)})
			}
		case L7Restricted:
			for _, r := range s.L7By {
				notes = append(notes, diag.Note{Span: r.Span, Message: fmt.Sprintf(noteL7Restricted, sd.dir, who)})
			}
		default:
			for _, r := range s.AllowedBy {
				notes = append(notes, diag.Note{Span: r.Span, Message: fmt.Sprintf(noteAllowedBy, sd.dir, who)})
			}
		}
	}
	return notes
}

// EndpointString renders an expectation endpoint: its group name, or its
// peer (ir.FormatPeer).
func EndpointString(ep ir.Endpoint) string {
	if ep.Group != "" {
		return ep.Group
	}
	return ir.FormatPeer(ep.Peer)
}
