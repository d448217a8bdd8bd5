package k8s

import (
	"bytes"
	"math/rand"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/lang/source"
)

// IR-level cases: what the language does not produce directly, but other
// producers of the IR (importers, future front ends) may.

func at(file string, line int) source.Span {
	return source.Span{File: file, Start: source.Pos{Line: line, Col: 1, Offset: line * 100}, End: source.Pos{Line: line, Col: 2, Offset: line*100 + 1}}
}

func sel(kv ...string) ir.Selector {
	var s ir.Selector
	for i := 0; i+1 < len(kv); i += 2 {
		s.MatchLabels = append(s.MatchLabels, ir.Label{Key: kv[i], Value: kv[i+1]})
	}
	return s.Normalize()
}

func emitYAML(t *testing.T, p *ir.Program, opts backends.Options) (string, []string) {
	t.Helper()
	objs, diags := emitcheck.Emit(testBackend(), p, opts)
	out := backendtest.YAML(t, objs)
	decodeAll(t, out)
	return string(out), diagLines(diags)
}

func TestEmitIRMapping(t *testing.T) {
	web := ir.Subject{Pods: sel("app", "web")}
	p := &ir.Program{DNS: ir.DefaultDNSServer(), Policies: []*ir.Policy{{
		Span: at("a.netpol", 1), Name: "web", Namespace: "shop", Subject: web,
		Isolation: ir.Isolation{Ingress: true, Egress: true},
		Rules: []*ir.Rule{
			// Protocol any expands; a one-port range is a port; ports
			// repeated across port rules are written once.
			{Span: at("a.netpol", 2), Direction: ir.Egress, Peers: []ir.Peer{
				{Kind: ir.PeerCIDR, CIDR: netip.MustParsePrefix("203.0.113.0/24"), Except: []netip.Prefix{
					netip.MustParsePrefix("203.0.113.0/28"), netip.MustParsePrefix("203.0.113.128/25")}},
				{Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceNamed, Name: "db"}},
				{Kind: ir.PeerPods, Namespace: ir.NamespaceRef{Scope: ir.NamespaceLabels}, Pods: sel("app", "y")},
			}, Ports: []ir.PortRule{
				{Ports: []ir.Port{{Protocol: ir.ProtoAny, Port: 53}, {Protocol: ir.UDP, Port: 53}}},
				{Ports: []ir.Port{{Protocol: ir.TCP, Port: 8080, EndPort: 8080}, {Protocol: ir.TCP, Port: 9000, EndPort: 9100}}},
			}},
			// A PeerAny among other peers: the rule has no from.
			{Span: at("a.netpol", 3), Direction: ir.Ingress, Peers: []ir.Peer{
				{Kind: ir.PeerPods, Pods: sel("app", "x")}, {Kind: ir.PeerAny},
			}, Ports: []ir.PortRule{{Ports: []ir.Port{{Protocol: ir.TCP, Port: 80}}}}},
		},
	}}}
	if err := ir.Validate(p); err != nil {
		t.Fatalf("the test's program is not canonical IR: %v", err)
	}
	got, diags := emitYAML(t, p, backends.Options{})
	if len(diags) > 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	want := `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  annotations:
    netpolc.io/source: a.netpol:1,2,3
  labels:
    app.kubernetes.io/managed-by: netpolc
  name: web
  namespace: shop
spec:
  egress:
  - ports:
    - port: 53
      protocol: TCP
    - port: 53
      protocol: UDP
    - port: 53
      protocol: SCTP
    - port: 8080
      protocol: TCP
    - endPort: 9100
      port: 9000
      protocol: TCP
    to:
    - ipBlock:
        cidr: 203.0.113.0/24
        except:
        - 203.0.113.0/28
        - 203.0.113.128/25
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: db
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          app: "y"
  ingress:
  - ports:
    - port: 80
      protocol: TCP
  podSelector:
    matchLabels:
      app: web
  policyTypes:
  - Ingress
  - Egress
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestEmitNamesAndOrder(t *testing.T) {
	mk := func(name, ns string, s ir.Selector, line int) *ir.Policy {
		return &ir.Policy{Span: at("b.netpol", line), Name: name, Namespace: ns, Subject: ir.Subject{Pods: s},
			Isolation: ir.Isolation{Ingress: true}}
	}
	p := &ir.Program{Policies: []*ir.Policy{
		mk("Web", "shop", sel("app", "web"), 4),
		mk("web", "shop", sel("app", "web2"), 2), // same base name: the earlier line keeps it
		mk("web", "other", sel("app", "web"), 3), // other namespace: no clash
		mk("", "shop", sel(), 5),
		mk("x.y_z--", "shop", sel("a", "b"), 6),
		{Span: at("b.netpol", 7), Name: "noop", Namespace: "shop"}, // isolates nothing, no rules
	}}
	var names []string
	objs, diags := emitcheck.Emit(testBackend(), p, backends.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, o := range objs {
		names = append(names, o.Namespace+"/"+o.Name)
	}
	want := `^other/web shop/policy shop/web shop/web-[0-9a-f]{5} shop/x-y-z$`
	if !regexp.MustCompile(want).MatchString(strings.Join(names, " ")) {
		t.Errorf("names %s, want %s", strings.Join(names, " "), want)
	}

	// Byte-identical whatever the order of policies and rules.
	first := backendtest.YAML(t, objs)
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20; i++ {
		r.Shuffle(len(p.Policies), func(i, j int) { p.Policies[i], p.Policies[j] = p.Policies[j], p.Policies[i] })
		objs, _ := emitcheck.Emit(testBackend(), p, backends.Options{})
		if again := backendtest.YAML(t, objs); !bytes.Equal(first, again) {
			t.Fatalf("output depends on policy order:\n%s\n---\n%s", first, again)
		}
	}
}

// TestEmitValidationFailureIsInternal: an object the API server would reject
// is never returned silently.
func TestEmitValidationFailureIsInternal(t *testing.T) {
	p := &ir.Program{Policies: []*ir.Policy{{
		Span: at("c.netpol", 1), Name: "web", Namespace: "Not_A_Namespace",
		Isolation: ir.Isolation{Ingress: true},
	}}}
	_, diags := emitcheck.Emit(testBackend(), p, backends.Options{})
	if len(diags) == 0 || diags[0].Code != "internal" || !strings.Contains(diags[0].Message, "metadata.namespace") {
		t.Fatalf("want an internal error on metadata.namespace, got %v", diags)
	}
}

func TestBaseName(t *testing.T) {
	for in, want := range map[string]string{
		"web":                     "web",
		"Web_Frontend":            "web-frontend",
		"--a..b--":                "a-b",
		"":                        "policy",
		"ñ":                       "policy",
		"web-egress-to-database":  "web-egress-to-database",
		"monitoring/prometheus-1": "monitoring-prometheus-1",
	} {
		got := backends.BaseName(in)
		if got != want {
			t.Errorf("baseName(%q) = %q, want %q", in, got, want)
		}
		if len(got) > MaxNameLength {
			t.Errorf("baseName(%q) too long", in)
		}
	}
	long := backends.BaseName(strings.Repeat("ab", 40))
	if !regexp.MustCompile(`^(ab){28}-[0-9a-f]{6}$`).MatchString(long) || long == backends.BaseName(strings.Repeat("ab", 41)) {
		t.Errorf("long name %q", long)
	}
}
