package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/netpolc/netpolc"
	"github.com/netpolc/netpolc/backends/world"
	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/compile/analysis"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// The commands explain, matrix, diff and graph read a program from netpolc
// sources or from policy manifests, and a world.

const inputHelp = `POLICY names netpolc sources (.netpol files, a directory of them, DIR/...)
or policy manifests (NetworkPolicy, CiliumNetworkPolicy,
CiliumClusterwideNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy
and ClusterNetworkPolicy objects in .yaml, .yml or .json files, a directory
of them, kubectl get -A -o yaml output), or - for standard input.
A directory holding .netpol files is read as sources, any other as
manifests; standard input is read as manifests when it starts like one
(apiVersion:, kind:, { or ---).`

// analysisFlags are the flags every analysis command takes.
func analysisFlags() []cli.Flag {
	return []cli.Flag{
		worldFlag("the cluster to analyse instead of one representative pod per group"),
		namespaceFlag(),
	}
}

// policyInput is a program read from sources or manifests.
type policyInput struct {
	prog  *ir.Program
	files []*source.File
}

// loadPolicy reads the program named by paths (one POLICY argument, or
// several naming files of one kind). It prints the diagnostics of reading
// and compiling it; failed expectations are warnings here (the commands
// exist to show why). stdin is read at most once by the caller.
func (e *env) loadPolicy(c *cli.Context, paths []string, stdin []byte) (*policyInput, error) {
	cmd := c.Command.Name
	manifests, err := policyKind(paths, stdin)
	if err != nil {
		return nil, &usageError{msg: err.Error(), command: cmd}
	}
	var files []*source.File
	var diags diag.List
	var prog *ir.Program
	if manifests {
		files, err = compile.LoadManifests(paths, bytes.NewReader(stdin))
		if err != nil {
			return nil, &usageError{msg: err.Error(), command: cmd}
		}
		prog, diags = netpolc.Import(files, netpolc.ImportOptions{Namespace: c.String("namespace")})
	} else {
		if c.IsSet("namespace") {
			return nil, &usageError{msg: "--namespace applies only to manifests, not to netpolc sources", command: cmd}
		}
		files, err = compile.Load(paths, bytes.NewReader(stdin))
		if err != nil {
			return nil, &usageError{msg: err.Error(), command: cmd}
		}
		var res *netpolc.Result
		res, diags = netpolc.Build(files, netpolc.Options{})
		prog = res.Program
		if prog != nil {
			// Only the verify stage keeps the program with errors: failed
			// expectations. They are what this command helps to explain.
			for i := range diags {
				if diags[i].Severity == diag.Error {
					diags[i].Severity = diag.Warning
				}
			}
		}
	}
	if prog == nil && !diags.HasErrors() {
		diags.Errorf(internalCode, source.Span{}, "no program and no error")
	}
	if err := e.printDiagnostics(files, diags); err != nil {
		return nil, err
	}
	return &policyInput{prog: prog, files: files}, nil
}

// policyKind reports whether paths name manifests (true) or netpolc
// sources; mixing both is an error.
func policyKind(paths []string, stdin []byte) (bool, error) {
	var srcs, mans []string
	for _, p := range paths {
		var m bool
		switch root, recursive := strings.CutSuffix(p, "/..."); {
		case p == compile.StdinName:
			m = looksLikeManifest(stdin)
		case recursive || p == "...":
			if p == "..." {
				root = "."
			}
			m = !treeHas(root, compile.SourceExt)
		default:
			info, err := os.Stat(p)
			switch {
			case err != nil:
				m = slices.Contains(compile.ManifestExts, filepath.Ext(p))
			case info.IsDir():
				m = !dirHas(p, compile.SourceExt)
			default:
				m = slices.Contains(compile.ManifestExts, strings.ToLower(filepath.Ext(p)))
			}
		}
		if m {
			mans = append(mans, p)
		} else {
			srcs = append(srcs, p)
		}
	}
	if len(srcs) > 0 && len(mans) > 0 {
		return false, fmt.Errorf("the arguments mix netpolc sources (%s) and manifests (%s); give one kind", strings.Join(srcs, ", "), strings.Join(mans, ", "))
	}
	return len(mans) > 0, nil
}

// looksLikeManifest reports whether data starts like YAML or JSON objects.
func looksLikeManifest(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, p := range []string{"apiVersion:", "kind:", "{", "[", "---", "items:", "metadata:"} {
			if strings.HasPrefix(line, p) {
				return true
			}
		}
		return false
	}
	return false
}

func dirHas(dir, ext string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, en := range entries {
		if !en.IsDir() && filepath.Ext(en.Name()) == ext {
			return true
		}
	}
	return false
}

func treeHas(root, ext string) bool {
	found := false
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ext {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// readStdin reads standard input once when one of paths is "-".
func (e *env) readStdin(paths ...string) ([]byte, error) {
	if !slices.Contains(paths, compile.StdinName) {
		return nil, nil
	}
	// Manifests may be larger than sources (compile.MaxManifestSize);
	// loading applies the limit of the kind of input.
	data, err := io.ReadAll(io.LimitReader(e.stdin, compile.MaxManifestSize+1))
	if err != nil {
		return nil, &internalError{err: fmt.Errorf("reading standard input: %w", err)}
	}
	if len(data) > compile.MaxManifestSize {
		return nil, usagef("standard input is larger than %d MiB", compile.MaxManifestSize>>20)
	}
	return data, nil
}

// readPolicy reads the policy of paths (files, directories, or "-" for
// standard input) for an analysis command.
func (e *env) readPolicy(c *cli.Context, paths []string) (*policyInput, error) {
	stdin, err := e.readStdin(paths...)
	if err != nil {
		return nil, err
	}
	return e.loadPolicy(c, paths, stdin)
}

// checkChoice returns command cmd's usage error unless value is one of
// choices: "FLAG must be a, b or c, not "value"".
func checkChoice(cmd, flag, value string, choices ...string) error {
	if slices.Contains(choices, value) {
		return nil
	}
	list := choices[len(choices)-1]
	if len(choices) > 1 {
		list = strings.Join(choices[:len(choices)-1], ", ") + " or " + list
	}
	return &usageError{msg: fmt.Sprintf("%s must be %s, not %q", flag, list, value), command: cmd}
}

// onlyWith returns command cmd's usage error when one of flags is set: they
// apply only with what condition names ("--world").
func onlyWith(c *cli.Context, cmd, condition string, flags ...string) error {
	for _, f := range flags {
		if c.IsSet(f) {
			return &usageError{msg: "--" + f + " applies only with " + condition, command: cmd}
		}
	}
	return nil
}

// analysisWorld returns the world of --world, or the representative world
// of progs, with a description of it for the output. policyOnStdin says
// whether the policy was read from standard input.
func (e *env) analysisWorld(c *cli.Context, policyOnStdin bool, progs ...*ir.Program) (*eval.World, string, error) {
	paths := c.StringSlice("world")
	if len(paths) == 0 {
		return eval.RepresentativeWorld(ir.Merge(progs...)), analysis.RepresentativeNote, nil
	}
	w, err := e.loadWorld(c, world.Options{Namespace: c.String("namespace")}, policyOnStdin)
	if err != nil {
		return nil, "", err
	}
	names := slices.Clone(paths)
	for i, p := range names {
		if p == compile.StdinName {
			names[i] = "standard input"
		}
	}
	return w, strings.Join(names, ", "), nil
}

// writeOut writes the output of a command.
func (e *env) writeOut(data []byte) error {
	if _, err := e.stdout.Write(data); err != nil {
		return &internalError{err: err}
	}
	return nil
}
