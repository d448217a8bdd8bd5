package enginetest

import (
	"fmt"
	"math/rand"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/lang/diag"
)

// compileSource compiles one file.
func compileSource(text string) (*ir.Program, diag.List) {
	return backendtest.CompileText("gen.netpol", text, nil)
}

// TestReservedLabelKeysRefused compiles, for every entry of the compiler's
// table of reserved label keys, a pod selector and a namespace selector
// that name it, and checks that each is refused with reserved-label-key at
// the key.
func TestReservedLabelKeysRefused(t *testing.T) {
	table := backendtest.ReservedLabelKeys()
	// The two keys that let a selector leave its namespace on Cilium must
	// stay in the table.
	for _, must := range []string{"io.kubernetes.pod.namespace", "io.cilium.k8s.namespace.labels.team"} {
		if !slices.ContainsFunc(table, func(r backendtest.ReservedLabelKey) bool {
			return r.Key == must || r.Prefix && strings.HasPrefix(must, r.Key)
		}) {
			t.Errorf("%s is not reserved", must)
		}
	}
	for _, r := range table {
		keys := []string{r.Key}
		if r.Prefix {
			keys = []string{strings.TrimSuffix(r.Key, "."), r.Key + "team", r.Key + "kubernetes.io/metadata.name"}
		}
		for _, key := range keys {
			t.Run(key, func(t *testing.T) {
				for _, tc := range []struct {
					line string
					col  int // of the key's opening quote
				}{
					{fmt.Sprintf("x = {%q: attacker}", key), 6},
					{fmt.Sprintf("x = {app: a, %q in (attacker, red)}", key), 14},
					{fmt.Sprintf("x = {%q}", key), 6},
					{fmt.Sprintf("x = ns{%q: red}/{app: evil}", key), 8},
					{fmt.Sprintf("x = ns{team: red, !%q}", key), 20},
					{fmt.Sprintf("x = attacker/{%q != shop}", key), 15},
				} {
					src := "namespace shop\nweb = {app: web}\n" + tc.line + "\nx -> web:80\n"
					_, diags := compileSource(src)
					var got []string
					found := false
					for _, d := range diags {
						if d.Severity != diag.Error {
							continue
						}
						got = append(got, fmt.Sprintf("%d:%d %s", d.Span.Start.Line, d.Span.Start.Col, d.Code))
						if d.Code == backendtest.CodeReservedLabelKey && d.Span.Start.Line == 3 && d.Span.Start.Col == tc.col {
							found = true
						}
					}
					if !found || len(got) != 1 {
						t.Errorf("%s: errors %v, want exactly 3:%d %s", tc.line, got, tc.col, backendtest.CodeReservedLabelKey)
					}
				}
			})
		}
	}
}

// propPolicyNS is the namespace of the generated policies.
const propPolicyNS = "shop"

var (
	// propNamespace is the world's namespaces: shop and three others that
	// share labels with it (team, tier); attacker even carries a namespace
	// label named like Cilium's pod namespace key, set to shop.
	propNamespace = []eval.Namespace{
		{Name: "shop", Labels: map[string]string{"team": "blue", "tier": "x"}},
		{Name: "attacker", Labels: map[string]string{"team": "red", "tier": "x", "io.kubernetes.pod.namespace": "shop"}},
		{Name: "third", Labels: map[string]string{"team": "blue", "app": "web"}},
		{Name: "fourth"},
	}
	// propNearKeys are the keys Cilium derives or keeps and keys that look
	// like them (case, missing or extra characters, a DNS prefix before
	// them): half of the generated selectors use only these.
	propNearKeys = []string{
		"io.kubernetes.pod.namespace", "io.kubernetes.pod.namespace2", "io.kubernetes.pod.namespace.x",
		"io.kubernetes.pod", "io.kubernetes.pod.name", "IO.kubernetes.pod.namespace", "io.kubernetes.pod.Namespace",
		"k8s.io/io.kubernetes.pod.namespace", "x.io/io.kubernetes.pod.namespace", "kubernetes.pod.namespace",
		"io.cilium.k8s.namespace.labels.team", "io.cilium.k8s.namespace.labels.tier",
		"io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name", "io.cilium.k8s.namespace.labels.io.kubernetes.pod.namespace",
		"io.cilium.k8s.namespace.labels", "io.cilium.k8s.namespace.labelsteam",
		"io.cilium.k8s.policy.serviceaccount", "io.cilium.k8s.policy.cluster", "io.cilium.k8s.policy.name", "io.cilium.k8sx",
		"io.cilium.k8", "io.cilium/k8s.namespace.labels.team", "IO.CILIUM.K8S.namespace.labels.team",
		"io.Cilium.k8s.namespace.labels.team", "cilium.io/namespace.labels.team", "example.com/io.cilium.k8s.namespace.labels.team",
		"namespace.labels.team", "k8s.namespace.labels.team",
	}
	// propPodKeys are the pod label keys of the generated selectors: the
	// near keys, ordinary keys, and keys with a Cilium label source (not
	// valid label keys).
	propPodKeys = append(append([]string{"app", "team", "tier", "kubernetes.io/metadata.name"}, propNearKeys...),
		"k8s:io.kubernetes.pod.namespace", "any:io.cilium.k8s.namespace.labels.team", "reserved:host", "$host")
	// propNSKeys are the namespace label keys of generated ns{...} parts.
	propNSKeys = []string{
		"team", "tier", "app", "kubernetes.io/metadata.name", "io.kubernetes.pod.namespace",
		"io.cilium.k8s.namespace.labels.team", "io.cilium.k8s.policy.cluster", "io.cilium.k8sx", "k8s:team",
	}
	propValues = []string{"shop", "attacker", "third", "red", "blue", "web", "x", "default"}
)

// propTerm is one generated selector term.
type propTerm struct {
	key    string
	op     string // ":", "!=", "in", "notin", "exists", "!"
	values []string
}

func (t propTerm) String() string {
	q := make([]string, len(t.values))
	for i, v := range t.values {
		q[i] = strconv.Quote(v)
	}
	k := strconv.Quote(t.key)
	switch t.op {
	case ":":
		return k + ": " + q[0]
	case "!=":
		return k + " != " + q[0]
	case "in", "notin":
		return k + " " + t.op + " (" + strings.Join(q, ", ") + ")"
	case "exists":
		return k
	}
	return "!" + k
}

// matches is the meaning of a term on a label set, as Kubernetes defines
// label selectors.
func (t propTerm) matches(labels map[string]string) bool {
	v, ok := labels[t.key]
	switch t.op {
	case ":", "in":
		return ok && slices.Contains(t.values, v)
	case "!=", "notin":
		return !ok || !slices.Contains(t.values, v)
	case "exists":
		return ok
	}
	return !ok
}

type propSelector []propTerm

func (s propSelector) String() string {
	parts := make([]string, len(s))
	for i, t := range s {
		parts[i] = t.String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (s propSelector) matches(labels map[string]string) bool {
	for _, t := range s {
		if !t.matches(labels) {
			return false
		}
	}
	return true
}

// propPeer is a generated peer: pods of the block's namespace, of a
// namespace by name, or of the namespaces whose labels match nsSel.
type propPeer struct {
	kind   int // 0 {pods}, 1 NS/{pods}, 2 ns{nsSel}/{pods}, 3 ns{nsSel}
	ns     string
	nsSel  propSelector
	podSel propSelector
}

func (p propPeer) String() string {
	switch p.kind {
	case 1:
		return p.ns + "/" + p.podSel.String()
	case 2:
		return "ns" + p.nsSel.String() + "/" + p.podSel.String()
	case 3:
		return "ns" + p.nsSel.String()
	}
	return p.podSel.String()
}

// reaches is the namespace rule: the namespaces a peer may select pods in
// are the block's (shop) for {...}, NS for NS/{...}, and those whose labels
// (with the name label the API server sets) match for ns{...}; never any
// other, whatever the pod selector says.
func (p propPeer) reaches(ns eval.Namespace) bool {
	switch p.kind {
	case 0:
		return ns.Name == propPolicyNS
	case 1:
		return ns.Name == p.ns
	}
	labels := map[string]string{"kubernetes.io/metadata.name": ns.Name}
	for k, v := range ns.Labels {
		labels[k] = v
	}
	return p.nsSel.matches(labels)
}

// selects is whether a peer selects a pod of namespace ns with labels.
func (p propPeer) selects(ns eval.Namespace, labels map[string]string) bool {
	return p.reaches(ns) && (p.kind == 3 || p.podSel.matches(labels))
}

func genSelector(r *rand.Rand, keys []string, maxTerms int) propSelector {
	var s propSelector
	for range r.Intn(maxTerms + 1) {
		t := propTerm{key: keys[r.Intn(len(keys))]}
		switch r.Intn(6) {
		case 0, 1:
			t.op = ":"
		case 2:
			t.op = "!="
		case 3:
			t.op = "in"
		case 4:
			t.op = "notin"
		default:
			t.op = []string{"exists", "!"}[r.Intn(2)]
		}
		switch t.op {
		case ":", "!=":
			t.values = []string{propValues[r.Intn(len(propValues))]}
		case "in", "notin":
			for range 1 + r.Intn(3) {
				if v := propValues[r.Intn(len(propValues))]; !slices.Contains(t.values, v) {
					t.values = append(t.values, v)
				}
			}
		}
		s = append(s, t)
	}
	return s
}

func genPeer(r *rand.Rand) propPeer {
	p := propPeer{kind: r.Intn(4)}
	// Bias towards the keys Cilium derives: they are the point.
	podKeys := propPodKeys
	if r.Intn(2) == 0 {
		podKeys = propNearKeys
	}
	switch p.kind {
	case 1:
		p.ns = propNamespace[r.Intn(len(propNamespace))].Name
	case 2, 3:
		p.nsSel = genSelector(r, propNSKeys, 2)
	}
	if p.kind != 3 {
		p.podSel = genSelector(r, podKeys, 3)
		if len(p.podSel) == 0 {
			p.podSel = genSelector(r, podKeys, 3)
		}
	}
	return p
}

// propWorld is the world: in every namespace, pods whose labels are random
// values of the generated keys, as the agent would label them (Cilium drops
// pod labels whose key starts with io.cilium.k8s and sets
// io.kubernetes.pod.namespace itself), one pod without labels, and web in
// shop.
func propWorld(r *rand.Rand) *eval.World {
	w := &eval.World{Namespaces: propNamespace}
	ip := 0
	add := func(ns, name string, labels map[string]string) {
		ip++
		w.Pods = append(w.Pods, eval.Pod{Namespace: ns, Name: name, Labels: labels,
			IP: netip.AddrFrom4([4]byte{10, 244, byte(ip / 200), byte(ip%200 + 1)})})
	}
	for _, ns := range propNamespace {
		add(ns.Name, "bare", map[string]string{})
		for i := range 7 {
			labels := map[string]string{}
			for _, k := range propPodKeys {
				if strings.HasPrefix(k, "io.cilium.k8s") || k == "io.kubernetes.pod.namespace" || strings.ContainsAny(k, ":$") {
					continue
				}
				if r.Intn(3) > 0 {
					labels[k] = propValues[r.Intn(len(propValues))]
				}
			}
			add(ns.Name, fmt.Sprintf("p%d", i), labels)
		}
	}
	add(propPolicyNS, "web", map[string]string{"app": "web"})
	return w
}

// TestNoSelectorCrossesNamespaces is a property test of the Cilium output:
// for random peers built from label keys near the ones Cilium derives, every
// peer the compiler accepts, loaded as a CiliumNetworkPolicy into Cilium's
// engine, lets a pod into shop/web (web's ingress side) exactly when the
// pod is in a namespace the peer names (shop for {...}) and its labels
// match; a pod of shop selected by a {...} peer may also leave (the egress
// side, whose subject is the peer). The expected
// verdict comes from that rule and the label selector semantics written
// here, not from netpolc's evaluator. Refused peers must be refused with
// reserved-label-key, bad-selector or bad-label-key only, or by the Cilium
// target for a label its identities leave out.
func TestNoSelectorCrossesNamespaces(t *testing.T) {
	const (
		peers = 3000
		batch = 50 // peers per program, each on its own port
	)
	r := rand.New(rand.NewSource(7))
	w := propWorld(r)
	var web *eval.Pod
	for i := range w.Pods {
		if w.Pods[i].Name == "web" {
			web = &w.Pods[i]
		}
	}
	nsOf := map[string]eval.Namespace{}
	for _, ns := range w.Namespaces {
		nsOf[ns.Name] = ns
	}

	refused := map[diag.Code]int{}
	var accepted []propPeer
	for range peers {
		p := genPeer(r)
		prog, diags := compileSource("namespace shop\nweb = {app: web}\n" + p.String() + " -> web:80\n")
		if !diags.HasErrors() {
			// The Cilium target also refuses labels its identities leave
			// out (TestLabelFilterRefusals).
			_, diags = targetcheck.Emit(cilium.Backend{}, prog, backends.Options{})
			if !diags.HasErrors() {
				accepted = append(accepted, p)
				continue
			}
		}
		for _, d := range diags {
			if d.Severity != diag.Error {
				continue
			}
			switch {
			case d.Code == backendtest.CodeReservedLabelKey, d.Code == backendtest.CodeBadSelector, d.Code == backendtest.CodeBadLabelKey,
				d.Code == "unsupported" && strings.Contains(d.Message, "by the label"):
				refused[d.Code]++
			default:
				t.Fatalf("%s: unexpected error %s", p, d)
			}
		}
	}

	flows, allowed, crossAllowed := 0, 0, 0
	failures := map[string]int{}
	for start := 0; start < len(accepted); start += batch {
		group := accepted[start:min(start+batch, len(accepted))]
		var src strings.Builder
		src.WriteString("namespace shop\nweb = {app: web}\n")
		for i, p := range group {
			fmt.Fprintf(&src, "%s -> web:%d\n", p, 1000+i)
		}
		prog, diags := compileSource(src.String())
		if diags.HasErrors() {
			t.Fatalf("compile:\n%s\n%v", src.String(), diags)
		}
		objs, ed := targetcheck.Emit(cilium.Backend{}, prog, backends.Options{})
		if ed.HasErrors() {
			t.Fatalf("emit:\n%s\n%v", src.String(), ed)
		}
		data, err := YAML(objs)
		if err != nil {
			t.Fatal(err)
		}
		eng, err := Load(w, data)
		if err != nil {
			t.Fatalf("%v\n%s", err, data)
		}
		for i, p := range group {
			for j := range w.Pods {
				from := &w.Pods[j]
				want := p.selects(nsOf[from.Namespace], from.Labels)
				v, err := eng.Decide(eval.Flow{From: eval.PodEndpoint(from), To: eval.PodEndpoint(web), Protocol: ir.TCP, Port: uint16(1000 + i)})
				if err != nil {
					t.Fatal(err)
				}
				flows++
				if v.Ingress.Allowed {
					allowed++
					if from.Namespace != propPolicyNS {
						crossAllowed++
					}
				}
				// web's ingress side decides which pods the peer selects.
				// A pod of shop that a {...} peer selects is also the
				// subject of the egress half of the rule.
				if v.Ingress.Allowed == want && !(p.kind == 0 && want && !v.Allowed) {
					continue
				}
				kind := "selected but denied"
				switch {
				case v.Ingress.Allowed && !p.reaches(nsOf[from.Namespace]):
					kind = "allowed from a namespace the peer does not name"
				case v.Ingress.Allowed:
					kind = "allowed but not selected"
				}
				if failures[kind]++; failures[kind] <= 3 {
					t.Errorf("%s: peer %s -> web:%d: Cilium says ingress allowed=%v (flow allowed=%v) for %s/%s %v, the namespace rule says %v\n(egress %+v, ingress %+v)",
						kind, p, 1000+i, v.Ingress.Allowed, v.Allowed, from.Namespace, from.Name, from.Labels, want, v.Egress, v.Ingress)
				}
			}
		}
	}
	if len(failures) > 0 {
		t.Fatalf("%d flows checked, wrong verdicts: %v", flows, failures)
	}
	t.Logf("%d peers generated: %d accepted, %d refused (errors %v); %d flows checked (%d allowed, %d of them from a namespace the peer names explicitly)",
		peers, len(accepted), peers-len(accepted), refused, flows, allowed, crossAllowed)
	if len(accepted) < peers/4 || refused[backendtest.CodeReservedLabelKey] < peers/10 || allowed == 0 || crossAllowed == 0 {
		t.Fatalf("degenerate generation: %d accepted, refused %v, %d allowed, %d from other namespaces", len(accepted), refused, allowed, crossAllowed)
	}
}
