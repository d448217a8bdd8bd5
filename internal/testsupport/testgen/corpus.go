package testgen

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// CorpusWorld makes a world for prog, for judging a hand-written corpus flow
// by flow: its namespaces and one more, a
// namespace matching each namespace selector, in each namespace a pod
// without labels and a pod matching each selector, every named port on
// every pod, the DNS pods, a remote node, and external addresses inside
// and outside every CIDR, with names matching every DNS name.
func CorpusWorld(prog *ir.Program) *eval.World {
	w := &eval.World{}
	nsLabels := map[string]map[string]string{"other": {"env": "other"}, "kube-system": {}}
	var podSels []ir.Selector
	named := map[string]ir.Protocol{}
	externals := map[string][]string{"8.8.8.8": {"dns.google"}, "169.254.169.254": nil, "2001:db8::1": nil, "192.0.2.10": nil}
	satisfy := func(s ir.Selector) map[string]string {
		l := map[string]string{}
		for _, x := range s.MatchLabels {
			l[x.Key] = x.Value
		}
		for _, x := range s.MatchExpressions {
			switch x.Operator {
			case ir.OpIn:
				l[x.Key] = x.Values[0]
			case ir.OpExists:
				l[x.Key] = "yes"
			}
		}
		return l
	}
	name := func(f ir.FQDN) string {
		p := strings.ReplaceAll(strings.Replace(f.Pattern, "**.", "a.b.", 1), "*", "x")
		if p == "x" {
			p = "anything.example"
		}
		return p
	}
	// A namespace for a namespace selector: the one it names
	// (kubernetes.io/metadata.name, which the world sets itself), or a
	// new one.
	nsFor := func(s ir.Selector) {
		l := satisfy(s)
		name, ok := l[eval.NamespaceNameLabel]
		if !ok {
			nsLabels[fmt.Sprintf("labelled-%d", len(nsLabels))] = l
			return
		}
		delete(l, eval.NamespaceNameLabel)
		if nsLabels[name] == nil {
			nsLabels[name] = map[string]string{}
		}
		for k, v := range l {
			nsLabels[name][k] = v
		}
	}
	for _, ns := range prog.Governed {
		nsLabels[ns] = map[string]string{}
	}
	ext := 1
	for _, pol := range prog.Policies {
		podSels = append(podSels, pol.Subject.Pods)
		if pol.Subject.Namespaces != nil {
			nsFor(*pol.Subject.Namespaces)
		}
		for _, r := range pol.Rules {
			for _, p := range r.Peers {
				switch p.Kind {
				case ir.PeerPods:
					podSels = append(podSels, p.Pods)
					switch p.Namespace.Scope {
					case ir.NamespaceNamed:
						if nsLabels[p.Namespace.Name] == nil {
							nsLabels[p.Namespace.Name] = map[string]string{}
						}
					case ir.NamespaceLabels:
						nsFor(p.Namespace.Labels)
					}
				case ir.PeerCIDR:
					externals[p.CIDR.Addr().String()] = nil
					externals[p.CIDR.Addr().Next().String()] = nil
					for _, x := range p.Except {
						externals[x.Addr().String()] = nil
					}
				case ir.PeerFQDN:
					addr := netip.AddrFrom4([4]byte{198, 18, 0, byte(ext)})
					ext++
					externals[addr.String()] = []string{name(p.FQDN)}
				}
			}
			for _, pr := range r.Ports {
				for _, pt := range pr.Ports {
					if pt.Name != "" {
						named[pt.Name] = pt.Protocol
					}
				}
			}
		}
	}
	var names []string
	for n := range named {
		names = append(names, n)
	}
	sort.Strings(names)
	var ports []eval.ContainerPort
	for i, n := range names {
		proto := named[n]
		if proto == ir.ProtoAny {
			proto = ir.TCP
		}
		ports = append(ports, eval.ContainerPort{Name: n, Port: uint16(8000 + i), Protocol: proto})
	}
	var nss []string
	for ns := range nsLabels {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	ip := 1
	for _, ns := range nss {
		w.Namespaces = append(w.Namespaces, eval.Namespace{Name: ns, Labels: nsLabels[ns]})
		add := func(labels map[string]string) {
			w.Pods = append(w.Pods, eval.Pod{Namespace: ns, Name: fmt.Sprintf("p%d", ip), Labels: labels,
				IP: netip.AddrFrom4([4]byte{10, 244, byte(ip / 250), byte(ip % 250)}), Ports: ports})
			ip++
		}
		add(map[string]string{})
		if ns == "kube-system" {
			add(map[string]string{"k8s-app": "kube-dns"})
		}
		seen := map[string]bool{"map[]": true}
		for _, s := range podSels {
			l := satisfy(s)
			if k := fmt.Sprint(l); !seen[k] {
				seen[k] = true
				add(l)
			}
		}
	}
	var addrs []string
	for a := range externals {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		w.Externals = append(w.Externals, eval.External{IP: netip.MustParseAddr(a), Names: externals[a]})
	}
	WithNodes(w)
	return w
}
