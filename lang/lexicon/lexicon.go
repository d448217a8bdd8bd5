// Package lexicon is the one table of the language's words: its keywords
// (docs/language.md section 1) and the names of its entities (section 4.4).
// The parser, the formatter, the compiler (reserved names, suggestions) and
// the IR's entity set all take them from here, and a test checks the table
// against the language reference. It imports nothing, so every layer may use
// it.
package lexicon

import "slices"

// Kind is where a keyword has its meaning.
type Kind uint8

// Kinds of keywords.
const (
	// Statement keywords start a statement of their own.
	Statement Kind = iota + 1
	// Modifier keywords may open a rule ("deny ingress nonisolating a ->
	// b") and so start a statement too.
	Modifier
	// PeerForm keywords introduce a form of peer: ns{...}, node{...},
	// service(...), entity(...).
	PeerForm
	// Block is the keyword of an HTTP block, "http {".
	Block
	// Inner keywords have a meaning only inside a statement, where the
	// grammar expects them.
	Inner
	// HTTPWord keywords have a meaning inside an HTTP rule: host, header.
	HTTPWord
	// Protocol keywords name the protocol of a port after "/".
	Protocol
	// ICMP keywords name an ICMP family in place of a port.
	ICMP
)

// Keyword is one word of the language with a fixed meaning.
type Keyword struct {
	Word string
	Kind Kind
	// Reserved words cannot name a group. Namespaces and labels may still
	// be called anything.
	Reserved bool
}

// keywords is the table, in the order of docs/language.md section 1.
// Suggestions for a misspelt word take the first of equally near words, so
// the order within a kind matters.
var keywords = []Keyword{
	{"namespace", Statement, true},
	{"clusterwide", Statement, true},
	{"default", Statement, true},
	{"isolate", Statement, true},
	{"allow", Statement, true},
	{"dns", Statement, true},
	{"expect", Statement, true},
	{"deny", Modifier, true},
	{"pass", Modifier, true},
	{"ingress", Modifier, true},
	{"egress", Modifier, true},
	{"nonisolating", Modifier, true},
	{"ns", PeerForm, true},
	{"node", PeerForm, true},
	{"service", PeerForm, true},
	{"entity", PeerForm, true},
	{"except", Inner, true},
	{"http", Block, true},
	{"priority", Inner, false},
	{"for", Inner, false},
	{"lookups", Inner, false},
	{"server", Inner, false},
	{"allowed", Inner, false},
	{"denied", Inner, false},
	{"in", Inner, false},
	{"notin", Inner, false},
	{"host", HTTPWord, false},
	{"header", HTTPWord, false},
	{"tcp", Protocol, false},
	{"udp", Protocol, false},
	{"sctp", Protocol, false},
	{"any", Protocol, false},
	{"icmp", ICMP, false},
	{"icmpv6", ICMP, false},
}

// Keywords returns the table of keywords, in its order.
func Keywords() []Keyword { return slices.Clone(keywords) }

// Words returns the keywords of the given kinds, in table order.
func Words(kinds ...Kind) []string {
	var out []string
	for _, k := range keywords {
		if slices.Contains(kinds, k.Kind) {
			out = append(out, k.Word)
		}
	}
	return out
}

// ReservedWords returns the keywords that cannot name a group, in table
// order.
func ReservedWords() []string {
	var out []string
	for _, k := range keywords {
		if k.Reserved {
			out = append(out, k.Word)
		}
	}
	return out
}

// IsKeyword reports whether s is a keyword of one of the given kinds (of any
// kind when none is given). Case matters.
func IsKeyword(s string, kinds ...Kind) bool {
	for _, k := range keywords {
		if k.Word == s && (len(kinds) == 0 || slices.Contains(kinds, k.Kind)) {
			return true
		}
	}
	return false
}

// IsReserved reports whether s cannot name a group: a reserved keyword or an
// entity written by name alone.
func IsReserved(s string) bool { return reserved[s] }

// reserved and bare index the tables for the parser and the compiler, which
// ask once per name of a program. They are never written after this.
var (
	reserved = func() map[string]bool {
		m := map[string]bool{}
		for _, k := range keywords {
			if k.Reserved {
				m[k.Word] = true
			}
		}
		for _, e := range entities {
			if e.bare {
				m[e.name] = true
			}
		}
		return m
	}()
	bare = func() map[string]bool {
		m := map[string]bool{}
		for _, e := range entities {
			if e.bare {
				m[e.name] = true
			}
		}
		return m
	}()
)

// The entity names, as Cilium names its reserved identities.
const (
	EntityWorld         = "world"
	EntityWorldIPv4     = "world-ipv4"
	EntityWorldIPv6     = "world-ipv6"
	EntityCluster       = "cluster"
	EntityClusterMesh   = "cluster-mesh"
	EntityHost          = "host"
	EntityRemoteNode    = "remote-node"
	EntityKubeAPIServer = "kube-apiserver"
	EntityIngress       = "ingress"
	EntityInit          = "init"
	EntityHealth        = "health"
	EntityUnmanaged     = "unmanaged"
	EntityNone          = "none"
	EntityAll           = "all"
)

// entity is one row of the entity table.
type entity struct {
	name string
	// bare entities are written by name alone ("web -> world:443"); the
	// others only as entity(NAME) ("ingress" is a keyword, and "none" would
	// read as a group).
	bare bool
}

// entities is the table, sorted by name.
var entities = []entity{
	{EntityAll, true},
	{EntityCluster, true},
	{EntityClusterMesh, true},
	{EntityHealth, true},
	{EntityHost, true},
	{EntityIngress, false},
	{EntityInit, true},
	{EntityKubeAPIServer, true},
	{EntityNone, false},
	{EntityRemoteNode, true},
	{EntityUnmanaged, true},
	{EntityWorld, true},
	{EntityWorldIPv4, true},
	{EntityWorldIPv6, true},
}

// Entities returns the name of every entity, sorted: those entity(NAME)
// accepts.
func Entities() []string {
	out := make([]string, len(entities))
	for i, e := range entities {
		out[i] = e.name
	}
	return out
}

// BareEntities returns the entities written by name alone, sorted.
func BareEntities() []string {
	var out []string
	for _, e := range entities {
		if e.bare {
			out = append(out, e.name)
		}
	}
	return out
}

// IsEntity reports whether s names an entity.
func IsEntity(s string) bool {
	for _, e := range entities {
		if e.name == s {
			return true
		}
	}
	return false
}

// IsBareEntity reports whether a bare name in peer position is an entity
// rather than a group.
func IsBareEntity(s string) bool { return bare[s] }
