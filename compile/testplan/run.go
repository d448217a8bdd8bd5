package testplan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/source"
)

// This file decides what the runnable outputs (Manifests, Script) run: the
// probe pods, what each serves and probes, and the probes left out.

// Names the runnable outputs use.
const (
	// DefaultImage is the probe pods' default image: the Kubernetes e2e
	// network test image. Its "connect" subcommand probes TCP, UDP and
	// SCTP, "serve-hostname" answers TCP and UDP, "porter" SCTP; it has a
	// POSIX shell, awk and dig.
	DefaultImage = "registry.k8s.io/e2e-test-images/agnhost:2.52"
	// PlanLabel is the label every object of the runnable outputs carries,
	// with the plan's ID as value (to list and delete them). A program
	// whose pod selectors mention it is refused (LabelKeyError).
	PlanLabel = "testplan.netpolc.io/plan"
	// PodAnnotation names, on a probe pod, the pod of the plan's world it
	// stands for ("namespace/name").
	PodAnnotation = "testplan.netpolc.io/pod"
	// TargetsConfigMap is the ConfigMap, in every namespace with probe
	// pods, that tells the probe pods of Manifests the addresses of their
	// targets (key "targets", one "namespace/name address" per line).
	TargetsConfigMap = "netpolc-testplan-targets"
	// PodPrefix starts the name of every probe pod: the pod of the world
	// namespace/name becomes namespace/netpolc-name.
	PodPrefix = "netpolc-"
	// DefaultTimeout is the default time, in seconds, a probe waits.
	DefaultTimeout = 2
)

// Probe modes: how a probe is judged.
const (
	modePod      = "pod"      // a probe pod serving the port: connected = allowed
	modeDNS      = "dns"      // the cluster's DNS server: a DNS answer (or, off the DNS port, a refusal) = allowed
	modeExternal = "external" // an external address: connected or refused = allowed
)

// RunOptions configure the runnable outputs.
type RunOptions struct {
	// Image of the probe pods; "" is DefaultImage. It must have agnhost's
	// subcommands at /agnhost, a POSIX shell and awk (and dig for DNS
	// probes).
	Image string
	// Timeout is how long a probe waits, in seconds; 0 is DefaultTimeout.
	Timeout int
	// Externals also runs the probes from pods to external addresses. They
	// are left out by default: an address with nothing listening looks like
	// a denial.
	Externals bool
}

// WorldError is a problem of the world a plan was asked for (a name or a
// label Kubernetes would not accept, a duplicate pod): the world file is
// where to fix it.
type WorldError struct{ Msg string }

func (e *WorldError) Error() string { return "testplan: world: " + e.Msg }

func worldErrorf(format string, args ...any) error {
	return &WorldError{Msg: fmt.Sprintf(format, args...)}
}

// LabelKeyError says that a selector of the program mentions PlanLabel: the
// probe pods carry it, so they could be selected differently from the pods
// of the plan's world.
type LabelKeyError struct {
	Span source.Span
	Key  string
}

func (e *LabelKeyError) Error() string {
	return fmt.Sprintf("the probe pods carry the label %s, which this selector uses: rename the label in the program", e.Key)
}

// checkLabelKey returns a LabelKeyError for the first pod selector of prog
// (in program order) that mentions PlanLabel.
func checkLabelKey(prog *ir.Program) error {
	mentions := func(s ir.Selector) bool {
		for _, k := range s.Keys() {
			if k == PlanLabel {
				return true
			}
		}
		return false
	}
	peer := func(p *ir.Peer) bool { return p.Kind == ir.PeerPods && mentions(p.Pods) }
	for _, pol := range prog.Policies {
		if !pol.Subject.Nodes && mentions(pol.Subject.Pods) {
			return &LabelKeyError{Span: spanOr(pol.Subject.Span, pol.Span), Key: PlanLabel}
		}
		for _, r := range pol.Rules {
			for i := range r.Peers {
				if peer(&r.Peers[i]) {
					return &LabelKeyError{Span: spanOr(r.Peers[i].Span, r.Span), Key: PlanLabel}
				}
			}
		}
	}
	if mentions(prog.DNS.Pods) {
		return &LabelKeyError{Span: prog.DNS.Span, Key: PlanLabel}
	}
	for _, x := range prog.Expectations {
		for _, ep := range []*ir.Endpoint{&x.From, &x.To} {
			if peer(&ep.Peer) {
				return &LabelKeyError{Span: spanOr(ep.Span, x.Span), Key: PlanLabel}
			}
		}
	}
	return nil
}

func spanOr(s, fallback source.Span) source.Span {
	if s.IsValid() {
		return s
	}
	return fallback
}

// runPlan is what the runnable outputs run.
type runPlan struct {
	id      string
	image   string
	timeout int
	dnsPort uint16
	dnsSel  string // kubectl label selector of the DNS server pods
	dnsNS   string
	pods    []*runPod       // probe pods, in world order
	byIdx   map[int]*runPod // world pod index -> probe pod
	dns     map[int]bool    // world pods that are the cluster's DNS server
	probes  []runProbe      // in plan order
	left    []leftOut       // probes not run
	nsNames []string        // namespaces of the probe pods, sorted
	nsLabel map[string]map[string]string
}

type runPod struct {
	idx    int // in World.Pods
	ns     string
	name   string // probe pod name
	world  string // namespace/name in the world
	labels map[string]string
	ports  []eval.ContainerPort // the world pod's named ports
	serve  map[ir.Protocol]map[uint16]bool
	probes []int // indices in runPlan.probes, from this pod
	needs  []string
}

type runProbe struct {
	plan   int // index in Plan.Probes
	from   *runPod
	to     string // target key: namespace/name of the world, or the address
	proto  string // tcp, udp, sctp
	port   uint16
	want   string // allowed or denied
	mode   string
	flow   string
	source string // what decides it (and why it is probed)
}

type leftOut struct {
	flow, why string
}

// newRunPlan decides the probe pods of p. It refuses programs whose
// selectors mention PlanLabel and worlds whose names Kubernetes would not
// accept.
func newRunPlan(prog *ir.Program, p *Plan, opts RunOptions) (*runPlan, error) {
	if err := checkLabelKey(prog); err != nil {
		return nil, err
	}
	rp := &runPlan{
		image:   opts.Image,
		timeout: opts.Timeout,
		dnsPort: prog.DNS.Port,
		dnsNS:   prog.DNS.Namespace,
		dnsSel:  selectorString(prog.DNS.Pods),
		byIdx:   map[int]*runPod{},
		dns:     map[int]bool{},
		nsLabel: map[string]map[string]string{},
	}
	if rp.image == "" {
		rp.image = DefaultImage
	}
	if rp.timeout <= 0 {
		rp.timeout = DefaultTimeout
	}
	if rp.dnsPort == 0 {
		rp.dnsPort = 53
	}
	if err := CheckImage(rp.image); err != nil {
		return nil, err
	}
	w := p.World
	for _, ns := range w.Namespaces {
		rp.nsLabel[ns.Name] = ns.Labels
		for k, v := range ns.Labels {
			if errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(errs) > 0 {
				return nil, worldErrorf("namespace %s: label %q=%q: %s", ns.Name, k, v, strings.Join(errs, "; "))
			}
		}
	}
	for i, pod := range w.Pods {
		if prog.DNS.Namespace != "" && pod.Namespace == prog.DNS.Namespace && prog.DNS.Pods.Matches(pod.Labels) {
			rp.dns[i] = true
		}
	}
	index := map[*eval.Pod]int{}
	for i := range w.Pods {
		index[&w.Pods[i]] = i
	}
	podOf := func(i int) (*runPod, error) {
		if rp := rp.byIdx[i]; rp != nil {
			return rp, nil
		}
		pod := &w.Pods[i]
		if err := validPod(pod); err != nil {
			return nil, err
		}
		q := &runPod{
			idx: i, ns: pod.Namespace, name: PodPrefix + pod.Name, world: pod.Namespace + "/" + pod.Name,
			labels: pod.Labels, ports: pod.Ports, serve: map[ir.Protocol]map[uint16]bool{},
		}
		for _, cp := range pod.Ports {
			q.serveOn(flowProto(cp.Protocol), cp.Port)
		}
		rp.byIdx[i] = q
		return q, nil
	}
	for pi := range p.Probes {
		pr := &p.Probes[pi]
		f := pr.Flow
		flow := f.String()
		switch {
		case f.From.Kind != eval.EndpointPod:
			rp.left = append(rp.left, leftOut{flow, "from an external address: a pod cannot send it"})
			continue
		case rp.dns[index[f.From.Pod]]:
			rp.left = append(rp.left, leftOut{flow, "from the cluster DNS server: no probe pod stands for it"})
			continue
		case f.To.Kind != eval.EndpointPod && !opts.Externals:
			rp.left = append(rp.left, leftOut{flow, "to an external address: run with --externals to probe it"})
			continue
		}
		from, err := podOf(index[f.From.Pod])
		if err != nil {
			return nil, err
		}
		probe := runProbe{
			plan: pi, from: from, proto: strings.ToLower(string(flowProto(f.Protocol))), port: f.Port,
			want: Verdict(pr.Allowed), flow: flow, mode: modeExternal,
		}
		switch {
		case f.To.Kind != eval.EndpointPod:
			probe.to = f.To.External.IP.String()
		case rp.dns[index[f.To.Pod]]:
			probe.to, probe.mode = f.To.Pod.Namespace+"/"+f.To.Pod.Name, modeDNS
		default:
			to, err := podOf(index[f.To.Pod])
			if err != nil {
				return nil, err
			}
			to.serveOn(flowProto(f.Protocol), f.Port)
			probe.to, probe.mode = to.world, modePod
		}
		src := pr.Source
		if src == "" {
			src = pr.Note
		}
		probe.source = pr.Reason + " " + pr.Origin + "; decided by " + src
		from.probes = append(from.probes, len(rp.probes))
		rp.probes = append(rp.probes, probe)
	}
	for i := range w.Pods {
		if q := rp.byIdx[i]; q != nil {
			rp.pods = append(rp.pods, q)
		}
	}
	nsSeen := map[string]bool{}
	for _, q := range rp.pods {
		if !nsSeen[q.ns] {
			nsSeen[q.ns] = true
			rp.nsNames = append(rp.nsNames, q.ns)
		}
		seen := map[string]bool{}
		for _, k := range q.probes {
			pr := rp.probes[k]
			if pr.mode != modeExternal && !seen[pr.to] {
				seen[pr.to] = true
				q.needs = append(q.needs, pr.to)
			}
		}
	}
	sort.Strings(rp.nsNames)
	for _, ns := range rp.nsNames {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return nil, worldErrorf("namespace %q: %s", ns, strings.Join(errs, "; "))
		}
	}
	sum := sha256.New()
	for _, pr := range rp.probes {
		fmt.Fprintf(sum, "%s|%s|%s|%d|%s\n", pr.from.world, pr.to, pr.proto, pr.port, pr.want)
	}
	rp.id = hex.EncodeToString(sum.Sum(nil))[:12]
	return rp, nil
}

func (q *runPod) serveOn(proto ir.Protocol, port uint16) {
	if q.serve[proto] == nil {
		q.serve[proto] = map[uint16]bool{}
	}
	q.serve[proto][port] = true
}

// validPod refuses a pod of the world whose probe pod Kubernetes would not
// accept (and whose names could not be written safely in a script).
func validPod(p *eval.Pod) error {
	who := p.Namespace + "/" + p.Name
	if errs := validation.IsDNS1123Subdomain(PodPrefix + p.Name); len(errs) > 0 {
		return worldErrorf("pod %s: the probe pod's name %s%s is invalid: %s", who, PodPrefix, p.Name, strings.Join(errs, "; "))
	}
	for k, v := range p.Labels {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return worldErrorf("pod %s: label key %q: %s", who, k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return worldErrorf("pod %s: label %s value %q: %s", who, k, v, strings.Join(errs, "; "))
		}
		if k == PlanLabel {
			return worldErrorf("pod %s carries the label %s, which the probe pods use for bookkeeping", who, PlanLabel)
		}
	}
	for _, cp := range p.Ports {
		if errs := validation.IsValidPortName(cp.Name); len(errs) > 0 {
			return worldErrorf("pod %s: port name %q: %s", who, cp.Name, strings.Join(errs, "; "))
		}
	}
	return nil
}

// CheckImage refuses image references that are empty or could break out of
// the YAML and shell quoting.
func CheckImage(img string) error {
	for _, r := range img {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("./:-_@", r)) {
			return fmt.Errorf("image %q: only letters, digits and . / : - _ @ are allowed", img)
		}
	}
	if img == "" {
		return fmt.Errorf("empty image")
	}
	return nil
}

// selectorString renders s as a kubectl label selector.
func selectorString(s ir.Selector) string {
	var parts []string
	for _, l := range s.MatchLabels {
		parts = append(parts, l.Key+"="+l.Value)
	}
	for _, x := range s.MatchExpressions {
		switch x.Operator {
		case ir.OpIn:
			parts = append(parts, x.Key+" in ("+strings.Join(x.Values, ",")+")")
		case ir.OpNotIn:
			parts = append(parts, x.Key+" notin ("+strings.Join(x.Values, ",")+")")
		case ir.OpExists:
			parts = append(parts, x.Key)
		case ir.OpDoesNotExist:
			parts = append(parts, "!"+x.Key)
		}
	}
	return strings.Join(parts, ",")
}

// probeLines renders the probes of pod q, one per line:
// target|protocol|port|expected|mode|flow|source.
func (rp *runPlan) probeLines(q *runPod) string {
	var b strings.Builder
	for _, k := range q.probes {
		b.WriteString(rp.probes[k].line())
	}
	return b.String()
}

// line renders the probe as target|protocol|port|expected|mode|flow|source
// and a newline.
func (pr *runProbe) line() string {
	return fmt.Sprintf("%s|%s|%d|%s|%s|%s|%s\n", pr.to, pr.proto, pr.port, pr.want, pr.mode, clean(pr.flow), clean(pr.source))
}

// clean keeps text safe in a |-separated line read by the shell.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '|' || r == '\n' || r == '\r' || r < ' ' {
			return '/'
		}
		return r
	}, s)
}

// servePorts returns the ports q serves, per protocol, sorted.
func (q *runPod) servePorts(proto ir.Protocol) []uint16 {
	var out []uint16
	for port := range q.serve[proto] {
		out = append(out, port)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// portName returns the name of q's container port (proto, port) in the
// world, if it has one.
func (q *runPod) portName(proto ir.Protocol, port uint16) string {
	for _, cp := range q.ports {
		if flowProto(cp.Protocol) == proto && cp.Port == port {
			return cp.Name
		}
	}
	return ""
}

func itoa(n uint16) string { return strconv.Itoa(int(n)) }
