package netpolapi

// Diagnostic codes of the importer (besides codeUnsupported, for what is
// valid but netpolc cannot hold, and codeInternal).
const (
	codeInvalid          = "invalid"            // the API server refuses the object
	codeNoEffect         = "no-effect"          // warning: a part of an object that changes nothing
	codeNonCanonicalCIDR = "non-canonical-cidr" // warning: a CIDR with host bits, read masked
	codeBadSelector      = "bad-selector"       // a label selector that does not parse
	codePriorityTie      = "priority-tie"       // two admin policies whose order the API leaves open
)

// Messages of reading networks (code networks-match-pods).
const (
	msgImportNetworks    = "networks %s are read as addresses outside the cluster: exact only if no pod or node has an address in them"
	detailImportNetworks = "The API's networks match every address, pods and nodes included; netpolc's CIDR peers match addresses outside the cluster only. Give the cluster's own ranges with --cluster-cidrs to check the reading."

	msgImportNetworksCluster    = "networks %s overlap the cluster's range %s: they match the pods and nodes with addresses there, which a netpolc CIDR peer never does"
	detailImportNetworksCluster = "netpolc's CIDR peers stand for addresses outside the cluster, and netpolc selects pods and nodes by label, not by address. Write networks outside the cluster's ranges (--cluster-cidrs), or all of 0.0.0.0/0 and ::/0 (every address: netpolc's *)."
)

// Messages of the importer (lower case, no final period) and details
// (sentences).
const (
	detailAPIRefuses = "The API server refuses this object (the CRD's schema or validation rules), so no cluster holds it."

	msgName         = "metadata.name %q: %s"
	msgBANPName     = "a BaselineAdminNetworkPolicy must be named \"default\", not %q"
	detailBANPName  = "The BaselineAdminNetworkPolicy is a singleton: its CRD accepts the name \"default\" only."
	msgRequired     = "%s is required"
	msgPriority     = "priority %d is out of range (0-1000)"
	msgTier         = "tier %q is not Admin or Baseline"
	msgOneOf        = "%s must set exactly one of %s"
	msgTooMany      = "%s has %d entries (at most %d)"
	msgEmptyList    = "%s must not be empty"
	msgRuleName     = "the rule name has %d characters (at most 100)"
	msgAction       = "action %q is not one of %s"
	msgDuplicate    = "%q is listed twice"
	msgProtocol     = "protocol %q is not TCP, UDP or SCTP"
	msgPortNumber   = "port %d is out of range (1-65535)"
	msgPortRange    = "the range %d-%d must start below its end"
	msgNamedPortTo  = "a named port cannot be used with networks, nodes or domainNames peers"
	msgBadCIDR      = "%q is not a CIDR: %v"
	msgCIDRLength   = "%q is longer than 43 characters"
	msgHostBits     = "CIDR %s has host bits set"
	msgHostBitsRead = "CIDR %s has host bits set; read as %s"
	detailHostBits  = "Implementations of v1alpha1 parse the CIDR and use its prefix, as if the host bits were zero; the current CRD refuses such a CIDR."
	msgMappedCIDR   = "CIDR %q: IPv4-mapped IPv6 prefixes are not supported"
	msgDomainName   = "%q is not a domain name the API accepts (a name, or \"*.\" and a name)"
	msgSelector     = "%s: %s"
	detailSelector  = "The CRD checks only the shape of a label selector, so the API server accepts this one, but it does not parse as a label selector: implementations cannot match anything with it, and what the rule or subject selects is not defined."

	msgDuplicateObject = "%s is defined twice"

	msgDomainNotAllow    = "domainNames is only supported in %s rules, not in %s rules"
	detailDomainNotAllow = "The API defines domain names for allow rules only; what an implementation does with one in another rule is not defined, so netpolc does not guess."

	msgOneFamily    = "networks %s covers every %s address, which includes every pod and node of that family, and netpolc cannot select the pods and nodes of one IP family"
	detailOneFamily = "The API checks cluster-internal traffic against networks too. netpolc reads CIDRs as addresses outside the cluster, except a pair of 0.0.0.0/0 and ::/0 in one rule, which is every endpoint. On a single-stack cluster, add the other family's /0 to the rule: it means the same there."

	msgNodeLabels    = "nodes with a label selector is not supported: netpolc cannot say whether the node a pod runs on is selected"
	detailNodeLabels = "The API selects every node whose labels match, the pod's own node included. netpolc's node peers are the other nodes, and the node a pod runs on is the entity host, which netpolc cannot select by label. nodes: {} (every node) is supported: it reads as node{} and host."

	msgNamedPortName    = "named port %q is not a container port name (IANA_SVC_NAME): %s"
	detailNamedPortName = "No container port can have this name, so the port matches nothing; netpolc refuses it rather than import a rule that never applies."

	msgBaselineAction    = "a Baseline %s rule cannot be imported: netpolc has no baseline tier"
	detailBaselineAction = "A baseline rule applies only to pods that no NetworkPolicy selects in that direction; netpolc's rules apply whatever else selects the pod. Only a baseline that denies everything in a direction has an exact reading: default-deny (isolation) of its subject, which NetworkPolicies then open."
	msgBaselinePartial   = "a Baseline %s Deny rule that does not deny everything cannot be imported: netpolc has no baseline tier"
	detailBaselinePart   = "A baseline Deny applies only to pods that no NetworkPolicy selects in that direction, while a netpolc deny wins over every allow. A Deny of every destination (networks 0.0.0.0/0 and ::/0, no ports) reads exactly as egress default-deny of the subject."
	msgBaselineIngress   = "a Baseline ingress Deny cannot be read as ingress isolation: ingress peers are pods and namespaces only, so nodes and sources outside the cluster still get in"
	detailBaselineIngr   = "netpolc's ingress default-deny would also refuse nodes and external sources, and it has no baseline tier for a deny of pods only. Write the ingress default-deny as NetworkPolicies (netpolc: a namespace block with default deny, or isolate ... ingress)."
	msgShadowed          = "this rule is never reached: the Deny of every destination before it decides every connection"
	msgNoRules           = "%s has no rules: it changes nothing"

	msgTie    = "%s and %s both have priority %d and rules that may match the same connection with different actions (%s %s, %s %s): the API leaves their order to the implementation"
	detailTie = "The API says that when two policies of the same priority match a connection, an implementation may apply either one. Give the policies different priorities so that their order is defined."
)
