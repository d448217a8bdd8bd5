package parser

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/netpolc/netpolc/lang/lexicon"
)

// The grammar of one statement, as participle structs. They stay inside
// this package: convert.go turns them into lang/ast at once. Every struct has
// a Tokens field, which participle fills with the tokens the node matched;
// the converter takes spans from it (the first token's start and the last
// token's end, which unlike EndPos excludes the whitespace that follows).
//
// Struct names matter for error messages: errors.go maps the production a
// failure expected (for example "Peer") to words ("a peer").

type stmt struct {
	Tokens    []lexer.Token
	Namespace *namespaceStmt `parser:"  @@"`
	Cluster   *clusterStmt   `parser:"| @@"`
	Default   *defaultStmt   `parser:"| @@"`
	Isolate   *isolateStmt   `parser:"| @@"`
	AllowDNS  *allowDNSStmt  `parser:"| @@"`
	DNSServer *dnsServerStmt `parser:"| @@"`
	Expect    *expectStmt    `parser:"| @@"`
	// stmtStarters (below) lists the keywords of the lookaheads below.
	Group *groupStmt `parser:"| (?! 'namespace' | 'clusterwide' | 'default' | 'isolate' | 'allow' | 'dns' | 'expect') @@"`
	// A rule may start with a namespace that is spelt like a keyword
	// ("default/{app: x} -> ..."), so only the keyword sequences are excluded.
	Rule *ruleStmt `parser:"| (?! ('namespace' | 'clusterwide' | 'default' | 'isolate' | 'allow' | 'dns' | 'expect') (?! '/')) @@"`
}

type namespaceStmt struct {
	Tokens []lexer.Token
	Name   *name `parser:"'namespace' @@"`
}

type clusterStmt struct {
	Tokens  []lexer.Token
	Keyword string `parser:"@'clusterwide'"`
}

type defaultStmt struct {
	Tokens []lexer.Token
	Deny   string `parser:"'default' @'deny'"`
	Dir    string `parser:"@('ingress' | 'egress')?"`
}

type isolateStmt struct {
	Tokens   []lexer.Token
	Subjects []*peer `parser:"'isolate' @@ ( ',' @@ )*"`
	Dir      string  `parser:"@('ingress' | 'egress')?"`
}

type allowDNSStmt struct {
	Tokens  []lexer.Token
	DNS     string    `parser:"'allow' @'dns'"`
	For     []*peer   `parser:"( 'for' @@ ( ',' @@ )* )?"`
	Lookups []*quoted `parser:"( 'lookups' @@ ( ',' @@ )* )?"`
}

type dnsServerStmt struct {
	Tokens []lexer.Token
	Server *peer `parser:"'dns' 'server' @@ ':'"`
	Port   *port `parser:"@@"`
}

type expectStmt struct {
	Tokens  []lexer.Token
	From    *peer    `parser:"'expect' @@ '->'"`
	To      *target  `parser:"@@"`
	Request *request `parser:"@@?"`
	Verdict *verdict `parser:"@@"`
}

// request is the http block of an expectation: exactly one request line.
type request struct {
	Tokens []lexer.Token
	Line   *httpRule `parser:"HTTPOpen Newline* @@ '}'"`
}

type verdict struct {
	Tokens []lexer.Token
	Value  string `parser:"@('allowed' | 'denied')"`
}

type groupStmt struct {
	Tokens []lexer.Token
	Name   *name   `parser:"@@ '='"`
	Peers  []*peer `parser:"@@ ( ',' @@ )*"`
}

type ruleStmt struct {
	Tokens       []lexer.Token
	Deny         bool       `parser:"@'deny'?"`
	Dir          string     `parser:"@('ingress' | 'egress')?"`
	NonIsolating bool       `parser:"@'nonisolating'?"`
	Sources      []*peer    `parser:"@@ ( ',' @@ )*"`
	Arrow        *arrow     `parser:"@@"`
	Targets      []*target  `parser:"@@ ( ',' @@ )*"`
	HTTP         *httpBlock `parser:"@@?"`
}

type arrow struct {
	Tokens []lexer.Token
	Value  string `parser:"@'->'"`
}

// ----- peers -----

type peer struct {
	Tokens  []lexer.Token
	Any     bool        `parser:"  @'*'"`
	Entity  *name       `parser:"| 'entity' '(' @@ ')'"`
	Service *service    `parser:"| 'service' '(' @@ ')'"`
	Node    *selector   `parser:"| 'node' @@"`
	NSLabel *nsLabelled `parser:"| 'ns' @@"`
	CIDR    *cidrPeer   `parser:"| @@"`
	FQDN    *quoted     `parser:"| @@"`
	Pods    *selector   `parser:"| @@"`
	Named   *named      `parser:"| @@"`
}

// named is "NAME", "NS/{sel}" or "NS/group".
type named struct {
	Tokens []lexer.Token
	Name   *name     `parser:"@@"`
	Pods   *selector `parser:"( '/' ( @@"`
	Group  *name     `parser:"| @@ ) )?"`
}

// nsLabelled is what follows "ns": "{sel}" and optionally "/{sel}" or "/group".
type nsLabelled struct {
	Tokens    []lexer.Token
	Namespace *selector `parser:"@@"`
	Pods      *selector `parser:"( '/' ( @@"`
	Group     *name     `parser:"| @@ ) )?"`
}

type service struct {
	Tokens    []lexer.Token
	Namespace *name     `parser:"@@ '/'"`
	Selector  *selector `parser:"( @@"`
	Name      *name     `parser:"| @@ )"`
}

type cidrPeer struct {
	Tokens []lexer.Token
	CIDR   *cidr   `parser:"@@"`
	Except []*cidr `parser:"( 'except' ( @@ | '[' @@ ( ',' @@ )* ']' ) )?"`
}

type cidr struct {
	Tokens []lexer.Token
	Value  string `parser:"@(CIDR4 | CIDR6)"`
}

type selector struct {
	Tokens []lexer.Token
	Terms  []*labelTerm `parser:"'{' ( @@ ( ',' @@ )* )? '}'"`
}

type labelTerm struct {
	Tokens []lexer.Token
	Absent *labelKey     `parser:"  '!' @@"`
	Key    *labelKey     `parser:"| @@ ("`
	Eq     *labelValue   `parser:"    ':' @@"`
	NotEq  *labelValue   `parser:"  | '!=' @@"`
	In     []*labelValue `parser:"  | 'in' '(' @@ ( ',' @@ )* ')'"`
	NotIn  []*labelValue `parser:"  | 'notin' '(' @@ ( ',' @@ )* ')' )?"`
}

// labelKey is "name", "prefix/name" or a quoted key.
type labelKey struct {
	Tokens []lexer.Token
	Parts  []string `parser:"@(Ident | String) ( @'/' @(Ident | String) )?"`
}

type labelValue struct {
	Tokens []lexer.Token
	Value  string `parser:"@(Ident | Number | String)"`
}

type name struct {
	Tokens []lexer.Token
	Value  string `parser:"@Ident"`
}

type quoted struct {
	Tokens []lexer.Token
	Value  string `parser:"@String"`
}

// ----- targets and ports -----

type target struct {
	Tokens []lexer.Token
	Peer   *peer   `parser:"@@"`
	Ports  []*port `parser:"( ':' ( '[' @@ ( ',' @@ )* ']'"`
	Port   *port   `parser:"| @@ ) )?"`
}

// port is one port item: "*", "*/udp", "5432", "8000-8080/tcp", "metrics",
// "icmp/8" or "/udp".
type port struct {
	Tokens    []lexer.Token
	All       bool        `parser:"( ( @'*'"`
	Start     *number     `parser:"  | @@"`
	End       *number     `parser:"    ( '-' @@ )?"`
	Name      *name       `parser:"  | @@ )"`
	Protocol  *portSuffix `parser:"  ( '/' @@ )?"`
	OnlyProto *portSuffix `parser:"| '/' @@ )"`
}

type number struct {
	Tokens []lexer.Token
	Value  string `parser:"@Number"`
}

// portSuffix is what follows "/" in a port: a protocol, or an ICMP type.
type portSuffix struct {
	Tokens []lexer.Token
	Value  string `parser:"@(Ident | Number)"`
}

// ----- HTTP -----

type httpBlock struct {
	Tokens []lexer.Token
	Rules  []*httpRule `parser:"HTTPOpen Newline* @@* '}'"`
}

// httpRule is one line of an HTTP block, with the newlines that end it. A
// rule not ended by a newline must be the last one; the converter checks
// this (a lookahead for "}" cannot be an alternative in participle).
type httpRule struct {
	Tokens   []lexer.Token
	Method   *word         `parser:"@@"`
	Path     *word         `parser:"( (?! 'host' | 'header' ) @@ )?"`
	Host     *word         `parser:"( 'host' @@ )?"`
	Headers  []*httpHeader `parser:"@@*"`
	Newlines bool          `parser:"@Newline*"`
}

type httpHeader struct {
	Tokens []lexer.Token
	Name   *word `parser:"'header' @@"`
	Colon  bool  `parser:"( @':'?"`
	Value  *word `parser:"  (?! 'header' | 'host' ) @@ )?"`
}

type word struct {
	Tokens []lexer.Token
	Value  string `parser:"@(Word | String)"`
}

// blockParsers parse an http block on its own, to explain an error inside
// an optional block that the statement's parser backed out of.
var (
	ruleBlockParser    = participle.MustBuild[httpBlock](participle.Lexer(lexDef), participle.UseLookahead(8))
	requestBlockParser = participle.MustBuild[request](participle.Lexer(lexDef), participle.UseLookahead(8))
)

// stmtParser parses one statement. Lookahead lets the statement and peer
// alternatives share prefixes (a group declaration and a rule both start
// with a name); the grammar has no recursion, so the depth of the parse does
// not depend on the input.
var stmtParser = participle.MustBuild[stmt](
	participle.Lexer(lexDef),
	participle.UseLookahead(8),
)

// stmtStarters are the keywords that the lookaheads of stmt's Group and
// Rule alternatives exclude (TestGrammarKeywords checks the tags against
// them); a statement starting with another name can only be a group
// declaration or a rule (see quickParse).
var stmtStarters = lexicon.Words(lexicon.Statement)

// groupParser and ruleParser parse stmt's Group and Rule alternatives on
// their own, with the same options.
var (
	groupParser = participle.MustBuild[groupStmt](participle.Lexer(lexDef), participle.UseLookahead(8))
	ruleParser  = participle.MustBuild[ruleStmt](participle.Lexer(lexDef), participle.UseLookahead(8))
)
