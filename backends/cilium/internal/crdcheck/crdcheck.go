// Package crdcheck validates CiliumNetworkPolicy and
// CiliumClusterwideNetworkPolicy documents in process the way the API
// server does on create, against the CRDs shipped in the Cilium module
// (pkg/k8s/apis/cilium.io/client/crds/v2): object metadata, the structural
// OpenAPI schema (types, enums, patterns, required fields, min/max), unknown
// fields (what pruning would drop), list-type invariants, and the CRD's CEL
// validation rules (x-kubernetes-validations).
//
// It is internal and used by tests (and the Cilium engine harness): it pulls
// in k8s.io/apiextensions-apiserver and CEL, which the netpolc binary does
// not need; the binary validates nothing it emits, the tests do (this
// package, and the agent-side checks of internal/testsupport/ciliumcheck).
package crdcheck

import (
	"context"
	"encoding/json"
	"fmt"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	crdsv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/client/crds/v2"
)

// CRD files of the Cilium module, by kind.
var crdFiles = map[string]string{
	"CiliumNetworkPolicy":            "ciliumnetworkpolicies.yaml",
	"CiliumClusterwideNetworkPolicy": "ciliumclusterwidenetworkpolicies.yaml",
}

// Validator checks documents of the two policy kinds. It is safe for
// concurrent use.
type Validator struct {
	kinds map[string]*kind
}

type kind struct {
	group, version string
	namespaced     bool
	structural     *structuralschema.Structural
	schema         validation.SchemaCreateValidator
	cel            *cel.Validator
}

// New loads the CRDs and builds their validators.
func New() (*Validator, error) {
	v := &Validator{kinds: map[string]*kind{}}
	for name, file := range crdFiles {
		k, err := load(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		v.kinds[name] = k
	}
	return v, nil
}

func load(file string) (*kind, error) {
	data, err := crdsv2.EmbedFS.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(data, &crd); err != nil {
		return nil, err
	}
	if len(crd.Spec.Versions) == 0 {
		return nil, fmt.Errorf("no versions")
	}
	var ver *apiextensionsv1.CustomResourceDefinitionVersion
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Storage {
			ver = &crd.Spec.Versions[i]
		}
	}
	if ver == nil || ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("no storage version with a schema")
	}
	// Round-trip through JSON as the API server stores it, then convert to
	// the internal type the validators take.
	raw, err := json.Marshal(ver.Schema)
	if err != nil {
		return nil, err
	}
	var crv apiextensionsv1.CustomResourceValidation
	if err := json.Unmarshal(raw, &crv); err != nil {
		return nil, err
	}
	var internal apiextensionsinternal.CustomResourceValidation
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(&crv, &internal, nil); err != nil {
		return nil, err
	}
	structural, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("structural schema: %w", err)
	}
	if errs := structuralschema.ValidateStructural(nil, structural); len(errs) > 0 {
		return nil, fmt.Errorf("structural schema: %w", errs.ToAggregate())
	}
	schemaValidator, _, err := validation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, err
	}
	return &kind{
		group:      crd.Spec.Group,
		version:    ver.Name,
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		structural: structural,
		schema:     schemaValidator,
		cel:        cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}, nil
}

// Validate checks one YAML (or JSON) document and returns every error, as
// the API server would report them on create.
func (v *Validator) Validate(doc []byte) field.ErrorList {
	var obj map[string]any
	if err := yaml.Unmarshal(doc, &obj); err != nil {
		return field.ErrorList{field.Invalid(field.NewPath(""), nil, err.Error())}
	}
	kindName, _ := obj["kind"].(string)
	k, ok := v.kinds[kindName]
	if !ok {
		return field.ErrorList{field.NotSupported(field.NewPath("kind"), kindName, []string{"CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"})}
	}
	var errs field.ErrorList
	if apiVersion, _ := obj["apiVersion"].(string); apiVersion != k.group+"/"+k.version {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), apiVersion, "want "+k.group+"/"+k.version))
	}

	// Unknown fields: what pruning would silently drop.
	pruned := runtime.DeepCopyJSON(obj)
	for _, p := range pruning.PruneWithOptions(pruned, k.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		errs = append(errs, field.Invalid(field.NewPath(p), nil, "unknown field (pruned by the API server)"))
	}

	// Metadata: as for every object (name, namespace, labels, annotations).
	meta, _, err := objectmeta.GetObjectMeta(obj, false)
	if err != nil {
		errs = append(errs, field.Invalid(field.NewPath("metadata"), nil, err.Error()))
	} else {
		errs = append(errs, apimachineryvalidation.ValidateObjectMeta(meta, k.namespaced, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	}
	errs = append(errs, objectmeta.Validate(context.Background(), nil, obj, k.structural, true)...)

	// The OpenAPI schema, list types and CEL rules.
	errs = append(errs, validation.ValidateCustomResource(nil, obj, k.schema)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, k.structural, obj)...)
	celErrs, _ := k.cel.Validate(context.Background(), nil, k.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	errs = append(errs, celErrs...)
	return errs
}
