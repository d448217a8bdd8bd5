package netpolapi

import "github.com/netpolc/netpolc/backends"

// Diagnostic codes of the network-policy API target.
const (
	codeUnsupported       = "unsupported"         // a construct the target cannot write (as CheckCapabilities)
	codeNetworksMatchPods = "networks-match-pods" // a CIDR's networks would also match pod and node addresses
	codeNamedPortProtocol = "named-port-protocol" // a named port would be matched whatever its protocol
	codeDegraded          = "degraded"            // warning: a rule widened by --degrade
	codeSharedPriority    = "shared-priority"     // warning: two admin objects of one priority, whose order does not matter
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

	msgSharedPriority    = "the ordered block of priority %d writes this rule at priority %d, beside the rules before it (priority %d is not free: %s)"
	detailSharedPriority = "No connection can match this run of rules and the runs at that priority with different actions, so their order does not matter, and the policy API lets objects share a priority then (AdminNetworkPolicy's priority field). Some implementations (OVN-Kubernetes) refuse a second object of one priority: leave room before the next block to avoid it."
	whyMaxPriority       = "the highest priority is %d"

	msgNoPriority    = "target netpol-api has no admin priority left for this rule (the highest is %d)"
	detailNoPriority = "Deny rules, and allows that are cluster-wide or nonisolating, are written as admin objects after the ordered blocks, each with a priority of its own. Lower the priorities of the ordered blocks."

	msgSecondBaseline    = "target netpol-api (v1alpha1) can isolate one cluster-wide subject, and this is a second one"
	detailSecondBaseline = "The baseline of v1alpha1 is the one BaselineAdminNetworkPolicy \"default\", which has one subject. Isolate the same subject in every cluster-wide block, or write ClusterNetworkPolicy (--netpol-api-version v1alpha2)."
	noteFirstBaseline    = "the first isolated subject"

	msgIngressSource    = "target netpol-api cannot write %s as the source of a %s"
	detailIngressSource = "The ingress peers of the policy API are pods and namespaces only. Sources outside the cluster can be allowed in a namespace's isolated ingress (NetworkPolicy ipBlock): write the rule in a namespace block, isolating."

	msgNetworksMatchPods    = "target netpol-api cannot write %s exactly: the policy API's networks would also match the pods and nodes with addresses in it"
	detailNetworksMatchPods = "netpolc's CIDR peers stand for addresses outside the cluster; the API's networks match every address, pods and nodes included. Give the cluster's own ranges (pods, Services, nodes) with --cluster-cidrs, e.g. --cluster-cidrs 10.244.0.0/16,10.96.0.0/12,192.168.0.0/24, and netpolc writes the CIDR minus them, exactly; or accept the wider rule with --degrade cidr=networks."

	msgCIDRInCluster    = "%s lies inside the cluster's ranges (%s): it can only mean cluster addresses, which a CIDR peer never matches"
	detailCIDRInCluster = "netpolc's CIDR peers stand for addresses outside the cluster. Select the pods by label, the nodes with node{} and host, or fix --cluster-cidrs."

	msgDegradedNetworks    = "rule widened by --degrade cidr=networks: %s written as networks, which also match the pods and nodes with addresses in them"
	detailDegradedNetworks = "The object carries the annotation " + backends.NotEnforcedAnnotation + ". Give --cluster-cidrs instead to stay exact."
	notEnforcedNetworks    = "%s: pods and nodes with addresses in it are matched too"

	msgDegradedNamed    = "rule widened by --degrade named-port=any-protocol: %s matched whatever the container port's protocol"
	detailDegradedNamed = "The object carries the annotation " + backends.NotEnforcedAnnotation + "."
	notEnforcedNamed    = "the protocol of named port %s"

	msgNodePeer    = "target netpol-api cannot write %s: the policy API's nodes also match the pod's own node"
	detailNodePeer = "netpolc's node{...} is the other nodes (the pod's own node is host); the API's nodes selector matches every node it selects, the pod's own included. Only every node, node{} together with host in one egress rule (\"node{}:PORTS, host:PORTS\"), is exactly the API's nodes {}."
	msgHostPeer    = "target netpol-api cannot write host alone: the policy API selects nodes by label, never only the pod's own node"

	msgDomainAction    = "target netpol-api cannot write %s in a %s rule"
	detailDomainAction = "The policy API takes domainNames in Accept rules only. Allow the names, then deny the rest of the egress below them (an ordered block, or a deny rule)."

	msgDomainPattern    = "target netpol-api cannot write %s"
	detailDomainPattern = "The only wildcard of the policy API's domainNames is a leading \"*.\", which matches one or more labels: netpolc's \"**.\". A \"*\" that matches one label, or a \"*\" elsewhere, has no equivalent."

	msgEgressPeer    = "target netpol-api cannot write %s in a %s"
	detailEgressPeer = "The policy API's egress peers are pods, namespaces, nodes, networks and domain names."
	detailWorldPeer  = "The API's networks 0.0.0.0/0 and ::/0 would match pods and nodes too, not only what is outside the cluster. Write the CIDR with the cluster's pod and node ranges as except, or \"*\" if every destination is meant."

	msgNamedPortProtocol    = "target netpol-api cannot write named port %s/%s: the policy API's named port matches the container port of that name whatever its protocol"
	detailNamedPortProtocol = "The policy API names a container port without a protocol. Write %s/any (exact), or accept that the pods' ports called %q of any protocol are matched with --degrade named-port=any-protocol (they are the same when those ports are %s ports)."

	msgNetworkPolicyPeer    = "target netpol-api writes the allows of a namespace's isolated %s as NetworkPolicy, which cannot express %s"
	detailNetworkPolicyPeer = "The program has pass rules, which delegate to the allows that namespaces isolate: those must stay NetworkPolicy. (Without pass rules, netpolc writes such an allow as an admin Accept.) Mark the rule nonisolating (then it is an admin Accept, which a pass rule skips), or write it in a clusterwide block."

	msgLookups    = "target netpol-api cannot restrict DNS lookups"
	detailLookups = "The policy API has no L7 rules. Only a DNS rule that lets every name through (\"*\", which Cilium uses to observe lookups) is written, as the L4 rule it is."

	msgPreparedFails = "a prepared program fails the checks of netpol-api: %s"
)
