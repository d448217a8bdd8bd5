// Package source holds netpolc source files and the positions and spans that
// every later stage (diagnostics, AST, IR, backends) uses to point back at the
// text a user wrote. It imports nothing else of netpolc.
package source

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// File is one source file: its name as given on the command line (or "-" for
// standard input) and its content.
//
// A UTF-8 byte order mark (BOM) at the very start of the content is not part
// of the text: Start is then 3, the first line starts after it, and
// columns of the first line count from there, as editors show them.
// Offsets still count every byte of Content.
type File struct {
	Name    string
	Content []byte
	lines   []int // byte offset of the start of each line; lines[0] == Start()
}

// BOM is the UTF-8 encoding of U+FEFF, the byte order mark.
const BOM = "\uFEFF"

// NewFile returns a File for name with the given content.
func NewFile(name string, content []byte) *File {
	start := 0
	if bytes.HasPrefix(content, []byte(BOM)) {
		start = len(BOM)
	}
	// Counted first: a world of megabytes has hundreds of thousands of
	// lines, and growing the slice would copy them again and again.
	lines := make([]int, 1, 1+bytes.Count(content, []byte{'\n'}))
	lines[0] = start
	for i := 0; ; {
		j := bytes.IndexByte(content[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		lines = append(lines, i)
	}
	return &File{Name: name, Content: content, lines: lines}
}

// Start is the offset of the text: 3 after a byte order mark, else 0.
func (f *File) Start() int { return f.lines[0] }

// LineCount is the number of lines in the file (a final line without a
// newline counts).
func (f *File) LineCount() int { return len(f.lines) }

// Pos converts a byte offset into a Pos. Offsets before Start or past the
// end are clamped.
func (f *File) Pos(offset int) Pos {
	if offset < f.lines[0] {
		offset = f.lines[0]
	}
	if offset > len(f.Content) {
		offset = len(f.Content)
	}
	line := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > offset }) // first line starting after offset
	return Pos{Offset: offset, Line: line, Col: offset - f.lines[line-1] + 1}
}

// Line returns the text of the 1-based line n without its line terminator,
// or "" if n is out of range.
func (f *File) Line(n int) string {
	if n < 1 || n > len(f.lines) {
		return ""
	}
	start := f.lines[n-1]
	end := len(f.Content)
	if n < len(f.lines) {
		end = f.lines[n] - 1
	}
	return strings.TrimSuffix(string(f.Content[start:end]), "\r")
}

// Span returns the span of the byte range [start, end) in f.
func (f *File) Span(start, end int) Span {
	return Span{File: f.Name, Start: f.Pos(start), End: f.Pos(end)}
}

// Pos is a position in a file.
type Pos struct {
	Offset int // 0-based byte offset
	Line   int // 1-based; 0 if unknown
	Col    int // 1-based byte column; 0 if unknown
}

// IsValid reports whether p is a known position.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Span is a half-open range [Start, End) of one file. The zero Span means
// "no source" (for example an object made by a default, not by a statement).
type Span struct {
	File  string // file name as in File.Name; "" if unknown
	Start Pos
	End   Pos // exclusive; equal to Start for an empty span
}

// IsValid reports whether s points into a file.
func (s Span) IsValid() bool { return s.Start.IsValid() }

// String formats s as "file:line:col" (the start), the form editors jump to.
func (s Span) String() string {
	if !s.IsValid() {
		if s.File != "" {
			return s.File
		}
		return "-"
	}
	return fmt.Sprintf("%s:%d:%d", s.File, s.Start.Line, s.Start.Col)
}

// Join returns the smallest span covering a and b. An invalid span is
// ignored; spans of different files return a.
func Join(a, b Span) Span {
	switch {
	case !a.IsValid():
		return b
	case !b.IsValid() || a.File != b.File:
		return a
	}
	if b.Start.Offset < a.Start.Offset {
		a.Start = b.Start
	}
	if b.End.Offset > a.End.Offset {
		a.End = b.End
	}
	return a
}

// Less orders spans by file name, then start offset, then end offset.
func Less(a, b Span) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Start.Offset != b.Start.Offset {
		return a.Start.Offset < b.Start.Offset
	}
	return a.End.Offset < b.End.Offset
}

// Set is the set of files of one run, looked up by name (used by renderers to
// print the source line under a diagnostic).
type Set struct {
	files map[string]*File
	order []*File
}

// NewSet returns a Set holding files.
func NewSet(files ...*File) *Set {
	s := &Set{files: map[string]*File{}}
	for _, f := range files {
		s.Add(f)
	}
	return s
}

// Add adds f to the set, replacing a file of the same name.
func (s *Set) Add(f *File) {
	if _, ok := s.files[f.Name]; !ok {
		s.order = append(s.order, f)
	} else {
		for i, g := range s.order {
			if g.Name == f.Name {
				s.order[i] = f
			}
		}
	}
	s.files[f.Name] = f
}

// File returns the file called name, or nil.
func (s *Set) File(name string) *File {
	if s == nil {
		return nil
	}
	return s.files[name]
}

// Files returns the files in the order they were added.
func (s *Set) Files() []*File {
	if s == nil {
		return nil
	}
	return s.order
}
