package cilium

import (
	"encoding/json"

	"github.com/netpolc/netpolc/backends/cilium/api"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The objects are netpolc's own: the fields of Cilium's CiliumNetworkPolicy
// and CiliumClusterwideNetworkPolicy (package cilium.io/v2), with Cilium's
// own rule type (package policy/api) as spec. Cilium's object package
// links in the Kubernetes client and the agent's configuration, several
// hundred packages that double netpolc's start-up time, for two structs of
// four fields; the rules, where the semantics live, stay Cilium's.
// TestObjectsMatchCilium checks that the fields are Cilium's, and every
// object the tests emit is decoded into Cilium's types and read by the
// agent's own Parse (internal/testsupport/ciliumcheck).

// CNP is an emitted CiliumNetworkPolicy (the Value of its
// backends.Object). It has no status, which the API server ignores and
// which would only add noise to the output.
type CNP struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              *api.Rule `json:"spec,omitempty"`
	Specs             api.Rules `json:"specs,omitempty"`
}

// CCNP is an emitted CiliumClusterwideNetworkPolicy; see CNP.
type CCNP struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              *api.Rule `json:"spec,omitempty"`
	Specs             api.Rules `json:"specs,omitempty"`
}

// document is a CNP or CCNP as read from a file: both kinds have the same
// fields. The status, which the agent ignores, is accepted unread.
type document struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              *api.Rule       `json:"spec,omitempty"`
	Specs             api.Rules       `json:"specs,omitempty"`
	Status            json.RawMessage `json:"status,omitempty"`
}
