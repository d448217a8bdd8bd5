//go:build unix

package main

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netpolc/netpolc/backends"
)

// TestOutputDirTransactional runs compile -o as a real process and kills it
// at random moments, with SIGINT or SIGTERM (caught: the run stops cleanly
// or, past its commit point, finishes its renames) and SIGKILL (not caught: a journal may
// stay for the next run), alternating two programs whose outputs share some
// file names and differ in content; then runs both programs at once on one
// directory. After every step the directory must hold exactly one program's
// complete output (compared byte for byte with a clean run into a directory
// of its own), the unrelated files as they were, and no temporary file
// (except after a SIGKILL, until the next run).
//
// NETPOLC_KILL_ROUNDS sets the number of kills (default 12, about 15 s;
// more for a longer hunt) and of concurrent pairs (a third of it, at least
// 4).
func TestOutputDirTransactional(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dozens of processes")
	}
	rounds := 12
	if s := os.Getenv("NETPOLC_KILL_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("NETPOLC_KILL_ROUNDS=%q", s)
		}
		rounds = n
	}
	base := scratchDir(t)
	bin := filepath.Join(base, "netpolc")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// Two programs: A with groups 0-899, B with 450-1349 (other ports), so
	// 450 file names are shared with different content and 450 are each
	// program's own; about 900 objects each.
	progs := map[string]string{"A": program(0, 900, 80), "B": program(450, 900, 8080)}
	refs := map[string]map[string]string{}
	var clean time.Duration
	for name, src := range progs {
		path := filepath.Join(base, name+".netpol")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		progs[name] = path
		ref := filepath.Join(base, "ref-"+name)
		start := time.Now()
		if out, err := exec.Command(bin, "compile", "-t", "k8s", "-o", ref, path).CombinedOutput(); err != nil {
			t.Fatalf("reference run %s: %v\n%s", name, err, out)
		}
		if d := time.Since(start); clean == 0 || d < clean {
			clean = d
		}
		refs[name] = readDirState(t, ref)
		if len(refs[name]) < 900 {
			t.Fatalf("reference %s: %d files", name, len(refs[name]))
		}
	}

	dir := filepath.Join(base, "out")
	os.Mkdir(dir, 0o755)
	checkUnrelated := unrelatedFiles(t, dir)
	other := map[string]string{"A": "B", "B": "A"}

	// state says which program's output dir holds, checking that it is
	// complete and alone; temps allows the temporary files a SIGKILL leaves.
	state := func(what string, temps bool) string {
		t.Helper()
		checkUnrelated()
		got := readDirState(t, dir)
		for name, ref := range refs {
			if sameState(got, ref, temps) {
				return name
			}
		}
		t.Fatalf("%s: the directory holds neither output: %s", what, describeState(got, refs))
		return ""
	}
	run := func(prog string) *exec.Cmd {
		cmd := exec.Command(bin, "compile", "-t", "k8s", "-o", dir, progs[prog])
		cmd.Stderr = new(syncBuffer)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}

	if out, err := exec.Command(bin, "compile", "-t", "k8s", "-o", dir, progs["A"]).CombinedOutput(); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	cur := state("after the first run", false)

	var counts struct {
		intBefore, intAfter, intUncaught, intLate  int // SIGINT: stopped before the commit point, after it, not caught (before or after the handler), after the exit
		killBefore, killApply, killAfter, killLate int // SIGKILL: before the commit point, during the apply (journal left), after the apply, after the exit
		recovered, watched                         int
	}
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	journal := filepath.Join(dir, backends.JournalFile)
	for i := range rounds {
		prog := other[cur]
		sig := []syscall.Signal{syscall.SIGINT, syscall.SIGKILL, syscall.SIGTERM, syscall.SIGKILL}[i%4]
		// One kill in three waits for the commit point (the journal
		// appears) to land in the apply phase; the others come at a
		// random moment of a run's duration.
		watch := i%3 == 2
		tempsBefore := map[string]bool{}
		for name := range readDirState(t, dir) {
			tempsBefore[name] = strings.HasPrefix(name, ".netpolc-new-")
		}
		cmd, started := run(prog), time.Now()
		if watch {
			counts.watched++
			deadline := time.Now().Add(10 * clean)
			for time.Now().Before(deadline) {
				if _, err := os.Lstat(journal); err == nil {
					break
				}
				time.Sleep(50 * time.Microsecond)
			}
			time.Sleep(time.Duration(rng.IntN(2000)) * time.Microsecond)
		} else {
			time.Sleep(time.Duration(rng.Int64N(int64(clean))))
		}
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		stderr := cmd.Stderr.(*syncBuffer).String()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		code := cmd.ProcessState.ExitCode()
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if code == 0 {
			clean = time.Since(started) // the kill came late: aim earlier
		}
		what := fmt.Sprintf("round %d (%s, %v, exit %d, killed %v)\n%s", i, prog, sig, code, ws.Signaled(), stderr)
		_, jerr := os.Lstat(journal)
		hasJournal := jerr == nil

		switch {
		case sig == syscall.SIGKILL && hasJournal:
			counts.killApply++
			// A mix until the next run; which completes it first.
			next := run(other[prog])
			if err := next.Wait(); err != nil || !strings.Contains(next.Stderr.(*syncBuffer).String(), "output-recovered") {
				t.Fatalf("%s\nthe run after it: %v\n%s", what, err, next.Stderr)
			}
			counts.recovered++
			cur = state(what+"\nafter the recovering run", false)
			if cur != other[prog] {
				t.Fatalf("%s: the recovering run of %s left %s", what, other[prog], cur)
			}
			continue
		case hasJournal:
			t.Fatalf("%s: journal left behind", what)
		case sig == syscall.SIGKILL:
			now := state(what, true)
			switch {
			case code == 0:
				counts.killLate++
			case now == prog:
				counts.killAfter++ // after the apply, before the exit
			default:
				counts.killBefore++
			}
			if code == 0 && now != prog {
				t.Fatalf("%s: exit 0 but holds %s", what, now)
			}
			cur = now
		default:
			now := state(what, true)
			for name := range readDirState(t, dir) {
				if strings.HasPrefix(name, ".netpolc-new-") && !tempsBefore[name] {
					t.Fatalf("%s: left a temporary file %s", what, name)
				}
			}
			want := ""
			switch {
			case code == 0:
				counts.intLate++
				want = prog
			case ws.Signaled():
				// Before the handler was installed, or after it was
				// removed: the old or the new output.
				counts.intUncaught++
			case code != 128+int(sig):
				t.Fatalf("%s: want exit %d", what, 128+int(sig))
			case strings.Contains(stderr, dir+" unchanged"):
				counts.intBefore++
				want = cur
			case strings.Contains(stderr, "holds the new output"):
				counts.intAfter++
				want = prog
			default:
				t.Fatalf("%s: unexpected message", what)
			}
			if want != "" && now != want {
				t.Fatalf("%s: holds %s, want %s", what, now, want)
			}
			cur = now
		}
	}
	// The temporary files of SIGKILLed runs go with the next run.
	if out, err := exec.Command(bin, "compile", "-t", "k8s", "-o", dir, progs[other[cur]]).CombinedOutput(); err != nil {
		t.Fatalf("run after the kills: %v\n%s", err, out)
	}
	cur = state("after the kills", false)

	// Two runs at once: the lock serializes them, both succeed, and the
	// directory holds the output of one (the later). Every other pair
	// starts while the test holds the lock, so that both wait and then
	// race for it when it is released: one always waits for the other.
	pairs, waited := max(rounds/3, 4), 0
	for i := range pairs {
		gated := i%2 == 0
		var gate *os.File
		if gated {
			var err error
			if gate, err = os.OpenFile(filepath.Join(dir, backends.LockFile), os.O_RDONLY, 0); err != nil {
				t.Fatal(err)
			}
			if err := unix.Flock(int(gate.Fd()), unix.LOCK_EX); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		cmds := []*exec.Cmd{run("A"), run("B")}
		errs := make([]error, 2)
		for j, c := range cmds {
			wg.Add(1)
			go func() { defer wg.Done(); errs[j] = c.Wait() }()
		}
		if gated {
			deadline := time.Now().Add(time.Minute)
			for !strings.Contains(cmds[0].Stderr.(*syncBuffer).String(), "waiting up to") || !strings.Contains(cmds[1].Stderr.(*syncBuffer).String(), "waiting up to") {
				if time.Now().After(deadline) {
					t.Fatalf("concurrent pair %d: the runs do not wait for the lock", i)
				}
				time.Sleep(5 * time.Millisecond)
			}
			gate.Close()
		}
		wg.Wait()
		for j, c := range cmds {
			stderr := c.Stderr.(*syncBuffer).String()
			if errs[j] != nil {
				t.Fatalf("concurrent pair %d, run %d: %v\n%s", i, j, errs[j], stderr)
			}
			if strings.Contains(stderr, "waiting up to") {
				waited++
			}
		}
		state(fmt.Sprintf("concurrent pair %d", i), false)
	}
	t.Logf("SIGINT/SIGTERM: %d before the commit point (exit 130/143, unchanged), %d after it (exit 130/143, new output), %d not caught (no handler yet or any more), %d after the exit",
		counts.intBefore, counts.intAfter, counts.intUncaught, counts.intLate)
	t.Logf("SIGKILL: %d before the commit point, %d during the apply (journal completed by the next run: %d), %d after the apply, %d after the exit",
		counts.killBefore, counts.killApply, counts.recovered, counts.killAfter, counts.killLate)
	t.Logf("%d of %d kills waited for the journal; %d concurrent pairs (%d started while the lock was held), %d of their runs waited for the lock",
		counts.watched, rounds, pairs, (pairs+1)/2, waited)
}

// program returns a program of n groups g<from>..., each allowed to reach
// the next on port, in namespace shop: one NetworkPolicy per group and one
// for the whole namespace.
func program(from, n, port int) string {
	var b strings.Builder
	b.WriteString("namespace shop\ndefault deny\nallow dns\n\n")
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "g%d = {app: g%d}\n", i, i)
	}
	for i := from; i < from+n-1; i++ {
		fmt.Fprintf(&b, "g%d -> g%d:%d/tcp\n", i, i+1, port)
	}
	return b.String()
}

// scratchDir is a temporary directory, in memory when /dev/shm is there: the
// test is about what a process sees, not about disks, and fsync on a disk
// would make it minutes long.
func scratchDir(t *testing.T) string {
	t.Helper()
	if info, err := os.Stat("/dev/shm"); err == nil && info.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "netpolc-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// readDirState returns name -> content of the files netpolc wrote in dir,
// the manifest and any temporary file or journal included; not the lock
// and not the unrelated files.
func readDirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if e.Name() == backends.LockFile || unrelatedNames[e.Name()] {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// sameState reports whether got is ref, ignoring temporary files when temps.
func sameState(got, ref map[string]string, temps bool) bool {
	n := 0
	for name, content := range got {
		if temps && strings.HasPrefix(name, ".netpolc-new-") {
			continue
		}
		if r, ok := ref[name]; !ok || r != content {
			return false
		}
		n++
	}
	return n == len(ref)
}

// describeState says how got differs from each reference.
func describeState(got map[string]string, refs map[string]map[string]string) string {
	var b strings.Builder
	for _, name := range []string{"A", "B"} {
		var same, differ, missing, extra int
		for f, c := range refs[name] {
			switch g, ok := got[f]; {
			case !ok:
				missing++
			case g == c:
				same++
			default:
				differ++
			}
		}
		var extras []string
		for f := range got {
			if _, ok := refs[name][f]; !ok {
				extra++
				extras = append(extras, f)
			}
		}
		sort.Strings(extras)
		if len(extras) > 5 {
			extras = extras[:5]
		}
		fmt.Fprintf(&b, "\n%s: %d same, %d differ, %d missing, %d extra %v", name, same, differ, missing, extra, extras)
	}
	return b.String()
}

var unrelatedNames = map[string]bool{"notes.txt": true, "README.md": true, "hand-written.yaml": true}

// unrelatedFiles writes files netpolc never wrote into dir, with an odd mode
// and an old modification time, and returns a check that they are as they
// were.
func unrelatedFiles(t *testing.T, dir string) func() {
	t.Helper()
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	for name := range unrelatedNames {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("mine: "+name+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		t.Helper()
		for name := range unrelatedNames {
			info, err := os.Lstat(filepath.Join(dir, name))
			b, _ := os.ReadFile(filepath.Join(dir, name))
			if err != nil || string(b) != "mine: "+name+"\n" || info.Mode() != 0o600 || !info.ModTime().Equal(old) {
				t.Fatalf("unrelated file %s changed: %v %q", name, err, b)
			}
		}
	}
}

func TestOutputDirFlags(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	for _, args := range [][]string{
		{"--keep-stale", good},
		{"--lock-timeout", "1s", good},
		{"-o", dir, "--lock-timeout", "-1s", good},
	} {
		r := runApp(t, "", append([]string{"compile", "-t", "k8s"}, args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "lock-timeout") && !strings.Contains(r.stderr, "keep-stale") {
			t.Errorf("compile %v: want a usage error\n%s", args, r)
		}
	}

	// Pruning: a smaller program removes what netpolc wrote before and no
	// longer produces; an edited file stays, with a warning each time.
	if r := runApp(t, "", "compile", "-t", "k8s", "-o", dir, good); r.code != exitOK {
		t.Fatalf("first run\n%s", r)
	}
	edited := filepath.Join(dir, "shop.networkpolicy.db.yaml")
	os.WriteFile(edited, []byte("# edited\n"), 0o644)
	smaller := "namespace shop\ndefault deny\nallow dns\n"
	for _, flags := range [][]string{{"--keep-stale"}, nil, nil} {
		r := runApp(t, smaller, append(append([]string{"compile", "-t", "k8s", "-o", dir}, flags...), "-")...)
		if r.code != exitOK {
			t.Fatalf("%v\n%s", flags, r)
		}
		_, err := os.Stat(filepath.Join(dir, "shop.networkpolicy.web.yaml"))
		if flags == nil && (!errors.Is(err, os.ErrNotExist) || !strings.Contains(r.stderr, edited+": warning[output-edited]")) {
			t.Errorf("not pruned or no warning (%v)\n%s", err, r)
		}
		if flags != nil && (err != nil || r.stderr != "") {
			t.Errorf("--keep-stale pruned (%v) or warned\n%s", err, r)
		}
		if b, _ := os.ReadFile(edited); string(b) != "# edited\n" {
			t.Errorf("edited file changed: %q", b)
		}
	}

	// Another process holds the lock: wait, then fail with exit 3.
	lock, err := os.OpenFile(filepath.Join(dir, backends.LockFile), os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	r := runApp(t, "", "compile", "-t", "k8s", "-o", dir, "--lock-timeout", "200ms", good)
	if r.code != exitInternal || !strings.Contains(r.stderr, "waiting up to 200ms") || !strings.Contains(r.stderr, "locked by another process") || !strings.Contains(r.stderr, "--lock-timeout 200ms") {
		t.Errorf("want a wait, then exit 3\n%s", r)
	}
	r = runApp(t, "", "--diagnostics", "json", "compile", "-t", "k8s", "-o", dir, "--lock-timeout", "0", good)
	if r.code != exitInternal || strings.Contains(r.stderr, "waiting") {
		t.Errorf("JSON mode, --lock-timeout 0: want exit 3 and no progress message\n%s", r)
	}
}

// syncBuffer is a bytes.Buffer that a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
