// Package ast is the syntax tree of the netpolc language. The parser builds
// it, the formatter prints it, and the compiler resolves and lowers it to the
// intent IR (compile/ir). Every node has a Span; comments are attached to
// statements (and HTTP rules) so that the formatter keeps them.
//
// The tree records what was written, not what it means: a GroupRef is a name
// that may not exist, a PortSpec may be 0 or 99999. Checks live in compile.
//
// Node kinds are small sealed interfaces (Stmt, Peer, NamespaceRef) with
// unexported marker methods, as in go/ast.
package ast

import "github.com/netpolc/netpolc/lang/source"

// Node is any syntax tree node.
type Node interface {
	Span() source.Span
}

// Pos is embedded by every node; it carries the node's span.
type Pos struct {
	Src source.Span
}

// Span returns the node's source span.
func (p Pos) Span() source.Span { return p.Src }

// Comment is one "# ..." comment; Text includes the leading '#'.
type Comment struct {
	Pos
	Text string
	// BlankAfter records an empty line between this comment and the next
	// comment of its block or the node it documents (a file header, say).
	BlankAfter bool
}

// Doc holds the comments and spacing around a statement or HTTP rule.
type Doc struct {
	BlankBefore bool      // an empty line separated this node from the previous one
	Leading     []Comment // whole-line comments right above the node
	Trailing    *Comment  // a comment at the end of the node's (last) line
}

// File is one parsed source file.
type File struct {
	Pos
	Name  string
	Stmts []Stmt
	// Tail holds comments after the last statement.
	Tail []Comment
	// TailBlankBefore records an empty line before Tail.
	TailBlankBefore bool
}

// Stmt is a top-level statement.
type Stmt interface {
	Node
	Comments() *Doc
	stmtNode()
}

// StmtBase is embedded by every statement.
type StmtBase struct {
	Pos
	Doc Doc
}

// Comments returns the statement's comments.
func (s *StmtBase) Comments() *Doc { return &s.Doc }
func (*StmtBase) stmtNode()        {}

// Ident is a name as written.
type Ident struct {
	Pos
	Name string
}

// String is a quoted or bare literal; Value is unquoted.
type String struct {
	Pos
	Value string
}

// Direction restricts a statement to one direction; DirBoth means both.
type Direction int

// Directions.
const (
	DirBoth Direction = iota
	DirIngress
	DirEgress
)

func (d Direction) String() string {
	switch d {
	case DirIngress:
		return "ingress"
	case DirEgress:
		return "egress"
	default:
		return ""
	}
}

// ----- statements -----

// NamespaceDecl is "namespace NAME" or "namespace NAME, NAME, ...": the
// following statements (until the next NamespaceDecl or ClusterDecl) govern
// namespace NAME, or each of the namespaces listed, as if the block were
// written once per namespace.
type NamespaceDecl struct {
	StmtBase
	Name Ident   // the first namespace
	More []Ident // the other namespaces of "namespace a, b, c" (b, c); nil for one
}

// Names returns every namespace of the block, in the order written.
func (s *NamespaceDecl) Names() []Ident {
	return append([]Ident{s.Name}, s.More...)
}

// ClusterDecl is "clusterwide" or "clusterwide priority N": the following
// statements are cluster-wide (Cilium's CiliumClusterwideNetworkPolicy). With
// a priority the block is ordered: its rules are admin rules tried in source
// order before every other policy, lower priorities first (ir.TierOrdered).
type ClusterDecl struct {
	StmtBase
	Priority *Number // nil for a block without "priority"
}

// Ordered reports whether the block is "clusterwide priority N".
func (s *ClusterDecl) Ordered() bool { return s.Priority != nil }

// Number is a decimal number as written ("priority 10").
type Number struct {
	Pos
	Value int // at most 1<<30 (the parser refuses larger numbers)
}

// GroupDecl is "NAME = peer, peer, ...": a named group of endpoints.
type GroupDecl struct {
	StmtBase
	Name  Ident
	Peers []Peer // at least one; a list is a union
}

// DefaultDeny is "default deny [ingress|egress]": isolate every pod of the
// current namespace (or cluster) in the given direction(s).
type DefaultDeny struct {
	StmtBase
	Dir Direction
}

// Isolate is "isolate PEERS [ingress|egress]": isolate the selected pods
// without allowing anything.
type Isolate struct {
	StmtBase
	Subjects []Peer
	Dir      Direction
}

// AllowDNS is "allow dns [for PEERS] [lookups "pat", ...]": egress from the
// subjects (every pod of the namespace when For is empty) to the cluster DNS
// server, UDP and TCP. Lookups, when present, restricts which names may be
// resolved (Cilium DNS proxy rules).
type AllowDNS struct {
	StmtBase
	For     []Peer
	Lookups []String
}

// DNSServer is "dns server PEER:PORT": the cluster DNS pods and the pod port
// they listen on (default kube-system/{k8s-app: kube-dns}:53).
type DNSServer struct {
	StmtBase
	Server Peer
	Port   PortSpec
}

// Rule is "[deny|pass] [ingress|egress] [nonisolating] SOURCES -> TARGETS
// [http {...}]".
//
// It allows (or denies) connections opened by any of Sources to any of
// Targets on the target's ports. Dir limits which end gets the rule: DirBoth
// writes egress on governed sources and ingress on governed targets. Pass
// (ordered blocks only) hands the matching connections to namespace
// policies.
type Rule struct {
	StmtBase
	Deny         bool
	Pass         bool // never together with Deny
	Dir          Direction
	NonIsolating bool // the rule adds to what is allowed without isolating its subjects
	// PassAt and NonIsolatingAt are the spans of the keywords "pass" and
	// "nonisolating"; zero when not written.
	PassAt, NonIsolatingAt source.Span
	Sources                []Peer
	Arrow                  source.Span
	Targets                []Target
	HTTP                   *HTTPBlock // nil unless "http { ... }" follows
}

// Expect is "expect FROM -> TO:PORT [http { REQUEST }] allowed|denied", a
// policy test evaluated by check and compile.
type Expect struct {
	StmtBase
	From    Peer
	To      Target
	Request *HTTPRule // an HTTP request (method, path, host, headers); nil for L4
	Allowed bool
	Verdict source.Span // span of the allowed/denied keyword
}

// BadStmt stands for a statement that did not parse; the parser has already
// reported why. The formatter prints its original text unchanged.
type BadStmt struct {
	StmtBase
	Text string
}

// ----- peers -----

// Peer is one endpoint expression.
type Peer interface {
	Node
	peerNode()
}

// GroupRef names a group declared with "NAME = ...".
type GroupRef struct {
	Pos
	Name Ident
}

// PodPeer selects pods: "{sel}" (this namespace), "NS/{sel}" or "NS/group"
// (namespace NS by name, AND the pods), "ns{sel}/{sel}" (namespaces by label
// AND pods), or "ns{sel}" alone (every pod of the matching namespaces).
type PodPeer struct {
	Pos
	Namespace NamespaceRef // nil: the namespace of the enclosing block
	Pods      *Selector    // nil when Group is set or when only a namespace was written
	Group     *Ident       // "NS/group": a pods-only group in namespace NS
}

// CIDRPeer is an IP block: "10.0.0.0/8", "0.0.0.0/0 except [10.0.0.0/8, ...]".
type CIDRPeer struct {
	Pos
	CIDR   String
	Except []String
}

// EntityPeer is a reserved entity name such as world, cluster, host,
// remote-node or kube-apiserver.
type EntityPeer struct {
	Pos
	Name string
}

// FQDNPeer is a quoted DNS name or pattern: "api.example.com",
// "*.example.com" (one label), "**.example.com" (any depth).
type FQDNPeer struct {
	Pos
	Pattern String
}

// ServicePeer is "service(NS/NAME)" or "service(NS/{sel})": the endpoints of
// Kubernetes Services (Cilium toServices).
type ServicePeer struct {
	Pos
	Namespace Ident
	Name      *Ident    // by name
	Selector  *Selector // by Service labels
}

// NodePeer is "node{sel}": cluster nodes by label (Cilium fromNodes/toNodes;
// a host policy when used as the subject of a cluster-wide rule).
type NodePeer struct {
	Pos
	Selector Selector
}

// AnyPeer is "*": any endpoint at all (pods of every namespace, nodes and
// every IP outside the cluster).
type AnyPeer struct {
	Pos
}

func (*GroupRef) peerNode()    {}
func (*PodPeer) peerNode()     {}
func (*CIDRPeer) peerNode()    {}
func (*EntityPeer) peerNode()  {}
func (*FQDNPeer) peerNode()    {}
func (*ServicePeer) peerNode() {}
func (*NodePeer) peerNode()    {}
func (*AnyPeer) peerNode()     {}

// NamespaceRef is the namespace part of a PodPeer.
type NamespaceRef interface {
	Node
	nsNode()
}

// NamespaceName is a namespace by its name ("production/").
type NamespaceName struct {
	Pos
	Name Ident
}

// NamespaceLabels is namespaces by label ("ns{environment: dev}"); an empty
// selector ("ns{}") means every namespace.
type NamespaceLabels struct {
	Pos
	Selector Selector
}

func (*NamespaceName) nsNode()   {}
func (*NamespaceLabels) nsNode() {}

// Selector is a label selector "{k: v, k2 in (a, b), !k3}"; "{}" is empty
// and selects everything in its scope. Terms are AND-ed.
type Selector struct {
	Pos
	Terms []LabelTerm
}

// LabelOp is the operator of a LabelTerm.
type LabelOp int

// Label operators, written "k: v", "k != v", "k in (..)", "k notin (..)",
// "k" and "!k".
const (
	OpEq LabelOp = iota
	OpNotEq
	OpIn
	OpNotIn
	OpExists
	OpNotExists
)

// LabelTerm is one requirement of a Selector.
type LabelTerm struct {
	Pos
	Key    String   // may contain a prefix: "app.kubernetes.io/name"
	Op     LabelOp  //
	Values []String // one for OpEq/OpNotEq, one or more for OpIn/OpNotIn, none otherwise
}

// ----- targets and ports -----

// Target is a peer with its ports: "database:5432/tcp", "web:[80, 443]".
type Target struct {
	Pos
	Peer  Peer
	Ports []PortSpec // empty when no ":" was written
}

// PortSpec is one port item.
//
//   - every port and protocol (All)
//     */udp        every UDP port (All, Protocol "udp")
//     5432         TCP 5432 (Protocol "" means the default, tcp)
//     8000-8080/tcp a range
//     metrics      a named container port
//     icmp/8       ICMP (or icmpv6) type 8; "icmp" alone is every type
type PortSpec struct {
	Pos
	All      bool
	Start    int    // first port; -1 if not a number (then Name or All)
	End      int    // last port of a range; 0 for a single port
	Name     string // named port
	Protocol Ident  // "" when omitted; otherwise as written (tcp, udp, sctp, any, icmp, icmpv6)
	ICMPType String // for icmp/icmpv6: number or name; "" for every type
	IsICMP   bool
}

// ----- HTTP -----

// HTTPBlock is "http { RULE \n RULE ... }".
type HTTPBlock struct {
	Pos
	Rules []HTTPRule
	Tail  []Comment // comments after the last rule, before "}"
}

// HTTPRule is one line of an HTTP block: "GET /api/.* host api.example.com
// header Content-Type: application/json". Method, Path and Host are RE2
// regular expressions matching the whole value; nil means any. In an Expect
// they are literal values of a request instead.
type HTTPRule struct {
	Pos
	Doc     Doc
	Method  *String
	Path    *String
	Host    *String
	Headers []Header
}

// Header is "header NAME" (presence) or "header NAME: VALUE" (exact value).
type Header struct {
	Pos
	Name  String
	Value *String
}
