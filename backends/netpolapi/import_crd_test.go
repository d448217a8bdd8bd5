package netpolapi

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// refusedCodes are the codes of the importer's errors for what the API
// server refuses (its own checks, and yamlsrc's decoding).
var refusedCodes = []diag.Code{codeInvalid, yamlsrc.CodeUnknownField, yamlsrc.CodeDuplicate, yamlsrc.CodeBadValue}

// TestImportCRDAgreement compares the importer's checks with the
// ClusterNetworkPolicy CRD of the module's release (its schema and CEL
// rules, applied in process as the API server applies them: crds): for
// every ClusterNetworkPolicy of the corpus and of the random sets, and for
// mutations of them that break one rule each (priorities, tiers, actions,
// list sizes and sets, CIDRs, ports, ranges, missing and unknown fields,
// one field per subject, peer and protocol, named ports towards networks,
// rule names, object names), the importer reports an error of the kind
// "the API server refuses it" exactly when the CRD refuses the object.
func TestImportCRDAgreement(t *testing.T) {
	var docs [][]byte
	paths, _ := filepath.Glob(importDir + "/*.yaml")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range backends.SplitYAML(data) {
			if bytes.Contains(d, []byte("kind: ClusterNetworkPolicy")) && !bytes.Contains(d, []byte("kind: List")) {
				docs = append(docs, d)
			}
		}
	}
	for seed := int64(1); seed <= 40; seed++ {
		for _, d := range backends.SplitYAML(randomAdminSet(seed)) {
			if bytes.Contains(d, []byte("kind: ClusterNetworkPolicy")) {
				docs = append(docs, d)
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 5))
	judged, refused := 0, 0
	for i, doc := range docs {
		variants := [][]byte{doc}
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatal(err)
		}
		for _, m := range mutations {
			cp := deepCopy(obj).(map[string]any)
			if m.apply(cp, r) {
				b, err := yaml.Marshal(cp)
				if err != nil {
					t.Fatal(err)
				}
				variants = append(variants, b)
			}
		}
		for _, v := range variants {
			crdErrs := crds(t).Validate(v)
			file := source.NewFile(fmt.Sprintf("doc%d.yaml", i), v)
			objs, d := yamlsrc.Read([]*source.File{file}, yamlsrc.Options{Kinds: ImportKinds})
			_, d2 := Importer{}.Import(objs)
			d.Append(d2)
			ours := slices.ContainsFunc(d, func(x diag.Diagnostic) bool {
				return x.Severity == diag.Error && slices.Contains(refusedCodes, x.Code)
			})
			if ours != (len(crdErrs) > 0) {
				t.Errorf("the CRD says %v, the importer %v\n%s--- importer\n%s", crdErrs.ToAggregate(), d, v, strings.Join(messages(d), "\n"))
			}
			judged++
			if ours {
				refused++
			}
		}
	}
	t.Logf("%d ClusterNetworkPolicies, %d variants judged alike, %d refused by both", len(docs), judged, refused)
	if refused < len(docs) || judged-refused < len(docs)/2 {
		t.Errorf("too few refused (%d) or accepted (%d) variants", refused, judged-refused)
	}
}

func messages(l diag.List) []string {
	var out []string
	for _, d := range l {
		out = append(out, d.Error())
	}
	return out
}

// mutation breaks one rule of the CRD in an object, if the object has the
// place it changes; apply reports whether it changed anything.
type mutation struct {
	name  string
	apply func(o map[string]any, r *rand.Rand) bool
}

func spec(o map[string]any) map[string]any { m, _ := o["spec"].(map[string]any); return m }

// rules returns the rules of the object, ingress then egress.
func rules(o map[string]any) []map[string]any {
	var out []map[string]any
	for _, dir := range []string{"ingress", "egress"} {
		list, _ := spec(o)[dir].([]any)
		for _, r := range list {
			if m, ok := r.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// egressPeers returns every egress peer.
func egressPeers(o map[string]any) []map[string]any {
	var out []map[string]any
	list, _ := spec(o)["egress"].([]any)
	for _, r := range list {
		to, _ := r.(map[string]any)["to"].([]any)
		for _, p := range to {
			out = append(out, p.(map[string]any))
		}
	}
	return out
}

// ports returns every destinationPort mapping.
func destinationPorts(o map[string]any) []map[string]any {
	var out []map[string]any
	for _, r := range rules(o) {
		ps, _ := r["protocols"].([]any)
		for _, p := range ps {
			for _, proto := range []string{"tcp", "udp", "sctp"} {
				if pm, ok := p.(map[string]any)[proto].(map[string]any); ok {
					if dp, ok := pm["destinationPort"].(map[string]any); ok {
						out = append(out, dp)
					}
				}
			}
		}
	}
	return out
}

var mutations = []mutation{
	{"priority above 1000", func(o map[string]any, r *rand.Rand) bool { spec(o)["priority"] = 1001; return true }},
	{"negative priority", func(o map[string]any, r *rand.Rand) bool { spec(o)["priority"] = -1; return true }},
	{"no priority", func(o map[string]any, r *rand.Rand) bool { delete(spec(o), "priority"); return true }},
	{"no tier", func(o map[string]any, r *rand.Rand) bool { delete(spec(o), "tier"); return true }},
	{"unknown tier", func(o map[string]any, r *rand.Rand) bool { spec(o)["tier"] = "Cluster"; return true }},
	{"no subject", func(o map[string]any, r *rand.Rand) bool { delete(spec(o), "subject"); return true }},
	{"two subjects", func(o map[string]any, r *rand.Rand) bool {
		s := spec(o)["subject"].(map[string]any)
		s["namespaces"], s["pods"] = map[string]any{}, map[string]any{"podSelector": map[string]any{}}
		return true
	}},
	{"bad name", func(o map[string]any, r *rand.Rand) bool {
		o["metadata"].(map[string]any)["name"] = "Bad_Name"
		return true
	}},
	{"unknown field", func(o map[string]any, r *rand.Rand) bool { spec(o)["sameLabels"] = []any{"tenant"}; return true }},
	{"v1alpha1 action", func(o map[string]any, r *rand.Rand) bool {
		rs := rules(o)
		if len(rs) == 0 {
			return false
		}
		rs[r.IntN(len(rs))]["action"] = "Allow"
		return true
	}},
	{"no action", func(o map[string]any, r *rand.Rand) bool {
		rs := rules(o)
		if len(rs) == 0 {
			return false
		}
		delete(rs[r.IntN(len(rs))], "action")
		return true
	}},
	{"empty peers", func(o map[string]any, r *rand.Rand) bool {
		rs := rules(o)
		if len(rs) == 0 {
			return false
		}
		x := rs[r.IntN(len(rs))]
		if _, ok := x["from"]; ok {
			x["from"] = []any{}
		} else {
			x["to"] = []any{}
		}
		return true
	}},
	{"empty peer", func(o map[string]any, r *rand.Rand) bool {
		rs := rules(o)
		if len(rs) == 0 {
			return false
		}
		x := rs[r.IntN(len(rs))]
		key := "to"
		if _, ok := x["from"]; ok {
			key = "from"
		}
		x[key] = append(x[key].([]any), map[string]any{})
		return true
	}},
	{"empty protocols", func(o map[string]any, r *rand.Rand) bool {
		rs := rules(o)
		if len(rs) == 0 {
			return false
		}
		rs[r.IntN(len(rs))]["protocols"] = []any{}
		return true
	}},
	{"long rule name", func(o map[string]any, r *rand.Rand) bool {
		rs := rules(o)
		if len(rs) == 0 {
			return false
		}
		rs[r.IntN(len(rs))]["name"] = strings.Repeat("n", 101)
		return true
	}},
	{"26 rules", func(o map[string]any, r *rand.Rand) bool {
		rs := rules(o)
		if len(rs) == 0 {
			return false
		}
		dir := "ingress"
		if _, ok := spec(o)["ingress"]; !ok {
			dir = "egress"
		}
		list := spec(o)[dir].([]any)
		for len(list) < 26 {
			list = append(list, deepCopy(list[0]))
		}
		spec(o)[dir] = list
		return true
	}},
	{"port 0", func(o map[string]any, r *rand.Rand) bool {
		dps := destinationPorts(o)
		if len(dps) == 0 {
			return false
		}
		dps[0]["number"], dps[0]["range"] = 0, nil
		delete(dps[0], "range")
		return true
	}},
	{"port 70000", func(o map[string]any, r *rand.Rand) bool {
		dps := destinationPorts(o)
		if len(dps) == 0 {
			return false
		}
		delete(dps[0], "range")
		dps[0]["number"] = 70000
		return true
	}},
	{"reversed range", func(o map[string]any, r *rand.Rand) bool {
		dps := destinationPorts(o)
		if len(dps) == 0 {
			return false
		}
		delete(dps[0], "number")
		dps[0]["range"] = map[string]any{"start": 9000, "end": 9000}
		return true
	}},
	{"number and range", func(o map[string]any, r *rand.Rand) bool {
		dps := destinationPorts(o)
		if len(dps) == 0 {
			return false
		}
		dps[0]["number"], dps[0]["range"] = 80, map[string]any{"start": 1, "end": 2}
		return true
	}},
	{"protocol without port", func(o map[string]any, r *rand.Rand) bool {
		rs := rules(o)
		if len(rs) == 0 {
			return false
		}
		rs[0]["protocols"] = []any{map[string]any{"udp": map[string]any{}}}
		return true
	}},
	{"host bits", func(o map[string]any, r *rand.Rand) bool {
		for _, p := range egressPeers(o) {
			if nets, ok := p["networks"].([]any); ok {
				nets[0] = "10.1.2.3/8"
				return true
			}
		}
		return false
	}},
	{"repeated network", func(o map[string]any, r *rand.Rand) bool {
		for _, p := range egressPeers(o) {
			if nets, ok := p["networks"].([]any); ok {
				p["networks"] = append(nets, nets[0])
				return true
			}
		}
		return false
	}},
	{"not a CIDR", func(o map[string]any, r *rand.Rand) bool {
		for _, p := range egressPeers(o) {
			if nets, ok := p["networks"].([]any); ok {
				nets[0] = "10.0.0.0"
				return true
			}
		}
		return false
	}},
	{"named port towards networks", func(o map[string]any, r *rand.Rand) bool {
		list, _ := spec(o)["egress"].([]any)
		for _, x := range list {
			rm := x.(map[string]any)
			if slices.ContainsFunc(rm["to"].([]any), func(p any) bool { _, ok := p.(map[string]any)["networks"]; return ok }) {
				rm["protocols"] = []any{map[string]any{"destinationNamedPort": "http"}}
				return true
			}
		}
		return false
	}},
	{"bad domain name", func(o map[string]any, r *rand.Rand) bool {
		list, _ := spec(o)["egress"].([]any)
		if len(list) == 0 {
			return false
		}
		rm := list[0].(map[string]any)
		rm["action"] = "Accept"
		delete(rm, "protocols")
		rm["to"] = []any{map[string]any{"domainNames": []any{"*example.com"}}}
		return true
	}},
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}
