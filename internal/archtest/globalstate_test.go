package archtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoCiliumAgentStateInProduction: no production code of the module
// sets the Cilium agent's global options (option.Config) or runs Cilium's
// Rule.Sanitize; the validation of emitted Cilium objects, which needs
// both, is test support (internal/testsupport/ciliumcheck), and the
// command does not link it.
func TestNoCiliumAgentStateInProduction(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.Dir}}{{range .GoFiles}} {{.}}{{end}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.Contains(filepath.ToSlash(fields[0]), "/internal/testsupport/") {
			continue
		}
		for _, name := range fields[1:] {
			data, err := os.ReadFile(filepath.Join(fields[0], name))
			if err != nil {
				t.Fatal(err)
			}
			checked++
			for _, banned := range []string{"option.Config", ".Sanitize("} {
				if strings.Contains(string(data), banned) {
					t.Errorf("%s uses %s: production code must not touch the Cilium agent's state or run its validation", filepath.Join(fields[0], name), banned)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no production files listed")
	}

	deps, err := exec.Command("go", "list", "-deps", module+"/cmd/netpolc", module).Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, d := range strings.Fields(string(deps)) {
		if strings.HasPrefix(d, module+"/internal/testsupport/") {
			t.Errorf("the command or the library links the test support package %s", d)
		}
	}
}

// startupBanned are packages whose initialisation costs more start-up time
// than netpolc has (docs/design.md, "Start-up"): the command and the
// library use netpolc's copy of Cilium's policy types (backends/cilium/api),
// and Cilium's own packages only in tests. Cilium's pkg/iana, a few
// functions on port names, is allowed.
var startupBanned = []string{
	"github.com/cilium/cilium/pkg/policy/",
	"github.com/cilium/cilium/pkg/k8s/",
	"github.com/cilium/cilium/pkg/option",
	"github.com/cilium/cilium/pkg/labels",
	"github.com/cilium/hive",
	"k8s.io/client-go/",
	"github.com/prometheus/",
	"github.com/spf13/viper",
}

// TestStartupDependencies: the command and the library link none of the
// packages of startupBanned (checked on `go list -deps`, so a new import
// anywhere in production code that pulls one in fails here).
func TestStartupDependencies(t *testing.T) {
	deps, err := exec.Command("go", "list", "-deps", module+"/cmd/netpolc", module).Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	n := 0
	for _, d := range strings.Fields(string(deps)) {
		n++
		for _, b := range startupBanned {
			if strings.HasPrefix(d, b) || d == strings.TrimSuffix(b, "/") {
				t.Errorf("the command or the library links %s (banned: %s)", d, b)
			}
		}
	}
	if n < 100 {
		t.Fatalf("go list -deps listed %d packages", n)
	}
}
