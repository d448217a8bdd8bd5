//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFmtWriteThroughSymlink: fmt -w on a symbolic link rewrites the file
// it points to (through a chain of links) and leaves the links alone.
func TestFmtWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real", "policy.netpol")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte(messy), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.netpol")
	if err := os.Symlink(filepath.Join("real", "policy.netpol"), link); err != nil {
		t.Fatal(err)
	}
	chain := filepath.Join(dir, "chain.netpol")
	if err := os.Symlink("link.netpol", chain); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(real)

	r := runApp(t, "", "fmt", "-w", chain)
	if r.code != exitOK || r.stdout != "" || r.stderr != "" {
		t.Fatalf("fmt -w:\n%s", r)
	}
	for _, l := range []struct{ path, target string }{{link, filepath.Join("real", "policy.netpol")}, {chain, "link.netpol"}} {
		info, err := os.Lstat(l.path)
		if err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("%s is no longer a symbolic link (%v, %v)", l.path, info.Mode(), err)
		}
		if got, _ := os.Readlink(l.path); got != l.target {
			t.Errorf("%s points to %q, want %q", l.path, got, l.target)
		}
	}
	if got := readFile(t, real); got != canonical {
		t.Errorf("the target was not formatted:\n%s", got)
	}
	after, _ := os.Stat(real)
	if after.Mode() != before.Mode() {
		t.Errorf("mode %v, want %v", after.Mode(), before.Mode())
	}
	// No temporary file is left behind, next to the link or the target.
	for _, d := range []string{dir, filepath.Dir(real)} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".netpolc-") {
				t.Errorf("left behind: %s", filepath.Join(d, e.Name()))
			}
		}
	}
}

// TestFmtWriteKeepsHardLinks: a file with two names is rewritten in place;
// both names show the new content and are still the same file.
func TestFmtWriteKeepsHardLinks(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.netpol"), filepath.Join(dir, "b.netpol")
	if err := os.WriteFile(a, []byte(messy), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(a, b); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(a)

	r := runApp(t, "", "fmt", "-w", a)
	if r.code != exitOK || r.stdout != "" || r.stderr != "" {
		t.Fatalf("fmt -w:\n%s", r)
	}
	if readFile(t, a) != canonical || readFile(t, b) != canonical {
		t.Errorf("after fmt -w:\n%s\n---\n%s", readFile(t, a), readFile(t, b))
	}
	ia, _ := os.Stat(a)
	ib, _ := os.Stat(b)
	if !os.SameFile(ia, ib) || !os.SameFile(ia, before) {
		t.Errorf("the names are no longer the same file")
	}
	if n := ia.Sys().(*syscall.Stat_t).Nlink; n != 2 {
		t.Errorf("%d links, want 2", n)
	}
	if ia.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", ia.Mode())
	}
}

// TestFmtWriteKeepsMode: the mode survives the atomic replacement,
// executable and setgid bits included.
func TestFmtWriteKeepsMode(t *testing.T) {
	for _, mode := range []os.FileMode{0o600, 0o755, 0o444, 0o640 | os.ModeSetgid} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "p.netpol")
			if err := os.WriteFile(p, []byte(messy), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, mode); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Stat(p)
			if before.Mode() != mode {
				t.Skipf("the file system keeps %v for %v", before.Mode(), mode)
			}
			r := runApp(t, "", "fmt", "-w", p)
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("fmt -w:\n%s", r)
			}
			after, _ := os.Stat(p)
			if after.Mode() != mode {
				t.Errorf("mode %v, want %v", after.Mode(), mode)
			}
			if readFile(t, p) != canonical {
				t.Errorf("not formatted:\n%s", readFile(t, p))
			}
			if os.SameFile(before, after) {
				t.Errorf("a file with one name was not replaced atomically (same inode)")
			}
		})
	}
}

// TestFmtWriteUnchanged: a file already in canonical form is not written
// at all (same inode, same modification time), even through a link.
func TestFmtWriteUnchanged(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tidy.netpol")
	if err := os.WriteFile(p, []byte(canonical), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("tidy.netpol", filepath.Join(dir, "link.netpol")); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(p)
	r := runApp(t, "", "fmt", "-w", dir)
	if r.code != exitOK || r.stdout != "" || r.stderr != "" {
		t.Fatalf("fmt -w:\n%s", r)
	}
	after, _ := os.Stat(p)
	if !os.SameFile(before, after) || !after.ModTime().Equal(old) {
		t.Errorf("an unchanged file was rewritten")
	}
}

// TestFmtWriteDanglingSymlink: a link to a missing file fails clearly, as
// a usage error naming the link, and creates nothing.
func TestFmtWriteDanglingSymlink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "gone.netpol")
	if err := os.Symlink("missing.netpol", link); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{link, dir} {
		r := runApp(t, "", "fmt", "-w", arg)
		want := "netpolc: " + link + ": broken symbolic link (its target does not exist)\n"
		if r.code != exitUsage || !strings.HasPrefix(r.stderr, want) {
			t.Errorf("fmt -w %s: got\n%s\nwant exit 2 and %q", arg, r, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "missing.netpol")); err == nil {
		t.Errorf("fmt -w created the link's target")
	}
}

// TestRewriteFileDanglingSymlink: rewriteFile itself refuses a link whose
// target disappeared after the sources were read.
func TestRewriteFileDanglingSymlink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "gone.netpol")
	if err := os.Symlink("missing.netpol", link); err != nil {
		t.Fatal(err)
	}
	err := rewriteFile(link, []byte(canonical))
	if err == nil || err.Error() != link+": broken symbolic link (its target does not exist)" {
		t.Errorf("rewriteFile: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "missing.netpol")); err == nil {
		t.Errorf("rewriteFile created the link's target")
	}
}

// TestRewriteFileReadOnlyDir: in a directory it cannot write, rewriteFile
// writes the (writable) file in place.
func TestRewriteFileReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "p.netpol")
	if err := os.WriteFile(p, []byte(messy), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	before, _ := os.Stat(p)
	if err := rewriteFile(p, []byte(canonical)); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(p)
	if readFile(t, p) != canonical || !os.SameFile(before, after) {
		t.Errorf("not rewritten in place:\n%s", readFile(t, p))
	}
}
