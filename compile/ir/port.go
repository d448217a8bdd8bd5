package ir

// This file decides containment and overlap of ports. A named port is
// resolved against the destination pod, so it may be any number: it is
// contained only in the same name or in every port of its protocol, and it
// may overlap any port of a compatible protocol, but not another name (a
// pod does not declare the same port number and protocol twice).

// Covers reports whether every (protocol, port) that q matches also
// matches p. It is sound: false when it cannot tell, as for a numbered p
// and a named q.
func (p Port) Covers(q Port) bool {
	if p.Protocol != q.Protocol && p.Protocol != ProtoAny {
		return false
	}
	switch {
	case p.all():
		return true
	case p.Name != "" || q.Name != "":
		return p.Name == q.Name
	}
	pFirst, pLast := p.numbers()
	qFirst, qLast := q.numbers()
	return pFirst <= qFirst && qLast <= pLast
}

// MayOverlap reports whether some (protocol, port) may match both p and q.
// It is sound: a named port is taken to overlap every port of a compatible
// protocol, except a different name.
func (p Port) MayOverlap(q Port) bool {
	if p.Protocol != q.Protocol && p.Protocol != ProtoAny && q.Protocol != ProtoAny {
		return false
	}
	switch {
	case p.all() || q.all():
		return true
	case p.Name != "" && q.Name != "":
		return p.Name == q.Name
	case p.Name != "" || q.Name != "":
		return true
	}
	pFirst, pLast := p.numbers()
	qFirst, qLast := q.numbers()
	return pFirst <= qLast && qFirst <= pLast
}

// all reports whether p is every port of its protocol.
func (p Port) all() bool { return p.Port == 0 && p.Name == "" }

// numbers returns the first and last port number of a numbered port (1 and
// 65535 for every port).
func (p Port) numbers() (first, last uint16) {
	switch {
	case p.all():
		return 1, 65535
	case p.EndPort != 0:
		return p.Port, p.EndPort
	}
	return p.Port, p.Port
}
