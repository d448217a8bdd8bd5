// Package enginetest checks netpolc's output against Cilium's own policy
// engine. It is a separate Go module so that the main module does not
// inherit Cilium's agent dependencies (the test binary is about 100 MB).
//
// An Engine loads CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy and
// Kubernetes NetworkPolicy objects into Cilium v1.20.2's policy repository
// (pkg/policy) exactly as the agent does (CNP/CCNP Parse, which sanitizes
// and applies the namespace and cluster defaults; pkg/k8s ParseNetworkPolicy
// for NetworkPolicy; utils.RulesToPolicyEntries), models a compile/eval World
// as Cilium security identities, and decides flows:
//
//   - L3/L4: per side (the egress side of the source, the ingress side of the
//     destination), ComputeSelectorPolicy for the subject's identity,
//     DistillPolicy into the endpoint's policy map state, and Lookup of the
//     (peer identity, protocol, port) key, as pkg/policy's LookupFlow does;
//     a deny entry drops, an entry with a proxy port redirects to the L7
//     proxy.
//   - L7, on a redirected side only: the rules the proxy enforces for that
//     port and peer, read from the resolved L4 policy: every L4Filter of the
//     direction whose port (single, range, named or wildcard 0) and protocol
//     cover the flow, and each of its per-selector policies whose selector
//     selects the peer identity. This is the set of rules pkg/envoy's
//     GetDirectionNetworkPolicy hands to Envoy for the port (and the DNS
//     proxy's allowed set). A per-selector policy without L7 rules allows
//     every request (Envoy: "L3/L4 only rule, everything in L7 is allowed").
//     A redirected flow without request is reported L7-restricted unless
//     such an L7-open policy covers it (an L3-only allow overlapping a
//     DNS-proxy port still redirects, but lets every lookup through).
//     HTTP requests are matched against the Envoy rules Cilium computed with
//     the real L7 rules translator (PerSelectorPolicy.EnvoyHTTPRules, from
//     pkg/envoy/policy): every HeaderMatcher of one rule must match, where a
//     safe_regex matches the whole value (RE2, as Envoy's RegexMatcher),
//     exact compares literally, present_match checks presence, and header
//     names compare case-insensitively (:method, :path and :authority are
//     the pseudo-headers). DNS lookups are matched with Cilium's own
//     FQDNSelector.ToRegex on the lower-cased, dot-terminated name, as the
//     DNS proxy does.
//
// # World model
//
//   - A pod is an identity with its labels under the k8s source, plus
//     k8s:io.kubernetes.pod.namespace, the namespace's labels as
//     k8s:io.cilium.k8s.namespace.labels.<key> (kubernetes.io/metadata.name
//     included), k8s:io.cilium.k8s.policy.cluster=default and
//     k8s:io.cilium.k8s.policy.serviceaccount=default, as the agent derives
//     them. Every pod also gets a label of its own (PodIdentityLabel) so that
//     two pods with the same labels but different named container ports keep
//     distinct identities (Cilium resolves named ports per identity); no
//     policy ever selects on it.
//   - An external address is a local (CIDR) identity with the labels Cilium
//     gives an IP: cidr:<ip>/<bits> and reserved:world-ipv4 (or
//     world-ipv6; the agent runs dual-stack), plus, for every toFQDNs
//     selector of the loaded policies that matches one of its names,
//     the selector's fqdn: identity label, as the FQDN name manager labels
//     IPs learned through the DNS proxy. CIDR selectors match it through
//     Cilium's prefix-aware cidr: label matching.
//   - The local host is reserved:host, every other node reserved:remote-node,
//     the kube-apiserver reserved:kube-apiserver alone (Cilium's reserved
//     identity 7 also carries reserved:remote-node: see identities).
//   - Only pods are policy subjects here: the sides of externals, nodes, the
//     host and the kube-apiserver always allow (host policies are not
//     modelled).
//
// The agent configuration is Cilium's defaults (dual-stack, policy
// enforcement "default", non-default-deny policies enabled, L7 proxy
// enabled, CIDR policies do not select pods or nodes) with cluster name
// "default".
package enginetest

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/cilium/cilium/pkg/crypto/certificatemanager"
	"github.com/cilium/cilium/pkg/endpoint/regeneration"
	envoypolicy "github.com/cilium/cilium/pkg/envoy/policy"
	"github.com/cilium/cilium/pkg/identity"
	"github.com/cilium/cilium/pkg/identity/identitymanager"
	ciliumk8s "github.com/cilium/cilium/pkg/k8s"
	k8sConst "github.com/cilium/cilium/pkg/k8s/apis/cilium.io"
	v2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slim_networkingv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/api/networking/v1"
	"github.com/cilium/cilium/pkg/labels"
	"github.com/cilium/cilium/pkg/labelsfilter"
	"github.com/cilium/cilium/pkg/policy"
	"github.com/cilium/cilium/pkg/policy/api"
	policytypes "github.com/cilium/cilium/pkg/policy/types"
	"github.com/cilium/cilium/pkg/policy/utils"
	testidentity "github.com/cilium/cilium/pkg/testutils/identity"
	testpolicy "github.com/cilium/cilium/pkg/testutils/policy"
	pkgtypes "github.com/cilium/cilium/pkg/types"
	"github.com/cilium/cilium/pkg/u8proto"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// ClusterName is the agent's cluster name (Cilium's default).
const ClusterName = "default"

// PodIdentityLabel is the per-pod label the engine adds to every pod
// identity (see the package documentation).
const PodIdentityLabel = "netpolc.test/pod"

var initOnce sync.Once

func initCilium() {
	initOnce.Do(func() {
		api.InitEntities(ClusterName)
		// The agent's default identity label filter (no label prefix
		// file, no extra prefixes): pod identities keep what a default
		// Cilium keeps (see identities).
		if err := labelsfilter.ParseLabelPrefixCfg(discard, nil, nil, ""); err != nil {
			panic(err)
		}
	})
}

// discard is the logger of every Cilium component the engine builds.
var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// Engine is Cilium's policy repository loaded with a set of policies, over
// one World.
type Engine struct {
	repo  *policy.Repository
	world *eval.World

	ids     identity.IdentityMap
	podIDs  map[*eval.Pod]identity.NumericIdentity
	extIDs  map[*eval.External]identity.NumericIdentity
	ports   map[identity.NumericIdentity]pkgtypes.NamedPortMap
	fqdnSel []api.FQDNSelector

	mu       sync.Mutex
	policies map[identity.NumericIdentity]*endpointPolicy
}

// Objects are the policies to load, already decoded.
type Objects struct {
	CNPs  []*v2.CiliumNetworkPolicy
	CCNPs []*v2.CiliumClusterwideNetworkPolicy
	NPs   []*slim_networkingv1.NetworkPolicy
}

// DecodeYAML reads a multi-document YAML stream of CiliumNetworkPolicy,
// CiliumClusterwideNetworkPolicy and networking.k8s.io/v1 NetworkPolicy
// objects, strictly (unknown fields are errors).
func DecodeYAML(data []byte) (Objects, error) {
	var out Objects
	for _, doc := range splitYAML(data) {
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return out, fmt.Errorf("decode: %v\n%s", err, doc)
		}
		var err error
		switch meta.APIVersion + "/" + meta.Kind {
		case "cilium.io/v2/CiliumNetworkPolicy":
			var o v2.CiliumNetworkPolicy
			err = yaml.UnmarshalStrict(doc, &o)
			out.CNPs = append(out.CNPs, &o)
		case "cilium.io/v2/CiliumClusterwideNetworkPolicy":
			var o v2.CiliumClusterwideNetworkPolicy
			err = yaml.UnmarshalStrict(doc, &o)
			out.CCNPs = append(out.CCNPs, &o)
		case "networking.k8s.io/v1/NetworkPolicy":
			var o slim_networkingv1.NetworkPolicy
			err = yaml.UnmarshalStrict(doc, &o)
			out.NPs = append(out.NPs, &o)
		default:
			err = fmt.Errorf("unexpected object %s %s", meta.APIVersion, meta.Kind)
		}
		if err != nil {
			return out, fmt.Errorf("decode: %v\n%s", err, doc)
		}
	}
	return out, nil
}

func splitYAML(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(append([]byte("\n"), data...), []byte("\n---")) {
		if len(bytes.TrimSpace(d)) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

// YAML is objs as netpolc writes them (backends.WriteYAML): the bytes the
// engine is loaded from, so that what is judged is what a user applies.
func YAML(objs []backends.Object) ([]byte, error) {
	var buf bytes.Buffer
	err := backends.WriteYAML(&buf, objs)
	return buf.Bytes(), err
}

// Load reads a YAML stream of policies strictly (DecodeYAML) and loads them
// into an engine over w (New).
func Load(w *eval.World, data []byte) (*Engine, error) {
	objs, err := DecodeYAML(data)
	if err != nil {
		return nil, err
	}
	eng, err := New(w, objs)
	if err != nil {
		return nil, fmt.Errorf("Cilium rejects the policies: %w", err)
	}
	return eng, nil
}

// New parses objs as the agent does and loads them into a new policy
// repository whose identities are w's endpoints. A policy that Cilium
// rejects is an error (the agent would not enforce it).
func New(w *eval.World, objs Objects) (*Engine, error) {
	initCilium()
	var entries policytypes.PolicyEntries
	for _, cnp := range objs.CNPs {
		rules, err := cnp.Parse(discard, ClusterName)
		if err != nil {
			return nil, fmt.Errorf("CiliumNetworkPolicy %s/%s: %w", cnp.Namespace, cnp.Name, err)
		}
		entries = append(entries, utils.RulesToPolicyEntries(rules)...)
	}
	for _, ccnp := range objs.CCNPs {
		rules, err := ccnp.Parse(discard, ClusterName)
		if err != nil {
			return nil, fmt.Errorf("CiliumClusterwideNetworkPolicy %s: %w", ccnp.Name, err)
		}
		entries = append(entries, utils.RulesToPolicyEntries(rules)...)
	}
	for _, np := range objs.NPs {
		es, err := ciliumk8s.ParseNetworkPolicy(discard, ClusterName, np)
		if err != nil {
			return nil, fmt.Errorf("NetworkPolicy %s/%s: %w", np.Namespace, np.Name, err)
		}
		entries = append(entries, es...)
	}

	e := &Engine{
		world:    w,
		ids:      identity.IdentityMap{},
		podIDs:   map[*eval.Pod]identity.NumericIdentity{},
		extIDs:   map[*eval.External]identity.NumericIdentity{},
		ports:    map[identity.NumericIdentity]pkgtypes.NamedPortMap{},
		policies: map[identity.NumericIdentity]*endpointPolicy{},
	}
	e.fqdnSel = fqdnSelectors(entries)
	if err := e.identities(); err != nil {
		return nil, err
	}

	idmgr := identitymanager.NewIDManager(discard)
	translator := envoypolicy.NewEnvoyL7RulesTranslator(discard, certificatemanager.NewMockSecretManagerInline())
	e.repo = policy.NewPolicyRepository(discard, e.ids, nil, translator, idmgr, testpolicy.NewPolicyMetricsNoop())
	e.repo.GetSelectorCache().SetLocalIdentityNotifier(testidentity.NewDummyIdentityNotifier())
	e.repo.SetNamedPortsGetter(e)
	e.repo.UpdateIdentities(e.ids, nil)
	e.repo.MustAddPolicyEntries(entries)
	return e, nil
}

// GetNamedPorts implements policy.NamedPortsGetter: the named container
// ports of every pod identity (egress named ports resolve through it).
func (e *Engine) GetNamedPorts() pkgtypes.NamedPortMultiMap {
	m := pkgtypes.NewNamedPortMultiMap()
	for nid, ports := range e.ports {
		m.Update(nid, nil, ports)
	}
	return m
}

// fqdnSelectors returns the toFQDNs selectors of entries.
func fqdnSelectors(entries policytypes.PolicyEntries) []api.FQDNSelector {
	seen := map[string]bool{}
	var out []api.FQDNSelector
	for _, en := range entries {
		for _, sel := range en.L3 {
			if fs, ok := sel.GetFQDNSelector(); ok && !seen[fs.String()] {
				seen[fs.String()] = true
				out = append(out, *fs)
			}
		}
	}
	return out
}

// First numeric identities of pods (cluster scope) and externals (local
// CIDR scope).
const (
	firstPodID = identity.NumericIdentity(10000)
	firstExtID = identity.IdentityScopeLocal + 1
)

// identities allocates the identities of the world's endpoints.
func (e *Engine) identities() error {
	w := e.world
	nsLabels := map[string]map[string]string{}
	for _, ns := range w.Namespaces {
		l := map[string]string{eval.NamespaceNameLabel: ns.Name}
		for k, v := range ns.Labels {
			l[k] = v
		}
		nsLabels[ns.Name] = l
	}
	next := firstPodID
	for i := range w.Pods {
		p := &w.Pods[i]
		nsl := nsLabels[p.Namespace]
		if nsl == nil {
			nsl = map[string]string{eval.NamespaceNameLabel: p.Namespace}
		}
		lbls := labels.LabelArray{
			labels.NewLabel(k8sConst.PodNamespaceLabel, p.Namespace, labels.LabelSourceK8s),
			labels.NewLabel(k8sConst.PolicyLabelCluster, ClusterName, labels.LabelSourceK8s),
			labels.NewLabel(k8sConst.PolicyLabelServiceAccount, "default", labels.LabelSourceK8s),
			labels.NewLabel(PodIdentityLabel, p.Namespace+"."+p.Name, labels.LabelSourceK8s),
		}
		for k, v := range p.Labels {
			lbls = append(lbls, labels.NewLabel(k, v, labels.LabelSourceK8s))
		}
		for k, v := range nsl {
			lbls = append(lbls, labels.NewLabel(k8sConst.PodNamespaceMetaLabelsPrefix+k, v, labels.LabelSourceK8s))
		}
		// As the agent does, the identity keeps only the labels its label
		// filter accepts.
		kept, _ := labelsfilter.Filter(lbls.Labels())
		nid := next
		next++
		e.ids[nid] = kept.LabelArray()
		e.podIDs[p] = nid
		ports := pkgtypes.NamedPortMap{}
		for _, cp := range p.Ports {
			proto := string(cp.Protocol)
			if proto == "" {
				proto = string(ir.TCP)
			}
			if err := ports.AddPort(cp.Name, int(cp.Port), proto); err != nil {
				return fmt.Errorf("pod %s/%s port %s: %w", p.Namespace, p.Name, cp.Name, err)
			}
		}
		e.ports[nid] = ports
	}
	regexes := make([]func(string) bool, len(e.fqdnSel))
	for i := range e.fqdnSel {
		re, err := e.fqdnSel[i].ToRegex()
		if err != nil {
			return fmt.Errorf("toFQDNs %s: %w", e.fqdnSel[i].String(), err)
		}
		regexes[i] = re.MatchString
	}
	next = firstExtID
	for i := range w.Externals {
		x := &w.Externals[i]
		lbls := labels.GetCIDRLabels(netip.PrefixFrom(x.IP, x.IP.BitLen()))
		for _, name := range x.Names {
			n := dnsName(name)
			for j, match := range regexes {
				if match(n) {
					l := e.fqdnSel[j].IdentityLabel()
					lbls[l.Key] = l
				}
			}
		}
		nid := next
		next++
		e.ids[nid] = lbls.LabelArray()
		e.extIDs[x] = nid
	}
	// compile/eval's kube-apiserver is matched by the kube-apiserver,
	// cluster and all entities only. Cilium's reserved identity 7 is the
	// API server on a remote node ([reserved:kube-apiserver
	// reserved:remote-node]); on a real cluster the API server's IPs carry
	// reserved:kube-apiserver plus what else they are (host, remote-node,
	// or world and cidr: for a managed control plane). The engine gives
	// identity 7 reserved:kube-apiserver alone, the one labelling that
	// matches eval's model.
	e.ids[identity.ReservedIdentityKubeAPIServer] = labels.LabelKubeAPIServer.LabelArray()
	for _, nid := range []identity.NumericIdentity{
		identity.ReservedIdentityHost, identity.ReservedIdentityRemoteNode,
		identity.ReservedIdentityWorld,
		identity.ReservedIdentityWorldIPv4, identity.ReservedIdentityWorldIPv6,
	} {
		e.ids[nid] = identity.LookupReservedIdentity(nid).LabelArray
	}
	return nil
}

// dnsName is name as the DNS proxy and the FQDN name manager see it:
// lower-case and dot-terminated.
func dnsName(name string) string {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// Identity returns the numeric identity of ep and whether ep is a policy
// subject (a pod).
func (e *Engine) Identity(ep eval.Endpoint) (identity.NumericIdentity, bool) {
	switch ep.Kind {
	case eval.EndpointPod:
		if nid, ok := e.podIDs[ep.Pod]; ok {
			return nid, true
		}
	case eval.EndpointExternal:
		if nid, ok := e.extIDs[ep.External]; ok {
			return nid, false
		}
	case eval.EndpointNode:
		if ep.Node.Local {
			return identity.ReservedIdentityHost, false
		}
		return identity.ReservedIdentityRemoteNode, false
	case eval.EndpointAPIServer:
		return identity.ReservedIdentityKubeAPIServer, false
	case eval.EndpointHost:
		return identity.ReservedIdentityHost, false
	}
	panic("enginetest: endpoint not in the world: " + ep.String())
}

// Labels returns the identity labels of ep, for reports.
func (e *Engine) Labels(ep eval.Endpoint) string {
	nid, _ := e.Identity(ep)
	return fmt.Sprintf("%d %v", nid, e.ids[nid])
}

// endpointPolicy is the resolved and distilled policy of one subject
// identity.
type endpointPolicy struct {
	epp   *policy.EndpointPolicy
	owner *owner
}

// owner implements policy.PolicyOwner for a pod.
type owner struct {
	id    identity.NumericIdentity
	ports pkgtypes.NamedPortMap
}

func (o *owner) GetID() uint64 { return uint64(o.id) }

func (o *owner) GetIngressNamedPort(name string, proto u8proto.U8proto) uint16 {
	port, err := o.ports.GetNamedPort(name, proto)
	if err != nil {
		return 0
	}
	return port
}

func (o *owner) PolicyDebug(string, ...any)                  {}
func (o *owner) IsHost() bool                                { return false }
func (o *owner) PreviousMapStateSizes() policy.MapStateSizes { return policy.MapStateSizes{} }
func (o *owner) RegenerateIfAlive(*regeneration.ExternalRegenerationMetadata) <-chan bool {
	ch := make(chan bool)
	close(ch)
	return ch
}

// policyOf resolves and distills the policy of the pod identity nid (once).
// Redirects all use one proxy port, as pkg/policy's LookupFlow does.
func (e *Engine) policyOf(nid identity.NumericIdentity) (*endpointPolicy, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.policies[nid]; ok {
		return p, nil
	}
	sp, _, err := e.repo.ComputeSelectorPolicy(&identity.Identity{ID: nid, LabelArray: e.ids[nid], Labels: e.ids[nid].Labels()})
	if err != nil {
		return nil, err
	}
	o := &owner{id: nid, ports: e.ports[nid]}
	epp := sp.DistillPolicy(discard, o, map[string]uint16{policy.FallbackRedirectID: proxyPort})
	epp.Ready()
	p := &endpointPolicy{epp: epp, owner: o}
	e.policies[nid] = p
	return p, nil
}

// proxyPort is the proxy port of every redirect.
const proxyPort = 65535

// L7Status says how the L7 proxy bears on one side of a flow.
type L7Status int

// L7 statuses, as eval's.
const (
	L7None       L7Status = iota // not redirected to a proxy
	L7Restricted                 // redirected; the flow carries no request
	L7Allowed                    // redirected; the proxy allows the request
	L7Denied                     // redirected; the proxy rejects the request
)

func (s L7Status) String() string {
	return [...]string{"none", "restricted", "allowed", "denied"}[s]
}

// Side is Cilium's decision for one side of a flow.
type Side struct {
	Subject bool // the endpoint is a pod (a policy subject)
	// Entry is the policy map entry the lookup found (for reports).
	Entry string
	// Denied: the datapath drops the flow (deny entry or no allow entry).
	Denied bool
	L7     L7Status
	// Allowed is the side's verdict.
	Allowed bool
}

// Verdict is Cilium's decision on a flow.
type Verdict struct {
	Allowed      bool
	L7Restricted bool
	Egress       Side
	Ingress      Side
}

// Decide decides f with Cilium's engine.
func (e *Engine) Decide(f eval.Flow) (Verdict, error) {
	if f.ICMP != nil {
		return Verdict{}, fmt.Errorf("ICMP flows are not supported")
	}
	var v Verdict
	var err error
	if v.Egress, err = e.side(f, true); err != nil {
		return v, err
	}
	if v.Ingress, err = e.side(f, false); err != nil {
		return v, err
	}
	v.Allowed = v.Egress.Allowed && v.Ingress.Allowed
	v.L7Restricted = v.Allowed && (v.Egress.L7 == L7Restricted || v.Ingress.L7 == L7Restricted)
	return v, nil
}

func protoOf(p ir.Protocol) (u8proto.U8proto, error) {
	switch p {
	case "", ir.TCP:
		return u8proto.TCP, nil
	case ir.UDP:
		return u8proto.UDP, nil
	case ir.SCTP:
		return u8proto.SCTP, nil
	}
	return 0, fmt.Errorf("unsupported flow protocol %q", p)
}

// side decides the egress side of f.From (egress) or the ingress side of
// f.To.
func (e *Engine) side(f eval.Flow, egress bool) (Side, error) {
	subject, peer := f.To, f.From
	if egress {
		subject, peer = f.From, f.To
	}
	sid, isPod := e.Identity(subject)
	pid, _ := e.Identity(peer)
	if !isPod {
		return Side{Allowed: true}, nil
	}
	proto, err := protoOf(f.Protocol)
	if err != nil {
		return Side{}, err
	}
	ep, err := e.policyOf(sid)
	if err != nil {
		return Side{}, err
	}
	key := policy.IngressKey()
	if egress {
		key = policy.EgressKey()
	}
	key = key.WithIdentity(pid).WithPortProto(proto, f.Port)
	entry, _, found := ep.epp.Lookup(key)
	s := Side{Subject: true, Entry: fmt.Sprintf("found=%v %s", found, entry.String())}
	if entry.IsDeny() {
		s.Denied = true
		return s, nil
	}
	s.Allowed = true
	if !entry.IsRedirectEntry() {
		return s, nil
	}
	var peerPorts pkgtypes.NamedPortMap
	if egress {
		peerPorts = e.ports[pid]
	}
	if f.HTTP == nil && f.DNSName == "" {
		// Redirected, but the proxy may still let everything through: a
		// covering rule without L7 rules (an L3-only or L4-only allow
		// of the peer) is an L7 wildcard for it.
		if !e.proxyOpen(ep, egress, pid, proto, f, peerPorts) {
			s.L7 = L7Restricted
		}
		return s, nil
	}
	if e.proxyAllows(ep, egress, pid, proto, f, peerPorts) {
		s.L7 = L7Allowed
	} else {
		s.L7, s.Allowed = L7Denied, false
	}
	return s, nil
}

// proxyAllows reports whether the proxy (Envoy for HTTP, the DNS proxy for
// DNS) allows f's request from (ingress) or to (egress) peer pid: one of the
// per-selector policies of the L4 filters covering the flow's port and
// protocol, whose selector selects pid, allows it.
func (e *Engine) proxyAllows(ep *endpointPolicy, egress bool, pid identity.NumericIdentity, proto u8proto.U8proto, f eval.Flow, peerPorts pkgtypes.NamedPortMap) bool {
	allowed := false
	e.coveringPolicies(ep, egress, pid, proto, f, peerPorts, func(psp *policy.PerSelectorPolicy) bool {
		allowed = requestAllowed(psp, f)
		return !allowed
	})
	return allowed
}

// proxyOpen reports whether one of the per-selector policies the proxy
// gets for f's port and peer pid (see proxyAllows) has no L7 rules, so
// that the proxy allows every request.
func (e *Engine) proxyOpen(ep *endpointPolicy, egress bool, pid identity.NumericIdentity, proto u8proto.U8proto, f eval.Flow, peerPorts pkgtypes.NamedPortMap) bool {
	open := false
	e.coveringPolicies(ep, egress, pid, proto, f, peerPorts, func(psp *policy.PerSelectorPolicy) bool {
		switch psp.GetL7Parser() {
		case policy.ParserTypeNone:
			open = true
		case policy.ParserTypeHTTP:
			open = len(psp.HTTP) == 0
		case policy.ParserTypeDNS:
			open = len(psp.DNS) == 0
		}
		return !open
	})
	return open
}

// coveringPolicies calls yield with every allow per-selector policy of the
// L4 filters of the direction that cover f's port and protocol and whose
// selector selects pid, until yield returns false.
func (e *Engine) coveringPolicies(ep *endpointPolicy, egress bool, pid identity.NumericIdentity, proto u8proto.U8proto, f eval.Flow, peerPorts pkgtypes.NamedPortMap, yield func(*policy.PerSelectorPolicy) bool) {
	dir := &ep.epp.SelectorPolicy.L4Policy.Ingress
	if egress {
		dir = &ep.epp.SelectorPolicy.L4Policy.Egress
	}
	for l4 := range dir.PortRules.Filters() {
		if l4.U8Proto != proto && l4.U8Proto != u8proto.ANY {
			continue
		}
		if !filterCovers(l4, f.Port, egress, ep.owner, peerPorts) {
			continue
		}
		for cs, psp := range l4.PerSelectorPolicies {
			if !cs.Selects(pid) || psp.IsDeny() {
				continue
			}
			if !yield(psp) {
				return
			}
		}
	}
}

// filterCovers reports whether l4's port covers port: every port (0), a
// port or range, or a named port resolved against the destination (the
// subject on ingress, the peer on egress).
func filterCovers(l4 *policy.L4Filter, port uint16, egress bool, o *owner, peerPorts pkgtypes.NamedPortMap) bool {
	if l4.PortName != "" {
		var p uint16
		if egress {
			p, _ = peerPorts.GetNamedPort(l4.PortName, l4.U8Proto)
		} else {
			p = o.GetIngressNamedPort(l4.PortName, l4.U8Proto)
		}
		return p != 0 && p == port
	}
	if l4.Port == 0 {
		return true
	}
	end := l4.EndPort
	if end == 0 {
		end = l4.Port
	}
	return port >= l4.Port && port <= end
}

// requestAllowed reports whether one per-selector policy allows f's HTTP
// request or DNS lookup.
func requestAllowed(psp *policy.PerSelectorPolicy, f eval.Flow) bool {
	switch psp.GetL7Parser() {
	case policy.ParserTypeNone:
		return true // L3/L4 only: everything at L7 is allowed
	case policy.ParserTypeHTTP:
		if f.HTTP == nil {
			return false
		}
		if len(psp.HTTP) == 0 {
			return true
		}
		return matchHTTP(psp.EnvoyHTTPRules(), f.HTTP)
	case policy.ParserTypeDNS:
		if f.DNSName == "" {
			return false
		}
		if len(psp.DNS) == 0 {
			return true
		}
		return matchDNS(psp.DNS, f.DNSName)
	}
	return false
}

// SortedIdentities lists the identities of the engine, for reports.
func (e *Engine) SortedIdentities() []string {
	var out []string
	for nid, l := range e.ids {
		out = append(out, fmt.Sprintf("%d %v", nid, l))
	}
	sort.Strings(out)
	return out
}

// Precompute resolves and distills the policy of every pod identity of
// the world (what the agent does once per endpoint), so that later
// decisions are lookups only.
func (e *Engine) Precompute() error {
	for _, nid := range e.podIDs {
		if _, err := e.policyOf(nid); err != nil {
			return err
		}
	}
	return nil
}

// AllowedL4 is Decide(f).Allowed for a flow without HTTP request or DNS
// lookup: both sides' policy map lookups, without the reports Decide
// builds (for benchmarks; a test checks it against Decide).
func (e *Engine) AllowedL4(f eval.Flow) (bool, error) {
	if f.ICMP != nil || f.HTTP != nil || f.DNSName != "" {
		return false, fmt.Errorf("AllowedL4 takes L3/L4 flows only")
	}
	proto, err := protoOf(f.Protocol)
	if err != nil {
		return false, err
	}
	for _, egress := range []bool{true, false} {
		subject, peer := f.To, f.From
		key := policy.IngressKey()
		if egress {
			subject, peer = f.From, f.To
			key = policy.EgressKey()
		}
		sid, isPod := e.Identity(subject)
		if !isPod {
			continue
		}
		pid, _ := e.Identity(peer)
		ep, err := e.policyOf(sid)
		if err != nil {
			return false, err
		}
		entry, _, _ := ep.epp.Lookup(key.WithIdentity(pid).WithPortProto(proto, f.Port))
		if entry.IsDeny() {
			return false, nil
		}
	}
	return true, nil
}
