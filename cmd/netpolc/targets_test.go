package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/backends"
)

// TestTargetsShowsCapabilities reads the table "netpolc targets" prints back
// into data and compares it with what the registered backends declare: the
// targets and their descriptions, one row per feature any of them
// declares, each cell's support and the note it points to.
func TestTargetsShowsCapabilities(t *testing.T) {
	reg, err := newRegistry()
	if err != nil {
		t.Fatal(err)
	}
	r := runApp(t, "", "targets")
	if r.code != exitOK {
		t.Fatalf("targets: %s", r)
	}
	head, rest, _ := strings.Cut(r.stdout, "\n\n")
	table, notesText, _ := strings.Cut(rest, "\n\n")

	// The targets and their descriptions.
	descriptions := map[string]string{}
	var names []string
	for _, line := range strings.Split(head, "\n") {
		m := regexp.MustCompile(`^(\S+) {2,}(.+)$`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("targets line %q is not NAME  DESCRIPTION", line)
		}
		names = append(names, m[1])
		descriptions[m[1]] = m[2]
	}
	if !slices.Equal(names, reg.Names()) {
		t.Fatalf("targets lists %v, registered %v", names, reg.Names())
	}

	notes := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(notesText, "\n"), "\n") {
		n, note, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("note %q", line)
		}
		notes[n] = note
	}

	// The table, as target -> feature -> capability.
	got := map[string]backends.Capabilities{}
	rows := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if header := strings.Fields(rows[0]); !slices.Equal(header, append([]string{"FEATURE"}, names...)) {
		t.Fatalf("table header %v", header)
	}
	cellRE := regexp.MustCompile(`(yes|partial|no)(?: (\[\d+\]))?`)
	for _, row := range rows[1:] {
		feature, cellsText, _ := strings.Cut(row, " ")
		cells := cellRE.FindAllStringSubmatch(cellsText, -1)
		if len(cells) != len(names) {
			t.Fatalf("row %q has %d cells, want %d", row, len(cells), len(names))
		}
		for i, c := range cells {
			capability := backends.Capability{Support: backends.Support(c[1])}
			if c[2] != "" {
				note, ok := notes[c[2]]
				prefix := names[i] + ", " + feature + ": "
				if !ok || !strings.HasPrefix(note, prefix) {
					t.Errorf("note %s of %s/%s is %q, want it to start %q", c[2], names[i], feature, note, prefix)
				}
				capability.Note = strings.TrimPrefix(note, prefix)
			}
			if got[names[i]] == nil {
				got[names[i]] = backends.Capabilities{}
			}
			got[names[i]][backends.Feature(feature)] = capability
		}
	}

	// What the backends declare: every feature one of them lists, absent
	// from the others' data meaning "no".
	features := map[backends.Feature]bool{}
	for _, name := range reg.Names() {
		b, _ := reg.Lookup(name)
		for f := range b.Capabilities() {
			features[f] = true
		}
	}
	for _, name := range reg.Names() {
		b, _ := reg.Lookup(name)
		if descriptions[name] != b.Description() {
			t.Errorf("%s: description %q, declared %q", name, descriptions[name], b.Description())
		}
		declared := b.Capabilities()
		for f := range features {
			want := declared[f]
			if want.Support == "" {
				want.Support = backends.No
			}
			if g, ok := got[name][f]; !ok || g != want {
				t.Errorf("%s, %s: targets shows %+v, the backend declares %+v", name, f, g, want)
			}
		}
		if len(got[name]) != len(features) {
			t.Errorf("%s: %d rows, want one per declared feature (%d)", name, len(got[name]), len(features))
		}
	}
}

// TestHints compiles a program that uses every feature for every target and
// checks each "unsupported" error against the backends' data and their own
// output: the targets it names ("use --target X or Y") are other registered
// targets whose capabilities include every feature of the error and that
// report no error on that line when compiling the program themselves; a
// target with those capabilities that is not named does report one there.
// Every feature a target lacks is reported (so the program keeps using all
// of them).
func TestHints(t *testing.T) {
	reg, err := newRegistry()
	if err != nil {
		t.Fatal(err)
	}
	errRE := regexp.MustCompile(`^(\S+):(\d+):\d+: error\[unsupported\]: target (\S+) cannot express .* \(([a-z0-9, -]+)\)(?:; use --target (.+))?$`)
	blockLineRE := regexp.MustCompile(`block\.netpol:(\d+):\d+: error\[`)
	// The program's blocks (lines from a "namespace" or "clusterwide"
	// header to the next), and whether a target compiles the lines [lo,
	// hi) of a block: compiling that block alone (the other lines blank,
	// so that positions stay), it reports no error there.
	data, err := os.ReadFile("testdata/every-feature.netpol")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	blockOf := func(n int) (int, int) { // 1-based line -> its block [start, end)
		start, end := 1, len(lines)+1
		for i, l := range lines {
			if strings.HasPrefix(l, "namespace ") || strings.HasPrefix(l, "clusterwide") {
				if i+1 <= n {
					start = i + 1
				} else {
					end = i + 1
					break
				}
			}
		}
		return start, end
	}
	dir := t.TempDir()
	compiles := func(target string, lo, hi int) bool {
		start, end := blockOf(lo)
		alone := make([]string, len(lines))
		copy(alone[start-1:end-1], lines[start-1:end-1])
		path := filepath.Join(dir, "block.netpol")
		if err := os.WriteFile(path, []byte(strings.Join(alone, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runApp(t, "", "compile", "--target", target, path)
		for _, l := range strings.Split(r.stderr, "\n") {
			if m := blockLineRE.FindStringSubmatch(l); m != nil {
				if n, _ := strconv.Atoi(m[1]); n >= lo && n < hi {
					return false
				}
			}
		}
		return true
	}
	hinted := 0
	for _, name := range reg.Names() {
		target, _ := reg.Lookup(name)
		r := runApp(t, "", "compile", "--target", name, "testdata/every-feature.netpol")
		reported := map[backends.Feature]bool{}
		for _, line := range strings.Split(r.stderr, "\n") {
			if !strings.Contains(line, "error[unsupported]") {
				continue
			}
			m := errRE.FindStringSubmatch(line)
			if m == nil || m[3] != name {
				t.Errorf("--target %s: unexpected error line %q", name, line)
				continue
			}
			at, _ := strconv.Atoi(m[2])
			var feats []backends.Feature
			for _, f := range strings.Split(m[4], ", ") {
				feats = append(feats, backends.Feature(f))
				reported[backends.Feature(f)] = true
				if target.Capabilities().Supports(backends.Feature(f)) {
					t.Errorf("--target %s: %q reports %s, which the target declares", name, line, f)
				}
			}
			// A policy-level error (features of a whole block) concerns
			// the whole block; a rule's, its line.
			lo, hi := at, at+1
			if slices.ContainsFunc(feats, func(f backends.Feature) bool {
				return f == backends.FeatureClusterWide || f == backends.FeatureNodeSubject || f == backends.FeatureOrdered
			}) {
				lo, hi = blockOf(at)
			}
			var want []string
			for _, other := range reg.Names() {
				o, _ := reg.Lookup(other)
				if other != name && supportsAll(o.Capabilities(), feats) && compiles(other, lo, hi) {
					want = append(want, other)
				}
			}
			var named []string
			if m[5] != "" {
				named = strings.Split(m[5], " or ")
				hinted++
			}
			if !slices.Equal(named, want) {
				t.Errorf("--target %s: %q names %v, want the targets that express %v and compile line %d: %v", name, line, named, feats, at, want)
			}
		}
		for f := range target.Capabilities() {
			if !target.Capabilities().Supports(f) && !reported[f] {
				t.Errorf("--target %s: nothing reports %s; testdata/every-feature.netpol should use it", name, f)
			}
		}
		if r.code == exitUsage {
			t.Errorf("--target %s: %s", name, r)
		}
	}
	if hinted == 0 {
		t.Error("no error names another target")
	}
}

func supportsAll(caps backends.Capabilities, feats []backends.Feature) bool {
	for _, f := range feats {
		if !caps.Supports(f) {
			return false
		}
	}
	return true
}
