package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// forgedName is a file name that, printed as it is, would add a diagnostic
// line of its own to the output.
const forgedName = "a.netpol\nforged.netpol:1:1: error[x]: forged"

// noForgedLine fails when a line of out starts with the forged part.
func noForgedLine(t *testing.T, what, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "forged.netpol") {
			t.Errorf("%s: forged line %q in\n%s", what, line, out)
		}
	}
}

// TestControlCharactersInFileNames: every place the CLI prints a file name
// quotes one holding a newline, so that it cannot forge a line.
func TestControlCharactersInFileNames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, forgedName)
	quoted := strconv.Quote(path)
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Skipf("cannot create a file with a newline in its name here: %v", err)
		}
	}

	t.Run("diagnostics", func(t *testing.T) {
		write("namespace shop\nweb = {app: web\n")
		r := runApp(t, "", "check", path)
		if r.code != exitInput || !strings.HasPrefix(r.stderr, quoted+":2:") {
			t.Errorf("check:\n%s", r)
		}
		noForgedLine(t, "check", r.stderr)
	})
	t.Run("fmt -l and -d", func(t *testing.T) {
		write(messy)
		r := runApp(t, "", "fmt", "-l", path)
		if r.code != exitOK || r.stdout != quoted+"\n" {
			t.Errorf("fmt -l:\n%s", r)
		}
		r = runApp(t, "", "fmt", "-d", path)
		if r.code != exitOK || !strings.HasPrefix(r.stdout, "--- "+strconv.Quote(path+".orig")+"\n+++ "+quoted+"\n") {
			t.Errorf("fmt -d:\n%s", r)
		}
		noForgedLine(t, "fmt -d", r.stdout)
	})
	t.Run("unreadable", func(t *testing.T) {
		missing := filepath.Join(dir, "gone\nforged.netpol:1:1: error[x]: forged")
		r := runApp(t, "", "check", missing)
		if r.code != exitUsage || !strings.HasPrefix(r.stderr, "netpolc: "+strconv.Quote(missing)+": no such file or directory\n") {
			t.Errorf("check:\n%s", r)
		}
		noForgedLine(t, "check", r.stderr)
	})
	t.Run("world file", func(t *testing.T) {
		missing := filepath.Join(dir, "world\nforged.netpol:1:1: error[x]: forged")
		r := runApp(t, "", "check", "--world", missing, good)
		if r.code != exitUsage || !strings.HasPrefix(r.stderr, "netpolc: --world: "+strconv.Quote(missing)+": no such file or directory\n") {
			t.Errorf("check --world:\n%s", r)
		}
		noForgedLine(t, "check --world", r.stderr)
	})
	t.Run("source annotation", func(t *testing.T) {
		write("namespace shop\ndefault deny\nallow dns\nweb = {app: web}\ndb = {app: db}\nweb -> db:5432/tcp\n")
		r := runApp(t, "", "compile", "-t", "k8s", path)
		if r.code != exitOK {
			t.Fatalf("compile:\n%s", r)
		}
		noForgedLine(t, "compile", r.stdout)
		docs := strings.Split(r.stdout, "\n---\n")
		var np networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict([]byte(docs[0]), &np); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		got := np.Annotations["netpolc.io/source"]
		if lines, ok := strings.CutPrefix(got, quoted+":"); !ok || strings.Trim(lines, "0123456789,") != "" {
			t.Errorf("annotation %q, want %s:LINES", got, quoted)
		}
	})
}
