package testplan_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/testplan"
)

// fakeAgnhost and fakeDig stand for agnhost connect and dig in
// TestProberScript: they answer from $FAKE/verdicts ("source address:port
// protocol allowed|denied" lines, source being $POD).
const (
	fakeAgnhost = `#!/bin/sh
key="$POD $2 ${3#--protocol=}"
v=$(awk -v k="$key" '$1" "$2" "$3 == k { print $4 }' "$FAKE/verdicts")
[ "$v" = allowed ] && exit 0
echo TIMEOUT >&2
exit 1
`
	fakeDig = `#!/bin/sh
proto=udp
for a; do [ "$a" = +tcp ] && proto=tcp; done
key="$POD ${1#@}:$3 $proto"
v=$(awk -v k="$key" '$1" "$2" "$3 == k { print $4 }' "$FAKE/verdicts")
[ "$v" = allowed ] && exit 0
exit 9
`
)

// TestProberScript runs the probe container of every probe pod of the
// zero-trust manifests, with agnhost and dig replaced by fakes answering
// as the plan expects and the targets file filled as the header's step 3
// does: each pod must print one ok line per probe and PASS. With one
// verdict flipped, the pod concerned prints MISMATCH with the flow and the
// source lines, and FAIL.
func TestProberScript(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	data, err := os.ReadFile("../../examples/zero-trust/production.netpol")
	if err != nil {
		t.Fatal(err)
	}
	prog := compileProgram(t, string(data), nil)
	plan := newPlan(t, prog, nil)
	out, err := testplan.Manifests(prog, plan, testplan.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fake := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(fake, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("agnhost", fakeAgnhost)
	write("dig", fakeDig)
	// Targets: every pod of the world at its address (the DNS server's
	// probe goes to the pod standing for it).
	var targets strings.Builder
	podIP := map[string]string{}
	for _, p := range plan.World.Pods {
		fmt.Fprintf(&targets, "%s/%s %s\n", p.Namespace, p.Name, p.IP)
		podIP[p.Namespace+"/"+p.Name] = p.IP.String()
	}
	write("targets", targets.String())
	verdicts := func(flip int) string {
		var b strings.Builder
		for i, p := range plan.Probes {
			if !p.PodToPod() {
				continue
			}
			want := p.Allowed != (i == flip)
			fmt.Fprintf(&b, "%s %s:%d %s %s\n", testplan.EndpointName(p.Flow.From), p.Flow.To.Pod.IP, p.Flow.Port,
				strings.ToLower(string(p.Flow.Protocol)), testplan.Verdict(want))
		}
		return b.String()
	}
	var pods []corev1.Pod
	for _, doc := range backends.SplitYAML(out) {
		var pod corev1.Pod
		if err := yaml.Unmarshal(doc, &pod); err != nil {
			t.Fatal(err)
		}
		switch {
		case pod.Kind != "Pod":
		case len(pod.Spec.Containers[0].Command) == 0:
			// A pod that only receives probes: its probe container waits.
			if got := pod.Spec.Containers[0].Args; len(got) != 1 || got[0] != "pause" {
				t.Errorf("pod %s/%s: probe container %v", pod.Namespace, pod.Name, got)
			}
		default:
			pods = append(pods, pod)
		}
	}
	run := func(pod corev1.Pod) (string, error) {
		c := pod.Spec.Containers[0]
		script := c.Command[2]
		script = strings.ReplaceAll(script, "/agnhost", filepath.Join(fake, "agnhost"))
		script = strings.ReplaceAll(script, "/etc/netpolc-testplan/targets", filepath.Join(fake, "targets"))
		script = strings.ReplaceAll(script, "while :; do sleep 3600; done", "exit 0")
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = []string{"PATH=" + fake + ":" + os.Getenv("PATH"), "FAKE=" + fake}
		for _, e := range c.Env {
			cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
		}
		b, err := cmd.CombinedOutput()
		return string(b), err
	}

	write("verdicts", verdicts(-1))
	lines := 0
	for _, pod := range pods {
		out, err := run(pod)
		n := strings.Count(out, "\nok ")
		lines += n
		if err != nil || !strings.Contains(out, "netpolc testplan: PASS") || strings.Contains(out, "MISMATCH") ||
			!strings.Contains(out, fmt.Sprintf(": %d probes, 0 mismatches", n)) {
			t.Errorf("pod %s/%s: %v\n%s", pod.Namespace, pod.Name, err, out)
		}
	}
	podToPod := 0
	for _, p := range plan.Probes {
		if p.PodToPod() && !(p.Flow.From.Pod.Namespace == "kube-system" && p.Flow.From.Pod.Labels["k8s-app"] == "kube-dns") {
			podToPod++
		}
	}
	if lines != podToPod {
		t.Errorf("%d ok lines over the pods, want %d", lines, podToPod)
	}

	// Flip the first probe of production/web.
	flip := -1
	for i, p := range plan.Probes {
		if p.PodToPod() && testplan.EndpointName(p.Flow.From) == "production/web" {
			flip = i
			break
		}
	}
	write("verdicts", verdicts(flip))
	for _, pod := range pods {
		if pod.Annotations[testplan.PodAnnotation] != "production/web" {
			continue
		}
		out, _ := run(pod)
		p := plan.Probes[flip]
		want := fmt.Sprintf("MISMATCH %s expected=%s observed=%s (%s %s; decided by %s)", p.Flow, testplan.Verdict(p.Allowed), testplan.Verdict(!p.Allowed), p.Reason, p.Origin, p.Source)
		if !strings.Contains(out, want) || !strings.Contains(out, "1 mismatches") || !strings.Contains(out, "netpolc testplan: FAIL") {
			t.Errorf("with %s flipped, production/web printed:\n%s\nwant the line %s", p.Flow, out, want)
		}
	}
}
