package world

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// workload is a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or
// CronJob of the input, and the pod that represents it.
type workload struct {
	kind, namespace, name string
	uid                   types.UID
	owners                []metav1.OwnerReference
	obj                   *yamlsrc.Object // the workload's object: span and description for reports
	pod                   eval.Pod        // the representative: the template's labels and named ports
	// idle says why the workload runs no pod ("scaled to zero",
	// "suspended", "finished", "host network"); "" when it may run some.
	idle string

	owner   *workload // the workload of the input that owns it, if any
	hasPods bool      // a live pod of the input belongs to it
}

// ownedPod is a live pod of the input with owner references.
type ownedPod struct {
	namespace string
	name      string
	labels    map[string]string
	owners    []metav1.OwnerReference
}

// span is where the workload is named.
func (w *workload) span() source.Span { return w.obj.Pos("metadata", "name") }

func workloadKey(kind, namespace, name string) string { return kind + "/" + namespace + "/" + name }

// workload reads a workload object: its metadata, and the pod template at
// base (labels and named ports).
func (r *reader) workload(o *yamlsrc.Object, meta metav1.ObjectMeta, tmpl corev1.PodTemplateSpec, base []any, idle string) {
	at := func(path ...any) []any { return append(base[:len(base):len(base)], path...) }
	ok := r.name(o, apimachineryvalidation.NameIsDNSSubdomain)
	ok = r.labels(o, meta.Labels, "metadata", "labels") && ok
	ok = r.labels(o, tmpl.Labels, at("metadata", "labels")...) && ok
	ports, portsOK := r.ports(o, tmpl.Spec.Containers, at("spec")...)
	if !ok || !portsOK {
		return
	}
	key := workloadKey(o.Kind, o.Namespace, o.Name)
	if first := r.workloads[key]; first != nil {
		d := r.diags.Errorf(CodeDuplicate, o.Pos("metadata", "name"), "%s is given twice", o)
		d.Notes = []diag.Note{{Span: first.span(), Message: "first given here"}}
		return
	}
	if idle == "" && tmpl.Spec.HostNetwork {
		idle = "host network"
	}
	w := &workload{
		kind: o.Kind, namespace: o.Namespace, name: o.Name, uid: meta.UID, owners: meta.OwnerReferences,
		obj: o, idle: idle,
		pod: eval.Pod{Namespace: o.Namespace, Name: o.Name, Labels: tmpl.Labels, Ports: ports},
	}
	r.workloads[key] = w
	r.order = append(r.order, w)
}

// find resolves an owner reference of an object of namespace ns (owners
// are in the same namespace) to a workload of the input; a UID, when both
// sides have one, must match.
func (r *reader) find(ns string, ref metav1.OwnerReference) *workload {
	w := r.workloads[workloadKey(ref.Kind, ns, ref.Name)]
	if w == nil || (ref.UID != "" && w.uid != "" && ref.UID != w.uid) {
		return nil
	}
	return w
}

// ownerOf returns the workload of the input that owns an object: its
// controller reference's, else the first reference's that resolves.
func (r *reader) ownerOf(ns string, refs []metav1.OwnerReference) *workload {
	for _, ref := range refs {
		if ref.Controller != nil && *ref.Controller {
			if w := r.find(ns, ref); w != nil {
				return w
			}
		}
	}
	for _, ref := range refs {
		if w := r.find(ns, ref); w != nil {
			return w
		}
	}
	return nil
}

// inferredOwner finds the workload of a pod whose owner is not in the
// input, by the names its controllers give: a Deployment names its
// ReplicaSets NAME-HASH, HASH being the pods' pod-template-hash label; a
// CronJob names its Jobs NAME-TIME, TIME a number.
func (r *reader) inferredOwner(p ownedPod) *workload {
	for _, ref := range p.owners {
		switch ref.Kind {
		case "ReplicaSet":
			h := p.labels["pod-template-hash"]
			if d, ok := strings.CutSuffix(ref.Name, "-"+h); ok && h != "" {
				if w := r.workloads[workloadKey("Deployment", p.namespace, d)]; w != nil {
					return w
				}
			}
		case "Job":
			i := strings.LastIndexByte(ref.Name, '-')
			if i > 0 && i+1 < len(ref.Name) && strings.Trim(ref.Name[i+1:], "0123456789") == "" {
				if w := r.workloads[workloadKey("CronJob", p.namespace, ref.Name[:i])]; w != nil {
					return w
				}
			}
		}
	}
	return nil
}

// represent adds one pod for each workload that no live pod of the input
// belongs to, that no workload of the input owns, and that runs pods.
func (r *reader) represent() {
	for _, w := range r.order {
		w.owner = r.ownerOf(w.namespace, w.owners)
	}
	podIdx := map[string]int{}
	for i, p := range r.w.Pods {
		podIdx[p.Namespace+"/"+p.Name] = i
	}
	for _, p := range r.owned {
		w := r.ownerOf(p.namespace, p.owners)
		if w == nil {
			w = r.inferredOwner(p)
		}
		workload := ownerName(p)
		// Up the chain of owners; bounded, for cycles of references.
		for n := 0; w != nil && n <= len(r.order); n++ {
			w.hasPods = true
			workload = w.kind + "/" + w.name
			w = w.owner
		}
		if i, ok := podIdx[p.namespace+"/"+p.name]; ok {
			r.w.Pods[i].Workload = workload
		}
	}
	var represented []*workload
	names := map[string]int{} // namespace/name -> represented workloads of that name
	for _, w := range r.order {
		if w.owner == nil && !w.hasPods && w.idle == "" {
			represented = append(represented, w)
			names[w.namespace+"/"+w.name]++
		}
	}
	for _, w := range represented {
		if names[w.namespace+"/"+w.name] > 1 {
			// Workloads of several kinds share the name: "web-deployment"
			// and "web-statefulset".
			w.pod.Name = w.name + "-" + strings.ToLower(w.kind)
		}
		key := w.namespace + "/" + w.pod.Name
		if first := r.pods[key]; first != nil {
			d := r.diags.Errorf(CodeDuplicate, w.span(), "%s is represented by a pod named %s, and the input has a pod of that name", w.obj, w.pod.Name)
			d.Notes = []diag.Note{{Span: first.span(), Message: "the pod " + key + ", " + first.what()}}
			d.Detail = "A workload whose pods are not in the input is represented by one pod named after it. Rename the pod, or give the workload's pods (with their ownerReferences)."
			continue
		}
		w.pod.Workload = w.kind + "/" + w.name
		r.addPod(w.pod, &origin{obj: w.obj, desc: "the pod of " + w.obj.String()})
	}
}

// ownerName is the workload of a live pod whose owners are not in the
// input, as "Kind/name" for grouping its pods (eval.Pod.Workload): the
// Deployment of a ReplicaSet named NAME-HASH, HASH being the pod's
// pod-template-hash label, else its controller (or first) owner.
func ownerName(p ownedPod) string {
	ref := p.owners[0]
	for _, o := range p.owners {
		if o.Controller != nil && *o.Controller {
			ref = o
			break
		}
	}
	if h := p.labels["pod-template-hash"]; ref.Kind == "ReplicaSet" && h != "" {
		if d, ok := strings.CutSuffix(ref.Name, "-"+h); ok && d != "" {
			return "Deployment/" + d
		}
	}
	if ref.Kind == "" || ref.Name == "" || strings.Contains(ref.Name, "/") {
		return ""
	}
	return ref.Kind + "/" + ref.Name
}
