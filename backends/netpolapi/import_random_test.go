package netpolapi

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/network-policy-api/apis/v1alpha1"
	"sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/source"
)

// TestImportRandomAgainstReference writes random sets of admin policies,
// in v1alpha1 (AdminNetworkPolicy, the BaselineAdminNetworkPolicy) and in
// v1alpha2 (ClusterNetworkPolicy of both tiers), as people write them
// (protocols left out at times, any mix of actions, peers and ports, not
// only what netpolc emits), imports them, and requires compile/eval on the
// imported program to give every flow between a pod and a pod, node or
// external address of the program's world the verdict of the reference of
// the API's tiers (diff_test.go), which reads the upstream objects and
// never the IR. Sets the importer refuses are a failure: the generator
// writes only what has an exact reading (distinct priorities, baselines
// that deny every egress destination, nodes: {}, networks of both
// families or outside the pods' addresses).
func TestImportRandomAgainstReference(t *testing.T) {
	n := testgen.ProgramCount(*importProgramsFlag, "NETPOLC_IMPORT_PROGRAMS", 50, 30)
	flows, passes, ordered := 0, 0, 0
	for seed := int64(1); seed <= int64(n); seed++ {
		data := randomAdminSet(seed)
		file := source.NewFile("random.yaml", data)
		objs, d := yamlsrc.Read([]*source.File{file}, yamlsrc.Options{Kinds: ImportKinds})
		prog, d2 := Importer{}.Import(objs)
		d.Append(d2)
		if d.HasErrors() || prog == nil {
			t.Fatalf("seed %d: the set does not import: %v\n%s", seed, d, data)
		}
		set, ok := referenceObjects(t, objs)
		if !ok {
			t.Fatalf("seed %d: two objects of one priority\n%s", seed, data)
		}
		w := worldOf(prog)
		ref := &reference{w: w, set: readSet(t, set)}
		ev := eval.New(prog, w)
		pods, others := podsAndOthers(w)
		ports := probePorts(prog, w)
		check := func(from, to eval.Endpoint) {
			for _, port := range ports {
				for _, proto := range []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP} {
					f := eval.Flow{From: from, To: to, Protocol: proto, Port: port}
					flows++
					v := ev.Decide(f)
					if v.Egress.Ordered != nil && v.Egress.Ordered.Action == ir.Pass || v.Ingress.Ordered != nil && v.Ingress.Ordered.Action == ir.Pass {
						passes++
					}
					if got, want := v.Allowed, referenceAllowed(ref, f); got != want {
						t.Fatalf("seed %d: %s: the imported program allowed=%v, the reference on the objects allowed=%v\n--- objects\n%s--- imported\n%s", seed, f, got, want, data, ir.Format(prog))
					}
				}
			}
		}
		for _, from := range pods {
			for _, to := range pods {
				check(from, to)
			}
			for _, o := range others {
				check(from, o)
				check(o, from)
			}
		}
		for _, pol := range prog.Policies {
			if pol.Tier == ir.TierOrdered {
				ordered++
				break
			}
		}
	}
	t.Logf("%d random sets (%d with ordered policies), %d flows judged alike, %d of them decided by a pass", n, ordered, flows, passes)
	if ordered < n/2 || passes == 0 {
		t.Errorf("the generator is too tame: %d sets with ordered policies, %d flows passed", ordered, passes)
	}
}

// randomAdminSet writes the set of admin policies of seed as YAML.
func randomAdminSet(seed int64) []byte {
	g := &adminGen{r: rand.New(rand.NewPCG(uint64(seed), 13))}
	v1 := g.r.IntN(2) == 0
	var docs []any
	prios := g.r.Perm(40)
	for i := range 1 + g.r.IntN(3) {
		prio := int32(prios[i] * 3)
		if v1 {
			docs = append(docs, g.anp(i, prio))
		} else {
			docs = append(docs, g.cnp(i, prio))
		}
	}
	if g.r.IntN(3) == 0 {
		if v1 {
			docs = append(docs, g.banp())
		} else {
			docs = append(docs, g.baselineCNP())
		}
	}
	var buf bytes.Buffer
	for _, d := range docs {
		b, err := yaml.Marshal(d)
		if err != nil {
			panic(err)
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	return buf.Bytes()
}

type adminGen struct{ r *rand.Rand }

func (g *adminGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// selector returns a pod or namespace selector over the keys given.
func (g *adminGen) selector(keys map[string][]string) metav1.LabelSelector {
	var s metav1.LabelSelector
	for k, vals := range keys {
		switch g.r.IntN(5) {
		case 0:
			if s.MatchLabels == nil {
				s.MatchLabels = map[string]string{}
			}
			s.MatchLabels[k] = vals[g.r.IntN(len(vals))]
		case 1:
			op := []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}[g.r.IntN(4)]
			x := metav1.LabelSelectorRequirement{Key: k, Operator: op}
			if op == metav1.LabelSelectorOpIn || op == metav1.LabelSelectorOpNotIn {
				x.Values = []string{vals[g.r.IntN(len(vals))]}
			}
			s.MatchExpressions = append(s.MatchExpressions, x)
		}
	}
	return s
}

var (
	podKeys = map[string][]string{"app": {"a", "b", "c"}, "tier": {"x", "y"}}
	nsKeys  = map[string][]string{"team": {"red", "blue"}, namespaceNameLabel: {"ns0", "ns1"}}
)

func (g *adminGen) pods() metav1.LabelSelector       { return g.selector(podKeys) }
func (g *adminGen) namespaces() metav1.LabelSelector { return g.selector(nsKeys) }

// networks returns a networks peer: both families whole, or blocks outside
// the world's pod and node addresses.
func (g *adminGen) networks() []string {
	switch g.r.IntN(3) {
	case 0:
		return []string{"0.0.0.0/0", "::/0"}
	case 1:
		return []string{"192.0.2.0/24"}
	}
	return []string{"169.254.169.254/32", "2001:db8::/64"}
}

// ports returns v1alpha1 ports (nil: all traffic); named ports only when
// named.
func (g *adminGen) ports(named bool) *[]v1alpha1.AdminNetworkPolicyPort {
	if g.r.IntN(3) == 0 {
		return nil
	}
	var out []v1alpha1.AdminNetworkPolicyPort
	for range 1 + g.r.IntN(2) {
		proto := corev1.Protocol(g.pick("", "TCP", "UDP", "SCTP"))
		switch g.r.IntN(3) {
		case 0:
			out = append(out, v1alpha1.AdminNetworkPolicyPort{PortNumber: &v1alpha1.Port{Protocol: proto, Port: int32(g.pick2(80, 443, 5432, 53))}})
		case 1:
			start := int32(g.pick2(80, 5000, 8000))
			out = append(out, v1alpha1.AdminNetworkPolicyPort{PortRange: &v1alpha1.PortRange{Protocol: proto, Start: start, End: start + int32(1+g.r.IntN(1000))}})
		default:
			if named {
				name := g.pick("http", "metrics")
				out = append(out, v1alpha1.AdminNetworkPolicyPort{NamedPort: &name})
			} else {
				out = append(out, v1alpha1.AdminNetworkPolicyPort{PortNumber: &v1alpha1.Port{Protocol: "TCP", Port: 8080}})
			}
		}
	}
	return &out
}

func (g *adminGen) pick2(xs ...int) int { return xs[g.r.IntN(len(xs))] }

// nsPod returns a v1alpha1 namespaces or pods peer (and subject) shape.
func (g *adminGen) nsPod() (*metav1.LabelSelector, *v1alpha1.NamespacedPod) {
	if g.r.IntN(2) == 0 {
		ns := g.namespaces()
		return &ns, nil
	}
	return nil, &v1alpha1.NamespacedPod{NamespaceSelector: g.namespaces(), PodSelector: g.pods()}
}

func (g *adminGen) anp(i int, prio int32) *ANP {
	ns, pods := g.nsPod()
	o := &ANP{TypeMeta: metav1.TypeMeta{APIVersion: importV1alpha1, Kind: KindANP}, ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("anp-%d", i)},
		Spec: v1alpha1.AdminNetworkPolicySpec{Priority: prio, Subject: v1alpha1.AdminNetworkPolicySubject{Namespaces: ns, Pods: pods}}}
	action := func() v1alpha1.AdminNetworkPolicyRuleAction {
		return v1alpha1.AdminNetworkPolicyRuleAction(g.pick("Allow", "Deny", "Pass"))
	}
	for range g.r.IntN(3) {
		r := v1alpha1.AdminNetworkPolicyIngressRule{Action: action(), Ports: g.ports(true)}
		for range 1 + g.r.IntN(2) {
			ns, pods := g.nsPod()
			r.From = append(r.From, v1alpha1.AdminNetworkPolicyIngressPeer{Namespaces: ns, Pods: pods})
		}
		o.Spec.Ingress = append(o.Spec.Ingress, r)
	}
	for range g.r.IntN(3) {
		r := v1alpha1.AdminNetworkPolicyEgressRule{Action: action()}
		addresses := false
		for range 1 + g.r.IntN(2) {
			switch g.r.IntN(4) {
			case 0:
				var nets []v1alpha1.CIDR
				for _, c := range g.networks() {
					nets = append(nets, v1alpha1.CIDR(c))
				}
				r.To = append(r.To, v1alpha1.AdminNetworkPolicyEgressPeer{Networks: nets})
				addresses = true
			case 1:
				r.To = append(r.To, v1alpha1.AdminNetworkPolicyEgressPeer{Nodes: &metav1.LabelSelector{}})
				addresses = true
			default:
				ns, pods := g.nsPod()
				r.To = append(r.To, v1alpha1.AdminNetworkPolicyEgressPeer{Namespaces: ns, Pods: pods})
			}
		}
		r.Ports = g.ports(!addresses)
		o.Spec.Egress = append(o.Spec.Egress, r)
	}
	if len(o.Spec.Ingress)+len(o.Spec.Egress) == 0 {
		o.Spec.Ingress = []v1alpha1.AdminNetworkPolicyIngressRule{{Action: "Pass", From: []v1alpha1.AdminNetworkPolicyIngressPeer{{Namespaces: &metav1.LabelSelector{}}}}}
	}
	return o
}

// v2 converts v1alpha1 ports to v1alpha2 protocols.
func v2(ports *[]v1alpha1.AdminNetworkPolicyPort) []v1alpha2.ClusterNetworkPolicyProtocol {
	if ports == nil {
		return nil
	}
	var out []v1alpha2.ClusterNetworkPolicyProtocol
	for _, p := range *ports {
		var proto corev1.Protocol
		var dp v1alpha2.Port
		switch {
		case p.NamedPort != nil:
			out = append(out, v1alpha2.ClusterNetworkPolicyProtocol{DestinationNamedPort: *p.NamedPort})
			continue
		case p.PortNumber != nil:
			proto, dp.Number = p.PortNumber.Protocol, p.PortNumber.Port
		default:
			proto, dp.Range = p.PortRange.Protocol, &v1alpha2.PortRange{Start: p.PortRange.Start, End: p.PortRange.End}
		}
		switch proto {
		case "UDP":
			out = append(out, v1alpha2.ClusterNetworkPolicyProtocol{UDP: &v1alpha2.ClusterNetworkPolicyProtocolUDP{DestinationPort: &dp}})
		case "SCTP":
			out = append(out, v1alpha2.ClusterNetworkPolicyProtocol{SCTP: &v1alpha2.ClusterNetworkPolicyProtocolSCTP{DestinationPort: &dp}})
		default:
			out = append(out, v1alpha2.ClusterNetworkPolicyProtocol{TCP: &v1alpha2.ClusterNetworkPolicyProtocolTCP{DestinationPort: &dp}})
		}
	}
	return out
}

// cnp writes an Admin ClusterNetworkPolicy: an AdminNetworkPolicy's
// random content in v1alpha2's form.
func (g *adminGen) cnp(i int, prio int32) *CNP {
	a := g.anp(i, prio)
	pods := func(p *v1alpha1.NamespacedPod) *v1alpha2.NamespacedPod {
		if p == nil {
			return nil
		}
		return &v1alpha2.NamespacedPod{NamespaceSelector: p.NamespaceSelector, PodSelector: p.PodSelector}
	}
	action := func(act v1alpha1.AdminNetworkPolicyRuleAction) v1alpha2.ClusterNetworkPolicyRuleAction {
		if act == "Allow" {
			return "Accept"
		}
		return v1alpha2.ClusterNetworkPolicyRuleAction(act)
	}
	o := &CNP{TypeMeta: metav1.TypeMeta{APIVersion: importV1alpha2, Kind: KindCNP}, ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cnp-%d", i)},
		Spec: v1alpha2.ClusterNetworkPolicySpec{Tier: v1alpha2.AdminTier, Priority: prio,
			Subject: v1alpha2.ClusterNetworkPolicySubject{Namespaces: a.Spec.Subject.Namespaces, Pods: pods(a.Spec.Subject.Pods)}}}
	for _, r := range a.Spec.Ingress {
		out := v1alpha2.ClusterNetworkPolicyIngressRule{Action: action(r.Action), Protocols: v2(r.Ports)}
		for _, p := range r.From {
			out.From = append(out.From, v1alpha2.ClusterNetworkPolicyIngressPeer{Namespaces: p.Namespaces, Pods: pods(p.Pods)})
		}
		o.Spec.Ingress = append(o.Spec.Ingress, out)
	}
	for _, r := range a.Spec.Egress {
		out := v1alpha2.ClusterNetworkPolicyEgressRule{Action: action(r.Action), Protocols: v2(r.Ports)}
		for _, p := range r.To {
			peer := v1alpha2.ClusterNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: pods(p.Pods), Nodes: p.Nodes}
			for _, c := range p.Networks {
				peer.Networks = append(peer.Networks, v1alpha2.CIDR(c))
			}
			out.To = append(out.To, peer)
		}
		o.Spec.Egress = append(o.Spec.Egress, out)
	}
	return o
}

// denyAll is the baseline's egress deny of every destination, at times
// after a partial deny (which it subsumes).
func (g *adminGen) denyAll() []v1alpha1.BaselineAdminNetworkPolicyEgressRule {
	all := v1alpha1.BaselineAdminNetworkPolicyEgressRule{Action: "Deny", To: []v1alpha1.BaselineAdminNetworkPolicyEgressPeer{{Networks: []v1alpha1.CIDR{"0.0.0.0/0", "::/0"}}}}
	if g.r.IntN(2) == 0 {
		return []v1alpha1.BaselineAdminNetworkPolicyEgressRule{all}
	}
	ns := g.namespaces()
	return []v1alpha1.BaselineAdminNetworkPolicyEgressRule{{Action: "Deny", To: []v1alpha1.BaselineAdminNetworkPolicyEgressPeer{{Namespaces: &ns}}}, all}
}

func (g *adminGen) banp() *BANP {
	ns, pods := g.nsPod()
	return &BANP{TypeMeta: metav1.TypeMeta{APIVersion: importV1alpha1, Kind: KindBANP}, ObjectMeta: metav1.ObjectMeta{Name: BaselineName},
		Spec: v1alpha1.BaselineAdminNetworkPolicySpec{Subject: v1alpha1.AdminNetworkPolicySubject{Namespaces: ns, Pods: pods}, Egress: g.denyAll()}}
}

func (g *adminGen) baselineCNP() *CNP {
	b := g.banp()
	var subj v1alpha2.ClusterNetworkPolicySubject
	subj.Namespaces = b.Spec.Subject.Namespaces
	if p := b.Spec.Subject.Pods; p != nil {
		subj.Pods = &v1alpha2.NamespacedPod{NamespaceSelector: p.NamespaceSelector, PodSelector: p.PodSelector}
	}
	o := &CNP{TypeMeta: metav1.TypeMeta{APIVersion: importV1alpha2, Kind: KindCNP}, ObjectMeta: metav1.ObjectMeta{Name: "baseline"},
		Spec: v1alpha2.ClusterNetworkPolicySpec{Tier: v1alpha2.BaselineTier, Priority: 500, Subject: subj}}
	for _, r := range b.Spec.Egress {
		out := v1alpha2.ClusterNetworkPolicyEgressRule{Action: v1alpha2.ClusterNetworkPolicyRuleAction(r.Action)}
		for _, p := range r.To {
			peer := v1alpha2.ClusterNetworkPolicyEgressPeer{Namespaces: p.Namespaces}
			for _, c := range p.Networks {
				peer.Networks = append(peer.Networks, v1alpha2.CIDR(c))
			}
			out.To = append(out.To, peer)
		}
		o.Spec.Egress = append(o.Spec.Egress, out)
	}
	return o
}
