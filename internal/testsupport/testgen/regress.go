package testgen

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/tools/txtar"

	"github.com/netpolc/netpolc/compile/eval"
)

// ReadRegression reads a case the differential tests keep (their
// testdata/regress): a txtar file of a source ("in.netpol"), a world
// ("world.yaml", compile/eval's format) and, in its comment, "seed N" for
// the flow sampling (1 without it). It returns the comment's lines too, for
// a test's own marks.
func ReadRegression(path string) (c *Case, comment []string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	a := txtar.Parse(data)
	var seed int64 = 1
	comment = strings.Split(string(a.Comment), "\n")
	for _, line := range comment {
		if v, ok := strings.CutPrefix(line, "seed "); ok {
			seed, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	var src string
	var world *eval.World
	for _, f := range a.Files {
		switch f.Name {
		case "in.netpol":
			src = string(f.Data)
		case "world.yaml":
			if world, err = eval.LoadWorld(f.Data); err != nil {
				return nil, nil, fmt.Errorf("world: %v", err)
			}
		}
	}
	if world == nil {
		return nil, nil, fmt.Errorf("no world.yaml")
	}
	return FromSource(seed, src, world), comment, nil
}

// RegressionFile writes the case of seed, source src and world w as
// ReadRegression reads it.
func RegressionFile(seed int64, src string, w *eval.World) string {
	world, _ := eval.MarshalWorld(w)
	return fmt.Sprintf("seed %d\n-- in.netpol --\n%s-- world.yaml --\n%s", seed, src, world)
}
