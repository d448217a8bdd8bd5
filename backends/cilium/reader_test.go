package cilium

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	"github.com/cilium/cilium/pkg/policy/api"

	"github.com/netpolc/netpolc/compile/ir"
)

// readBack translates netpolc's own Cilium output (decoded objects) back
// into IR, for the self-check against compile/eval. It reads only the forms
// the emitter writes (it is no importer): pod selectors with netpolc's
// namespace keys, one L3 kind per rule, the isolating empty rule.
func readBack(objs []any, dns ir.DNSServer) (*ir.Program, error) {
	p := &ir.Program{DNS: dns}
	for _, o := range objs {
		var ns string
		var spec *api.Rule
		switch o := o.(type) {
		case *ciliumv2.CiliumNetworkPolicy:
			ns, spec = o.Namespace, o.Spec
		case *ciliumv2.CiliumClusterwideNetworkPolicy:
			spec = o.Spec
		default:
			return nil, fmt.Errorf("%T", o)
		}
		pol := &ir.Policy{Namespace: ns, Name: "read"}
		if spec.NodeSelector.LabelSelector != nil {
			pol.Subject = ir.Subject{Nodes: true, Pods: irSelector(spec.NodeSelector.LabelSelector, "")}
		} else {
			pods, nsLabels := splitNamespaceLabels(spec.EndpointSelector.LabelSelector)
			pol.Subject = ir.Subject{Pods: pods}
			if nsLabels != nil {
				pol.Subject.Namespaces = nsLabels
			}
		}
		pol.Isolation = ir.Isolation{Ingress: *spec.EnableDefaultDeny.Ingress, Egress: *spec.EnableDefaultDeny.Egress}
		add := func(dir ir.Direction, act ir.Action, peers []ir.Peer, ports api.PortRules, deny api.PortDenyRules, icmps api.ICMPRules) error {
			if len(peers) == 0 {
				if len(ports) > 0 || len(deny) > 0 || len(icmps) > 0 {
					return fmt.Errorf("rule with ports and no peers")
				}
				return nil // the isolating empty rule: selects nothing
			}
			r := &ir.Rule{Direction: dir, Action: act, Peers: peers}
			switch {
			case len(icmps) > 0:
				for _, ir := range icmps {
					for _, f := range ir.Fields {
						r.ICMP = append(r.ICMP, icmpType(f))
					}
				}
			case len(ports) > 0:
				for _, pr := range ports {
					r.Ports = append(r.Ports, portRule(pr.Ports, pr.Rules))
				}
			case len(deny) > 0:
				for _, pr := range deny {
					r.Ports = append(r.Ports, portRule(pr.Ports, nil))
				}
			default:
				r.AllTraffic = true
			}
			pol.Rules = append(pol.Rules, r)
			return nil
		}
		for _, r := range spec.Ingress {
			if err := add(ir.Ingress, ir.Allow, ingressPeers(r.IngressCommonRule), r.ToPorts, nil, r.ICMPs); err != nil {
				return nil, err
			}
		}
		for _, r := range spec.IngressDeny {
			if err := add(ir.Ingress, ir.Deny, ingressPeers(r.IngressCommonRule), nil, r.ToPorts, r.ICMPs); err != nil {
				return nil, err
			}
		}
		for _, r := range spec.Egress {
			peers := egressPeers(r.EgressCommonRule)
			for _, f := range r.ToFQDNs {
				if f.MatchName != "" {
					peers = append(peers, ir.Peer{Kind: ir.PeerFQDN, FQDN: ir.FQDN{Pattern: f.MatchName, Exact: true}})
				} else {
					peers = append(peers, ir.Peer{Kind: ir.PeerFQDN, FQDN: ir.FQDN{Pattern: f.MatchPattern}})
				}
			}
			if err := add(ir.Egress, ir.Allow, peers, r.ToPorts, nil, r.ICMPs); err != nil {
				return nil, err
			}
		}
		for _, r := range spec.EgressDeny {
			if err := add(ir.Egress, ir.Deny, egressPeers(r.EgressCommonRule), nil, r.ToPorts, r.ICMPs); err != nil {
				return nil, err
			}
		}
		p.Policies = append(p.Policies, pol)
	}
	return p, nil
}

func ingressPeers(c api.IngressCommonRule) []ir.Peer {
	var out []ir.Peer
	out = append(out, endpointPeers(c.FromEndpoints)...)
	out = append(out, nodePeers(c.FromNodes)...)
	out = append(out, cidrPeers(c.FromCIDRSet)...)
	return append(out, entityPeers(c.FromEntities)...)
}

func egressPeers(c api.EgressCommonRule) []ir.Peer {
	var out []ir.Peer
	out = append(out, endpointPeers(c.ToEndpoints)...)
	out = append(out, nodePeers(c.ToNodes)...)
	out = append(out, cidrPeers(c.ToCIDRSet)...)
	out = append(out, entityPeers(c.ToEntities)...)
	for _, s := range c.ToServices {
		if s.K8sService != nil {
			out = append(out, ir.Peer{Kind: ir.PeerService, Service: ir.Service{Namespace: s.K8sService.Namespace, Name: s.K8sService.ServiceName}})
		} else {
			sel := irSelector(s.K8sServiceSelector.Selector.LabelSelector, "")
			out = append(out, ir.Peer{Kind: ir.PeerService, Service: ir.Service{Namespace: s.K8sServiceSelector.Namespace, Selector: &sel}})
		}
	}
	return out
}

func endpointPeers(sels []api.EndpointSelector) []ir.Peer {
	var out []ir.Peer
	for _, es := range sels {
		ls := es.LabelSelector
		peer := ir.Peer{Kind: ir.PeerPods}
		rest := &slimv1.LabelSelector{}
		nsExists := false
		for k, v := range ls.MatchLabels {
			if k == PodNamespaceLabel {
				peer.Namespace = ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: v}
				continue
			}
			if rest.MatchLabels == nil {
				rest.MatchLabels = map[string]string{}
			}
			rest.MatchLabels[k] = v
		}
		for _, x := range ls.MatchExpressions {
			if x.Key == PodNamespaceLabel && x.Operator == slimv1.LabelSelectorOpExists {
				nsExists = true
				continue
			}
			rest.MatchExpressions = append(rest.MatchExpressions, x)
		}
		pods, nsLabels := splitNamespaceLabels(rest)
		peer.Pods = pods
		switch {
		case nsLabels != nil:
			peer.Namespace = ir.NamespaceRef{Scope: ir.NamespaceLabels, Labels: *nsLabels}
		case nsExists:
			peer.Namespace = ir.NamespaceRef{Scope: ir.NamespaceLabels}
		}
		out = append(out, peer)
	}
	return out
}

// splitNamespaceLabels separates the io.cilium.k8s.namespace.labels terms.
func splitNamespaceLabels(ls *slimv1.LabelSelector) (ir.Selector, *ir.Selector) {
	pods := irSelector(ls, "")
	var rest, ns ir.Selector
	for _, l := range pods.MatchLabels {
		if k, ok := strings.CutPrefix(l.Key, NamespaceLabelsPrefix); ok {
			ns.MatchLabels = append(ns.MatchLabels, ir.Label{Key: k, Value: l.Value})
		} else {
			rest.MatchLabels = append(rest.MatchLabels, l)
		}
	}
	for _, x := range pods.MatchExpressions {
		if k, ok := strings.CutPrefix(x.Key, NamespaceLabelsPrefix); ok {
			x.Key = k
			ns.MatchExpressions = append(ns.MatchExpressions, x)
		} else {
			rest.MatchExpressions = append(rest.MatchExpressions, x)
		}
	}
	if ns.IsEmpty() {
		return rest.Normalize(), nil
	}
	ns = ns.Normalize()
	return rest.Normalize(), &ns
}

func irSelector(ls *slimv1.LabelSelector, prefix string) ir.Selector {
	var s ir.Selector
	if ls == nil {
		return s
	}
	for k, v := range ls.MatchLabels {
		s.MatchLabels = append(s.MatchLabels, ir.Label{Key: prefix + k, Value: v})
	}
	for _, x := range ls.MatchExpressions {
		s.MatchExpressions = append(s.MatchExpressions, ir.Expression{Key: prefix + x.Key, Operator: ir.Operator(x.Operator), Values: append([]string(nil), x.Values...)})
	}
	return s.Normalize()
}

func nodePeers(sels []api.EndpointSelector) []ir.Peer {
	var out []ir.Peer
	for _, es := range sels {
		out = append(out, ir.Peer{Kind: ir.PeerNodes, Pods: irSelector(es.LabelSelector, "")})
	}
	return out
}

func cidrPeers(rules api.CIDRRuleSlice) []ir.Peer {
	var out []ir.Peer
	for _, c := range rules {
		peer := ir.Peer{Kind: ir.PeerCIDR, CIDR: netip.MustParsePrefix(string(c.Cidr))}
		for _, x := range c.ExceptCIDRs {
			peer.Except = append(peer.Except, netip.MustParsePrefix(string(x)))
		}
		out = append(out, peer)
	}
	return out
}

func entityPeers(ents api.EntitySlice) []ir.Peer {
	var out []ir.Peer
	for _, e := range ents {
		if e == api.EntityAll {
			out = append(out, ir.Peer{Kind: ir.PeerAny})
			continue
		}
		out = append(out, ir.Peer{Kind: ir.PeerEntity, Entity: ir.Entity(e)})
	}
	return out
}

func portRule(ports []api.PortProtocol, rules *api.L7Rules) ir.PortRule {
	var pr ir.PortRule
	for _, pp := range ports {
		port := ir.Port{Protocol: ir.Protocol(pp.Protocol)}
		if n, err := strconv.Atoi(pp.Port); err == nil {
			port.Port = uint16(n)
			if pp.EndPort > 0 {
				port.EndPort = uint16(pp.EndPort)
			}
		} else {
			port.Name = pp.Port
		}
		pr.Ports = append(pr.Ports, port)
	}
	if rules != nil {
		for _, h := range rules.HTTP {
			hr := ir.HTTPRule{Method: h.Method, Path: h.Path, Host: h.Host}
			for _, hd := range h.Headers {
				name, value, ok := strings.Cut(hd, " ")
				if ok {
					v := value
					hr.Headers = append(hr.Headers, ir.HeaderMatch{Name: strings.TrimRight(name, ":"), Value: &v})
				} else {
					hr.Headers = append(hr.Headers, ir.HeaderMatch{Name: hd})
				}
			}
			pr.HTTP = append(pr.HTTP, hr)
		}
		for _, d := range rules.DNS {
			if d.MatchName != "" {
				pr.DNS = append(pr.DNS, ir.FQDN{Pattern: d.MatchName, Exact: true})
			} else {
				pr.DNS = append(pr.DNS, ir.FQDN{Pattern: d.MatchPattern})
			}
		}
	}
	return pr
}

func icmpType(f api.ICMPField) ir.ICMPType {
	return ir.ICMPType{Family: ir.ICMPFamily(f.Family), Type: f.Type.String()}
}
