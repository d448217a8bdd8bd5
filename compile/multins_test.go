package compile

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/source"
)

// location is the "  # file:line:col" that ir.Format writes after a line.
var location = regexp.MustCompile(`  # [^ ]+:[0-9]+:[0-9]+$`)

// canonicalText is ir.Format of p without source locations, with the
// rules of each policy sorted and the policies sorted: the program as a
// set. The two forms of a block of several namespaces are written at
// different places, and the IR orders policies and rules by source
// position, so only the order may differ between them.
func canonicalText(p *ir.Program) string {
	var head, expects []string
	var policies [][]string
	for _, line := range strings.Split(strings.TrimSuffix(ir.Format(p), "\n"), "\n") {
		line = location.ReplaceAllString(line, "")
		switch {
		case strings.HasPrefix(line, "policy "):
			policies = append(policies, []string{line})
		case strings.HasPrefix(line, "  ") && len(policies) > 0:
			policies[len(policies)-1] = append(policies[len(policies)-1], line)
		case strings.HasPrefix(line, "expect "):
			expects = append(expects, line)
		default:
			head = append(head, line)
		}
	}
	var blocks []string
	for _, pol := range policies {
		slices.Sort(pol[1:])
		blocks = append(blocks, strings.Join(pol, "\n"))
	}
	slices.Sort(blocks)
	slices.Sort(expects)
	return strings.Join(head, "\n") + "\n" + strings.Join(blocks, "\n") + "\n" + strings.Join(expects, "\n") + "\n"
}

// TestSeveralNamespacesAsSeparateBlocks compiles a block of several
// namespaces and the same block written once per namespace, and requires
// the same program.
func TestSeveralNamespacesAsSeparateBlocks(t *testing.T) {
	for _, tc := range []struct {
		name       string
		head       string // before the block: groups with their namespace, other blocks
		namespaces []string
		body       string
	}{
		{
			name:       "isolation, dns and rules",
			head:       "nginx = ingress-nginx/{app: nginx}\n",
			namespaces: []string{"tenant-a", "tenant-b", "tenant-c"},
			body: `default deny
allow dns
{app: web} -> {app: db}:5432
nginx -> {app: web}:[8080, 8443]
{app: web} -> shared/{app: cache}:6379
expect {app: web} -> {app: db}:5432 allowed
expect {app: db} -> {app: web}:* denied
`,
		},
		{
			name:       "across the namespaces of the block",
			namespaces: []string{"tenant-a", "tenant-b"},
			body: `{app: web} -> tenant-b/{app: db}:5432
isolate {app: batch} egress
deny {app: web} -> 169.254.169.254:*
nonisolating {} -> kube-apiserver:443
allow dns for {app: web} lookups "*.svc.cluster.local"
{app: web} -> "api.example.com":443
egress {app: web} -> 10.0.0.0/8 except 10.1.0.0/16:*
ingress * -> {app: web}:80 http {
  GET /api/.*
}
{app: db} -> {app: db}:[5432, icmp/8]
expect {app: web} -> tenant-b/{app: db}:5432 allowed
expect tenant-b/{app: web} -> tenant-a/{app: db}:5432 denied
`,
		},
		{
			name:       "groups of other blocks",
			head:       "namespace shared\ncache = {app: cache}\nclients = {role: client}\n",
			namespaces: []string{"team-x", "team-y"},
			body: `default deny ingress
clients -> {app: web}:80
{app: web} -> cache:6379
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			multi := tc.head + "namespace " + strings.Join(tc.namespaces, ", ") + "\n" + tc.body
			var sep strings.Builder
			sep.WriteString(tc.head)
			for _, ns := range tc.namespaces {
				sep.WriteString("namespace " + ns + "\n" + tc.body)
			}
			a, da := Compile([]*source.File{source.NewFile("multi.netpol", []byte(multi))}, Options{})
			b, db := Compile([]*source.File{source.NewFile("separate.netpol", []byte(sep.String()))}, Options{})
			if da.HasErrors() || db.HasErrors() || a.Program == nil || b.Program == nil {
				t.Fatalf("errors:\n%v\n%v", da, db)
			}
			if got, want := canonicalText(a.Program), canonicalText(b.Program); got != want {
				t.Errorf("block of several namespaces:\n%s\nseparate blocks:\n%s", got, want)
			}
		})
	}
}
