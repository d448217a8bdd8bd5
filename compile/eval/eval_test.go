package eval

import (
	"fmt"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
)

type decideCase struct {
	name     string
	pols     []*ir.Policy
	from, to string
	proto    ir.Protocol
	port     uint16
	icmp     *ir.ICMPType
	http     *ir.HTTPRequest
	dns      string

	want         bool
	l7Restricted bool
	egressBy     []int // lines of Egress.AllowedBy
	ingressBy    []int // lines of Ingress.AllowedBy
	deniedBy     []int // lines of Egress.DeniedBy then Ingress.DeniedBy
	isolated     [2]bool
}

func runDecideCases(t *testing.T, cases []decideCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New(program(c.pols...), testWorld())
			f := Flow{From: endpoint(t, e, c.from), To: endpoint(t, e, c.to), Protocol: c.proto, Port: c.port, ICMP: c.icmp, HTTP: c.http, DNSName: c.dns}
			v := e.Decide(f)
			if v.Allowed != c.want {
				t.Errorf("%s: Allowed = %v, want %v (verdict %+v)", f, v.Allowed, c.want, v)
			}
			if v.L7Restricted != c.l7Restricted {
				t.Errorf("%s: L7Restricted = %v, want %v", f, v.L7Restricted, c.l7Restricted)
			}
			check := func(what string, got, want []int) {
				if fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
					t.Errorf("%s: %s = %v, want %v", f, what, got, want)
				}
			}
			check("Egress.AllowedBy", lines(v.Egress.AllowedBy), c.egressBy)
			check("Ingress.AllowedBy", lines(v.Ingress.AllowedBy), c.ingressBy)
			check("DeniedBy", append(lines(v.Egress.DeniedBy), lines(v.Ingress.DeniedBy)...), c.deniedBy)
			if got := [2]bool{v.Egress.Isolated, v.Ingress.Isolated}; got != c.isolated {
				t.Errorf("%s: isolated (egress, ingress) = %v, want %v", f, got, c.isolated)
			}
		})
	}
}

func TestDecideNetworkPolicy(t *testing.T) {
	dbIsolated := policy(10, "prod", sel("app=db"), isoIn)
	dbFromWeb := policy(20, "prod", sel("app=db"), isoIn,
		allowIn(21, peers(podsPeer("app=web")), onPorts(ports(port(ir.TCP, 5432)))))
	dbFromAPI := policy(30, "prod", sel("app=db"), isoIn,
		allowIn(31, peers(podsPeer("app=api")), onPorts(ports(port(ir.TCP, 5432)))))
	webEgress := policy(40, "prod", sel("app=web"), isoOut,
		allowOut(41, peers(podsPeer("app=db")), onPorts(ports(port(ir.TCP, 5432)))))
	andPeer := policy(50, "prod", sel("app=db"), isoIn,
		allowIn(51, peers(podsInNS(sel("env=dev"), "app=tests")), nil))
	orPeers := policy(60, "prod", sel("app=db"), isoIn,
		allowIn(61, peers(podsInNS(sel("env=dev")), podsPeer("app=web")), nil))
	webNamed := policy(70, "prod", sel("app=web"), isoIn,
		allowIn(71, peers(podsPeer("app=api")), onPorts(ports(namedPortOf(ir.TCP, "http")))))
	apiNamedOut := policy(80, "prod", sel("app=api"), isoOut,
		allowOut(81, peers(podsPeer(), cidrPeer("0.0.0.0/0")), onPorts(ports(namedPortOf(ir.TCP, "http")))))
	metricsUDP := policy(85, "prod", sel("app=web"), isoIn,
		allowIn(86, peers(anyPeer()), onPorts(ports(namedPortOf(ir.UDP, "metrics")))))
	metricsAny := policy(87, "prod", sel("app=web"), isoIn,
		allowIn(88, peers(anyPeer()), onPorts(ports(namedPortOf(ir.ProtoAny, "metrics")))))
	dbRange := policy(90, "prod", sel("app=db"), isoIn,
		allowIn(91, peers(anyPeer()), onPorts(ports(portRange(ir.TCP, 5000, 6000)))))
	everyTCP := policy(100, "prod", sel("app=db"), isoIn,
		allowIn(101, peers(anyPeer()), onPorts(ports(port(ir.TCP, 0)))))
	anyProto := policy(110, "kube-system", sel(), isoIn,
		allowIn(111, peers(anyPeer()), onPorts(ports(port(ir.ProtoAny, 53)))))
	except := policy(120, "prod", sel("app=web"), isoOut,
		allowOut(121, peers(cidrPeer("0.0.0.0/0", "52.94.0.0/16")), nil))
	allFromWeb := policy(130, "prod", sel("app=db"), isoIn,
		allowIn(131, peers(podsPeer("app=web")), nil))
	icmp := policy(140, "prod", sel("app=db"), isoIn,
		allowIn(141, peers(anyPeer()), &traffic{icmp: []ir.ICMPType{{Family: ir.ICMPv4, Type: "8"}}}),
		allowIn(142, peers(anyPeer()), onPorts(ports(port(ir.TCP, 0)))))
	crossNS := policy(150, "prod", sel("app=db"), isoIn,
		allowIn(151, peers(podsIn("dev", "app=tests")), nil))
	emptyNSSel := policy(160, "prod", sel("app=db"), isoIn,
		allowIn(161, peers(podsInNS(sel())), nil))
	notIn := policy(170, "prod", sel("tier notin front"), isoIn)
	emptyOut := policy(180, "prod", sel("app=web"), isoOut)

	echo := &ir.ICMPType{Family: ir.ICMPv4, Type: "EchoRequest"}
	reply := &ir.ICMPType{Family: ir.ICMPv4, Type: "0"}
	echo6 := &ir.ICMPType{Family: ir.ICMPv6, Type: "8"}

	runDecideCases(t, []decideCase{
		{name: "no policy allows", from: "prod/web", to: "prod/db", port: 5432, want: true},
		{name: "isolated ingress, no rule", pols: pp(dbIsolated), from: "prod/web", to: "prod/db", port: 5432, isolated: [2]bool{false, true}},
		{name: "isolation is per pod", pols: pp(dbIsolated), from: "prod/db", to: "prod/web", port: 80, want: true},
		{name: "allowed by rule", pols: pp(dbFromWeb), from: "prod/web", to: "prod/db", port: 5432, want: true, ingressBy: []int{21}, isolated: [2]bool{false, true}},
		{name: "wrong port", pols: pp(dbFromWeb), from: "prod/web", to: "prod/db", port: 5433, isolated: [2]bool{false, true}},
		{name: "wrong protocol", pols: pp(dbFromWeb), from: "prod/web", to: "prod/db", proto: ir.UDP, port: 5432, isolated: [2]bool{false, true}},
		{name: "union of policies", pols: pp(dbFromWeb, dbFromAPI), from: "prod/api", to: "prod/db", port: 5432, want: true, ingressBy: []int{31}, isolated: [2]bool{false, true}},
		{name: "union, other source", pols: pp(dbFromWeb, dbFromAPI), from: "dev/tests", to: "prod/db", port: 5432, isolated: [2]bool{false, true}},
		{name: "egress allowed", pols: pp(webEgress), from: "prod/web", to: "prod/db", port: 5432, want: true, egressBy: []int{41}, isolated: [2]bool{true, false}},
		{name: "egress isolated", pols: pp(webEgress), from: "prod/web", to: "prod/api", port: 5432, isolated: [2]bool{true, false}},
		{name: "both sides needed", pols: pp(webEgress, dbIsolated), from: "prod/web", to: "prod/db", port: 5432, egressBy: []int{41}, isolated: [2]bool{true, true}},
		{name: "both sides allow", pols: pp(webEgress, dbFromWeb), from: "prod/web", to: "prod/db", port: 5432, want: true, egressBy: []int{41}, ingressBy: []int{21}, isolated: [2]bool{true, true}},
		{name: "AND peer matches", pols: pp(andPeer), from: "dev/tests", to: "prod/db", port: 1, want: true, ingressBy: []int{51}, isolated: [2]bool{false, true}},
		{name: "AND peer needs both", pols: pp(andPeer), from: "dev/web", to: "prod/db", port: 1, isolated: [2]bool{false, true}},
		{name: "AND peer wrong ns", pols: pp(andPeer), from: "prod/web", to: "prod/db", port: 1, isolated: [2]bool{false, true}},
		{name: "OR peers: namespace", pols: pp(orPeers), from: "dev/tests", to: "prod/db", port: 1, want: true, ingressBy: []int{61}, isolated: [2]bool{false, true}},
		{name: "OR peers: pods", pols: pp(orPeers), from: "prod/web", to: "prod/db", port: 1, want: true, ingressBy: []int{61}, isolated: [2]bool{false, true}},
		{name: "OR peers: neither", pols: pp(orPeers), from: "prod/api", to: "prod/db", port: 1, isolated: [2]bool{false, true}},
		{name: "pod peer is policy namespace", pols: pp(allFromWeb), from: "dev/web", to: "prod/db", port: 1, isolated: [2]bool{false, true}},
		{name: "named namespace", pols: pp(crossNS), from: "dev/tests", to: "prod/db", port: 1, want: true, ingressBy: []int{151}, isolated: [2]bool{false, true}},
		{name: "empty namespace selector: every namespace", pols: pp(emptyNSSel), from: "monitoring/prometheus", to: "prod/db", port: 1, want: true, ingressBy: []int{161}, isolated: [2]bool{false, true}},
		{name: "empty namespace selector: no externals", pols: pp(emptyNSSel), from: "8.8.8.8", to: "prod/db", port: 1, isolated: [2]bool{false, true}},
		{name: "subject notin", pols: pp(notIn), from: "prod/web", to: "prod/api", port: 1, isolated: [2]bool{false, true}},
		{name: "subject notin excludes", pols: pp(notIn), from: "prod/api", to: "prod/web", port: 1, want: true},
		{name: "egress isolation, nothing allowed", pols: pp(emptyOut), from: "prod/web", to: "8.8.8.8", port: 53, proto: ir.UDP, isolated: [2]bool{true, false}},
		{name: "named port ingress", pols: pp(webNamed), from: "prod/api", to: "prod/web", port: 8080, want: true, ingressBy: []int{71}, isolated: [2]bool{false, true}},
		{name: "named port, other number", pols: pp(webNamed), from: "prod/api", to: "prod/web", port: 80, isolated: [2]bool{false, true}},
		{name: "named port egress resolves on destination", pols: pp(apiNamedOut), from: "prod/api", to: "prod/web", port: 8080, want: true, egressBy: []int{81}, isolated: [2]bool{true, false}},
		{name: "named port egress, source's own port", pols: pp(apiNamedOut), from: "prod/api", to: "prod/web", port: 80, isolated: [2]bool{true, false}},
		{name: "named port absent on destination", pols: pp(apiNamedOut), from: "prod/api", to: "prod/db", port: 8080, isolated: [2]bool{true, false}},
		{name: "named port never matches externals", pols: pp(apiNamedOut), from: "prod/api", to: "8.8.8.8", port: 8080, isolated: [2]bool{true, false}},
		{name: "named port protocol mismatch", pols: pp(metricsUDP), from: "prod/api", to: "prod/web", proto: ir.UDP, port: 9090, isolated: [2]bool{false, true}},
		{name: "named port any protocol", pols: pp(metricsAny), from: "prod/api", to: "prod/web", port: 9090, want: true, ingressBy: []int{88}, isolated: [2]bool{false, true}},
		{name: "range inside", pols: pp(dbRange), from: "prod/web", to: "prod/db", port: 5432, want: true, ingressBy: []int{91}, isolated: [2]bool{false, true}},
		{name: "range bounds", pols: pp(dbRange), from: "prod/web", to: "prod/db", port: 6000, want: true, ingressBy: []int{91}, isolated: [2]bool{false, true}},
		{name: "range outside", pols: pp(dbRange), from: "prod/web", to: "prod/db", port: 6001, isolated: [2]bool{false, true}},
		{name: "every TCP port", pols: pp(everyTCP), from: "prod/web", to: "prod/db", port: 1234, want: true, ingressBy: []int{101}, isolated: [2]bool{false, true}},
		{name: "every TCP port, not UDP", pols: pp(everyTCP), from: "prod/web", to: "prod/db", proto: ir.UDP, port: 1234, isolated: [2]bool{false, true}},
		{name: "ANY is UDP", pols: pp(anyProto), from: "prod/web", to: "kube-system/coredns", proto: ir.UDP, port: 53, want: true, ingressBy: []int{111}, isolated: [2]bool{false, true}},
		{name: "ANY is SCTP", pols: pp(anyProto), from: "prod/web", to: "kube-system/coredns", proto: ir.SCTP, port: 53, want: true, ingressBy: []int{111}, isolated: [2]bool{false, true}},
		{name: "CIDR", pols: pp(except), from: "prod/web", to: "8.8.8.8", port: 443, want: true, egressBy: []int{121}, isolated: [2]bool{true, false}},
		{name: "CIDR except", pols: pp(except), from: "prod/web", to: "52.94.1.1", port: 443, isolated: [2]bool{true, false}},
		{name: "CIDR matches externals in pod range", pols: pp(except), from: "prod/web", to: "10.0.0.7", port: 443, want: true, egressBy: []int{121}, isolated: [2]bool{true, false}},
		{name: "CIDR never matches pods", pols: pp(except), from: "prod/web", to: "prod/db", port: 443, isolated: [2]bool{true, false}},
		{name: "CIDR family", pols: pp(except), from: "prod/web", to: "2001:db8::5", port: 443, isolated: [2]bool{true, false}},
		{name: "CIDR never matches nodes", pols: pp(except), from: "prod/web", to: "node/n2", port: 443, isolated: [2]bool{true, false}},
		{name: "all traffic includes ICMP", pols: pp(allFromWeb), from: "prod/web", to: "prod/db", icmp: echo, want: true, ingressBy: []int{131}, isolated: [2]bool{false, true}},
		{name: "ICMP by name and number", pols: pp(icmp), from: "prod/web", to: "prod/db", icmp: echo, want: true, ingressBy: []int{141}, isolated: [2]bool{false, true}},
		{name: "ICMP other type", pols: pp(icmp), from: "prod/web", to: "prod/db", icmp: reply, isolated: [2]bool{false, true}},
		{name: "ICMP other family", pols: pp(icmp), from: "prod/web", to: "prod/db", icmp: echo6, isolated: [2]bool{false, true}},
		{name: "ports never match ICMP", pols: pp(everyTCP), from: "prod/web", to: "prod/db", icmp: echo, isolated: [2]bool{false, true}},
	})
}

func pp(ps ...*ir.Policy) []*ir.Policy { return ps }

func TestDecideCilium(t *testing.T) {
	denyWins := policy(10, "prod", sel("app=db"), isoIn,
		allowIn(11, peers(podsPeer("app=web")), nil),
		denyIn(12, peers(podsPeer("app=web")), onPorts(ports(port(ir.TCP, 5432)))))
	denyOtherPolicy := policy(15, "prod", sel(), isoNone,
		denyIn(16, peers(podsInNS(sel("env=dev"))), nil))
	denyEgress := policy(20, "prod", sel("app=web"), isoNone,
		denyOut(21, peers(cidrPeer("52.94.0.0/16")), nil))
	nonIsolating := policy(30, "prod", sel("app=db"), isoNone,
		allowIn(31, peers(podsPeer("app=web")), onPorts(ports(port(ir.TCP, 5432)))))
	ent := func(line int, e ir.Entity) *ir.Policy {
		return policy(line, "prod", sel("app=web"), isoOut, allowOut(line+1, peers(entity(e)), nil))
	}
	fq := func(line int, pattern string, exact bool) *ir.Policy {
		return policy(line, "prod", sel("app=web"), isoOut, allowOut(line+1, peers(fqdnPeer(pattern, exact)), onPorts(ports(port(ir.TCP, 443)))))
	}
	hostPolicy := &ir.Policy{Span: span(40), Subject: ir.Subject{Nodes: true, Pods: sel("role=worker")}, Isolation: isoIn,
		Rules: []*ir.Rule{allowIn(41, peers(entity(ir.EntityCluster)), onPorts(ports(port(ir.TCP, 10250))))}}
	clusterWide := &ir.Policy{Span: span(50), Subject: ir.Subject{Pods: sel(), Namespaces: ptr(sel("env=prod"))}, Isolation: isoIn,
		Rules: []*ir.Rule{allowIn(51, peers(podsPeer("app=prometheus")), nil)}}
	fromNodes := policy(60, "prod", sel("app=web"), isoIn,
		allowIn(61, peers(ir.Peer{Kind: ir.PeerNodes, Pods: sel("role=control-plane")}), nil))
	cwDeny := &ir.Policy{Span: span(70), Subject: ir.Subject{Pods: sel()},
		Rules: []*ir.Rule{denyOut(71, peers(entity(ir.EntityKubeAPIServer)), nil)}}

	runDecideCases(t, []decideCase{
		{name: "deny wins over allow", pols: pp(denyWins), from: "prod/web", to: "prod/db", port: 5432, ingressBy: []int{11}, deniedBy: []int{12}, isolated: [2]bool{false, true}},
		{name: "deny only its ports", pols: pp(denyWins), from: "prod/web", to: "prod/db", port: 80, want: true, ingressBy: []int{11}, isolated: [2]bool{false, true}},
		{name: "deny without isolation", pols: pp(denyOtherPolicy), from: "dev/tests", to: "prod/db", port: 1, deniedBy: []int{16}},
		{name: "deny does not isolate", pols: pp(denyOtherPolicy), from: "prod/web", to: "prod/db", port: 1, want: true},
		{name: "deny across policies", pols: pp(denyOtherPolicy, allFrom("dev")), from: "dev/tests", to: "prod/db", port: 1, ingressBy: []int{91}, deniedBy: []int{16}, isolated: [2]bool{false, true}},
		{name: "egress deny wins over ingress allow", pols: pp(denyEgress), from: "prod/web", to: "52.94.1.1", port: 443, deniedBy: []int{21}},
		{name: "non-isolating allow is recorded", pols: pp(nonIsolating), from: "prod/web", to: "prod/db", port: 5432, want: true, ingressBy: []int{31}},
		{name: "non-isolating allow does not isolate", pols: pp(nonIsolating), from: "prod/api", to: "prod/db", port: 5432, want: true},
		{name: "world", pols: pp(ent(100, ir.EntityWorld)), from: "prod/web", to: "8.8.8.8", port: 443, want: true, egressBy: []int{101}, isolated: [2]bool{true, false}},
		{name: "world is not pods", pols: pp(ent(100, ir.EntityWorld)), from: "prod/web", to: "prod/db", port: 443, isolated: [2]bool{true, false}},
		{name: "world-ipv6", pols: pp(ent(100, ir.EntityWorldIPv6)), from: "prod/web", to: "2001:db8::5", port: 443, want: true, egressBy: []int{101}, isolated: [2]bool{true, false}},
		{name: "world-ipv6 not v4", pols: pp(ent(100, ir.EntityWorldIPv6)), from: "prod/web", to: "8.8.8.8", port: 443, isolated: [2]bool{true, false}},
		{name: "world-ipv4", pols: pp(ent(100, ir.EntityWorldIPv4)), from: "prod/web", to: "8.8.8.8", port: 443, want: true, egressBy: []int{101}, isolated: [2]bool{true, false}},
		{name: "cluster has pods", pols: pp(ent(100, ir.EntityCluster)), from: "prod/web", to: "dev/tests", port: 1, want: true, egressBy: []int{101}, isolated: [2]bool{true, false}},
		{name: "cluster has the apiserver", pols: pp(ent(100, ir.EntityCluster)), from: "prod/web", to: "kube-apiserver", port: 443, want: true, egressBy: []int{101}, isolated: [2]bool{true, false}},
		{name: "cluster has nodes", pols: pp(ent(100, ir.EntityCluster)), from: "prod/web", to: "node/n2", port: 443, want: true, egressBy: []int{101}, isolated: [2]bool{true, false}},
		{name: "cluster is not world", pols: pp(ent(100, ir.EntityCluster)), from: "prod/web", to: "8.8.8.8", port: 443, isolated: [2]bool{true, false}},
		{name: "host is the local node", pols: pp(ent(100, ir.EntityHost)), from: "prod/web", to: "node/n1", port: 22, want: true, egressBy: []int{101}, isolated: [2]bool{true, false}},
		{name: "host is not remote nodes", pols: pp(ent(100, ir.EntityHost)), from: "prod/web", to: "node/n2", port: 22, isolated: [2]bool{true, false}},
		{name: "remote-node", pols: pp(ent(100, ir.EntityRemoteNode)), from: "prod/web", to: "node/n2", port: 22, want: true, egressBy: []int{101}, isolated: [2]bool{true, false}},
		{name: "remote-node is not local", pols: pp(ent(100, ir.EntityRemoteNode)), from: "prod/web", to: "node/n1", port: 22, isolated: [2]bool{true, false}},
		{name: "kube-apiserver", pols: pp(ent(100, ir.EntityKubeAPIServer)), from: "prod/web", to: "kube-apiserver", port: 443, want: true, egressBy: []int{101}, isolated: [2]bool{true, false}},
		{name: "kube-apiserver is not pods", pols: pp(ent(100, ir.EntityKubeAPIServer)), from: "prod/web", to: "prod/db", port: 443, isolated: [2]bool{true, false}},
		{name: "all", pols: pp(ent(100, ir.EntityAll)), from: "prod/web", to: "52.94.2.2", port: 443, want: true, egressBy: []int{101}, isolated: [2]bool{true, false}},
		{name: "health matches nothing here", pols: pp(ent(100, ir.EntityHealth)), from: "prod/web", to: "node/n1", port: 4240, isolated: [2]bool{true, false}},
		{name: "fqdn one label", pols: pp(fq(200, "*.amazonaws.com", false)), from: "prod/web", to: "52.94.1.1", port: 443, want: true, egressBy: []int{201}, isolated: [2]bool{true, false}},
		{name: "fqdn one label only", pols: pp(fq(200, "*.amazonaws.com", false)), from: "prod/web", to: "52.94.2.2", port: 443, isolated: [2]bool{true, false}},
		{name: "fqdn any depth", pols: pp(fq(200, "**.amazonaws.com", false)), from: "prod/web", to: "52.94.2.2", port: 443, want: true, egressBy: []int{201}, isolated: [2]bool{true, false}},
		{name: "fqdn any depth needs a label", pols: pp(fq(200, "**.s3.amazonaws.com", false)), from: "prod/web", to: "52.94.1.1", port: 443, isolated: [2]bool{true, false}},
		{name: "fqdn exact, case and dot", pols: pp(fq(200, "api.example.com", true)), from: "prod/web", to: "93.184.216.34", port: 443, want: true, egressBy: []int{201}, isolated: [2]bool{true, false}},
		{name: "fqdn exact is whole", pols: pp(fq(200, "amazonaws.com", true)), from: "prod/web", to: "52.94.1.1", port: 443, isolated: [2]bool{true, false}},
		{name: "fqdn bare star", pols: pp(fq(200, "*", false)), from: "prod/web", to: "52.94.2.2", port: 443, want: true, egressBy: []int{201}, isolated: [2]bool{true, false}},
		{name: "fqdn never pods", pols: pp(fq(200, "*", false)), from: "prod/web", to: "prod/db", port: 443, isolated: [2]bool{true, false}},
		{name: "host policy isolates the node", pols: pp(hostPolicy), from: "prod/web", to: "node/n1", port: 22, isolated: [2]bool{false, true}},
		{name: "host policy allows", pols: pp(hostPolicy), from: "prod/web", to: "node/n1", port: 10250, want: true, ingressBy: []int{41}, isolated: [2]bool{false, true}},
		{name: "host policy selects by label", pols: pp(hostPolicy), from: "prod/web", to: "node/n2", port: 22, want: true},
		{name: "cluster-wide subject by namespace labels", pols: pp(clusterWide), from: "dev/tests", to: "prod/web", port: 80, isolated: [2]bool{false, true}},
		{name: "cluster-wide peer in any namespace", pols: pp(clusterWide), from: "monitoring/prometheus", to: "prod/web", port: 80, want: true, ingressBy: []int{51}, isolated: [2]bool{false, true}},
		{name: "cluster-wide subject other namespace", pols: pp(clusterWide), from: "dev/tests", to: "dev/web", port: 80, want: true},
		{name: "node peer", pols: pp(fromNodes), from: "node/n2", to: "prod/web", port: 80, want: true, ingressBy: []int{61}, isolated: [2]bool{false, true}},
		{name: "node peer label", pols: pp(fromNodes), from: "node/n1", to: "prod/web", port: 80, isolated: [2]bool{false, true}},
		{name: "apiserver source is not governed", pols: pp(fromNodes), from: "kube-apiserver", to: "prod/web", port: 80, isolated: [2]bool{false, true}},
		{name: "cluster-wide deny on every pod", pols: pp(cwDeny), from: "dev/tests", to: "kube-apiserver", port: 443, deniedBy: []int{71}},
	})
}

func allFrom(ns string) *ir.Policy {
	return policy(90, "prod", sel(), isoIn, allowIn(91, peers(podsIn(ns)), nil))
}

func ptr[T any](v T) *T { return &v }

func TestDecideL7(t *testing.T) {
	get := func(path string) *ir.HTTPRequest { return &ir.HTTPRequest{Method: "GET", Path: path} }
	ct := "application/json"
	httpPolicy := policy(10, "prod", sel("app=web"), isoIn,
		allowIn(11, peers(podsPeer("app=api")), onPorts(ir.PortRule{Ports: []ir.Port{port(ir.TCP, 8080)}, HTTP: []ir.HTTPRule{
			{Method: "GET", Path: "/api/public/.*"},
			{Method: "POST", Path: "/api/auth/.*", Headers: []ir.HeaderMatch{{Name: "Content-Type", Value: &ct}}},
			{Path: "/healthz", Headers: []ir.HeaderMatch{{Name: "X-Probe"}}, Host: `api\.example\.com`},
		}})))
	l4Too := policy(20, "prod", sel("app=web"), isoIn,
		allowIn(21, peers(podsPeer("tier")), onPorts(ports(port(ir.TCP, 8080)))))
	nonIsolatingL7 := policy(30, "prod", sel("app=web"), isoNone,
		allowIn(31, peers(podsPeer("app=api")), onPorts(ir.PortRule{Ports: []ir.Port{port(ir.TCP, 8080)}, HTTP: []ir.HTTPRule{{Method: "GET"}}})))
	dnsPolicy := policy(40, "prod", sel("app=web"), isoOut,
		allowOut(41, peers(podsIn("kube-system", "k8s-app=kube-dns")), onPorts(ir.PortRule{
			Ports: []ir.Port{port(ir.UDP, 53), port(ir.TCP, 53)},
			DNS:   []ir.FQDN{{Pattern: "*.amazonaws.com"}, {Pattern: "dns.google", Exact: true}},
		})))
	egressL7 := policy(50, "prod", sel("app=api"), isoNone,
		allowOut(51, peers(podsPeer("app=web")), onPorts(ir.PortRule{Ports: []ir.Port{port(ir.TCP, 8080)}, HTTP: []ir.HTTPRule{{Path: "/api/.*"}}})))
	badRegexp := policy(60, "prod", sel("app=web"), isoIn,
		allowIn(61, peers(podsPeer("app=api")), onPorts(ir.PortRule{Ports: []ir.Port{port(ir.TCP, 8080)}, HTTP: []ir.HTTPRule{{Path: "/api/(["}}})))
	denyWithHTTP := policy(70, "prod", sel("app=web"), isoNone,
		rule(71, ir.Ingress, ir.Deny, peers(podsPeer("app=api")), onPorts(ir.PortRule{Ports: []ir.Port{port(ir.TCP, 8080)}, HTTP: []ir.HTTPRule{{Path: "/x"}}})))

	iso := [2]bool{false, true}
	runDecideCases(t, []decideCase{
		{name: "matching request", pols: pp(httpPolicy), from: "prod/api", to: "prod/web", port: 8080, http: get("/api/public/x"), want: true, ingressBy: []int{11}, isolated: iso},
		{name: "whole-string path", pols: pp(httpPolicy), from: "prod/api", to: "prod/web", port: 8080, http: get("/api/public"), ingressBy: []int{11}, isolated: iso},
		{name: "whole-string method", pols: pp(httpPolicy), from: "prod/api", to: "prod/web", port: 8080, http: &ir.HTTPRequest{Method: "GETX", Path: "/api/public/x"}, ingressBy: []int{11}, isolated: iso},
		{name: "other method", pols: pp(httpPolicy), from: "prod/api", to: "prod/web", port: 8080, http: &ir.HTTPRequest{Method: "POST", Path: "/api/public/x"}, ingressBy: []int{11}, isolated: iso},
		{name: "header value", pols: pp(httpPolicy), from: "prod/api", to: "prod/web", port: 8080,
			http: &ir.HTTPRequest{Method: "POST", Path: "/api/auth/login", Headers: map[string]string{"content-type": "application/json"}}, want: true, ingressBy: []int{11}, isolated: iso},
		{name: "header wrong value", pols: pp(httpPolicy), from: "prod/api", to: "prod/web", port: 8080,
			http: &ir.HTTPRequest{Method: "POST", Path: "/api/auth/login", Headers: map[string]string{"Content-Type": "text/plain"}}, ingressBy: []int{11}, isolated: iso},
		{name: "header missing", pols: pp(httpPolicy), from: "prod/api", to: "prod/web", port: 8080,
			http: &ir.HTTPRequest{Method: "POST", Path: "/api/auth/login"}, ingressBy: []int{11}, isolated: iso},
		{name: "header presence and host", pols: pp(httpPolicy), from: "prod/api", to: "prod/web", port: 8080,
			http: &ir.HTTPRequest{Method: "DELETE", Path: "/healthz", Host: "api.example.com", Headers: map[string]string{"x-probe": ""}}, want: true, ingressBy: []int{11}, isolated: iso},
		{name: "host whole string", pols: pp(httpPolicy), from: "prod/api", to: "prod/web", port: 8080,
			http: &ir.HTTPRequest{Method: "GET", Path: "/healthz", Host: "api.example.com:8080", Headers: map[string]string{"X-Probe": "1"}}, ingressBy: []int{11}, isolated: iso},
		{name: "no request: L4 allowed, L7 restricted", pols: pp(httpPolicy), from: "prod/api", to: "prod/web", port: 8080, want: true, l7Restricted: true, ingressBy: []int{11}, isolated: iso},
		{name: "L4 rule opens L7", pols: pp(httpPolicy, l4Too), from: "prod/api", to: "prod/web", port: 8080, http: get("/private"), want: true, ingressBy: []int{11, 21}, isolated: iso},
		{name: "L4 rule for other peer keeps L7", pols: pp(httpPolicy, policy(25, "prod", sel("app=web"), isoIn, allowIn(26, peers(podsPeer("app=db")), onPorts(ports(port(ir.TCP, 8080)))))),
			from: "prod/api", to: "prod/web", port: 8080, http: get("/private"), ingressBy: []int{11}, isolated: iso},
		{name: "L7 applies without isolation", pols: pp(nonIsolatingL7), from: "prod/api", to: "prod/web", port: 8080, http: &ir.HTTPRequest{Method: "PUT", Path: "/"}, ingressBy: []int{31}},
		{name: "L7 without isolation, other peers open", pols: pp(nonIsolatingL7), from: "prod/db", to: "prod/web", port: 8080, http: &ir.HTTPRequest{Method: "PUT", Path: "/"}, want: true},
		{name: "L7 on egress side", pols: pp(egressL7), from: "prod/api", to: "prod/web", port: 8080, http: get("/other"), egressBy: []int{51}},
		{name: "L7 on egress side allows", pols: pp(egressL7), from: "prod/api", to: "prod/web", port: 8080, http: get("/api/v1"), want: true, egressBy: []int{51}},
		{name: "invalid regexp matches nothing", pols: pp(badRegexp), from: "prod/api", to: "prod/web", port: 8080, http: get("/api/x"), ingressBy: []int{61}, isolated: iso},
		{name: "deny ignores L7", pols: pp(denyWithHTTP), from: "prod/api", to: "prod/web", port: 8080, http: get("/y"), deniedBy: []int{71}},
		{name: "DNS lookup allowed", pols: pp(dnsPolicy), from: "prod/web", to: "kube-system/coredns", proto: ir.UDP, port: 53, dns: "s3.amazonaws.com.", want: true, egressBy: []int{41}, isolated: [2]bool{true, false}},
		{name: "DNS exact lookup", pols: pp(dnsPolicy), from: "prod/web", to: "kube-system/coredns", proto: ir.TCP, port: 53, dns: "DNS.google", want: true, egressBy: []int{41}, isolated: [2]bool{true, false}},
		{name: "DNS lookup refused", pols: pp(dnsPolicy), from: "prod/web", to: "kube-system/coredns", proto: ir.UDP, port: 53, dns: "s3.eu-west-1.amazonaws.com", egressBy: []int{41}, isolated: [2]bool{true, false}},
		{name: "DNS without lookup", pols: pp(dnsPolicy), from: "prod/web", to: "kube-system/coredns", proto: ir.UDP, port: 53, want: true, l7Restricted: true, egressBy: []int{41}, isolated: [2]bool{true, false}},
		{name: "HTTP request to a DNS-restricted port", pols: pp(dnsPolicy), from: "prod/web", to: "kube-system/coredns", port: 53, http: get("/"), egressBy: []int{41}, isolated: [2]bool{true, false}},
	})
}

func TestDecideL7Status(t *testing.T) {
	pol := policy(10, "prod", sel("app=web"), isoIn,
		allowIn(11, peers(podsPeer("app=api")), onPorts(ir.PortRule{Ports: []ir.Port{port(ir.TCP, 8080)}, HTTP: []ir.HTTPRule{{Path: "/ok"}}})))
	e := New(program(pol), testWorld())
	api, web := endpoint(t, e, "prod/api"), endpoint(t, e, "prod/web")
	for _, c := range []struct {
		req  *ir.HTTPRequest
		want L7Status
	}{
		{nil, L7Restricted},
		{&ir.HTTPRequest{Path: "/ok"}, L7Allowed},
		{&ir.HTTPRequest{Path: "/no"}, L7Denied},
	} {
		v := e.Decide(Flow{From: api, To: web, Port: 8080, HTTP: c.req})
		if v.Ingress.L7 != c.want || fmt.Sprint(lines(v.Ingress.L7By)) != "[11]" {
			t.Errorf("request %+v: L7 = %v by %v, want %v by [11]", c.req, v.Ingress.L7, lines(v.Ingress.L7By), c.want)
		}
	}
}

func TestServicePeer(t *testing.T) {
	w := testWorld()
	w.Services = []Service{
		{Namespace: "prod", Name: "db", Labels: map[string]string{"tier": "data"}, Selector: map[string]string{"app": "db"}},
		{Namespace: "prod", Name: "external", Labels: map[string]string{"tier": "data"}},
	}
	byName := policy(10, "prod", sel("app=web"), isoOut,
		allowOut(11, peers(ir.Peer{Kind: ir.PeerService, Service: ir.Service{Namespace: "prod", Name: "db"}}), nil))
	bySel := policy(20, "dev", sel("app=tests"), isoOut,
		allowOut(21, peers(ir.Peer{Kind: ir.PeerService, Service: ir.Service{Namespace: "prod", Selector: ptr(sel("tier=data"))}}), nil))
	e := New(program(byName, bySel), w)
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{"prod/web", "prod/db", true},
		{"prod/web", "prod/api", false},
		{"dev/tests", "prod/db", true},
		{"dev/tests", "prod/web", false},
	} {
		v := e.Decide(Flow{From: endpoint(t, e, c.from), To: endpoint(t, e, c.to), Port: 5432})
		if v.Allowed != c.want {
			t.Errorf("%s -> %s: Allowed = %v, want %v", c.from, c.to, v.Allowed, c.want)
		}
	}
}

// Endpoints outside the world (copies) are decided like world endpoints.
func TestForeignEndpoints(t *testing.T) {
	pol := policy(10, "prod", sel("app=db"), isoIn, allowIn(11, peers(podsPeer("app=web")), nil))
	w := testWorld()
	e := New(program(pol), w)
	web, db := w.Pods[0], w.Pods[1]
	v := e.Decide(Flow{From: PodEndpoint(&web), To: PodEndpoint(&db), Port: 1})
	if !v.Allowed || !v.Ingress.Isolated {
		t.Errorf("copied pods: %+v", v)
	}
	v = e.Decide(Flow{From: Endpoint{Kind: EndpointPod}, To: PodEndpoint(&db)})
	if v.Allowed {
		t.Errorf("invalid endpoint allowed: %+v", v)
	}
}

func TestSelect(t *testing.T) {
	e := New(program(), testWorld())
	names := func(eps []Endpoint) string {
		var s []string
		for _, ep := range eps {
			s = append(s, ep.String())
		}
		return fmt.Sprint(s)
	}
	for _, c := range []struct {
		peer ir.Peer
		ns   string
		want string
	}{
		{podsPeer("app=web"), "prod", "[prod/web]"},
		{podsPeer("app=web"), "", "[prod/web dev/web]"},
		{podsInNS(sel("env=prod")), "dev", "[prod/web prod/db prod/api monitoring/prometheus]"},
		{podsInNS(sel("kubernetes.io/metadata.name=kube-system")), "", "[kube-system/coredns]"},
		{cidrPeer("52.0.0.0/8"), "", "[s3.amazonaws.com (52.94.1.1) s3.eu-west-1.amazonaws.com (52.94.2.2)]"},
		{entity(ir.EntityHost), "", "[node/n1]"},
		// Node peers are the other nodes only (Cilium adds reserved:remote-node);
		// n1 is the local node.
		{ir.Peer{Kind: ir.PeerNodes, Pods: sel()}, "", "[node/n2]"},
	} {
		if got := names(e.Select(c.peer, c.ns)); got != c.want {
			t.Errorf("Select(%s, %q) = %s, want %s", ir.FormatPeer(c.peer), c.ns, got, c.want)
		}
	}
	// Without a local node the local host is a special endpoint.
	e = New(program(), &World{})
	if got := names(e.Select(entity(ir.EntityHost), "")); got != "[host]" {
		t.Errorf("host without nodes = %s", got)
	}
}
