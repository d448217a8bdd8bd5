package eval

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
)

const goodWorld = `
namespaces:
  production: {environment: prod}
  kube-system:
pods:
  - namespace: production
    name: web-0
    labels: {app: web}
    ip: 10.0.0.5
    ports: [{name: metrics, port: 9090, protocol: TCP}, {name: dns, port: 53, protocol: udp}]
    workload: Deployment/web
  - {namespace: staging, name: web-0, labels: {app: web}}
externals:
  - ip: 52.94.1.1
    names: [S3.amazonaws.com.]
  - ip: "2001:db8::1"
nodes:
  - {name: worker-1, labels: {zone: a}, ip: 192.168.0.10, local: true}
  - {name: worker-2}
services:
  - {namespace: production, name: web, selector: {app: web}}
`

func TestLoadWorld(t *testing.T) {
	w, err := LoadWorld([]byte(goodWorld))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%+v", *w)
	want := "{Namespaces:[{Name:kube-system Labels:map[]} {Name:production Labels:map[environment:prod]}] " +
		"Pods:[{Namespace:production Name:web-0 Labels:map[app:web] IP:10.0.0.5 Ports:[{Name:metrics Port:9090 Protocol:TCP} {Name:dns Port:53 Protocol:UDP}] Workload:Deployment/web} " +
		"{Namespace:staging Name:web-0 Labels:map[app:web] IP:invalid IP Ports:[] Workload:}] " +
		"Externals:[{IP:52.94.1.1 Names:[s3.amazonaws.com]} {IP:2001:db8::1 Names:[]}] " +
		"Nodes:[{Name:worker-1 Labels:map[zone:a] IP:192.168.0.10 Local:true} {Name:worker-2 Labels:map[] IP:invalid IP Local:false}] " +
		"Services:[{Namespace:production Name:web Labels:map[] Selector:map[app:web]}]}"
	if got != want {
		t.Errorf("LoadWorld:\n got %s\nwant %s", got, want)
	}
	// A namespace used only by a pod exists, with its name label.
	e := New(program(), w)
	if got := e.Select(podsInNS(sel("kubernetes.io/metadata.name=staging")), ""); len(got) != 1 {
		t.Errorf("staging pods = %v", got)
	}
	// JSON is YAML.
	if _, err := LoadWorld([]byte(`{"pods": [{"namespace": "a", "name": "b"}]}`)); err != nil {
		t.Errorf("JSON world: %v", err)
	}
}

func TestMarshalWorldRoundTrip(t *testing.T) {
	w, err := LoadWorld([]byte(goodWorld))
	if err != nil {
		t.Fatal(err)
	}
	data, err := MarshalWorld(w)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := LoadWorld(data)
	if err != nil {
		t.Fatalf("reloading:\n%s\n%v", data, err)
	}
	if !reflect.DeepEqual(normalizeWorld(w), normalizeWorld(w2)) {
		t.Errorf("round trip changed the world:\n%+v\n%+v", *w, *w2)
	}
}

// normalizeWorld replaces empty maps by nil, for comparisons.
func normalizeWorld(w *World) World {
	c := *w
	norm := func(m map[string]string) map[string]string {
		if len(m) == 0 {
			return nil
		}
		return m
	}
	c.Namespaces = append([]Namespace(nil), w.Namespaces...)
	for i := range c.Namespaces {
		c.Namespaces[i].Labels = norm(c.Namespaces[i].Labels)
	}
	c.Pods = append([]Pod(nil), w.Pods...)
	for i := range c.Pods {
		c.Pods[i].Labels = norm(c.Pods[i].Labels)
		for j := range c.Pods[i].Ports {
			c.Pods[i].Ports[j].Protocol = flowProto(c.Pods[i].Ports[j].Protocol)
		}
	}
	c.Nodes = append([]Node(nil), w.Nodes...)
	for i := range c.Nodes {
		c.Nodes[i].Labels = norm(c.Nodes[i].Labels)
	}
	c.Services = append([]Service(nil), w.Services...)
	for i := range c.Services {
		c.Services[i].Labels = norm(c.Services[i].Labels)
		c.Services[i].Selector = norm(c.Services[i].Selector)
	}
	return c
}

func TestLoadWorldErrors(t *testing.T) {
	for _, c := range []struct {
		name, data string
		want       []string // substrings of the error
	}{
		{"unknown field", "pods: [{namespace: a, name: b, lables: {app: x}}]", []string{`unknown field "lables"`}},
		{"unknown top-level field", "pod: []", []string{`unknown field "pod"`}},
		{"duplicate key", "namespaces: {a: {}, a: {}}", []string{"world:", `"a"`}},
		{"not a list", "pods: {a: b}", []string{"world:"}},
		{"label not a string", "pods: [{namespace: a, name: b, labels: {version: [1]}}]", []string{"world:"}},
		{"missing names", "pods: [{labels: {app: x}}]", []string{"pods[0]: missing namespace", "pods[0]: missing name"}},
		{"duplicate pod", "pods: [{namespace: a, name: b}, {namespace: a, name: b}]", []string{"pods[1] (a/b): duplicate pod a/b"}},
		{"bad pod ip", "pods: [{namespace: a, name: b, ip: 10.0.0.300}]", []string{`pods[0] (a/b): invalid ip "10.0.0.300"`}},
		{"bad port", "pods: [{namespace: a, name: b, ports: [{name: x, port: 70000}, {name: x, port: 1, protocol: ICMP}, {port: 2}]}]",
			[]string{"ports[0]: port 70000 out of range 1-65535", `ports[1]: duplicate port name "x"`, `ports[1]: unknown protocol "ICMP"`, "ports[2]: missing name"}},
		{"bad workload", "pods: [{namespace: a, name: b, workload: web}, {namespace: a, name: c, workload: Deployment/}]",
			[]string{`pods[0] (a/b): invalid workload "web" (want Kind/name)`, `pods[1] (a/c): invalid workload "Deployment/"`}},
		{"external without ip", "externals: [{names: [a.com]}]", []string{"externals[0]: missing ip"}},
		{"external bad ip", "externals: [{ip: 1.2.3}]", []string{`externals[0]: invalid ip "1.2.3"`}},
		{"external wildcard name", "externals: [{ip: 1.2.3.4, names: ['*.a.com']}]", []string{`externals[0].names[0]: invalid DNS name "*.a.com"`}},
		{"two local nodes", "nodes: [{name: a, local: true}, {name: b, local: true}]", []string{"nodes: 2 nodes are local"}},
		{"duplicate node", "nodes: [{name: a}, {name: a}]", []string{"nodes[1]: duplicate node a"}},
		{"service without name", "services: [{namespace: a}]", []string{"services[0]: missing namespace or name"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, err := LoadWorld([]byte(c.data))
			if err == nil {
				t.Fatalf("no error, world %+v", w)
			}
			for _, s := range c.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestRepresentativeWorld(t *testing.T) {
	prog := reprProgram()
	w := RepresentativeWorld(prog, cidrPeer("192.168.0.0/16", "192.168.0.0/24"))
	data, err := MarshalWorld(w)
	if err != nil {
		t.Fatal(err)
	}
	want := `externals:
- ip: 10.1.0.1
- ip: 198.51.100.1
  names:
  - x.amazonaws.com
- ip: 203.0.113.1
- ip: 192.168.1.0
namespaces:
  kube-system: {}
  monitoring: {}
  ns-dev:
    env: dev
  production: {}
nodes:
- ip: 172.31.0.1
  labels:
    node-role.kubernetes.io/control-plane: x
  name: node-x
pods:
- ip: 10.244.0.1
  labels:
    app: web
  name: web
  namespace: production
  ports:
  - name: http
    port: 40001
    protocol: TCP
- ip: 10.244.0.2
  labels:
    app: prometheus
  name: prometheus
  namespace: monitoring
- ip: 10.244.0.3
  labels:
    app: database
  name: database
  namespace: production
  ports:
  - name: pg
    port: 40002
    protocol: TCP
- ip: 10.244.0.4
  name: pod
  namespace: production
- ip: 10.244.0.5
  labels:
    app: tests
    tier: x
  name: tests-x
  namespace: ns-dev
- ip: 10.244.0.6
  labels:
    k8s-app: kube-dns
  name: kube-dns
  namespace: kube-system
- ip: 10.244.0.7
  labels:
    app: a
    track: x2
  name: a-x2
  namespace: production
- ip: 10.244.0.8
  labels:
    app: db
  name: db
  namespace: production
`
	if string(data) != want {
		t.Errorf("representative world:\n%s\nwant:\n%s", data, want)
	}
	for i := 0; i < 5; i++ {
		again, _ := MarshalWorld(RepresentativeWorld(reprProgram(), cidrPeer("192.168.0.0/16", "192.168.0.0/24")))
		if string(again) != string(data) {
			t.Fatalf("not deterministic:\n%s\n---\n%s", again, data)
		}
	}
}

// reprProgram uses every kind of endpoint a representative world represents.
func reprProgram() *ir.Program {
	web := podsIn("production", "app=web")
	db := podsIn("production", "app=database")
	p := &ir.Program{
		Governed: []string{"production"},
		Policies: []*ir.Policy{
			policy(1, "production", sel("app=web"), isoBoth,
				allowIn(2, peers(podsIn("monitoring", "app=prometheus")), onPorts(ports(namedPortOf(ir.TCP, "http"), port(ir.TCP, 40000)))),
				allowOut(3, peers(podsPeer("app=database")), onPorts(ports(namedPortOf(ir.TCP, "pg")))),
				allowOut(4, peers(cidrPeer("10.1.0.0/16")), nil)),
			policy(5, "production", sel(), isoIn,
				allowIn(6, peers(podsInNS(sel("env=dev"), "app=tests", "tier")), nil),
				allowIn(7, peers(ir.Peer{Kind: ir.PeerNodes, Pods: sel("node-role.kubernetes.io/control-plane")}), nil),
				allowOut(8, peers(podsIn("kube-system", "k8s-app=kube-dns")), onPorts(ports(port(ir.UDP, 53))))),
			{Span: span(9), Subject: ir.Subject{Pods: sel("app=a", "track", "track notin x")}, Isolation: isoIn,
				Rules: []*ir.Rule{allowIn(10, peers(podsPeer()), nil)}},
		},
		Expectations: []*ir.Expectation{
			{Span: span(20), Namespace: "production", From: ir.Endpoint{Peer: web, Group: "web"}, To: ir.Endpoint{Peer: db, Group: "database"}, Port: port(ir.TCP, 5432), Allowed: true},
			{Span: span(21), Namespace: "production", From: ir.Endpoint{Peer: web, Group: "web"}, To: ir.Endpoint{Peer: cidrPeer("10.1.0.0/16")}, Port: port(ir.TCP, 443), Allowed: true},
			{Span: span(22), Namespace: "production", From: ir.Endpoint{Peer: web, Group: "web"}, To: ir.Endpoint{Peer: fqdnPeer("**.amazonaws.com", false)}, Port: port(ir.TCP, 443)},
			{Span: span(23), Namespace: "production", From: ir.Endpoint{Peer: entity(ir.EntityWorld)}, To: ir.Endpoint{Peer: podsPeer("app=db")}, Port: port(ir.TCP, 5432)},
		},
	}
	return p
}

func TestFirstUsable(t *testing.T) {
	for _, c := range []struct {
		cidr   string
		except []string
		want   string
	}{
		{"10.0.0.0/8", nil, "10.0.0.1"},
		{"10.0.0.5/32", nil, "10.0.0.5"},
		{"10.0.0.4/31", nil, "10.0.0.4"},
		{"0.0.0.0/0", []string{"0.0.0.0/8", "10.0.0.0/8"}, "1.0.0.0"},
		{"10.0.0.0/8", []string{"10.0.0.0/9"}, "10.128.0.0"},
		{"10.0.0.0/30", []string{"10.0.0.0/31", "10.0.0.2/31"}, "invalid IP"},
		{"2001:db8::/32", nil, "2001:db8::1"},
	} {
		p := cidrPeer(c.cidr, c.except...)
		got, _ := firstUsable(p.CIDR, p.Except)
		if got.String() != c.want {
			t.Errorf("firstUsable(%s except %v) = %s, want %s", c.cidr, c.except, got, c.want)
		}
	}
}
