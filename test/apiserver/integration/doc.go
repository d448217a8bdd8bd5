// Package integration holds the tests that run netpolc's output against a
// real kube-apiserver (see ../realk8s.sh).
package integration
