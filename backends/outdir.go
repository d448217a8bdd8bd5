package backends

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
)

// The files WriteDir keeps in an output directory besides the objects' files
// (docs/output.md describes them). None has a .yaml, .yml or .json suffix, so
// kubectl apply -f DIR never reads them.
const (
	// LockFile is locked (an advisory flock) for the whole of a write. It is
	// created empty on first use and never removed: removing a lock file
	// while another process waits on it would let two runs hold "the" lock.
	LockFile = ".netpolc.lock"
	// ManifestFile lists the files netpolc wrote in the directory, with
	// their SHA-256; only files listed there are ever pruned.
	ManifestFile = ".netpolc-manifest"
	// JournalFile exists only while a write is being applied: from the
	// commit point until every rename and deletion is done. The next write
	// finds it and completes it.
	JournalFile = ".netpolc-journal"
	// tempPrefix starts the name of every temporary file (new files, the new
	// manifest, the journal before it is committed). Any file of that name
	// found under the lock belongs to a run that died and is removed.
	tempPrefix = ".netpolc-new-"

	manifestHeader = "# netpolc manifest 1"
	journalHeader  = "# netpolc journal 1"
	journalEnd     = "# end"
)

// ErrDirLocked is returned (wrapped) by WriteDir when another process held
// the directory's lock for longer than DirOptions.LockTimeout: another
// netpolc writing there, or a reader holding a shared lock
// (docs/output.md).
var ErrDirLocked = errors.New("locked by another process")

// DirOptions are the options of WriteDir.
type DirOptions struct {
	// Format is FormatYAML or FormatJSON.
	Format string
	// KeepStale keeps the files that an earlier write recorded in the
	// manifest and this write does not produce; by default they are
	// deleted (pruned) when their content is still what was written.
	KeepStale bool
	// LockTimeout is how long to wait for another run to release the
	// directory's lock. Zero fails at once when the lock is taken.
	LockTimeout time.Duration
	// Waiting, if set, is called once when the lock is taken by another
	// process and WriteDir starts to wait for it.
	Waiting func(lockPath string)

	// hook, in tests, runs before each temporary file is written ("stage"
	// with its index) and at each step of the apply phase ("rename" or
	// "delete" with the index of the operation, "remove-journal" with 0);
	// an error it returns stops the write there, as a crash would.
	hook func(step string, i int) error
}

// DirResult says what WriteDir did.
type DirResult struct {
	Written   []string // files whose content changed (created or replaced)
	Unchanged []string // files that already had the content they should have
	Pruned    []string // files of an earlier write, no longer produced, deleted
	Stale     []string // files of an earlier write, no longer produced, kept (KeepStale)
	Edited    []string // files of an earlier write, no longer produced, kept because they changed since
	// Recovered is set when a write interrupted after its commit point (a
	// journal was found) was completed first.
	Recovered bool
	// Committed is set once the new output is committed: from then on the
	// write completes even if ctx is cancelled.
	Committed bool
	// TempsRemoved counts temporary files of dead runs that were removed.
	TempsRemoved int
}

// WriteDir writes each object of objs to its own file in dir (see FileName),
// creating dir if needed, as one transaction (docs/output.md):
//
//   - It holds an exclusive lock on dir/.netpolc.lock for the whole write,
//     waiting up to opts.LockTimeout for another run to finish.
//   - Under the lock it first completes a write that was interrupted after its
//     commit point (dir/.netpolc-journal) and removes temporary files of
//     dead runs.
//   - Every file is marshalled, written to a temporary file in dir and
//     synced before anything visible changes. A file whose content is
//     already right is not rewritten.
//   - The files listed in the manifest of the previous write that this one
//     does not produce are pruned (unless opts.KeepStale), but only if their
//     content is still what netpolc wrote; a changed one is kept, reported in
//     DirResult.Edited and stays in the manifest. Files never listed in the
//     manifest are never read, changed or deleted, except that a file named
//     like a produced object is replaced.
//   - The commit point is the rename of the journal (the list of renames and
//     deletions, and the new manifest) into place. An error or cancelled ctx
//     before it removes the temporary files and leaves dir as it was. After
//     it, only renames and deletions remain; they are done even if ctx is
//     cancelled, and if the process dies among them the next WriteDir on dir
//     completes them.
func WriteDir(ctx context.Context, dir string, objs []Object, opts DirOptions) (res *DirResult, err error) {
	if opts.Format != FormatYAML && opts.Format != FormatJSON {
		return nil, fmt.Errorf("unknown output format %q (want %s or %s)", opts.Format, FormatYAML, FormatJSON)
	}
	files, err := marshalFiles(objs, opts.Format)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s unchanged: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockDir(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	defer unlock()

	res = &DirResult{}
	if res.Recovered, err = recoverJournal(dir, nil); err != nil {
		return res, err
	}
	if res.TempsRemoved, err = removeTemps(dir); err != nil {
		return res, err
	}
	old, err := readManifest(dir)
	if err != nil {
		return res, err
	}

	// Decide, reading only the produced files' targets and the files of
	// the old manifest.
	var (
		j           journal
		deletes     []journalOp
		newManifest = map[string]string{} // name -> sha256
	)
	for _, f := range files {
		target := filepath.Join(dir, f.name)
		info, err := os.Lstat(target)
		switch {
		case err == nil && !info.Mode().IsRegular():
			return res, fmt.Errorf("%s: exists and is not a regular file", target)
		case err == nil && info.Size() == int64(len(f.content)) && info.Mode().Perm() == 0o644:
			if cur, err := os.ReadFile(target); err == nil && bytes.Equal(cur, f.content) {
				f.unchanged = true
			}
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return res, err
		}
		newManifest[f.name] = f.sum
	}
	for _, name := range slices.Sorted(maps.Keys(old)) {
		if _, produced := newManifest[name]; produced {
			continue
		}
		sum, err := fileSum(filepath.Join(dir, name))
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotRegular):
			// Gone, or replaced by something netpolc did not write:
			// no longer ours.
		case err != nil:
			return res, err
		case opts.KeepStale:
			res.Stale = append(res.Stale, name)
			newManifest[name] = old[name]
		case sum != old[name]:
			res.Edited = append(res.Edited, name)
			newManifest[name] = old[name]
		default:
			res.Pruned = append(res.Pruned, name)
			deletes = append(deletes, journalOp{to: name, sum: sum})
		}
	}

	// Stage: every changed file, the manifest and the journal as synced
	// temporary files. Until the journal is renamed, undo removes them.
	var temps []string
	committed := false
	defer func() {
		if !committed {
			for _, t := range temps {
				os.Remove(t)
			}
		}
	}()
	stage := func(content []byte) (string, error) {
		if opts.hook != nil {
			if err := opts.hook("stage", len(temps)); err != nil {
				return "", err
			}
		}
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("%s unchanged: %w", dir, err)
		}
		path, err := writeTemp(dir, content)
		if err == nil {
			temps = append(temps, path)
		}
		return filepath.Base(path), err
	}
	for _, f := range files {
		if f.unchanged {
			res.Unchanged = append(res.Unchanged, f.name)
			continue
		}
		tmp, err := stage(f.content)
		if err != nil {
			return res, err
		}
		j.ops = append(j.ops, journalOp{from: tmp, to: f.name})
		res.Written = append(res.Written, f.name)
	}
	manifestTmp, err := stage(formatManifest(newManifest))
	if err != nil {
		return res, err
	}
	j.ops = append(j.ops, deletes...)
	j.ops = append(j.ops, journalOp{from: manifestTmp, to: ManifestFile})
	if err := syncFiles(ctx, temps); err != nil {
		return res, fmt.Errorf("%s unchanged: %w", dir, err)
	}
	journalTmp, err := stage(j.format())
	if err != nil {
		return res, err
	}
	if err := syncFile(filepath.Join(dir, journalTmp)); err != nil {
		return res, err
	}
	if err := syncDir(dir); err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("%s unchanged: %w", dir, err)
	}

	// The commit point.
	if err := os.Rename(filepath.Join(dir, journalTmp), filepath.Join(dir, JournalFile)); err != nil {
		return res, err
	}
	committed = true
	res.Committed = true
	if err := syncDir(dir); err != nil {
		return res, fmt.Errorf("%s: committed but not applied (the next run completes it): %w", dir, err)
	}
	if err := applyJournal(dir, j, opts.hook); err != nil {
		return res, fmt.Errorf("%s: committed but not fully applied (the next run completes it): %w", dir, err)
	}
	return res, nil
}

// outFile is one file WriteDir is about to write.
type outFile struct {
	name      string // base name inside the directory
	content   []byte
	sum       string // hex SHA-256 of content
	unchanged bool   // the target already holds content
}

// marshalFiles marshals objs, sorted, into their files, rejecting names that
// collide or cannot be written.
func marshalFiles(objs []Object, format string) ([]*outFile, error) {
	var files []*outFile
	byName := map[string]Object{}
	for _, o := range SortObjects(objs) {
		name := FileName(o, format)
		if err := checkFileName(name); err != nil {
			return nil, fmt.Errorf("%s %s/%s: %w", o.Kind, o.Namespace, o.Name, err)
		}
		if prev, dup := byName[name]; dup {
			return nil, fmt.Errorf("%s %s/%s and %s %s/%s would both be written to %s", prev.Kind, prev.Namespace, prev.Name, o.Kind, o.Namespace, o.Name, name)
		}
		byName[name] = o
		var (
			content []byte
			err     error
		)
		if format == FormatYAML {
			content, err = marshalYAML(o)
		} else {
			content, err = marshalJSON(o, "  ")
		}
		if err != nil {
			return nil, err
		}
		files = append(files, &outFile{name: name, content: content, sum: sha256Hex(content)})
	}
	return files, nil
}

// lockDir takes the exclusive lock of dir, waiting up to opts.LockTimeout,
// and returns the function that releases it. It polls rather than blocks, so
// that it can give up; a run that dies releases its lock with its files.
func lockDir(ctx context.Context, dir string, opts DirOptions) (func(), error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	ok, err := tryLock(f)
	if err == nil && !ok {
		if opts.Waiting != nil && opts.LockTimeout > 0 {
			opts.Waiting(path)
		}
		deadline := time.NewTimer(opts.LockTimeout)
		defer deadline.Stop()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
	wait:
		for err == nil && !ok {
			select {
			case <-ctx.Done():
				err = fmt.Errorf("%s unchanged: %w", dir, ctx.Err())
			case <-deadline.C:
				break wait
			case <-tick.C:
				ok, err = tryLock(f)
			}
		}
		if err == nil && !ok {
			err = fmt.Errorf("%s: %w (%s is held); gave up after %v", dir, ErrDirLocked, path, opts.LockTimeout)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	// Closing the file releases the lock.
	return func() { f.Close() }, nil
}

// removeTemps removes the temporary files of runs that died (the caller holds
// the lock, so no live run owns one) and returns how many there were.
func removeTemps(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// The journal: what remains to do after the commit point, in order (the
// object files' renames, the deletions, the manifest's rename last).
// Applying it twice, or again after a crash halfway, gives the same
// directory.
type journal struct {
	ops []journalOp
}

// journalOp renames the temporary file from to to, or, when from is empty,
// deletes to while its content still has sum.
type journalOp struct {
	from, to string
	sum      string
}

// format writes j as text:
//
//	# netpolc journal 1
//	rename .netpolc-new-123 shop.networkpolicy.web.yaml
//	delete <sha256> shop.networkpolicy.old.yaml
//	rename .netpolc-new-456 .netpolc-manifest
//	# end
func (j journal) format() []byte {
	var b bytes.Buffer
	b.WriteString(journalHeader + "\n")
	for _, op := range j.ops {
		if op.from != "" {
			fmt.Fprintf(&b, "rename %s %s\n", op.from, op.to)
		} else {
			fmt.Fprintf(&b, "delete %s %s\n", op.sum, op.to)
		}
	}
	b.WriteString(journalEnd + "\n")
	return b.Bytes()
}

// parseJournal parses a journal, checking every name so that replaying it
// can touch nothing outside the directory and nothing but temporary files,
// object files and the manifest.
func parseJournal(data []byte) (journal, error) {
	var j journal
	lines := strings.Split(string(data), "\n")
	if len(lines) < 3 || lines[0] != journalHeader || lines[len(lines)-1] != "" || lines[len(lines)-2] != journalEnd {
		return j, errors.New("not a complete version 1 journal")
	}
	for n, line := range lines[1 : len(lines)-2] {
		f := strings.Split(line, " ")
		bad := func(why string) error { return fmt.Errorf("line %d: %s: %q", n+2, why, line) }
		switch {
		case len(f) == 3 && f[0] == "rename":
			if !isTempName(f[1]) {
				return j, bad("renames something other than a temporary file")
			}
			if f[2] != ManifestFile && checkFileName(f[2]) != nil {
				return j, bad("bad target")
			}
			j.ops = append(j.ops, journalOp{from: f[1], to: f[2]})
		case len(f) == 3 && f[0] == "delete":
			if !isSum(f[1]) || checkFileName(f[2]) != nil {
				return j, bad("bad deletion")
			}
			j.ops = append(j.ops, journalOp{to: f[2], sum: f[1]})
		default:
			return j, bad("unknown operation")
		}
	}
	return j, nil
}

// recoverJournal completes the write of a journal left in dir, if any, and
// reports whether there was one.
func recoverJournal(dir string, hook func(string, int) error) (bool, error) {
	path := filepath.Join(dir, JournalFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	j, err := parseJournal(data)
	if err != nil {
		return false, fmt.Errorf("%s: %v; netpolc did not write it this way and will not guess (remove it and check the directory)", path, err)
	}
	if err := applyJournal(dir, j, hook); err != nil {
		return true, fmt.Errorf("%s: completing an interrupted write: %w", dir, err)
	}
	return true, nil
}

// applyJournal does what j says, idempotently, then syncs dir and removes the
// journal. A rename whose temporary file is gone was done; a deletion is done
// only while the file still has the recorded content.
func applyJournal(dir string, j journal, hook func(string, int) error) error {
	for i, op := range j.ops {
		if op.from != "" {
			if hook != nil {
				if err := hook("rename", i); err != nil {
					return err
				}
			}
			err := os.Rename(filepath.Join(dir, op.from), filepath.Join(dir, op.to))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			continue
		}
		if hook != nil {
			if err := hook("delete", i); err != nil {
				return err
			}
		}
		path := filepath.Join(dir, op.to)
		sum, err := fileSum(path)
		if err == nil && sum == op.sum {
			err = os.Remove(path)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errNotRegular) {
			return err
		}
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if hook != nil {
		if err := hook("remove-journal", 0); err != nil {
			return err
		}
	}
	if err := os.Remove(filepath.Join(dir, JournalFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(dir)
}

// readManifest reads dir's manifest: file name -> hex SHA-256. A missing
// manifest is an empty one (a directory never written, or written by a
// netpolc before manifests: nothing in it is pruned).
//
// The format, a header line and then one line per file as sha256sum prints
// it:
//
//	# netpolc manifest 1
//	<sha256 in hex>  <file name>
func readManifest(dir string) (map[string]string, error) {
	path := filepath.Join(dir, ManifestFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := parseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v (remove it to start afresh: nothing is pruned then)", path, err)
	}
	return m, nil
}

func parseManifest(data []byte) (map[string]string, error) {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			if line != manifestHeader {
				return nil, fmt.Errorf("line 1: not a version 1 manifest: %q", line)
			}
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || !isSum(sum) || checkFileName(name) != nil {
			return nil, fmt.Errorf("line %d: want \"<sha256>  <file name>\": %q", n, line)
		}
		m[name] = sum
	}
	if n == 0 {
		return nil, errors.New("empty")
	}
	return m, sc.Err()
}

func formatManifest(m map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString(manifestHeader + "\n")
	b.WriteString("# The files netpolc compile -o wrote here, with their SHA-256; see docs/output.md.\n")
	for _, name := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%s  %s\n", m[name], name)
	}
	return b.Bytes()
}

// checkFileName rejects names that would escape the directory, hide, or not
// fit on a line of the manifest or the journal.
func checkFileName(name string) error {
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") || strings.Contains(name, "..") ||
		strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return fmt.Errorf("cannot be written to a file named %q", name)
	}
	return nil
}

func isTempName(name string) bool {
	rest, ok := strings.CutPrefix(name, tempPrefix)
	return ok && rest != "" && !strings.ContainsAny(rest, `/\ `) && !strings.Contains(rest, "..")
}

func isSum(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

var errNotRegular = errors.New("not a regular file")

// fileSum returns the hex SHA-256 of the regular file at path, without
// following a symbolic link.
func fileSum(path string) (string, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return "", err
	}
	if !info.Mode().IsRegular() {
		return "", errNotRegular
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return sha256Hex(data), nil
}

// writeTemp writes content to a new temporary file in dir, mode 0644, and
// returns its path; see syncFiles.
func writeTemp(dir string, content []byte) (string, error) {
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(content)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// syncFiles flushes the files at paths to disk, several at a time: one
// fsync after another costs a disk flush each (milliseconds on a real disk,
// most of the time of a large write), while concurrent ones share flushes.
func syncFiles(ctx context.Context, paths []string) error {
	const workers = 16
	work := make(chan string)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var first error
			for p := range work {
				if first == nil {
					first = syncFile(p)
				}
			}
			errs <- first
		}()
	}
	var err error
	for _, p := range paths {
		if err = ctx.Err(); err != nil {
			break
		}
		work <- p
	}
	close(work)
	wg.Wait()
	close(errs)
	for e := range errs {
		if err == nil {
			err = e
		}
	}
	return err
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes the renames and removals in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
