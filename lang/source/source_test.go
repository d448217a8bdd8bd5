package source

import "testing"

func TestPosAndLine(t *testing.T) {
	f := NewFile("a.netpol", []byte("ab\r\ncd\n\nxyz"))
	tests := []struct {
		offset, line, col int
	}{
		{0, 1, 1}, {1, 1, 2}, {3, 1, 4}, {4, 2, 1}, {6, 2, 3}, {7, 3, 1}, {8, 4, 1}, {10, 4, 3},
		{11, 4, 4},  // end of file
		{-5, 1, 1},  // clamped
		{100, 4, 4}, // clamped
	}
	for _, tt := range tests {
		p := f.Pos(tt.offset)
		if p.Line != tt.line || p.Col != tt.col {
			t.Errorf("Pos(%d) = %d:%d, want %d:%d", tt.offset, p.Line, p.Col, tt.line, tt.col)
		}
	}
	if f.LineCount() != 4 {
		t.Errorf("LineCount = %d, want 4", f.LineCount())
	}
	for n, want := range map[int]string{0: "", 1: "ab", 2: "cd", 3: "", 4: "xyz", 5: ""} {
		if got := f.Line(n); got != want {
			t.Errorf("Line(%d) = %q, want %q (no line terminator, no CR)", n, got, want)
		}
	}
}

func TestSpan(t *testing.T) {
	f := NewFile("a.netpol", []byte("web -> db:80\nx -> y:1\n"))
	a, b := f.Span(7, 9), f.Span(13, 14)
	if got := a.String(); got != "a.netpol:1:8" {
		t.Errorf("String = %q", got)
	}
	j := Join(a, b)
	if j.Start != a.Start || j.End != b.End {
		t.Errorf("Join = %+v", j)
	}
	if Join(Span{}, b) != b || Join(a, Span{}) != a {
		t.Error("Join must ignore invalid spans")
	}
	if other := (Span{File: "b.netpol", Start: Pos{1, 1, 2}, End: Pos{2, 1, 3}}); Join(a, other) != a {
		t.Error("Join of different files must return the first")
	}
	if !Less(a, b) || Less(b, a) || !Less(Span{File: "a"}, Span{File: "b"}) {
		t.Error("Less orders by file, then offset")
	}
	if (Span{}).String() != "-" || (Span{File: "w.yaml"}).String() != "w.yaml" {
		t.Error("String of spans without a position")
	}
}

func TestSet(t *testing.T) {
	a, b := NewFile("a", nil), NewFile("b", nil)
	s := NewSet(a, b)
	a2 := NewFile("a", []byte("new"))
	s.Add(a2)
	if s.File("a") != a2 || s.File("b") != b || s.File("c") != nil {
		t.Error("File lookup")
	}
	if fs := s.Files(); len(fs) != 2 || fs[0] != a2 || fs[1] != b {
		t.Errorf("Files keeps insertion order and replaces in place: %v", fs)
	}
	var nilSet *Set
	if nilSet.File("a") != nil || nilSet.Files() != nil {
		t.Error("a nil Set is empty")
	}
}

func TestByteOrderMark(t *testing.T) {
	f := NewFile("a.netpol", []byte(BOM+"ab\ncd"))
	if f.Start() != 3 || f.Line(1) != "ab" || f.Line(2) != "cd" {
		t.Errorf("Start = %d, lines %q %q", f.Start(), f.Line(1), f.Line(2))
	}
	for offset, want := range map[int]Pos{0: {3, 1, 1}, 3: {3, 1, 1}, 4: {4, 1, 2}, 6: {6, 2, 1}} {
		if got := f.Pos(offset); got != want {
			t.Errorf("Pos(%d) = %+v, want %+v", offset, got, want)
		}
	}
	// Only at the very start.
	g := NewFile("b.netpol", []byte("ab"+BOM))
	if g.Start() != 0 || g.Line(1) != "ab"+BOM {
		t.Errorf("Start = %d, line %q", g.Start(), g.Line(1))
	}
}
