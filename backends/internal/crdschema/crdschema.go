// Package crdschema validates custom resources in process the way the API
// server does on create, against their CustomResourceDefinitions: object
// metadata, the structural OpenAPI schema of the object's version (types,
// enums, patterns, required fields, min/max), unknown fields (what pruning
// would drop), list-type invariants, and the CRD's CEL validation rules
// (x-kubernetes-validations).
//
// It is used by tests only: it pulls in k8s.io/apiextensions-apiserver and CEL,
// which the netpolc binary does not need (the binary validates nothing it
// emits; the tests do). The Cilium backend's tests load Cilium's CRDs with
// it (backends/cilium/internal/crdcheck), the network-policy API target's
// tests the CRDs of sigs.k8s.io/network-policy-api.
package crdschema

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

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
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// Validator checks documents of the kinds and versions of its CRDs. It is
// safe for concurrent use.
type Validator struct {
	kinds map[string]*kind // by "apiVersion kind"
}

type kind struct {
	namespaced bool
	structural *structuralschema.Structural
	schema     validation.SchemaCreateValidator
	cel        *cel.Validator
}

// New loads CRDs (YAML or JSON, one per document) and builds the
// validators of every served version of each.
func New(crds ...[]byte) (*Validator, error) {
	v := &Validator{kinds: map[string]*kind{}}
	for i, data := range crds {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &crd); err != nil {
			return nil, fmt.Errorf("CRD %d: %w", i+1, err)
		}
		if len(crd.Spec.Versions) == 0 {
			return nil, fmt.Errorf("CRD %s: no versions", crd.Name)
		}
		for j := range crd.Spec.Versions {
			ver := &crd.Spec.Versions[j]
			if !ver.Served {
				continue
			}
			k, err := load(&crd, ver)
			if err != nil {
				return nil, fmt.Errorf("CRD %s, version %s: %w", crd.Name, ver.Name, err)
			}
			v.kinds[crd.Spec.Group+"/"+ver.Name+" "+crd.Spec.Names.Kind] = k
		}
	}
	return v, nil
}

func load(crd *apiextensionsv1.CustomResourceDefinition, ver *apiextensionsv1.CustomResourceDefinitionVersion) (*kind, error) {
	if ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("no schema")
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
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		structural: structural,
		schema:     schemaValidator,
		cel:        cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}, nil
}

// Kinds returns the "apiVersion kind" pairs v validates, sorted.
func (v *Validator) Kinds() []string {
	out := make([]string, 0, len(v.kinds))
	for k := range v.kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Validate checks one YAML (or JSON) document and returns every error, as
// the API server would report them on create.
func (v *Validator) Validate(doc []byte) field.ErrorList {
	// As the API server reads a body: integers as int64, which CEL needs.
	var obj map[string]any
	j, err := yaml.YAMLToJSON(doc)
	if err == nil {
		err = utiljson.Unmarshal(j, &obj)
	}
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath(""), nil, err.Error())}
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kindName, _ := obj["kind"].(string)
	k, ok := v.kinds[apiVersion+" "+kindName]
	if !ok {
		var versions []string
		for _, key := range v.Kinds() {
			if av, kn, _ := strings.Cut(key, " "); kn == kindName {
				versions = append(versions, av)
			}
		}
		if len(versions) == 0 {
			return field.ErrorList{field.NotSupported(field.NewPath("kind"), kindName, v.Kinds())}
		}
		return field.ErrorList{field.Invalid(field.NewPath("apiVersion"), apiVersion, "want "+strings.Join(versions, " or "))}
	}
	var errs field.ErrorList

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
