package enginetest

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/internal/testsupport/convertverdicts"
)

// TestConvertedToNetpolAPIAgrees reads the verdicts test/knp's
// TestConvertCiliumToNetpolAPI wrote to $NETPOLC_CONVERT_VERDICTS:
// kube-network-policies v0.8.0 on Cilium sets (with deny rules and CCNPs)
// converted by netpolc to the netpol-api target. Cilium's engine on the
// original sets must give the same verdict on every flow; a disagreement is
// accepted only when deviation (a) of the agent explains it exactly (the
// agent skipped the baseline object for the source pod, and the verdict
// without cluster-wide egress isolation is the agent's). make knp runs both
// tests, in that order; without the variable this test skips, and with
// $CI set it fails.
func TestConvertedToNetpolAPIAgrees(t *testing.T) {
	path := os.Getenv("NETPOLC_CONVERT_VERDICTS")
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("NETPOLC_CONVERT_VERDICTS is not set (make knp sets it)")
		}
		t.Skip("NETPOLC_CONVERT_VERDICTS is not set: run make knp, which writes the verdicts in test/knp first")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file convertverdicts.File
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Sets) == 0 {
		t.Fatal("no converted set in the verdicts file")
	}
	start := time.Now()
	flows, allowed, devA, deny, failures := 0, 0, 0, 0, 0
	for _, s := range file.Sets {
		if failures >= 3 {
			break
		}
		w, err := eval.LoadWorld([]byte(s.World))
		if err != nil {
			t.Fatalf("%s set %d: world: %v", s.Origin, s.Seed, err)
		}
		// The sets come in the forms people write (List wrappers, JSON):
		// read as netpolc reads them, then decoded into Cilium's types.
		objs, diags := readSet([]byte(s.Original))
		if diags.HasErrors() {
			t.Fatalf("%s set %d: %v", s.Origin, s.Seed, diags)
		}
		orig, err := decodeOriginals(objs)
		if err != nil {
			t.Fatalf("%s set %d: %v", s.Origin, s.Seed, err)
		}
		eng, err := New(w, orig)
		if err != nil {
			t.Fatalf("%s set %d: Cilium rejects the original set: %v", s.Origin, s.Seed, err)
		}
		if strings.Contains(s.Original, "egressDeny:") || strings.Contains(s.Original, "ingressDeny:") {
			deny++
		}
		endpoints := map[string]eval.Endpoint{}
		for i := range w.Pods {
			ep := eval.PodEndpoint(&w.Pods[i])
			endpoints[convertverdicts.Name(ep)] = ep
		}
		for i := range w.Externals {
			ep := eval.ExternalEndpoint(&w.Externals[i])
			endpoints[convertverdicts.Name(ep)] = ep
		}
		for _, v := range s.Flows {
			from, ok1 := endpoints[v.From]
			to, ok2 := endpoints[v.To]
			if !ok1 || !ok2 {
				t.Fatalf("%s set %d: flow %s -> %s: an end is not in the world", s.Origin, s.Seed, v.From, v.To)
			}
			f := eval.Flow{From: from, To: to, Protocol: ir.Protocol(v.Protocol), Port: v.Port}
			cv, err := eng.Decide(f)
			if err != nil {
				t.Fatalf("%s set %d: %s: %v", s.Origin, s.Seed, f, err)
			}
			flows++
			if cv.Allowed {
				allowed++
			}
			if cv.Allowed == v.Allowed {
				continue
			}
			if v.BaselineSkipped && v.WithoutBaseline == v.Allowed {
				devA++
				continue
			}
			failures++
			t.Error(fmt.Sprintf("%s set %d: flow %s: Cilium's engine on the original set says allowed=%v, kube-network-policies on the converted objects says allowed=%v\n--- original\n%s--- converted (netpolc convert --to netpol-api --netpol-api-version v1alpha1)\n%s--- world\n%s",
				s.Origin, s.Seed, f, cv.Allowed, v.Allowed, s.Original, s.Converted, s.World))
			break
		}
	}
	t.Logf("Cilium's engine on %d original Cilium sets (%d with deny rules) vs kube-network-policies on their netpol-api conversion: %d flows (%d allowed by Cilium), %d disagreements explained by deviation (a); %v",
		len(file.Sets), deny, flows, allowed, devA, time.Since(start).Round(time.Millisecond))
}
