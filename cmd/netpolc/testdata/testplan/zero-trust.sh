#!/bin/sh
# netpolc testplan 0fd1b01e29cc: runs 46 of the plan's 77 probes from 22 probe pods with kubectl.
#
# Needs kubectl with access to the cluster (KUBECTL=... to use another command), and the
# namespaces below with these labels (the script creates and relabels no namespace):
#   ci
#   ingress-nginx
#   kube-system
#   monitoring
#   ns-dev (environment=dev)
#   production
#
# Each probe pod carries the labels of a pod of the plan's world: Services that select those
# labels send traffic to it while the script runs. Use a test cluster, or namespaces where no
# Service selects them.
#
# Environment: TIMEOUT (seconds per probe, default 2), KEEP=1 keeps the probe pods.
# Exit status: 0 every probe as expected, 1 a mismatch, 2 the probes could not run.
#
# Not run (31):
#   production/web -> 8.8.8.8:443/TCP: to an external address: run with --externals to probe it
#   production/web -> 8.8.8.8:80/TCP: to an external address: run with --externals to probe it
#   production/web -> 169.254.169.254:443/TCP: to an external address: run with --externals to probe it
#   production/web -> 10.1.2.3:443/TCP: to an external address: run with --externals to probe it
#   production/needs-apis -> 52.94.1.1:443/TCP: to an external address: run with --externals to probe it
#   production/needs-apis -> 104.16.0.1:443/TCP: to an external address: run with --externals to probe it
#   production/needs-apis -> 8.8.8.8:443/TCP: to an external address: run with --externals to probe it
#   production/web -> 8.8.8.8:444/TCP: to an external address: run with --externals to probe it
#   production/web -> 8.8.8.8:443/UDP: to an external address: run with --externals to probe it
#   production/web -> 0.0.0.1:443/TCP: to an external address: run with --externals to probe it
#   production/web -> 255.255.255.254:443/TCP: to an external address: run with --externals to probe it
#   production/web -> 10.0.0.0:443/TCP: to an external address: run with --externals to probe it
#   production/web -> 10.255.255.255:443/TCP: to an external address: run with --externals to probe it
#   production/web -> 172.16.0.0:443/TCP: to an external address: run with --externals to probe it
#   production/web -> 172.31.255.255:443/TCP: to an external address: run with --externals to probe it
#   production/web -> 192.168.0.0:443/TCP: to an external address: run with --externals to probe it
#   production/web -> 192.168.255.255:443/TCP: to an external address: run with --externals to probe it
#   production/stranger -> 8.8.8.8:443/TCP: to an external address: run with --externals to probe it
#   production/needs-apis -> 52.94.1.1:444/TCP: to an external address: run with --externals to probe it
#   production/needs-apis -> 52.94.1.1:443/UDP: to an external address: run with --externals to probe it
#   production/needs-apis -> 52.94.0.1:443/TCP: to an external address: run with --externals to probe it
#   production/needs-apis -> 52.94.15.254:443/TCP: to an external address: run with --externals to probe it
#   production/needs-apis -> 52.93.255.255:443/TCP: to an external address: run with --externals to probe it
#   production/needs-apis -> 52.94.16.0:443/TCP: to an external address: run with --externals to probe it
#   production/stranger -> 52.94.1.1:443/TCP: to an external address: run with --externals to probe it
#   production/needs-apis -> 104.16.0.1:444/TCP: to an external address: run with --externals to probe it
#   production/needs-apis -> 104.16.0.1:443/UDP: to an external address: run with --externals to probe it
#   production/needs-apis -> 104.31.255.254:443/TCP: to an external address: run with --externals to probe it
#   production/needs-apis -> 104.15.255.255:443/TCP: to an external address: run with --externals to probe it
#   production/needs-apis -> 104.32.0.0:443/TCP: to an external address: run with --externals to probe it
#   production/stranger -> 104.16.0.1:443/TCP: to an external address: run with --externals to probe it

set -u
KUBECTL=${KUBECTL:-kubectl}
TIMEOUT=${TIMEOUT:-2}
KEEP=${KEEP:-0}
DNSPORT=53
PLAN=0fd1b01e29cc
tmp=$(mktemp -d) || exit 2
cleanup() {
  if [ "$KEEP" != 1 ]; then
    for ns in 'ci' 'ingress-nginx' 'kube-system' 'monitoring' 'ns-dev' 'production'; do
      $KUBECTL delete pods -n "$ns" -l "testplan.netpolc.io/plan=$PLAN" --wait=false >/dev/null 2>&1
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
need_namespace 'ci'
need_namespace 'ingress-nginx'
need_namespace 'kube-system'
need_namespace 'monitoring'
need_namespace 'ns-dev' 'environment=dev'
need_namespace 'production'
$KUBECTL apply -f - >/dev/null <<'NETPOLC_TESTPLAN_MANIFESTS' || fail "kubectl apply failed"
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: production/pod
  labels:
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-pod
  namespace: production
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: production/web
  labels:
    app: web
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-web
  namespace: production
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "8080"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-8080
    ports:
    - containerPort: 8080
      protocol: TCP
    - containerPort: 8080
      protocol: UDP
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "8081"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-8081
    ports:
    - containerPort: 8081
      protocol: TCP
    - containerPort: 8081
      protocol: UDP
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "40000"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-40000
    ports:
    - containerPort: 40000
      name: metrics
      protocol: TCP
    - containerPort: 40000
      protocol: UDP
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "40001"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-40001
    ports:
    - containerPort: 40001
      protocol: TCP
    - containerPort: 40001
      protocol: UDP
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: production/database
  labels:
    app: database
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-database
  namespace: production
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "5432"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-5432
    ports:
    - containerPort: 5432
      protocol: TCP
    - containerPort: 5432
      protocol: UDP
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "5433"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-5433
    ports:
    - containerPort: 5433
      protocol: TCP
    - containerPort: 5433
      protocol: UDP
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: production/redis
  labels:
    app: redis
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-redis
  namespace: production
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "6379"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-6379
    ports:
    - containerPort: 6379
      protocol: TCP
    - containerPort: 6379
      protocol: UDP
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "6380"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-6380
    ports:
    - containerPort: 6380
      protocol: TCP
    - containerPort: 6380
      protocol: UDP
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: ingress-nginx/nginx
  labels:
    app.kubernetes.io/name: ingress-nginx
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-nginx
  namespace: ingress-nginx
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: monitoring/prometheus
  labels:
    app: prometheus
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-prometheus
  namespace: monitoring
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: production/api
  labels:
    app: api
    testplan.netpolc.io/plan: 0fd1b01e29cc
    tier: public
  name: netpolc-api
  namespace: production
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "8080"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-8080
    ports:
    - containerPort: 8080
      protocol: TCP
    - containerPort: 8080
      protocol: UDP
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "8081"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-8081
    ports:
    - containerPort: 8081
      protocol: TCP
    - containerPort: 8081
      protocol: UDP
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: ns-dev/devtests
  labels:
    app: integration-tests
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-devtests
  namespace: ns-dev
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: ns-dev/devother
  labels:
    app: frontend
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-devother
  namespace: ns-dev
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: production/localtests
  labels:
    app: integration-tests
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-localtests
  namespace: production
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: ci/citests
  labels:
    app: integration-tests
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-citests
  namespace: ci
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: kube-system/stranger
  labels:
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-stranger
  namespace: kube-system
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "53"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-53
    ports:
    - containerPort: 53
      protocol: TCP
    - containerPort: 53
      protocol: UDP
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: ci/kubedns
  labels:
    k8s-app: kube-dns
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-kubedns
  namespace: ci
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "53"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-53
    ports:
    - containerPort: 53
      protocol: TCP
    - containerPort: 53
      protocol: UDP
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: production/stranger
  labels:
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-stranger
  namespace: production
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "5432"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-5432
    ports:
    - containerPort: 5432
      protocol: TCP
    - containerPort: 5432
      protocol: UDP
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "6379"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-6379
    ports:
    - containerPort: 6379
      protocol: TCP
    - containerPort: 6379
      protocol: UDP
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "8080"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-8080
    ports:
    - containerPort: 8080
      protocol: TCP
    - containerPort: 8080
      protocol: UDP
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "40000"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-40000
    ports:
    - containerPort: 40000
      protocol: TCP
    - containerPort: 40000
      protocol: UDP
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: ci/database
  labels:
    app: database
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-database
  namespace: ci
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "5432"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-5432
    ports:
    - containerPort: 5432
      protocol: TCP
    - containerPort: 5432
      protocol: UDP
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: ci/redis
  labels:
    app: redis
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-redis
  namespace: ci
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "6379"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-6379
    ports:
    - containerPort: 6379
      protocol: TCP
    - containerPort: 6379
      protocol: UDP
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: ingress-nginx/stranger
  labels:
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-stranger
  namespace: ingress-nginx
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: ci/nginx
  labels:
    app.kubernetes.io/name: ingress-nginx
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-nginx
  namespace: ci
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: monitoring/stranger
  labels:
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-stranger
  namespace: monitoring
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: ci/prometheus
  labels:
    app: prometheus
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-prometheus
  namespace: ci
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: ci/web
  labels:
    app: web
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-web
  namespace: ci
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  - args:
    - serve-hostname
    - --tcp
    - --udp
    - --http=false
    - --port
    - "40000"
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: serve-40000
    ports:
    - containerPort: 40000
      name: metrics
      protocol: TCP
    - containerPort: 40000
      protocol: UDP
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    testplan.netpolc.io/pod: ns-dev/stranger
  labels:
    testplan.netpolc.io/plan: 0fd1b01e29cc
  name: netpolc-stranger
  namespace: ns-dev
spec:
  automountServiceAccountToken: false
  containers:
  - args:
    - pause
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    name: probe
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
NETPOLC_TESTPLAN_MANIFESTS
: >"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'production' pod/'netpolc-pod' >/dev/null || fail "pod production/netpolc-pod is not ready"
echo 'production/pod' "$($KUBECTL get pod -n 'production' 'netpolc-pod' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'production' pod/'netpolc-web' >/dev/null || fail "pod production/netpolc-web is not ready"
echo 'production/web' "$($KUBECTL get pod -n 'production' 'netpolc-web' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'production' pod/'netpolc-database' >/dev/null || fail "pod production/netpolc-database is not ready"
echo 'production/database' "$($KUBECTL get pod -n 'production' 'netpolc-database' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'production' pod/'netpolc-redis' >/dev/null || fail "pod production/netpolc-redis is not ready"
echo 'production/redis' "$($KUBECTL get pod -n 'production' 'netpolc-redis' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'ingress-nginx' pod/'netpolc-nginx' >/dev/null || fail "pod ingress-nginx/netpolc-nginx is not ready"
echo 'ingress-nginx/nginx' "$($KUBECTL get pod -n 'ingress-nginx' 'netpolc-nginx' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'monitoring' pod/'netpolc-prometheus' >/dev/null || fail "pod monitoring/netpolc-prometheus is not ready"
echo 'monitoring/prometheus' "$($KUBECTL get pod -n 'monitoring' 'netpolc-prometheus' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'production' pod/'netpolc-api' >/dev/null || fail "pod production/netpolc-api is not ready"
echo 'production/api' "$($KUBECTL get pod -n 'production' 'netpolc-api' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'ns-dev' pod/'netpolc-devtests' >/dev/null || fail "pod ns-dev/netpolc-devtests is not ready"
echo 'ns-dev/devtests' "$($KUBECTL get pod -n 'ns-dev' 'netpolc-devtests' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'ns-dev' pod/'netpolc-devother' >/dev/null || fail "pod ns-dev/netpolc-devother is not ready"
echo 'ns-dev/devother' "$($KUBECTL get pod -n 'ns-dev' 'netpolc-devother' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'production' pod/'netpolc-localtests' >/dev/null || fail "pod production/netpolc-localtests is not ready"
echo 'production/localtests' "$($KUBECTL get pod -n 'production' 'netpolc-localtests' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'ci' pod/'netpolc-citests' >/dev/null || fail "pod ci/netpolc-citests is not ready"
echo 'ci/citests' "$($KUBECTL get pod -n 'ci' 'netpolc-citests' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'kube-system' pod/'netpolc-stranger' >/dev/null || fail "pod kube-system/netpolc-stranger is not ready"
echo 'kube-system/stranger' "$($KUBECTL get pod -n 'kube-system' 'netpolc-stranger' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'ci' pod/'netpolc-kubedns' >/dev/null || fail "pod ci/netpolc-kubedns is not ready"
echo 'ci/kubedns' "$($KUBECTL get pod -n 'ci' 'netpolc-kubedns' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'production' pod/'netpolc-stranger' >/dev/null || fail "pod production/netpolc-stranger is not ready"
echo 'production/stranger' "$($KUBECTL get pod -n 'production' 'netpolc-stranger' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'ci' pod/'netpolc-database' >/dev/null || fail "pod ci/netpolc-database is not ready"
echo 'ci/database' "$($KUBECTL get pod -n 'ci' 'netpolc-database' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'ci' pod/'netpolc-redis' >/dev/null || fail "pod ci/netpolc-redis is not ready"
echo 'ci/redis' "$($KUBECTL get pod -n 'ci' 'netpolc-redis' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'ingress-nginx' pod/'netpolc-stranger' >/dev/null || fail "pod ingress-nginx/netpolc-stranger is not ready"
echo 'ingress-nginx/stranger' "$($KUBECTL get pod -n 'ingress-nginx' 'netpolc-stranger' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'ci' pod/'netpolc-nginx' >/dev/null || fail "pod ci/netpolc-nginx is not ready"
echo 'ci/nginx' "$($KUBECTL get pod -n 'ci' 'netpolc-nginx' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'monitoring' pod/'netpolc-stranger' >/dev/null || fail "pod monitoring/netpolc-stranger is not ready"
echo 'monitoring/stranger' "$($KUBECTL get pod -n 'monitoring' 'netpolc-stranger' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'ci' pod/'netpolc-prometheus' >/dev/null || fail "pod ci/netpolc-prometheus is not ready"
echo 'ci/prometheus' "$($KUBECTL get pod -n 'ci' 'netpolc-prometheus' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'ci' pod/'netpolc-web' >/dev/null || fail "pod ci/netpolc-web is not ready"
echo 'ci/web' "$($KUBECTL get pod -n 'ci' 'netpolc-web' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
$KUBECTL wait --for=condition=Ready --timeout=300s -n 'ns-dev' pod/'netpolc-stranger' >/dev/null || fail "pod ns-dev/netpolc-stranger is not ready"
echo 'ns-dev/stranger' "$($KUBECTL get pod -n 'ns-dev' 'netpolc-stranger' -o jsonpath='{.status.podIP}')" >>"$tmp/targets"
echo 'kube-system/kubedns' $($KUBECTL get pods -n 'kube-system' -l 'k8s-app=kube-dns' -o jsonpath='{.items[*].status.podIP}' | awk '{ print $1 }') >>"$tmp/targets"
missing=$(awk 'NF < 2 { printf " %s", $1 }' "$tmp/targets")
[ -z "$missing" ] || fail "no address for:$missing (the DNS server's pods are found by their labels in their namespace)"
lookup() { awk -v k="$1" '$1 == k { print $2; exit }' "$tmp/targets"; }
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
n=0
bad=0
while IFS='|' read -r ns pod to proto port want mode flow src; do
  [ -n "$to" ] || continue
  n=$((n+1))
  got=$(probe "$ns" "$pod" "$to" "$proto" "$port" "$mode")
  r=ok
  if [ "$got" != "$want" ]; then r=MISMATCH; bad=$((bad+1)); fi
  printf '%s %s expected=%s observed=%s (%s)\n' "$r" "$flow" "$want" "$got" "$src"
done <<'NETPOLC_TESTPLAN_PROBES'
production|netpolc-web|production/database|tcp|5432|allowed|pod|production/web -> production/database:5432/TCP|expect examples/zero-trust/production.netpol:67; decided by examples/zero-trust/production.netpol:42
production|netpolc-web|production/redis|tcp|6379|allowed|pod|production/web -> production/redis:6379/TCP|expect examples/zero-trust/production.netpol:68; decided by examples/zero-trust/production.netpol:43
ingress-nginx|netpolc-nginx|production/web|tcp|8080|allowed|pod|ingress-nginx/nginx -> production/web:8080/TCP|expect examples/zero-trust/production.netpol:69; decided by examples/zero-trust/production.netpol:47
monitoring|netpolc-prometheus|production/web|tcp|40000|allowed|pod|monitoring/prometheus -> production/web:40000/TCP|expect examples/zero-trust/production.netpol:70; decided by examples/zero-trust/production.netpol:52
ns-dev|netpolc-devtests|production/api|tcp|8080|allowed|pod|ns-dev/devtests -> production/api:8080/TCP|expect examples/zero-trust/production.netpol:71; decided by examples/zero-trust/production.netpol:56
ns-dev|netpolc-devother|production/api|tcp|8080|denied|pod|ns-dev/devother -> production/api:8080/TCP|expect examples/zero-trust/production.netpol:75; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:56
production|netpolc-localtests|production/api|tcp|8080|denied|pod|production/localtests -> production/api:8080/TCP|expect examples/zero-trust/production.netpol:76; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:56
ci|netpolc-citests|production/api|tcp|8080|denied|pod|ci/citests -> production/api:8080/TCP|expect examples/zero-trust/production.netpol:77; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:56
production|netpolc-database|production/web|tcp|8080|denied|pod|production/database -> production/web:8080/TCP|expect examples/zero-trust/production.netpol:80; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
production|netpolc-web|production/database|tcp|5433|denied|pod|production/web -> production/database:5433/TCP|expect examples/zero-trust/production.netpol:81; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
production|netpolc-web|kube-system/kubedns|udp|53|allowed|dns|production/web -> kube-system/kubedns:53/UDP|expect examples/zero-trust/production.netpol:93; decided by examples/zero-trust/production.netpol:14
production|netpolc-web|kube-system/kubedns|tcp|53|allowed|dns|production/web -> kube-system/kubedns:53/TCP|expect examples/zero-trust/production.netpol:94; decided by examples/zero-trust/production.netpol:14
production|netpolc-redis|kube-system/kubedns|udp|53|allowed|dns|production/redis -> kube-system/kubedns:53/UDP|expect examples/zero-trust/production.netpol:95; decided by examples/zero-trust/production.netpol:14
production|netpolc-database|kube-system/kubedns|tcp|53|allowed|dns|production/database -> kube-system/kubedns:53/TCP|expect examples/zero-trust/production.netpol:96; decided by examples/zero-trust/production.netpol:14
production|netpolc-pod|kube-system/kubedns|udp|53|allowed|dns|production/pod -> kube-system/kubedns:53/UDP|dns examples/zero-trust/production.netpol:14; decided by examples/zero-trust/production.netpol:14
production|netpolc-pod|kube-system/kubedns|tcp|53|allowed|dns|production/pod -> kube-system/kubedns:53/TCP|dns examples/zero-trust/production.netpol:14; decided by examples/zero-trust/production.netpol:14
production|netpolc-pod|kube-system/kubedns|udp|54|denied|dns|production/pod -> kube-system/kubedns:54/UDP|port-neighbour examples/zero-trust/production.netpol:14; decided by examples/zero-trust/production.netpol:8
production|netpolc-pod|kube-system/kubedns|tcp|54|denied|dns|production/pod -> kube-system/kubedns:54/TCP|port-neighbour examples/zero-trust/production.netpol:14; decided by examples/zero-trust/production.netpol:8
production|netpolc-pod|kube-system/stranger|udp|53|denied|pod|production/pod -> kube-system/stranger:53/UDP|namespace-only examples/zero-trust/production.netpol:14; decided by examples/zero-trust/production.netpol:8
production|netpolc-pod|ci/kubedns|udp|53|denied|pod|production/pod -> ci/kubedns:53/UDP|pods-only examples/zero-trust/production.netpol:14; decided by examples/zero-trust/production.netpol:8
production|netpolc-stranger|kube-system/kubedns|udp|53|allowed|dns|production/stranger -> kube-system/kubedns:53/UDP|stranger examples/zero-trust/production.netpol:14; decided by examples/zero-trust/production.netpol:14
production|netpolc-web|production/database|udp|5432|denied|pod|production/web -> production/database:5432/UDP|other-protocol examples/zero-trust/production.netpol:42; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
production|netpolc-web|production/stranger|tcp|5432|denied|pod|production/web -> production/stranger:5432/TCP|namespace-only examples/zero-trust/production.netpol:42; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
production|netpolc-web|ci/database|tcp|5432|denied|pod|production/web -> ci/database:5432/TCP|pods-only examples/zero-trust/production.netpol:42; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
production|netpolc-stranger|production/database|tcp|5432|denied|pod|production/stranger -> production/database:5432/TCP|stranger examples/zero-trust/production.netpol:42; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
production|netpolc-web|production/redis|tcp|6380|denied|pod|production/web -> production/redis:6380/TCP|port-neighbour examples/zero-trust/production.netpol:43; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42, examples/zero-trust/production.netpol:43
production|netpolc-web|production/redis|udp|6379|denied|pod|production/web -> production/redis:6379/UDP|other-protocol examples/zero-trust/production.netpol:43; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42, examples/zero-trust/production.netpol:43
production|netpolc-web|production/stranger|tcp|6379|denied|pod|production/web -> production/stranger:6379/TCP|namespace-only examples/zero-trust/production.netpol:43; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
production|netpolc-web|ci/redis|tcp|6379|denied|pod|production/web -> ci/redis:6379/TCP|pods-only examples/zero-trust/production.netpol:43; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
production|netpolc-stranger|production/redis|tcp|6379|denied|pod|production/stranger -> production/redis:6379/TCP|stranger examples/zero-trust/production.netpol:43; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:43
ingress-nginx|netpolc-nginx|production/web|tcp|8081|denied|pod|ingress-nginx/nginx -> production/web:8081/TCP|port-neighbour examples/zero-trust/production.netpol:47; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
ingress-nginx|netpolc-nginx|production/web|udp|8080|denied|pod|ingress-nginx/nginx -> production/web:8080/UDP|other-protocol examples/zero-trust/production.netpol:47; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
ingress-nginx|netpolc-stranger|production/web|tcp|8080|denied|pod|ingress-nginx/stranger -> production/web:8080/TCP|namespace-only examples/zero-trust/production.netpol:47; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
ci|netpolc-nginx|production/web|tcp|8080|denied|pod|ci/nginx -> production/web:8080/TCP|pods-only examples/zero-trust/production.netpol:47; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
ingress-nginx|netpolc-nginx|production/stranger|tcp|8080|denied|pod|ingress-nginx/nginx -> production/stranger:8080/TCP|stranger examples/zero-trust/production.netpol:47; decided by examples/zero-trust/production.netpol:8
monitoring|netpolc-prometheus|production/web|tcp|40001|denied|pod|monitoring/prometheus -> production/web:40001/TCP|port-neighbour examples/zero-trust/production.netpol:52; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
monitoring|netpolc-prometheus|production/web|udp|40000|denied|pod|monitoring/prometheus -> production/web:40000/UDP|other-protocol examples/zero-trust/production.netpol:52; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
monitoring|netpolc-stranger|production/web|tcp|40000|denied|pod|monitoring/stranger -> production/web:40000/TCP|namespace-only examples/zero-trust/production.netpol:52; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
ci|netpolc-prometheus|production/web|tcp|40000|denied|pod|ci/prometheus -> production/web:40000/TCP|pods-only examples/zero-trust/production.netpol:52; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
monitoring|netpolc-prometheus|production/stranger|tcp|40000|denied|pod|monitoring/prometheus -> production/stranger:40000/TCP|stranger examples/zero-trust/production.netpol:52; decided by examples/zero-trust/production.netpol:8
ci|netpolc-web|production/database|tcp|5432|denied|pod|ci/web -> production/database:5432/TCP|pods-only examples/zero-trust/production.netpol:42; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:42
ci|netpolc-web|production/redis|tcp|6379|denied|pod|ci/web -> production/redis:6379/TCP|pods-only examples/zero-trust/production.netpol:43; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:43
ns-dev|netpolc-devtests|production/api|tcp|8081|denied|pod|ns-dev/devtests -> production/api:8081/TCP|port-neighbour examples/zero-trust/production.netpol:56; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:56
ns-dev|netpolc-devtests|production/api|udp|8080|denied|pod|ns-dev/devtests -> production/api:8080/UDP|other-protocol examples/zero-trust/production.netpol:56; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:56
ns-dev|netpolc-stranger|production/api|tcp|8080|denied|pod|ns-dev/stranger -> production/api:8080/TCP|namespace-only examples/zero-trust/production.netpol:56; decided by examples/zero-trust/production.netpol:8, examples/zero-trust/production.netpol:56
ns-dev|netpolc-devtests|production/stranger|tcp|8080|denied|pod|ns-dev/devtests -> production/stranger:8080/TCP|stranger examples/zero-trust/production.netpol:56; decided by examples/zero-trust/production.netpol:8
NETPOLC_TESTPLAN_PROBES
echo "netpolc testplan: $n probes, $bad mismatches"
cleanup
if [ "$bad" != 0 ]; then echo "netpolc testplan: FAIL"; exit 1; fi
echo "netpolc testplan: PASS"
