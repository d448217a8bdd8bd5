package backends

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var yamlOpts = DirOptions{Format: FormatYAML}

// listDir returns "name=content" for every entry of dir, hidden ones
// included, except the lock file (created on first use and never removed).
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() == LockFile {
			continue
		}
		content, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			out = append(out, e.Name()+"=<"+err.Error()+">")
			continue
		}
		out = append(out, e.Name()+"="+string(content))
	}
	sort.Strings(out)
	return out
}

// names returns the entry names of dir that are not hidden.
func names(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, e := range listDir(t, dir) {
		if n := e[:strings.Index(e, "=")]; !strings.HasPrefix(n, ".") {
			out = append(out, n)
		}
	}
	return out
}

func sameDir(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("%s:\n%q\nwant\n%q", what, got, want)
	}
}

func writeDir(t *testing.T, dir string, objs []Object, opts DirOptions) *DirResult {
	t.Helper()
	res, err := WriteDir(context.Background(), dir, objs, opts)
	if err != nil {
		t.Fatalf("WriteDir: %v", err)
	}
	return res
}

func TestWriteDir(t *testing.T) {
	for _, format := range []string{FormatYAML, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out", "nested")
			writeDir(t, dir, unsorted, DirOptions{Format: format})
			want := []string{
				"ciliumclusterwidenetworkpolicy.deny-metadata." + format,
				"default.networkpolicy.db." + format,
				"shop.ciliumnetworkpolicy.api." + format,
				"shop.networkpolicy.web." + format,
			}
			sameDir(t, "files", names(t, dir), want)
			content, err := os.ReadFile(filepath.Join(dir, "shop.networkpolicy.web."+format))
			if err != nil {
				t.Fatal(err)
			}
			var back testObject
			if format == FormatJSON {
				err = json.Unmarshal(content, &back)
			} else if !strings.HasPrefix(string(content), "apiVersion: example/v1\nkind: NetworkPolicy\n") || strings.Contains(string(content), "---") {
				err = errors.New("not one YAML document")
			}
			if err != nil || (format == FormatJSON && back.Spec != "a <b> & c") {
				t.Errorf("bad file content (%v):\n%s", err, content)
			}
			info, err := os.Stat(filepath.Join(dir, "shop.networkpolicy.web."+format))
			if err != nil || info.Mode().Perm() != 0o644 {
				t.Errorf("file mode %v, %v; want 0644", info.Mode(), err)
			}
			// The manifest lists exactly the files, with their hashes.
			m, err := readManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range want {
				b, _ := os.ReadFile(filepath.Join(dir, name))
				if m[name] != sha256Hex(b) {
					t.Errorf("manifest entry of %s = %q", name, m[name])
				}
			}
			if len(m) != len(want) {
				t.Errorf("manifest %v", m)
			}
			for _, f := range []string{JournalFile} {
				if _, err := os.Lstat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s left behind: %v", f, err)
				}
			}
		})
	}
}

// unrelated writes files netpolc never wrote, with an odd mode and an old
// modification time, and returns a check that they are exactly as they were.
func unrelated(t *testing.T, dir string) func() {
	t.Helper()
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	files := map[string]string{
		"unrelated.txt":                      "keep\n",
		"README.md":                          "# hand-written\n",
		"other.networkpolicy.hand-made.yaml": "kind: NetworkPolicy\n",
		".netpolc-old-1234":                  "a backup of an older netpolc\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		t.Helper()
		for name, content := range files {
			p := filepath.Join(dir, name)
			info, err := os.Lstat(p)
			if err != nil {
				t.Errorf("unrelated file %s: %v", name, err)
				continue
			}
			b, _ := os.ReadFile(p)
			if string(b) != content || info.Mode() != 0o600 || !info.ModTime().Equal(old) {
				t.Errorf("unrelated file %s changed: %q, mode %v, mtime %v", name, b, info.Mode(), info.ModTime())
			}
		}
	}
}

func TestWriteDirReplacesAndKeepsOthers(t *testing.T) {
	dir := t.TempDir()
	check := unrelated(t, dir)
	// A file named like an object but not written by netpolc is replaced:
	// -o DIR asks for that name.
	os.WriteFile(filepath.Join(dir, "shop.networkpolicy.web.yaml"), []byte("old\n"), 0o644)
	res := writeDir(t, dir, unsorted[:1], yamlOpts)
	check()
	b, _ := os.ReadFile(filepath.Join(dir, "shop.networkpolicy.web.yaml"))
	if !strings.HasPrefix(string(b), "apiVersion") {
		t.Errorf("not replaced: %q", b)
	}
	sameDir(t, "written", res.Written, []string{"shop.networkpolicy.web.yaml"})
	// Writing everything again with no change rewrites nothing.
	res = writeDir(t, dir, unsorted[:1], yamlOpts)
	if len(res.Written) != 0 || len(res.Unchanged) != 1 {
		t.Errorf("second identical write: %+v", res)
	}
	check()
}

func TestWriteDirPrunes(t *testing.T) {
	all := unsorted
	web := unsorted[:1] // shop.networkpolicy.web
	t.Run("default", func(t *testing.T) {
		dir := t.TempDir()
		check := unrelated(t, dir)
		writeDir(t, dir, all, yamlOpts)
		res := writeDir(t, dir, web, yamlOpts)
		sameDir(t, "files", names(t, dir), []string{"README.md", "other.networkpolicy.hand-made.yaml", "shop.networkpolicy.web.yaml", "unrelated.txt"})
		sameDir(t, "pruned", res.Pruned, []string{"ciliumclusterwidenetworkpolicy.deny-metadata.yaml", "default.networkpolicy.db.yaml", "shop.ciliumnetworkpolicy.api.yaml"})
		m, _ := readManifest(dir)
		sameDir(t, "manifest", slices.Sorted(maps.Keys(m)), []string{"shop.networkpolicy.web.yaml"})
		check()
	})
	t.Run("edited files are kept", func(t *testing.T) {
		dir := t.TempDir()
		writeDir(t, dir, all, yamlOpts)
		edited := filepath.Join(dir, "default.networkpolicy.db.yaml")
		os.WriteFile(edited, []byte("# mine now\n"), 0o644)
		res := writeDir(t, dir, web, yamlOpts)
		sameDir(t, "edited", res.Edited, []string{"default.networkpolicy.db.yaml"})
		sameDir(t, "files", names(t, dir), []string{"default.networkpolicy.db.yaml", "shop.networkpolicy.web.yaml"})
		// Still listed (with what netpolc wrote), so every run reports it
		// until it is removed or restored.
		m, _ := readManifest(dir)
		sameDir(t, "manifest", slices.Sorted(maps.Keys(m)), []string{"default.networkpolicy.db.yaml", "shop.networkpolicy.web.yaml"})
		res = writeDir(t, dir, web, yamlOpts)
		sameDir(t, "edited again", res.Edited, []string{"default.networkpolicy.db.yaml"})
		// Removed by hand: forgotten.
		os.Remove(edited)
		writeDir(t, dir, web, yamlOpts)
		m, _ = readManifest(dir)
		sameDir(t, "manifest", slices.Sorted(maps.Keys(m)), []string{"shop.networkpolicy.web.yaml"})
	})
	t.Run("replaced by a directory or a link is not ours", func(t *testing.T) {
		dir := t.TempDir()
		writeDir(t, dir, all, yamlOpts)
		db := filepath.Join(dir, "default.networkpolicy.db.yaml")
		os.Remove(db)
		os.Mkdir(db, 0o755)
		api := filepath.Join(dir, "shop.ciliumnetworkpolicy.api.yaml")
		os.Remove(api)
		os.Symlink("shop.networkpolicy.web.yaml", api)
		writeDir(t, dir, web, yamlOpts)
		if info, err := os.Lstat(db); err != nil || !info.IsDir() {
			t.Errorf("directory touched: %v", err)
		}
		if info, err := os.Lstat(api); err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Errorf("link touched: %v", err)
		}
	})
	t.Run("keep stale", func(t *testing.T) {
		dir := t.TempDir()
		writeDir(t, dir, all, yamlOpts)
		res := writeDir(t, dir, web, DirOptions{Format: FormatYAML, KeepStale: true})
		if len(res.Stale) != 3 || len(res.Pruned) != 0 || len(names(t, dir)) != 4 {
			t.Errorf("keep stale: %+v, files %v", res, names(t, dir))
		}
		// Still recorded: a later run without the flag prunes them.
		res = writeDir(t, dir, web, yamlOpts)
		if len(res.Pruned) != 3 || len(names(t, dir)) != 1 {
			t.Errorf("after keep stale: %+v, files %v", res, names(t, dir))
		}
	})
	t.Run("no manifest, nothing pruned", func(t *testing.T) {
		// A directory written before manifests existed.
		dir := t.TempDir()
		writeDir(t, dir, all, yamlOpts)
		os.Remove(filepath.Join(dir, ManifestFile))
		writeDir(t, dir, web, yamlOpts)
		if len(names(t, dir)) != 4 {
			t.Errorf("files %v", names(t, dir))
		}
	})
	t.Run("bad manifest", func(t *testing.T) {
		for _, m := range []string{
			"",
			"# netpolc manifest 2\n",
			manifestHeader + "\n" + strings.Repeat("0", 64) + "  ../escape.yaml\n",
			manifestHeader + "\n" + strings.Repeat("0", 64) + "  .netpolc.lock\n",
			manifestHeader + "\nnot a hash  x.yaml\n",
		} {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, ManifestFile), []byte(m), 0o644)
			before := listDir(t, dir)
			if _, err := WriteDir(context.Background(), dir, web, yamlOpts); err == nil || !strings.Contains(err.Error(), ManifestFile) {
				t.Errorf("manifest %q: error %v, want one naming the manifest", m, err)
			}
			sameDir(t, "directory after a bad manifest", listDir(t, dir), before)
		}
	})
}

func TestWriteDirAllOrNothing(t *testing.T) {
	prepare := func(t *testing.T) (string, []string) {
		dir := t.TempDir()
		// An earlier run: every file changes, one is pruned.
		earlier := []Object{obj("NetworkPolicy", "shop", "gone", "")}
		for _, o := range unsorted[1:] {
			earlier = append(earlier, obj(o.Kind, o.Namespace, o.Name, "earlier"))
		}
		writeDir(t, dir, earlier, yamlOpts)
		os.WriteFile(filepath.Join(dir, "shop.networkpolicy.web.yaml"), []byte("old web\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "unrelated.txt"), []byte("keep\n"), 0o644)
		return dir, listDir(t, dir)
	}
	t.Run("bad object", func(t *testing.T) {
		dir, before := prepare(t)
		objs := append([]Object{{Kind: "NetworkPolicy", Namespace: "a", Name: "nil-value"}}, unsorted...)
		if _, err := WriteDir(context.Background(), dir, objs, yamlOpts); err == nil || !strings.Contains(err.Error(), "nil-value") {
			t.Fatalf("WriteDir error = %v, want one naming the bad object", err)
		}
		sameDir(t, "directory", listDir(t, dir), before)
	})
	t.Run("target is a directory", func(t *testing.T) {
		dir, _ := prepare(t)
		os.Mkdir(filepath.Join(dir, "shop.networkpolicy.zzz.yaml"), 0o755)
		before := listDir(t, dir)
		objs := append([]Object{obj("NetworkPolicy", "shop", "zzz", "")}, unsorted...)
		if _, err := WriteDir(context.Background(), dir, objs, yamlOpts); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("WriteDir error = %v", err)
		}
		sameDir(t, "directory", listDir(t, dir), before)
	})
	t.Run("duplicate file name", func(t *testing.T) {
		dir, before := prepare(t)
		objs := append([]Object{obj("NetworkPolicy", "shop", "web", "twice")}, unsorted...)
		if _, err := WriteDir(context.Background(), dir, objs, yamlOpts); err == nil || !strings.Contains(err.Error(), "both") {
			t.Fatalf("WriteDir error = %v, want a collision", err)
		}
		sameDir(t, "directory", listDir(t, dir), before)
	})
	t.Run("unknown format", func(t *testing.T) {
		dir, before := prepare(t)
		if _, err := WriteDir(context.Background(), dir, unsorted, DirOptions{Format: "toml"}); err == nil {
			t.Fatal("WriteDir succeeded")
		}
		sameDir(t, "directory", listDir(t, dir), before)
	})
	// Cancelled (a signal) or failing before each temporary file (four
	// objects, the manifest, the journal): nothing changes and no temporary
	// file stays.
	for stage := 0; stage <= 5; stage++ {
		for _, cancel := range []bool{false, true} {
			t.Run(fmt.Sprintf("stage %d cancel %v", stage, cancel), func(t *testing.T) {
				dir, before := prepare(t)
				ctx, stop := context.WithCancel(context.Background())
				defer stop()
				opts := yamlOpts
				opts.hook = func(step string, i int) error {
					if step == "stage" && i == stage {
						if cancel {
							stop()
						} else {
							return errors.New("injected failure")
						}
					}
					return nil
				}
				res, err := WriteDir(ctx, dir, unsorted, opts)
				if err == nil || res.Committed {
					t.Fatalf("WriteDir = %+v, %v; want an error before the commit point", res, err)
				}
				if cancel != errors.Is(err, context.Canceled) {
					t.Errorf("error %v", err)
				}
				sameDir(t, "directory", listDir(t, dir), before)
			})
		}
	}
}

// TestWriteDirCrashDuringApply stops the apply phase at each of its steps,
// as a crash would, and checks that the next write completes the journal
// first: the directory then holds exactly the interrupted write's output,
// and the next write's after that.
func TestWriteDirCrashDuringApply(t *testing.T) {
	// a is the starting point; b, the interrupted write, adds two files,
	// replaces one and prunes two; c is the next write.
	a := unsorted[1:]
	b := []Object{
		obj("NetworkPolicy", "shop", "new", ""),
		obj("NetworkPolicy", "shop", "web", "changed"),
		obj("CiliumClusterwideNetworkPolicy", "", "deny-metadata", "changed"),
	}
	c := []Object{obj("NetworkPolicy", "shop", "web", "third"), obj("NetworkPolicy", "x", "y", "")}

	reference := func(objs ...[]Object) []string {
		dir := t.TempDir()
		unrelated(t, dir)
		for _, o := range objs {
			writeDir(t, dir, o, yamlOpts)
		}
		return listDir(t, dir)
	}
	afterB, afterC := reference(a, b), reference(a, b, c)

	// Count the steps: renames, deletions, the journal's removal.
	var steps []string
	{
		dir := t.TempDir()
		writeDir(t, dir, a, yamlOpts)
		opts := yamlOpts
		opts.hook = func(step string, i int) error {
			if step != "stage" {
				steps = append(steps, fmt.Sprintf("%s %d", step, i))
			}
			return nil
		}
		writeDir(t, dir, b, opts)
	}
	if len(steps) != 4+2+1 { // new, web, deny-metadata, manifest; two deletions; the journal
		t.Fatalf("steps %v", steps)
	}
	for crashAt, step := range steps {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			check := unrelated(t, dir)
			writeDir(t, dir, a, yamlOpts)
			opts := yamlOpts
			n := 0
			crash := func(s string, i int) error {
				if s == "stage" {
					return nil
				}
				if n++; n-1 == crashAt {
					return errors.New("crash")
				}
				return nil
			}
			opts.hook = crash
			res, err := WriteDir(context.Background(), dir, b, opts)
			if err == nil || !res.Committed {
				t.Fatalf("WriteDir = %+v, %v; want a crash after the commit point", res, err)
			}
			if _, err := os.Stat(filepath.Join(dir, JournalFile)); err != nil {
				t.Fatalf("no journal after a crash: %v", err)
			}
			// Recovery crashing again at the same step, then completing.
			n = 0
			if _, err := recoverJournal(dir, crash); err == nil && crashAt < len(steps) {
				t.Fatalf("recovery did not crash")
			}
			if ok, err := recoverJournal(dir, nil); !ok || err != nil {
				t.Fatalf("recoverJournal = %v, %v", ok, err)
			}
			sameDir(t, "after recovery", listDir(t, dir), afterB)
			check()

			// The same crash, then the next write recovers before
			// writing its own.
			dir = t.TempDir()
			check = unrelated(t, dir)
			writeDir(t, dir, a, yamlOpts)
			n = 0
			WriteDir(context.Background(), dir, b, opts)
			res = writeDir(t, dir, c, yamlOpts)
			if !res.Recovered {
				t.Errorf("next write did not report a recovery")
			}
			sameDir(t, "after the next write", listDir(t, dir), afterC)
			check()
		})
	}
}

func TestWriteDirBadJournal(t *testing.T) {
	zero := strings.Repeat("0", 64)
	for _, j := range []string{
		"",
		journalHeader + "\nrename .netpolc-new-1 x.yaml\n",                   // no end: never written this way
		journalHeader + "\nrename x.yaml y.yaml\n" + journalEnd + "\n",       // not a temporary file
		journalHeader + "\nrename .netpolc-new-1 ../y\n" + journalEnd + "\n", // outside
		journalHeader + "\ndelete " + zero + " ../y\n" + journalEnd + "\n",
		journalHeader + "\nchmod x.yaml\n" + journalEnd + "\n",
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, JournalFile), []byte(j), 0o644)
		before := listDir(t, dir)
		if _, err := WriteDir(context.Background(), dir, unsorted, yamlOpts); err == nil || !strings.Contains(err.Error(), JournalFile) {
			t.Errorf("journal %q: error %v, want one naming the journal", j, err)
		}
		sameDir(t, "directory", listDir(t, dir), before)
	}
}

func TestWriteDirRemovesDeadTemps(t *testing.T) {
	dir := t.TempDir()
	check := unrelated(t, dir)
	for i := range 3 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s%d", tempPrefix, i)), []byte("half"), 0o600)
	}
	os.Mkdir(filepath.Join(dir, tempPrefix+"dir"), 0o755) // not a file netpolc writes: kept
	res := writeDir(t, dir, unsorted, yamlOpts)
	if res.TempsRemoved != 3 {
		t.Errorf("removed %d temporary files, want 3", res.TempsRemoved)
	}
	for _, e := range listDir(t, dir) {
		if strings.HasPrefix(e, tempPrefix) && !strings.HasPrefix(e, tempPrefix+"dir=") {
			t.Errorf("left behind: %s", e)
		}
	}
	check()
}

func TestWriteDirLock(t *testing.T) {
	dir := t.TempDir()
	// Another process, as far as the lock is concerned: flock and
	// LockFileEx locks belong to the open file.
	other, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if ok, err := tryLock(other); !ok || err != nil {
		t.Fatalf("tryLock = %v, %v", ok, err)
	}

	var waits atomic.Int32
	opts := DirOptions{Format: FormatYAML, LockTimeout: 300 * time.Millisecond, Waiting: func(string) { waits.Add(1) }}
	start := time.Now()
	_, err = WriteDir(context.Background(), dir, unsorted, opts)
	if !errors.Is(err, ErrDirLocked) || !strings.Contains(err.Error(), "gave up after 300ms") {
		t.Errorf("error %v, want ErrDirLocked after 300ms", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("gave up after %v", d)
	}
	if waits.Load() != 1 {
		t.Errorf("Waiting called %d times, want once", waits.Load())
	}
	if len(names(t, dir)) != 0 {
		t.Errorf("wrote without the lock: %v", names(t, dir))
	}

	// Zero timeout: fails at once, without saying it waits.
	opts.LockTimeout = 0
	if _, err := WriteDir(context.Background(), dir, unsorted, opts); !errors.Is(err, ErrDirLocked) || waits.Load() != 1 {
		t.Errorf("zero timeout: %v, %d waits", err, waits.Load())
	}

	// Cancelled while waiting: unchanged, and says so.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	opts.LockTimeout = time.Minute
	if _, err := WriteDir(ctx, dir, unsorted, opts); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "unchanged") {
		t.Errorf("cancelled while waiting: %v", err)
	}

	// Released while waiting: the write goes ahead.
	go func() {
		time.Sleep(100 * time.Millisecond)
		other.Close()
	}()
	if _, err := WriteDir(context.Background(), dir, unsorted, opts); err != nil {
		t.Errorf("after the release: %v", err)
	}
	if len(names(t, dir)) != 4 {
		t.Errorf("files %v", names(t, dir))
	}
}

func TestWriteDirUnwritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write into a read-only directory; the injected failures above cover this")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if _, err := WriteDir(context.Background(), dir, unsorted, yamlOpts); err == nil {
		t.Fatal("WriteDir succeeded in a read-only directory")
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("left behind: %q", got)
	}
}
