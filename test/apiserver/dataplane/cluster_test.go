package dataplane

import (
	"context"
	"fmt"
	"maps"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
)

// The API objects of one program: its world's namespaces (labelled as the
// world says), one Pod per world pod, scheduled on the agent's node and
// marked Running with its address, and the program's NetworkPolicies.
//
// Namespaces keep the world's names: the policies select namespaces by
// their kubernetes.io/metadata.name label, which the server sets to the
// name. They are created once and relabelled for each program (without a
// controller manager, a deleted namespace would stay Terminating for ever);
// pods and policies are deleted after each program.

// testLabel marks every NetworkPolicy the tests create, so that a run can
// remove what a killed run left in a long-lived server (realk8s.sh start;
// realk8s.sh run starts a fresh server each time). Their Pods are those on
// the agent's node (the pods keep exactly the world's labels).
const testLabel, testLabelValue = "netpolc.io/test", "dataplane"

// removeLeftovers deletes the Pods, NetworkPolicies and admin policies of
// earlier runs.
func removeLeftovers(ctx context.Context, cs kubernetes.Interface, dyn dynamic.Interface) error {
	nps, err := cs.NetworkingV1().NetworkPolicies("").List(ctx, metav1.ListOptions{LabelSelector: testLabel + "=" + testLabelValue})
	if err != nil {
		return err
	}
	pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + nodeName})
	if err != nil {
		return err
	}
	a := &applied{}
	for i := range nps.Items {
		a.policies = append(a.policies, &nps.Items[i])
	}
	for i := range pods.Items {
		a.pods = append(a.pods, &pods.Items[i])
	}
	for _, gvr := range adminGVRs {
		l, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{LabelSelector: testLabel + "=" + testLabelValue})
		if err != nil {
			return fmt.Errorf("listing %s (are the network-policy API CRDs installed?): %w", gvr.Resource, err)
		}
		for i := range l.Items {
			a.admin = append(a.admin, &l.Items[i])
		}
	}
	return a.remove(ctx, cs, dyn)
}

// The admin policies the agent reads in its admin-policy mode
// (policy.networking.k8s.io/v1alpha1).
var (
	anpGVR    = schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1alpha1", Resource: "adminnetworkpolicies"}
	banpGVR   = schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1alpha1", Resource: "baselineadminnetworkpolicies"}
	adminGVRs = []schema.GroupVersionResource{anpGVR, banpGVR}
)

// adminGVR returns the resource of an admin policy object.
func adminGVR(u *unstructured.Unstructured) (schema.GroupVersionResource, error) {
	switch u.GetAPIVersion() + " " + u.GetKind() {
	case "policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy":
		return anpGVR, nil
	case "policy.networking.k8s.io/v1alpha1 BaselineAdminNetworkPolicy":
		return banpGVR, nil
	}
	return schema.GroupVersionResource{}, fmt.Errorf("kube-network-policies v0.8.0 does not read %s %s", u.GetAPIVersion(), u.GetKind())
}

// applyAdmin creates the admin policies (cluster-scoped) with strict field
// validation.
func applyAdmin(ctx context.Context, dyn dynamic.Interface, objs []*unstructured.Unstructured, a *applied) error {
	for _, u := range objs {
		gvr, err := adminGVR(u)
		if err != nil {
			return err
		}
		u = u.DeepCopy()
		labels := u.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[testLabel] = testLabelValue
		u.SetLabels(labels)
		got, err := dyn.Resource(gvr).Create(ctx, u, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict})
		if err != nil {
			return fmt.Errorf("creating %s %s: %w", u.GetKind(), u.GetName(), err)
		}
		a.admin = append(a.admin, got)
	}
	return nil
}

type applied struct {
	pods     []*corev1.Pod
	policies []*networkingv1.NetworkPolicy // as the server stored them
	admin    []*unstructured.Unstructured  // admin policies, as stored
}

// applyWorld labels the namespaces and creates the pods of w.
func applyWorld(ctx context.Context, cs kubernetes.Interface, w *eval.World, a *applied) error {
	seen := map[string]bool{}
	for _, ns := range w.Namespaces {
		seen[ns.Name] = true
		if err := labelNamespace(ctx, cs, ns.Name, ns.Labels); err != nil {
			return err
		}
	}
	for _, p := range w.Pods {
		if !seen[p.Namespace] {
			seen[p.Namespace] = true
			if err := labelNamespace(ctx, cs, p.Namespace, nil); err != nil {
				return err
			}
		}
	}
	pods := make([]*corev1.Pod, len(w.Pods))
	errs := make([]error, len(w.Pods))
	var wg sync.WaitGroup
	for i := range w.Pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pods[i], errs[i] = createPod(ctx, cs, &w.Pods[i])
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if pods[i] != nil {
			a.pods = append(a.pods, pods[i])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// labelNamespace creates namespace name or sets its labels to labels (plus
// the name label the server keeps).
func labelNamespace(ctx context.Context, cs kubernetes.Interface, name string, labels map[string]string) error {
	want := map[string]string{eval.NamespaceNameLabel: name}
	maps.Copy(want, labels)
	nsi := cs.CoreV1().Namespaces()
	ns, err := nsi.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = nsi.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: want}}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("creating namespace %s: %w", name, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if maps.Equal(ns.Labels, want) {
		return nil
	}
	ns.Labels = want
	if _, err := nsi.Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("labelling namespace %s: %w", name, err)
	}
	return nil
}

// createPod creates the Pod of p and sets its status as a kubelet would:
// Running, with p's address.
func createPod(ctx context.Context, cs kubernetes.Interface, p *eval.Pod) (*corev1.Pod, error) {
	c := corev1.Container{Name: "c", Image: "netpolc.invalid/probe"}
	for _, cp := range p.Ports {
		proto := cp.Protocol
		if proto == "" {
			proto = ir.TCP
		}
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: cp.Name, ContainerPort: int32(cp.Port), Protocol: corev1.Protocol(proto)})
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels},
		Spec:       corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{c}},
	}
	got, err := cs.CoreV1().Pods(p.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	ip := p.IP.String()
	got.Status = corev1.PodStatus{
		Phase:  corev1.PodRunning,
		PodIP:  ip,
		PodIPs: []corev1.PodIP{{IP: ip}},
	}
	if _, err := cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		return got, fmt.Errorf("setting the status of pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return got, nil
}

// applyPolicies creates nps and records them as the server stored them
// (what the agent enforces).
func applyPolicies(ctx context.Context, cs kubernetes.Interface, nps []*networkingv1.NetworkPolicy, a *applied) error {
	for _, np := range nps {
		np = np.DeepCopy()
		if np.Labels == nil {
			np.Labels = map[string]string{}
		}
		np.Labels[testLabel] = testLabelValue
		got, err := cs.NetworkingV1().NetworkPolicies(np.Namespace).Create(ctx, np, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict})
		if err != nil {
			return fmt.Errorf("creating NetworkPolicy %s/%s: %w", np.Namespace, np.Name, err)
		}
		a.policies = append(a.policies, got)
	}
	return nil
}

// remove deletes the policies, then the pods (at once: no kubelet would
// confirm a graceful deletion).
func (a *applied) remove(ctx context.Context, cs kubernetes.Interface, dyn dynamic.Interface) error {
	var first error
	note := func(err error) {
		if err != nil && !apierrors.IsNotFound(err) && first == nil {
			first = err
		}
	}
	for _, np := range a.policies {
		note(cs.NetworkingV1().NetworkPolicies(np.Namespace).Delete(ctx, np.Name, metav1.DeleteOptions{}))
	}
	for _, u := range a.admin {
		gvr, err := adminGVR(u)
		note(err)
		if err == nil {
			note(dyn.Resource(gvr).Delete(ctx, u.GetName(), metav1.DeleteOptions{}))
		}
	}
	zero := int64(0)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range a.pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := cs.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
			mu.Lock()
			note(err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	a.policies, a.pods, a.admin = nil, nil, nil
	return first
}
