package main

import (
	"encoding/json"
	"testing"
)

// TestTargetOptionUsageErrors: a malformed or unknown value of a compile
// option is a usage error (exit 2), reported before any input is read, as
// one line naming the flag and what it accepts, never as a diagnostic at a
// source position ("-:").
func TestTargetOptionUsageErrors(t *testing.T) {
	const help = "\nRun 'netpolc compile --help' for usage.\n"
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"cilium version not a version", []string{"-t", "cilium", "--cilium-version", "banana"},
			`--cilium-version "banana": want MAJOR.MINOR, e.g. 1.20`},
		{"cilium version checked for every target", []string{"-t", "k8s", "--cilium-version", "banana"},
			`--cilium-version "banana": want MAJOR.MINOR, e.g. 1.20`},
		{"cilium version empty", []string{"-t", "cilium", "--cilium-version="},
			`--cilium-version "": want MAJOR.MINOR, e.g. 1.20`},
		{"cilium version too many parts", []string{"-t", "cilium", "--cilium-version", "1.20.1.1"},
			`--cilium-version "1.20.1.1": want MAJOR.MINOR, e.g. 1.20`},
		{"cilium version 2.x", []string{"-t", "cilium", "--cilium-version", "2.0"},
			`--cilium-version "2.0": only Cilium 1.x is known`},
		{"netpol-api version unknown", []string{"-t", "netpol-api", "--netpol-api-version", "v1"},
			`--netpol-api-version "v1": want one of v1alpha1, v1alpha2, v1beta1`},
		{"netpol-api version near miss", []string{"-t", "netpol-api", "--netpol-api-version", "v1alpha3"},
			`--netpol-api-version "v1alpha3": want one of v1alpha1, v1alpha2, v1beta1 (did you mean "v1alpha1"?)`},
		{"netpol-api version checked for every target", []string{"-t", "k8s", "--netpol-api-version", "v2"},
			`--netpol-api-version "v2": want one of v1alpha1, v1alpha2, v1beta1`},
		{"netpol-api version empty", []string{"-t", "netpol-api", "--netpol-api-version="},
			`--netpol-api-version "": want one of v1alpha1, v1alpha2, v1beta1`},
		{"degrade on netpol-api", []string{"-t", "netpol-api", "--degrade", "l7=l4"},
			`--degrade l7=l4: target netpol-api offers no such degradation; it offers cidr=networks, named-port=any-protocol`},
		{"cluster-cidrs not a CIDR", []string{"-t", "netpol-api", "--cluster-cidrs", "10.244.0.0/16,pods"},
			`--cluster-cidrs: "pods" is not a CIDR (e.g. 10.244.0.0/16)`},
		{"cluster-cidrs host bits", []string{"-t", "netpol-api", "--cluster-cidrs", "10.244.1.0/16"},
			`--cluster-cidrs: "10.244.1.0/16" has host bits set (write 10.244.0.0/16)`},
		{"cluster-cidrs empty", []string{"-t", "netpol-api", "--cluster-cidrs", " , "},
			`--cluster-cidrs: want at least one CIDR, e.g. 10.244.0.0/16`},
		{"degrade unknown on cilium", []string{"-t", "cilium", "--degrade", "foo=bar"},
			`--degrade foo=bar: target cilium offers no degradations (see netpolc targets)`},
		{"degrade unknown on k8s", []string{"-t", "k8s", "--degrade", "foo=bar"},
			`--degrade foo=bar: target k8s offers no such degradation; it offers l7=l4`},
		{"degrade unknown mode", []string{"-t", "k8s", "--degrade", "l7=bogus"},
			`--degrade l7=bogus: target k8s offers no such degradation; it offers l7=l4`},
		{"degrade near miss", []string{"-t", "k8s", "--degrade", "l7=l5"},
			`--degrade l7=l5: target k8s offers no such degradation (did you mean "l7=l4"?); it offers l7=l4`},
		{"degrade feature for another target", []string{"-t", "k8s", "--degrade", "fqdn=cidr"},
			`--degrade fqdn=cidr: target k8s offers no such degradation; it offers l7=l4`},
		{"degrade empty", []string{"-t", "k8s", "--degrade="},
			`--degrade "": want FEATURE=MODE, e.g. l7=l4`},
		{"degrade without mode", []string{"-t", "k8s", "--degrade", "l7="},
			`--degrade "l7=": want FEATURE=MODE, e.g. l7=l4`},
		{"degrade twice", []string{"-t", "k8s", "--degrade", "l7=l4", "--degrade", "l7=l3"},
			`--degrade l7 given twice (l4 and l3)`},
		{"format", []string{"-t", "k8s", "--format", "yml"},
			`--format must be yaml or json, not "yml"`},
		{"format empty", []string{"-t", "k8s", "--format="},
			`--format must be yaml or json, not ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The source is never read: a missing file would be another
			// usage error, with another message.
			args := append(append([]string{"compile"}, tt.args...), "testdata/nope.netpol")
			r := runApp(t, "", args...)
			if r.code != exitUsage || r.stdout != "" || r.stderr != "netpolc: "+tt.msg+help {
				t.Errorf("got\n%s\nwant exit 2 and %q", r, "netpolc: "+tt.msg+help)
			}

			// In JSON mode: one usage diagnostic without a position.
			r = runApp(t, "", append([]string{"--diagnostics", "json"}, args...)...)
			var diags []map[string]any
			if err := json.Unmarshal([]byte(r.stderr), &diags); err != nil {
				t.Fatalf("%v\n%s", err, r)
			}
			if r.code != exitUsage || len(diags) != 1 || diags[0]["code"] != "usage" || diags[0]["message"] != tt.msg || diags[0]["file"] != nil {
				t.Errorf("JSON: got\n%s", r)
			}
		})
	}
}

// TestTargetOptionsAccepted: the values the targets accept still compile.
func TestTargetOptionsAccepted(t *testing.T) {
	for _, args := range [][]string{
		{"-t", "cilium", "--cilium-version", "1.19"},
		{"-t", "cilium", "--cilium-version", "v1.20.3"},
		{"-t", "k8s", "--cilium-version", "1.18"},
		{"-t", "k8s", "--degrade", "l7=l4"},
		{"-t", "k8s", "--degrade", " l7 = l4 ", "--degrade", "l7=l4"},
		{"-t", "netpol-api"},
		{"-t", "netpol-api", "--netpol-api-version", "v1alpha1"},
		{"-t", "netpol-api", "--netpol-api-version", "v1beta1"},
		{"-t", "k8s", "--netpol-api-version", "v1alpha1"},
	} {
		r := runApp(t, "", append(append([]string{"compile"}, args...), good)...)
		if r.code != exitOK || r.stdout == "" {
			t.Errorf("compile %v:\n%s", args, r)
		}
	}
}
