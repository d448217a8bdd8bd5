package cilium

import (
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
)

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{"": "1.20", "1.19": "1.19", "v1.18.4": "1.18", "1.20.2": "1.20"} {
		v, err := ParseVersion(in)
		if err != nil || v.String() != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
	for _, in := range []string{"1", "2.0", "1.x", "1.20.2.1", "1.020", "latest"} {
		if _, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) succeeded", in)
		}
	}
	if v, _ := ParseVersion("1.18"); v.AtLeast(1, 19) {
		t.Errorf("1.18 >= 1.19")
	}
}

// TestEffectiveDoesNotModify: Effective copies what it changes.
func TestEffectiveDoesNotModify(t *testing.T) {
	prog, set, diags := backendtest.Compile(map[string]string{"a.netpol": "namespace shop\nallow dns for {app: api}\n{app: web} -> \"*.example.com\":443\n"})
	if diags.HasErrors() {
		t.Fatal(backendtest.RenderDiags(set, diags))
	}
	before := ir.Format(prog)
	eff := Effective(prog)
	if ir.Format(prog) != before {
		t.Fatalf("Effective modified its input:\n%s\n---\n%s", before, ir.Format(prog))
	}
	if err := ir.Validate(eff); err != nil {
		t.Fatalf("Effective is not valid IR: %v", err)
	}
	added := 0
	for _, pol := range eff.Policies {
		for _, r := range pol.Rules {
			if r.DNS {
				for _, pr := range r.Ports {
					if len(pr.DNS) != 1 || pr.DNS[0].Pattern != "*" {
						t.Errorf("DNS rule without the \"*\" lookup pattern: %s", ir.FormatRule(r))
					}
				}
				if pol.Subject.Pods.String() == "{app: web}" {
					added++
				}
			}
		}
	}
	if added != 1 {
		t.Errorf("%d DNS-proxy rules added for {app: web}, want 1:\n%s", added, ir.Format(eff))
	}
}

// TestNamespaceClash: a pod selector that already uses the label key Cilium
// writes a peer's namespace terms with cannot also say the namespace; the
// compiler refuses such keys, so the program is built by hand, as an
// importer might.
func TestNamespaceClash(t *testing.T) {
	web := ir.Selector{MatchLabels: []ir.Label{{Key: "app", Value: "web"}}}
	for name, tc := range map[string]struct {
		peer  ir.Peer
		clash bool
	}{
		"named namespace against the namespace key": {ir.Peer{Kind: ir.PeerPods,
			Namespace: ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: "a"},
			Pods:      ir.Selector{MatchLabels: []ir.Label{{Key: PodNamespaceLabel, Value: "b"}}}}, true},
		"same namespace twice": {ir.Peer{Kind: ir.PeerPods,
			Namespace: ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: "a"},
			Pods:      ir.Selector{MatchLabels: []ir.Label{{Key: PodNamespaceLabel, Value: "a"}}}}, false},
		"namespace labels against a prefixed pod key": {ir.Peer{Kind: ir.PeerPods,
			Namespace: ir.NamespaceRef{Scope: ir.NamespaceLabels, Labels: ir.Selector{MatchLabels: []ir.Label{{Key: "team", Value: "x"}}}},
			Pods:      ir.Selector{MatchLabels: []ir.Label{{Key: NamespaceLabelsPrefix + "team", Value: "y"}}}}, true},
		"the policy's namespace": {ir.Peer{Kind: ir.PeerPods,
			Pods: ir.Selector{MatchLabels: []ir.Label{{Key: PodNamespaceLabel, Value: "b"}}}}, false},
	} {
		p := &ir.Program{DNS: ir.DefaultDNSServer(), Policies: []*ir.Policy{{
			Name: "web", Namespace: "shop", Subject: ir.Subject{Pods: web},
			Isolation: ir.Isolation{Ingress: true},
			Rules: []*ir.Rule{{Direction: ir.Ingress, Peers: []ir.Peer{tc.peer},
				Ports: []ir.PortRule{{Ports: []ir.Port{{Protocol: ir.TCP, Port: 80}}}}}},
		}}}
		_, diags := Backend{}.Prepare(p, backends.Options{})
		got := false
		for _, d := range diags {
			if strings.Contains(d.Message, "already uses Cilium's namespace key") {
				got = true
			}
		}
		if got != tc.clash {
			t.Errorf("%s: clash reported = %v, want %v (%v)", name, got, tc.clash, diags)
		}
	}
}
