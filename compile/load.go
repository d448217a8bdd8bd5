package compile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// SourceExt is the extension of netpolc source files.
const SourceExt = ".netpol"

// StdinName is the name of the file read from standard input, both as a
// command-line argument and as the file's name in diagnostics.
const StdinName = "-"

// Load reads the source files named by paths, the way the command line names
// them:
//
//   - a file is read as given, whatever its extension;
//   - a directory contributes its *.netpol files (not those of its
//     subdirectories);
//   - "DIR/..." contributes the *.netpol files of DIR and of every
//     directory below it (as in Go's package patterns);
//   - "-" reads stdin once, as a file named "-".
//
// The result is sorted by path with duplicates removed (the same file named
// twice, directly or through its directory, is loaded once), so the order of
// the arguments never changes the output. Missing paths, unreadable files and
// directories without a .netpol file are errors; Load reports every such
// path, not only the first.
func Load(paths []string, stdin io.Reader) ([]*source.File, error) {
	return netpolFiles.load(paths, stdin)
}

// ManifestExts are the extensions of the Kubernetes manifests that
// LoadManifests reads from directories.
var ManifestExts = []string{".yaml", ".yml", ".json"}

// LoadManifests reads Kubernetes manifests (YAML or JSON) named by paths as
// Load reads sources: files as given, the *.yaml, *.yml and *.json files of
// a directory, of a tree with "DIR/...", and "-" for standard input; each
// at most MaxManifestSize bytes.
func LoadManifests(paths []string, stdin io.Reader) ([]*source.File, error) {
	return manifestFiles.load(paths, stdin)
}

// fileKind is what a loader reads from directories.
type fileKind struct {
	exts  []string // extensions read from directories
	what  string   // how messages name them, e.g. ".netpol files"
	limit int      // the most bytes of one file: MaxSourceSize or MaxManifestSize
}

var (
	netpolFiles   = fileKind{exts: []string{SourceExt}, what: SourceExt + " files", limit: MaxSourceSize}
	manifestFiles = fileKind{exts: ManifestExts, what: ".yaml, .yml or .json files", limit: MaxManifestSize}
)

func (k fileKind) load(paths []string, stdin io.Reader) ([]*source.File, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no input: name %s, directories, or - for standard input", k.what)
	}
	var (
		names    []string // files to read, cleaned
		useStdin bool
		errs     []error
	)
	for _, p := range paths {
		if p == StdinName {
			useStdin = true
			continue
		}
		if root, ok := recursivePattern(p); ok {
			dirs, err := k.sourceDirs(root)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, d := range dirs {
				found, _ := k.dirSources(d) // sourceDirs only lists directories with sources
				names = append(names, found...)
			}
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			errs = append(errs, pathError(p, err))
			continue
		}
		if !info.IsDir() {
			names = append(names, filepath.Clean(p))
			continue
		}
		found, err := k.dirSources(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		names = append(names, found...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	sort.Strings(names)
	var files []*source.File
	for i, name := range names {
		if i > 0 && names[i-1] == name {
			continue
		}
		content, err := readFile(name, k.limit)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		files = append(files, source.NewFile(name, content))
	}
	if useStdin {
		if stdin == nil {
			errs = append(errs, errors.New("-: no standard input"))
		} else if content, err := readLimited(stdin, k.limit, 0); errors.Is(err, ErrSourceTooLarge) || errors.Is(err, ErrManifestTooLarge) {
			errs = append(errs, fmt.Errorf("-: standard input is %w", err))
		} else if err != nil {
			errs = append(errs, fmt.Errorf("-: reading standard input: %w", err))
		} else {
			files = append(files, source.NewFile(StdinName, content))
			sort.SliceStable(files, func(i, j int) bool { return files[i].Name < files[j].Name })
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return files, nil
}

// dirSources lists the files of kind k directly inside dir, sorted.
func (k fileKind) dirSources(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, pathError(dir, err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() || !slices.ContainsFunc(k.exts, func(ext string) bool { return strings.HasSuffix(e.Name(), ext) }) {
			continue
		}
		out = append(out, filepath.Join(dir, e.Name()))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: directory has no %s", diag.FileName(dir), k.what)
	}
	return out, nil
}

// pathError turns an fs error into "path: reason" without Go's "stat"/"open"
// operation prefix, which means nothing to a user. A path that could forge a
// line of output is quoted (diag.FileName).
func pathError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrNotExist) {
		if info, lerr := os.Lstat(path); lerr == nil && info.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s: broken symbolic link (its target does not exist)", diag.FileName(path))
		}
		return fmt.Errorf("%s: no such file or directory", diag.FileName(path))
	}
	return fmt.Errorf("%s: %w", diag.FileName(path), err)
}

// recursivePattern reports whether p is "DIR/..." (or "...", the current
// directory) and returns DIR.
func recursivePattern(p string) (string, bool) {
	switch {
	case p == "...":
		return ".", true
	case strings.HasSuffix(p, "/..."):
		return strings.TrimSuffix(p, "/..."), true
	}
	return "", false
}

// sourceDirs lists root and the directories below it that hold files of
// kind k, sorted; hidden directories (".git", ...) are skipped.
func (k fileKind) sourceDirs(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return pathError(path, err)
		}
		if !d.IsDir() {
			return nil
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if _, err := k.dirSources(path); err == nil {
			dirs = append(dirs, filepath.Clean(path))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%s: no %s in %s or below", diag.FileName(root+"/..."), k.what, diag.FileName(root))
	}
	return dirs, nil
}

// LoadPrograms reads the sources named by paths (as Load does) and groups
// them into programs: every directory matched by a "DIR/..." pattern is a
// program of its own, like a Go package; all other paths together form one
// more program. Programs come sorted by their first file.
func LoadPrograms(paths []string, stdin io.Reader) ([][]*source.File, error) {
	var (
		rest  []string
		progs [][]*source.File
		errs  []error
	)
	for _, p := range paths {
		root, ok := recursivePattern(p)
		if !ok {
			rest = append(rest, p)
			continue
		}
		dirs, err := netpolFiles.sourceDirs(root)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, d := range dirs {
			files, err := Load([]string{d}, nil)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			progs = append(progs, files)
		}
	}
	if len(rest) > 0 || len(paths) == 0 {
		files, err := Load(rest, stdin)
		if err != nil {
			errs = append(errs, err)
		} else {
			progs = append(progs, files)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.SliceStable(progs, func(i, j int) bool { return progs[i][0].Name < progs[j][0].Name })
	// A file named twice (through two patterns) belongs to its first program.
	seen := map[string]bool{}
	out := progs[:0]
	for _, prog := range progs {
		kept := prog[:0]
		for _, f := range prog {
			if !seen[f.Name] {
				seen[f.Name] = true
				kept = append(kept, f)
			}
		}
		if len(kept) > 0 {
			out = append(out, kept)
		}
	}
	return out, nil
}
