package integration

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/targetcheck"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
	"github.com/netpolc/netpolc/lang/source"
)

var (
	programsFlag = flag.Int("netpolc.programs", 0, "random programs to check on both targets (default 80, or $NETPOLC_APISERVER_PROGRAMS)")
	seedFlag     = flag.Int64("netpolc.seed", 1, "first seed of the random programs")
)

func programCount() int {
	return testgen.ProgramCount(*programsFlag, "NETPOLC_APISERVER_PROGRAMS", 80, 0)
}

// target is one backend under test.
type target struct {
	name    string
	backend backends.Backend
}

var targets = []target{{"k8s", k8s.New()}, {"cilium", cilium.Backend{}}}

// TestExamples: every object the examples compile to, for each target the
// example supports, is accepted by the real API server (dry run and real
// create, strict field validation) and reads back as sent.
func TestExamples(t *testing.T) {
	c := connect(t)
	examples := []struct {
		dir     string
		targets []target
	}{
		{"zero-trust", targets},
		{"cilium-l7", targets[1:]}, // HTTP rules: NetworkPolicy cannot express them (k8s.errors)
	}
	for _, ex := range examples {
		for _, tg := range ex.targets {
			t.Run(ex.dir+"/"+tg.name, func(t *testing.T) {
				files := exampleFiles(t, ex.dir)
				// As a build tool would: the library facade, every
				// stage, every object validated (targetcheck).
				res, diags := netpolc.Build(files, netpolc.Options{Target: targetcheck.Checked(tg.backend)})
				objs := res.Objects
				if diags.HasErrors() || len(objs) == 0 {
					t.Fatalf("build: %d objects, %v", len(objs), diags)
				}
				us, err := manifests(objs)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.namespaces(t, "ex-"+ex.dir+"-"+tg.name, us); err != nil {
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
				summary(t, "example %s, target %s: %d of %d objects accepted and read back unchanged", ex.dir, tg.name, accepted, len(us))
			})
		}
	}
}

// TestRandomPrograms compiles random programs (internal/testsupport/testgen,
// the generator of the differential tests) until programCount of them have
// produced objects on both targets, and checks every object as
// TestExamples does. Each program gets namespaces of its own.
func TestRandomPrograms(t *testing.T) {
	c := connect(t)
	want := programCount()
	start := time.Now()

	var (
		failures                      firstFailures
		done, failed, rejected, empty atomic.Int64
		objects                       [2]atomic.Int64
	)
	fail, stopped := failures.add, failures.full

	runSeeds(int64(want)*4, func() bool { return done.Load() < int64(want) && !stopped() }, func(seed int64) {
		tc := testgen.New(seed)
		prog, _ := backendtest.CompileGenerated(tc)
		if prog == nil {
			rejected.Add(1)
			return
		}
		var emitted [2][]*unstructured.Unstructured
		ok := true
		for i, tg := range targets {
			objs, diags := targetcheck.Emit(tg.backend, prog, backends.Options{})
			if diags.HasErrors() {
				// testgen stays within what every target expresses,
				// as the differential tests rely on.
				fail(fmt.Sprintf("seed %d, %s: emit failed: %v\n%s", seed, tg.name, diags, tc.Program.Source()))
				ok = false
				break
			}
			us, err := manifests(objs)
			if err != nil {
				fail(fmt.Sprintf("seed %d, %s: %v\n%s", seed, tg.name, err, tc.Program.Source()))
				ok = false
				break
			}
			emitted[i] = us
		}
		if !ok {
			return
		}
		if len(emitted[0]) == 0 || len(emitted[1]) == 0 {
			empty.Add(1)
			return
		}
		var all []*unstructured.Unstructured
		for _, us := range emitted {
			all = append(all, us...)
		}
		if err := c.namespaces(t, fmt.Sprintf("p%d", seed), all); err != nil {
			fail(fmt.Sprintf("seed %d: %v", seed, err))
			return
		}
		ok = true
		for i, us := range emitted {
			for _, u := range us {
				if err := c.check(context.Background(), u); err != nil {
					fail(fmt.Sprintf("seed %d, target %s: %s %s/%s: %v\n--- object sent:\n%s--- program (testgen seed %d):\n%s",
						seed, targets[i].name, u.GetKind(), u.GetNamespace(), u.GetName(), err, show(u), seed, tc.Program.Source()))
					ok = false
					continue
				}
				objects[i].Add(1)
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
	summary(t, "%d random programs passed on both targets, %d failed: %d NetworkPolicy and %d Cilium objects accepted and read back unchanged "+
		"(skipped: %d rejected by the compiler, %d emitting nothing), %v",
		done.Load(), failed.Load(), objects[0].Load(), objects[1].Load(), rejected.Load(), empty.Load(), time.Since(start).Round(time.Millisecond))
	if len(failures.list) == 0 && done.Load() < int64(want) {
		t.Errorf("only %d of the %d programs wanted produced objects on both targets", done.Load(), want)
	}
}

// exampleFiles reads the sources of examples/DIR, named from the repository
// root as netpolc compile names them when run there.
func exampleFiles(t *testing.T, dir string) []*source.File {
	t.Helper()
	ex := backendtest.ReadExample(t, filepath.Join("..", "..", "..", "examples", dir))
	if len(ex.Sources) == 0 {
		t.Fatalf("no sources in examples/%s", dir)
	}
	return ex.FilesIn("examples/" + dir)
}

// runSeeds calls check on 2×GOMAXPROCS goroutines for the seeds from
// -netpolc.seed on, at most max of them, handing out the next one while more
// reports true, and returns when every call has returned.
func runSeeds(max int64, more func() bool, check func(seed int64)) {
	seeds := make(chan int64)
	var wg sync.WaitGroup
	for w := 0; w < 2*runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range seeds {
				check(seed)
			}
		}()
	}
	for i := int64(0); i < max && more(); i++ {
		seeds <- *seedFlag + i
	}
	close(seeds)
	wg.Wait()
}

// firstFailures keeps the first five failures the workers of a random-program
// test report; the test stops handing out seeds once it has them. Read list
// after the workers are done.
type firstFailures struct {
	mu   sync.Mutex
	list []string
}

func (f *firstFailures) add(msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.list) < 5 {
		f.list = append(f.list, msg)
	}
}

func (f *firstFailures) full() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.list) >= 5
}
