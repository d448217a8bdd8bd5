package compile

import "github.com/netpolc/netpolc/lang/diag"

// The wording of every diagnostic the compiler reports lives in this file.
// Messages are lower-case without a final period; details are full
// sentences. Codes are stable: tools may match on them.

// Diagnostic codes reported by the compiler.
const (
	// resolve
	CodeOutsideBlock       diag.Code = "outside-block"       // a rule or default before any namespace block
	CodeNoNamespace        diag.Code = "no-namespace"        // pods without a namespace outside a block
	CodeDuplicateGroup     diag.Code = "duplicate-group"     // a group declared twice
	CodeGroupCycle         diag.Code = "group-cycle"         // groups that reference each other
	CodeReservedName       diag.Code = "reserved-name"       // a keyword or entity name used as a group name
	CodeUnknownName        diag.Code = "unknown-name"        // a reference to an undeclared group
	CodeUnknownEntity      diag.Code = "unknown-entity"      // entity(NAME) with an unknown name
	CodeNotPodsOnly        diag.Code = "not-pods-only"       // NS/group with a group that is not pods only
	CodeDuplicateNamespace diag.Code = "duplicate-namespace" // a namespace listed twice in one block
	CodeRelativeGroup      diag.Code = "group-namespace"     // a group of a block of several namespaces used outside them
	CodeDuplicateDNS       diag.Code = "duplicate-dns-server"
	CodeBadDNSServer       diag.Code = "bad-dns-server"     // dns server that is not pods in a named namespace
	CodeMissingPorts       diag.Code = "missing-ports"      // a target without ports
	CodeBadPort            diag.Code = "bad-port"           // port 0 or > 65535
	CodeBadPortRange       diag.Code = "bad-port-range"     // range end before its start
	CodeBadPortName        diag.Code = "bad-port-name"      // invalid named port
	CodeUnknownProtocol    diag.Code = "unknown-protocol"   // protocol other than tcp, udp, sctp, any, icmp
	CodeBadICMP            diag.Code = "bad-icmp"           // ICMP type out of range
	CodeRedundantPort      diag.Code = "redundant-port"     // a port next to "*"
	CodeBadCIDR            diag.Code = "bad-cidr"           // unparsable CIDR
	CodeNonCanonicalCIDR   diag.Code = "non-canonical-cidr" // host bits set
	CodeExceptFamily       diag.Code = "except-family"      // IPv4 except in an IPv6 CIDR or vice versa
	CodeExceptNotInside    diag.Code = "except-not-inside"  // except not strictly inside its CIDR
	CodeBadLabelKey        diag.Code = "bad-label-key"
	CodeBadLabelValue      diag.Code = "bad-label-value"
	CodeBadSelector        diag.Code = "bad-selector" // contradictory terms
	CodeBadNamespace       diag.Code = "bad-namespace"
	CodeBadServiceName     diag.Code = "bad-service-name"
	CodeBadFQDN            diag.Code = "bad-fqdn"
	CodeBadRegex           diag.Code = "bad-regex"
	CodeHTTPNeedsTCP       diag.Code = "http-needs-tcp-port" // HTTP rules on non-TCP, "*" or ICMP ports
	CodeDenyL7             diag.Code = "deny-http"           // HTTP rules in a deny rule
	CodeDenyFQDN           diag.Code = "deny-fqdn"           // DNS names in a deny rule
	CodeDestinationOnly    diag.Code = "destination-only"    // FQDN or service as a source
	CodeNamedPortPeer      diag.Code = "named-port-peer"     // named port towards CIDR/FQDN/entity/any
	CodeBadExpectation     diag.Code = "bad-expectation"
	// ordered blocks ("clusterwide priority N")
	CodeBadPriority       diag.Code = "bad-priority"         // a priority outside 0-1000
	CodeDuplicatePriority diag.Code = "duplicate-priority"   // two ordered blocks of one priority
	CodeOrderedIsolation  diag.Code = "ordered-isolation"    // default deny, isolate or nonisolating in an ordered block
	CodeOrderedL7         diag.Code = "ordered-l7"           // http rules or DNS lookup restrictions in an ordered block
	CodePassOutside       diag.Code = "pass-outside-ordered" // a pass rule outside an ordered block
	CodePassFQDN          diag.Code = "pass-fqdn"            // DNS names in a pass rule
	// lower
	CodeNothingToWrite diag.Code = "nothing-to-write" // no governed end
	CodeInternal       diag.Code = "internal"
	// lint (warnings)
	CodeDuplicateRule diag.Code = "duplicate-rule"
	CodeShadowedRule  diag.Code = "shadowed-rule"
	CodeReplyRule     diag.Code = "reply-rule"
	CodeNoDNS         diag.Code = "no-dns"
)

// Messages (fmt formats) and details.
const (
	msgOutsideBlock    = "%s outside a namespace block"
	detailOutsideBlock = "Every rule belongs to the block opened by the nearest \"namespace NAME\" or \"clusterwide\" above it. Start the file with \"namespace NAME\"."

	msgNoNamespace    = "pods without a namespace outside a namespace block"
	detailNoNamespace = "A pod selector without a namespace means pods of the enclosing block's namespace, and there is no block here. Write NS/{...} or move the statement into a namespace block."

	msgDuplicateNamespace = "namespace %s is listed twice"
	noteFirstNamespace    = "first listed here"
	msgRelativeGroup      = "group %s selects pods of the namespace its statement applies in, one of %s, and %s"
	msgWhereOutside       = "this statement is outside a namespace block"
	msgWhereClusterwide   = "this statement is in a clusterwide block"
	msgWhereNamespaces    = "this statement applies in %s"
	detailRelativeGroup   = "A group declared in a block of several namespaces (namespace a, b) selects with its pod selectors without a namespace the pods of the namespace each statement that uses it applies in, so it can be used only where every such namespace is one of its own. Write NS/%s for its pods in namespace NS."
	msgBadDNSServerMulti  = "the dns server in a block of several namespaces must name its namespace"

	msgDuplicateGroup  = "group %s is declared twice"
	noteFirstGroup     = "first declared here"
	msgGroupCycle      = "group %s refers to itself: %s"
	msgReservedName    = "%s is a reserved word and cannot name a group"
	detailReservedName = "Keywords and entity names are reserved so that a statement always means the same thing. Choose another name."
	msgUnknownName     = "unknown group %s"
	detailUnknownName  = "Only declared groups and entity names can be used as peers. There is no implicit {app: NAME}, because a typo would silently select nothing."
	msgDidYouMean      = "did you mean %s?"
	msgUnknownEntity   = "unknown entity %s"
	msgNotPodsOnly     = "%s/%s needs a group of pods only, and %s %s"
	detailNotPodsOnly  = "NS/group puts the group's pod selectors into namespace NS. That only makes sense for a group of pod selectors written without a namespace."
	msgDuplicateDNS    = "the dns server is declared twice"
	noteFirstDNS       = "first declared here"
	msgBadDNSServer    = "the dns server must be pods in a namespace given by name"
	msgBadDNSPort      = "the dns server needs one numeric port"

	msgMissingPorts      = "missing ports for %s"
	detailMissingPorts   = "Write the ports after a colon, e.g. :443 or :[80, 443]. Every port of every protocol is written :*."
	msgBadPort           = "port %d is out of range (1-65535)"
	msgBadPortRange      = "port range %d-%d ends before it starts"
	msgMissingPortNumber = "missing port number"
	msgBadPortName       = "invalid port name %q"
	msgUnknownProto      = "unknown protocol %s"
	msgBadICMPType       = "ICMP type %s is out of range (0-255)"
	msgRedundantPort     = "port is redundant next to *"
	detailRedundant      = "\"*\" already allows every port of every protocol."

	msgBadCIDR          = "invalid CIDR %s"
	msgIPv6NeedsPrefix  = "IPv6 address %s needs a prefix length"
	msgNonCanonical     = "CIDR %s has host bits set; the network is %s"
	detailNonCanonical  = "A CIDR must be written in its canonical network form (host bits zero), as the Kubernetes API server requires."
	msgExceptFamily     = "except %s is not of the same IP family as %s"
	msgExceptNotInside  = "except %s is not strictly inside %s"
	detailExceptInside  = "Each except must be a smaller network inside its CIDR. An except equal to the CIDR would exclude everything, and Kubernetes rejects it."
	msgBadLabelKey      = "invalid label key %q"
	msgBadLabelValue    = "invalid label value %q"
	msgConflictingLabel = "label %s cannot equal both %s and %s"
	msgBadNamespace     = "invalid namespace name %q"
	msgBadServiceName   = "invalid service name %q"
	msgBadFQDN          = "invalid DNS name pattern %q: %s"
	msgBadRegex         = "invalid regular expression %q: %s"
	detailBadRegex      = "Method, path and host are RE2 regular expressions that must match the whole value."
	msgHTTPNeedsTCP     = "http rules need TCP ports, and %s is not one"
	detailHTTPNeedsTCP  = "HTTP rules apply to TCP connections on given ports. They cannot apply to UDP, SCTP, \"any\", ICMP or every port (\"*\", \"*/tcp\")."
	msgDenyL7           = "deny rules cannot have http rules"
	detailDenyL7        = "A deny applies to whole connections; there is no HTTP-level deny."
	msgDenyFQDN         = "deny rules cannot use DNS names"
	detailDenyFQDN      = "DNS names are only known to the DNS proxy for allowed egress; deny an IP block instead."
	msgFQDNSource       = "DNS names can only be destinations"
	detailFQDNSource    = "A DNS name is resolved by the pods that look it up, so it can only be the target of egress. Use an IP block for incoming connections."
	msgServiceSource    = "services can only be destinations"
	detailServiceSource = "A service selects the endpoints behind it for egress. Use the pods behind the service as the source."
	msgNamedPortPeer    = "named port %s towards %s: nothing to resolve the name against"
	detailNamedPortPeer = "A named port is looked up in the container ports of the destination pods. Only pods have them; write the port number."
	msgExpectOnePort    = "an expectation needs exactly one port, a named port, an ICMP type, or * for every port"
	msgExpectAllAny     = "an expectation over every port is written * (every protocol, ICMP included) or */tcp, */udp, */sctp"
	msgExpectHTTPAll    = "an expectation with an http request needs one TCP port, not every port"
	msgExpectProtocol   = "an expectation needs one protocol, not %s"
	msgExpectOnePeer    = "an expectation needs one endpoint, and %s is a union of %d"

	msgBadPriority          = "priority %d is out of range (0-%d)"
	detailBadPriority       = "An ordered block's priority is a number from 0 (tried first) to 1000, as in the Kubernetes network policy API."
	msgDuplicatePriority    = "another ordered block has priority %d"
	detailDuplicatePriority = "Ordered blocks are tried by priority, lowest first, and the order of two blocks of one priority would be undefined. Give each block its own priority, or write the rules in one block."
	noteFirstPriority       = "the first block of that priority"
	msgOrderedIsolation     = "%s in an ordered block"
	detailOrderedIsolation  = "The rules of a \"clusterwide priority N\" block are ordered admin rules: the first that matches a connection decides it, and they never isolate anything. Isolate in a namespace block or a plain clusterwide block."
	msgOrderedHTTP          = "ordered rules cannot have http rules"
	msgOrderedLookups       = "ordered rules cannot restrict DNS lookups"
	detailOrderedL7         = "An ordered rule decides whole connections, at L3 and L4; there is no ordered HTTP or DNS filtering. Write the L7 rule in a namespace block or a plain clusterwide block."
	msgPassOutside          = "pass outside an ordered block"
	detailPassOutside       = "\"pass\" hands connections from the ordered admin rules to the namespaces' own policies, so it exists only in a \"clusterwide priority N\" block."
	msgPassFQDN             = "pass rules cannot use DNS names"
	detailPassFQDN          = "DNS names are only known to the DNS proxy for allowed egress; pass an IP block instead."
	msgStmtNonIsolating     = "nonisolating"

	msgNothingToWrite      = "nothing to write: %s is not in a governed namespace"
	msgNothingToWriteBoth  = "nothing to write: neither %s nor %s is in a governed namespace"
	detailNothingToWrite   = "netpolc writes policies only for the namespaces opened by \"namespace NAME\" in the compiled files, and cluster-wide policies only in a \"clusterwide\" block."
	msgInternal            = "internal error: %v"
	msgDuplicateRule       = "duplicate rule"
	noteDuplicateRule      = "the same rule is written here"
	msgShadowedRule        = "rule is shadowed by an earlier rule"
	detailShadowedRule     = "An earlier rule of the same pods and direction already allows (or denies) every peer and port of this one, so this rule has no effect. If the earlier rule has no HTTP rules, it also lifts any HTTP restriction written here."
	noteShadowedRule       = "covered by this rule"
	msgReplyRule           = "%s -> %s looks like a rule for the replies of %s -> %s"
	detailReplyRule        = "Replies to allowed connections are allowed implicitly, because connection tracking is stateful.\nThis rule does not help replies: it lets %s open new connections to %s on these ports."
	noteReplyRule          = "the connections are allowed here"
	msgNoDNS               = "isolates egress of %s without allowing DNS"
	detailNoDNS            = "Once egress is isolated, only allowed connections pass, and no rule allows these pods to reach the DNS server (%s on port %d). Name resolution will fail for them. Add \"allow dns\" (or \"allow dns for ...\")."
	msgStmtRule            = "rule"
	msgStmtDefault         = "default deny"
	msgStmtIsolate         = "isolate"
	msgStmtAllowDNS        = "allow dns"
	msgStmtExpect          = "expect"
	noteGroupDeclaredHere  = "%s is declared here"
	msgGroupNotPodsReasonN = "has a namespace"
	msgGroupNotPodsReasonK = "has a peer that is not pods"
)

// Reserved label keys and contradictory selectors.
const (
	CodeReservedLabelKey diag.Code = "reserved-label-key" // a label key Cilium derives or keeps for itself

	msgReservedLabelKey           = "label key %q is reserved"
	detailReservedPodNamespace    = "Cilium gives every pod this label, set to the name of the pod's namespace, and a selector that names it is no longer confined to the namespace of the policy."
	detailReservedNamespaceLabels = "Cilium copies the labels of a pod's namespace to the pod under this prefix, and a selector that names one of them is no longer confined to the namespace of the policy."
	detailReservedServiceAccount  = "Cilium gives every pod this label, set to the name of its service account. It is not a label of the pod, so NetworkPolicy cannot select on it, and it is not tied to a namespace. Select the pods by their own labels."
	detailReservedCluster         = "Cilium gives every pod this label, set to the name of its cluster, and a selector that names it is no longer confined to the local cluster. Select the pods by their own labels."
	detailReservedCilium          = "Cilium keeps every label key that starts with io.cilium.k8s for the labels it derives, and removes such keys from pod labels. Select the pods by their own labels."
	hintWriteNamespace            = "To select pods of other namespaces, write the namespace part of the peer instead: %s."

	msgContradictoryTerm    = "%s contradicts %s: the selector selects nothing"
	detailContradictoryTerm = "The terms of a selector are AND-ed, and no labels satisfy every term on %s. To select the pods that match either, write two peers (a union)."
)
