package clustergen_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/internal/testsupport/clustergen"
)

var (
	writeDir  = flag.String("write", "", "write the benchmark clusters into `DIR` (DIR/PODS/cluster.yaml and policies.yaml) for timing the command")
	writePods = flag.String("pods", "50,500,2000,10000", "pod counts written by -write")
)

// TestWrite writes the benchmark clusters as files when -write is given:
// the inputs of the whole-process measurements of `netpolc matrix` in the
// README:
//
//	go test ./internal/testsupport/clustergen -run TestWrite -args -write /tmp/clusters
func TestWrite(t *testing.T) {
	if *writeDir == "" {
		t.Skip("no -write")
	}
	for _, s := range strings.Split(*writePods, ",") {
		pods, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("-pods: %v", err)
		}
		c := clustergen.Generate(pods)
		dir := filepath.Join(*writeDir, fmt.Sprint(pods))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{"cluster.yaml": c.WorldYAML, "policies.yaml": c.PolicyYAML} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
