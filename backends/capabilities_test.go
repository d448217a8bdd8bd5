package backends

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// fakeBackend supports what its capabilities say and offers degradations.
type fakeBackend struct {
	name string
	caps Capabilities
	degs []Degradation
	// refuse are the spans its Prepare refuses (a partial capability).
	refuse []source.Span
}

func (f fakeBackend) Name() string               { return f.name }
func (f fakeBackend) Description() string        { return f.name }
func (f fakeBackend) Capabilities() Capabilities { return f.caps }
func (f fakeBackend) Prepare(p *ir.Program, _ Options) (*ir.Program, diag.List) {
	var diags diag.List
	for _, s := range f.refuse {
		diags.Errorf("unsupported", s, "refused")
	}
	return p, diags
}
func (f fakeBackend) Emit(*ir.Program) ([]Object, diag.List) {
	return nil, nil
}
func (f fakeBackend) Degradations() []Degradation { return f.degs }

func line(n int) source.Span {
	return source.Span{File: "a.netpol", Start: source.Pos{Line: n, Col: 1, Offset: n * 10}, End: source.Pos{Line: n, Col: 5, Offset: n*10 + 4}}
}

func testProgram() *ir.Program {
	tcp := func(p uint16, span source.Span) ir.Port { return ir.Port{Span: span, Protocol: ir.TCP, Port: p} }
	return &ir.Program{Policies: []*ir.Policy{
		{
			Span: line(1), Name: "web", Namespace: "shop", Isolation: ir.Isolation{Egress: true},
			Rules: []*ir.Rule{
				{Span: line(2), Direction: ir.Egress, Peers: []ir.Peer{{Span: line(2), Kind: ir.PeerFQDN, FQDN: ir.FQDN{Pattern: "**.example.com"}}},
					Ports: []ir.PortRule{{Span: line(2), Ports: []ir.Port{tcp(443, line(2))}, HTTP: []ir.HTTPRule{{Method: "GET"}}}}},
				{Span: line(3), Direction: ir.Egress, Peers: []ir.Peer{{Span: line(3), Kind: ir.PeerCIDR, CIDR: netip.MustParsePrefix("10.0.0.0/8")}},
					Ports: []ir.PortRule{{Span: line(3), Ports: []ir.Port{{Span: line(3), Protocol: ir.SCTP, Port: 80, EndPort: 90}, {Span: line(3), Protocol: ir.TCP, Name: "http"}}}}},
				{Span: line(4), Direction: ir.Ingress, Action: ir.Allow, AllTraffic: true,
					Peers: []ir.Peer{{Span: line(4), Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: "mon"}}}},
				{Span: line(5), Direction: ir.Egress, Action: ir.Deny, AllTraffic: true, Peers: []ir.Peer{{Span: line(5), Kind: ir.PeerAny}}},
			},
		},
		{Span: line(6), Name: "nodes", Subject: ir.Subject{Nodes: true, Span: line(6)}, Isolation: ir.Isolation{Ingress: true}},
	}}
}

func TestFeatures(t *testing.T) {
	var got []string
	for _, u := range Features(testProgram()) {
		got = append(got, string(u.Feature)+"@"+strings.TrimPrefix(u.Span.String(), "a.netpol:"))
	}
	want := "fqdn@2:1 fqdn-any-depth@2:1 l7@2:1 l4@2:1 cidr@3:1 sctp@3:1 port-range@3:1 l4@3:1 named-port@3:1 " +
		"non-isolating@4:1 namespace-name@4:1 all-traffic@4:1 deny@5:1 any-peer@5:1 all-traffic@5:1 cluster-wide@6:1 node-subject@6:1"
	if strings.Join(got, " ") != want {
		t.Errorf("Features:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestCheckCapabilities(t *testing.T) {
	l4 := fakeBackend{name: "l4", caps: Capabilities{
		FeatureL4: {Support: Yes}, FeatureCIDR: {Support: Yes}, FeatureSCTP: {Support: Partial, Note: "needs SCTP"},
		FeaturePortRange: {Support: Yes}, FeatureNamedPort: {Support: Yes}, FeatureNamespaceName: {Support: Yes},
		FeatureAllTraffic: {Support: Yes}, FeatureAnyPeer: {Support: Yes},
		FeatureHTTP: {Support: No, Note: "No L7."},
	}, degs: []Degradation{{Feature: FeatureHTTP, Mode: "l4", Note: "L7 dropped"}}}
	all := fakeBackend{name: "full", caps: Capabilities{}}
	for _, u := range Features(testProgram()) {
		all.caps[u.Feature] = Capability{Support: Yes}
	}

	reg, err := NewRegistry(all, l4)
	if err != nil {
		t.Fatal(err)
	}
	diags := CheckCapabilities(testProgram(), l4, Options{Targets: reg})
	var got []string
	for _, d := range diags {
		got = append(got, d.Error())
	}
	want := []string{
		`a.netpol:2:1: error[unsupported]: target l4 cannot express FQDN "**.example.com", FQDN pattern "**.example.com", HTTP rules (fqdn, fqdn-any-depth, l7); use --target full`,
		`a.netpol:4:1: error[unsupported]: target l4 cannot express a rule that does not isolate its subject (non-isolating); use --target full`,
		`a.netpol:5:1: error[unsupported]: target l4 cannot express a deny rule (deny); use --target full`,
		`a.netpol:6:1: error[unsupported]: target l4 cannot express a cluster-wide policy, a policy for nodes (cluster-wide, node-subject); use --target full`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(diags[0].Detail, "Pass --degrade l7=l4") {
		t.Errorf("detail does not offer the degradation: %q", diags[0].Detail)
	}

	// Opting into the degradation the backend offers removes l7 from the
	// error; asking for one it does not offer is an error. Without
	// Options.Targets no other target is named.
	diags = CheckCapabilities(testProgram(), l4, Options{Degrade: map[Feature]string{FeatureHTTP: "l4", FeatureFQDN: "cidr"}})
	if got := diags[0].Error(); got != "-: error[bad-degrade]: target l4 offers no degradation fqdn=cidr; it offers l7=l4" {
		t.Errorf("bad degrade: %s", got)
	}
	if got := diags[1].Message; got != `target l4 cannot express FQDN "**.example.com", FQDN pattern "**.example.com" (fqdn, fqdn-any-depth)` {
		t.Errorf("with l7=l4 and no targets: %s", got)
	}

	// A target named must express every feature of the error: "partial"
	// counts, "no" or a missing feature does not; and its own checks must
	// accept the rule (some cannot express rule 4's other features).
	some := fakeBackend{name: "some", caps: Capabilities{FeatureFQDN: {Support: Partial}, FeatureFQDNAnyDepth: {Support: No}, FeatureDeny: {Support: Yes},
		FeatureAnyPeer: {Support: Yes}, FeatureAllTraffic: {Support: Yes}, FeatureNonIsolating: {Support: Yes}}}
	reg, err = NewRegistry(l4, some)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, d := range CheckCapabilities(testProgram(), l4, Options{Targets: reg}) {
		got = append(got, d.Message)
	}
	want = []string{
		`target l4 cannot express FQDN "**.example.com", FQDN pattern "**.example.com", HTTP rules (fqdn, fqdn-any-depth, l7)`,
		`target l4 cannot express a rule that does not isolate its subject (non-isolating)`,
		`target l4 cannot express a deny rule (deny); use --target some`,
		`target l4 cannot express a cluster-wide policy, a policy for nodes (cluster-wide, node-subject)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestHintsCheckTheTarget: a target whose capability table covers a rule's
// features but whose own checks (Prepare) refuse that rule, or whose table
// misses another feature of the rule, is not suggested for it; it still is
// for the rules it accepts.
func TestHintsCheckTheTarget(t *testing.T) {
	l4 := fakeBackend{name: "l4", caps: Capabilities{
		FeatureL4: {Support: Yes}, FeatureCIDR: {Support: Yes}, FeatureSCTP: {Support: Yes},
		FeaturePortRange: {Support: Yes}, FeatureNamedPort: {Support: Yes}, FeatureNamespaceName: {Support: Yes},
		FeatureAllTraffic: {Support: Yes}, FeatureAnyPeer: {Support: Yes},
	}}
	partial := fakeBackend{name: "partial", caps: Capabilities{}, refuse: []source.Span{line(5)}}
	for _, u := range Features(testProgram()) {
		partial.caps[u.Feature] = Capability{Support: Partial}
	}
	reg, err := NewRegistry(l4, partial)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range CheckCapabilities(testProgram(), l4, Options{Targets: reg}) {
		got = append(got, d.Message)
	}
	want := []string{
		`target l4 cannot express FQDN "**.example.com", FQDN pattern "**.example.com", HTTP rules (fqdn, fqdn-any-depth, l7); use --target partial`,
		`target l4 cannot express a rule that does not isolate its subject (non-isolating); use --target partial`,
		`target l4 cannot express a deny rule (deny)`,
		`target l4 cannot express a cluster-wide policy, a policy for nodes (cluster-wide, node-subject); use --target partial`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestFeaturesOrdered: an ordered policy uses "ordered" (once, at the
// policy) and "pass" for its pass rules; its deny and allow rules are not
// deny or non-isolating rules (the order decides, and nothing isolates).
func TestFeaturesOrdered(t *testing.T) {
	anyPeer := []ir.Peer{{Span: line(2), Kind: ir.PeerAny}}
	p := &ir.Program{Policies: []*ir.Policy{{
		Span: line(1), Name: "admin", Tier: ir.TierOrdered, Priority: 3,
		Rules: []*ir.Rule{
			{Span: line(2), Direction: ir.Egress, Action: ir.Deny, AllTraffic: true, Peers: anyPeer},
			{Span: line(3), Direction: ir.Egress, Action: ir.Pass, AllTraffic: true, Peers: anyPeer},
			{Span: line(4), Direction: ir.Egress, Action: ir.Allow, AllTraffic: true, Peers: anyPeer},
		},
	}}}
	var got []string
	for _, u := range Features(p) {
		got = append(got, string(u.Feature)+"@"+strings.TrimPrefix(u.Span.String(), "a.netpol:"))
	}
	want := "cluster-wide@1:1 ordered@1:1 any-peer@2:1 all-traffic@2:1 pass@3:1 any-peer@2:1 all-traffic@3:1 any-peer@2:1 all-traffic@4:1"
	if strings.Join(got, " ") != want {
		t.Errorf("Features:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}
