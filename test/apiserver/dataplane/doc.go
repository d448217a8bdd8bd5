// Package dataplane enforces netpolc's NetworkPolicy output on real packets:
// SIG Network's reference agent, kube-network-policies, watches the real
// kube-apiserver of test/apiserver and filters TCP and UDP connections
// between pods made of Linux network namespaces. Every observed verdict must
// equal netpolc's evaluator (compile/eval) and cyclonus's matcher.
//
// The package has only tests; test/apiserver/realk8s.sh run builds the agent
// and runs them against its server. docs/dataplane.md describes the harness.
package dataplane
