package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	messy     = "namespace shop\nweb={app:web}\ndatabase = {app: db}\n\n\nweb->database:5432/tcp   # the only flow\n"
	canonical = "namespace shop\nweb      = {app: web}\ndatabase = {app: db}\n\nweb -> database:5432/tcp # the only flow\n"
	broken    = "namespace shop\nweb = {app: web\n"
)

// fmtDir writes the fmt test files into a new directory.
func fmtDir(t *testing.T) (dir, messyPath, canonicalPath string) {
	t.Helper()
	dir = t.TempDir()
	messyPath, canonicalPath = filepath.Join(dir, "messy.netpol"), filepath.Join(dir, "tidy.netpol")
	if err := os.WriteFile(messyPath, []byte(messy), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(canonicalPath, []byte(canonical), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, messyPath, canonicalPath
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFmt(t *testing.T) {
	t.Run("stdout", func(t *testing.T) {
		dir, m, _ := fmtDir(t)
		r := runApp(t, "", "fmt", dir)
		if r.code != exitOK || r.stderr != "" || r.stdout != canonical+canonical {
			t.Errorf("fmt DIR:\n%s", r)
		}
		if readFile(t, m) != messy {
			t.Errorf("fmt without -w changed the file")
		}
	})
	t.Run("stdin", func(t *testing.T) {
		r := runApp(t, messy, "fmt", "-")
		if r.code != exitOK || r.stdout != canonical {
			t.Errorf("fmt -:\n%s", r)
		}
		if r := runApp(t, messy, "fmt", "-l", "-"); r.stdout != "-\n" {
			t.Errorf("fmt -l -:\n%s", r)
		}
	})
	t.Run("-l", func(t *testing.T) {
		dir, m, _ := fmtDir(t)
		r := runApp(t, "", "fmt", "-l", dir)
		if r.code != exitOK || r.stdout != m+"\n" || r.stderr != "" {
			t.Errorf("fmt -l:\n%s", r)
		}
		if readFile(t, m) != messy {
			t.Errorf("fmt -l changed the file")
		}
	})
	t.Run("-w", func(t *testing.T) {
		dir, m, c := fmtDir(t)
		before, _ := os.Stat(c)
		r := runApp(t, "", "fmt", "-w", dir)
		if r.code != exitOK || r.stdout != "" || r.stderr != "" {
			t.Errorf("fmt -w:\n%s", r)
		}
		if got := readFile(t, m); got != canonical {
			t.Errorf("after fmt -w:\n%s", got)
		}
		if info, _ := os.Stat(m); info.Mode().Perm() != 0o640 {
			t.Errorf("fmt -w changed the mode to %v", info.Mode())
		}
		if after, _ := os.Stat(c); !after.ModTime().Equal(before.ModTime()) {
			t.Errorf("fmt -w rewrote a file that was already formatted")
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 2 {
			t.Errorf("fmt -w left files behind: %v", entries)
		}
		if r := runApp(t, "", "fmt", "-l", dir); r.stdout != "" {
			t.Errorf("fmt -l after fmt -w lists %q", r.stdout)
		}
	})
	t.Run("-d", func(t *testing.T) {
		dir, m, _ := fmtDir(t)
		r := runApp(t, "", "fmt", "-d", dir)
		want := "--- " + m + ".orig\n+++ " + m + `
@@ -1,6 +1,5 @@
 namespace shop
-web={app:web}
+web      = {app: web}
 database = {app: db}
 
-
-web->database:5432/tcp   # the only flow
+web -> database:5432/tcp # the only flow
`
		if r.code != exitOK || r.stdout != want {
			t.Errorf("fmt -d:\n%s\nwant:\n%s", r, want)
		}
	})
	t.Run("-l -w", func(t *testing.T) {
		_, m, c := fmtDir(t)
		r := runApp(t, "", "fmt", "-l", "-w", m, c)
		if r.code != exitOK || r.stdout != m+"\n" || readFile(t, m) != canonical {
			t.Errorf("fmt -l -w:\n%s", r)
		}
	})
	t.Run("syntax errors", func(t *testing.T) {
		dir, m, _ := fmtDir(t)
		bad := filepath.Join(dir, "broken.netpol")
		os.WriteFile(bad, []byte(broken), 0o644)
		for _, flags := range [][]string{nil, {"-l"}, {"-d"}} {
			r := runApp(t, "", append(append([]string{"fmt"}, flags...), dir)...)
			if r.code != exitInput || r.stdout != "" || !strings.HasPrefix(r.stderr, bad+":2:7: error[syntax]") {
				t.Errorf("fmt %v with a broken file:\n%s", flags, r)
			}
		}
		// -w still formats the files it can, and leaves the broken one.
		r := runApp(t, "", "fmt", "-w", dir)
		if r.code != exitInput || readFile(t, m) != canonical || readFile(t, bad) != broken {
			t.Errorf("fmt -w with a broken file:\n%s", r)
		}
	})
}
