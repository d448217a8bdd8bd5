package enginetest

import (
	"fmt"
	"hash/fnv"
	"math/rand"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/nporacle"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
)

// agreeCount is the number of programs of each generator TestEnginesAgree
// checks: -netpolc.programs or $NETPOLC_PROGRAMS when set (make fuzz), else
// 300 (30 under -short).
func agreeCount() int {
	return testgen.ProgramCount(*programsFlag, "NETPOLC_PROGRAMS", 300, 30)
}

// TestEnginesAgree makes the two external engines judge each other, with
// no netpolc verdict in between. For random programs that both targets
// express, it compiles the program once for each target, loads the
// CiliumNetworkPolicies into Cilium's policy engine and the
// NetworkPolicies into cyclonus's matcher, and requires the same verdict
// from both on every flow between the world's pods and external addresses:
// every ordered pair, every port the program names with its neighbours and
// the pods' container ports, on TCP, UDP and SCTP (a sample per pair).
//
// The programs are testgen.New's L3/L4 programs and testgen.NewCilium's
// programs reduced to what NetworkPolicy expresses, except deny: the
// statements either target rejects as unsupported (and those the compiler
// rejects) are dropped, and deny rules, which NetworkPolicy cannot state,
// are judged by a model written here: a flow is denied when a deny rule
// matches it on a side, and a deny rule "deny A -> B:P" matches exactly the
// flows the allow rule "A -> B:P" matches. So the deny statements, without
// "deny", are compiled for NetworkPolicy as a program of their own (the
// deny probe), and cyclonus says which side of a flow one of its rules
// matches; Cilium's verdict must be cyclonus's on the program without deny
// rules, unless the probe matches a side.
//
// DNS names, HTTP blocks and "allow dns lookups" are judged the same way,
// through a NetworkPolicy version of their statements written here from
// docs/language.md (see npStatements): DNS names become the addresses of
// the world's matching names, the DNS-proxy rule becomes "allow dns for"
// their sources, HTTP blocks and lookups restrict requests only and are
// left out. DNS lookups from every pod to the cluster DNS server are then
// judged by lookupModel: cyclonus says which rules select the flow, the
// test matches the name against the "lookups" patterns.
//
// Any diagnostic other than the expected ones (unsupported, l7-voided,
// the compiler's errors on a generated statement) fails the test, an
// internal error above all.
func TestEnginesAgree(t *testing.T) {
	n := agreeCount()
	for _, g := range []struct {
		name string
		gen  func(int64) *testgen.Case
	}{
		{"L3/L4 programs (testgen.New)", testgen.New},
		{"Cilium programs reduced to NetworkPolicy (testgen.NewCilium)", testgen.NewCilium},
	} {
		runAgree(t, g.name, g.gen, n)
	}
}

func runAgree(t *testing.T, what string, generate func(int64) *testgen.Case, n int) {
	start := time.Now()
	var checked, rejected, dropped, denyRules, fqdnRules, l7Rules, flows, allowed, denied, lookups, lookupsAllowed atomic.Int64
	failures := testgen.RunSeeds(*seedFlag, n, 3, func(seed int64) string {
		c := generate(seed)
		res := checkAgree(c)
		switch {
		case res.err != "":
			return agreeReproducer(t.Name(), what, c, res)
		case res.rejected:
			rejected.Add(1)
			return ""
		}
		checked.Add(1)
		dropped.Add(int64(res.dropped))
		denyRules.Add(int64(res.denyRules))
		fqdnRules.Add(int64(res.fqdnRules))
		l7Rules.Add(int64(res.l7Rules))
		flows.Add(int64(res.flows))
		allowed.Add(int64(res.allowed))
		denied.Add(int64(res.deniedByRule))
		lookups.Add(int64(res.lookups))
		lookupsAllowed.Add(int64(res.lookupsAllowed))
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%s, Cilium's engine vs cyclonus: %d programs checked (%d rejected, %d statements dropped; kept: %d deny, %d DNS-name, %d HTTP or lookups statements), %d flows (%d allowed, %d denied by a deny rule), %d DNS lookups (%d allowed), %v",
		what, checked.Load(), rejected.Load(), dropped.Load(), denyRules.Load(), fqdnRules.Load(), l7Rules.Load(), flows.Load(), allowed.Load(), denied.Load(), lookups.Load(), lookupsAllowed.Load(), time.Since(start).Round(time.Millisecond))
	if checked.Load() < int64(n)*7/10 && len(failures) == 0 {
		t.Errorf("%s: only %d of %d generated programs are expressed by both targets", what, checked.Load(), n)
	}
}

// agreeResult is the outcome of one engine-vs-engine check.
type agreeResult struct {
	rejected       bool   // nothing of the program compiles for both targets
	err            string // a disagreement, an unexpected diagnostic, an object an engine rejects
	dropped        int    // statements dropped
	denyRules      int    // deny statements judged through the probe
	fqdnRules      int    // statements with a DNS-name target
	l7Rules        int    // statements with an HTTP block or DNS lookups
	flows          int
	allowed        int
	deniedByRule   int // flows cyclonus allows that a deny rule denies
	lookups        int // DNS lookups judged
	lookupsAllowed int
	src            string
	cnpYAML        []byte
	npYAML         []byte
	probeSrc       string
	probeYAML      []byte
}

// expectedCodes are the error codes a generated statement may legitimately
// get, from the compiler or a backend; the statement is then dropped. Any
// other error code fails the test.
func expectedError(d diag.Diagnostic) bool {
	switch d.Code {
	case "internal":
		return false
	case "unsupported", "l7-voided":
		return true
	}
	return true // the compiler's errors on generated statements
}

// backendError reports whether a backend's error is one a generated
// program may get: a construct the target cannot express, or (Cilium) an
// L4 allow voiding an L7 rule.
func backendError(d diag.Diagnostic) bool {
	return d.Code == "unsupported" || d.Code == "l7-voided"
}

// splitDeny returns the NetworkPolicy version of p (see npStatements) and
// the deny probe: the block statements, the groups and every deny
// statement without "deny". Each comes with the map from its lines to the
// lines of p.
func splitDeny(p testgen.Program, w *eval.World) (np, probe testgen.Program, npLines, probeLines []int, denies int) {
	for i, s := range p.Stmts {
		text := strings.TrimSpace(s.Text)
		switch {
		case strings.HasPrefix(text, "deny "):
			denies++
			probe.Stmts = append(probe.Stmts, testgen.Stmt{Text: strings.TrimPrefix(text, "deny ")})
			probeLines = append(probeLines, i+1)
			continue
		case s.Header || (strings.Contains(text, " = ") && !strings.Contains(text, "->")):
			probe.Stmts = append(probe.Stmts, s)
			probeLines = append(probeLines, i+1)
		}
		for _, t := range npStatements(s, w) {
			np.Stmts = append(np.Stmts, t)
			npLines = append(npLines, i+1)
		}
	}
	return np, probe, npLines, probeLines, denies
}

// fqdnTarget is a DNS-name target with its ports: "NAME":PORT or
// "NAME":[PORTS].
var fqdnTarget = regexp.MustCompile(`"([^"]*)":(\[[^\]]*\]|[^,\s]+)`)

// npStatements returns what NetworkPolicy must say for statement s to give
// the flows between pods and external addresses the L3/L4 verdicts the
// Cilium target documents (docs/language.md), for the world w:
//
//   - "allow dns ... lookups NAMES": the lookups restrict requests only;
//     at L3/L4 it is "allow dns ...";
//   - an "http { ... }" block restricts requests only: at L3/L4 the rule
//     without it (a flow without request is allowed, through the proxy);
//   - a DNS-name target "NAME":PORTS is the addresses of the world's
//     external names that match NAME (section 4.3: case-insensitive,
//     trailing dot ignored; "*" within one label, a leading "**." one or
//     more whole labels, "*" alone every name), each /32 or /128 with
//     PORTS; with no match, an address outside the world (the rule still
//     isolates its sources);
//   - the sources of a DNS-name target get their DNS traffic to the
//     cluster DNS server allowed (the DNS-proxy rule the Cilium target
//     adds when no "allow dns" covers them; when one does, the L3/L4
//     verdicts are the same): "allow dns for SOURCES".
//
// Other statements are unchanged.
func npStatements(s testgen.Stmt, w *eval.World) []testgen.Stmt {
	text := s.Text
	if strings.HasPrefix(text, "allow dns") {
		if i := strings.Index(text, " lookups "); i >= 0 {
			text = text[:i]
		}
		return []testgen.Stmt{{Text: text, Header: s.Header}}
	}
	if i := strings.Index(text, " http {"); i >= 0 {
		text = text[:i]
	}
	src, _, isRule := strings.Cut(text, " -> ")
	if !isRule || !fqdnTarget.MatchString(text) {
		return []testgen.Stmt{{Text: text, Header: s.Header}}
	}
	text = fqdnTarget.ReplaceAllStringFunc(text, func(m string) string {
		parts := fqdnTarget.FindStringSubmatch(m)
		var targets []string
		for _, x := range w.Externals {
			if slices.ContainsFunc(x.Names, func(n string) bool { return nameMatches(parts[1], n) }) {
				targets = append(targets, netip.PrefixFrom(x.IP, x.IP.BitLen()).String()+":"+parts[2])
			}
		}
		if len(targets) == 0 {
			targets = append(targets, "198.18.255.255/32:"+parts[2])
		}
		return strings.Join(targets, ", ")
	})
	out := []testgen.Stmt{{Text: text, Header: s.Header}}
	src = strings.TrimPrefix(src, "egress ")
	if !strings.HasPrefix(src, "ingress ") && !strings.HasPrefix(src, "nonisolating ") {
		out = append(out, testgen.Stmt{Text: "allow dns for " + src})
	}
	return out
}

// nameMatches is the DNS-name matching of docs/language.md section 4.3, as
// ir.FQDN implements it (a pattern without "*" is a name). Comparing with
// Cilium's engine here also checks that implementation against Cilium's.
func nameMatches(pattern, name string) bool {
	return ir.FQDN{Pattern: pattern}.Matches(name)
}

// emitFor compiles src in w and emits it for backend b. It returns the
// objects, or the lines to drop (errors a generated statement may get), or
// a failure (any other error).
func emitFor(src string, w *eval.World, b backends.Backend) (objs []backends.Object, drop []int, failure string) {
	prog, diags := backendtest.CompileText(genFile, src, w)
	if diags.HasErrors() || prog == nil {
		for _, d := range diags {
			if d.Severity != diag.Error {
				continue
			}
			if !expectedError(d) || !d.Span.IsValid() {
				return nil, nil, "compile: " + d.Error()
			}
			drop = append(drop, d.Span.Start.Line)
		}
		if len(drop) == 0 {
			return nil, nil, "compile failed without an error diagnostic"
		}
		return nil, drop, ""
	}
	objs, ed := targetcheck.Emit(b, prog, backends.Options{})
	if ed.HasErrors() {
		for _, d := range ed {
			if d.Severity != diag.Error {
				continue
			}
			if !backendError(d) || !d.Span.IsValid() {
				return nil, nil, b.Name() + " backend: " + d.Error()
			}
			drop = append(drop, d.Span.Start.Line)
		}
		return nil, drop, ""
	}
	return objs, nil, ""
}

// reduceBoth drops statements of c's program until the program compiles for
// Cilium, its deny-free part for NetworkPolicy, and its deny probe for
// NetworkPolicy. res.err is set on an unexpected diagnostic.
func reduceBoth(c *testgen.Case, res *agreeResult) (cnp, np, probe []backends.Object, prog *ir.Program) {
	before := len(c.Program.Stmts)
	for attempt := 0; attempt < 8; attempt++ {
		noDeny, pr, noDenyLines, probeLines, denies := splitDeny(c.Program, c.World)
		mapLines := func(lines, m []int) []int {
			var out []int
			for _, l := range lines {
				if l >= 1 && l <= len(m) {
					out = append(out, m[l-1])
				}
			}
			return out
		}
		var drop []int
		objs, d, fail := emitFor(c.Program.Source(), c.World, cilium.Backend{})
		if fail != "" {
			res.err = fail
			return
		}
		drop = append(drop, d...)
		nobjs, d, fail := emitFor(noDeny.Source(), c.World, k8s.New())
		if fail != "" {
			res.err = fail + "\n(in the program without deny rules)"
			return
		}
		drop = append(drop, mapLines(d, noDenyLines)...)
		var pobjs []backends.Object
		if denies > 0 {
			pobjs, d, fail = emitFor(pr.Source(), c.World, k8s.New())
			if fail != "" {
				res.err = fail + "\n(in the deny probe)"
				return
			}
			drop = append(drop, mapLines(d, probeLines)...)
		}
		if len(drop) == 0 {
			res.dropped = before - len(c.Program.Stmts)
			res.denyRules = denies
			for _, st := range c.Program.Stmts {
				if fqdnTarget.MatchString(st.Text) {
					res.fqdnRules++
				}
				if strings.Contains(st.Text, " http {") || strings.Contains(st.Text, " lookups ") {
					res.l7Rules++
				}
			}
			res.probeSrc = pr.Source()
			prog, _ := backendtest.CompileText(genFile, c.Program.Source(), c.World)
			return objs, nobjs, pobjs, prog
		}
		if !c.Program.DropLines(drop) {
			return
		}
	}
	return
}

// judges writes the objects of both targets and of the deny probe as YAML
// (kept in res for the reproducer) and loads them into the judges: Cilium's
// engine for the CNPs, cyclonus for the NetworkPolicies and for the probe.
func (res *agreeResult) judges(w *eval.World, cnp, np, probe []backends.Object) (eng *Engine, oracle, denyProbe *nporacle.Oracle, err error) {
	if res.cnpYAML, err = YAML(cnp); err != nil {
		return
	}
	if res.npYAML, err = YAML(np); err != nil {
		return
	}
	if res.probeYAML, err = YAML(probe); err != nil {
		return
	}
	if eng, err = Load(w, res.cnpYAML); err != nil {
		return
	}
	if oracle, err = newNPOracle(w, res.npYAML); err != nil {
		return
	}
	denyProbe, err = newNPOracle(w, res.probeYAML)
	return
}

func checkAgree(c *testgen.Case) (res agreeResult) {
	defer func() {
		if r := recover(); r != nil {
			res.err = fmt.Sprintf("panic: %v", r)
		}
	}()
	cnp, np, probe, prog := reduceBoth(c, &res)
	res.src = c.Program.Source()
	if res.err != "" {
		return res
	}
	if prog == nil {
		res.rejected = true
		return res
	}
	eng, oracle, denyProbe, err := res.judges(c.World, cnp, np, probe)
	if err != nil {
		res.err = err.Error()
		return res
	}
	for _, f := range agreeFlows(c, prog) {
		res.flows++
		npAllowed := oracle.Allowed(f)
		denyEgress, denyIngress := false, false
		if len(probe) > 0 {
			denyEgress, denyIngress = denyProbe.Matched(f)
		}
		want := npAllowed && !denyEgress && !denyIngress
		if want {
			res.allowed++
		}
		if npAllowed && !want {
			res.deniedByRule++
		}
		got, err := eng.Decide(f)
		if err != nil {
			res.err = fmt.Sprintf("flow %s: Cilium's engine: %v", f, err)
			return res
		}
		if got.Allowed != want {
			r := oracle.Result(f)
			res.err = fmt.Sprintf("flow %s: Cilium's engine on the CiliumNetworkPolicies says allowed=%v (egress %+v, ingress %+v); cyclonus on the NetworkPolicies says allowed=%v (egress: %d allowing, %d denying targets; ingress: %d allowing, %d denying) and the deny rules match egress=%v ingress=%v",
				f, got.Allowed, got.Egress, got.Ingress, npAllowed,
				len(r.Egress.AllowingTargets), len(r.Egress.DenyingTargets), len(r.Ingress.AllowingTargets), len(r.Ingress.DenyingTargets),
				denyEgress, denyIngress)
			return res
		}
	}

	// DNS lookups to the cluster DNS server, judged by lookupModel.
	m, ok, failure := newLookupModel(c.Program, c.World)
	if failure != "" {
		res.err = failure + "\n(in a lookup probe)"
		return res
	}
	if !ok {
		return res
	}
	for _, f := range lookupFlows(c) {
		g := f
		g.DNSName = ""
		denyEgress, denyIngress := false, false
		if len(probe) > 0 {
			denyEgress, denyIngress = denyProbe.Matched(g)
		}
		want, judged := m.decide(f, oracle.Allowed(g) && !denyEgress && !denyIngress)
		if !judged {
			continue
		}
		res.lookups++
		if want {
			res.lookupsAllowed++
		}
		got, err := eng.Decide(f)
		if err != nil {
			res.err = fmt.Sprintf("flow %s: Cilium's engine: %v", f, err)
			return res
		}
		if got.Allowed != want {
			res.err = fmt.Sprintf("flow %s: Cilium's engine on the CiliumNetworkPolicies says allowed=%v (egress %+v, ingress %+v); the lookup model (cyclonus on the probes, the lookups patterns) says allowed=%v",
				f, got.Allowed, got.Egress, got.Ingress, want)
			return res
		}
	}
	return res
}

// agreeFlows returns the flows TestEnginesAgree checks for c: for every
// ordered pair of pods (a pod with itself included) and every pod with
// every external address, both ways, up to portsPerPair ports drawn from
// the ports the program names (with their neighbours) and the pods'
// container ports, each on one protocol drawn from TCP, UDP and SCTP; a
// pair's sample depends only on the seed and the pair.
func agreeFlows(c *testgen.Case, p *ir.Program) []eval.Flow {
	const portsPerPair = 8
	w := c.World
	ports := testgen.InterestingPorts(p, w)
	protos := []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP}
	var flows []eval.Flow
	add := func(from, to eval.Endpoint) {
		h := fnv.New64a()
		h.Write([]byte(from.String() + "\x00" + to.String()))
		r := rand.New(rand.NewSource(c.Seed ^ int64(h.Sum64())))
		idx := r.Perm(len(ports))
		for i := 0; i < len(idx) && i < portsPerPair; i++ {
			flows = append(flows, eval.Flow{From: from, To: to, Protocol: protos[r.Intn(len(protos))], Port: ports[idx[i]]})
		}
		if to.Kind == eval.EndpointPod {
			for _, cp := range to.Pod.Ports {
				flows = append(flows, eval.Flow{From: from, To: to, Protocol: cp.Protocol, Port: cp.Port})
			}
		}
	}
	for i := range w.Pods {
		for j := range w.Pods {
			add(eval.PodEndpoint(&w.Pods[i]), eval.PodEndpoint(&w.Pods[j]))
		}
		for j := range w.Externals {
			add(eval.PodEndpoint(&w.Pods[i]), eval.ExternalEndpoint(&w.Externals[j]))
			add(eval.ExternalEndpoint(&w.Externals[j]), eval.PodEndpoint(&w.Pods[i]))
		}
	}
	return flows
}

// agreeReproducer shrinks a failing case and prints what replays it.
func agreeReproducer(test, what string, c *testgen.Case, first agreeResult) string {
	fails := func(k *testgen.Case) bool {
		return checkAgree(k.Clone()).err != ""
	}
	small := testgen.Shrink(c, fails)
	res := checkAgree(small.Clone())
	var b strings.Builder
	fmt.Fprintf(&b, "engines disagree (%s), seed %d (replay: go test -run '^%s$' -netpolc.seed=%d -netpolc.programs=1)\n", what, c.Seed, test, c.Seed)
	fmt.Fprintf(&b, "original failure: %s\n", first.err)
	fmt.Fprintf(&b, "failure after shrinking: %s\n", res.err)
	fmt.Fprintf(&b, "shrunk case, ready for testdata/agree/NAME.txtar:\n")
	b.WriteString(testgen.RegressionFile(c.Seed, res.src, small.World))
	fmt.Fprintf(&b, "--- emitted CiliumNetworkPolicies\n%s", res.cnpYAML)
	fmt.Fprintf(&b, "--- emitted NetworkPolicies (the program without deny rules)\n%s", res.npYAML)
	if len(res.probeYAML) > 0 {
		fmt.Fprintf(&b, "--- deny probe\n%s--- its NetworkPolicies\n%s", res.probeSrc, res.probeYAML)
	}
	return b.String()
}

// lookupNames are the DNS lookups of TestEnginesAgree's lookup flows.
var lookupNames = []string{
	"api.example.com", "www.api.example.com", "a.b.example.com", "example.com", "badexample.com",
	"s3.amazonaws.com", "s3.us-east-1.amazonaws.com", "s3-fips.amazonaws.com", "dns.google",
	"kubernetes.default.svc.cluster.local", "EXAMPLE.com.",
}

// quoted finds the names of a "lookups" list.
var quoted = regexp.MustCompile(`"([^"]*)"`)

// lookupModel judges DNS lookups from pods to the cluster DNS server by
// the documented behaviour of "allow dns" (docs/language.md section 8) and
// cyclonus, Cilium-free: a lookup the L3/L4 verdict allows passes when an
// allow rule other than "allow dns" matches the flow (an L4 allowance: the
// proxy lets every name through), or when no "allow dns" selects the
// source (no proxy), or when one that selects it lists a pattern matching
// the name (none listed: every name). Which rules match is asked of
// cyclonus, on programs of their own (probes) made of the block
// statements, the groups and the statements in question. Sources that a
// DNS-name target makes subjects of the DNS-proxy rule are not judged
// here (whether it is added depends on what covers them; the flow tests
// check it).
type lookupModel struct {
	open, fqdn *nporacle.Oracle
	dns        []dnsProbe
}

type dnsProbe struct {
	o     *nporacle.Oracle
	names []string // the "lookups" patterns; none: every name
}

// baseStmt reports whether s belongs to every probe: a block statement or
// a group.
func baseStmt(s testgen.Stmt) bool {
	text := strings.TrimSpace(s.Text)
	return s.Header || (strings.Contains(text, " = ") && !strings.Contains(text, "->"))
}

// newLookupModel builds the probes of p for w. ok is false when a probe
// does not compile cleanly (the lookups are then not judged); failure is
// an unexpected diagnostic.
func newLookupModel(p testgen.Program, w *eval.World) (m *lookupModel, ok bool, failure string) {
	build := func(extra func(i int, s testgen.Stmt) []string) (*nporacle.Oracle, bool, string) {
		var probe testgen.Program
		for i, s := range p.Stmts {
			if baseStmt(s) {
				probe.Stmts = append(probe.Stmts, s)
				continue
			}
			for _, t := range extra(i, s) {
				probe.Stmts = append(probe.Stmts, testgen.Stmt{Text: t})
			}
		}
		objs, drop, fail := emitFor(probe.Source(), w, k8s.New())
		if fail != "" || len(drop) > 0 {
			return nil, false, fail
		}
		data, err := YAML(objs)
		if err != nil {
			return nil, false, err.Error()
		}
		o, err := newNPOracle(w, data)
		if err != nil {
			return nil, false, err.Error()
		}
		return o, true, ""
	}
	m = &lookupModel{}
	var fail string
	m.open, ok, fail = build(func(_ int, s testgen.Stmt) []string {
		t := strings.TrimSpace(s.Text)
		if !strings.Contains(t, "->") || strings.HasPrefix(t, "deny ") || strings.Contains(t, " http {") {
			return nil
		}
		return []string{npStatements(s, w)[0].Text}
	})
	if !ok {
		return nil, false, fail
	}
	m.fqdn, ok, fail = build(func(_ int, s testgen.Stmt) []string {
		var out []string
		if fqdnTarget.MatchString(s.Text) && strings.Contains(s.Text, "->") {
			for _, t := range npStatements(s, w)[1:] {
				out = append(out, t.Text)
			}
		}
		return out
	})
	if !ok {
		return nil, false, fail
	}
	for i, st := range p.Stmts {
		if !strings.HasPrefix(st.Text, "allow dns") {
			continue
		}
		var names []string
		if _, list, has := strings.Cut(st.Text, " lookups "); has {
			for _, q := range quoted.FindAllStringSubmatch(list, -1) {
				names = append(names, q[1])
			}
		}
		o, ok, fail := build(func(j int, s testgen.Stmt) []string {
			if j != i {
				return nil
			}
			return []string{npStatements(s, w)[0].Text}
		})
		if !ok {
			return nil, false, fail
		}
		m.dns = append(m.dns, dnsProbe{o: o, names: names})
	}
	return m, true, ""
}

// decide returns the model's verdict on the lookup f whose L3/L4 verdict
// (the same flow without lookup) is allowedL4; judged is false for the
// sources of DNS-name targets.
func (m *lookupModel) decide(f eval.Flow, allowedL4 bool) (allowed, judged bool) {
	g := f
	g.DNSName = ""
	if fq, _ := m.fqdn.Matched(g); fq {
		return false, false
	}
	if !allowedL4 {
		return false, true
	}
	if open, _ := m.open.Matched(g); open {
		return true, true
	}
	selected := false
	for _, d := range m.dns {
		if eg, _ := d.o.Matched(g); eg {
			selected = true
			if len(d.names) == 0 || slices.ContainsFunc(d.names, func(n string) bool { return nameMatches(n, f.DNSName) }) {
				return true, true
			}
		}
	}
	return !selected, true
}

// lookupFlows returns, for every pod and every cluster DNS server pod
// (kube-system, k8s-app=kube-dns), on UDP and TCP port 53, three lookups
// drawn from lookupNames (by the seed and the pair).
func lookupFlows(c *testgen.Case) []eval.Flow {
	w := c.World
	var flows []eval.Flow
	for i := range w.Pods {
		if w.Pods[i].Namespace != "kube-system" || w.Pods[i].Labels["k8s-app"] != "kube-dns" {
			continue
		}
		server := eval.PodEndpoint(&w.Pods[i])
		for j := range w.Pods {
			client := eval.PodEndpoint(&w.Pods[j])
			h := fnv.New64a()
			h.Write([]byte(client.String() + "\x00lookup"))
			r := rand.New(rand.NewSource(c.Seed ^ int64(h.Sum64())))
			for _, proto := range []ir.Protocol{ir.UDP, ir.TCP} {
				for k := 0; k < 3; k++ {
					flows = append(flows, eval.Flow{From: client, To: server, Protocol: proto, Port: 53, DNSName: lookupNames[r.Intn(len(lookupNames))]})
				}
			}
		}
	}
	return flows
}
