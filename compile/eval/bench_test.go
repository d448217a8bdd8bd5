package eval

import (
	"fmt"
	"math/rand"
	"net/netip"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
)

// benchSetup builds 1,000 pods in 20 namespaces and 200 policies (10 per
// namespace), each isolating both directions with ingress rules from pods
// and namespaces, egress rules to pods, a named port, DNS and the world.
func benchSetup() (*ir.Program, *World) {
	const namespaces, podsPerNS, policiesPerNS = 20, 50, 10
	w := &World{}
	for n := 0; n < namespaces; n++ {
		ns := fmt.Sprintf("ns%d", n)
		w.Namespaces = append(w.Namespaces, Namespace{Name: ns, Labels: map[string]string{"team": fmt.Sprintf("t%d", n%4)}})
		for i := 0; i < podsPerNS; i++ {
			w.Pods = append(w.Pods, Pod{Namespace: ns, Name: fmt.Sprintf("pod%d", i),
				Labels: map[string]string{"app": fmt.Sprintf("a%d", i%policiesPerNS), "version": fmt.Sprintf("v%d", i%3)},
				IP:     netip.AddrFrom4([4]byte{10, byte(n), 0, byte(i + 1)}),
				Ports:  []ContainerPort{{Name: "metrics", Port: 9090}}})
		}
	}
	w.Namespaces = append(w.Namespaces, Namespace{Name: "kube-system"})
	w.Pods = append(w.Pods, Pod{Namespace: "kube-system", Name: "coredns", Labels: map[string]string{"k8s-app": "kube-dns"}})
	for i := 0; i < 50; i++ {
		w.Externals = append(w.Externals, External{IP: netip.AddrFrom4([4]byte{52, 0, 0, byte(i + 1)}), Names: []string{fmt.Sprintf("s%d.example.com", i)}})
	}
	p := &ir.Program{DNS: ir.DefaultDNSServer()}
	line := 1
	for n := 0; n < namespaces; n++ {
		ns := fmt.Sprintf("ns%d", n)
		p.Governed = append(p.Governed, ns)
		for k := 0; k < policiesPerNS; k++ {
			next := fmt.Sprintf("a%d", (k+1)%policiesPerNS)
			pol := policy(line, ns, sel(fmt.Sprintf("app=a%d", k)), isoBoth,
				allowIn(line+1, peers(podsPeer("app="+next), podsInNS(sel(fmt.Sprintf("team=t%d", k%4)), "version=v1")), onPorts(ports(portRange(ir.TCP, 8000, 8100)))),
				allowIn(line+2, peers(podsIn("monitoring", "app=prometheus")), onPorts(ports(namedPortOf(ir.TCP, "metrics")))),
				denyIn(line+3, peers(podsInNS(sel("team=t3"), "version=v2")), onPorts(ports(port(ir.TCP, 8080)))),
				allowOut(line+4, peers(podsPeer("app="+next), podsIn(fmt.Sprintf("ns%d", (n+1)%namespaces))), onPorts(ports(port(ir.TCP, 8080), port(ir.TCP, 5432)))),
				allowOut(line+5, peers(podsIn("kube-system", "k8s-app=kube-dns")), onPorts(ports(port(ir.UDP, 53), port(ir.TCP, 53)))),
				allowOut(line+6, peers(fqdnPeer("*.example.com", false), cidrPeer("52.0.0.0/8", "52.0.0.128/25")), onPorts(ports(port(ir.TCP, 443)))),
			)
			p.Policies = append(p.Policies, pol)
			line += 10
		}
	}
	return p, w
}

func benchFlows(e *Evaluator, n int) []Flow {
	r := rand.New(rand.NewSource(1))
	eps := e.Endpoints()
	ports := []uint16{8080, 5432, 9090, 443, 53}
	out := make([]Flow, n)
	for i := range out {
		out[i] = Flow{From: eps[r.Intn(len(eps))], To: eps[r.Intn(len(eps))], Port: ports[r.Intn(len(ports))]}
	}
	return out
}

// BenchmarkDecide decides random flows over 1,000 pods and 200 policies
// (peer sets warm).
func BenchmarkDecide(b *testing.B) {
	p, w := benchSetup()
	e := New(p, w)
	fl := benchFlows(e, 1<<16)
	for _, f := range fl {
		e.Decide(f) // warm the peer sets
	}
	b.ReportAllocs()
	b.ResetTimer()
	allowed := 0
	for i := 0; i < b.N; i++ {
		if e.Decide(fl[i&(len(fl)-1)]).Allowed {
			allowed++
		}
	}
}

// BenchmarkNew measures the precomputation (subjects of every endpoint).
func BenchmarkNew(b *testing.B) {
	p, w := benchSetup()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		New(p, w)
	}
}

// BenchmarkMatrix decides the full pod-to-pod matrix on one port from a cold
// evaluator (reported per matrix).
func BenchmarkMatrix(b *testing.B) {
	p, w := benchSetup()
	for i := 0; i < b.N; i++ {
		e := New(p, w)
		eps := e.Endpoints()
		for _, from := range eps {
			for _, to := range eps {
				e.Decide(Flow{From: from, To: to, Port: 8080})
			}
		}
	}
}

func TestBenchSetupIsMeaningful(t *testing.T) {
	p, w := benchSetup()
	e := New(p, w)
	allowed, denied, byDeny := 0, 0, 0
	for _, f := range benchFlows(e, 20000) {
		v := e.Decide(f)
		if v.Allowed {
			allowed++
		} else {
			denied++
		}
		if len(v.Ingress.DeniedBy) > 0 {
			byDeny++
		}
	}
	if allowed == 0 || denied == 0 || byDeny == 0 {
		t.Errorf("benchmark flows are trivial: %d allowed, %d denied, %d by deny", allowed, denied, byDeny)
	}
}
