package k8s

import "github.com/netpolc/netpolc/backends"

// MaxNameLength is the longest object name netpolc writes (shared by every
// backend: backends.MaxNameLength).
const MaxNameLength = backends.MaxNameLength
