package netpolapi

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/network-policy-api/apis/v1alpha1"
	"sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/internal/testsupport/nporacle"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
)

var diffPrograms = flag.Int("programs", 30, "random programs of TestDifferential (per version)")

// The reference below decides flows on the emitted objects as the API
// defines them (docs/semantics.md, section 5.1), from the upstream types
// read back from the written YAML: the Admin tier by priority and rule
// order, first match; then the NetworkPolicy tier, judged by cyclonus
// (nporacle); then the Baseline tier; then allowed. It shares no code with
// the backend: it never sees the IR.

// apiRule is one admin rule in the terms of the reference.
type apiRule struct {
	action string // Accept, Deny, Pass (v1alpha1 Allow is Accept)
	peers  []apiPeer
	ports  []apiPort // nil: all traffic
}

type apiPeer struct {
	namespaces *metav1.LabelSelector
	pods       *metav1.LabelSelector // with namespaces: both must match
	networks   []string
	nodes      *metav1.LabelSelector
	domains    []string
}

type apiPort struct {
	protocol   string // TCP, UDP, SCTP; "" for a named port
	start, end int32
	name       string
}

type apiObject struct {
	baseline bool
	priority int32
	subject  apiPeer // namespaces, or pods (namespaces and pods)
	ingress  []apiRule
	egress   []apiRule
}

// apiSet is every admin object of an output and its NetworkPolicies.
type apiSet struct {
	admin, baseline []apiObject
	nps             []*networkingv1.NetworkPolicy
}

func selPtr(s metav1.LabelSelector) *metav1.LabelSelector { return &s }

// readSet reads the objects decodeAll returned.
func readSet(t *testing.T, objs []any) *apiSet {
	t.Helper()
	set := &apiSet{}
	v2ports := func(ps []v1alpha2.ClusterNetworkPolicyProtocol) []apiPort {
		if ps == nil {
			return nil
		}
		out := []apiPort{}
		for _, p := range ps {
			var dp *v1alpha2.Port
			proto := ""
			switch {
			case p.TCP != nil:
				dp, proto = p.TCP.DestinationPort, "TCP"
			case p.UDP != nil:
				dp, proto = p.UDP.DestinationPort, "UDP"
			case p.SCTP != nil:
				dp, proto = p.SCTP.DestinationPort, "SCTP"
			default:
				out = append(out, apiPort{name: p.DestinationNamedPort})
				continue
			}
			if dp.Range != nil {
				out = append(out, apiPort{protocol: proto, start: dp.Range.Start, end: dp.Range.End})
			} else {
				out = append(out, apiPort{protocol: proto, start: dp.Number, end: dp.Number})
			}
		}
		return out
	}
	v1ports := func(ps *[]v1alpha1.AdminNetworkPolicyPort) []apiPort {
		if ps == nil {
			return nil
		}
		out := []apiPort{}
		for _, p := range *ps {
			switch {
			case p.PortNumber != nil:
				out = append(out, apiPort{protocol: string(p.PortNumber.Protocol), start: p.PortNumber.Port, end: p.PortNumber.Port})
			case p.PortRange != nil:
				out = append(out, apiPort{protocol: string(p.PortRange.Protocol), start: p.PortRange.Start, end: p.PortRange.End})
			case p.NamedPort != nil:
				out = append(out, apiPort{name: *p.NamedPort})
			}
		}
		return out
	}
	nsPod := func(ns *metav1.LabelSelector, pods *v1alpha2.NamespacedPod) apiPeer {
		if pods != nil {
			return apiPeer{namespaces: selPtr(pods.NamespaceSelector), pods: selPtr(pods.PodSelector)}
		}
		return apiPeer{namespaces: ns}
	}
	nsPod1 := func(ns *metav1.LabelSelector, pods *v1alpha1.NamespacedPod) apiPeer {
		if pods != nil {
			return apiPeer{namespaces: selPtr(pods.NamespaceSelector), pods: selPtr(pods.PodSelector)}
		}
		return apiPeer{namespaces: ns}
	}
	for _, o := range objs {
		switch v := o.(type) {
		case *networkingv1.NetworkPolicy:
			set.nps = append(set.nps, v)
		case *CNP:
			obj := apiObject{baseline: v.Spec.Tier == v1alpha2.BaselineTier, priority: v.Spec.Priority,
				subject: nsPod(v.Spec.Subject.Namespaces, v.Spec.Subject.Pods)}
			for _, r := range v.Spec.Ingress {
				ar := apiRule{action: string(r.Action), ports: v2ports(r.Protocols)}
				for _, p := range r.From {
					ar.peers = append(ar.peers, nsPod(p.Namespaces, p.Pods))
				}
				obj.ingress = append(obj.ingress, ar)
			}
			for _, r := range v.Spec.Egress {
				ar := apiRule{action: string(r.Action), ports: v2ports(r.Protocols)}
				for _, p := range r.To {
					ap := nsPod(p.Namespaces, p.Pods)
					ap.nodes = p.Nodes
					ap.networks = plainStrings(p.Networks)
					ap.domains = plainStrings(p.DomainNames)
					ar.peers = append(ar.peers, ap)
				}
				obj.egress = append(obj.egress, ar)
			}
			if obj.baseline {
				set.baseline = append(set.baseline, obj)
			} else {
				set.admin = append(set.admin, obj)
			}
		case *ANP, *BANP:
			var subj v1alpha1.AdminNetworkPolicySubject
			var in []v1alpha1.AdminNetworkPolicyIngressRule
			var eg []v1alpha1.AdminNetworkPolicyEgressRule
			obj := apiObject{}
			if a, ok := v.(*ANP); ok {
				subj, in, eg, obj.priority = a.Spec.Subject, a.Spec.Ingress, a.Spec.Egress, a.Spec.Priority
			} else {
				b := v.(*BANP)
				obj.baseline = true
				subj = b.Spec.Subject
				for _, r := range b.Spec.Ingress {
					in = append(in, v1alpha1.AdminNetworkPolicyIngressRule{Action: v1alpha1.AdminNetworkPolicyRuleAction(r.Action), From: r.From, Ports: r.Ports})
				}
				for _, r := range b.Spec.Egress {
					var to []v1alpha1.AdminNetworkPolicyEgressPeer
					for _, p := range r.To {
						to = append(to, v1alpha1.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: p.Pods, Nodes: p.Nodes, Networks: p.Networks})
					}
					eg = append(eg, v1alpha1.AdminNetworkPolicyEgressRule{Action: v1alpha1.AdminNetworkPolicyRuleAction(r.Action), To: to, Ports: r.Ports})
				}
			}
			obj.subject = nsPod1(subj.Namespaces, subj.Pods)
			action := func(a v1alpha1.AdminNetworkPolicyRuleAction) string {
				if a == v1alpha1.AdminNetworkPolicyRuleActionAllow {
					return "Accept"
				}
				return string(a)
			}
			for _, r := range in {
				ar := apiRule{action: action(r.Action), ports: v1ports(r.Ports)}
				for _, p := range r.From {
					ar.peers = append(ar.peers, nsPod1(p.Namespaces, p.Pods))
				}
				obj.ingress = append(obj.ingress, ar)
			}
			for _, r := range eg {
				ar := apiRule{action: action(r.Action), ports: v1ports(r.Ports)}
				for _, p := range r.To {
					ap := nsPod1(p.Namespaces, p.Pods)
					ap.nodes = p.Nodes
					ap.networks = plainStrings(p.Networks)
					ap.domains = plainStrings(p.DomainNames)
					ar.peers = append(ar.peers, ap)
				}
				obj.egress = append(obj.egress, ar)
			}
			if obj.baseline {
				set.baseline = append(set.baseline, obj)
			} else {
				set.admin = append(set.admin, obj)
			}
		default:
			t.Fatalf("unexpected object %T", o)
		}
	}
	for _, objs := range [][]apiObject{set.admin, set.baseline} {
		sort.SliceStable(objs, func(i, j int) bool { return objs[i].priority < objs[j].priority })
		for i := 1; i < len(objs); i++ {
			if objs[i].priority == objs[i-1].priority {
				t.Fatalf("two objects of one tier at priority %d", objs[i].priority)
			}
		}
	}
	return set
}

// reference decides flows on an apiSet over a world.
type reference struct {
	w      *eval.World
	set    *apiSet
	oracle *nporacle.Oracle
}

func matches(sel *metav1.LabelSelector, l map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		panic(err)
	}
	return s.Matches(labels.Set(l))
}

func (ref *reference) nsLabels(ns string) map[string]string {
	out := map[string]string{"kubernetes.io/metadata.name": ns}
	for _, n := range ref.w.Namespaces {
		if n.Name == ns {
			for k, v := range n.Labels {
				out[k] = v
			}
		}
	}
	return out
}

// peerMatches: does ep fall under p?
func (ref *reference) peerMatches(p apiPeer, ep eval.Endpoint) bool {
	switch {
	case p.namespaces != nil:
		if ep.Kind != eval.EndpointPod || !matches(p.namespaces, ref.nsLabels(ep.Pod.Namespace)) {
			return false
		}
		return p.pods == nil || matches(p.pods, ep.Pod.Labels)
	case p.networks != nil:
		var ip netip.Addr
		switch ep.Kind {
		case eval.EndpointPod:
			ip = ep.Pod.IP
		case eval.EndpointExternal:
			ip = ep.External.IP
		case eval.EndpointNode:
			ip = ep.Node.IP
		}
		for _, n := range p.networks {
			if ip.IsValid() && netip.MustParsePrefix(n).Contains(ip) {
				return true
			}
		}
		return false
	case p.nodes != nil:
		return ep.Kind == eval.EndpointNode && matches(p.nodes, ep.Node.Labels)
	}
	return false // domain names: no flow of these tests carries a name
}

// portMatches: does the flow to dst on proto/port fall under ports? A
// named port is the destination pod's container port of that name, with
// its own number and protocol.
func portMatches(ports []apiPort, dst eval.Endpoint, proto string, port uint16) bool {
	if ports == nil {
		return true
	}
	for _, p := range ports {
		if p.name != "" {
			if dst.Kind != eval.EndpointPod {
				continue
			}
			for _, cp := range dst.Pod.Ports {
				cproto := string(cp.Protocol)
				if cproto == "" {
					cproto = "TCP"
				}
				if cp.Name == p.name && cp.Port == port && cproto == proto {
					return true
				}
			}
			continue
		}
		if p.protocol == proto && p.start <= int32(port) && int32(port) <= p.end {
			return true
		}
	}
	return false
}

// tier returns the action of the first rule of objs that matches, "" for
// none.
func (ref *reference) tier(objs []apiObject, d ir.Direction, subject, peer, dst eval.Endpoint, proto string, port uint16) string {
	for _, obj := range objs {
		if !ref.peerMatches(obj.subject, subject) {
			continue
		}
		rules := obj.ingress
		if d == ir.Egress {
			rules = obj.egress
		}
		for _, r := range rules {
			if !portMatches(r.ports, dst, proto, port) {
				continue
			}
			for _, p := range r.peers {
				if ref.peerMatches(p, peer) {
					return r.action
				}
			}
		}
	}
	return ""
}

// side decides one direction of f on the side of subject.
func (ref *reference) side(f eval.Flow, d ir.Direction) bool {
	subject, peer := f.From, f.To
	if d == ir.Ingress {
		subject, peer = f.To, f.From
	}
	if subject.Kind != eval.EndpointPod {
		return true // only pods are governed
	}
	proto := string(f.Protocol)
	if proto == "" {
		proto = "TCP"
	}
	switch ref.tier(ref.set.admin, d, subject, peer, f.To, proto, f.Port) {
	case "Accept":
		return true
	case "Deny":
		return false
	}
	res := ref.oracle.Result(f)
	dr := res.Ingress
	if d == ir.Egress {
		dr = res.Egress
	}
	if len(dr.AllowingTargets)+len(dr.DenyingTargets) > 0 {
		return dr.IsAllowed()
	}
	return ref.tier(ref.set.baseline, d, subject, peer, f.To, proto, f.Port) != "Deny"
}

func (ref *reference) allowed(f eval.Flow) bool {
	return ref.side(f, ir.Egress) && ref.side(f, ir.Ingress)
}

// namedPortsOneProtocol gives the container ports of w the protocol that
// the rules of p give their names (protocol any leaves them be); false when
// p gives one name two protocols.
func namedPortsOneProtocol(p *ir.Program, w *eval.World) bool {
	proto := map[string]ir.Protocol{}
	for _, pol := range p.Policies {
		for _, r := range pol.Rules {
			for _, pr := range r.Ports {
				for _, port := range pr.Ports {
					if port.Name == "" || port.Protocol == ir.ProtoAny {
						continue
					}
					if old, ok := proto[port.Name]; ok && old != port.Protocol {
						return false
					}
					proto[port.Name] = port.Protocol
				}
			}
		}
	}
	for i := range w.Pods {
		ports := append([]eval.ContainerPort(nil), w.Pods[i].Ports...)
		for j := range ports {
			if pr, ok := proto[ports[j].Name]; ok {
				ports[j].Protocol = pr
			}
		}
		w.Pods[i].Ports = ports
	}
	return true
}

// probePorts are the ports worth probing for p over w: those the rules
// name, their neighbours and range ends, the pods' container ports, and a
// few common ones.
func probePorts(p *ir.Program, w *eval.World) []uint16 {
	set := map[uint16]bool{53: true, 80: true, 443: true, 1: true, 65535: true}
	add := func(n int) {
		if n >= 1 && n <= 65535 {
			set[uint16(n)] = true
		}
	}
	for _, pol := range p.Policies {
		for _, r := range pol.Rules {
			for _, pr := range r.Ports {
				for _, port := range pr.Ports {
					if port.Port != 0 {
						add(int(port.Port) - 1)
						add(int(port.Port))
						add(int(port.Port) + 1)
					}
					if port.EndPort != 0 {
						add(int(port.EndPort))
						add(int(port.EndPort) + 1)
					}
				}
			}
		}
	}
	for _, pod := range w.Pods {
		for _, cp := range pod.Ports {
			add(int(cp.Port))
		}
	}
	out := make([]uint16, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// TestDifferential: random programs within what the target expresses
// (testgen.NewOrdered with OrderedOptions.NetpolAPI and NoNamedPorts: ordered blocks with
// allow, deny and pass rules, deny and nonisolating rules, cluster-wide
// egress isolation, namespaces' own policies) are compiled, emitted in
// v1alpha2 and v1alpha1, every object validated and strict-decoded, and
// the reference above must give compile/eval's verdict on every sampled
// flow between pods and external addresses, on TCP, UDP and SCTP; a third
// run keeps named ports in the admin rules, over worlds where each name has
// the protocol the program gives it. A mismatch is shrunk to a minimal
// program.
func TestDifferential(t *testing.T) {
	n := *diffPrograms
	if testing.Short() {
		n = 10
	}
	// Named ports stay out of the admin rules: the API matches a container
	// port by its name whatever its protocol, where netpolc's named port
	// has one (the named-port-protocol warning); the reference implements
	// the API, so such programs would differ by design.
	opts := testgen.OrderedOptions{NetpolAPI: true, NoNamedPorts: true}
	var flows, allowed, programs, objects int
	for _, version := range []string{V1Alpha2, V1Alpha1, "named", "pods-in-cidrs"} {
		opts, mode := opts, diffMode{version: version}
		switch version {
		case "named":
			// Named ports in admin rules too, over worlds whose container
			// ports have the protocol the program gives their names, where
			// the API's named ports mean what netpolc's do
			// (--degrade named-port=any-protocol is then exact).
			mode = diffMode{version: V1Alpha2, named: true}
			opts.NoNamedPorts = false
		case "pods-in-cidrs":
			// Pods with addresses inside the programs' CIDRs, and those
			// addresses among the cluster's ranges: the networks leave
			// them out, exactly.
			mode = diffMode{version: V1Alpha2, podsInCIDRs: true}
		}
		for seed := int64(1); seed <= int64(n); seed++ {
			c := testgen.NewOrdered(seed, opts)
			res := diffCase(t, c, mode)
			if res.failure != "" {
				small := testgen.Shrink(c, func(c *testgen.Case) bool { return diffCase(t, c, mode).failure != "" })
				t.Fatalf("%s seed %d: %s\n--- program\n%s\n--- shrunk\n%s\n%s", version, seed, res.failure, c.Program.Source(), small.Program.Source(), diffCase(t, small, mode).failure)
			}
			if res.skipped {
				continue
			}
			programs++
			flows += res.flows
			allowed += res.allowed
			objects += res.objects
		}
	}
	t.Logf("%d programs (%d objects): %d flows agree (%d allowed)", programs, objects, flows, allowed)
	if programs < 3*n {
		t.Errorf("only %d of %d programs checked", programs, 4*n)
	}
}

// diffMode is how diffCase runs a program.
type diffMode struct {
	version string
	// named: the world's container ports get the protocols the program
	// gives their names, and named ports with a protocol are written with
	// --degrade named-port=any-protocol (then exact).
	named bool
	// podsInCIDRs: some pods get addresses inside the CIDRs of the
	// generated programs, and those addresses are cluster ranges.
	podsInCIDRs bool
	// noRanges: the target is not given the cluster's ranges, and
	// --degrade cidr=networks writes the CIDRs as networks.
	noRanges bool
}

// podRanges are the cluster ranges that podsInCIDRs moves pods into:
// inside the CIDRs testgen writes (203.0.113.0/24, 198.51.100.0/24,
// 192.0.2.0/24), and clear of its external addresses.
var podRanges = []string{"203.0.113.96/27", "198.51.100.192/26", "192.0.2.128/26"}

// movePods gives every other pod of w an address in podRanges.
func movePods(w *eval.World) {
	for i := range w.Pods {
		if i%2 == 1 {
			pr := netip.MustParsePrefix(podRanges[(i/2)%len(podRanges)])
			b := pr.Addr().As4()
			b[3] += byte(1 + i)
			w.Pods[i].IP = netip.AddrFrom4(b)
		}
	}
}

type diffResult struct {
	flows, allowed, objects int
	skipped                 bool
	failure                 string
	// mismatches counts the flows the objects decide otherwise, when a
	// degradation allows it (noRanges); each is checked to be a widening.
	mismatches int
}

func diffCase(t *testing.T, c *testgen.Case, mode diffMode) diffResult {
	prog, _ := backendtest.CompileGenerated(c)
	if prog == nil {
		return diffResult{skipped: true}
	}
	if mode.named || mode.podsInCIDRs {
		c = c.Clone()
	}
	if mode.named && !namedPortsOneProtocol(prog, c.World) {
		return diffResult{skipped: true}
	}
	cluster := testgen.ClusterCIDRs()
	if mode.podsInCIDRs {
		movePods(c.World)
		for _, r := range podRanges {
			cluster = append(cluster, netip.MustParsePrefix(r))
		}
	}
	opts := backends.Options{Degrade: map[backends.Feature]string{}}
	if mode.named {
		opts.Degrade[backends.FeatureNamedPort] = DegradeAnyProtocol
	}
	if mode.noRanges {
		cluster = nil
		opts.Degrade[backends.FeatureCIDR] = DegradeNetworks
	}
	b, err := New(Options{Version: mode.version, ClusterCIDRs: cluster})
	if err != nil {
		t.Fatal(err)
	}
	prepared, objs, diags := backends.Run(emitcheck.Checked(b, checkObject), prog, opts)
	if diags.HasErrors() {
		return diffResult{failure: fmt.Sprintf("the target refuses the program: %v", diags)}
	}
	data := backendtest.YAML(t, objs)
	set := readSet(t, decodeAll(t, data))
	var nps []*networkingv1.NetworkPolicy
	nps = append(nps, set.nps...)
	ref := &reference{w: c.World, set: set, oracle: nporacle.New(c.World, nps)}
	ev := eval.New(prepared, c.World)

	var eps []eval.Endpoint
	for i := range c.World.Pods {
		eps = append(eps, eval.PodEndpoint(&c.World.Pods[i]))
	}
	var exts []eval.Endpoint
	for i := range c.World.Externals {
		exts = append(exts, eval.ExternalEndpoint(&c.World.Externals[i]))
	}
	ports := probePorts(prog, c.World)
	r := rand.New(rand.NewPCG(uint64(c.Seed), 7))
	res := diffResult{objects: len(objs)}
	check := func(from, to eval.Endpoint) string {
		for _, proto := range []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP} {
			port := ports[r.IntN(len(ports))]
			f := eval.Flow{From: from, To: to, Protocol: proto, Port: port}
			want := ev.Decide(f).Allowed
			got := ref.allowed(f)
			res.flows++
			if want {
				res.allowed++
			}
			if got != want && mode.noRanges && widening(prog, f, got) {
				res.mismatches++
				continue
			}
			if got != want {
				return fmt.Sprintf("%s: the objects say allowed=%v, the program %v (egress %v, ingress %v)\n--- objects\n%s", f, got, want, ref.side(f, ir.Egress), ref.side(f, ir.Ingress), data)
			}
		}
		return ""
	}
	for _, from := range eps {
		for _, to := range eps {
			for k := 0; k < 3; k++ {
				if msg := check(from, to); msg != "" {
					res.failure = msg
					return res
				}
			}
		}
		for _, x := range exts {
			if msg := check(from, x); msg != "" {
				res.failure = msg
				return res
			}
			if msg := check(x, from); msg != "" {
				res.failure = msg
				return res
			}
		}
	}
	return res
}

// widening reports whether the objects' verdict got on f can come from
// networks matching a pod: the peer of one side is a pod whose address
// lies in a CIDR of prog.
func widening(prog *ir.Program, f eval.Flow, got bool) bool {
	for _, ep := range []eval.Endpoint{f.From, f.To} {
		if ep.Kind != eval.EndpointPod {
			continue
		}
		for _, pol := range prog.Policies {
			for _, r := range pol.Rules {
				for _, p := range r.Peers {
					if p.Kind == ir.PeerCIDR && p.CIDR.Contains(ep.Pod.IP) {
						return true
					}
				}
			}
		}
	}
	return false
}

// TestDifferentialWidened: without the cluster's ranges, pods inside the
// programs' CIDRs are matched by the networks (--degrade cidr=networks):
// the objects then decide some flows otherwise, every one of them a flow
// of such a pod (the widening the warning reports), and without the
// degradation the target refuses those programs with networks-match-pods.
func TestDifferentialWidened(t *testing.T) {
	n := 40
	if testing.Short() {
		n = 10
	}
	opts := testgen.OrderedOptions{NetpolAPI: true, NoNamedPorts: true}
	mode := diffMode{version: V1Alpha2, podsInCIDRs: true, noRanges: true}
	var mismatches, refused, programs int
	for seed := int64(1); seed <= int64(n); seed++ {
		c := testgen.NewOrdered(seed, opts)
		res := diffCase(t, c, mode)
		if res.failure != "" {
			t.Fatalf("seed %d: %s\n--- program\n%s", seed, res.failure, c.Program.Source())
		}
		if res.skipped {
			continue
		}
		programs++
		mismatches += res.mismatches
		prog, _ := backendtest.CompileGenerated(c)
		b, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, _, diags := backends.Run(b, prog, backends.Options{})
		cidrs := false
		for _, d := range diags {
			cidrs = cidrs || d.Code == codeNetworksMatchPods
		}
		if cidrs {
			refused++
		}
		if res.mismatches > 0 && !cidrs {
			t.Errorf("seed %d: %d flows widened, but the target accepts the program without ranges", seed, res.mismatches)
		}
	}
	t.Logf("%d programs: %d refused without ranges, %d flows widened with --degrade cidr=networks", programs, refused, mismatches)
	if mismatches == 0 || refused == 0 {
		t.Errorf("no widening seen (%d refused): the test cannot fail", refused)
	}
}

// TestAnyProgram: programs of every generator (NetworkPolicy-shaped,
// Cilium-shaped with entities, DNS names, HTTP and ICMP, and ordered ones
// without the netpol-api restriction) either compile for the target, with
// every object valid as built and as written, or fail with errors at
// source lines, never an internal error; in both versions.
func TestAnyProgram(t *testing.T) {
	n := 60
	if testing.Short() {
		n = 15
	}
	gens := map[string]func(int64) *testgen.Case{
		"new":     testgen.New,
		"cilium":  testgen.NewCilium,
		"ordered": func(seed int64) *testgen.Case { return testgen.NewOrdered(seed, testgen.OrderedOptions{}) },
	}
	for _, name := range []string{"new", "cilium", "ordered"} {
		var ok, refused int
		for seed := int64(1); seed <= int64(n); seed++ {
			c := gens[name](seed)
			prog, _ := backendtest.CompileGenerated(c)
			if prog == nil {
				continue
			}
			for _, version := range []string{V1Alpha2, V1Alpha1} {
				b, err := New(Options{Version: version, ClusterCIDRs: testgen.ClusterCIDRs()})
				if err != nil {
					t.Fatal(err)
				}
				// Named ports with a protocol are degraded, so that the
				// programs that have them still reach Emit.
				degrade := map[backends.Feature]string{backends.FeatureNamedPort: DegradeAnyProtocol}
				_, objs, diags := backends.Run(emitcheck.Checked(b, checkObject), prog, backends.Options{Targets: allTargets(t), Degrade: degrade})
				for _, d := range diags {
					if d.Code == codeInternal || (d.Severity == diag.Error && !d.Span.IsValid()) {
						t.Fatalf("%s seed %d %s: %s\n%s", name, seed, version, d.Error(), c.Program.Source())
					}
				}
				if diags.HasErrors() {
					refused++
					continue
				}
				decodeAll(t, backendtest.YAML(t, objs))
				ok++
			}
		}
		t.Logf("%s: %d outputs, %d refused", name, ok, refused)
		if ok == 0 {
			t.Errorf("%s: no program compiled for the target", name)
		}
	}
}

// plainStrings is xs as plain strings, nil where xs is empty. It is the
// test's own: the reading of the emitted objects shares no code with the
// target.
func plainStrings[T ~string](xs []T) []string {
	var out []string
	for _, x := range xs {
		out = append(out, string(x))
	}
	return out
}
