package api

import "maps"

// ICMPTypes returns the ICMP type names of family and their numbers.
func ICMPTypes(family string) map[string]string { return maps.Clone(typesOf(family)) }
