package compile

import (
	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/parser"
	"github.com/netpolc/netpolc/lang/source"
)

// parseFile parses one file.
func parseFile(f *source.File) (*ast.File, diag.List) { return parser.ParseFile(f) }
