// Package compile turns netpolc source files into the intent IR: parse,
// resolve names, check, lower, and verify the program's expectations. The
// stages are listed in the stages table; compilation stops after a stage
// that reported errors, and every stage collects all the errors it finds,
// continuing with placeholders.
//
// Stages never rewrite the AST: each records what it learned in side tables
// of the compiler (blocks, groups, resolved peers, lowered traffic) that the
// later stages read.
package compile

import (
	"sort"

	"github.com/netpolc/netpolc/compile/eval"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/ast"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Options controls a compilation.
type Options struct {
	// World, when set, is the world expectations are evaluated over;
	// otherwise a representative world is derived from the program's groups.
	World *eval.World
}

// Result is what a compilation produced. Program is nil when a stage up to
// and including lowering failed.
type Result struct {
	Files   []*ast.File
	Program *ir.Program
}

// stage is one named pass of the compiler. It reads and fills the side
// tables of c and returns what it found wrong.
type stage struct {
	name string
	run  func(c *compiler) diag.List
	// judgesProgram marks a stage whose errors are about the program's
	// behaviour (failed expectations), not about a program that could not
	// be built: the program is still returned.
	judgesProgram bool
}

// stages is the compiler pipeline, in order. Each stage has one job:
//
//   - parse: source text to syntax trees (lang/parser);
//   - resolve: the symbol table: blocks, groups expanded to the peers they
//     stand for, cycles, and every name checked;
//   - check: every peer, selector, port and name converted to IR values and
//     checked, each statement's combination checked; the result is the list
//     of checked statements;
//   - lower: checked statements to the IR program, in canonical form;
//   - lint: warnings about rules without effect or with a probably
//     unintended one (those about reply rules, which read the checked
//     statements, are found at the start of lower);
//   - validate: the IR invariants (ir.Validate); a violation is a bug of
//     netpolc, reported as an internal error;
//   - verify: the program's expectations, evaluated over a world.
var stages = []stage{
	{name: "parse", run: (*compiler).parse},
	{name: "resolve", run: (*compiler).resolve},
	{name: "check", run: (*compiler).check},
	{name: "lower", run: (*compiler).lower},
	{name: "lint", run: (*compiler).lint},
	{name: "validate", run: (*compiler).validate},
	{name: "verify", run: (*compiler).verify, judgesProgram: true},
}

// Compile compiles files as one program. The order of files does not
// matter: they are processed sorted by name.
func Compile(files []*source.File, opts Options) (*Result, diag.List) {
	c := newCompiler(files, opts)
	var all diag.List
	for _, st := range stages {
		d := st.run(c)
		all.Append(d)
		if d.HasErrors() {
			if !st.judgesProgram {
				c.prog = nil
			}
			break
		}
	}
	return &Result{Files: c.files, Program: c.prog}, all.Normalize()
}

// compiler holds the input, the side tables that the stages fill, and the
// output of one compilation.
type compiler struct {
	opts  Options
	srcs  []*source.File
	text  map[string][]byte // file name -> content, for quoting peers in messages
	files []*ast.File       // parsed, in input order (Result.Files)
	order []*ast.File       // parsed, sorted by file name: the processing order

	// resolve
	blockOf    [][]*block        // [file of order][statement] -> enclosing block (nil: none)
	groups     map[string]*group // declared groups by name
	groupList  []*group          // the same, in the order of their declarations
	groupOrder []*group          // every group, each after the groups it refers to
	governed   map[string]bool   // namespaces opened by "namespace NAME"
	dnsServer  *ast.DNSServer    // the first "dns server", if any

	// check; lower releases the tables of resolve and check (groups,
	// blockOf, peers, stmts) once it has read them: no later stage needs
	// them, and the program is not held together with them.
	peers map[ast.Peer][]rpeer // every peer as written -> IR peers (absolute namespaces)
	stmts []checked            // the statements lower turns into policy, in order
	dns   ir.DNSServer

	// lower
	prog     *ir.Program
	policies []*policyState // the program's policies with where they came from (for lint)
	replies  diag.List      // lintReplies' warnings, found by lower before it releases the statements; lint reports them
}

func newCompiler(files []*source.File, opts Options) *compiler {
	c := &compiler{
		opts:     opts,
		srcs:     files,
		text:     map[string][]byte{},
		groups:   map[string]*group{},
		governed: map[string]bool{},
		peers:    map[ast.Peer][]rpeer{},
	}
	for _, f := range files {
		c.text[f.Name] = f.Content
	}
	return c
}

// parse parses every file; a file that does not parse at all contributes
// nothing, and bad statements are already reported by the parser.
func (c *compiler) parse() diag.List {
	var diags diag.List
	for _, f := range c.srcs {
		af, d := parseFile(f)
		diags.Append(d)
		if af == nil {
			continue
		}
		if af.Name == "" {
			af.Name = f.Name
		}
		c.files = append(c.files, af)
	}
	c.order = append([]*ast.File(nil), c.files...)
	sort.SliceStable(c.order, func(i, j int) bool { return c.order[i].Name < c.order[j].Name })
	return diags
}

// validate checks the program's invariants (ir.Validate).
func (c *compiler) validate() diag.List {
	var diags diag.List
	if err := ir.Validate(c.prog); err != nil {
		diags.Errorf(CodeInternal, source.Span{}, msgInternal, err)
	}
	return diags
}

// quote returns the source text of span, for messages; "" if unknown.
func (c *compiler) quote(span source.Span) string {
	content, ok := c.text[span.File]
	if !ok || !span.IsValid() || span.End.Offset > len(content) || span.Start.Offset > span.End.Offset {
		return ""
	}
	return string(content[span.Start.Offset:span.End.Offset])
}

// quotePeer names a peer in a message: its source text, or a rendering of
// the IR peer when the text is unknown.
func (c *compiler) quotePeer(p ast.Peer) string {
	if s := c.quote(p.Span()); s != "" {
		return s
	}
	if rps := c.peers[p]; len(rps) > 0 {
		return ir.FormatPeer(*rps[0].peer)
	}
	return "the peer"
}
