package backendtest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
)

// StrippedIR formats p's policies without names, origins and spans, in an
// order that does not depend on them, for comparing a program with the one
// its emitted objects import back to. Policies that write no object (no
// rule, no isolation) are left out; each rule is written once per peer,
// since targets split rules by peer kind.
func StrippedIR(p *ir.Program) string {
	var lines []string
	for _, pol := range p.Policies {
		if len(pol.Rules) == 0 && !pol.Isolation.Ingress && !pol.Isolation.Egress {
			continue
		}
		var rules []string
		for _, r := range pol.Rules {
			for _, peer := range r.Peers {
				one := *r
				one.Peers = []ir.Peer{peer}
				rules = append(rules, "  "+ir.FormatRule(&one)+"\n")
			}
		}
		sort.Strings(rules)
		lines = append(lines, fmt.Sprintf("%s %s isolation=%+v\n%s", pol.Namespace, ir.FormatSubject(pol.Subject), pol.Isolation, strings.Join(rules, "")))
	}
	sort.Strings(lines)
	return strings.Join(lines, "")
}
