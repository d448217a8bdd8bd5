package world

import (
	"fmt"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/source"
)

// kubectlList writes a "kubectl get ns,pods,deploy,rs,svc -A -o yaml" of
// pods pods: 10 namespaces, a Deployment, its ReplicaSet and a Service per
// 10 pods, every object with the server-side fields kubectl prints.
func kubectlList(pods int) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nitems:\n")
	for n := 0; n < 10; n++ {
		fmt.Fprintf(&b, `- apiVersion: v1
  kind: Namespace
  metadata:
    creationTimestamp: "2026-11-20T09:12:44Z"
    labels: {kubernetes.io/metadata.name: ns-%d, team: t%d}
    name: ns-%d
    resourceVersion: "19"
    uid: 8f1c2c55-4a0b-4c4e-9a39-0d6a7f2f4b%02d
  spec: {finalizers: [kubernetes]}
  status: {phase: Active}
`, n, n%3, n, n)
	}
	for i := 0; i < pods; i++ {
		ns, app := i%10, i/10
		if i%10 == 0 {
			fmt.Fprintf(&b, `- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: app-%d, namespace: ns-%d, uid: d-%d, generation: 3, resourceVersion: "88250", creationTimestamp: "2026-11-20T09:30:00Z"}
  spec:
    replicas: 10
    selector: {matchLabels: {app: app-%d}}
    template:
      metadata: {labels: {app: app-%d, tier: t%d}}
      spec:
        containers:
        - image: ghcr.io/example/app:2.4.1
          name: app
          ports: [{containerPort: 8080, name: http, protocol: TCP}, {containerPort: 9090, name: metrics, protocol: TCP}]
  status: {replicas: 10, availableReplicas: 10}
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata:
    name: app-%d-7c9f8d6b5
    namespace: ns-%d
    uid: rs-%d
    ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: app-%d, uid: d-%d, controller: true, blockOwnerDeletion: true}]
  spec:
    replicas: 10
    selector: {matchLabels: {app: app-%d, pod-template-hash: 7c9f8d6b5}}
    template:
      metadata: {labels: {app: app-%d, pod-template-hash: 7c9f8d6b5, tier: t%d}}
      spec:
        containers: [{image: "ghcr.io/example/app:2.4.1", name: app}]
- apiVersion: v1
  kind: Service
  metadata: {name: app-%d, namespace: ns-%d}
  spec: {clusterIP: 10.96.12.40, ports: [{name: http, port: 80, protocol: TCP, targetPort: http}], selector: {app: app-%d}, type: ClusterIP}
  status: {loadBalancer: {}}
`, app, ns, app, app, app, app%3, app, ns, app, app, app, app, app, app%3, app, ns, app)
		}
		fmt.Fprintf(&b, `- apiVersion: v1
  kind: Pod
  metadata:
    creationTimestamp: "2026-11-21T14:02:51Z"
    generateName: app-%d-7c9f8d6b5-
    labels:
      app: app-%d
      pod-template-hash: 7c9f8d6b5
      tier: t%d
    name: app-%d-7c9f8d6b5-p%d
    namespace: ns-%d
    ownerReferences:
    - apiVersion: apps/v1
      blockOwnerDeletion: true
      controller: true
      kind: ReplicaSet
      name: app-%d-7c9f8d6b5
      uid: rs-%d
    resourceVersion: "88231"
    uid: 0d1e2f3a-4b5c-4d6e-8f7a-%012d
  spec:
    containers:
    - image: ghcr.io/example/app:2.4.1
      imagePullPolicy: IfNotPresent
      name: app
      ports:
      - containerPort: 8080
        name: http
        protocol: TCP
      - containerPort: 9090
        name: metrics
        protocol: TCP
      readinessProbe:
        httpGet: {path: /healthz, port: http, scheme: HTTP}
      resources:
        limits: {memory: 170Mi}
        requests: {cpu: 100m, memory: 70Mi}
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: File
      volumeMounts:
      - {mountPath: /var/run/secrets/kubernetes.io/serviceaccount, name: kube-api-access, readOnly: true}
    dnsPolicy: ClusterFirst
    nodeName: worker-%d
    restartPolicy: Always
    schedulerName: default-scheduler
    serviceAccountName: default
    terminationGracePeriodSeconds: 30
    volumes:
    - name: kube-api-access
      projected:
        defaultMode: 420
        sources:
        - serviceAccountToken: {expirationSeconds: 3607, path: token}
  status:
    conditions:
    - {lastProbeTime: null, lastTransitionTime: "2026-11-21T14:02:53Z", status: "True", type: Ready}
    containerStatuses:
    - containerID: containerd://4f1e2d3c
      image: ghcr.io/example/app:2.4.1
      imageID: ghcr.io/example/app@sha256:40384aa1f5ea6bfdc77997d243aec73da05f27aed0c5e9d65bfa98933c519d97
      lastState: {}
      name: app
      ready: true
      restartCount: 0
      started: true
      state: {running: {startedAt: "2026-11-21T14:02:52Z"}}
    hostIP: 192.168.0.%d
    phase: Running
    podIP: 10.%d.%d.%d
    podIPs: [{ip: 10.%d.%d.%d}]
    qosClass: Burstable
    startTime: "2026-11-21T14:02:51Z"
`, app, app, app%3, app, i, ns, app, app, i, i%5, 10+i%5,
			1+i/65536, (i/256)%256, i%256, 1+i/65536, (i/256)%256, i%256)
	}
	b.WriteString("kind: List\nmetadata:\n  resourceVersion: \"\"\n")
	return []byte(b.String())
}

// BenchmarkRead reads the world of kubectlList at several sizes.
func BenchmarkRead(b *testing.B) {
	for _, pods := range []int{500, 2000} {
		data := kubectlList(pods)
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				w, diags := Read([]*source.File{source.NewFile("cluster.yaml", data)}, Options{})
				if w == nil || len(w.Pods) != pods || len(diags) != 0 {
					b.Fatalf("pods %d, diagnostics %v", len(w.Pods), diags)
				}
			}
		})
	}
}

// TestKubectlList keeps the benchmark's input honest: every pod is read
// once, no workload is represented (their pods are all present).
func TestKubectlList(t *testing.T) {
	w, diags := Read([]*source.File{source.NewFile("cluster.yaml", kubectlList(40))}, Options{})
	if w == nil || len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	if len(w.Pods) != 40 || len(w.Services) != 4 || len(w.Namespaces) != 10 {
		t.Errorf("%d pods, %d services, %d namespaces", len(w.Pods), len(w.Services), len(w.Namespaces))
	}
	for _, p := range w.Pods {
		if !strings.Contains(p.Name, "-7c9f8d6b5-p") || !p.IP.IsValid() || len(p.Ports) != 2 {
			t.Errorf("pod %+v", p)
		}
	}
}
