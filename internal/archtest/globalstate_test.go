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
