package backendtest

import (
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/source"
)

// CheckSpans requires every node of prog (an importer's program) to be
// spanned in file: its policies, subjects, rules, peers, port rules, ports,
// HTTP rules and ICMP types.
func CheckSpans(t testing.TB, prog *ir.Program, file string) {
	t.Helper()
	check := func(what string, sp source.Span) {
		if !sp.IsValid() || sp.File != file || sp.End.Offset < sp.Start.Offset {
			t.Errorf("%s has no span in %s: %+v", what, file, sp)
		}
	}
	for _, pol := range prog.Policies {
		check("policy "+pol.Origin, pol.Span)
		check("subject of "+pol.Origin, pol.Subject.Span)
		for _, r := range pol.Rules {
			what := ir.FormatRule(r)
			check(what, r.Span)
			for _, p := range r.Peers {
				check("peer "+ir.FormatPeer(p)+" of "+what, p.Span)
			}
			for _, pr := range r.Ports {
				check("port rule of "+what, pr.Span)
				for _, pt := range pr.Ports {
					check("port "+ir.FormatPort(pt)+" of "+what, pt.Span)
				}
				for _, h := range pr.HTTP {
					check("HTTP rule of "+what, h.Span)
				}
			}
			for _, x := range r.ICMP {
				check("ICMP type of "+what, x.Span)
			}
		}
	}
}
