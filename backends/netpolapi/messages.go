package netpolapi

// Diagnostic codes of the network-policy API target.
const (
	codeUnsupported       = "unsupported"         // a construct the target cannot write (as CheckCapabilities)
	codeNetworksMatchPods = "networks-match-pods" // warning: networks also match pod and node addresses
	codeNamedPortProtocol = "named-port-protocol" // warning: a named port is matched whatever its protocol
	codeInternal          = "internal"            // a bug: a program the stages before Emit should have refused
)

// Messages (lower case, no final period), details (sentences) and notes.
const (
	msgPassDefault = "a pass rule outside an ordered block has nothing to skip"

	msgIngressIsolation    = "target netpol-api cannot isolate a cluster-wide subject for ingress"
	detailIngressIsolation = "The baseline tier of the policy API would deny ingress from pods only: its ingress peers are pods and namespaces, so nodes and clients outside the cluster would still get in. Make the block's ingress rules nonisolating, or isolate in namespace blocks (NetworkPolicy)."

	msgBlockPriority    = "the ordered block of priority %d needs priority %d for this rule, and %s"
	detailBlockPriority = "Target netpol-api writes a block as one object per run of rules of the same subject (and per %d rules of a direction), with priorities %d, %d, ... in source order. Leave room before the next block, or group the rules of each subject together."
	whyNextBlock        = "the next block has priority %d"
	whyMaxPriority      = "the highest priority is %d"

	msgNoPriority    = "target netpol-api has no admin priority left for this rule (the highest is %d)"
	detailNoPriority = "Deny rules, and allows that are cluster-wide or nonisolating, are written as admin objects after the ordered blocks, each with a priority of its own. Lower the priorities of the ordered blocks."

	msgSecondBaseline    = "target netpol-api (v1alpha1) can isolate one cluster-wide subject, and this is a second one"
	detailSecondBaseline = "The baseline of v1alpha1 is the one BaselineAdminNetworkPolicy \"default\", which has one subject. Isolate the same subject in every cluster-wide block, or write ClusterNetworkPolicy (--netpol-api-version v1alpha2)."
	noteFirstBaseline    = "the first isolated subject"

	msgIngressSource    = "target netpol-api cannot write %s as the source of a %s"
	detailIngressSource = "The ingress peers of the policy API are pods and namespaces only. Sources outside the cluster can be allowed in a namespace's isolated ingress (NetworkPolicy ipBlock): write the rule in a namespace block, isolating."

	msgNetworksMatchPods    = "CIDR %s becomes networks of the policy API, which also match pods and nodes with addresses in it"
	detailNetworksMatchPods = "netpolc's CIDR peers stand for addresses outside the cluster; the API's networks match every address, pods and nodes included. The rule is exact only when no pod or node has an address in the block."

	msgDomainAction    = "target netpol-api cannot write %s in a %s rule"
	detailDomainAction = "The policy API takes domainNames in Accept rules only. Allow the names, then deny the rest of the egress below them (an ordered block, or a deny rule)."

	msgDomainPattern    = "target netpol-api cannot write %s"
	detailDomainPattern = "The only wildcard of the policy API's domainNames is a leading \"*.\", which matches one or more labels: netpolc's \"**.\". A \"*\" that matches one label, or a \"*\" elsewhere, has no equivalent."

	msgEgressPeer    = "target netpol-api cannot write %s in a %s"
	detailEgressPeer = "The policy API's egress peers are pods, namespaces, nodes, networks and domain names."
	detailWorldPeer  = "The API's networks 0.0.0.0/0 and ::/0 would match pods and nodes too, not only what is outside the cluster. Write the CIDR with the cluster's pod and node ranges as except, or \"*\" if every destination is meant."

	msgNamedPortProtocol    = "named port %s is matched whatever its protocol, not only %s"
	detailNamedPortProtocol = "The policy API names a container port without a protocol. The rule is exact when the pods' ports called %q are %s ports."

	msgNetworkPolicyPeer    = "target netpol-api writes the allows of a namespace's isolated %s as NetworkPolicy, which cannot express %s"
	detailNetworkPolicyPeer = "The program has pass rules, which delegate to the allows that namespaces isolate: those must stay NetworkPolicy. (Without pass rules, netpolc writes such an allow as an admin Accept.) Mark the rule nonisolating (then it is an admin Accept, which a pass rule skips), or write it in a clusterwide block."

	msgLookups    = "target netpol-api cannot restrict DNS lookups"
	detailLookups = "The policy API has no L7 rules. Only a DNS rule that lets every name through (\"*\", which Cilium uses to observe lookups) is written, as the L4 rule it is."

	msgPreparedFails = "a prepared program fails the checks of netpol-api: %s"
)
