package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkStartup runs the built command as a user does: whole processes
// of `netpolc version`, `check` and `fmt -d` on a 10-line file, next to an
// empty Go program built by the same toolchain (the floor of any Go
// command), in the same run. Each reports the median wall time per process
// (median-ms, the target: at most 10 ms) and its CPU time (cpu-ms); ns/op
// is the mean.
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "netpolc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	emptySrc := filepath.Join(dir, "empty", "main.go")
	if err := os.MkdirAll(filepath.Dir(emptySrc), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(emptySrc, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	empty := filepath.Join(dir, "empty-program")
	if out, err := exec.Command("go", "build", "-o", empty, emptySrc).CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	src := filepath.Join(dir, "shop.netpol")
	code := "# A small shop: the web pods talk to the database.\nnamespace shop\ndefault deny\nallow dns\n\n" +
		"web = {app: web}\ndb  = {app: db}\napi = {app: api}\n\nweb -> db:5432/tcp\n"
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		argv []string
	}{
		{"empty-go-program", []string{empty}},
		{"version", []string{bin, "version"}},
		{"check", []string{bin, "check", src}},
		{"fmt", []string{bin, "fmt", "-d", src}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var wall, cpu []time.Duration
			for b.Loop() {
				cmd := exec.Command(bc.argv[0], bc.argv[1:]...)
				start := time.Now()
				out, err := cmd.CombinedOutput()
				wall = append(wall, time.Since(start))
				if err != nil {
					b.Fatalf("%v: %v\n%s", bc.argv, err, out)
				}
				cpu = append(cpu, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
			}
			b.ReportMetric(median(wall), "median-ms")
			b.ReportMetric(median(cpu), "cpu-ms")
		})
	}
}

// median returns the median of ds in milliseconds.
func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2]) / float64(time.Millisecond)
}
