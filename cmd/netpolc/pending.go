package main

import (
	"errors"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// This file bridges to packages that are still being written; each function
// becomes a direct call once its package lands.

// formatSource is format.Source.
func formatSource(f *source.File) ([]byte, diag.List) {
	var l diag.List
	l.Errorf(internalCode, source.Span{File: f.Name}, "fmt: lang/format is not available yet")
	return nil, l
}

// loadWorld is eval.LoadWorld.
func loadWorld(data []byte) (*eval.World, error) {
	return nil, errors.New("--world is not available yet")
}

// checkCapabilities is backends.CheckCapabilities.
func checkCapabilities(p *ir.Program, b backends.Backend, opts backends.Options) diag.List {
	return nil
}
