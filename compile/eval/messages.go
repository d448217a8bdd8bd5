package eval

import "github.com/netpolc/netpolc/lang/diag"

// Diagnostic codes of this package. They are stable.
const (
	codeExpectationFailed diag.Code = "expectation-failed"
	codeExpectationEmpty  diag.Code = "expectation-empty"
	codeBadRegexp         diag.Code = "eval-bad-regexp"
)

// Exported aliases so that callers can match on the codes.
const (
	CodeExpectationFailed = codeExpectationFailed
	CodeExpectationEmpty  = codeExpectationEmpty
)

// Messages (lower-case, no final period) and details (sentences).
const (
	msgBadRegexp = "invalid regular expression %q: %v"

	msgExpectFailed  = "expected %s to be %s, but it is %s"
	msgExpectNoFrom  = "no endpoint of the world matches the source %s"
	msgExpectNoTo    = "no endpoint of the world matches the destination %s"
	msgExpectNoPort  = "no destination of %s has a port named %q"
	detailFailedSome = "%d of %d flows of this expectation fail; the first is shown."

	msgExpectAllDenied  = "expected %s to be allowed on some port, but it is denied on %s (%s, for one)"
	msgExpectAllAllowed = "expected %s to be denied on %s, but %s is %s"
	detailFailedPairs   = "%d of %d source and destination pairs of this expectation fail; the first is shown."

	noteDeniedBy       = "denied by this rule (on the %s side of %s)"
	noteAllowedBy      = "allowed by this rule (on the %s side of %s)"
	noteIsolatedBy     = "no rule allows it; %s is isolated for %s by this policy"
	noteNotIsolated    = "%s is not isolated for %s, so the %s side allows it"
	noteNotGoverned    = "no policy selects %s, so the %s side allows it"
	noteL7Denied       = "the request matches none of the L7 rules of this rule (on the %s side of %s)"
	noteL7Allowed      = "the request matches the L7 rules of this rule (on the %s side of %s)"
	noteOrderedAllowed = "allowed by this ordered rule, the first that matches (priority %d; on the %s side of %s)"
	noteOrderedDenied  = "denied by this ordered rule, the first that matches (priority %d; on the %s side of %s)"
	noteOrderedPassed  = "passed to namespace policies by this ordered rule (priority %d; on the %s side of %s): only their isolation and allow rules decide"
	noteL7Restricted   = "allowed at L4 only for requests matching the L7 rules of this rule (on the %s side of %s)"
)
