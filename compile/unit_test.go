package compile

import (
	"strings"
	"testing"

	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/diag"
)

func TestParsePrefix(t *testing.T) {
	for _, tc := range []struct {
		in, want, code, suggestion string
	}{
		{in: "10.0.0.0/8", want: "10.0.0.0/8"},
		{in: "10.1.2.3", want: "10.1.2.3/32"},
		{in: "2001:db8::/32", want: "2001:db8::/32"},
		{in: "2001:db8::1", code: string(CodeBadCIDR), suggestion: "2001:db8::1/128"},
		{in: "10.0.0.1/8", code: string(CodeNonCanonicalCIDR), suggestion: "10.0.0.0/8"},
		{in: "2001:db8::1/32", code: string(CodeNonCanonicalCIDR), suggestion: "2001:db8::/32"},
		{in: "::ffff:10.0.0.0/104", code: string(CodeBadCIDR)},
		{in: "fe80::1%eth0", code: string(CodeBadCIDR)},
		{in: "nonsense", code: string(CodeBadCIDR)},
	} {
		var d diag.List
		p, ok := parsePrefix(&d, ast.String{Value: tc.in})
		if tc.code == "" {
			if !ok || len(d) != 0 || p.String() != tc.want {
				t.Errorf("parsePrefix(%q) = %v, %v, %v; want %s", tc.in, p, ok, d, tc.want)
			}
			continue
		}
		if ok || len(d) != 1 || string(d[0].Code) != tc.code || d[0].Suggestion != tc.suggestion {
			t.Errorf("parsePrefix(%q): ok=%v diags=%+v; want code %s suggestion %q", tc.in, ok, d, tc.code, tc.suggestion)
		}
	}
}

func TestFQDNProblem(t *testing.T) {
	for in, want := range map[string]string{
		"api.example.com":              "",
		"api.example.com.":             "",
		"*.example.com":                "",
		"**.example.com":               "",
		"*":                            "",
		"a*b.example.com":              "",
		"_srv._tcp.example.com":        "",
		"":                             "empty name",
		".example.com":                 "empty label",
		"a.**.com":                     "prefix",
		"**":                           "prefix",
		"***.example.com":              "prefix",
		"exa mple.com":                 "not allowed",
		strings.Repeat("a.", 128) + "": "longer than 255",
	} {
		got := fqdnProblem(in)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("fqdnProblem(%q) = %q, want %q", in, got, want)
		}
	}
}
