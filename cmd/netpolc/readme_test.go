package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestREADME keeps README.md true. It runs, in-process and in order, every
// command of the README's console blocks that starts with "$ go run
// ./cmd/netpolc" or "$ netpolc", in a directory holding the README's
// ```netpol and ```yaml files (a block whose preceding line names
// `FILE.netpol` or `FILE.yaml` and ends with ":") and a link to examples/. It checks the exit status (0, or the number in a
// trailing "# exit status N") and, where the README shows output, that
// output: standard error and standard output as a terminal shows them, with
// a final "..." line meaning "and more".
func TestREADME(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "examples"), filepath.Join(dir, "examples")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)

	commands := 0
	for _, b := range markdownBlocks(string(readme)) {
		switch b.lang {
		case "netpol", "yaml":
			m := regexp.MustCompile("`([A-Za-z0-9_.-]+\\.(?:netpol|yaml))`[^`]*:$").FindStringSubmatch(b.before)
			if m == nil {
				continue // an illustration, not a file the commands use
			}
			if err := os.WriteFile(m[1], []byte(b.text), 0o644); err != nil {
				t.Fatal(err)
			}
		case "console":
			for _, c := range consoleCommands(t, b) {
				commands++
				t.Run(c.line, func(t *testing.T) {
					var out bytes.Buffer
					code := run(append([]string{"netpolc"}, c.args...), strings.NewReader(""), &out, &out)
					if code != c.exit {
						t.Errorf("exit status %d, the README says %d; output:\n%s", code, c.exit, out.String())
					}
					if c.output == nil {
						return
					}
					want := strings.Join(c.output, "\n") + "\n"
					got := out.String()
					if c.prefix {
						want = strings.TrimSuffix(want, "...\n")
						if !strings.HasPrefix(got, want) {
							t.Errorf("output does not start as in the README\n--- got\n%s\n--- README\n%s...", got, want)
						}
					} else if got != want {
						t.Errorf("output differs from the README\n--- got\n%s\n--- README\n%s", got, want)
					}
				})
			}
		}
	}
	if commands < 5 {
		t.Errorf("only %d netpolc commands found in README.md; has its format changed?", commands)
	}
}

type mdBlock struct {
	lang   string // the fence's info string
	text   string // the content, with a final newline
	before string // the last non-blank line before the fence
	line   int    // 1-based line of the fence, for messages
}

// markdownBlocks returns the fenced code blocks of a Markdown text.
func markdownBlocks(md string) []mdBlock {
	var (
		blocks []mdBlock
		cur    *mdBlock
		last   string
	)
	for i, line := range strings.Split(md, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &mdBlock{lang: strings.TrimSpace(strings.TrimPrefix(line, "```")), before: last, line: i + 1}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		case strings.TrimSpace(line) != "":
			last = strings.TrimSpace(line)
		}
	}
	return blocks
}

type consoleCommand struct {
	line   string   // as written, without "$ "
	args   []string // the arguments after the program
	exit   int
	output []string // nil when the README shows none
	prefix bool     // output ends with "..."
}

var exitStatus = regexp.MustCompile(`\s+# exit status (\d+)$`)

// consoleCommands returns the netpolc commands of a console block with the
// output shown under each.
func consoleCommands(t *testing.T, b mdBlock) []consoleCommand {
	t.Helper()
	var cmds []consoleCommand
	var cur *consoleCommand
	for _, line := range strings.Split(strings.TrimSuffix(b.text, "\n"), "\n") {
		if cmdline, ok := strings.CutPrefix(line, "$ "); ok {
			cur = nil
			c := consoleCommand{line: cmdline}
			if m := exitStatus.FindStringSubmatch(cmdline); m != nil {
				c.exit, _ = strconv.Atoi(m[1])
				cmdline = strings.TrimSuffix(cmdline, m[0])
			}
			fields := strings.Fields(cmdline)
			switch {
			case len(fields) >= 3 && fields[0] == "go" && fields[1] == "run" && fields[2] == "./cmd/netpolc":
				c.args = fields[3:]
			case len(fields) >= 1 && fields[0] == "netpolc":
				c.args = fields[1:]
			default:
				continue // not ours to run (make test, ...)
			}
			if strings.ContainsAny(cmdline, "|<>&;'\"$`*") {
				t.Fatalf("README.md:%d: %q uses shell syntax this test cannot run; keep README commands plain", b.line, line)
			}
			cmds = append(cmds, c)
			cur = &cmds[len(cmds)-1]
			continue
		}
		if cur != nil {
			cur.output = append(cur.output, line)
			cur.prefix = line == "..."
		}
	}
	return cmds
}
