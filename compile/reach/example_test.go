package reach_test

import (
	"os"
	"sync"
	"testing"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/reach"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
)

// loadExample compiles examples/<name>/production.netpol over the world
// file of the example (or the representative world when there is none).
func loadExample(t testing.TB, name string) *reach.Analysis {
	t.Helper()
	var w *eval.World
	if data, err := os.ReadFile("../../examples/" + name + "/world.yaml"); err == nil {
		if w, err = eval.LoadWorld(data); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile("../../examples/" + name + "/production.netpol")
	if err != nil {
		t.Fatal(err)
	}
	prog, diags := backendtest.CompileText("production.netpol", string(src), w)
	if diags.HasErrors() || prog == nil {
		t.Fatalf("compile: %v", diags)
	}
	if w == nil {
		t.Fatalf("example %s has no world", name)
	}
	return reach.New(prog, w, reach.Options{})
}

// cell finds the connections from endpoint from to endpoint to, named as
// eval.Endpoint.String prints them.
func cell(t *testing.T, a *reach.Analysis, from, to string) reach.Conns {
	t.Helper()
	i, j := -1, -1
	for k, ep := range a.Endpoints() {
		if ep.String() == from {
			i = k
		}
		if ep.String() == to {
			j = k
		}
	}
	if i < 0 || j < 0 {
		t.Fatalf("no endpoint %q or %q", from, to)
	}
	return a.Allowed(i, j)
}

func TestZeroTrustCells(t *testing.T) {
	a := loadExample(t, "zero-trust")
	for _, c := range []struct{ from, to, want string }{
		{"production/web-0", "production/database-0", "TCP 5432"},
		{"production/web-0", "production/redis-0", "TCP 6379"},
		{"production/database-0", "production/web-0", "none"},
		{"ingress-nginx/controller-0", "production/web-0", "TCP 8080"},
		// prometheus -> web:metrics, resolved on web's container port.
		{"monitoring/prometheus-0", "production/web-1", "TCP 9090"},
		{"monitoring/prometheus-0", "production/database-0", "none"},
		{"production/web-0", "kube-system/coredns-0", "TCP 53; UDP 53"},
		{"production/web-0", "8.8.8.8", "TCP 443"},
		{"production/web-0", "10.1.2.3", "none"},
		{"production/web-0", "169.254.169.254", "none"},
		{"production/batch-0", "52.94.1.1", "TCP 443"},
		{"development/tests-0", "production/api-0", "TCP 8080"},
		{"ci/tests-0", "production/api-0", "none"},
		// Ungoverned namespaces allow everything both ways.
		{"ci/tests-0", "monitoring/prometheus-0", "all"},
		{"8.8.8.8", "ci/tests-0", "all"},
		{"production/web-0", "production/web-0", "none"},
	} {
		if got := cell(t, a, c.from, c.to).String(); got != c.want {
			t.Errorf("%s -> %s = %q, want %q", c.from, c.to, got, c.want)
		}
	}
}

// TestConcurrentAllowed reads every cell of a fresh analysis from several
// goroutines at once (cells are combined and interned on first use) and
// compares them with another analysis read from one goroutine.
func TestConcurrentAllowed(t *testing.T) {
	a, b := loadExample(t, "zero-trust"), loadExample(t, "zero-trust")
	n := len(a.Endpoints())
	var wg sync.WaitGroup
	got := make([][]reach.Conns, 4)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < n*n; k++ {
				x := (k + g*n*n/4) % (n * n) // each goroutine from its own start
				got[g] = append(got[g], a.Allowed(x/n, x%n))
			}
		}()
	}
	wg.Wait()
	for g := range got {
		for k, c := range got[g] {
			x := (k + g*n*n/4) % (n * n)
			if want := b.Allowed(x/n, x%n); !c.Equal(want) {
				t.Fatalf("goroutine %d, cell %d: %q, want %q", g, x, c, want)
			}
		}
	}
}
