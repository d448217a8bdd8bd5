package cilium

// Diagnostic codes of the Cilium backend.
const (
	codeUnsupported   = "unsupported"     // a construct Cilium cannot express (as CheckCapabilities)
	codeDNSProxyAdded = "dns-proxy-added" // warning: netpolc added a DNS-proxy egress rule
	codeL7Voided      = "l7-voided"       // an L4-only allow lifts another rule's L7 restriction
	codeInternal      = "internal"        // a bug: a program the stages before Emit should have refused
)

// Messages (lower case, no final period) and details (sentences).
const (
	msgBadVersion = "--cilium-version %q: %v"

	msgAnyDepthOld    = "target cilium %s cannot express FQDN pattern %q (fqdn-any-depth needs Cilium >= 1.19)"
	detailAnyDepthOld = `Before Cilium 1.19 "**" matches exactly like "*", within one DNS label, so the rule would silently allow fewer names. Pass --cilium-version 1.19 (or later) if the cluster runs it, or write "*." for exactly one label.`

	msgICMPAnyType    = "target cilium cannot express ICMP without a type"
	detailICMPAnyType = "Cilium ICMP rules name one type per entry. Write the types the pods need, e.g. icmp/8 (echo request) or icmpv6/128."

	msgLongNamespaceKey    = "target cilium cannot express the namespace label key %q"
	detailLongNamespaceKey = "Cilium matches a namespace's labels as pod labels named %s<key>, and that name is not a valid label key: %s. Give the namespaces a shorter label, or a key with a prefix (example.com/key), or name the namespace."

	msgFilteredPodKey       = "target cilium cannot select pods by the label %q"
	msgFilteredNamespaceKey = "target cilium cannot select namespaces by the label %q"
	detailFilteredKey       = "Cilium decides policy on a pod's security identity, and by default the identity leaves out the labels whose keys start with io.kubernetes, kubernetes.io, k8s.io, topology.kubernetes.io, pod-template-hash, pod-template-generation, controller-revision-hash, controller-uid, annotation or etcd_node, or contain beta.kubernetes.io (app.kubernetes.io is kept). A selector on such a label would match no pod, or every pod when negated. Select the pods by another label."

	msgHostHTTP    = "target cilium cannot express HTTP rules in a policy for nodes"
	detailHostHTTP = "Cilium host policies (nodeSelector) accept L3/L4 rules and DNS rules only."

	msgNamespaceClash = "the pod selector of %s already uses Cilium's namespace key %q"

	msgDNSProxyAdded    = "added an egress rule from %s to the DNS server %s on port %d (UDP and TCP) through Cilium's DNS proxy, for the DNS names of this rule"
	detailDNSProxyAdded = `Cilium learns the addresses of a DNS name only from lookups that pass its DNS proxy, which needs an egress rule with DNS rules towards the DNS server, and no "allow dns" covers these pods. The added rule allows their DNS traffic to the DNS server (any name). Write "allow dns" (or "allow dns for ...") to make it explicit.`

	msgProxyWidens    = "target cilium cannot add the DNS-proxy rule for %s without lifting the lookups restriction of %s"
	detailProxyWidens = `Cilium learns the addresses of DNS names only from lookups that pass its DNS proxy, so netpolc adds an egress rule to the DNS server that lets every name through for the pods of this DNS-name rule that no "allow dns" covers. Cilium merges the rules that select a pod, so pods that also have "allow dns ... lookups" would be able to look up every name. Write "allow dns for ..." (with or without lookups) for the pods of this rule, so that netpolc adds nothing, or make the two sets of pods disjoint.`
	noteProxyWidens   = "the lookups restriction that would stop applying"

	msgL7Voided    = "this rule allows %s at L4 and voids the %s rules of an overlapping rule on Cilium"
	detailL7Voided = "Cilium merges the rules that select an endpoint: where an L4-only allow and an L7-restricted allow cover the same port and peer, every request is allowed. Narrow this rule's peers or ports so that they do not overlap, or add the same L7 rules to it."
	noteL7Voided   = "the %s rules that stop applying"
)
