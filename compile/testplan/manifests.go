package testplan

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/compile/ir"
)

// The manifests' objects, with only the fields they set (so that the YAML
// carries no empty status or creationTimestamp).
type mObject struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   mMeta             `json:"metadata"`
	Spec       *mPodSpec         `json:"spec,omitempty"`
	Data       map[string]string `json:"data,omitempty"`
}

type mMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type mPodSpec struct {
	AutomountServiceAccountToken  bool         `json:"automountServiceAccountToken"`
	EnableServiceLinks            bool         `json:"enableServiceLinks"`
	TerminationGracePeriodSeconds int          `json:"terminationGracePeriodSeconds"`
	Containers                    []mContainer `json:"containers"`
	Volumes                       []mVolume    `json:"volumes,omitempty"`
}

type mContainer struct {
	Name         string   `json:"name"`
	Image        string   `json:"image"`
	Command      []string `json:"command,omitempty"`
	Args         []string `json:"args,omitempty"`
	Env          []mEnv   `json:"env,omitempty"`
	Ports        []mPort  `json:"ports,omitempty"`
	VolumeMounts []mMount `json:"volumeMounts,omitempty"`
}

type mEnv struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"` // the API server drops an empty value
}

type mPort struct {
	Name          string `json:"name,omitempty"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

type mMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly"`
}

type mVolume struct {
	Name      string      `json:"name"`
	ConfigMap *mConfigMap `json:"configMap"`
}

type mConfigMap struct {
	Name     string `json:"name"`
	Optional bool   `json:"optional"`
}

const targetsDir = "/etc/netpolc-testplan"

// proberScript is what the "probe" container of a Manifests probe pod
// runs: wait until the targets ConfigMap names the address of every target
// of the pod, run the probes in parallel, print one line per probe and a
// summary, then stay up (the logs are the result). Its data comes from the
// environment: POD, PROBES (probeLines), NEEDS, TIMEOUT, DNSPORT.
const proberScript = `set -u
T=` + targetsDir + `/targets
lookup() { awk -v k="$1" '$1 == k { print $2; exit }' "$T" 2>/dev/null; }
ready() { for k in $NEEDS; do [ -n "$(lookup "$k")" ] || return 1; done; }
probe() {
  ip=$1
  [ "$4" = external ] || ip=$(lookup "$1")
  case $ip in *:*) addr="[$ip]:$3" ;; *) addr="$ip:$3" ;; esac
  if [ "$4" = dns ] && [ "$3" = "$DNSPORT" ]; then
    t=+notcp
    [ "$2" = tcp ] && t=+tcp
    if dig @"$ip" -p "$3" $t +time="$TIMEOUT" +tries=1 kubernetes.default.svc.cluster.local >/dev/null 2>&1; then echo allowed; else echo denied; fi
    return
  fi
  if out=$(/agnhost connect "$addr" --protocol="$2" --timeout="${TIMEOUT}s" 2>&1); then echo allowed; return; fi
  case "$4:$out" in pod:*) echo denied ;; *REFUSED*) echo allowed ;; *) echo denied ;; esac
}
echo "netpolc testplan: $POD waits for the addresses of its targets in ConfigMap ` + TargetsConfigMap + `"
until ready; do sleep 5; done
dir=$(mktemp -d)
n=0
while IFS='|' read -r to proto port want mode flow src; do
  [ -n "$to" ] || continue
  n=$((n+1))
  (
    got=$(probe "$to" "$proto" "$port" "$mode")
    r=ok
    [ "$got" = "$want" ] || r=MISMATCH
    printf '%s %s expected=%s observed=%s (%s)\n' "$r" "$flow" "$want" "$got" "$src" >"$dir/$n"
  ) &
done <<EOF
$PROBES
EOF
wait
i=1
bad=0
while [ "$i" -le "$n" ]; do
  cat "$dir/$i"
  if grep -q '^MISMATCH' "$dir/$i"; then bad=$((bad+1)); fi
  i=$((i+1))
done
echo "netpolc testplan: $POD: $n probes, $bad mismatches"
if [ "$bad" = 0 ]; then echo "netpolc testplan: PASS"; else echo "netpolc testplan: FAIL"; fi
while :; do sleep 3600; done
`

// objects returns the probe pods (and with selfProbe the targets
// ConfigMaps): with selfProbe each pod that sends probes runs them
// (Manifests); the others, and every pod without selfProbe, only serve
// (their probe container waits, for kubectl exec in Script).
func (rp *runPlan) objects(selfProbe bool) []mObject {
	var out []mObject
	if selfProbe {
		for _, ns := range rp.nsNames {
			out = append(out, mObject{
				APIVersion: "v1", Kind: "ConfigMap",
				Metadata: mMeta{Name: TargetsConfigMap, Namespace: ns, Labels: map[string]string{PlanLabel: rp.id}},
				Data:     map[string]string{"targets": ""},
			})
		}
	}
	for _, q := range rp.pods {
		labels := copyLabels(q.labels)
		if labels == nil {
			labels = map[string]string{}
		}
		labels[PlanLabel] = rp.id
		probe := mContainer{Name: "probe", Image: rp.image, Args: []string{"pause"}}
		spec := &mPodSpec{TerminationGracePeriodSeconds: 1}
		if selfProbe && len(q.probes) > 0 {
			probe.Args = nil
			probe.Command = []string{"/bin/sh", "-c", proberScript}
			probe.Env = []mEnv{
				{"POD", q.world},
				{"PROBES", rp.probeLines(q)},
				{"NEEDS", strings.Join(q.needs, " ")},
				{"TIMEOUT", fmt.Sprint(rp.timeout)},
				{"DNSPORT", fmt.Sprint(rp.dnsPort)},
			}
			probe.VolumeMounts = []mMount{{Name: "targets", MountPath: targetsDir, ReadOnly: true}}
			spec.Volumes = []mVolume{{Name: "targets", ConfigMap: &mConfigMap{Name: TargetsConfigMap, Optional: true}}}
		}
		spec.Containers = append([]mContainer{probe}, q.servers(rp.image)...)
		out = append(out, mObject{
			APIVersion: "v1", Kind: "Pod",
			Metadata: mMeta{Name: q.name, Namespace: q.ns, Labels: labels, Annotations: map[string]string{PodAnnotation: q.world}},
			Spec:     spec,
		})
	}
	return out
}

// servers returns the containers serving q's ports: one agnhost
// serve-hostname per TCP or UDP port number (it answers both), one agnhost
// porter per SCTP port. Container ports carry the names of the world pod's
// named ports, so that named ports in policies resolve as in the world.
func (q *runPod) servers(image string) []mContainer {
	numbers := map[uint16]bool{}
	for _, p := range append(q.servePorts(ir.TCP), q.servePorts(ir.UDP)...) {
		numbers[p] = true
	}
	var nums []uint16
	for p := range numbers {
		nums = append(nums, p)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	var out []mContainer
	for _, p := range nums {
		out = append(out, mContainer{
			Name:  "serve-" + itoa(p),
			Image: image,
			Args:  []string{"serve-hostname", "--tcp", "--udp", "--http=false", "--port", itoa(p)},
			Ports: []mPort{
				{Name: q.portName(ir.TCP, p), ContainerPort: int(p), Protocol: "TCP"},
				{Name: q.portName(ir.UDP, p), ContainerPort: int(p), Protocol: "UDP"},
			},
		})
	}
	for _, p := range q.servePorts(ir.SCTP) {
		out = append(out, mContainer{
			Name:  "sctp-" + itoa(p),
			Image: image,
			Args:  []string{"porter"},
			Env:   []mEnv{{"SERVE_SCTP_PORT_" + itoa(p), "netpolc"}},
			Ports: []mPort{{Name: q.portName(ir.SCTP, p), ContainerPort: int(p), Protocol: "SCTP"}},
		})
	}
	return out
}

// yamlStream renders objects as a YAML stream.
func yamlStream(objs []mObject) ([]byte, error) {
	var b strings.Builder
	for _, o := range objs {
		data, err := yaml.Marshal(o)
		if err != nil {
			return nil, err
		}
		b.WriteString("---\n")
		b.Write(data)
	}
	return []byte(b.String()), nil
}

// Manifests renders runnable Kubernetes manifests for plan (of prog): one
// probe pod per pod of the plan's world that sends or receives a probe, in
// the pod's namespace, with its labels (plus PlanLabel) and named ports,
// serving the ports its probes target and running its outgoing probes once
// it knows its targets' addresses (from the ConfigMap TargetsConfigMap, see
// the header). Its logs print one line per probe: ok or MISMATCH, the
// flow, expected and observed, the reason and the source lines. The
// header says what the user must provide (namespaces), the steps, and the
// probes left out. The cluster DNS server's pods get no probe pod: probes
// to them go to the real ones.
func Manifests(prog *ir.Program, plan *Plan, opts RunOptions) ([]byte, error) {
	rp, err := newRunPlan(prog, plan, opts)
	if err != nil {
		return nil, err
	}
	body, err := yamlStream(rp.objects(true))
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	rp.header(&b, plan)
	b.Write(body)
	return []byte(b.String()), nil
}

// header writes the comment block of Manifests.
func (rp *runPlan) header(b *strings.Builder, plan *Plan) {
	sel := PlanLabel + "=" + rp.id
	fmt.Fprintf(b, "# netpolc testplan %s: %d probe pods run %d of the plan's %d probes.\n", rp.id, len(rp.pods), len(rp.probes), len(plan.Probes))
	b.WriteString("#\n# The namespaces must exist with these labels (nothing here creates or relabels a namespace):\n")
	rp.writeNamespaces(b, "#   ")
	b.WriteString(`#
# Each probe pod carries the labels of a pod of the plan's world: Services that select those
# labels send traffic to it. Run the plan in a test cluster, or where no Service selects them.
# The pods run agnhost as root and bind the probed ports (Pod Security "baseline" admits them).
#
# Steps:
#   1. kubectl apply -f THIS_FILE
`)
	fmt.Fprintf(b, "#   2. kubectl wait --for=condition=Ready pod --all-namespaces -l %s --timeout=5m\n", sel)
	b.WriteString("#   3. Tell the probe pods the addresses of their targets (they wait for them; the kubelet\n")
	b.WriteString("#      updates the mounted ConfigMap within about a minute):\n")
	fmt.Fprintf(b, "#        kubectl get pods --all-namespaces -l %s -o jsonpath='{range .items[*]}{.metadata.annotations.%s}{\" \"}{.status.podIP}{\"\\n\"}{end}' > targets\n", sel, strings.ReplaceAll(PodAnnotation, ".", `\.`))
	for _, key := range rp.dnsKeys() {
		fmt.Fprintf(b, "#        echo %s $(kubectl -n %s get pods -l '%s' -o jsonpath='{.items[*].status.podIP}' | awk '{ print $1 }') >> targets\n", key, rp.dnsNS, rp.dnsSel)
	}
	fmt.Fprintf(b, "#        for ns in %s; do kubectl -n \"$ns\" create configmap %s --from-file=targets --dry-run=client -o yaml | kubectl label --local -f - -o yaml %s | kubectl apply -f -; done\n", strings.Join(rp.nsNames, " "), TargetsConfigMap, sel)
	b.WriteString("#   4. Read the results (one line per probe, ok or MISMATCH, then a PASS or FAIL summary):\n")
	fmt.Fprintf(b, "#        for p in $(kubectl get pods --all-namespaces -l %s -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{\" \"}{end}'); do kubectl logs -n \"${p%%/*}\" \"${p#*/}\" -c probe; done\n", sel)
	fmt.Fprintf(b, "#   5. kubectl delete pods,configmaps --all-namespaces -l %s\n", sel)
	rp.writeLeftOut(b)
	writeWarnings(b, plan)
}

func writeWarnings(b *strings.Builder, plan *Plan) {
	for _, w := range plan.Warnings {
		fmt.Fprintf(b, "#\n# Warning: %s\n", clean(w))
	}
}

func (rp *runPlan) writeNamespaces(b *strings.Builder, prefix string) {
	for _, ns := range rp.nsNames {
		fmt.Fprintf(b, "%s%s%s\n", prefix, ns, labelsText(rp.nsLabel[ns]))
	}
}

func (rp *runPlan) writeLeftOut(b *strings.Builder) {
	if len(rp.left) == 0 {
		return
	}
	fmt.Fprintf(b, "#\n# Not run (%d):\n", len(rp.left))
	for _, l := range rp.left {
		fmt.Fprintf(b, "#   %s: %s\n", clean(l.flow), l.why)
	}
}

// dnsKeys returns the world keys of the DNS server pods probes target.
func (rp *runPlan) dnsKeys() []string {
	seen := map[string]bool{}
	var out []string
	for _, pr := range rp.probes {
		if pr.mode == modeDNS && !seen[pr.to] {
			seen[pr.to] = true
			out = append(out, pr.to)
		}
	}
	sort.Strings(out)
	return out
}

// labelsText renders labels as " (k=v, ...)", sorted; "" for none.
func labelsText(l map[string]string) string {
	if len(l) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, k+"="+l[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
