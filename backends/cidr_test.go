package backends

import (
	"net/netip"
	"slices"
	"testing"
)

func TestExcepts(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string
	}{
		{nil, nil},
		{[]string{}, nil},
		{[]string{"10.1.0.0/16"}, []string{"10.1.0.0/16"}},
		// Masked, then sorted by address and length, then de-duplicated.
		{[]string{"10.2.3.4/16", "10.1.0.0/24", "10.1.0.0/16", "10.2.0.0/16"}, []string{"10.1.0.0/16", "10.1.0.0/24", "10.2.0.0/16"}},
		{[]string{"2001:db8::1/64", "10.0.0.0/8", "2001:db8::/64"}, []string{"10.0.0.0/8", "2001:db8::/64"}},
	} {
		var in []netip.Prefix
		for _, s := range tc.in {
			in = append(in, netip.MustParsePrefix(s))
		}
		orig := slices.Clone(in)
		got := Excepts(in)
		if !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("Excepts(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !slices.Equal(in, orig) {
			t.Errorf("Excepts(%q) modified its argument: %q", tc.in, in)
		}
	}
}
