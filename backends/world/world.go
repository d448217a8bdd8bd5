// Package world reads the world that flows are evaluated over (an
// eval.World: namespaces, pods, nodes, Services, external addresses) from
// what people have: Kubernetes objects as kubectl prints them, plain
// manifests, and netpolc's own world format (eval.WorldFile), in YAML or
// JSON, with every mistake reported at its line and column.
//
// Each document of the input is either a Kubernetes object (it has an
// apiVersion or a kind; "List" wrappers such as kubectl's v1 List or a
// PodList are unwrapped) or a document of netpolc's world format (a mapping
// with neither). One stream, and one world, may mix both: the externals
// (addresses outside the cluster, with their DNS names) have no Kubernetes
// kind and are written in netpolc's format.
//
// The objects and what they contribute (docs/world.md has the full rules):
//
//   - Namespace (v1): a namespace with its labels. A namespace that is only
//     referenced (by a pod, a workload or a Service) exists without labels;
//     the evaluator gives every namespace kubernetes.io/metadata.name.
//   - Pod (v1): a pod with its labels, IP (status.podIP, else the first of
//     status.podIPs) and the named ports of its containers. Pods that have
//     terminated (phase Succeeded or Failed) and host-network pods are left
//     out: they are no endpoint a policy selects.
//   - Deployment, StatefulSet, DaemonSet, ReplicaSet (apps/v1), Job and
//     CronJob (batch/v1): one pod, named after the workload, with the labels
//     and named ports of its pod template (a CronJob's
//     spec.jobTemplate.spec.template), standing for all its replicas, which
//     share them. A workload is represented only when no pod of the input
//     belongs to it (through ownerReferences, directly or through a
//     ReplicaSet or Job it owns), no workload of the input owns it, and it
//     runs pods at all: not scaled to zero (spec.replicas: 0), not a
//     suspended Job or CronJob, not a Job that has finished, not a
//     host-network template. Workloads of several kinds sharing a name are
//     represented as NAME-KIND ("web-deployment").
//   - Service (v1): its labels and pod selector (none, or an empty one:
//     the Service selects nothing).
//   - Node (v1): its labels and first InternalIP address.
//
// Objects of other kinds are skipped with a warning. Unknown fields of the
// kinds above are warnings (a cluster newer than netpolc's types may add
// some) and values of the wrong type errors; names, labels, selectors, IP
// addresses and ports are checked as the API server checks them, and an
// object given twice (or a workload's pod named like a pod of the input) is
// an error.
package world

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/par"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Diagnostic codes of this package (besides yamlsrc's).
const (
	CodeInvalid   diag.Code = "invalid"     // a value the API server (or the world format) refuses
	CodeDuplicate diag.Code = "duplicate"   // an object or entry given twice
	CodeSkipped   diag.Code = "skipped"     // objects of a kind that plays no part in a world (warning)
	CodeEmpty     diag.Code = "empty-world" // input without anything a world holds
)

// Kinds are the Kubernetes kinds Read takes.
var Kinds = []yamlsrc.Kind{
	{APIVersion: "v1", Kind: "Namespace", ClusterScoped: true},
	{APIVersion: "v1", Kind: "Pod"},
	{APIVersion: "apps/v1", Kind: "Deployment"},
	{APIVersion: "apps/v1", Kind: "StatefulSet"},
	{APIVersion: "apps/v1", Kind: "DaemonSet"},
	{APIVersion: "apps/v1", Kind: "ReplicaSet"},
	{APIVersion: "batch/v1", Kind: "Job"},
	{APIVersion: "batch/v1", Kind: "CronJob"},
	{APIVersion: "v1", Kind: "Service"},
	{APIVersion: "v1", Kind: "Node", ClusterScoped: true},
}

// Options configure Read.
type Options struct {
	// Namespace is the namespace of namespaced objects without
	// metadata.namespace, like kubectl's --namespace; when empty, such an
	// object is an error.
	Namespace string
	// NamespaceHint ends that error's message: how to give the namespace
	// (by default "write the namespace the object runs in").
	NamespaceHint string
}

// Read reads the world of files. It returns the world (namespaces sorted by
// name, pods and Services by namespace and name, nodes by name, externals in
// input order) and the diagnostics; the world is nil when there is an
// error.
func Read(files []*source.File, opts Options) (*eval.World, diag.List) {
	// First with the objects' YAML dropped as soon as they are decoded
	// (memory for a few parts of a big input's node trees), which gives
	// the world and every warning; errors need positions, so an input
	// with errors is read again with its YAML kept, for the messages.
	if w, diags := read(files, opts, true); !diags.HasErrors() {
		return w, diags
	}
	return read(files, opts, false)
}

// read is Read, dropping the YAML of the objects it decodes ahead when
// lean.
func read(files []*source.File, opts Options, lean bool) (*eval.World, diag.List) {
	r := &reader{
		namespaces: map[string]*origin{}, pods: map[string]*origin{},
		nodes: map[string]*origin{}, services: map[string]*origin{},
		workloads: map[string]*workload{}, skipped: map[skipKey]*skipCount{},
		unknown: map[skipKey]*skipCount{},
	}
	hint := opts.NamespaceHint
	if hint == "" {
		hint = "write the namespace the object runs in"
	}
	yo := yamlsrc.Options{
		Kinds: Kinds, Namespace: opts.Namespace, NamespaceHint: hint, Untyped: true,
		Skip: r.skip,
	}
	if lean {
		r.pre = map[*yamlsrc.Object]*decoded{}
		var mu sync.Mutex
		yo.Each = func(o *yamlsrc.Object) bool {
			v := kindValue(o.Kind)
			if v == nil {
				return true // netpolc's world format: decoded (strictly) in order
			}
			d := &decoded{value: v, diags: o.DecodeLaxFields(v, kindFields[o.Kind])}
			d.value = trimmed(d.value)
			mu.Lock()
			r.pre[o] = d
			mu.Unlock()
			return false
		}
	}
	objs, diags := yamlsrc.Read(files, yo)
	r.diags = diags
	if !lean {
		r.pre = predecode(objs)
	}
	for _, o := range objs {
		r.object(o)
	}
	r.represent()
	r.reportAggregated()
	if r.diags.HasErrors() {
		return nil, r.diags
	}
	w := r.world()
	if len(w.Namespaces)+len(w.Pods)+len(w.Externals)+len(w.Nodes)+len(w.Services) == 0 {
		sp := source.Span{}
		if len(files) > 0 {
			sp.File = files[0].Name
		}
		r.diags.Errorf(CodeEmpty, sp, "the world is empty: no namespace, pod, workload, Service, Node or external address was read").Detail =
			"A world is read from Namespaces, Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Services and Nodes (for example kubectl get ns,pods,deploy,sts,ds,rs,jobs,cronjobs,svc,nodes -A -o yaml) or from netpolc's world format (docs/world.md)."
		return nil, r.diags
	}
	return w, r.diags
}

// origin is where an entry of the world was given, for duplicate reports;
// its span and description are computed when a report needs them.
type origin struct {
	obj  *yamlsrc.Object // the object that gave it, if any
	at   []any           // the entry's path in obj; nil for metadata.name
	sp   source.Span     // the span when obj is nil
	desc string          // "pod shop/web-0 of a world document"; "" for obj's String ("Pod shop/web-0")
}

// objectOrigin is the origin of what Kubernetes object o gives.
func objectOrigin(o *yamlsrc.Object) *origin { return &origin{obj: o} }

// span is where the entry was given.
func (o *origin) span() source.Span {
	switch {
	case o.obj == nil:
		return o.sp
	case o.at == nil:
		return o.obj.Pos("metadata", "name")
	}
	return o.obj.Pos(o.at...)
}

// what describes the entry: "Pod shop/web-0", "pod shop/web-0 of a world
// document".
func (o *origin) what() string {
	if o.desc == "" && o.obj != nil {
		return o.obj.String()
	}
	return o.desc
}

type reader struct {
	diags diag.List

	w          eval.World
	namespaces map[string]*origin // name -> first definition
	pods       map[string]*origin // namespace/name -> first definition
	nodes      map[string]*origin
	services   map[string]*origin
	locals     []source.Span // nodes marked local

	workloads map[string]*workload // kind/namespace/name
	order     []*workload          // in input order
	owned     []ownedPod           // live pods with owner references

	skipped map[skipKey]*skipCount // kinds skipped, per file
	unknown map[skipKey]*skipCount // unknown-field warnings, per file and message

	pre map[*yamlsrc.Object]*decoded // objects decoded ahead, in parallel

	// Label keys and values found valid (labels).
	validKeys, validValues map[string]struct{}
}

// decoded is an object decoded ahead (DecodeLax) and its diagnostics.
type decoded struct {
	value any // a pointer to the Go type of its kind
	diags diag.List
}

// kindValue returns a new value of the Go type object() decodes kind into
// (nil for the world format's documents, decoded strictly).
func kindValue(kind string) any {
	switch kind {
	case "Namespace":
		return new(corev1.Namespace)
	case "Pod":
		return new(corev1.Pod)
	case "Deployment":
		return new(appsv1.Deployment)
	case "StatefulSet":
		return new(appsv1.StatefulSet)
	case "DaemonSet":
		return new(appsv1.DaemonSet)
	case "ReplicaSet":
		return new(appsv1.ReplicaSet)
	case "Job":
		return new(batchv1.Job)
	case "CronJob":
		return new(batchv1.CronJob)
	case "Service":
		return new(corev1.Service)
	case "Node":
		return new(corev1.Node)
	}
	return nil
}

// kindFields are the fields trimmed keeps of each kind: the lean read
// fills only these (DecodeLaxFields) and checks the others, as the full
// read does (TestLeanSameAsFull, TestFieldsSameAsTrimmed).
var kindFields = func() map[string]yamlsrc.Fields {
	meta := yamlsrc.Fields{"name": nil, "labels": nil, "uid": nil, "ownerReferences": nil}
	template := yamlsrc.Fields{"metadata": meta, "spec": {"hostNetwork": nil, "containers": {"name": nil, "ports": nil}}}
	replicated := yamlsrc.Fields{"metadata": meta, "spec": {"replicas": nil, "template": template}}
	return map[string]yamlsrc.Fields{
		"Namespace": {"metadata": meta},
		"Pod": {"metadata": meta, "spec": template["spec"],
			"status": {"phase": nil, "podIP": nil, "podIPs": nil}},
		"Deployment":  replicated,
		"StatefulSet": replicated,
		"DaemonSet":   {"metadata": meta, "spec": {"template": template}},
		"ReplicaSet":  replicated,
		"Job": {"metadata": meta, "spec": {"suspend": nil, "parallelism": nil, "template": template},
			"status": {"completionTime": nil, "conditions": nil}},
		"CronJob": {"metadata": meta, "spec": {"suspend": nil, "jobTemplate": {"spec": {"template": template}}}},
		"Service": {"metadata": meta, "spec": {"selector": nil}},
		"Node":    {"metadata": meta, "status": {"addresses": nil}},
	}
}()

// trimmed returns decoded value v (of kindValue's types) with only the
// fields object() and workload() read, so that what a big input's objects
// keep until they are read in order is small (a pod's status conditions,
// container images and the like go); the lean read is held to the full
// one (TestLeanSameAsFull, and every golden file: Read reads lean first).
func trimmed(v any) any {
	meta := func(m metav1.ObjectMeta) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: m.Name, Labels: m.Labels, UID: m.UID, OwnerReferences: m.OwnerReferences}
	}
	podSpec := func(s corev1.PodSpec) corev1.PodSpec {
		out := corev1.PodSpec{HostNetwork: s.HostNetwork}
		for _, c := range s.Containers {
			out.Containers = append(out.Containers, corev1.Container{Name: c.Name, Ports: c.Ports})
		}
		return out
	}
	template := func(t corev1.PodTemplateSpec) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{ObjectMeta: meta(t.ObjectMeta), Spec: podSpec(t.Spec)}
	}
	switch x := v.(type) {
	case *corev1.Namespace:
		return &corev1.Namespace{ObjectMeta: meta(x.ObjectMeta)}
	case *corev1.Pod:
		return &corev1.Pod{ObjectMeta: meta(x.ObjectMeta), Spec: podSpec(x.Spec),
			Status: corev1.PodStatus{Phase: x.Status.Phase, PodIP: x.Status.PodIP, PodIPs: x.Status.PodIPs}}
	case *appsv1.Deployment:
		return &appsv1.Deployment{ObjectMeta: meta(x.ObjectMeta), Spec: appsv1.DeploymentSpec{Replicas: x.Spec.Replicas, Template: template(x.Spec.Template)}}
	case *appsv1.StatefulSet:
		return &appsv1.StatefulSet{ObjectMeta: meta(x.ObjectMeta), Spec: appsv1.StatefulSetSpec{Replicas: x.Spec.Replicas, Template: template(x.Spec.Template)}}
	case *appsv1.DaemonSet:
		return &appsv1.DaemonSet{ObjectMeta: meta(x.ObjectMeta), Spec: appsv1.DaemonSetSpec{Template: template(x.Spec.Template)}}
	case *appsv1.ReplicaSet:
		return &appsv1.ReplicaSet{ObjectMeta: meta(x.ObjectMeta), Spec: appsv1.ReplicaSetSpec{Replicas: x.Spec.Replicas, Template: template(x.Spec.Template)}}
	case *batchv1.Job:
		return &batchv1.Job{ObjectMeta: meta(x.ObjectMeta),
			Spec:   batchv1.JobSpec{Suspend: x.Spec.Suspend, Parallelism: x.Spec.Parallelism, Template: template(x.Spec.Template)},
			Status: batchv1.JobStatus{CompletionTime: x.Status.CompletionTime, Conditions: x.Status.Conditions}}
	case *batchv1.CronJob:
		return &batchv1.CronJob{ObjectMeta: meta(x.ObjectMeta), Spec: batchv1.CronJobSpec{Suspend: x.Spec.Suspend,
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: template(x.Spec.JobTemplate.Spec.Template)}}}}
	case *corev1.Service:
		return &corev1.Service{ObjectMeta: meta(x.ObjectMeta), Spec: corev1.ServiceSpec{Selector: x.Spec.Selector}}
	case *corev1.Node:
		return &corev1.Node{ObjectMeta: meta(x.ObjectMeta), Status: corev1.NodeStatus{Addresses: x.Status.Addresses}}
	}
	return v
}

// predecode decodes the Kubernetes objects of a big input on up to
// GOMAXPROCS goroutines (decoding is most of the work); object() then
// takes each value and its diagnostics in input order, as if it decoded
// them itself. Nil for small inputs.
func predecode(objs []*yamlsrc.Object) map[*yamlsrc.Object]*decoded {
	workers := min(runtime.GOMAXPROCS(0), len(objs)/32)
	if workers < 2 {
		return nil
	}
	out := make([]*decoded, len(objs))
	par.For(workers, len(objs), func(i int) {
		if v := kindValue(objs[i].Kind); v != nil {
			out[i] = &decoded{value: v, diags: objs[i].DecodeLax(v)}
		}
	})
	pre := make(map[*yamlsrc.Object]*decoded, len(objs))
	for i, d := range out {
		if d != nil {
			pre[objs[i]] = d
		}
	}
	return pre
}

type skipKey struct{ file, what string }

type skipCount struct {
	first source.Span
	desc  string // the first object's description
	n     int
	index int // order of first appearance
}

// skip records an object of a kind that plays no part in a world.
func (r *reader) skip(kind, object string, sp source.Span) {
	k := skipKey{sp.File, kind}
	if c := r.skipped[k]; c != nil {
		c.n++
		return
	}
	r.skipped[k] = &skipCount{first: sp, desc: object, n: 1, index: len(r.skipped)}
}

// decode decodes o into into: unknown fields are collected (reported once
// per file and field), errors kept. It reports whether o is usable.
func (r *reader) decode(o *yamlsrc.Object, into any, lax bool) bool {
	var d diag.List
	if p := r.pre[o]; lax && p != nil && reflect.TypeOf(p.value) == reflect.TypeOf(into) {
		reflect.ValueOf(into).Elem().Set(reflect.ValueOf(p.value).Elem())
		d = p.diags
	} else if lax {
		d = o.DecodeLax(into)
	} else {
		d = o.Decode(into)
	}
	for _, x := range d {
		if x.Severity == diag.Warning && x.Code == yamlsrc.CodeUnknownField {
			k := skipKey{x.Span.File, x.Message}
			if c := r.unknown[k]; c != nil {
				c.n++
			} else {
				r.unknown[k] = &skipCount{first: x.Span, n: 1, index: len(r.unknown)}
			}
			continue
		}
		r.diags.Add(x)
	}
	return !d.HasErrors()
}

// reportAggregated reports the skipped kinds and unknown fields, once per
// file and kind or field.
func (r *reader) reportAggregated() {
	type item struct {
		k skipKey
		c *skipCount
	}
	sorted := func(m map[skipKey]*skipCount) []item {
		var out []item
		for k, c := range m {
			out = append(out, item{k, c})
		}
		slices.SortFunc(out, func(a, b item) int { return cmp.Compare(a.c.index, b.c.index) })
		return out
	}
	for _, it := range sorted(r.skipped) {
		msg := "skipped " + it.c.desc
		if it.c.n > 1 {
			msg = fmt.Sprintf("skipped %d %s objects (the first, %s, here)", it.c.n, it.k.what, strings.TrimPrefix(it.c.desc, it.k.what+" "))
		}
		r.diags.Warnf(CodeSkipped, it.c.first, "%s: %s plays no part in a world", msg, it.k.what).Detail =
			"A world is read from Namespaces, Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Services and Nodes, and from netpolc's world format (docs/world.md)."
	}
	for _, it := range sorted(r.unknown) {
		msg := it.k.what
		if it.c.n > 1 {
			msg = fmt.Sprintf("%s (in %d objects of this file)", msg, it.c.n)
		}
		r.diags.Warnf(yamlsrc.CodeUnknownField, it.c.first, "%s", msg).Detail =
			"netpolc's Kubernetes types do not have this field: a typo, or a field of a newer Kubernetes version. A world needs only names, labels, selectors, ports and addresses."
	}
}

// object reads one object or world document.
func (r *reader) object(o *yamlsrc.Object) {
	switch o.Kind {
	case "":
		r.document(o)
	case "Namespace":
		var ns corev1.Namespace
		if !r.decode(o, &ns, true) {
			return
		}
		ok := r.name(o, apimachineryvalidation.ValidateNamespaceName)
		ok = r.labels(o, ns.Labels, "metadata", "labels") && ok
		if ok {
			r.addNamespace(ns.Name, ns.Labels, objectOrigin(o))
		}
	case "Pod":
		var pod corev1.Pod
		if !r.decode(o, &pod, true) {
			return
		}
		ok := r.name(o, apimachineryvalidation.NameIsDNSSubdomain)
		ok = r.labels(o, pod.Labels, "metadata", "labels") && ok
		ports, portsOK := r.ports(o, pod.Spec.Containers, "spec")
		ip, ipOK := r.podIP(o, pod.Status)
		if !ok || !portsOK || !ipOK {
			return
		}
		if pod.Spec.HostNetwork || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			return // no endpoint of its own, or none any more
		}
		r.addPod(eval.Pod{Namespace: o.Namespace, Name: o.Name, Labels: pod.Labels, IP: ip, Ports: ports}, objectOrigin(o))
		if len(pod.OwnerReferences) > 0 {
			r.owned = append(r.owned, ownedPod{namespace: o.Namespace, name: o.Name, labels: pod.Labels, owners: pod.OwnerReferences})
		}
	case "Deployment":
		var d appsv1.Deployment
		if r.decode(o, &d, true) {
			r.workload(o, d.ObjectMeta, d.Spec.Template, []any{"spec", "template"}, zeroReplicas(d.Spec.Replicas))
		}
	case "StatefulSet":
		var s appsv1.StatefulSet
		if r.decode(o, &s, true) {
			r.workload(o, s.ObjectMeta, s.Spec.Template, []any{"spec", "template"}, zeroReplicas(s.Spec.Replicas))
		}
	case "DaemonSet":
		var s appsv1.DaemonSet
		if r.decode(o, &s, true) {
			r.workload(o, s.ObjectMeta, s.Spec.Template, []any{"spec", "template"}, "")
		}
	case "ReplicaSet":
		var s appsv1.ReplicaSet
		if r.decode(o, &s, true) {
			r.workload(o, s.ObjectMeta, s.Spec.Template, []any{"spec", "template"}, zeroReplicas(s.Spec.Replicas))
		}
	case "Job":
		var j batchv1.Job
		if r.decode(o, &j, true) {
			r.workload(o, j.ObjectMeta, j.Spec.Template, []any{"spec", "template"}, jobIdle(j))
		}
	case "CronJob":
		var j batchv1.CronJob
		if r.decode(o, &j, true) {
			idle := ""
			if j.Spec.Suspend != nil && *j.Spec.Suspend {
				idle = "suspended"
			}
			r.workload(o, j.ObjectMeta, j.Spec.JobTemplate.Spec.Template, []any{"spec", "jobTemplate", "spec", "template"}, idle)
		}
	case "Service":
		var s corev1.Service
		if !r.decode(o, &s, true) {
			return
		}
		ok := r.name(o, apimachineryvalidation.NameIsDNS1035Label)
		ok = r.labels(o, s.Labels, "metadata", "labels") && ok
		ok = r.labels(o, s.Spec.Selector, "spec", "selector") && ok
		if ok {
			sel := s.Spec.Selector
			if len(sel) == 0 {
				sel = nil // selects nothing, as the API server stores {}
			}
			r.addService(eval.Service{Namespace: o.Namespace, Name: o.Name, Labels: s.Labels, Selector: sel}, objectOrigin(o))
		}
	case "Node":
		var n corev1.Node
		if !r.decode(o, &n, true) {
			return
		}
		ok := r.name(o, apimachineryvalidation.NameIsDNSSubdomain)
		ok = r.labels(o, n.Labels, "metadata", "labels") && ok
		node := eval.Node{Name: o.Name, Labels: n.Labels}
		for i, a := range n.Status.Addresses {
			if a.Type != corev1.NodeInternalIP {
				continue
			}
			ip, err := netip.ParseAddr(a.Address)
			if err != nil {
				r.diags.Errorf(CodeInvalid, o.Pos("status", "addresses", i, "address"), "%s: invalid InternalIP address %q", o, a.Address)
				ok = false
				break
			}
			node.IP = ip.Unmap()
			break
		}
		if ok {
			r.addNode(node, objectOrigin(o))
		}
	}
}

func zeroReplicas(n *int32) string {
	if n != nil && *n == 0 {
		return "scaled to zero"
	}
	return ""
}

// jobIdle says why a Job runs no pod ("" when it may).
func jobIdle(j batchv1.Job) string {
	switch {
	case j.Spec.Suspend != nil && *j.Spec.Suspend:
		return "suspended"
	case j.Spec.Parallelism != nil && *j.Spec.Parallelism == 0:
		return "scaled to zero"
	case j.Status.CompletionTime != nil:
		return "finished"
	}
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return "finished"
		}
	}
	return ""
}

// name checks metadata.name (and, for a namespaced object, the namespace)
// with the API server's rule for the kind.
func (r *reader) name(o *yamlsrc.Object, valid func(string, bool) []string) bool {
	ok := true
	if msgs := valid(o.Name, false); len(msgs) > 0 {
		r.diags.Errorf(CodeInvalid, o.Pos("metadata", "name"), "%s: invalid name %q: %s", o.Kind, o.Name, strings.Join(msgs, "; "))
		ok = false
	}
	if !o.ClusterScoped {
		if msgs := apimachineryvalidation.ValidateNamespaceName(o.Namespace, false); len(msgs) > 0 {
			r.diags.Errorf(CodeInvalid, o.Pos("metadata", "namespace"), "%s: invalid namespace %q: %s", o, o.Namespace, strings.Join(msgs, "; "))
			ok = false
		}
	}
	return ok
}

// labels checks the keys and values of a label map (labels or a selector)
// at path, each at its key.
func (r *reader) labels(o *yamlsrc.Object, labels map[string]string, path ...any) bool {
	// A cluster repeats its labels (the pods of a workload, the workload's
	// template and selector): those checked and valid before are not
	// checked again (regular expressions).
	known := true
	for k, v := range labels {
		if _, ok := r.validKeys[k]; !ok {
			known = false
			break
		}
		if _, ok := r.validValues[v]; !ok {
			known = false
			break
		}
	}
	if known {
		return true
	}
	if r.validKeys == nil {
		r.validKeys, r.validValues = map[string]struct{}{}, map[string]struct{}{}
	}
	ok := true
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		at := func() source.Span { return o.Pos(append(path[:len(path):len(path)], k)...) } // only for errors: positions cost
		// Each key and value found valid before is not checked again.
		if _, valid := r.validKeys[k]; !valid {
			if msgs := content.IsLabelKey(k); len(msgs) > 0 {
				r.diags.Errorf(CodeInvalid, at(), "invalid label key %q: %s", k, strings.Join(msgs, "; "))
				ok = false
			} else {
				r.validKeys[k] = struct{}{}
			}
		}
		if _, valid := r.validValues[labels[k]]; !valid {
			if msgs := content.IsLabelValue(labels[k]); len(msgs) > 0 {
				r.diags.Errorf(CodeInvalid, at(), "invalid value %q of label %s: %s", labels[k], k, strings.Join(msgs, "; "))
				ok = false
			} else {
				r.validValues[labels[k]] = struct{}{}
			}
		}
	}
	return ok
}

// ports returns the named ports of containers (at base + "containers"),
// checked as the API server checks them: a port name at most once per
// container. Unnamed ports are left out: only named ports matter to
// policies.
func (r *reader) ports(o *yamlsrc.Object, containers []corev1.Container, base ...any) ([]eval.ContainerPort, bool) {
	var out []eval.ContainerPort
	ok := true
	for i, c := range containers {
		names := map[string]bool{}
		for j, p := range c.Ports {
			at := func(f string) source.Span {
				return o.Pos(append(base[:len(base):len(base)], "containers", i, "ports", j, f)...)
			}
			if p.ContainerPort < 1 || p.ContainerPort > 65535 {
				r.diags.Errorf(CodeInvalid, at("containerPort"), "containerPort %d out of range 1-65535", p.ContainerPort)
				ok = false
			}
			proto := ir.TCP
			switch p.Protocol {
			case "", corev1.ProtocolTCP:
			case corev1.ProtocolUDP:
				proto = ir.UDP
			case corev1.ProtocolSCTP:
				proto = ir.SCTP
			default:
				r.diags.Errorf(CodeInvalid, at("protocol"), "unknown protocol %q (want TCP, UDP or SCTP)", p.Protocol)
				ok = false
			}
			if p.Name == "" {
				continue
			}
			if msgs := validation.IsValidPortName(p.Name); len(msgs) > 0 {
				r.diags.Errorf(CodeInvalid, at("name"), "invalid port name %q: %s", p.Name, strings.Join(msgs, "; "))
				ok = false
			} else if names[p.Name] {
				r.diags.Errorf(CodeInvalid, at("name"), "duplicate port name %q in container %s", p.Name, c.Name)
				ok = false
			}
			names[p.Name] = true
			out = append(out, eval.ContainerPort{Name: p.Name, Port: uint16(max(0, min(p.ContainerPort, 65535))), Protocol: proto})
		}
	}
	return out, ok
}

// podIP returns status.podIP, or the first of status.podIPs.
func (r *reader) podIP(o *yamlsrc.Object, st corev1.PodStatus) (netip.Addr, bool) {
	var first netip.Addr
	ok := true
	parse := func(s string, path ...any) {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			r.diags.Errorf(CodeInvalid, o.Pos(path...), "%s: invalid IP address %q", o, s)
			ok = false
			return
		}
		if !first.IsValid() {
			first = ip.Unmap()
		}
	}
	if st.PodIP != "" {
		parse(st.PodIP, "status", "podIP")
	}
	for i, p := range st.PodIPs {
		parse(p.IP, "status", "podIPs", i, "ip")
	}
	return first, ok
}

// document reads a document of netpolc's world format.
func (r *reader) document(o *yamlsrc.Object) {
	var f eval.WorldFile
	if !r.decode(o, &f, false) {
		return
	}
	w, probs := f.World()
	bad := map[string]bool{} // entryKey: entries with problems
	for _, p := range probs {
		r.diags.Errorf(CodeInvalid, o.Pos(p.Path...), "%s", p.Message)
		if len(p.Path) >= 2 {
			bad[entryKey(p.Path[0], p.Path[1])] = true
		}
	}
	for _, ns := range w.Namespaces {
		at := []any{"namespaces", ns.Name}
		if bad[entryKey(at...)] {
			continue
		}
		ok := true
		if msgs := apimachineryvalidation.ValidateNamespaceName(ns.Name, false); len(msgs) > 0 {
			r.diags.Errorf(CodeInvalid, o.Pos(at...), "invalid namespace name %q: %s", ns.Name, strings.Join(msgs, "; "))
			ok = false
		}
		ok = r.labels(o, ns.Labels, at...) && ok
		if ok {
			r.addNamespace(ns.Name, ns.Labels, &origin{obj: o, at: at, desc: "namespace " + ns.Name + " of a world document"})
		}
	}
	for i, p := range w.Pods {
		if bad[entryKey("pods", i)] {
			continue
		}
		ok := r.docName(o, p.Name, apimachineryvalidation.NameIsDNSSubdomain, "pods", i, "name")
		ok = r.docName(o, p.Namespace, apimachineryvalidation.ValidateNamespaceName, "pods", i, "namespace") && ok
		ok = r.labels(o, p.Labels, "pods", i, "labels") && ok
		if ok {
			r.addPod(p, &origin{obj: o, at: []any{"pods", i}, desc: "pod " + p.Namespace + "/" + p.Name + " of a world document"})
		}
	}
	for i, x := range w.Externals {
		if !bad[entryKey("externals", i)] {
			r.w.Externals = append(r.w.Externals, x)
		}
	}
	for i, n := range w.Nodes {
		if bad[entryKey("nodes", i)] {
			continue
		}
		ok := r.docName(o, n.Name, apimachineryvalidation.NameIsDNSSubdomain, "nodes", i, "name")
		if r.labels(o, n.Labels, "nodes", i, "labels") && ok {
			r.addNode(n, &origin{obj: o, at: []any{"nodes", i}, desc: "node " + n.Name + " of a world document"})
		}
	}
	for i, s := range w.Services {
		if bad[entryKey("services", i)] {
			continue
		}
		ok := r.docName(o, s.Name, apimachineryvalidation.NameIsDNS1035Label, "services", i, "name")
		ok = r.docName(o, s.Namespace, apimachineryvalidation.ValidateNamespaceName, "services", i, "namespace") && ok
		ok = r.labels(o, s.Labels, "services", i, "labels") && ok
		ok = r.labels(o, s.Selector, "services", i, "selector") && ok
		if ok {
			r.addService(s, &origin{obj: o, at: []any{"services", i}, desc: "Service " + s.Namespace + "/" + s.Name + " of a world document"})
		}
	}
}

// entryKey names an entry of a world document: its section and its index
// or (for a namespace) name.
func entryKey(path ...any) string { return fmt.Sprint(path[0], "/", path[1]) }

// docName checks a name of a world document.
func (r *reader) docName(o *yamlsrc.Object, name string, valid func(string, bool) []string, path ...any) bool {
	if msgs := valid(name, false); len(msgs) > 0 {
		r.diags.Errorf(CodeInvalid, o.Pos(path...), "invalid %s %q: %s", path[len(path)-1], name, strings.Join(msgs, "; "))
		return false
	}
	return true
}

// duplicate reports the second definition of an entry; it reports whether
// there was a first.
func (r *reader) duplicate(m map[string]*origin, key string, o *origin) bool {
	if first := m[key]; first != nil {
		d := r.diags.Errorf(CodeDuplicate, o.span(), "%s is given twice", o.what())
		d.Notes = []diag.Note{{Span: first.span(), Message: "first given here, as " + first.what()}}
		return true
	}
	m[key] = o
	return false
}

func (r *reader) addNamespace(name string, labels map[string]string, o *origin) {
	if !r.duplicate(r.namespaces, name, o) {
		r.w.Namespaces = append(r.w.Namespaces, eval.Namespace{Name: name, Labels: labels})
	}
}

func (r *reader) addPod(p eval.Pod, o *origin) {
	if !r.duplicate(r.pods, p.Namespace+"/"+p.Name, o) {
		r.w.Pods = append(r.w.Pods, p)
	}
}

func (r *reader) addNode(n eval.Node, o *origin) {
	if r.duplicate(r.nodes, n.Name, o) {
		return
	}
	if n.Local {
		r.locals = append(r.locals, o.span())
		if len(r.locals) == 2 {
			d := r.diags.Errorf(CodeInvalid, o.span(), "a second local node: at most one node can be local")
			d.Notes = []diag.Note{{Span: r.locals[0], Message: "the first local node"}}
		}
	}
	r.w.Nodes = append(r.w.Nodes, n)
}

func (r *reader) addService(s eval.Service, o *origin) {
	if !r.duplicate(r.services, s.Namespace+"/"+s.Name, o) {
		r.w.Services = append(r.w.Services, s)
	}
}

// world returns the world read, sorted, with the namespaces that are only
// referenced.
func (r *reader) world() *eval.World {
	w := r.w
	var workloadNamespaces []string
	for _, wl := range r.order {
		workloadNamespaces = append(workloadNamespaces, wl.namespace)
	}
	for _, ref := range [][]string{podNamespaces(w.Pods), workloadNamespaces, serviceNamespaces(w.Services)} {
		for _, ns := range ref {
			if r.namespaces[ns] == nil {
				r.namespaces[ns] = &origin{}
				w.Namespaces = append(w.Namespaces, eval.Namespace{Name: ns})
			}
		}
	}
	slices.SortFunc(w.Namespaces, func(a, b eval.Namespace) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(w.Pods, func(a, b eval.Pod) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	slices.SortFunc(w.Nodes, func(a, b eval.Node) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(w.Services, func(a, b eval.Service) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return &w
}

func podNamespaces(ps []eval.Pod) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Namespace)
	}
	return out
}

func serviceNamespaces(ss []eval.Service) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Namespace)
	}
	return out
}
