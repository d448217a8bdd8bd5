// Package knp asks kube-network-policies v0.8.0, SIG Network's reference
// agent, for its verdicts on netpolc's output without a dataplane: the
// agent's real Controller, built with NewController over informers of fake
// clientsets, holds a World's Namespaces, Pods and Nodes and the decoded
// NetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy objects in
// its informers' stores, and decides each flow with the function its NFQUEUE
// handler calls for the first packet of a connection,
// (*Controller).evaluatePacket. That function is unexported: export.go.in, a
// forwarding method of netpolc's, is added to the agent's package at build
// time with go's -overlay flag (see README.md). Nothing of the agent's code
// is copied here.
//
// The objects are put into the stores with Replace, what the informers'
// reflector does on a list, so the listers the agent reads see exactly them.
// The Controller is started no further: no nftables, no NFQUEUE, no DNS
// agent (domainNames peers match nothing, as in an agent that has seen no
// DNS answer).
package knp

import (
	"context"
	"fmt"
	"net"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/kube-network-policies/pkg/networkpolicy"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npafake "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned/fake"
	npainformers "sigs.k8s.io/network-policy-api/pkg/client/informers/externalversions"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/eval"
)

// NodeName is the agent's node and every Pod's spec.nodeName. No World node
// has this name, so a nodes peer never selects a pod through the node it
// runs on (the agent's nodes peers match the pods of the selected nodes).
const NodeName = "netpolc-knp-node"

// SourcePort is the source port of every judged packet.
const SourcePort = 40000

// Objects are the objects the agent reads, decoded strictly from YAML.
type Objects struct {
	NetworkPolicies []*networkingv1.NetworkPolicy
	ANPs            []*npav1alpha1.AdminNetworkPolicy
	BANPs           []*npav1alpha1.BaselineAdminNetworkPolicy
}

// Len is the number of objects.
func (o Objects) Len() int { return len(o.NetworkPolicies) + len(o.ANPs) + len(o.BANPs) }

// Decode strictly decodes a YAML stream of NetworkPolicy (networking.k8s.io/v1),
// AdminNetworkPolicy and BaselineAdminNetworkPolicy
// (policy.networking.k8s.io/v1alpha1) objects; any other kind is an error.
func Decode(data []byte) (Objects, error) {
	var out Objects
	for _, doc := range backends.SplitYAML(data) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return out, fmt.Errorf("decode: %v\n%s", err, doc)
		}
		var err error
		switch tm.APIVersion + " " + tm.Kind {
		case "networking.k8s.io/v1 NetworkPolicy":
			np := &networkingv1.NetworkPolicy{}
			err = yaml.UnmarshalStrict(doc, np)
			out.NetworkPolicies = append(out.NetworkPolicies, np)
		case "policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy":
			anp := &npav1alpha1.AdminNetworkPolicy{}
			err = yaml.UnmarshalStrict(doc, anp)
			out.ANPs = append(out.ANPs, anp)
		case "policy.networking.k8s.io/v1alpha1 BaselineAdminNetworkPolicy":
			banp := &npav1alpha1.BaselineAdminNetworkPolicy{}
			err = yaml.UnmarshalStrict(doc, banp)
			out.BANPs = append(out.BANPs, banp)
		default:
			err = fmt.Errorf("kube-network-policies v0.8.0 does not read %s %s", tm.APIVersion, tm.Kind)
		}
		if err != nil {
			return out, fmt.Errorf("decode: %v\n%s", err, doc)
		}
	}
	return out, nil
}

// Agent is one kube-network-policies Controller with AdminNetworkPolicy and
// BaselineAdminNetworkPolicy enabled (the agent's --admin-network-policy and
// --baseline-admin-network-policy). An Agent is not safe for concurrent
// Load; Allowed may run concurrently between Loads.
type Agent struct {
	ctrl                                    *networkpolicy.Controller
	nps, namespaces, pods, nodes, anps, bnp cache.Store
	world                                   *eval.World
}

// NewAgent builds the Controller over empty stores.
func NewAgent() (*Agent, error) {
	client := fake.NewClientset()
	npaClient := npafake.NewSimpleClientset()
	f := informers.NewSharedInformerFactory(client, 0)
	nf := npainformers.NewSharedInformerFactory(npaClient, 0)
	np := f.Networking().V1().NetworkPolicies()
	ns := f.Core().V1().Namespaces()
	pods := f.Core().V1().Pods()
	nodes := f.Core().V1().Nodes()
	anp := nf.Policy().V1alpha1().AdminNetworkPolicies()
	banp := nf.Policy().V1alpha1().BaselineAdminNetworkPolicies()
	ctrl, err := networkpolicy.NewController(client, np, ns, pods, nodes, npaClient, anp, banp, networkpolicy.Config{
		AdminNetworkPolicy:         true,
		BaselineAdminNetworkPolicy: true,
		NodeName:                   NodeName,
	})
	if err != nil {
		return nil, err
	}
	return &Agent{
		ctrl: ctrl,
		nps:  np.Informer().GetStore(), namespaces: ns.Informer().GetStore(),
		pods: pods.Informer().GetStore(), nodes: nodes.Informer().GetStore(),
		anps: anp.Informer().GetStore(), bnp: banp.Informer().GetStore(),
	}, nil
}

// Close stops the Controller's goroutines.
func (a *Agent) Close() { a.ctrl.NetpolcShutdown() }

// Load replaces everything the agent knows with w and objs.
func (a *Agent) Load(w *eval.World, objs Objects) error {
	a.world = w
	var nsl, podl, nodel, npl, anpl, banpl []any
	for _, n := range KubeNamespaces(w) {
		nsl = append(nsl, n)
	}
	for _, p := range KubePods(w, NodeName) {
		podl = append(podl, p)
	}
	for _, n := range w.Nodes {
		nodel = append(nodel, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: n.Labels}})
	}
	for _, o := range objs.NetworkPolicies {
		npl = append(npl, o)
	}
	for _, o := range objs.ANPs {
		anpl = append(anpl, o)
	}
	for _, o := range objs.BANPs {
		banpl = append(banpl, o)
	}
	for _, r := range []struct {
		s    cache.Store
		objs []any
	}{{a.namespaces, nsl}, {a.pods, podl}, {a.nodes, nodel}, {a.nps, npl}, {a.anps, anpl}, {a.bnp, banpl}} {
		if err := r.s.Replace(r.objs, "1"); err != nil {
			return err
		}
	}
	return nil
}

// KubeNamespaces returns w's namespaces as the API server stores them (with
// kubernetes.io/metadata.name).
func KubeNamespaces(w *eval.World) []*corev1.Namespace {
	var out []*corev1.Namespace
	for _, n := range w.Namespaces {
		labels := map[string]string{"kubernetes.io/metadata.name": n.Name}
		for k, v := range n.Labels {
			labels[k] = v
		}
		out = append(out, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: labels}})
	}
	return out
}

// KubePods returns w's pods with an address as running Pods on node, their
// named ports as the ports of one container.
func KubePods(w *eval.World, node string) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range w.Pods {
		if !p.IP.IsValid() {
			continue
		}
		c := corev1.Container{Name: "c", Image: "registry.k8s.io/pause:3.10"}
		for _, cp := range p.Ports {
			proto := corev1.Protocol(cp.Protocol)
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			c.Ports = append(c.Ports, corev1.ContainerPort{Name: cp.Name, ContainerPort: int32(cp.Port), Protocol: proto})
		}
		out = append(out, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels},
			Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{c}},
			Status: corev1.PodStatus{
				Phase: corev1.PodRunning,
				PodIP: p.IP.String(), PodIPs: []corev1.PodIP{{IP: p.IP.String()}},
			},
		})
	}
	return out
}

// EndpointIP returns the address of a pod, external or node, and false for
// an endpoint without one (the host, the kube-apiserver, a pod without IP).
func EndpointIP(ep eval.Endpoint) (net.IP, bool) {
	switch {
	case ep.Kind == eval.EndpointPod && ep.Pod.IP.IsValid():
		return net.IP(ep.Pod.IP.AsSlice()), true
	case ep.Kind == eval.EndpointExternal && ep.External.IP.IsValid():
		return net.IP(ep.External.IP.AsSlice()), true
	case ep.Kind == eval.EndpointNode && ep.Node.IP.IsValid():
		return net.IP(ep.Node.IP.AsSlice()), true
	}
	return nil, false
}

// Judgeable says why the agent cannot judge f ("" when it can): ICMP,
// L7 content, an end without an address, or ends of different IP families.
func Judgeable(f eval.Flow) string {
	src, ok1 := EndpointIP(f.From)
	dst, ok2 := EndpointIP(f.To)
	switch {
	case f.ICMP != nil:
		return "ICMP"
	case f.HTTP != nil || f.DNSName != "":
		return "L7 content"
	case !ok1 || !ok2:
		return "an end without an address"
	case (src.To4() == nil) != (dst.To4() == nil):
		return "mixed IP families"
	}
	return ""
}

// Allowed returns the agent's verdict on the first packet of f. f must be
// Judgeable.
func (a *Agent) Allowed(f eval.Flow) bool {
	src, _ := EndpointIP(f.From)
	dst, _ := EndpointIP(f.To)
	proto := corev1.Protocol(f.Protocol)
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	return a.ctrl.NetpolcEvaluatePacket(context.Background(), src, dst, SourcePort, int(f.Port), proto)
}

// NamedPorts returns the port names the admin objects of objs match with
// namedPort.
func NamedPorts(objs Objects) map[string]bool {
	out := map[string]bool{}
	add := func(ports *[]npav1alpha1.AdminNetworkPolicyPort) {
		if ports == nil {
			return
		}
		for _, p := range *ports {
			if p.NamedPort != nil {
				out[*p.NamedPort] = true
			}
		}
	}
	for _, o := range objs.ANPs {
		for _, r := range o.Spec.Ingress {
			add(r.Ports)
		}
		for _, r := range o.Spec.Egress {
			add(r.Ports)
		}
	}
	for _, o := range objs.BANPs {
		for _, r := range o.Spec.Ingress {
			add(r.Ports)
		}
		for _, r := range o.Spec.Egress {
			add(r.Ports)
		}
	}
	return out
}

// LooseNamedPort reports whether deviation (b) of the agent can bear on f:
// its destination pod has a container port with one of names, and f is not
// to that port's number and protocol. The agent matches a namedPort on every
// port of a pod that has a port of that name; the API only on that port.
func LooseNamedPort(names map[string]bool, f eval.Flow) bool {
	if len(names) == 0 || f.To.Kind != eval.EndpointPod {
		return false
	}
	proto := f.Protocol
	if proto == "" {
		proto = "TCP"
	}
	for _, cp := range f.To.Pod.Ports {
		cproto := cp.Protocol
		if cproto == "" {
			cproto = "TCP"
		}
		if names[cp.Name] && (cp.Port != f.Port || cproto != proto) {
			return true
		}
	}
	return false
}

// DomainNames returns the domainNames of the admin objects of objs,
// lower-cased.
func DomainNames(objs Objects) []string {
	var out []string
	for _, o := range objs.ANPs {
		for _, r := range o.Spec.Egress {
			for _, p := range r.To {
				for _, d := range p.DomainNames {
					out = append(out, strings.ToLower(strings.TrimSuffix(string(d), ".")))
				}
			}
		}
	}
	return out
}

// UnresolvedDomain reports whether deviation (c) bears on f: its
// destination is an external address with a DNS name that one of domains
// matches (the API's reading: "*.x" matches one or more labels before .x,
// anything else the name itself). The agent matches domainNames only
// against the addresses its DNS agent saw in answers, and here none runs.
func UnresolvedDomain(domains []string, f eval.Flow) bool {
	if len(domains) == 0 || f.To.Kind != eval.EndpointExternal {
		return false
	}
	for _, n := range f.To.External.Names {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		for _, d := range domains {
			if rest, ok := strings.CutPrefix(d, "*"); ok {
				if strings.HasSuffix(n, rest) && len(n) > len(rest) {
					return true
				}
			} else if n == d {
				return true
			}
		}
	}
	return false
}
