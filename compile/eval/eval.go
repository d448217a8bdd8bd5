// Package eval decides flows on the intent IR: given a world of namespaces,
// pods and external addresses, is a connection allowed, and which rules
// decide it?
package eval

// World is the set of endpoints flows are evaluated over.
type World struct{}
