package main

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/compile"
	"github.com/netpolc/netpolc/lang/source"
)

// zeros is an endless standard input.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestInputTooLarge: a source larger than compile.MaxSourceSize, or a
// manifest larger than compile.MaxManifestSize, even an endless one, fails
// at once, as a usage error naming it.
func TestInputTooLarge(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.netpol")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# comment\n"), compile.MaxSourceSize/10+1), 0o644); err != nil {
		t.Fatal(err)
	}
	atMost := filepath.Join(t.TempDir(), "ok.netpol")
	if err := os.WriteFile(atMost, bytes.Repeat([]byte("#"), compile.MaxSourceSize), 0o644); err != nil {
		t.Fatal(err)
	}
	// Manifests (worlds, policies to import) may be larger than sources,
	// up to compile.MaxManifestSize: a world of comments past the source
	// limit is read, one past the manifest limit is not.
	bigWorld := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(bigWorld, bytes.Repeat([]byte("# comment\n"), compile.MaxManifestSize/10+1), 0o644); err != nil {
		t.Fatal(err)
	}
	padded := filepath.Join(t.TempDir(), "padded.yaml")
	if err := os.WriteFile(padded, append([]byte("externals:\n- ip: 8.8.8.8\n"), bytes.Repeat([]byte("# comment\n"), compile.MaxSourceSize/10+1)...), 0o644); err != nil {
		t.Fatal(err)
	}
	const msg = ": larger than 16 MiB, the most netpolc reads from one file\n"
	const manifestMsg = ": larger than 64 MiB, the most netpolc reads from one manifest\n"
	tests := []struct {
		name string
		args []string
		want string // standard error, "" for success
	}{
		{"file", []string{"check", big}, "netpolc: " + big + msg},
		{"fmt", []string{"fmt", big}, "netpolc: " + big + msg},
		{"world file", []string{"check", "--world", bigWorld, good}, "netpolc: --world: " + bigWorld + manifestMsg},
		{"world file past the source limit", []string{"check", "--world", padded, good}, ""},
		{"manifest", []string{"matrix", bigWorld}, "netpolc: " + bigWorld + manifestMsg},
		{"manifest on stdin", []string{"matrix", "-"}, "netpolc: standard input is larger than 64 MiB"},
		{"at most the limit", []string{"check", atMost}, ""},
		{"stdin", []string{"check", "-"}, "netpolc: -: standard input is" + strings.TrimPrefix(msg, ":")},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		tests = append(tests, struct {
			name string
			args []string
			want string
		}{"/dev/zero", []string{"check", "/dev/zero"}, "netpolc: /dev/zero" + msg})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"netpolc"}, tt.args...), zeros{}, &stdout, &stderr)
			if tt.want == "" {
				if code != exitOK || stderr.Len() > 0 {
					t.Fatalf("exit %d\n%s", code, stderr.String())
				}
				return
			}
			if code != exitUsage || !strings.HasPrefix(stderr.String(), tt.want) || stdout.Len() > 0 {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and stderr starting with\n%s", code, stderr.String(), exitUsage, tt.want)
			}
		})
	}
}

// TestRandomBytes: check of 10 MB of random bytes reports the first bad
// statements and says where it stopped (its speed is BenchmarkParseRandom's
// business).
func TestRandomBytes(t *testing.T) {
	b := make([]byte, 10<<20)
	rand.New(rand.NewSource(1)).Read(b)
	path := filepath.Join(t.TempDir(), "random.netpol")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runApp(t, "", "--diagnostics", "json", "check", path)
	var diags []struct{ Code, Message string }
	if err := json.Unmarshal([]byte(r.stderr), &diags); err != nil || r.code != exitInput {
		t.Fatalf("exit %d, %v:\n%.500s", r.code, err, r.stderr)
	}
	if len(diags) != 41 || diags[40].Code != "too-many-errors" || !strings.HasPrefix(diags[40].Message, "parsing stopped after 40 bad statements; the remaining ") {
		t.Errorf("%d diagnostics, the last %+v", len(diags), diags[len(diags)-1])
	}
}

// TestByteOrderMark: check accepts a file starting with a byte order mark
// and reports columns of its first line as an editor shows them; fmt drops
// the mark, as gofmt does, so fmt -l lists the file.
func TestByteOrderMark(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.netpol")
	bad := filepath.Join(dir, "bad.netpol")
	if err := os.WriteFile(good, []byte(source.BOM+"namespace shop\nweb = {app: web}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(source.BOM+"namespace shop extra\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runApp(t, "", "check", good); r.code != exitOK || r.stderr != "" {
		t.Errorf("check: %v", r)
	}
	if r := runApp(t, "", "check", bad); r.code != exitInput || !strings.HasPrefix(r.stderr, bad+":1:16: error[syntax]") {
		t.Errorf("check: %v", r)
	}
	if r := runApp(t, "", "fmt", good); r.code != exitOK || r.stdout != "namespace shop\nweb = {app: web}\n" {
		t.Errorf("fmt: %v", r)
	}
	if r := runApp(t, "", "fmt", "-l", good); r.code != exitOK || r.stdout != good+"\n" {
		t.Errorf("fmt -l: %v", r)
	}
}
