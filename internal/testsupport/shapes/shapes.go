// Package shapes generates netpolc programs of the shapes whose growth the
// benchmarks measure (docs/design.md, section 9): one server with many
// clients (Hub, HubAllPorts), groups all to all (Mesh), many namespaces (Namespaces), a
// long chain of groups (Chain), and the mixed program of the targets'
// benchmarks (Generated). Each is a function of its size alone, so that a
// benchmark can compare a size with its double, and every program compiles
// without errors or warnings except where a generator says otherwise.
//
// It needs only lang/source; the compiler's own tests may use it.
package shapes

import (
	"fmt"
	"math/rand"
	"strings"

	"github.com/netpolc/netpolc/lang/source"
)

// Hub is one server and n client groups in one namespace, each client
// with an arrow to the server on port 80: n arrows, all into one ingress
// policy.
func Hub(n int) []*source.File { return hub(n, "80/tcp") }

// HubAllPorts is Hub with arrows to every port of the server ("c -> server:*"),
// the ports the lint's check for reply rules looks at.
func HubAllPorts(n int) []*source.File { return hub(n, "*") }

func hub(n int, port string) []*source.File {
	var b strings.Builder
	b.WriteString("namespace shop\nallow dns\nserver = {app: server}\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "c%d = {app: c%d}\n", i, i)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "c%d -> server:%s\n", i, port)
	}
	return []*source.File{source.NewFile("hub.netpol", []byte(b.String()))}
}

// Mesh is n groups in one namespace, each with an arrow to every other:
// n*(n-1) arrows. Doubling the input of a mesh means doubling its arrows,
// that is n grown by a factor of about 1.41 (MeshGroups).
func Mesh(n int) []*source.File {
	var b strings.Builder
	b.WriteString("namespace shop\nallow dns\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "g%d = {app: g%d}\n", i, i)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i != j {
				fmt.Fprintf(&b, "g%d -> g%d:%d/tcp\n", i, j, 8000+j)
			}
		}
	}
	return []*source.File{source.NewFile("mesh.netpol", []byte(b.String()))}
}

// MeshGroups returns the number of groups of the mesh with at least arrows
// arrows.
func MeshGroups(arrows int) int {
	n := 2
	for n*(n-1) < arrows {
		n++
	}
	return n
}

// Namespaces is n namespaces, one file each, each with a default deny, a
// web and a db group (webI, dbI: group names are the program's), an arrow
// from web to db, and an arrow from web to the next namespace's web: 2n
// arrows. The DNS server's namespace is governed and isolated too, so that
// every "allow dns" also writes the server's end: one policy with a rule
// per namespace. Its file sorts last, so that its policies come after all
// the others.
func Namespaces(n int) []*source.File {
	files := []*source.File{source.NewFile("zz-kube-system.netpol", []byte("namespace kube-system\ndefault deny\nallow dns\n"))}
	for i := 0; i < n; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "namespace ns%d\ndefault deny\nallow dns\nweb%d = {app: web}\ndb%d = {app: db}\n", i, i, i)
		fmt.Fprintf(&b, "web%d -> db%d:5432/tcp\n", i, i)
		fmt.Fprintf(&b, "web%d -> ns%d/{app: web}:443/tcp\n", i, (i+1)%n)
		files = append(files, source.NewFile(fmt.Sprintf("ns%d.netpol", i), []byte(b.String())))
	}
	return files
}

// Chain is n groups, each the previous one (g2 = g1, ..., gN = g(N-1)),
// and one arrow using the last.
func Chain(n int) []*source.File {
	return []*source.File{source.NewFile("chain.netpol", ChainSource(n))}
}

// ChainSource is the text of Chain(n).
func ChainSource(n int) []byte {
	var b strings.Builder
	b.WriteString("namespace shop\nallow dns\ng1 = {app: a}\n")
	for i := 2; i <= n; i++ {
		fmt.Fprintf(&b, "g%d = g%d\n", i, i-1)
	}
	fmt.Fprintf(&b, "g%d -> g1:80/tcp\n", n)
	return []byte(b.String())
}

// Generated is the targets' benchmark program (backendtest.BenchSource, for
// BenchmarkRatio):
// arrows arrows over arrows/10 groups in 50 namespaces (one file per
// namespace), a quarter of them across namespaces, ports drawn from a
// fixed list, from a fixed seed.
func Generated(arrows int) []*source.File {
	const namespaces = 50
	groups := arrows / 10
	perNS := (groups + namespaces - 1) / namespaces
	r := rand.New(rand.NewSource(1))
	ports := []string{"80", "443", "5432", "8080", "9090/udp", "8000-8100", "metrics", "53/any"}
	var files []*source.File
	for ns := 0; ns < namespaces; ns++ {
		var b strings.Builder
		fmt.Fprintf(&b, "namespace ns%d\n", ns)
		if ns%5 == 0 {
			b.WriteString("default deny\nallow dns\n")
		}
		for g := 0; g < perNS; g++ {
			fmt.Fprintf(&b, "g%d_%d = {app: app%d, tier: t%d}\n", ns, g, g, ns%3)
		}
		for a := 0; a < arrows/namespaces; a++ {
			src := fmt.Sprintf("g%d_%d", ns, r.Intn(perNS))
			var dst string
			if r.Intn(4) == 0 {
				other := r.Intn(namespaces)
				dst = fmt.Sprintf("ns%d/{app: app%d}", other, r.Intn(perNS))
			} else {
				dst = fmt.Sprintf("g%d_%d", ns, r.Intn(perNS))
			}
			fmt.Fprintf(&b, "%s -> %s:%s\n", src, dst, ports[r.Intn(len(ports))])
		}
		files = append(files, source.NewFile(fmt.Sprintf("ns%d.netpol", ns), []byte(b.String())))
	}
	return files
}
