package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/compile/testplan"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
)

var updateFlag = flag.Bool("update", false, "rewrite the golden files of testdata/testplan")

// compileDir compiles a directory of the repository as netpolc does.
func compileDir(t *testing.T, dir string, w *eval.World) *ir.Program {
	t.Helper()
	files, err := compile.Load([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, diags := netpolc.Build(files, netpolc.Options{Compile: compile.Options{World: w}})
	if diags.HasErrors() {
		t.Fatalf("%s: %v", dir, diags)
	}
	return res.Program
}

// worldOf rebuilds the world of a plan document.
func worldOf(t *testing.T, d *testplan.Document) *eval.World {
	t.Helper()
	w := &eval.World{}
	for _, ns := range d.Namespaces {
		w.Namespaces = append(w.Namespaces, eval.Namespace{Name: ns.Name, Labels: ns.Labels})
	}
	for _, p := range d.Pods {
		pod := eval.Pod{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels, IP: netip.MustParseAddr(p.IP)}
		for _, cp := range p.Ports {
			pod.Ports = append(pod.Ports, eval.ContainerPort{Name: cp.Name, Port: uint16(cp.Port), Protocol: ir.Protocol(cp.Protocol)})
		}
		w.Pods = append(w.Pods, pod)
	}
	for _, x := range d.Externals {
		w.Externals = append(w.Externals, eval.External{IP: netip.MustParseAddr(x.IP), Names: x.Names})
	}
	return w
}

// checkDocument decides every probe of d with the evaluator over the world
// the document describes (rebuilt from the document alone) and returns the
// number of probes.
func checkDocument(t *testing.T, prog *ir.Program, d *testplan.Document) int {
	t.Helper()
	if d.APIVersion != testplan.APIVersion || d.Kind != testplan.Kind {
		t.Fatalf("apiVersion %q kind %q", d.APIVersion, d.Kind)
	}
	w := worldOf(t, d)
	e := eval.New(prog, w)
	endpoint := func(name string) eval.Endpoint {
		if ns, pod, ok := strings.Cut(name, "/"); ok {
			ep, found := e.Pod(ns, pod)
			if !found {
				t.Fatalf("probe endpoint %s is not a pod of the document", name)
			}
			return ep
		}
		for i := range w.Externals {
			if w.Externals[i].IP.String() == name {
				return eval.ExternalEndpoint(&w.Externals[i])
			}
		}
		t.Fatalf("probe endpoint %s is not in the document", name)
		return eval.Endpoint{}
	}
	allowed := 0
	for _, p := range d.Probes {
		f := eval.Flow{From: endpoint(p.From), To: endpoint(p.To), Protocol: ir.Protocol(p.Protocol), Port: uint16(p.Port)}
		v := e.Decide(f)
		if testplan.Verdict(v.Allowed) != p.Expected {
			t.Errorf("probe %s (%s): the plan expects %s, the evaluator says %s", f, p.Reason, p.Expected, testplan.Verdict(v.Allowed))
		}
		if v.Allowed {
			allowed++
		}
		if p.Source == "" && p.Note == "" || p.Origin == "" {
			t.Errorf("probe %s: source %q note %q origin %q", f, p.Source, p.Note, p.Origin)
		}
	}
	if allowed != d.Summary.Allowed || len(d.Probes) != d.Summary.Probes {
		t.Errorf("summary %+v, counted %d probes, %d allowed", d.Summary, len(d.Probes), allowed)
	}
	return len(d.Probes)
}

// TestTestplanZeroTrust: "netpolc testplan examples/zero-trust" prints a
// plan whose every verdict is the evaluator's (decided again from the
// printed document alone), in YAML and JSON, over the representative world
// and over the example's world file; the YAML is kept as a golden file.
func TestTestplanZeroTrust(t *testing.T) {
	t.Chdir("../..")
	prog := compileDir(t, "examples/zero-trust", nil)
	r := runApp(t, "", "testplan", "examples/zero-trust")
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("%s", r)
	}
	var d testplan.Document
	if err := yaml.UnmarshalStrict([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	n := checkDocument(t, prog, &d)
	reasons := map[string]int{}
	for _, p := range d.Probes {
		reasons[p.Reason]++
	}
	for _, reason := range testplan.Reasons() {
		// Every allowed port of zero-trust has an expect statement, which
		// the plan keeps instead of a "port" probe of the same flow.
		if reasons[reason] == 0 && reason != testplan.ReasonPortAllowed {
			t.Errorf("no probe with reason %s in the zero-trust plan", reason)
		}
	}
	backendtest.Golden(t, "cmd/netpolc/testdata/testplan/zero-trust.yaml", []byte(r.stdout), *updateFlag)

	jr := runApp(t, "", "testplan", "--format", "json", "examples/zero-trust")
	var dj testplan.Document
	if err := json.Unmarshal([]byte(jr.stdout), &dj); jr.code != exitOK || err != nil {
		t.Fatalf("json: %v\n%s", err, jr)
	}
	if got, _ := json.Marshal(dj); string(got) != mustJSON(t, &d) {
		t.Errorf("the JSON and YAML plans differ")
	}

	data, err := os.ReadFile("examples/zero-trust/world.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w, err := eval.LoadWorld(data)
	if err != nil {
		t.Fatal(err)
	}
	wr := runApp(t, "", "testplan", "--world", "examples/zero-trust/world.yaml", "examples/zero-trust")
	var dw testplan.Document
	if err := yaml.UnmarshalStrict([]byte(wr.stdout), &dw); wr.code != exitOK || err != nil {
		t.Fatalf("with the world: %v\n%s", err, wr)
	}
	nw := checkDocument(t, compileDir(t, "examples/zero-trust", w), &dw)
	// Both coredns pods of the world get the DNS probes.
	dns := map[string]bool{}
	for _, p := range dw.Probes {
		if p.Reason == testplan.ReasonExpect && p.Port == 53 {
			dns[p.To] = true
		}
	}
	if !dns["kube-system/coredns-0"] || !dns["kube-system/coredns-1"] {
		t.Errorf("DNS expectations over the world probe %v", dns)
	}
	t.Logf("zero-trust: %d probes over the representative world, %d over world.yaml", n, nw)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestTestplanManifests decodes the manifests of both examples strictly as
// Pods and ConfigMaps and checks them against the plan: one probe pod per
// pod of the world that sends or receives a run probe, with the world
// pod's labels (plus the plan label) and named ports, serving every port
// probed on it; no probe pod for the cluster DNS server.
func TestTestplanManifests(t *testing.T) {
	t.Chdir("../..")
	for _, dir := range []string{"examples/zero-trust", "examples/cilium-l7"} {
		t.Run(dir, func(t *testing.T) {
			r := runApp(t, "", "testplan", "--format", "manifests", dir)
			if r.code != exitOK {
				t.Fatalf("%s", r)
			}
			plan := runApp(t, "", "testplan", "--format", "json", dir)
			var d testplan.Document
			if err := json.Unmarshal([]byte(plan.stdout), &d); err != nil {
				t.Fatal(err)
			}
			pods := map[string]testplan.DocPod{}
			for _, p := range d.Pods {
				pods[p.Namespace+"/"+p.Name] = p
			}
			served := map[string]map[string]bool{} // probe pod -> "port/PROTO"
			var podsSeen, configMaps int
			for _, doc := range backends.SplitYAML([]byte(r.stdout)) {
				var meta struct{ Kind string }
				if err := yaml.Unmarshal(doc, &meta); err != nil {
					t.Fatal(err)
				}
				if meta.Kind == "" && strings.TrimSpace(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(string(doc), "")) == "" {
					continue // the header: comments only
				}
				switch meta.Kind {
				case "ConfigMap":
					var cm corev1.ConfigMap
					if err := yaml.UnmarshalStrict(doc, &cm); err != nil {
						t.Fatal(err)
					}
					configMaps++
					if cm.Name != testplan.TargetsConfigMap || cm.Labels[testplan.PlanLabel] == "" {
						t.Errorf("configmap %s/%s labels %v", cm.Namespace, cm.Name, cm.Labels)
					}
				case "Pod":
					var pod corev1.Pod
					if err := yaml.UnmarshalStrict(doc, &pod); err != nil {
						t.Fatal(err)
					}
					podsSeen++
					world, ok := pods[pod.Annotations[testplan.PodAnnotation]]
					if !ok {
						t.Fatalf("pod %s/%s stands for %q, not a pod of the plan", pod.Namespace, pod.Name, pod.Annotations[testplan.PodAnnotation])
					}
					if pod.Namespace != world.Namespace || pod.Name != testplan.PodPrefix+world.Name {
						t.Errorf("pod %s/%s stands for %s/%s", pod.Namespace, pod.Name, world.Namespace, world.Name)
					}
					want := map[string]string{testplan.PlanLabel: pod.Labels[testplan.PlanLabel]}
					for k, v := range world.Labels {
						want[k] = v
					}
					if mustJSON(t, want) != mustJSON(t, pod.Labels) {
						t.Errorf("pod %s/%s labels %v, want %v", pod.Namespace, pod.Name, pod.Labels, want)
					}
					ports := map[string]bool{}
					named := map[string]string{}
					for _, c := range pod.Spec.Containers {
						if c.Image != testplan.DefaultImage {
							t.Errorf("container %s image %s", c.Name, c.Image)
						}
						for _, cp := range c.Ports {
							ports[fmt.Sprintf("%d/%s", cp.ContainerPort, cp.Protocol)] = true
							if cp.Name != "" {
								named[cp.Name] = fmt.Sprintf("%d/%s", cp.ContainerPort, cp.Protocol)
							}
						}
					}
					for _, wp := range world.Ports {
						if named[wp.Name] != fmt.Sprintf("%d/%s", wp.Port, wp.Protocol) {
							t.Errorf("pod %s/%s: named port %s is %q, want %d/%s", pod.Namespace, pod.Name, wp.Name, named[wp.Name], wp.Port, wp.Protocol)
						}
					}
					served[world.Namespace+"/"+world.Name] = ports
					if len(pod.Spec.Containers) == 0 || pod.Spec.Containers[0].Name != "probe" {
						t.Errorf("pod %s/%s has no probe container first", pod.Namespace, pod.Name)
					}
				default:
					t.Errorf("unexpected kind %q", meta.Kind)
				}
			}
			run := 0
			for _, p := range d.Probes {
				if p.Kind != testplan.KindPodToPod {
					continue
				}
				from, to := pods[p.From], pods[p.To]
				if from.Namespace == "kube-system" && from.Labels["k8s-app"] == "kube-dns" {
					continue // from the DNS server: not run
				}
				run++
				if _, ok := served[p.From]; !ok {
					t.Errorf("probe %s -> %s: no probe pod for the source", p.From, p.To)
				}
				if to.Namespace == "kube-system" && to.Labels["k8s-app"] == "kube-dns" {
					if _, ok := served[p.To]; ok {
						t.Errorf("a probe pod stands for the DNS server %s", p.To)
					}
					continue
				}
				if !served[p.To][fmt.Sprintf("%d/%s", p.Port, p.Protocol)] {
					t.Errorf("probe %s -> %s:%d/%s: the target does not serve the port", p.From, p.To, p.Port, p.Protocol)
				}
			}
			if podsSeen == 0 || configMaps == 0 || run == 0 {
				t.Errorf("%d pods, %d configmaps, %d probes run", podsSeen, configMaps, run)
			}
			if !strings.Contains(r.stdout, "# netpolc testplan ") || !strings.Contains(r.stdout, "kubectl apply -f") {
				t.Errorf("the manifests' header is missing")
			}
		})
	}
}

// fakeKubectl stands for kubectl in TestTestplanScript: it answers from the
// files of $FAKE (ns: "namespace labels-json" lines; ips: "namespace/pod
// address" lines; dnsip; verdicts: "namespace/pod address:port protocol
// allowed|denied" lines) and records apply and delete.
const fakeKubectl = `#!/bin/sh
F=$FAKE
echo "$*" >>"$F/calls"
case "$1" in
get)
  case "$2" in
  namespace)
    line=$(grep "^$3 " "$F/ns") || exit 1
    echo "${line#* }" ;;
  pod) awk -v k="$4/$5" '$1 == k { print $2 }' "$F/ips" ;;
  pods) cat "$F/dnsip" ;;
  esac ;;
apply) cat >"$F/applied" ;;
wait) ;;
delete) ;;
exec)
  src="$3/$4"
  shift 7
  if [ "$1" = dig ]; then
    proto=udp
    for a; do [ "$a" = +tcp ] && proto=tcp; done
    key="$src ${2#@}:$4 $proto"
  else
    key="$src $3 ${4#--protocol=}"
  fi
  v=$(awk -v k="$key" '$1" "$2" "$3 == k { print $4 }' "$F/verdicts")
  [ "$v" = allowed ] && exit 0
  echo TIMEOUT >&2
  exit 1 ;;
esac
`

// TestTestplanScript runs the script of zero-trust with a fake kubectl that
// answers each probe as the plan expects: the script must print PASS and
// exit 0, having checked the namespaces, applied the pods and probed each
// flow from its source pod; then with one verdict flipped it must print the
// MISMATCH with the flow and the source line, and exit 1.
func TestTestplanScript(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	t.Chdir("../..")
	r := runApp(t, "", "testplan", "--format", "script", "examples/zero-trust")
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	backendtest.Golden(t, "cmd/netpolc/testdata/testplan/zero-trust.sh", []byte(r.stdout), *updateFlag)
	plan := runApp(t, "", "testplan", "--format", "json", "examples/zero-trust")
	var d testplan.Document
	if err := json.Unmarshal([]byte(plan.stdout), &d); err != nil {
		t.Fatal(err)
	}
	fake := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(fake, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("kubectl", fakeKubectl)
	script := filepath.Join(fake, "plan.sh")
	write("plan.sh", r.stdout)
	var ns, ips strings.Builder
	pods := map[string]testplan.DocPod{}
	for _, n := range d.Namespaces {
		labels := map[string]string{eval.NamespaceNameLabel: n.Name}
		for k, v := range n.Labels {
			labels[k] = v
		}
		fmt.Fprintf(&ns, "%s %s\n", n.Name, mustJSON(t, labels))
	}
	for _, p := range d.Pods {
		pods[p.Namespace+"/"+p.Name] = p
		fmt.Fprintf(&ips, "%s/%s%s %s\n", p.Namespace, testplan.PodPrefix, p.Name, p.IP)
		if p.Namespace == "kube-system" && p.Labels["k8s-app"] == "kube-dns" {
			write("dnsip", p.IP+"\n")
		}
	}
	write("ns", ns.String())
	write("ips", ips.String())
	verdicts := func(flip int) (string, string) {
		var b strings.Builder
		flipped := ""
		i := 0
		for _, p := range d.Probes {
			if p.Kind != testplan.KindPodToPod {
				continue
			}
			from, to := pods[p.From], pods[p.To]
			want := p.Expected
			if i == flip {
				want = testplan.Verdict(want != "allowed")
				flipped = fmt.Sprintf("%s -> %s:%d/%s", p.From, p.To, p.Port, p.Protocol)
			}
			i++
			fmt.Fprintf(&b, "%s/%s%s %s:%d %s %s\n", from.Namespace, testplan.PodPrefix, from.Name, to.IP, p.Port, strings.ToLower(p.Protocol), want)
		}
		return b.String(), flipped
	}
	runScript := func() (string, int) {
		cmd := exec.Command("sh", script)
		cmd.Env = append(os.Environ(), "FAKE="+fake, "KUBECTL="+filepath.Join(fake, "kubectl"), "TIMEOUT=1")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}

	v, _ := verdicts(-1)
	write("verdicts", v)
	out, code := runScript()
	if code != 0 || !strings.Contains(out, "netpolc testplan: PASS") || strings.Contains(out, "MISMATCH") {
		t.Fatalf("script with every verdict as planned: exit %d\n%s", code, out)
	}
	okLines := strings.Count(out, "\nok ") + map[bool]int{true: 1}[strings.HasPrefix(out, "ok ")]
	if okLines != d.Summary.PodToPod || !strings.Contains(out, fmt.Sprintf("%d probes, 0 mismatches", d.Summary.PodToPod)) {
		t.Errorf("%d ok lines, want %d\n%s", okLines, d.Summary.PodToPod, out)
	}
	applied, err := os.ReadFile(filepath.Join(fake, "applied"))
	if err != nil || !strings.Contains(string(applied), "kind: Pod") {
		t.Errorf("the script applied %q (%v)", applied, err)
	}

	v, flipped := verdicts(3)
	write("verdicts", v)
	out, code = runScript()
	if code != 1 || !strings.Contains(out, "netpolc testplan: FAIL") || !strings.Contains(out, "MISMATCH "+flipped) ||
		!strings.Contains(out, "1 mismatches") || !strings.Contains(out, "production.netpol:") {
		t.Errorf("script with %s flipped: exit %d\n%s", flipped, code, out)
	}

	// A namespace missing: exit 2 before anything is applied.
	write("ns", strings.Join(strings.Split(ns.String(), "\n")[1:], "\n"))
	os.Remove(filepath.Join(fake, "applied"))
	out, code = runScript()
	if code != 2 || !strings.Contains(out, "is missing") {
		t.Errorf("script without a namespace: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(fake, "applied")); err == nil {
		t.Errorf("the script applied the pods although a namespace is missing")
	}
}

func TestTestplanErrors(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "p.netpol")
	if err := os.WriteFile(src, []byte("namespace shop\nweb = {app: web}\nweb -> {\"testplan.netpolc.io/plan\": x}:80/tcp\nallow dns\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	clean := filepath.Join(dir, "clean.netpol")
	if err := os.WriteFile(clean, []byte("namespace shop\nweb = {app: web}\nweb -> {app: db}:80/tcp\nallow dns\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	world := filepath.Join(dir, "w.yaml")
	if err := os.WriteFile(world, []byte("pods:\n  - {namespace: shop, name: web, labels: {app: web, \"testplan.netpolc.io/plan\": x}}\n  - {namespace: shop, name: db, labels: {app: db}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"testplan", "--format", "script", "--world", world, clean}, exitInput, `w.yaml: error\[testplan\]: pod shop/web carries the label testplan.netpolc.io/plan`},
		{[]string{"testplan", "--format", "xml", src}, exitUsage, `--format must be yaml, json, manifests or script, not "xml"`},
		{[]string{"testplan", "--image", "x", src}, exitUsage, `--image applies only with --format manifests or script`},
		{[]string{"testplan", "--format", "script", "--image", "a b", src}, exitUsage, `--image: image "a b"`},
		{[]string{"testplan", "--format", "script", "--timeout", "0", src}, exitUsage, `--timeout must be between 1 and 600`},
		{[]string{"testplan"}, exitUsage, `no input`},
		{[]string{"testplan", "--format", "manifests", src}, exitInput, `p.netpol:3:8: error\[testplan\]: the probe pods carry the label testplan.netpolc.io/plan`},
		{[]string{"testplan", "--format", "script", src}, exitInput, `p.netpol:3:8: error\[testplan\]`},
		{[]string{"testplan", src}, exitOK, `^$`},
	}
	for _, tc := range tests {
		r := runApp(t, "", append([]string{"--color", "never"}, tc.args...)...)
		if r.code != tc.code || !regexp.MustCompile(tc.stderr).MatchString(r.stderr) {
			t.Errorf("netpolc %s: %s\nwant exit %d, stderr matching %s", strings.Join(tc.args, " "), r, tc.code, tc.stderr)
		}
		if r.code != exitOK && r.stdout != "" {
			t.Errorf("netpolc %s failed but wrote %q", strings.Join(tc.args, " "), r.stdout)
		}
	}
}
