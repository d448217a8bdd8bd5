package format

import (
	"testing"

	"github.com/netpolc/netpolc/lang/source"
)

// TestByteOrderMark: like gofmt, fmt drops a byte order mark at the start
// of a file (the output is the same as without it).
func TestByteOrderMark(t *testing.T) {
	const src = "namespace shop\nweb   = {app: web}\n"
	want, diags := Source(source.NewFile("a.netpol", []byte(src)))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got, diags := Source(source.NewFile("b.netpol", []byte(source.BOM+src)))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if string(got) != string(want) {
		t.Errorf("with a BOM:\n%q\nwithout:\n%q", got, want)
	}
}
