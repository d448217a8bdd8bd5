package integration

// The network-policy API's tests come last in the package (the file name
// sorts last): the dataplane tests, beside them, hold the policy API lock
// for their admin-policy test first (test/apiserver/policylock).

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/backends/netpolapi"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/emitcheck"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/diag"
)

// netpolAPIVersions are the target's API versions, each checked against the
// CRDs realk8s.sh installs (the experimental channel: ClusterNetworkPolicy
// of network-policy-api v0.3.0, AdminNetworkPolicy and
// BaselineAdminNetworkPolicy of the version kube-network-policies uses).
func netpolAPIBackend(t testing.TB, version string) backends.Backend {
	b, err := netpolapi.New(netpolapi.Options{Version: version, ClusterCIDRs: testgen.ClusterCIDRs()})
	if err != nil {
		t.Fatal(err)
	}
	// Every emitted object also passes the target's own validation: its
	// NetworkPolicies the k8s target's, the rest the netpol-api target's.
	return targetcheck.Checked(b)
}

// TestNetpolAPIExamples: every example that compiles for the netpol-api
// target, for each of its API versions, is accepted by the server (dry run
// and real create, strict field validation, the CRDs' schema and CEL rules)
// and reads back as sent. The examples that do not compile for it are
// listed with the first reason.
func TestNetpolAPIExamples(t *testing.T) {
	c := connect(t)
	dirs, err := os.ReadDir(filepath.Join("..", "..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	compiled := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		for _, version := range netpolapi.Versions() {
			files := exampleFiles(t, d.Name())
			res, diags := netpolc.Build(files, netpolc.Options{Target: netpolAPIBackend(t, version)})
			if diags.HasErrors() {
				for _, dg := range diags {
					if dg.Code == "internal" {
						t.Errorf("example %s, netpol-api %s: %v", d.Name(), version, dg)
					}
				}
				t.Logf("example %s does not compile for netpol-api %s (%d errors, first: %s)", d.Name(), version, diags.Errors(), firstErrorOf(diags))
				continue
			}
			compiled++
			t.Run(d.Name()+"/"+version, func(t *testing.T) {
				us, err := manifests(res.Objects)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.namespaces(t, "ex-"+d.Name()+"-"+version, us); err != nil {
					t.Fatal(err)
				}
				accepted := 0
				for _, u := range us {
					if err := c.check(context.Background(), u); err != nil {
						t.Errorf("%s %s/%s: %v\n%s", u.GetKind(), u.GetNamespace(), u.GetName(), err, show(u))
						continue
					}
					accepted++
				}
				summary(t, "example %s, target netpol-api %s: %d of %d objects (%s) accepted and read back unchanged", d.Name(), version, accepted, len(us), kinds(us))
			})
		}
	}
	if compiled == 0 {
		t.Fatal("no example compiles for the netpol-api target")
	}
}

func firstErrorOf(diags diag.List) string {
	for _, d := range diags {
		if d.Severity == diag.Error {
			return d.Error()
		}
	}
	return ""
}

// kinds counts the objects by kind, for the summaries.
func kinds(us []*unstructured.Unstructured) string {
	n := map[string]int{}
	for _, u := range us {
		n[u.GetKind()]++
	}
	var out []string
	for k, v := range n {
		out = append(out, fmt.Sprintf("%d %s", v, k))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// TestNetpolAPIRandomPrograms compiles random programs of
// testgen.NewNetpolAPI (ordered blocks, deny rules, cluster-wide rules,
// namespaced rules) for the netpol-api
// target in each API version, and checks every object as TestExamples
// does ($NETPOLC_APISERVER_ADMIN_PROGRAMS programs, default 20). The
// cluster-scoped objects get names of their program, except the v1alpha1
// baseline, a singleton named "default", which programs check one at a
// time.
func TestNetpolAPIRandomPrograms(t *testing.T) {
	c := connect(t)
	want := testgen.ProgramCount(0, "NETPOLC_APISERVER_ADMIN_PROGRAMS", 20, 0)
	start := time.Now()
	versions := netpolapi.Versions()
	var (
		failures           firstFailures
		done, failed, skip atomic.Int64
		objects            sync.Map // kind -> *atomic.Int64
	)
	fail, stopped := failures.add, failures.full
	count := func(kind string) {
		v, _ := objects.LoadOrStore(kind, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	runSeeds(int64(want)*2, func() bool { return done.Load() < int64(want) && !stopped() }, func(seed int64) {
		tc := testgen.NewNetpolAPI(seed)
		prog, _ := backendtest.CompileGenerated(tc)
		if prog == nil {
			skip.Add(1)
			return
		}
		ok := true
		var all [][]*unstructured.Unstructured
		for _, version := range versions {
			objs, diags := emitcheck.Emit(netpolAPIBackend(t, version), prog, backends.Options{})
			if diags.HasErrors() {
				fail(fmt.Sprintf("seed %d, netpol-api %s: emit failed: %v\n%s", seed, version, diags, tc.Program.Source()))
				ok = false
				break
			}
			us, err := manifests(objs)
			if err != nil {
				fail(fmt.Sprintf("seed %d, netpol-api %s: %v", seed, version, err))
				ok = false
				break
			}
			all = append(all, us)
		}
		if !ok {
			return
		}
		for i, us := range all {
			if i > 0 {
				// The NetworkPolicies are the k8s target's output,
				// the same in every version: checked once.
				us = slices.DeleteFunc(us, func(u *unstructured.Unstructured) bool { return u.GetKind() == k8s.Kind })
			}
			if err := c.namespaces(t, fmt.Sprintf("a%d-%s", seed, versions[i]), us); err != nil {
				fail(fmt.Sprintf("seed %d: %v", seed, err))
				ok = false
				break
			}
			for _, u := range us {
				check := c.check
				if u.GetNamespace() == "" && u.GetKind() != netpolapi.KindBANP {
					// A name of this program's own, so that the
					// programs need not take turns (the baseline
					// must be named "default": it does).
					u.SetName(fmt.Sprintf("a%d-%s-%s", seed, versions[i], u.GetName()))
					check = c.checkUnique
				}
				if err := check(context.Background(), u); err != nil {
					fail(fmt.Sprintf("seed %d, netpol-api %s: %s %s/%s: %v\n--- object sent:\n%s--- program (testgen.NewNetpolAPI seed %d):\n%s",
						seed, versions[i], u.GetKind(), u.GetNamespace(), u.GetName(), err, show(u), seed, tc.Program.Source()))
					ok = false
					continue
				}
				count(u.GetAPIVersion() + " " + u.GetKind())
			}
		}
		if !ok {
			failed.Add(1)
			return
		}
		done.Add(1)
	})
	for _, f := range failures.list {
		t.Error(f)
	}
	var per []string
	objects.Range(func(k, v any) bool {
		per = append(per, fmt.Sprintf("%d %s", v.(*atomic.Int64).Load(), k))
		return true
	})
	sort.Strings(per)
	summary(t, "%d random programs (testgen.NewNetpolAPI) passed on netpol-api %s, %d failed, %d did not compile: accepted and read back unchanged: %s; %v",
		done.Load(), strings.Join(versions, ", "), failed.Load(), skip.Load(), strings.Join(per, ", "), time.Since(start).Round(time.Millisecond))
	if len(failures.list) == 0 && done.Load() < int64(want) {
		t.Errorf("only %d of the %d programs wanted passed", done.Load(), want)
	}
}
