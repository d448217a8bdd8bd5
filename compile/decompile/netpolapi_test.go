package decompile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends/netpolapi"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/lang/source"
)

// TestImportCorpusNetpolAPI decompiles the network-policy API importer's
// corpus (backends/netpolapi/testdata/import, the files that import without
// errors): what "netpolc import" prints for AdminNetworkPolicies,
// BaselineAdminNetworkPolicies and ClusterNetworkPolicies (ordered blocks),
// compared with testdata/import-netpolapi/NAME.netpol (-update rewrites
// them). Each output must compile, be format-stable and a fixed point, and
// give every flow of the program's world the verdict the imported program
// gives it.
func TestImportCorpusNetpolAPI(t *testing.T) {
	paths, _ := filepath.Glob("../../backends/netpolapi/testdata/import/*.*")
	ran := 0
	for _, path := range paths {
		ext := filepath.Ext(path)
		name := strings.TrimSuffix(filepath.Base(path), ext)
		if ext != ".yaml" && ext != ".json" || strings.HasPrefix(name, "err-") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		file := source.NewFile(filepath.Base(path), data)
		objs, diags := yamlsrc.Read([]*source.File{file}, yamlsrc.Options{Kinds: netpolapi.ImportKinds})
		prog, d := netpolapi.Importer{}.Import(objs)
		diags.Append(d)
		if diags.HasErrors() || prog == nil {
			t.Errorf("%s does not import: %v", name, diags)
			continue
		}
		ran++
		t.Run(name, func(t *testing.T) {
			checkDecompiled(t, prog, file, filepath.Join("testdata", "import-netpolapi", name+".netpol"))
		})
	}
	if ran < 14 {
		t.Fatalf("only %d corpus files imported", ran)
	}
}
