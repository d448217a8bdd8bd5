package cilium

// Diagnostic codes of the importer (besides codeUnsupported and
// codeInternal).
const (
	codeInvalid          = "invalid"            // Cilium's agent refuses the rule
	codeNoEffect         = "no-effect"          // warning: a part of a rule that changes nothing
	codeNonCanonicalCIDR = "non-canonical-cidr" // warning: a CIDR with host bits, read masked
)

// Messages of the importer (lower case, no final period) and details
// (sentences).
const (
	detailAPIRefuses   = "The API server refuses such an object, so no cluster can hold it; netpolc refuses it too, as names end up in messages and in what it writes."
	detailAgentRefuses = "Cilium's agent refuses the rule when it reads the policy, and then enforces nothing of the object: the restriction does not exist, with nothing but a status condition to show it."

	msgUnsupportedField    = "%s is not supported: %s"
	detailUnsupportedField = "netpolc cannot represent this field: importing the policy without it would change what it allows, so the policy is not imported."

	msgUndecodable     = "%s cannot be read into Cilium's types: %v"
	msgNoSpec          = "%s has neither spec nor specs"
	msgNullRule        = "%s has a null rule"
	msgNoRules         = "the rule has none of ingress, ingressDeny, egress or egressDeny"
	msgNoSubject       = "the rule has neither endpointSelector nor nodeSelector"
	msgBothSubjects    = "the rule has both endpointSelector and nodeSelector"
	msgNodeSelectorCNP = "a CiliumNetworkPolicy cannot have a nodeSelector (host policies are CiliumClusterwideNetworkPolicies)"

	msgDefaultDenyNoRules    = "enableDefaultDeny.%[1]s has no effect without %[1]s rules"
	detailDefaultDenyNoRules = "Cilium makes a policy entry, which carries the default-deny flag, for each rule of a direction: a direction without rules is not isolated by this policy. Write an empty rule ({}) to isolate it."

	msgCombined      = "%s cannot be combined with %s in one rule"
	msgICMPWithPorts = "icmps cannot be combined with toPorts in one rule"
	msgNoPorts       = "the toPorts entries have no ports: the rule allows nothing"
	msgEmptyPeerList = "%s is an empty list: the rule allows nothing"

	detailAllowsNothing = "The rule still makes its direction default-deny, like an empty rule ({})."

	msgTooManyPorts        = "too many ports (at most %d per toPorts entry)"
	msgHTTPAndDNS          = "HTTP and DNS rules cannot be combined in one toPorts entry"
	msgDNSIngress          = "DNS rules are not allowed on ingress"
	msgHostHTTPImport      = "HTTP rules are not allowed in host policies (%s)"
	msgL7NotTCP            = "L7 rules apply to TCP ports only, not %s (a port without protocol is ANY)"
	msgL7PortZero          = "L7 rules cannot be used on port 0 (every port)"
	msgDNSNoPort           = "DNS rules need a port (53)"
	msgDNSRange            = "DNS rules do not support port ranges"
	msgBadProtocol         = "protocol %q: %v"
	msgProtocolUnsupported = "protocol %s is not supported (netpolc knows TCP, UDP, SCTP and ANY)"
	msgNoPort              = "port must be specified"
	msgNamedRange          = "endPort with the named port %q is not supported"
	msgBadPort             = "port %q: %v"
	msgBadEndPort          = "endPort %d is not a port"
	msgEndPortIgnored      = "endPort %d is ignored: Cilium uses it only above a non-zero port (port %s)"
	msgBadRegex            = "HTTP %s %q is not a valid regular expression: %v"
	msgHeaderNoName        = "a header match has no name"
	msgTooManyICMP         = "too many ICMP types (at most %d per entry)"
	msgBadFamily           = "ICMP family %q (want IPv4 or IPv6)"
	msgICMPNoType          = "an ICMP field needs a type"
	msgICMPTypeRange       = "ICMP type %d is out of range (0-255)"

	msgBadCIDR       = "CIDR %q: %v"
	msgMappedCIDR    = "CIDR %q: IPv4-mapped IPv6 prefixes are not supported"
	msgHostBits      = "CIDR %s has host bits set; read as %s"
	detailHostBits   = "Cilium selects the addresses of the prefix, as if the host bits were zero."
	msgExceptOutside = "except %s is not inside %s"
	msgExceptEqual   = "except %s is all of %s: the peer selects nothing, which netpolc cannot represent"

	msgBadEntity = "unknown entity %q"

	msgServiceBoth         = "a toServices entry with both k8sService and k8sServiceSelector is not supported"
	msgServiceAnyNamespace = "a Service without namespace is not supported: Cilium matches Services of every namespace there; write the namespace"
	msgServiceNoName       = "k8sService needs a serviceName"
	msgServiceEmpty        = "a toServices entry needs k8sService or k8sServiceSelector"

	msgFQDNBoth  = "only one of matchName and matchPattern is allowed"
	msgFQDNEmpty = "matchName or matchPattern is required"
	msgFQDNChars = "invalid characters in DNS name %q (only 0-9, a-z, A-Z, '.', '-', '_' and, in patterns, '*')"

	msgBadLabelKey   = "label key %q: %s"
	msgBadLabelValue = "label value %q of %s: %s"
	msgNoValues      = "operator %s needs values"
	msgValues        = "operator %s takes no values"
	msgBadOperator   = "unknown operator %q"

	msgLabelSource       = "selector key %q is not supported: label source %q (netpolc reads pod labels, of the k8s or any source)"
	msgDerivedKey        = "selector key %q is not supported: Cilium derives it (cluster, service account, ...) and netpolc does not model it"
	msgFilteredKeyImport = "selector key %q matches no pod: Cilium's identities leave the label out"
	msgReservedPeer      = "selector key reserved:%s is not supported in a peer selector; use fromEntities/toEntities"
	msgReservedSubject   = "selector key reserved:%s is not supported in an endpointSelector"

	msgSubjectNamespaceOverwritten = "the namespace %q is ignored: Cilium applies a CiliumNetworkPolicy in its own namespace (%s)"
	msgSubjectOtherNamespace       = "the subject can only select pods of the policy's namespace %s: a namespace term that excludes it selects nothing, which netpolc cannot represent"
	msgSubjectNamespaceLabels      = "namespace labels in the endpointSelector of a CiliumNetworkPolicy are not supported"
)
