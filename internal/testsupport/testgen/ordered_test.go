package testgen_test

import (
	"fmt"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
)

// TestNewOrdered compiles NewOrdered's programs: all compile as generated, they have ordered policies with allow, deny and pass rules,
// and with OrderedOptions.NetpolAPI they stay within what the netpol-api
// target expresses (checked on the IR, independently of that backend).
func TestNewOrdered(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 60
	}
	for _, opts := range []testgen.OrderedOptions{{}, {NetpolAPI: true}, {NetpolAPI: true, NoNamedPorts: true}} {
		t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) {
			var compiled, dropped int
			var actions [3]int
			for seed := int64(1); seed <= int64(n); seed++ {
				c := testgen.NewOrdered(seed, opts)
				src := c.Program.Source()
				prog, d := backendtest.CompileGenerated(c)
				if prog == nil {
					t.Errorf("seed %d: does not compile\n%s", seed, src)
					continue
				}
				compiled++
				if d > 0 {
					dropped++
				}
				for _, pol := range prog.Policies {
					if pol.Tier == ir.TierOrdered {
						for _, r := range pol.Rules {
							actions[r.Action]++
						}
					}
					if opts.NetpolAPI {
						if msg := apiViolation(pol, opts); msg != "" {
							t.Errorf("seed %d: %s\n%s", seed, msg, src)
						}
					}
				}
			}
			t.Logf("%d programs compiled (%d with statements dropped); ordered rules: %d allow, %d deny, %d pass", compiled, dropped, actions[ir.Allow], actions[ir.Deny], actions[ir.Pass])
			if dropped > 0 {
				t.Errorf("%d of %d programs needed statements dropped", dropped, n)
			}
			for a, k := range actions {
				if k == 0 {
					t.Errorf("no ordered %s rule", ir.Action(a))
				}
			}
		})
	}
}

// apiViolation returns what in pol the netpol-api target cannot express
// (per the design of that target): entities, any, services, nodes, DNS
// names, ICMP, L7 rules; ingress from anything but pods; named ports in
// admin rules (with NoNamedPorts); cluster-wide ingress isolation, and
// cluster-wide egress isolation of a subject other than every pod.
func apiViolation(pol *ir.Policy, opts testgen.OrderedOptions) string {
	if pol.Subject.Nodes {
		return "node subject"
	}
	if pol.Namespace == "" && pol.Tier == ir.TierDefault {
		if pol.Isolation.Ingress {
			return "cluster-wide ingress isolation"
		}
		if pol.Isolation.Egress && (!pol.Subject.Pods.IsEmpty() || pol.Subject.Namespaces != nil) {
			return "cluster-wide egress isolation of " + ir.FormatPolicySubject(pol)
		}
	}
	for _, r := range pol.Rules {
		admin := pol.Tier == ir.TierOrdered || r.Action == ir.Deny || pol.Namespace == "" ||
			(r.Direction == ir.Ingress && !pol.Isolation.Ingress) || (r.Direction == ir.Egress && !pol.Isolation.Egress)
		if len(r.ICMP) > 0 {
			return "ICMP: " + ir.FormatRule(r)
		}
		for _, pr := range r.Ports {
			if len(pr.HTTP) > 0 || len(pr.DNS) > 0 {
				return "L7 rules: " + ir.FormatRule(r)
			}
			for _, p := range pr.Ports {
				if p.Name != "" && admin && opts.NoNamedPorts {
					return "named port in an admin rule: " + ir.FormatRule(r)
				}
			}
		}
		for _, p := range r.Peers {
			switch {
			case p.Kind == ir.PeerPods:
			case p.Kind == ir.PeerCIDR && r.Direction == ir.Egress:
			default:
				return fmt.Sprintf("%s peer %s: %s", r.Direction, ir.FormatPeer(p), ir.FormatRule(r))
			}
		}
	}
	return ""
}
