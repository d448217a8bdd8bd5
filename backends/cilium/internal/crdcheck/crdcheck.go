// Package crdcheck validates CiliumNetworkPolicy and
// CiliumClusterwideNetworkPolicy documents in process the way the API
// server does on create, against the CRDs shipped in the Cilium module
// (pkg/k8s/apis/cilium.io/client/crds/v2), with
// backends/internal/crdschema: object metadata, the structural OpenAPI
// schema (types, enums, patterns, required fields, min/max), unknown
// fields (what pruning would drop), list-type invariants, and the CRD's CEL
// validation rules (x-kubernetes-validations).
//
// It is internal and used by tests (and the Cilium engine harness): it pulls
// in k8s.io/apiextensions-apiserver and CEL, which the netpolc binary does
// not need; the binary validates nothing it emits, the tests do (this
// package, and the agent-side checks of internal/testsupport/ciliumcheck).
package crdcheck

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	crdsv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/client/crds/v2"

	"github.com/netpolc/netpolc/backends/internal/crdschema"
)

// CRD files of the Cilium module.
var crdFiles = []string{"ciliumnetworkpolicies.yaml", "ciliumclusterwidenetworkpolicies.yaml"}

// Validator checks documents of the two policy kinds. It is safe for
// concurrent use.
type Validator struct {
	v *crdschema.Validator
}

// New loads the CRDs and builds their validators.
func New() (*Validator, error) {
	var crds [][]byte
	for _, file := range crdFiles {
		data, err := crdsv2.EmbedFS.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		crds = append(crds, data)
	}
	v, err := crdschema.New(crds...)
	if err != nil {
		return nil, err
	}
	return &Validator{v: v}, nil
}

// Validate checks one YAML (or JSON) document and returns every error, as
// the API server would report them on create.
func (v *Validator) Validate(doc []byte) field.ErrorList { return v.v.Validate(doc) }
