package netpolapi

import (
	"fmt"

	"sigs.k8s.io/network-policy-api/apis/v1alpha1"
	"sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
)

// IsAdminKind reports whether apiVersion and kind are those of an object
// the target writes besides NetworkPolicy.
func IsAdminKind(apiVersion, kind string) bool {
	switch apiVersion {
	case Group + "/" + V1Alpha2, Group + "/" + V1Beta1:
		return kind == KindCNP
	case Group + "/" + V1Alpha1:
		return kind == KindANP || kind == KindBANP
	}
	return false
}

// DecodeStrict reads one written admin object (YAML or JSON) into the
// upstream type of its apiVersion and kind, strictly (an unknown field, a
// repeated key or a value of the wrong type is an error), refuses a
// status (netpolc writes none), and returns it as the object Emit builds
// (CNP, ANP, BANP), for Validate. Tests use it on what the
// command writes.
func DecodeStrict(doc []byte) (backends.Object, error) {
	var meta struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Status     map[string]any `json:"status"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return backends.Object{}, err
	}
	if meta.Status != nil {
		return backends.Object{}, fmt.Errorf("%s has a status", meta.Kind)
	}
	strict := func(v any) error {
		if err := yaml.UnmarshalStrict(doc, v); err != nil {
			return fmt.Errorf("strict decode as %s %s: %w", meta.APIVersion, meta.Kind, err)
		}
		return nil
	}
	o := backends.Object{APIVersion: meta.APIVersion, Kind: meta.Kind}
	switch {
	case (meta.APIVersion == Group+"/"+V1Alpha2 || meta.APIVersion == Group+"/"+V1Beta1) && meta.Kind == KindCNP:
		// v1beta1 has the fields of v1alpha2 (see CNP).
		var cnp v1alpha2.ClusterNetworkPolicy
		if err := strict(&cnp); err != nil {
			return o, err
		}
		o.Name, o.Value = cnp.Name, &CNP{TypeMeta: cnp.TypeMeta, ObjectMeta: cnp.ObjectMeta, Spec: cnp.Spec}
	case meta.APIVersion == Group+"/"+V1Alpha1 && meta.Kind == KindANP:
		var anp v1alpha1.AdminNetworkPolicy
		if err := strict(&anp); err != nil {
			return o, err
		}
		o.Name, o.Value = anp.Name, &ANP{TypeMeta: anp.TypeMeta, ObjectMeta: anp.ObjectMeta, Spec: anp.Spec}
	case meta.APIVersion == Group+"/"+V1Alpha1 && meta.Kind == KindBANP:
		var banp v1alpha1.BaselineAdminNetworkPolicy
		if err := strict(&banp); err != nil {
			return o, err
		}
		o.Name, o.Value = banp.Name, &BANP{TypeMeta: banp.TypeMeta, ObjectMeta: banp.ObjectMeta, Spec: banp.Spec}
	default:
		return o, fmt.Errorf("%s %s is not an object of %s", meta.APIVersion, meta.Kind, Name)
	}
	return o, nil
}
