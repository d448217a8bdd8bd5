package testplan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/netpolc/netpolc/compile/ir"
)

// scriptProbe is the shell function of Script that runs one probe from a
// probe pod with kubectl exec; the same judgement as proberScript.
const scriptProbe = `lookup() { awk -v k="$1" '$1 == k { print $2; exit }' "$tmp/targets"; }
# probe NAMESPACE POD TARGET PROTOCOL PORT MODE: prints allowed or denied.
probe() {
  ip=$3
  [ "$6" = external ] || ip=$(lookup "$3")
  if [ -z "$ip" ]; then echo "no-address"; return; fi
  case $ip in *:*) addr="[$ip]:$5" ;; *) addr="$ip:$5" ;; esac
  if [ "$6" = dns ] && [ "$5" = "$DNSPORT" ]; then
    t=+notcp
    [ "$4" = tcp ] && t=+tcp
    if $KUBECTL exec -n "$1" "$2" -c probe -- dig @"$ip" -p "$5" $t +time="$TIMEOUT" +tries=1 kubernetes.default.svc.cluster.local </dev/null >/dev/null 2>&1; then echo allowed; else echo denied; fi
    return
  fi
  if out=$($KUBECTL exec -n "$1" "$2" -c probe -- /agnhost connect "$addr" --protocol="$4" --timeout="${TIMEOUT}s" </dev/null 2>&1); then echo allowed; return; fi
  case "$6:$out" in pod:*) echo denied ;; *REFUSED*) echo allowed ;; *) echo denied ;; esac
}
`

// Script renders a POSIX shell script that runs plan (of prog) with
// kubectl: it checks the namespaces, creates the probe pods (as Manifests,
// without their own probing), waits until they are ready, finds the pod
// addresses, runs every probe with kubectl exec from its source pod,
// prints expected vs observed per probe and a summary, deletes the pods
// (unless KEEP=1) and exits 0 when every probe matched, 1 on a mismatch, 2
// when it could not run (a namespace missing, pods not ready).
func Script(prog *ir.Program, plan *Plan, opts RunOptions) ([]byte, error) {
	rp, err := newRunPlan(prog, plan, opts)
	if err != nil {
		return nil, err
	}
	manifests, err := yamlStream(rp.objects(false))
	if err != nil {
		return nil, err
	}
	const eof = "NETPOLC_TESTPLAN_MANIFESTS"
	if strings.Contains(string(manifests), eof) {
		return nil, fmt.Errorf("testplan: the manifests contain %s", eof)
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	fmt.Fprintf(&b, "# netpolc testplan %s: runs %d of the plan's %d probes from %d probe pods with kubectl.\n", rp.id, len(rp.probes), len(plan.Probes), len(rp.pods))
	b.WriteString(`#
# Needs kubectl with access to the cluster (KUBECTL=... to use another command), and the
# namespaces below with these labels (the script creates and relabels no namespace):
`)
	rp.writeNamespaces(&b, "#   ")
	b.WriteString(`#
# Each probe pod carries the labels of a pod of the plan's world: Services that select those
# labels send traffic to it while the script runs. Use a test cluster, or namespaces where no
# Service selects them.
#
# Environment: TIMEOUT (seconds per probe, default ` + fmt.Sprint(rp.timeout) + `), KEEP=1 keeps the probe pods.
# Exit status: 0 every probe as expected, 1 a mismatch, 2 the probes could not run.
`)
	rp.writeLeftOut(&b)
	writeWarnings(&b, plan)
	b.WriteString("\nset -u\nKUBECTL=${KUBECTL:-kubectl}\n")
	fmt.Fprintf(&b, "TIMEOUT=${TIMEOUT:-%d}\nKEEP=${KEEP:-0}\nDNSPORT=%d\nPLAN=%s\n", rp.timeout, rp.dnsPort, rp.id)
	b.WriteString(`tmp=$(mktemp -d) || exit 2
cleanup() {
  if [ "$KEEP" != 1 ]; then
    for ns in ` + shWords(rp.nsNames) + `; do
      $KUBECTL delete pods -n "$ns" -l "` + PlanLabel + `=$PLAN" --wait=false >/dev/null 2>&1
    done
  fi
  rm -rf "$tmp"
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
fail() { echo "netpolc testplan: $*" >&2; cleanup; exit 2; }
# need_namespace NAME LABEL...: the namespace exists and carries every k=v label.
need_namespace() {
  ns=$1
  shift
  labels=$($KUBECTL get namespace "$ns" -o jsonpath='{.metadata.labels}' 2>/dev/null) || fail "namespace $ns is missing: create it (see the header of this script)"
  for l in "$@"; do
    case $labels in
    *"\"${l%%=*}\":\"${l#*=}\""*) ;;
    *) fail "namespace $ns lacks the label $l" ;;
    esac
  done
}
`)
	for _, ns := range rp.nsNames {
		args := []string{shq(ns)}
		for _, k := range slices.Sorted(maps.Keys(rp.nsLabel[ns])) {
			args = append(args, shq(k+"="+rp.nsLabel[ns][k]))
		}
		fmt.Fprintf(&b, "need_namespace %s\n", strings.Join(args, " "))
	}
	fmt.Fprintf(&b, "$KUBECTL apply -f - >/dev/null <<'%s' || fail \"kubectl apply failed\"\n", eof)
	b.Write(manifests)
	b.WriteString(eof + "\n")
	b.WriteString(": >\"$tmp/targets\"\n")
	for _, q := range rp.pods {
		fmt.Fprintf(&b, "$KUBECTL wait --for=condition=Ready --timeout=300s -n %s pod/%s >/dev/null || fail \"pod %s/%s is not ready\"\n", shq(q.ns), shq(q.name), q.ns, q.name)
		fmt.Fprintf(&b, "echo %s \"$($KUBECTL get pod -n %s %s -o jsonpath='{.status.podIP}')\" >>\"$tmp/targets\"\n", shq(q.world), shq(q.ns), shq(q.name))
	}
	for _, key := range rp.dnsKeys() {
		fmt.Fprintf(&b, "echo %s $($KUBECTL get pods -n %s -l %s -o jsonpath='{.items[*].status.podIP}' | awk '{ print $1 }') >>\"$tmp/targets\"\n", shq(key), shq(rp.dnsNS), shq(rp.dnsSel))
	}
	b.WriteString(`missing=$(awk 'NF < 2 { printf " %s", $1 }' "$tmp/targets")
[ -z "$missing" ] || fail "no address for:$missing (the DNS server's pods are found by their labels in their namespace)"
`)
	b.WriteString(scriptProbe)
	b.WriteString(`n=0
bad=0
while IFS='|' read -r ns pod to proto port want mode flow src; do
  [ -n "$to" ] || continue
  n=$((n+1))
  got=$(probe "$ns" "$pod" "$to" "$proto" "$port" "$mode")
  r=ok
  if [ "$got" != "$want" ]; then r=MISMATCH; bad=$((bad+1)); fi
  printf '%s %s expected=%s observed=%s (%s)\n' "$r" "$flow" "$want" "$got" "$src"
done <<'NETPOLC_TESTPLAN_PROBES'
`)
	for _, pr := range rp.probes {
		fmt.Fprintf(&b, "%s|%s|%s", pr.from.ns, pr.from.name, pr.line())
	}
	b.WriteString(`NETPOLC_TESTPLAN_PROBES
echo "netpolc testplan: $n probes, $bad mismatches"
cleanup
if [ "$bad" != 0 ]; then echo "netpolc testplan: FAIL"; exit 1; fi
echo "netpolc testplan: PASS"
`)
	return []byte(b.String()), nil
}

// shq quotes s for the shell.
func shq(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shWords(ws []string) string {
	var out []string
	for _, w := range ws {
		out = append(out, shq(w))
	}
	return strings.Join(out, " ")
}
