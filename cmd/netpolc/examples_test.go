package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExamplesFromRepoRoot runs "netpolc compile" on every example from the
// repository root, the way the README says, and compares the output with the
// checked-in files: EXAMPLE/TARGET.yaml must be printed byte for byte, and
// EXAMPLE/TARGET.errors must be the diagnostics of a failing compile. (The
// backends' golden tests write these files; this checks that the CLI gives
// the same bytes.)
func TestExamplesFromRepoRoot(t *testing.T) {
	t.Chdir("../..")
	dirs, err := filepath.Glob("examples/*")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	// Each output: the target, the name of its files, the flags.
	outputs := []struct {
		target, name string
		flags        []string
	}{
		{"k8s", "k8s", nil},
		{"cilium", "cilium", nil},
		{"netpol-api", "netpol-api", nil},
		{"netpol-api", "netpol-api-v1alpha1", []string{"--netpol-api-version", "v1alpha1"}},
	}
	for _, dir := range dirs {
		for _, out := range outputs {
			yamlPath, errPath := filepath.Join(dir, out.name+".yaml"), filepath.Join(dir, out.name+".errors")
			wantYAML, yamlErr := os.ReadFile(yamlPath)
			wantErrs, errsErr := os.ReadFile(errPath)
			if yamlErr != nil && errsErr != nil {
				continue // no checked-in output for this target
			}
			checked++
			t.Run(dir+"/"+out.name, func(t *testing.T) {
				args := append([]string{"--color", "never", "compile", "--target", out.target}, out.flags...)
				r := runApp(t, "", append(args, dir)...)
				switch {
				case yamlErr == nil:
					if r.code != exitOK || r.stdout != string(wantYAML) {
						t.Errorf("output differs from %s\n%s", yamlPath, r)
					}
				default:
					if r.code != exitInput || r.stdout != "" || r.stderr != string(wantErrs) {
						t.Errorf("diagnostics differ from %s\n%s", errPath, r)
					}
				}
			})
		}
	}
	if checked < 10 {
		t.Fatalf("only %d example outputs checked", checked)
	}
}
