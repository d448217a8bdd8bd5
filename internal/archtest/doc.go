// Package archtest holds the test that keeps netpolc's imports pointing one
// way (see arch_test.go). It has no code of its own.
package archtest
