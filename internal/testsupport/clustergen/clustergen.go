// Package clustergen generates the benchmark cluster of the connectivity
// engine (compile/reach) and of `netpolc matrix`: namespaces of pods in
// tiers (web, api, worker, db), each pod its own one-replica Deployment,
// with per namespace a default deny and a DNS policy, and per workload one
// allow policy mixing pod, namespace and combined selectors,
// matchExpressions, several ports (numbered, named and endPort ranges) and
// ipBlocks with except. The cluster is written as Kubernetes objects the
// way `kubectl get ns,pods,deploy,rs -A -o yaml` prints them (a v1 List,
// server-side fields included) plus a document of external addresses in
// netpolc's world format, and the policies as a NetworkPolicy YAML stream;
// the same world is also returned as an eval.World.
//
// Everything is a function of the pod count, so every size is reproducible.
// It is test support: benchmarks and tests only.
package clustergen

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"net/netip"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// PodsPerNamespace is the number of application pods of each namespace.
const PodsPerNamespace = 20

// Cluster is a generated cluster.
type Cluster struct {
	// World is the cluster as the evaluator sees it: namespaces sorted by
	// name, pods by namespace and name, then the external addresses.
	World *eval.World
	// WorldYAML is the cluster as kubectl prints it, then the externals.
	WorldYAML []byte
	// Policies are the NetworkPolicies; PolicyYAML the same as a stream.
	Policies   []*networkingv1.NetworkPolicy
	PolicyYAML []byte
}

// tiers of the workloads, in turn.
var tiers = []string{"web", "api", "worker", "db"}

// containerPorts of each tier's pods.
var containerPorts = map[string][]corev1.ContainerPort{
	"web":    {{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
	"api":    {{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}, {Name: "grpc", ContainerPort: 9090, Protocol: corev1.ProtocolTCP}},
	"worker": {{Name: "metrics", ContainerPort: 9100, Protocol: corev1.ProtocolTCP}},
	"db":     {{Name: "postgres", ContainerPort: 5432, Protocol: corev1.ProtocolTCP}},
}

// externals are the addresses outside the cluster the ipBlocks select or
// leave out.
var externals = []string{"52.94.1.1", "52.94.7.7", "8.8.8.8", "192.168.10.1"}

// Generate returns the cluster of pods application pods (rounded up to
// whole namespaces of PodsPerNamespace, at least one) plus the two DNS
// pods of kube-system.
func Generate(pods int) *Cluster {
	nns := max(1, (pods+PodsPerNamespace-1)/PodsPerNamespace)
	c := &Cluster{World: &eval.World{}}
	// kubectl prints the kinds in the order asked for: ns,pods,deploy,rs.
	var items, podItems, depItems, rsItems []runtime.Object
	type ns struct {
		name   string
		labels map[string]string
	}
	var nss []ns
	for n := 0; n < nns; n++ {
		nss = append(nss, ns{fmt.Sprintf("ns-%04d", n), map[string]string{
			"team": fmt.Sprintf("t%d", n%5),
			"env":  []string{"prod", "staging", "dev"}[n%3],
		}})
	}
	nss = append(nss, ns{"kube-system", map[string]string{}})
	for _, n := range nss {
		l := map[string]string{eval.NamespaceNameLabel: n.name}
		for k, v := range n.labels {
			l[k] = v
		}
		items = append(items, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: meta(n.name, "", l),
			Spec:       corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"kubernetes"}},
			Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
		})
		c.World.Namespaces = append(c.World.Namespaces, eval.Namespace{Name: n.name, Labels: n.labels})
	}
	ip := 0
	addPod := func(nsName, app string, labels map[string]string, ports []corev1.ContainerPort) {
		hash := fmt.Sprintf("%09x", 0x5d7c9f8b6+ip)[:9]
		podLabels := map[string]string{"pod-template-hash": hash}
		for k, v := range labels {
			podLabels[k] = v
		}
		dep := &appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: meta(app, nsName, map[string]string{"app": app}),
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr(int32(1)),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
				Template: template(labels, ports),
			},
			Status: appsv1.DeploymentStatus{Replicas: 1, ReadyReplicas: 1, AvailableReplicas: 1, UpdatedReplicas: 1, ObservedGeneration: 1},
		}
		dep.Generation = 1
		rsName := app + "-" + hash
		rs := &appsv1.ReplicaSet{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
			ObjectMeta: meta(rsName, nsName, podLabels),
			Spec: appsv1.ReplicaSetSpec{
				Replicas: ptr(int32(1)),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app, "pod-template-hash": hash}},
				Template: template(podLabels, ports),
			},
			Status: appsv1.ReplicaSetStatus{Replicas: 1, ReadyReplicas: 1, AvailableReplicas: 1, FullyLabeledReplicas: 1, ObservedGeneration: 1},
		}
		rs.OwnerReferences = []metav1.OwnerReference{owner("apps/v1", "Deployment", app, dep.UID)}
		addr := netip.AddrFrom4([4]byte{10, 244, byte(ip / 250), byte(1 + ip%250)})
		ip++
		podName := rsName + "-x" + fmt.Sprintf("%04x", ip)
		tmpl := template(podLabels, ports)
		pod := &corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: meta(podName, nsName, podLabels),
			Spec:       tmpl.Spec,
			Status: corev1.PodStatus{
				Phase:    corev1.PodRunning,
				HostIP:   "192.168.0.10",
				PodIP:    addr.String(),
				PodIPs:   []corev1.PodIP{{IP: addr.String()}},
				QOSClass: corev1.PodQOSBurstable,
				Conditions: []corev1.PodCondition{
					{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: created},
				},
				ContainerStatuses: []corev1.ContainerStatus{{
					Name: "app", Ready: true, Image: "ghcr.io/example/app:2.4.1", ImageID: "ghcr.io/example/app@sha256:40384aa1f5ea",
					ContainerID: "containerd://4f1e2d3c", Started: ptr(true),
					State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: created}},
				}},
			},
		}
		pod.GenerateName = rsName + "-"
		pod.Spec.NodeName = "worker-1"
		pod.OwnerReferences = []metav1.OwnerReference{owner("apps/v1", "ReplicaSet", rsName, rs.UID)}
		podItems, depItems, rsItems = append(podItems, pod), append(depItems, dep), append(rsItems, rs)
		ep := eval.Pod{Namespace: nsName, Name: podName, Labels: podLabels, IP: addr, Workload: "Deployment/" + app}
		for _, p := range ports {
			ep.Ports = append(ep.Ports, eval.ContainerPort{Name: p.Name, Port: uint16(p.ContainerPort), Protocol: ir.Protocol(p.Protocol)})
		}
		c.World.Pods = append(c.World.Pods, ep)
	}
	for n := 0; n < nns; n++ {
		for w := 0; w < PodsPerNamespace; w++ {
			tier := tiers[w%len(tiers)]
			app := fmt.Sprintf("%s-%02d", tier, w)
			labels := map[string]string{"app": app, "tier": tier, "version": []string{"v1", "v2"}[w/len(tiers)%2]}
			addPod(nss[n].name, app, labels, containerPorts[tier])
		}
	}
	dnsPorts := []corev1.ContainerPort{{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}, {Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP}}
	for i := 0; i < 2; i++ {
		addPod("kube-system", fmt.Sprintf("coredns-%d", i), map[string]string{"k8s-app": "kube-dns"}, dnsPorts)
	}
	sort.Slice(c.World.Namespaces, func(i, j int) bool { return c.World.Namespaces[i].Name < c.World.Namespaces[j].Name })
	sort.Slice(c.World.Pods, func(i, j int) bool {
		a, b := &c.World.Pods[i], &c.World.Pods[j]
		return a.Namespace < b.Namespace || (a.Namespace == b.Namespace && a.Name < b.Name)
	})
	for _, x := range externals {
		c.World.Externals = append(c.World.Externals, eval.External{IP: netip.MustParseAddr(x)})
	}

	items = append(append(append(items, podItems...), depItems...), rsItems...)
	var buf bytes.Buffer
	list := &corev1.List{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "List"}}
	for _, it := range items {
		list.Items = append(list.Items, runtime.RawExtension{Object: it})
	}
	data, err := yaml.Marshal(list)
	if err != nil {
		panic(err) // the objects are built above: always marshal
	}
	buf.Write(data)
	buf.WriteString("---\n# Addresses outside the cluster, in netpolc's world format.\nexternals:\n")
	for _, x := range externals {
		fmt.Fprintf(&buf, "  - ip: %s\n", x)
	}
	c.WorldYAML = bytes.Clone(buf.Bytes())

	for n := 0; n < nns; n++ {
		c.Policies = append(c.Policies, namespacePolicies(nss[n].name)...)
		for w := 0; w < PodsPerNamespace; w++ {
			c.Policies = append(c.Policies, workloadPolicy(nss[n].name, n, w, nns))
		}
	}
	buf.Reset()
	for _, np := range c.Policies {
		data, err := yaml.Marshal(np)
		if err != nil {
			panic(err)
		}
		buf.WriteString("---\n")
		buf.Write(data)
	}
	c.PolicyYAML = buf.Bytes()
	return c
}

var created = metav1.Date(2026, 11, 20, 9, 12, 44, 0, time.UTC)

func meta(name, ns string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: name, Namespace: ns, Labels: labels, CreationTimestamp: created, ResourceVersion: "88231",
		UID: uid(ns + "/" + name),
	}
}

func owner(apiVersion, kind, name string, u types.UID) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: u, Controller: ptr(true), BlockOwnerDeletion: ptr(true)}
}

func template(labels map[string]string, ports []corev1.ContainerPort) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: "app", Image: "ghcr.io/example/app:2.4.1", ImagePullPolicy: corev1.PullIfNotPresent, Ports: ports,
				TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			}},
			DNSPolicy: corev1.DNSClusterFirst, RestartPolicy: corev1.RestartPolicyAlways, SchedulerName: "default-scheduler",
			ServiceAccountName: "default", TerminationGracePeriodSeconds: ptr(int64(30)),
		},
	}
}

func ptr[T any](v T) *T { return &v }

func tcp(port int) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: ptr(corev1.ProtocolTCP), Port: ptr(intstr.FromInt32(int32(port)))}
}

func named(name string) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: ptr(corev1.ProtocolTCP), Port: ptr(intstr.FromString(name))}
}

func portRange(first, last int) networkingv1.NetworkPolicyPort {
	p := tcp(first)
	p.EndPort = ptr(int32(last))
	return p
}

func np(ns, name string, sel metav1.LabelSelector, types ...networkingv1.PolicyType) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: sel, PolicyTypes: types},
	}
}

// namespacePolicies are the default deny and the DNS policy of ns.
func namespacePolicies(ns string) []*networkingv1.NetworkPolicy {
	deny := np(ns, "default-deny", metav1.LabelSelector{}, networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress)
	dns := np(ns, "allow-dns", metav1.LabelSelector{}, networkingv1.PolicyTypeEgress)
	dns.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
		To: []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{eval.NamespaceNameLabel: "kube-system"}},
			PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
		}},
		Ports: []networkingv1.NetworkPolicyPort{
			{Protocol: ptr(corev1.ProtocolUDP), Port: ptr(intstr.FromInt32(53))},
			tcp(53),
		},
	}}
	return []*networkingv1.NetworkPolicy{deny, dns}
}

// workloadPolicy is the allow policy of workload w of namespace ns (the
// n-th of nns).
func workloadPolicy(ns string, n, w, nns int) *networkingv1.NetworkPolicy {
	tier := tiers[w%len(tiers)]
	app := fmt.Sprintf("%s-%02d", tier, w)
	p := np(ns, "allow-"+app, metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
		networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress)
	pods := func(l map[string]string, x ...metav1.LabelSelectorRequirement) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: l, MatchExpressions: x}
	}
	team := fmt.Sprintf("t%d", (n+1)%5)
	neighbour := fmt.Sprintf("ns-%04d", (n+1)%nns)
	switch tier {
	case "web":
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{
			{
				From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8", "192.168.0.0/16"}}}},
				Ports: []networkingv1.NetworkPolicyPort{tcp(8080), tcp(8443)},
			},
			{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: pods(map[string]string{"team": team}), PodSelector: pods(nil, metav1.LabelSelectorRequirement{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"web", "api"}})}},
				Ports: []networkingv1.NetworkPolicyPort{named("http"), portRange(8000, 8100)},
			},
		}
		p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
			To:    []networkingv1.NetworkPolicyPeer{{PodSelector: pods(map[string]string{"tier": "api"})}},
			Ports: []networkingv1.NetworkPolicyPort{tcp(8080), tcp(9090), named("grpc")},
		}}
	case "api":
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{
			{
				From: []networkingv1.NetworkPolicyPeer{
					{PodSelector: pods(map[string]string{"tier": "web"})},
					{NamespaceSelector: pods(map[string]string{eval.NamespaceNameLabel: neighbour}), PodSelector: pods(map[string]string{"tier": "web"})},
				},
				Ports: []networkingv1.NetworkPolicyPort{named("http"), tcp(9090), portRange(8000, 8100)},
			},
		}
		p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{
			{
				To:    []networkingv1.NetworkPolicyPeer{{PodSelector: pods(map[string]string{"tier": "db"}, metav1.LabelSelectorRequirement{Key: "version", Operator: metav1.LabelSelectorOpExists})}},
				Ports: []networkingv1.NetworkPolicyPort{tcp(5432)},
			},
			{
				To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "52.94.0.0/16", Except: []string{"52.94.7.0/24"}}}},
				Ports: []networkingv1.NetworkPolicyPort{tcp(443), tcp(80)},
			},
		}
	case "worker":
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: pods(nil, metav1.LabelSelectorRequirement{Key: "env", Operator: metav1.LabelSelectorOpIn, Values: []string{"prod", "staging"}})}},
			Ports: []networkingv1.NetworkPolicyPort{named("metrics"), tcp(9100)},
		}}
		p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{
			{
				To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}}}},
				Ports: []networkingv1.NetworkPolicyPort{tcp(443), portRange(30000, 32767)},
			},
			{
				To:    []networkingv1.NetworkPolicyPeer{{PodSelector: pods(nil, metav1.LabelSelectorRequirement{Key: "tier", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"web", "worker"}})}},
				Ports: []networkingv1.NetworkPolicyPort{tcp(8080), tcp(5432)},
			},
		}
	case "db":
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{
				{PodSelector: pods(map[string]string{"tier": "api"}, metav1.LabelSelectorRequirement{Key: "version", Operator: metav1.LabelSelectorOpIn, Values: []string{"v1", "v2"}})},
				{PodSelector: pods(map[string]string{"tier": "worker"})},
			},
			Ports: []networkingv1.NetworkPolicyPort{named("postgres"), tcp(5433)},
		}}
		p.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	}
	return p
}

// uid is a stable UID for the object named key.
func uid(key string) types.UID {
	h := fnv.New128a()
	h.Write([]byte(key))
	b := h.Sum(nil)
	return types.UID(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
}
