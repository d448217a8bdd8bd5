package dataplane

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/knpdeviation"
	"github.com/netpolc/netpolc/internal/testsupport/nporacle"
	"github.com/netpolc/netpolc/lang/source"
)

// A program on the dataplane: its NetworkPolicies are applied, the agent
// enforces them, and real packets between the pods of its world must be
// allowed or dropped exactly as netpolc's evaluator (compile/eval) and
// cyclonus's matcher (internal/testsupport/nporacle) say.

// Probe timing. A dropped packet gets no answer, so a denied probe costs
// dropTimeout; probes run probeParallelism at a time (well under the
// agent's queue length of 1024). A verdict that contradicts the
// expectation is probed again after confirmDelay with confirmTimeout before
// it counts: a slow agent on a busy machine, or its informers still
// catching up with the API server, must not pass for a wrong verdict.
const (
	dropTimeout      = 250 * time.Millisecond
	confirmDelay     = 500 * time.Millisecond
	confirmTimeout   = 2 * time.Second
	probeParallelism = 128
	// syncTimeout bounds the wait for the agent to enforce a program.
	syncTimeout = 15 * time.Second
	// sampledFlows is the number of flows drawn from all pod pairs and
	// ports of a program, besides its planned probes.
	sampledFlows = 120
)

// program is one compiled program with the world and flows to probe.
type program struct {
	name    string
	prog    *ir.Program
	world   *eval.World // every pod has an IPv4 address
	planned []plannedProbe
	objs    []backends.Object // the NetworkPolicies to apply
	// sources holds the lines of each source file, for messages.
	sources map[string][]string
	// replay says how to reproduce a failure (a seed, an example).
	replay string
	// admin: objs hold admin policies (the netpol-api target, v1alpha1);
	// the agent must run in its admin-policy mode.
	admin bool
}

// plannedProbe is a flow of the program's test plan with the plan's verdict
// and the source of the rule deciding it.
type plannedProbe struct {
	flow    eval.Flow
	allowed bool
	source  string
	reason  string
}

// flowCheck is one flow to probe and what it must show.
type flowCheck struct {
	flow     eval.Flow
	planned  *plannedProbe
	eval     eval.Verdict
	cyclonus bool
	// podIPBlock: an ipBlock of the policies covers a pod address of this
	// flow, and cyclonus judges it differently when ipBlocks match pods.
	// NetworkPolicy leaves that to the plugin; kube-network-policies
	// matches ipBlocks against pods, so the expected packet verdict is
	// cyclonus's with ipBlocks matching pods (cyclonusPodIPBlocks).
	podIPBlock          bool
	cyclonusPodIPBlocks bool
	// baselineSkipped: an admin-policy program where kube-network-policies
	// v0.8.0 skips the baseline object for the source pod although the API
	// applies it (deviation a, internal/testsupport/knpdeviation), and this
	// changes the verdict: the packets must show withoutBaseline, the
	// evaluator's verdict without cluster-wide egress isolation.
	baselineSkipped, withoutBaseline bool
	observed                         bool
	err                              error // the probe failed (not a verdict)
}

// want is the verdict the packets must show.
func (c *flowCheck) want() bool {
	if c.baselineSkipped {
		return c.withoutBaseline
	}
	if c.podIPBlock {
		return c.cyclonusPodIPBlocks
	}
	return c.eval.Allowed
}

// stats counts what a run checked.
type stats struct {
	programs        atomic.Int64
	verdicts        atomic.Int64 // packet verdicts checked
	allowed, denied atomic.Int64
	tcp, udp        atomic.Int64
	planned         atomic.Int64 // of the verdicts, probes of a test plan
	podIPBlocks     atomic.Int64 // of the verdicts, judged with ipBlocks matching pods
	baselineSkipped atomic.Int64 // of the verdicts, judged with the agent's deviation (a)
	skippedSCTP     atomic.Int64 // flows not probed: no SCTP in this kernel/harness
	skippedNonPod   atomic.Int64 // flows not probed: externals, nodes, ICMP, L7
	// First probes contradicted and corrected on confirmation: a
	// connection that timed out (a slow agent on a busy machine), or one
	// that passed although it must be dropped (the agent not caught up).
	slowAllows, lateDrops atomic.Int64
	// enforcedAtOnce counts the programs the agent enforced by the time
	// their objects were created (the first probes after showed it).
	enforcedAtOnce     atomic.Int64
	adminObjects       atomic.Int64
	emptyPrograms      atomic.Int64
	rejectedPrograms   atomic.Int64
	oracleDisagreement atomic.Int64
}

func (s *stats) String() string {
	return fmt.Sprintf("%d packet verdicts checked on %d programs (%d allowed, %d dropped; %d TCP, %d UDP; %d from test plans, %d judged with ipBlocks matching pods); "+
		"not probed: %d SCTP flows (no SCTP here), %d flows with an external, node, ICMP or L7 end; "+
		"re-probed before agreeing: %d allowed flows whose first probe timed out, %d denied flows whose first probe passed; "+
		"%d programs enforced as soon as their objects were created%s",
		s.verdicts.Load(), s.programs.Load(), s.allowed.Load(), s.denied.Load(), s.tcp.Load(), s.udp.Load(),
		s.planned.Load(), s.podIPBlocks.Load(), s.skippedSCTP.Load(), s.skippedNonPod.Load(), s.slowAllows.Load(), s.lateDrops.Load(), s.enforcedAtOnce.Load(), s.adminText())
}

// adminText adds the counts of admin-policy programs.
func (s *stats) adminText() string {
	if s.adminObjects.Load() == 0 {
		return ""
	}
	return fmt.Sprintf("; %d admin policies applied, %d verdicts judged with deviation (a) of the agent (baseline skipped for a pod a NetworkPolicy of the other direction selects)",
		s.adminObjects.Load(), s.baselineSkipped.Load())
}

// probeable reports whether the harness can send f: TCP or UDP between two
// pods, without ICMP or L7 content.
func probeable(f eval.Flow, st *stats) bool {
	if f.From.Kind != eval.EndpointPod || f.To.Kind != eval.EndpointPod || f.ICMP != nil || f.HTTP != nil || f.DNSName != "" {
		st.skippedNonPod.Add(1)
		return false
	}
	switch proto(f) {
	case ir.TCP, ir.UDP:
		return true
	case ir.SCTP:
		st.skippedSCTP.Add(1)
	}
	return false
}

func proto(f eval.Flow) ir.Protocol {
	if f.Protocol == "" {
		return ir.TCP
	}
	return f.Protocol
}

// flows returns the flows to probe for p: its planned probes, then
// sampledFlows drawn from every ordered pod pair and every port the plan
// and the pods use, without duplicates.
func (p *program) flows(st *stats) []flowCheck {
	type key struct {
		from, to *eval.Pod
		proto    ir.Protocol
		port     uint16
	}
	seen := map[key]bool{}
	var out []flowCheck
	ports := map[portKey]bool{}
	for i := range p.planned {
		pp := &p.planned[i]
		f := pp.flow
		if !probeable(f, st) {
			continue
		}
		k := key{f.From.Pod, f.To.Pod, proto(f), f.Port}
		ports[portKey{proto(f), f.Port}] = true
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, flowCheck{flow: f, planned: pp})
	}
	for _, pod := range p.world.Pods {
		for _, cp := range pod.Ports {
			pr := cp.Protocol
			if pr == "" {
				pr = ir.TCP
			}
			if pr == ir.TCP || pr == ir.UDP {
				ports[portKey{pr, cp.Port}] = true
			}
		}
	}
	portList := make([]portKey, 0, len(ports))
	for k := range ports {
		portList = append(portList, k)
	}
	sort.Slice(portList, func(i, j int) bool {
		if portList[i].proto != portList[j].proto {
			return portList[i].proto < portList[j].proto
		}
		return portList[i].port < portList[j].port
	})
	var all []key
	for i := range p.world.Pods {
		for j := range p.world.Pods {
			if i == j {
				continue
			}
			for _, pk := range portList {
				k := key{&p.world.Pods[i], &p.world.Pods[j], pk.proto, pk.port}
				if !seen[k] {
					all = append(all, k)
				}
			}
		}
	}
	h := fnv.New64a()
	h.Write([]byte(p.name))
	r := rand.New(rand.NewSource(int64(h.Sum64())))
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	for _, k := range all[:min(len(all), sampledFlows)] {
		out = append(out, flowCheck{flow: eval.Flow{
			From: eval.PodEndpoint(k.from), To: eval.PodEndpoint(k.to), Protocol: k.proto, Port: k.port,
		}})
	}
	return out
}

// run applies p, probes its flows and returns the failures (at most a
// few, each a full report).
func (h *harness) run(p *program, st *stats) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var nps []*networkingv1.NetworkPolicy
	var admin []*unstructured.Unstructured
	for _, o := range p.objs {
		if np, ok := o.Value.(*networkingv1.NetworkPolicy); ok {
			nps = append(nps, np)
			continue
		}
		if !h.agent.admin {
			return []string{fmt.Sprintf("%s: emitted a %s %s, not a NetworkPolicy, and the agent is not in its admin-policy mode", p.name, o.Kind, o.Name)}
		}
		u, err := unstructuredOf(o)
		if err != nil {
			return []string{fmt.Sprintf("%s: %s %s: %v", p.name, o.Kind, o.Name, err)}
		}
		admin = append(admin, u)
	}
	checks := p.flows(st)
	if len(checks) == 0 {
		return []string{p.name + ": no flow to probe"}
	}
	// Servers first: every destination answers on the probed ports.
	for i := range checks {
		f := checks[i].flow
		dst, err := h.node.pod(f.To.Pod.IP)
		if err != nil {
			return []string{p.name + ": " + err.Error()}
		}
		if err := dst.serve(proto(f), f.Port); err != nil {
			return []string{p.name + ": " + err.Error()}
		}
		if _, err := h.node.pod(f.From.Pod.IP); err != nil {
			return []string{p.name + ": " + err.Error()}
		}
	}

	ctx, cancel := apiContext()
	defer cancel()
	a := &applied{}
	defer func() {
		ctx, cancel := apiContext()
		defer cancel()
		_ = a.remove(ctx, h.cs, h.dyn)
	}()
	if err := applyWorld(ctx, h.cs, p.world, a); err != nil {
		return []string{p.name + ": " + err.Error()}
	}
	if err := applyPolicies(ctx, h.cs, nps, a); err != nil {
		return []string{p.name + ": " + err.Error()}
	}
	if err := applyAdmin(ctx, h.dyn, admin, a); err != nil {
		return []string{p.name + ": " + err.Error()}
	}
	st.adminObjects.Add(int64(len(admin)))

	// The expected verdicts: netpolc's evaluator on the program, cyclonus
	// on the policies as the server stored them.
	ev := eval.New(p.prog, p.world)
	oracle := nporacle.New(p.world, a.policies)
	var failures []string
	fail := func(s string) {
		if len(failures) < 5 {
			failures = append(failures, s)
		}
	}
	var alt *eval.Evaluator
	var skipped map[*eval.Pod]bool
	if p.admin {
		// cyclonus knows no admin policy: the evaluator alone, and for
		// a pod whose baseline the agent skips (deviation a), the
		// evaluator without cluster-wide egress isolation.
		alt = eval.New(knpdeviation.WithoutClusterEgressIsolation(p.prog), p.world)
		skipped = knpdeviation.BaselineSkippedPods(p.world, a.policies)
	}
	for i := range checks {
		c := &checks[i]
		c.eval = ev.Decide(c.flow)
		if p.admin {
			c.cyclonus = c.eval.Allowed
			if skipped[c.flow.From.Pod] {
				if v := alt.Decide(c.flow).Allowed; v != c.eval.Allowed {
					c.baselineSkipped, c.withoutBaseline = true, v
				}
			}
			continue
		}
		c.cyclonus = oracle.Allowed(c.flow)
		c.cyclonusPodIPBlocks = oracle.AllowedIPBlocksMatchingPods(c.flow)
		c.podIPBlock = c.cyclonusPodIPBlocks != c.cyclonus
	}

	// Wait until the agent enforces the program: a flow that must be
	// dropped and one that must pass show their verdicts.
	if atOnce, err := h.waitEnforced(p, checks); err != nil {
		fail(err.Error())
	} else if atOnce {
		st.enforcedAtOnce.Add(1)
	}

	h.probeAll(checks, dropTimeout)
	var wrong []int
	for i := range checks {
		if checks[i].observed != checks[i].want() {
			wrong = append(wrong, i)
		}
	}
	if len(wrong) > 0 {
		time.Sleep(confirmDelay)
		sub := make([]flowCheck, len(wrong))
		for j, i := range wrong {
			sub[j] = checks[i]
		}
		h.probeAll(sub, confirmTimeout)
		for j, i := range wrong {
			checks[i].observed, checks[i].err = sub[j].observed, sub[j].err
			if sub[j].observed == sub[j].want() {
				if sub[j].observed {
					st.slowAllows.Add(1)
				} else {
					st.lateDrops.Add(1)
				}
			}
		}
	}
	if err := h.agent.alive(); err != nil {
		return append(failures, p.name+": "+err.Error())
	}
	for i := range checks {
		c := &checks[i]
		if c.err != nil {
			fail(p.report(c, "probe failed: "+c.err.Error()))
			continue
		}
		st.verdicts.Add(1)
		if c.observed {
			st.allowed.Add(1)
		} else {
			st.denied.Add(1)
		}
		if proto(c.flow) == ir.UDP {
			st.udp.Add(1)
		} else {
			st.tcp.Add(1)
		}
		if c.planned != nil {
			st.planned.Add(1)
		}
		if c.podIPBlock {
			st.podIPBlocks.Add(1)
		}
		if c.baselineSkipped {
			st.baselineSkipped.Add(1)
		}
		switch {
		case c.planned != nil && c.planned.allowed != c.eval.Allowed:
			fail(p.report(c, "the test plan's verdict differs from the evaluator's"))
		case c.observed != c.want() && c.observed == c.cyclonus && !c.podIPBlock:
			fail(p.report(c, "REAL PACKETS CONTRADICT NETPOLC'S EVALUATOR; cyclonus on the stored NetworkPolicies agrees with the packets: the NetworkPolicies do not say what the program says"))
		case c.observed != c.want():
			fail(p.report(c, "REAL PACKETS CONTRADICT THE EXPECTED VERDICT"))
		case c.eval.Allowed != c.cyclonus:
			st.oracleDisagreement.Add(1)
			fail(p.report(c, "cyclonus disagrees with netpolc's evaluator and with the packets (the differential tests should have caught this)"))
		}
	}
	st.programs.Add(1)
	if len(failures) > 0 {
		failures = append(failures, fmt.Sprintf("%s: the agent's last output (without its nftables sync errors when NFQUEUE rules are iptables'):\n%s",
			p.name, agentLines(h.agent.log.String(), h.agent.mode == iptablesQueue, 30)))
	}
	return failures
}

// agentLines returns the last n lines of the agent's output s. With
// nftErrors, the errors of its nftables syncs, which this kernel refuses
// on every sync, are left out.
func agentLines(s string, nftErrors bool, n int) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		t := strings.TrimSpace(l)
		if nftErrors && (strings.Contains(t, "netlink receive:") || strings.HasPrefix(t, ">") ||
			strings.Contains(t, "yncing nftables rules")) {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep[max(0, len(keep)-n):], "\n")
}

// waitEnforced probes one flow that must be denied and one that must be
// allowed until both show their verdicts. It reports whether they did at
// the first try.
func (h *harness) waitEnforced(p *program, checks []flowCheck) (bool, error) {
	var sentinels []flowCheck
	for _, want := range []bool{false, true} {
		for _, c := range checks {
			if c.want() == want && c.eval.Allowed == c.cyclonus && !c.podIPBlock {
				sentinels = append(sentinels, c)
				break
			}
		}
	}
	deadline := time.Now().Add(syncTimeout)
	for first := true; ; first = false {
		h.probeAll(sentinels, dropTimeout)
		ok := true
		for _, c := range sentinels {
			if c.err != nil {
				return false, fmt.Errorf("%s: probing %s: %v", p.name, c.flow, c.err)
			}
			ok = ok && c.observed == c.want()
		}
		if ok {
			return first, nil
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, c := range sentinels {
				fmt.Fprintf(&b, "\n  %s: want %s, observed %s", c.flow, verdictWord(c.want()), verdictWord(c.observed))
			}
			return false, fmt.Errorf("%s: the agent did not enforce the program within %v:%s", p.name, syncTimeout, b.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// probeAll probes every check in parallel, setting observed (and err).
func (h *harness) probeAll(checks []flowCheck, timeout time.Duration) {
	sem := make(chan struct{}, probeParallelism)
	var wg sync.WaitGroup
	for i := range checks {
		c := &checks[i]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			src, err := h.node.pod(c.flow.From.Pod.IP)
			if err == nil {
				c.observed, err = src.probe(c.flow.To.Pod.IP, proto(c.flow), c.flow.Port, timeout)
			}
			c.err = err
		}()
	}
	wg.Wait()
}

func verdictWord(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "denied"
}

// report renders a failing check: the flow, every verdict, the source lines
// of the rules deciding it, and how to replay it.
func (p *program) report(c *flowCheck, what string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", p.name, what)
	fmt.Fprintf(&b, "  flow:      %s (%s -> %s)\n", c.flow, c.flow.From.Pod.IP, c.flow.To.Pod.IP)
	fmt.Fprintf(&b, "  expected:  %s by netpolc's evaluator, %s by cyclonus", verdictWord(c.eval.Allowed), verdictWord(c.cyclonus))
	if c.podIPBlock {
		fmt.Fprintf(&b, " (%s by cyclonus with ipBlocks matching pods, which the agent implements)", verdictWord(c.cyclonusPodIPBlocks))
	}
	b.WriteString("\n")
	if c.planned != nil {
		fmt.Fprintf(&b, "  test plan: %s (%s)\n", verdictWord(c.planned.allowed), c.planned.reason)
	}
	if c.err == nil {
		fmt.Fprintf(&b, "  observed:  %s by real packets through kube-network-policies\n", verdictWord(c.observed))
	}
	lines := p.sourceLines(c)
	if len(lines) == 0 {
		b.WriteString("  source:    no rule decides it (the pods are not isolated)\n")
	}
	for _, l := range lines {
		fmt.Fprintf(&b, "  source:    %s\n", l)
	}
	if p.replay != "" {
		fmt.Fprintf(&b, "  replay:    %s\n", p.replay)
	}
	return b.String()
}

// sourceLines lists "file:line: text" for the test plan's source of the
// flow and every rule and policy the evaluator names in its verdict.
func (p *program) sourceLines(c *flowCheck) []string {
	var spans []source.Span
	for _, side := range []eval.Side{c.eval.Egress, c.eval.Ingress} {
		for _, r := range side.AllowedBy {
			spans = append(spans, r.Span)
		}
		for _, r := range side.DeniedBy {
			spans = append(spans, r.Span)
		}
		if len(side.AllowedBy) == 0 && len(side.DeniedBy) == 0 {
			for _, pol := range side.IsolatedBy {
				spans = append(spans, pol.Span)
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	add := func(loc string) {
		if loc == "" || seen[loc] {
			return
		}
		seen[loc] = true
		out = append(out, loc+p.lineText(loc))
	}
	if c.planned != nil {
		for _, loc := range strings.Split(c.planned.source, ",") {
			add(strings.TrimSpace(loc))
		}
	}
	for _, s := range spans {
		if s.IsValid() {
			add(fmt.Sprintf("%s:%d", s.File, s.Start.Line))
		}
	}
	return out
}

// lineText returns ": TEXT" for a "file:line" location.
func (p *program) lineText(loc string) string {
	i := strings.LastIndex(loc, ":")
	if i < 0 {
		return ""
	}
	var n int
	if _, err := fmt.Sscanf(loc[i+1:], "%d", &n); err != nil {
		return ""
	}
	lines := p.sources[loc[:i]]
	if n < 1 || n > len(lines) {
		return ""
	}
	return ": " + strings.TrimSpace(lines[n-1])
}

// unstructuredOf turns an emitted object into what the dynamic client sends.
func unstructuredOf(o backends.Object) (*unstructured.Unstructured, error) {
	data, err := json.Marshal(o.Value)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := json.Unmarshal(data, &u.Object); err != nil {
		return nil, err
	}
	if u.GetAPIVersion() == "" || u.GetKind() == "" {
		return nil, fmt.Errorf("no apiVersion or kind")
	}
	return u, nil
}
