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
	for _, dir := range dirs {
		for _, target := range []string{"k8s", "cilium"} {
			yamlPath, errPath := filepath.Join(dir, target+".yaml"), filepath.Join(dir, target+".errors")
			wantYAML, yamlErr := os.ReadFile(yamlPath)
			wantErrs, errsErr := os.ReadFile(errPath)
			if yamlErr != nil && errsErr != nil {
				continue // no checked-in output for this target
			}
			checked++
			t.Run(dir+"/"+target, func(t *testing.T) {
				r := runApp(t, "", "--color", "never", "compile", "--target", target, dir)
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
	if checked < 4 {
		t.Fatalf("only %d example outputs checked", checked)
	}
}
