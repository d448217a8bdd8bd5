package netpolapi

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/internal/testsupport/irbuild"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/source"
)

func line(n int) source.Span {
	return source.Span{File: "a.netpol", Start: source.Pos{Line: n, Col: 1, Offset: n * 10}, End: source.Pos{Line: n, Col: 5, Offset: n*10 + 4}}
}

func podsPeer(n int, terms ...string) ir.Peer {
	return ir.Peer{Span: line(n), Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceLabels}, Pods: irbuild.Selector(terms...)}
}

func cidrPeer(n int, cidr string, except ...string) ir.Peer {
	p := ir.Peer{Span: line(n), Kind: ir.PeerCIDR, CIDR: netip.MustParsePrefix(cidr)}
	for _, x := range except {
		p.Except = append(p.Except, netip.MustParsePrefix(x))
	}
	return p
}

func tcp(n int, port uint16) ir.PortRule {
	return ir.PortRule{Span: line(n), Ports: []ir.Port{{Span: line(n), Protocol: ir.TCP, Port: port}}}
}

func irRule(n int, d ir.Direction, a ir.Action, peers []ir.Peer, ports ...ir.PortRule) *ir.Rule {
	r := &ir.Rule{Span: line(n), Direction: d, Action: a, Peers: peers, Ports: ports}
	if len(ports) == 0 {
		r.AllTraffic = true
	}
	return r
}

func ordered(name string, prio int32, subject ir.Selector, rules ...*ir.Rule) *ir.Policy {
	return &ir.Policy{Span: rules[0].Span, Name: name, Tier: ir.TierOrdered, Priority: prio, Subject: ir.Subject{Pods: subject}, Rules: rules}
}

// summary renders the admin objects of a plan: "tier/priority subject:
// ingress actions@lines; egress actions@lines".
func summary(pl *planned) string {
	var out []string
	for _, obj := range append(append([]*adminObject(nil), pl.admin...), pl.baseline...) {
		t := "admin"
		if obj.tier == baselineTier {
			t = "baseline"
		}
		var in, eg []string
		for _, r := range obj.ingress {
			in = append(in, fmt.Sprintf("%s@%d", r.action, r.span.Start.Line))
		}
		for _, r := range obj.egress {
			eg = append(eg, fmt.Sprintf("%s@%d", r.action, r.span.Start.Line))
		}
		out = append(out, fmt.Sprintf("%s/%d %s/%s: in %s; eg %s", t, obj.priority, obj.pol.Namespace, obj.pol.Subject.Pods, strings.Join(in, ","), strings.Join(eg, ",")))
	}
	return strings.Join(out, "\n")
}

func mustPlan(t *testing.T, p *ir.Program, version string) *planned {
	t.Helper()
	pl, diags := plan(p, config{version: version, cluster: testgen.ClusterCIDRs()})
	if diags.HasErrors() {
		t.Fatalf("plan: %v", diags)
	}
	return pl
}

// TestNetworks: a CIDR peer (addresses outside the cluster) is written as
// networks exactly: inside 169.254.0.0/16 as it is, with the cluster's
// ranges as the CIDR minus excepts and ranges (an error when nothing is
// left); without the ranges an error, or the CIDR itself when degraded.
func TestNetworks(t *testing.T) {
	pfx := netip.MustParsePrefix
	cluster := []netip.Prefix{pfx("10.244.0.0/16"), pfx("10.96.0.0/12"), pfx("fd00:10::/64")}
	cases := []struct {
		cidr, except string
		cluster      []netip.Prefix
		degrade      bool
		want         string // networks, or "error CODE", plus " widened" when degraded
	}{
		{"169.254.169.254/32", "", nil, false, "169.254.169.254/32"},
		{"169.254.169.0/24", "169.254.169.254/32", nil, false, "169.254.169.0/25 169.254.169.128/26 169.254.169.192/27 169.254.169.224/28 169.254.169.240/29 169.254.169.248/30 169.254.169.252/31 169.254.169.255/32"},
		{"169.254.0.0/15", "", nil, false, "error networks-match-pods"},
		{"fe80::/10", "", nil, false, "error networks-match-pods"},
		{"203.0.113.0/24", "", nil, false, "error networks-match-pods"},
		{"203.0.113.0/24", "", nil, true, "203.0.113.0/24 widened"},
		{"203.0.113.0/24", "", cluster, false, "203.0.113.0/24"},
		{"10.0.0.0/8", "10.1.0.0/16", cluster, false, "10.0.0.0/16 10.2.0.0/15 10.4.0.0/14 10.8.0.0/13 10.16.0.0/12 10.32.0.0/11 10.64.0.0/11 10.112.0.0/12 10.128.0.0/10 10.192.0.0/11 10.224.0.0/12 10.240.0.0/14 10.245.0.0/16 10.246.0.0/15 10.248.0.0/13"},
		{"10.244.7.0/24", "", cluster, false, "error networks-match-pods"},
		{"10.244.0.0/16", "", cluster, true, "error networks-match-pods"}, // the ranges win over the degradation
		{"fd00:10::/63", "", cluster, false, "fd00:10:0:1::/64"},
		{"2001:db8::/32", "", cluster, false, "2001:db8::/32"},
	}
	for _, c := range cases {
		p := ir.Peer{Kind: ir.PeerCIDR, CIDR: pfx(c.cidr), Span: line(1)}
		if c.except != "" {
			p.Except = []netip.Prefix{pfx(c.except)}
		}
		pl := &planner{config: config{version: V1Alpha2, cluster: c.cluster, degradeNetworks: c.degrade}, lim: limitsOf(V1Alpha2)}
		var widened []string
		peers, ok := pl.networks(line(1), p, &widened)
		var got []string
		for _, peer := range peers {
			got = append(got, peer.values...)
		}
		res := strings.Join(got, " ")
		if !ok {
			res = "error"
			for _, d := range pl.diags {
				res += " " + string(d.Code)
			}
		}
		if len(widened) > 0 {
			res += " widened"
		}
		// Complement sorts by address; compare as sets.
		if sortWords(res) != sortWords(c.want) {
			t.Errorf("%s except %q, cluster %v, degrade %v:\n got %s\nwant %s", c.cidr, c.except, c.cluster, c.degrade, res, c.want)
		}
	}
}

func sortWords(s string) string {
	w := strings.Fields(s)
	slices.Sort(w)
	return strings.Join(w, " ")
}

// TestNamedPortProtocols: a named port is exact for every protocol (/any,
// or TCP, UDP and SCTP in one rule); otherwise an error at the port, or a
// degraded rule.
func TestNamedPortProtocols(t *testing.T) {
	named := func(name string, protos ...ir.Protocol) *ir.Rule {
		var ports []ir.Port
		for _, pr := range protos {
			ports = append(ports, ir.Port{Span: line(1), Protocol: pr, Name: name})
		}
		return &ir.Rule{Span: line(1), Ports: []ir.PortRule{{Span: line(1), Ports: ports}}}
	}
	cases := []struct {
		r       *ir.Rule
		degrade bool
		want    string
	}{
		{named("m", ir.ProtoAny), false, "ok"},
		{named("m", ir.TCP, ir.UDP, ir.SCTP), false, "ok"},
		{named("m", ir.TCP, ir.ProtoAny), false, "ok"},
		{named("m", ir.TCP), false, "error"},
		{named("m", ir.TCP, ir.UDP), false, "error"},
		{named("m", ir.UDP), true, "degraded m/UDP"},
	}
	for i, c := range cases {
		pl := &planner{config: config{version: V1Alpha2, degradeNamed: c.degrade}, lim: limitsOf(V1Alpha2)}
		ports, named, degraded := pl.ports(c.r)
		got := "ok"
		switch {
		case pl.diags.HasErrors():
			got = "error"
			if pl.diags[0].Code != codeNamedPortProtocol || pl.diags[0].Span != line(1) {
				t.Errorf("case %d: %v", i, pl.diags)
			}
		case len(degraded) > 0:
			got = "degraded " + strings.Join(degraded, " ")
		}
		if got != c.want || !named || len(ports) != 1 || ports[0].name != "m" {
			t.Errorf("case %d: got %s (%d ports, named %v), want %s", i, got, len(ports), named, c.want)
		}
	}
}

// TestOrderedRuns: a block's rules are cut into runs of one subject in
// source order, whatever policy holds them, run k at priority N+k; the
// TierDefault denies, then accepts, follow the highest ordered priority,
// and the cluster-wide egress isolation is the baseline.
func TestOrderedRuns(t *testing.T) {
	a, b := irbuild.Selector("app=a"), irbuild.Selector("app=b")
	meta := []ir.Peer{cidrPeer(0, "169.254.169.254/32")}
	anyNS := []ir.Peer{podsPeer(0)}
	p := &ir.Program{Policies: []*ir.Policy{
		ordered("a", 10, a,
			irRule(1, ir.Egress, ir.Deny, meta),
			irRule(2, ir.Egress, ir.Pass, anyNS, tcp(2, 80)),
			irRule(5, ir.Egress, ir.Allow, anyNS)),
		ordered("b", 10, b,
			irRule(3, ir.Egress, ir.Allow, anyNS, tcp(3, 53)),
			irRule(4, ir.Ingress, ir.Deny, anyNS)),
		ordered("b", 20, b, irRule(7, ir.Ingress, ir.Allow, anyNS)),
		{Span: line(8), Name: "web", Namespace: "shop", Subject: ir.Subject{Pods: irbuild.Selector("app=web")},
			Isolation: ir.Isolation{Ingress: true},
			Rules: []*ir.Rule{
				irRule(8, ir.Ingress, ir.Allow, anyNS, tcp(8, 8080)),
				irRule(9, ir.Egress, ir.Allow, anyNS, tcp(9, 5432)),
				irRule(10, ir.Egress, ir.Deny, meta),
			}},
		{Span: line(11), Name: "agent", Subject: ir.Subject{Pods: irbuild.Selector("app=agent")},
			Isolation: ir.Isolation{Egress: true},
			Rules:     []*ir.Rule{irRule(11, ir.Egress, ir.Allow, anyNS, tcp(11, 443))}},
	}}
	pl := mustPlan(t, p, V1Alpha2)
	want := `admin/10 /{app: a}: in ; eg deny@1,pass@2
admin/11 /{app: b}: in deny@4; eg allow@3
admin/12 /{app: a}: in ; eg allow@5
admin/20 /{app: b}: in allow@7; eg 
admin/21 shop/{app: web}: in ; eg deny@10
admin/22 shop/{app: web}: in ; eg allow@9
admin/23 /{app: agent}: in ; eg allow@11
baseline/0 /{app: agent}: in ; eg deny@11`
	if got := summary(pl); got != want {
		t.Errorf("plan:\n%s\nwant\n%s", got, want)
	}
	// The NetworkPolicy part: the namespaced policy with its isolated
	// allows only.
	if len(pl.np.Policies) != 1 || len(pl.np.Policies[0].Rules) != 1 || pl.np.Policies[0].Rules[0].Span != line(8) {
		t.Errorf("NetworkPolicy part: %+v", pl.np.Policies)
	}
	// The objects as emitted: valid, in both versions.
	for _, v := range Versions() {
		objs, diags := emitcheck.Emit(testBackend(t, v), p, backends.Options{})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", v, diags)
		}
		kinds := map[string]int{}
		for _, o := range objs {
			kinds[o.Kind]++
		}
		wantKinds := map[string]int{KindCNP: 8, "NetworkPolicy": 1}
		if v == V1Alpha1 {
			wantKinds = map[string]int{KindANP: 7, KindBANP: 1, "NetworkPolicy": 1}
		}
		if fmt.Sprint(kinds) != fmt.Sprint(wantKinds) {
			t.Errorf("%s: kinds %v, want %v", v, kinds, wantKinds)
		}
	}
}

// TestLimits: lists longer than the CRDs accept are cut without changing
// the meaning: rules of a run into objects (one priority each), peers and
// ports into consecutive rules, networks into peers; v1alpha1 holds more
// per list.
func TestLimits(t *testing.T) {
	a := irbuild.Selector("app=a")
	var rules []*ir.Rule
	for i := 1; i <= 30; i++ {
		rules = append(rules, irRule(i, ir.Egress, ir.Deny, []ir.Peer{cidrPeer(i, fmt.Sprintf("192.0.2.%d/32", i))}))
	}
	var manyPeers []ir.Peer
	for i := 0; i < 30; i++ {
		manyPeers = append(manyPeers, podsPeer(40, fmt.Sprintf("n=%d", i)))
	}
	rules = append(rules, irRule(40, ir.Ingress, ir.Allow, manyPeers))
	var manyPorts []ir.PortRule
	for i := 0; i < 30; i++ {
		manyPorts = append(manyPorts, tcp(41, uint16(1000+i)))
	}
	rules = append(rules, irRule(41, ir.Ingress, ir.Allow, []ir.Peer{podsPeer(41)}, manyPorts...))
	rules = append(rules, irRule(42, ir.Egress, ir.Allow, []ir.Peer{cidrPeer(42, "::/0", "2001:db8::1/128")}))
	p := &ir.Program{Policies: []*ir.Policy{ordered("a", 100, a, rules...)}}

	pl := mustPlan(t, p, V1Alpha2)
	if len(pl.admin) != 2 {
		t.Fatalf("v1alpha2: %d objects, want 2:\n%s", len(pl.admin), summary(pl))
	}
	first, second := pl.admin[0], pl.admin[1]
	if first.priority != 100 || second.priority != 101 || len(first.egress) != 25 || len(second.egress) != 6 {
		t.Errorf("v1alpha2 objects:\n%s", summary(pl))
	}
	// Ingress: 30 peers as 25 + 5; 30 ports as 25 + 5.
	if len(first.ingress) != 4 || len(first.ingress[0].peers) != 25 || len(first.ingress[1].peers) != 5 ||
		len(first.ingress[2].ports) != 25 || len(first.ingress[3].ports) != 5 {
		t.Errorf("v1alpha2 ingress: %d rules", len(first.ingress))
	}
	// ::/0 except one address: 128 prefixes in peers of at most 25.
	last := second.egress[len(second.egress)-1]
	n := 0
	for _, peer := range last.peers {
		if len(peer.values) > maxValues {
			t.Errorf("a peer with %d networks", len(peer.values))
		}
		n += len(peer.values)
	}
	if n != 128 || len(last.peers) != 6 {
		t.Errorf("::/0 except one address: %d networks in %d peers, want 128 in 6", n, len(last.peers))
	}

	pl = mustPlan(t, p, V1Alpha1)
	if len(pl.admin) != 1 || len(pl.admin[0].egress) != 31 || len(pl.admin[0].ingress) != 2 {
		t.Errorf("v1alpha1:\n%s", summary(pl))
	}
	for _, v := range Versions() {
		if _, diags := emitcheck.Emit(testBackend(t, v), p, backends.Options{}); diags.HasErrors() {
			t.Errorf("%s: %v", v, diags)
		}
	}
}

// TestNamedPortsSplit: the API refuses named ports towards networks, nodes
// and DNS names, and netpolc's named ports match pods only: a rule with
// both kinds of peers is written as the pods with every port, then the
// other peers with the numbered ports only (nothing when there are none).
func TestNamedPortsSplit(t *testing.T) {
	peers := []ir.Peer{podsPeer(1, "app=db"), cidrPeer(1, "192.0.2.0/24")}
	named := ir.PortRule{Span: line(1), Ports: []ir.Port{{Span: line(1), Protocol: ir.ProtoAny, Name: "metrics"}}}
	both := ir.PortRule{Span: line(2), Ports: []ir.Port{{Span: line(2), Protocol: ir.ProtoAny, Name: "metrics"}, {Span: line(2), Protocol: ir.UDP, Port: 53}}}
	p := &ir.Program{Policies: []*ir.Policy{ordered("a", 1, irbuild.Selector("app=a"),
		irRule(1, ir.Egress, ir.Deny, peers, named),
		irRule(2, ir.Egress, ir.Deny, peers, both))}}
	pl := mustPlan(t, p, V1Alpha2)
	var got []string
	for _, r := range pl.admin[0].egress {
		var kinds, ports []string
		for _, peer := range r.peers {
			kinds = append(kinds, fmt.Sprint(peer.kind))
		}
		for _, port := range r.ports {
			ports = append(ports, fmt.Sprintf("%s%s%d", port.name, port.protocol, port.start))
		}
		got = append(got, fmt.Sprintf("%d:%s:%s", r.span.Start.Line, strings.Join(kinds, ","), strings.Join(ports, ",")))
	}
	want := "1:1:metrics0 2:1:metrics0,UDP53 2:2:UDP53"
	if strings.Join(got, " ") != want {
		t.Errorf("rules %s, want %s", strings.Join(got, " "), want)
	}
	if _, diags := emitcheck.Emit(testBackend(t, V1Alpha2), p, backends.Options{}); diags.HasErrors() {
		t.Error(diags)
	}
}

// TestPorts: every port of a protocol is the range 1-65535, protocol any
// one entry per protocol, a range start-end, duplicates once.
func TestPorts(t *testing.T) {
	r := &ir.Rule{Span: line(1), Ports: []ir.PortRule{{Ports: []ir.Port{
		{Protocol: ir.UDP},
		{Protocol: ir.ProtoAny, Port: 53},
		{Protocol: ir.TCP, Port: 8000, EndPort: 8080},
		{Protocol: ir.TCP, Port: 53},
		{Protocol: ir.SCTP, Port: 9, EndPort: 9},
	}}}}
	pl := &planner{config: config{version: V1Alpha2}, lim: limitsOf(V1Alpha2)}
	ports, named, _ := pl.ports(r)
	var got []string
	for _, p := range ports {
		got = append(got, fmt.Sprintf("%s %d-%d", p.protocol, p.start, p.end))
	}
	want := "UDP 1-65535|TCP 53-0|UDP 53-0|SCTP 53-0|TCP 8000-8080|SCTP 9-0"
	if strings.Join(got, "|") != want || named {
		t.Errorf("ports %s (named %v), want %s", strings.Join(got, "|"), named, want)
	}
	if ports, _, _ := pl.ports(&ir.Rule{AllTraffic: true}); ports != nil {
		t.Errorf("all traffic: %v", ports)
	}
}

// TestDomainNames: exact names as they are, "**." as the API's "*.", and
// no other wildcard.
func TestDomainNames(t *testing.T) {
	for _, c := range []struct {
		f    ir.FQDN
		want string
		ok   bool
	}{
		{ir.FQDN{Pattern: "api.example.com", Exact: true}, "api.example.com", true},
		{ir.FQDN{Pattern: "api.example.com"}, "api.example.com", true},
		{ir.FQDN{Pattern: "**.example.com"}, "*.example.com", true},
		{ir.FQDN{Pattern: "*.example.com"}, "", false},
		{ir.FQDN{Pattern: "api*.example.com"}, "", false},
		{ir.FQDN{Pattern: "**.a*.example.com"}, "", false},
	} {
		got, ok := domainName(c.f)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("%v = %q, %v; want %q, %v", c.f, got, ok, c.want, c.ok)
		}
		if ok && !domainPattern.MatchString(got) {
			t.Errorf("%q does not match the CRD's pattern", got)
		}
	}
}
