package testgen

import (
	"fmt"
	"hash/fnv"
	"math/rand"
	"strings"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// This file extends the generator for the Cilium differential test
// (backends/cilium/enginetest): HTTP rules, DNS names (FQDN targets and
// lookups), entities, deny and nonisolating rules, "allow dns lookups" and
// clusterwide blocks, worlds whose external addresses carry DNS names and
// with nodes, and flows that carry HTTP requests and DNS lookups.

// externalNames are the DNS names of the generated worlds' external
// addresses (see externalAddrs).
var externalNames = map[string][]string{
	"203.0.113.7":   {"api.example.com"},
	"203.0.113.200": {"www.api.example.com"},
	"203.0.113.20":  {"Example.COM"},
	"198.51.100.9":  {"s3.amazonaws.com"},
	"192.0.2.1":     {"s3.us-east-1.amazonaws.com", "s3-fips.amazonaws.com"},
	"8.8.8.8":       {"dns.google"},
	"2001:db8::5":   {"v6.example.com"},
}

// fqdnPatterns are the DNS-name targets of generated rules.
var fqdnPatterns = []string{
	`"api.example.com"`, `"*.example.com"`, `"**.example.com"`, `"s3*.amazonaws.com"`,
	`"*.amazonaws.com"`, `"**.amazonaws.com"`, `"example.com"`, `"*"`, `"dns.google"`,
}

// lookupNames are the DNS lookups of generated flows.
var lookupNames = []string{
	"api.example.com", "www.api.example.com", "s3.amazonaws.com", "s3.us-east-1.amazonaws.com",
	"dns.google", "kubernetes.default.svc.cluster.local", "example.com", "EXAMPLE.com.",
}

// NewCilium generates the case of seed for the Cilium differential test:
// programs like New's mixed with Cilium-only statements, over a world like
// New's whose external addresses carry DNS names and which has a remote
// node (see WithNodes).
func NewCilium(seed int64) *Case {
	g := newGen(seed)
	c := &Case{Seed: seed, World: g.world()}
	for i := range c.World.Externals {
		c.World.Externals[i].Names = externalNames[c.World.Externals[i].IP.String()]
	}
	WithNodes(c.World)
	c.Program = g.ciliumProgram()
	return c
}

// WithNodes adds a remote node to w if it has no nodes (Case.Clone drops
// nodes; call it again after shrinking). The local host is implicit.
func WithNodes(w *eval.World) {
	if len(w.Nodes) == 0 {
		w.Nodes = []eval.Node{{Name: "worker-2", Labels: map[string]string{"kubernetes.io/hostname": "worker-2"}}}
	}
}

func (g *gen) ciliumProgram() Program {
	var p Program
	for _, ns := range g.governed {
		p.Stmts = append(p.Stmts, g.namespaceOpening(ns, 0.2)...)
		if g.chance(0.5) {
			s := "allow dns"
			if g.chance(0.4) {
				s += " for " + g.localSelector()
			}
			if g.chance(0.3) {
				s += " lookups " + g.pick(`"*.example.com"`, `"**.example.com", "**.cluster.local"`, `"api.example.com", "s3*.amazonaws.com"`, `"*"`)
			}
			p.Stmts = append(p.Stmts, Stmt{Text: s})
		}
		for i, n := 0, 1+g.r.Intn(6); i < n; i++ {
			if g.chance(0.4) {
				p.Stmts = append(p.Stmts, Stmt{Text: g.rule(ns)})
			} else {
				p.Stmts = append(p.Stmts, Stmt{Text: g.ciliumRule(ns)})
			}
		}
	}
	if g.chance(0.15) {
		p.Stmts = append(p.Stmts, Stmt{Text: "clusterwide", Header: true})
		if g.chance(0.3) {
			p.Stmts = append(p.Stmts, Stmt{Text: "isolate " + g.localSelector() + g.direction(0.6)})
		}
		for i, n := 0, 1+g.r.Intn(2); i < n; i++ {
			switch g.r.Intn(3) {
			case 0:
				p.Stmts = append(p.Stmts, Stmt{Text: g.localSelector() + " -> " + g.entity() + ":" + g.numericPorts()})
			case 1:
				p.Stmts = append(p.Stmts, Stmt{Text: "deny " + g.localSelector() + " -> " + g.otherPeer() + ":" + g.numericPorts()})
			default:
				p.Stmts = append(p.Stmts, Stmt{Text: g.podPeer() + " -> " + g.localSelector() + ":" + g.numericPorts()})
			}
		}
	}
	return p
}

// entity returns an entity the engines model, or "*".
func (g *gen) entity() string {
	return g.pick(ent(ir.EntityWorld), ent(ir.EntityWorldIPv4), ent(ir.EntityWorldIPv6), ent(ir.EntityCluster),
		ent(ir.EntityHost), ent(ir.EntityRemoteNode), ent(ir.EntityKubeAPIServer), ent(ir.EntityAll), "*")
}

// ent writes an entity by name (lang/lexicon's table, through the IR).
func ent(e ir.Entity) string { return string(e) }

// numericPorts returns one or two numeric ports (what DNS names and
// entities accept).
func (g *gen) numericPorts() string {
	one := func() string {
		return g.pick("443", "80", "8080", "53/udp", "6443", "443/tcp", "8000-8100", "*", "*/udp", "10250")
	}
	if g.chance(0.25) {
		return "[" + one() + ", " + one() + "]"
	}
	return one()
}

// httpPorts returns TCP ports an HTTP block accepts.
func (g *gen) httpPorts() string {
	return g.pick("80", "8080", "8080/tcp", "8000-8100", "443", "[80, 8080]", "http")
}

// httpRule returns a one-line HTTP block.
func (g *gen) httpRule() string {
	method := g.pick("GET", "POST", "GET|HEAD", "*", "PUT")
	var parts []string
	parts = append(parts, method)
	if g.chance(0.8) {
		parts = append(parts, g.pick("/api/.*", "/api/public/.*", "/healthz", `/v[0-9]+/items`, "/api(/.*)?"))
	}
	if g.chance(0.2) {
		parts = append(parts, "host", g.pick(`"api\.example\.com"`, `"api\.example\.com(:[0-9]+)?"`, `".*\.example\.com"`))
	}
	if g.chance(0.25) {
		parts = append(parts, "header", g.pick("X-Debug", "Content-Type: application/json", "x-token: abc"))
	}
	return "http { " + strings.Join(parts, " ") + " }"
}

// ciliumRule returns a rule that only Cilium expresses (or a plain one
// with a Cilium prefix).
func (g *gen) ciliumRule(ns string) string {
	switch g.r.Intn(9) {
	case 0, 1: // HTTP towards governed pods
		src, _ := g.peer(ns)
		if g.chance(0.3) {
			src = "*"
		}
		return src + " -> " + g.localPeer() + ":" + g.httpPorts() + " " + g.httpRule()
	case 2: // HTTP from governed pods to pods, CIDRs or names
		var tgt string
		switch g.r.Intn(3) {
		case 0:
			tgt = g.podPeer()
		case 1:
			tgt = cidrs[g.r.Intn(len(cidrs))]
			return g.localPeer() + " -> " + tgt + ":" + g.pick("80", "443", "8080") + " " + g.httpRule()
		default:
			tgt = fqdnPatterns[g.r.Intn(len(fqdnPatterns))]
			return g.localPeer() + " -> " + tgt + ":" + g.pick("80", "443", "8080") + " " + g.httpRule()
		}
		return g.localPeer() + " -> " + tgt + ":" + g.httpPorts() + " " + g.httpRule()
	case 3: // DNS names
		t := fqdnPatterns[g.r.Intn(len(fqdnPatterns))] + ":" + g.numericPorts()
		if g.chance(0.3) {
			t += ", " + fqdnPatterns[g.r.Intn(len(fqdnPatterns))] + ":" + g.pick("443", "80")
		}
		return g.localPeer() + " -> " + t
	case 4: // entities as targets
		return g.localPeer() + " -> " + g.entity() + ":" + g.numericPorts()
	case 5: // entities as sources
		return g.pick(ent(ir.EntityHost), ent(ir.EntityRemoteNode), ent(ir.EntityKubeAPIServer), ent(ir.EntityCluster),
			ent(ir.EntityWorld), ent(ir.EntityAll), ent(ir.EntityHost)+", "+ent(ir.EntityRemoteNode)) + " -> " + g.localPeer() + ":" + g.ports(true)
	case 6, 7: // deny
		r := g.rule(ns)
		if g.chance(0.3) {
			r = g.localPeer() + " -> " + g.entity() + ":" + g.numericPorts()
		}
		return "deny " + r
	default: // nonisolating
		r := g.rule(ns)
		for _, d := range []string{"ingress ", "egress "} {
			if strings.HasPrefix(r, d) {
				return d + "nonisolating " + strings.TrimPrefix(r, d)
			}
		}
		return "nonisolating " + r
	}
}

// httpRequests are the requests of generated HTTP flows.
var httpRequests = []ir.HTTPRequest{
	{Method: "GET", Path: "/api/x", Host: "api.example.com"},
	{Method: "GET", Path: "/api/public/x?y=1", Host: "api.example.com:8080"},
	{Method: "GET", Path: "/api/public", Host: "api.example.com"},
	{Method: "GET", Path: "/api", Host: "other.example.com"},
	{Method: "HEAD", Path: "/healthz", Host: "web"},
	{Method: "POST", Path: "/api/auth", Host: "api.example.com", Headers: map[string]string{"Content-Type": "application/json"}},
	{Method: "POST", Path: "/api/x", Host: "api.example.com", Headers: map[string]string{"content-type": "text/plain"}},
	{Method: "PUT", Path: "/v1/items", Host: "www.example.com", Headers: map[string]string{"X-Debug": "1"}},
	{Method: "DELETE", Path: "/v12/items", Host: "api.example.com", Headers: map[string]string{"X-Token": "abc"}},
	{Method: "get", Path: "/healthz", Host: "api.example.com"},
}

// CiliumFlows returns Flows plus: every pod to and from the kube-apiserver,
// the local host and every node; a copy of every TCP flow carrying an HTTP
// request; and DNS lookups from every pod to the DNS pods on UDP and TCP
// 53. Like Flows, the sampling depends only on the seed and the pair.
func (c *Case) CiliumFlows() []eval.Flow {
	w := c.World
	flows := c.Flows()
	rng := func(from, to eval.Endpoint, salt string) *rand.Rand {
		h := fnv.New64a()
		h.Write([]byte(from.String() + "\x00" + to.String() + "\x00" + salt))
		return rand.New(rand.NewSource(c.Seed ^ int64(h.Sum64())))
	}
	special := []eval.Endpoint{eval.APIServer(), eval.LocalHost()}
	for i := range w.Nodes {
		special = append(special, eval.NodeEndpoint(&w.Nodes[i]))
	}
	specialPorts := []uint16{443, 6443, 80, 10250, 8080, 53}
	for i := range w.Pods {
		pod := eval.PodEndpoint(&w.Pods[i])
		for _, s := range special {
			r := rng(pod, s, "special")
			flows = append(flows, eval.Flow{From: pod, To: s, Protocol: ir.TCP, Port: specialPorts[r.Intn(len(specialPorts))]})
			port, proto := specialPorts[r.Intn(len(specialPorts))], ir.TCP
			if len(w.Pods[i].Ports) > 0 && r.Intn(2) == 0 {
				cp := w.Pods[i].Ports[r.Intn(len(w.Pods[i].Ports))]
				port, proto = cp.Port, cp.Protocol
			}
			flows = append(flows, eval.Flow{From: s, To: pod, Protocol: proto, Port: port})
		}
	}
	n := len(flows)
	for i := 0; i < n; i++ {
		f := flows[i]
		if f.Protocol != ir.TCP && f.Protocol != "" {
			continue
		}
		r := rng(f.From, f.To, fmt.Sprintf("http%d", f.Port))
		req := httpRequests[r.Intn(len(httpRequests))]
		f.HTTP = &req
		flows = append(flows, f)
	}
	for i := range w.Pods {
		if w.Pods[i].Labels["k8s-app"] != "kube-dns" {
			continue
		}
		dns := eval.PodEndpoint(&w.Pods[i])
		for j := range w.Pods {
			pod := eval.PodEndpoint(&w.Pods[j])
			r := rng(pod, dns, "dns")
			for _, proto := range []ir.Protocol{ir.UDP, ir.TCP} {
				flows = append(flows, eval.Flow{From: pod, To: dns, Protocol: proto, Port: 53, DNSName: lookupNames[r.Intn(len(lookupNames))]})
			}
		}
	}
	return flows
}
