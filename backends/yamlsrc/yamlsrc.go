// Package yamlsrc reads Kubernetes objects from YAML and JSON files as
// people have them, keeping the position of every node, so that importers
// report errors at the line and column of the field they concern.
//
// Read accepts multi-document streams (empty documents are skipped), the
// "kind: List" wrapper and any other "*List" wrapper with items (as written
// by "kubectl get -o yaml"), JSON (a JSON document is a YAML document),
// flow style (trailing commas included, which YAML allows in flow
// collections) and the server-side noise of "kubectl get -o yaml" output:
// managedFields, status, resourceVersion, uid, generation,
// creationTimestamp and annotations such as
// kubectl.kubernetes.io/last-applied-configuration are accepted and
// ignored by Object.Decode.
//
// It parses into go.yaml.in/yaml/v3's yaml.Node, which keeps the line and
// column of every scalar, mapping and sequence (sigs.k8s.io/yaml, which the
// API machinery uses, converts YAML to JSON first and so loses them). The
// module is the maintained continuation of gopkg.in/yaml.v3 and already a
// dependency of the Kubernetes modules netpolc uses. The block style
// kubectl prints is read by a faster reader of this package (fast.go) into
// the very nodes yaml.v3 gives, everything else by yaml.v3; Decode fills
// values in one pass where it can (decode_fast.go).
//
// Scalars are read as kubectl reads them where YAML 1.1 and 1.2 differ: a
// plain yes, no, on, off, y or n is a boolean (so "enabled: on" as a label
// value is an error, as with kubectl, and "enabled: 'on'" a string). Lines
// end where YAML says (LF, CRLF, CR, NEL, LS, PS); columns of spans are
// bytes, as everywhere in netpolc.
//
// The API, for importers:
//
//	objs, diags := yamlsrc.Read(files, yamlsrc.Options{Kinds: kinds, Namespace: ns})
//	for _, o := range objs {
//		var np networkingv1.NetworkPolicy
//		diags.Append(o.Decode(&np))            // strict, positioned
//		span := o.Pos("spec", "ingress", 0, "from") // the field's span
//	}
//
// Diagnostics use the codes below; errors stop nothing but the object (or,
// for a YAML syntax error, the rest of its file).
//
// The package knows nothing of netpolc's targets: it imports only
// lang/source and lang/diag, so that every importer (NetworkPolicy, Cilium)
// builds on it.
package yamlsrc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/netpolc/netpolc/internal/par"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// Diagnostic codes of this package.
const (
	CodeYAML         diag.Code = "yaml"          // the text is not valid YAML
	CodeNotObject    diag.Code = "not-an-object" // a document that is not a Kubernetes object
	CodeSkipped      diag.Code = "skipped"       // an object of a kind not asked for (info)
	CodeAPIVersion   diag.Code = "api-version"   // a kind asked for, in another API version (warning)
	CodeNoNamespace  diag.Code = "no-namespace"  // a namespaced object without a namespace
	CodeNoName       diag.Code = "no-name"       // an object without metadata.name
	CodeUnknownField diag.Code = "unknown-field" // Decode: a field the type does not have
	CodeDuplicate    diag.Code = "duplicate-field"
	CodeBadValue     diag.Code = "bad-value" // Decode: a value of the wrong type
)

// Kind is an object kind Read returns.
type Kind struct {
	APIVersion string // e.g. "networking.k8s.io/v1"
	Kind       string // e.g. "NetworkPolicy"
	// ClusterScoped kinds have no namespace (e.g.
	// CiliumClusterwideNetworkPolicy); Options.Namespace does not apply to
	// them and a metadata.namespace they carry is ignored.
	ClusterScoped bool
}

// Options say which objects Read returns.
type Options struct {
	// Kinds are the kinds returned; objects of every other kind are
	// skipped with an info diagnostic ("skipped Deployment shop/web"), and
	// objects of one of these kinds in another API version with a warning.
	Kinds []Kind
	// Namespace is the namespace of namespaced objects without
	// metadata.namespace, like kubectl's --namespace. When empty, such an
	// object is an error.
	Namespace string
	// NamespaceHint ends the message of that error: how to give the
	// namespace ("pass --namespace" when empty).
	NamespaceHint string
	// Untyped makes Read return the documents that are mappings with
	// neither apiVersion nor kind (at the top of a stream, not as items of
	// a List) as Objects with an empty APIVersion, Kind, Namespace and
	// Name, for formats of netpolc's own that share a stream with
	// Kubernetes objects; Decode and Pos work on them. Without Untyped,
	// such a document is an error.
	Untyped bool
	// Skip, when set, is called for each object of a kind Kinds does not
	// list (in any API version) instead of reporting it with an info
	// diagnostic: its kind, its description ("ConfigMap shop/x") and span.
	Skip func(kind, object string, span source.Span)
	// Each, when set, is called once for every object Read returns,
	// before Read returns, as soon as the object is read: on several
	// goroutines at once and in no particular order. When it returns
	// false, Read drops the object's YAML: Pos then returns the object's
	// Span, Has reports false, IsNull true, and Decode fails. A caller
	// that decodes what it needs in Each keeps in memory only a few parts
	// of a big input's node trees at a time. When a file has a syntax
	// error, Each may also have been called for objects of it that Read
	// does not return (the file is then read again, as without Each).
	Each func(o *Object) (keep bool)
}

// Object is one Kubernetes object of a file, with the YAML it was read from.
type Object struct {
	File       *source.File
	APIVersion string
	Kind       string
	// Namespace is metadata.namespace, or Options.Namespace when it has
	// none; "" for a cluster-scoped kind.
	Namespace string
	Name      string // metadata.name
	// ClusterScoped is the Kind's ClusterScoped.
	ClusterScoped bool
	// Span covers the object's mapping.
	Span source.Span

	node    *yaml.Node // the object's mapping; nil when dropped (Options.Each)
	text    *text
	visited bool // given to Options.Each
}

// text is a file with the offsets of its lines.
type text struct {
	f     *source.File
	lines []int // offset of each line (index 0: line 1)
	// fields caches jsonFields for Decode, for the objects of this file;
	// mu guards it, so that objects decode concurrently.
	mu     sync.Mutex
	fields map[reflect.Type]map[string]reflect.Type
	// fastCache holds fastFields' *structFields per struct type,
	// fastKinds readsItself's answers per type.
	fastCache, fastKinds sync.Map
}

// jsonFields returns the JSON fields of struct type typ, computed once
// per file.
func (t *text) jsonFields(typ reflect.Type) map[string]reflect.Type {
	t.mu.Lock()
	defer t.mu.Unlock()
	fields := t.fields[typ]
	if fields == nil {
		fields = jsonFields(typ)
		if t.fields == nil {
			t.fields = map[reflect.Type]map[string]reflect.Type{}
		}
		t.fields[typ] = fields
	}
	return fields
}

func newText(f *source.File) *text { return &text{f: f, lines: lineOffsets(f)} }

// String names the object for messages: "NetworkPolicy shop/web" (kind,
// namespace/name; name only when cluster-scoped).
func (o *Object) String() string {
	if o.Kind == "" {
		return "document"
	}
	return describe(o.Kind, o.Namespace, o.Name)
}

func describe(kind, ns, name string) string {
	if ns == "" {
		return kind + " " + name
	}
	return kind + " " + ns + "/" + name
}

// Read returns every object of the kinds opts asks for, in file order (items
// of a List in their order), and the diagnostics: errors for text that is
// not YAML (at the line the parser names, and then the rest of that file is
// not read), for documents that are not objects, and for objects without a
// name or (namespaced, without Options.Namespace) a namespace; info for
// objects skipped. Objects with an error are not returned.
func Read(files []*source.File, opts Options) ([]*Object, diag.List) {
	r := &reader{opts: opts}
	for _, f := range files {
		r.file(f)
	}
	if opts.Each != nil {
		par.For(runtime.GOMAXPROCS(0), len(r.objs), func(i int) { r.visit(r.objs[i]) })
	}
	return r.objs, r.diags
}

type reader struct {
	opts  Options
	objs  []*Object
	diags diag.List
}

func (r *reader) file(f *source.File) {
	t := newText(f)
	if r.opts.Each != nil && r.streamFile(t, f.Content) {
		return
	}
	content := f.Content
	if looksLikeJSON(content) {
		// YAML forbids tabs as indentation, JSON allows them as white
		// space anywhere; a raw tab inside a JSON string is invalid JSON,
		// so replacing every tab by a space keeps the offsets and the
		// meaning.
		content = bytes.ReplaceAll(content, []byte("\t"), []byte(" "))
	}
	docs, ok := parseParallel(content)
	if !ok && !looksLikeJSON(content) {
		docs, ok = fastDocs(content, 0)
	}
	if ok {
		for _, doc := range docs {
			r.root(t, doc)
		}
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			r.syntaxError(t, err)
			return
		}
		r.root(t, &doc)
	}
}

// root reads one parsed document.
func (r *reader) root(t *text, doc *yaml.Node) {
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return
		}
		root = root.Content[0]
	}
	r.document(t, resolve(root), true)
}

// parallelMin is the size from which a stream of several documents is
// parsed on several goroutines.
const parallelMin = 64 << 10

// parseParallel parses a YAML stream of many documents on up to GOMAXPROCS
// goroutines: the stream is cut at its document markers ("---" at the
// start of a line, which YAML never lets content begin with) into runs of
// whole documents, each run is parsed alone and its nodes' lines are moved
// by the lines before it. It gives up (ok false) on small or JSON input,
// on directives and document end markers, and on any error: the caller
// then parses sequentially, so that errors are reported exactly as before.
func parseParallel(content []byte) (docs []*yaml.Node, ok bool) {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || len(content) < parallelMin || looksLikeJSON(content) || bytes.HasPrefix(content, []byte(source.BOM)) {
		return nil, false
	}
	cuts, ok := documentCuts(content)
	if !ok {
		return nil, false
	}
	if len(cuts) < 2*workers {
		// Few documents: each alone, a big List on several goroutines.
		parsedList := false
		for i, c := range cuts {
			end := len(content)
			if i+1 < len(cuts) {
				end = cuts[i+1].off
			}
			chunk := content[c.off:end]
			if len(chunk) >= parallelMin {
				if d, ok := parseList(chunk, workers); ok {
					shiftLines(d[0], c.line)
					docs = append(docs, d[0])
					parsedList = true
					continue
				}
			}
			d, ok := decodeDocs(chunk, c.line)
			if !ok {
				return nil, false
			}
			docs = append(docs, d...)
		}
		return docs, parsedList
	}
	// Runs of whole documents, a few per worker.
	runs := min(len(cuts), 4*workers)
	type run struct {
		from, to, line int
		docs           []*yaml.Node
		err            bool
	}
	rs := make([]run, runs)
	for i := range rs {
		a, b := cuts[i*len(cuts)/runs], len(content)
		if i+1 < runs {
			b = cuts[(i+1)*len(cuts)/runs].off
		}
		rs[i] = run{from: a.off, to: b, line: a.line}
	}
	par.For(workers, len(rs), func(i int) {
		rn := &rs[i]
		var ok bool
		rn.docs, ok = decodeDocs(content[rn.from:rn.to], rn.line)
		rn.err = !ok
	})
	for _, rn := range rs {
		if rn.err {
			return nil, false
		}
		docs = append(docs, rn.docs...)
	}
	return docs, true
}

// cut is where a document starts: its offset and line (0-based).
type cut struct{ off, line int }

// documentCuts returns where the documents of content start: at 0 and at
// each document marker ("---" at the start of a line); ok false on
// directives and document end markers.
func documentCuts(content []byte) (cuts []cut, ok bool) {
	cuts = []cut{{0, 0}}
	line := 0
	for off := 0; off < len(content); {
		rest := content[off:]
		if len(rest) > 0 && rest[0] == '%' {
			return nil, false // a directive
		}
		for _, marker := range []string{"---", "..."} {
			if bytes.HasPrefix(rest, []byte(marker)) && (len(rest) == 3 || rest[3] == ' ' || rest[3] == '\t' || rest[3] == '\n' || rest[3] == '\r') {
				if marker == "..." {
					return nil, false // a document end marker
				}
				cuts = append(cuts, cut{off, line})
			}
		}
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
		line++
	}
	return cuts, true
}

// streamFile reads content, for Options.Each, as parseParallel would, but
// the items of a big List (kubectl's output), and the documents of a
// stream of many, run by run on several goroutines: each run is parsed, its objects read and given to Each, and
// the YAML of those Each does not keep is dropped before the next runs, so
// that only a few runs' node trees are in memory at once. It gives up (ok
// false, having changed nothing but called Each) on input parseParallel
// would not read in parallel, on a List it would not cut into items, on a
// List the object checks would not unwrap as one (Options.Untyped, no
// apiVersion or kind, merge keys) and on any error; the caller then reads
// the file as usual.
func (r *reader) streamFile(t *text, content []byte) bool {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || len(content) < parallelMin || looksLikeJSON(content) || bytes.HasPrefix(content, []byte(source.BOM)) {
		return false
	}
	cuts, ok := documentCuts(content)
	if !ok {
		return false
	}
	if len(cuts) >= 2*workers {
		return r.streamDocs(t, content, cuts, workers)
	}
	// Each document parsed, or cut into runs when it is a big List.
	type part struct {
		docs  []*yaml.Node
		list  listSplit
		chunk []byte
	}
	var parts []part
	lists := 0
	for i, c := range cuts {
		end := len(content)
		if i+1 < len(cuts) {
			end = cuts[i+1].off
		}
		chunk := content[c.off:end]
		if len(chunk) >= parallelMin {
			if l, ok := splitList(chunk, workers, 32*workers); ok && unwrapsAsList(l.list) {
				for j := range l.runs {
					l.runs[j].line += c.line
				}
				parts = append(parts, part{list: l, chunk: chunk})
				lists++
				continue
			}
		}
		d, ok := decodeDocs(chunk, c.line)
		if !ok {
			return false
		}
		parts = append(parts, part{docs: d})
	}
	if lists == 0 {
		return false
	}
	for _, p := range parts {
		if p.list.runs == nil {
			for _, doc := range p.docs {
				r.root(t, doc)
			}
			continue
		}
		ok := r.streamRuns(workers, len(p.list.runs), func(i int, sub *reader, a *arena) bool {
			seq := p.list.parseRunIn(p.chunk, i, a)
			if seq == nil {
				return false
			}
			for _, it := range seq.Content {
				sub.document(t, resolve(it), false)
			}
			return true
		})
		if !ok {
			return false
		}
	}
	return true
}

// streamDocs is streamFile for a stream of many documents (cut at cuts):
// runs of whole documents, each parsed and read on its own.
func (r *reader) streamDocs(t *text, content []byte, cuts []cut, workers int) bool {
	runs := min(len(cuts), 32*workers)
	return r.streamRuns(workers, runs, func(i int, sub *reader, ar *arena) bool {
		a, b := cuts[i*len(cuts)/runs], len(content)
		if i+1 < runs {
			b = cuts[(i+1)*len(cuts)/runs].off
		}
		docs, ok := decodeDocsIn(content[a.off:b], a.line, ar)
		if !ok {
			return false
		}
		for _, doc := range docs {
			sub.root(t, doc)
		}
		return true
	})
}

// streamRuns reads n runs on workers goroutines, run i by read(i, sub, a)
// into a reader of its own (false: a syntax error) with its nodes from
// arena a, gives their objects to Options.Each as soon as a run is read,
// and then appends the runs' objects and diagnostics in order and replays
// their skipped objects in order to Options.Skip. It reports false, having
// added nothing, when a run reports false. A run whose objects Each all
// dropped leaves no node in use: its arena is reset and reused.
func (r *reader) streamRuns(workers, n int, read func(i int, sub *reader, a *arena) bool) bool {
	type skipCall struct {
		kind, object string
		span         source.Span
	}
	type runResult struct {
		objs  []*Object
		diags diag.List
		skips []skipCall
		ok    bool
	}
	res := make([]runResult, n)
	free := make(chan *arena, workers) // arenas of runs that kept no node
	par.For(workers, n, func(i int) {
		rr := &res[i]
		sub := &reader{opts: r.opts}
		if r.opts.Skip != nil {
			sub.opts.Skip = func(kind, object string, span source.Span) {
				rr.skips = append(rr.skips, skipCall{kind, object, span})
			}
		}
		var a *arena
		select {
		case a = <-free:
		default:
			a = &arena{}
		}
		if !read(i, sub, a) {
			return
		}
		kept := false
		for _, o := range sub.objs {
			r.visit(o)
			kept = kept || o.node != nil
		}
		rr.objs, rr.diags, rr.ok = sub.objs, sub.diags, true
		if !kept {
			a.reset()
			select {
			case free <- a:
			default:
			}
		}
	})
	for _, rr := range res {
		if !rr.ok {
			return false
		}
	}
	for _, rr := range res {
		r.objs = append(r.objs, rr.objs...)
		r.diags = append(r.diags, rr.diags...)
		for _, c := range rr.skips {
			r.opts.Skip(c.kind, c.object, c.span)
		}
	}
	return true
}

// unwrapsAsList reports whether document m, a List without its items, is
// one the object checks unwrap without a word: apiVersion and kind
// strings, the kind ending in "List", no merge key.
func unwrapsAsList(m *yaml.Node) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind != yaml.ScalarNode || m.Content[i].ShortTag() == "!!merge" {
			return false
		}
	}
	apiVersion, _ := str(field(m, "apiVersion"))
	kind, _ := str(field(m, "kind"))
	return apiVersion != "" && strings.HasSuffix(kind, "List")
}

// visit gives o to Options.Each once, and drops its YAML unless Each
// keeps it.
func (r *reader) visit(o *Object) {
	if r.opts.Each == nil || o.visited {
		return
	}
	o.visited = true
	if !r.opts.Each(o) {
		o.node = nil
	}
}

// decodeDocs decodes every document of chunk, with their lines moved down
// by line (where chunk starts); ok false on any error. It reads the block
// style with fastDocs, everything else with yaml.v3 (yamlDocs).
func decodeDocs(chunk []byte, line int) (docs []*yaml.Node, ok bool) {
	return decodeDocsIn(chunk, line, nil)
}

// decodeDocsIn is decodeDocs with fastDocs' nodes from a (nil:
// allocated).
func decodeDocsIn(chunk []byte, line int, a *arena) (docs []*yaml.Node, ok bool) {
	if docs, ok := fastDocsIn(chunk, line, a); ok {
		return docs, true
	}
	return yamlDocs(chunk, line)
}

// yamlDocs is decodeDocs with yaml.v3 alone.
func yamlDocs(chunk []byte, line int) (docs []*yaml.Node, ok bool) {
	dec := yaml.NewDecoder(bytes.NewReader(chunk))
	for {
		doc := new(yaml.Node)
		err := dec.Decode(doc)
		if errors.Is(err, io.EOF) {
			return docs, true
		}
		if err != nil {
			return nil, false
		}
		shiftLines(doc, line)
		docs = append(docs, doc)
	}
}

// parseList parses a single document that is a List as kubectl prints it
// (a top-level "items:" line followed by items written "- " at the start
// of a line) on up to workers goroutines: runs of whole items are parsed
// alone, the rest of the document without them, and the items are put
// back under "items" with their lines moved to where they are. It gives
// up (ok false) on anything else and on any error.
func parseList(content []byte, workers int) (docs []*yaml.Node, ok bool) {
	l, ok := splitList(content, workers, 4*workers)
	if !ok {
		return nil, false
	}
	seqs := make([]*yaml.Node, len(l.runs))
	par.For(workers, len(l.runs), func(i int) { seqs[i] = l.parseRun(content, i) })
	if slices.Contains(seqs, nil) {
		return nil, false
	}
	seq := *seqs[0]
	seq.Content = nil
	for _, s := range seqs {
		seq.Content = append(seq.Content, s.Content...)
	}
	l.list.Content[l.itemsAt] = &seq
	return []*yaml.Node{l.doc}, true
}

// listSplit is a List document cut into its items, in runs, and the rest.
type listSplit struct {
	doc     *yaml.Node // the document without its items ("items:" null), lines where they are
	list    *yaml.Node // its mapping
	itemsAt int        // the index of the items' value in list.Content
	runs    []itemRun
}

// itemRun is a run of whole items: content[from:to], starting at line
// line (0-based).
type itemRun struct{ from, to, line int }

// splitList cuts content, a single List document as parseList reads
// it, into the rest of the document (parsed) and at most maxRuns runs of
// items (not parsed), at least 2*workers of them; ok false on anything
// else.
func splitList(content []byte, workers, maxRuns int) (l listSplit, ok bool) {
	// Lines (start offsets) of the items block and of each item.
	var itemStarts []int
	blockStart, blockEnd := -1, -1
	blockLine, blockLines := 0, 0
	line := 0
	for off := 0; off < len(content); line++ {
		nl := bytes.IndexByte(content[off:], '\n')
		end := len(content)
		if nl >= 0 {
			end = off + nl + 1
		}
		text := bytes.TrimRight(content[off:end], "\r\n")
		switch {
		case blockStart < 0:
			if bytes.Equal(bytes.TrimRight(text, " "), []byte("items:")) {
				blockStart, blockLine = end, line+1
			}
		case blockEnd >= 0:
		case bytes.HasPrefix(text, []byte("- ")):
			itemStarts = append(itemStarts, off)
		case len(text) == 0 || text[0] == ' ':
			// inside an item (or blank)
		case text[0] == '#' || text[0] == '-':
			return l, false
		default:
			blockEnd, blockLines = off, line-blockLine
		}
		if nl < 0 {
			break
		}
		off = end
	}
	if blockStart < 0 || len(itemStarts) < 2*workers || itemStarts[0] != blockStart {
		return l, false
	}
	if blockEnd < 0 {
		blockEnd = len(content) // nothing follows the items: no line to move
	}
	// The document without its items, lines after them moved back.
	rest := append(append([]byte{}, content[:blockStart]...), content[blockEnd:]...)
	restDocs, ok := decodeDocs(rest, 0)
	if !ok || len(restDocs) != 1 || len(restDocs[0].Content) != 1 {
		return l, false
	}
	doc := restDocs[0]
	var after func(x *yaml.Node)
	after = func(x *yaml.Node) {
		if x.Line > blockLine {
			x.Line += blockLines
		}
		for _, c := range x.Content {
			after(c)
		}
	}
	after(doc)
	m := doc.Content[0]
	itemsAt := -1
	for i := 0; m.Kind == yaml.MappingNode && i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "items" {
			if itemsAt >= 0 {
				return l, false
			}
			itemsAt = i + 1
		}
	}
	if itemsAt < 0 || m.Content[itemsAt].Kind != yaml.ScalarNode || m.Content[itemsAt].Tag != "!!null" {
		return l, false
	}
	l = listSplit{doc: doc, list: m, itemsAt: itemsAt}
	// Runs of whole items.
	runs := min(len(itemStarts), maxRuns)
	lines, counted := 0, 0 // lines before offset counted
	for i := 0; i < runs; i++ {
		a, b := itemStarts[i*len(itemStarts)/runs], blockEnd
		if i+1 < runs {
			b = itemStarts[(i+1)*len(itemStarts)/runs]
		}
		lines += bytes.Count(content[counted:a], []byte("\n"))
		counted = a
		l.runs = append(l.runs, itemRun{from: a, to: b, line: lines})
	}
	return l, true
}

// parseRun parses run i of content's items: a sequence node, nil on any
// error.
func (l *listSplit) parseRun(content []byte, i int) *yaml.Node {
	return l.parseRunIn(content, i, nil)
}

// parseRunIn is parseRun with the nodes from a (nil: allocated).
func (l *listSplit) parseRunIn(content []byte, i int, a *arena) *yaml.Node {
	rn := l.runs[i]
	d, ok := decodeDocsIn(content[rn.from:rn.to], rn.line, a)
	if !ok || len(d) != 1 || len(d[0].Content) != 1 || d[0].Content[0].Kind != yaml.SequenceNode {
		return nil
	}
	return d[0].Content[0]
}

// shiftLines adds n to the line of every node of the tree n0.
func shiftLines(n0 *yaml.Node, n int) {
	if n == 0 {
		return
	}
	var walk func(x *yaml.Node)
	walk = func(x *yaml.Node) {
		if x.Line > 0 {
			x.Line += n
		}
		for _, c := range x.Content {
			walk(c)
		}
	}
	walk(n0)
}

// looksLikeJSON reports whether the first non-blank byte opens a JSON
// object or array.
func looksLikeJSON(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte(source.BOM))
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserMessages start the messages of the YAML parser (as opposed to its
// scanner): for those the line the library reports is the 0-based line of
// the construct being parsed.
var parserMessages = []string{"did not find expected", "found duplicate", "found incompatible", "found undefined"}

// syntaxError reports a YAML error at the line it names: the first
// non-blank column of that line.
func (r *reader) syntaxError(t *text, err error) {
	msg := err.Error()
	line := 1
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		for _, p := range parserMessages {
			if strings.HasPrefix(msg, p) {
				line++ // 0-based: the construct being parsed
				break
			}
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	line = max(1, min(line, len(t.lines)))
	off := t.lines[line-1]
	for off < len(t.f.Content) && (t.f.Content[off] == ' ' || t.f.Content[off] == '\t') {
		off++
	}
	r.diags.Errorf(CodeYAML, t.f.Span(off, off), "invalid YAML: %s", msg)
}

// document reads one document (top) or item of a List: an object, a list
// of objects, or nothing.
func (r *reader) document(t *text, n *yaml.Node, top bool) {
	f := t.f
	switch {
	case n.Kind == yaml.ScalarNode && tagOf(n) == "!!null":
		return // an empty document
	case n.Kind != yaml.MappingNode:
		r.diags.Errorf(CodeNotObject, span(t, n), "a Kubernetes object is a mapping with apiVersion and kind, found %s", nodeKind(n))
		return
	}
	apiVersion, _ := str(field(n, "apiVersion"))
	kind, _ := str(field(n, "kind"))
	if r.opts.Untyped && top && field(n, "apiVersion") == nil && field(n, "kind") == nil {
		r.objs = append(r.objs, &Object{File: f, Span: span(t, n), node: n, text: t})
		return
	}
	if apiVersion == "" || kind == "" {
		missing := "apiVersion and kind"
		if apiVersion != "" {
			missing = "kind"
		} else if kind != "" {
			missing = "apiVersion"
		}
		r.diags.Errorf(CodeNotObject, span(t, n), "not a Kubernetes object: no %s", missing)
		return
	}
	if strings.HasSuffix(kind, "List") {
		if items := field(n, "items"); items != nil {
			r.list(t, items)
			return
		}
	}
	meta := field(n, "metadata")
	name, _ := str(field(meta, "name"))
	ns, _ := str(field(meta, "namespace"))
	var want *Kind
	other := ""
	for i, k := range r.opts.Kinds {
		if k.Kind == kind {
			if k.APIVersion == apiVersion {
				want = &r.opts.Kinds[i]
				break
			}
			other = k.APIVersion
		}
	}
	if want == nil {
		if other != "" {
			r.diags.Warnf(CodeAPIVersion, span(t, n), "skipped %s: apiVersion %s is not read (only %s)", describe(kind, ns, name), apiVersion, other)
		} else if r.opts.Skip != nil {
			r.opts.Skip(kind, describe(kind, ns, name), span(t, n))
		} else {
			r.diags.Add(diag.Diagnostic{Severity: diag.Info, Code: CodeSkipped, Span: span(t, n), Message: "skipped " + describe(kind, ns, name)})
		}
		return
	}
	bad := map[string]bool{}
	for _, key := range []string{"name", "namespace"} {
		if v := field(meta, key); v != nil {
			if _, ok := str(v); !ok && !isNull(v) {
				r.diags.Errorf(CodeBadValue, span(t, v), "metadata.%s must be a string, found %s", key, nodeKind(v))
				bad[key] = true
			}
		}
	}
	if name == "" && !bad["name"] {
		r.diags.Errorf(CodeNoName, pos(t, n, "metadata", "name"), "%s has no metadata.name", kind)
		bad["name"] = true
	}
	if want.ClusterScoped {
		ns = ""
	} else if ns == "" && !bad["namespace"] {
		ns = r.opts.Namespace
		if ns == "" {
			hint := r.opts.NamespaceHint
			if hint == "" {
				hint = "pass --namespace"
			}
			r.diags.Errorf(CodeNoNamespace, pos(t, n, "metadata", "namespace"), "%s has no metadata.namespace; %s", describe(kind, "", name), hint).Detail =
				"A namespaced object without a namespace goes to the namespace kubectl is told to use; say which one."
			bad["namespace"] = true
		}
	}
	if len(bad) > 0 {
		return
	}
	r.objs = append(r.objs, &Object{
		File: f, APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name,
		ClusterScoped: want.ClusterScoped, Span: span(t, n), node: n, text: t,
	})
}

// list reads the items of a List wrapper.
func (r *reader) list(t *text, items *yaml.Node) {
	switch {
	case isNull(items):
	case items.Kind != yaml.SequenceNode:
		r.diags.Errorf(CodeNotObject, span(t, items), "items of a List must be a sequence, found %s", nodeKind(items))
	default:
		for _, it := range items.Content {
			r.document(t, resolve(it), false)
		}
	}
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// field returns the value of key in mapping m, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	_, v := entry(m, key)
	return v
}

// entry returns the key and value nodes of key in mapping m (merge keys
// included), or nils.
func entry(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for _, kv := range pairs(m) {
		if kv[0].Value == key && kv[0].Kind == yaml.ScalarNode {
			return kv[0], kv[1]
		}
	}
	return nil, nil
}

// pairs returns the key-value pairs of mapping m, with aliases resolved
// and merge keys ("<<") expanded: a key of m wins over a merged one, and
// earlier merged mappings over later ones.
func pairs(m *yaml.Node) [][2]*yaml.Node {
	return pairsOnce(m, map[*yaml.Node]bool{m: true})
}

// pairsOnce is pairs, expanding each merged mapping once (a mapping merged
// again adds no key), so that merges of merges cost linear time.
func pairsOnce(m *yaml.Node, done map[*yaml.Node]bool) [][2]*yaml.Node {
	var out, merged [][2]*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], resolve(m.Content[i+1])
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, s := range srcs {
				if s = resolve(s); s != nil && s.Kind == yaml.MappingNode && !done[s] {
					done[s] = true
					merged = append(merged, pairsOnce(s, done)...)
				}
			}
			continue
		}
		out = append(out, [2]*yaml.Node{k, v})
	}
	for _, kv := range merged {
		dup := false
		for _, o := range out {
			if o[0].Value == kv[0].Value {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, kv)
		}
	}
	return out
}

// str returns the value of a string scalar.
func str(n *yaml.Node) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || tagOf(n) != "!!str" {
		return "", false
	}
	return n.Value, true
}

// yaml11True and yaml11False are the plain scalars YAML 1.1 reads as
// booleans beyond true and false (in any of their spellings).
var (
	yaml11True  = map[string]bool{"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true}
	yaml11False = map[string]bool{"n": true, "N": true, "no": true, "No": true, "NO": true, "off": true, "Off": true, "OFF": true}
)

// tagOf is the tag of a node as kubectl reads it. kubectl parses YAML 1.1
// (sigs.k8s.io/yaml), where a plain yes, no, on, off, y or n is a boolean,
// while yaml.v3 reads YAML 1.2, where it is a string; tagOf says boolean,
// so that a label value "on" written without quotes is refused as kubectl
// refuses it, not read as a string.
func tagOf(n *yaml.Node) string {
	t := n.ShortTag()
	if t == "!!str" && n.Kind == yaml.ScalarNode && n.Style == 0 && len(n.Value) <= 3 && (yaml11True[n.Value] || yaml11False[n.Value]) {
		return "!!bool"
	}
	return t
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && tagOf(n) == "!!null")
}

// nodeKind describes a node for messages.
func nodeKind(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	}
	switch tagOf(n) {
	case "!!null":
		return "null"
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	}
	return fmt.Sprintf("%s %s", tagOf(n), n.Value)
}

// offset converts yaml.v3's 1-based line and column (which counts
// characters, not bytes) to a byte offset of f.
func offset(f *source.File, lines []int, line, col int) int {
	if line < 1 {
		return f.Start()
	}
	if line > len(lines) {
		return len(f.Content)
	}
	off := lines[line-1]
	end := len(f.Content)
	if line < len(lines) {
		end = lines[line]
	}
	for c := 1; c < col && off < end; c++ {
		_, size := utf8.DecodeRune(f.Content[off:])
		off += size
	}
	return min(off, len(f.Content))
}

// lineOffsets returns the offset of each line of f as YAML counts lines
// (index 0: line 1): a line ends at "\n", "\r\n", a lone "\r", and at
// U+0085, U+2028 and U+2029, which YAML parsers also treat as breaks.
func lineOffsets(f *source.File) []int {
	out := []int{f.Start()}
	c := f.Content
	if bytes.IndexByte(c, '\r') < 0 && bytes.Index(c, []byte("\u0085")) < 0 && bytes.Index(c, []byte("\u2028")) < 0 && bytes.Index(c, []byte("\u2029")) < 0 {
		// Line feeds only (the common case), found fast.
		out = make([]int, 1, bytes.Count(c, []byte("\n"))+1)
		out[0] = f.Start()
		for i := f.Start(); ; {
			nl := bytes.IndexByte(c[i:], '\n')
			if nl < 0 {
				return out
			}
			i += nl + 1
			out = append(out, i)
		}
	}
	for i := f.Start(); i < len(c); i++ {
		switch {
		case c[i] == '\n':
			out = append(out, i+1)
		case c[i] == '\r' && (i+1 == len(c) || c[i+1] != '\n'):
			out = append(out, i+1)
		case c[i] == 0xC2 && i+1 < len(c) && c[i+1] == 0x85:
			out = append(out, i+2)
		case c[i] == 0xE2 && i+2 < len(c) && c[i+1] == 0x80 && (c[i+2] == 0xA8 || c[i+2] == 0xA9):
			out = append(out, i+3)
		}
	}
	return out
}

// span is the source of node n: from its first character to the end of its
// last descendant (yaml.v3 records where a node starts only; a scalar ends
// after its text, a quoted one after its closing quote).
func span(t *text, n *yaml.Node) source.Span {
	return t.f.Span(offset(t.f, t.lines, n.Line, n.Column), end(t.f, t.lines, n))
}

// keySpan is the span of a mapping entry: from its key to the end of its
// value.
func keySpan(t *text, k, v *yaml.Node) source.Span {
	f, lines := t.f, t.lines
	start := offset(f, lines, k.Line, k.Column)
	e := end(f, lines, v)
	if e < start {
		e = end(f, lines, k)
	}
	return f.Span(start, e)
}

// end returns the offset just past node n.
func end(f *source.File, lines []int, n *yaml.Node) int {
	if n.Kind == yaml.AliasNode {
		return offset(f, lines, n.Line, n.Column) + 1 + len(n.Value)
	}
	if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode || n.Kind == yaml.DocumentNode) && len(n.Content) > 0 {
		e := end(f, lines, n.Content[len(n.Content)-1])
		if n.Style&yaml.FlowStyle != 0 {
			// Past the closing bracket.
			for e < len(f.Content) && f.Content[e] != ']' && f.Content[e] != '}' {
				e++
			}
			if e < len(f.Content) {
				e++
			}
		}
		return e
	}
	start := offset(f, lines, n.Line, n.Column)
	switch {
	case n.Kind != yaml.ScalarNode:
		// An empty flow collection: {} or [].
		if start < len(f.Content) && (f.Content[start] == '{' || f.Content[start] == '[') {
			if e := bytes.IndexAny(f.Content[start:], "]}"); e >= 0 {
				return start + e + 1
			}
		}
		return start
	case start >= len(f.Content):
		return start
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		q := f.Content[start]
		for i := start + 1; i < len(f.Content); i++ {
			switch {
			case f.Content[i] == '\\' && q == '"':
				i++
			case f.Content[i] == q && q == '\'' && i+1 < len(f.Content) && f.Content[i+1] == '\'':
				i++
			case f.Content[i] == q:
				return i + 1
			}
		}
		return len(f.Content)
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return start + 1 // the indicator; the block follows
	}
	// A plain scalar: its text, when it is on one line.
	if e := start + len(n.Value); e <= len(f.Content) && string(f.Content[start:e]) == n.Value {
		return e
	}
	if n.ShortTag() == "!!null" && n.Value == "" {
		return start
	}
	i := start
	for i < len(f.Content) && f.Content[i] != '\n' && f.Content[i] != ',' && f.Content[i] != ']' && f.Content[i] != '}' {
		i++
	}
	return i
}

// pos is Object.Pos on node n.
func pos(t *text, n *yaml.Node, path ...any) source.Span {
	// The span of the longest prefix found: of the key bestKey with its
	// value best, or of the node best when bestKey is nil. It is computed
	// once, at the end: a key's span runs to the end of its value, which
	// takes walking the value ("spec" is most of an object).
	cur, best := n, n
	var bestKey *yaml.Node
	found := func() source.Span {
		if bestKey != nil {
			return keySpan(t, bestKey, best)
		}
		return span(t, best)
	}
	for _, p := range path {
		cur = resolve(cur)
		switch p := p.(type) {
		case string:
			k, v := entry(cur, p)
			if k == nil {
				return found()
			}
			bestKey, best, cur = k, v, v
		case int:
			if cur == nil || cur.Kind != yaml.SequenceNode || p < 0 || p >= len(cur.Content) {
				return found()
			}
			cur = cur.Content[p]
			bestKey, best = nil, cur
		default:
			return found()
		}
	}
	return found()
}

// FieldPath splits a field path as the API machinery writes it
// (field.Path.String(): "spec.ingress[0].from[1]", "metadata.labels[app]")
// into the path Pos takes: keys as strings, indexes as ints.
func FieldPath(s string) []any {
	var out []any
	for s != "" {
		switch s[0] {
		case '.':
			s = s[1:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return out
			}
			inner := s[1:end]
			if n, err := strconv.Atoi(inner); err == nil {
				out = append(out, n)
			} else {
				out = append(out, inner)
			}
			s = s[end+1:]
		default:
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			out = append(out, s[:end])
			s = s[end:]
		}
	}
	return out
}

// Pos returns the span of the node at path, a sequence of mapping keys
// (string) and sequence indexes (int), e.g. ("spec", "ingress", 0, "from",
// 1, "ipBlock"): for a key, from the key to the end of its value; for an
// index, the item. When the path does not exist, it returns the span of
// its longest prefix that does (the object's span for none).
func (o *Object) Pos(path ...any) source.Span {
	if o.node == nil {
		return o.Span // dropped (Options.Each)
	}
	return pos(o.text, o.node, path...)
}

// Has reports whether the node at path exists (a key present with any
// value, null included; an index in range).
func (o *Object) Has(path ...any) bool {
	cur := o.node
	if cur == nil {
		return false // dropped (Options.Each)
	}
	for _, p := range path {
		cur = resolve(cur)
		switch p := p.(type) {
		case string:
			k, v := entry(cur, p)
			if k == nil {
				return false
			}
			cur = v
		case int:
			if cur == nil || cur.Kind != yaml.SequenceNode || p < 0 || p >= len(cur.Content) {
				return false
			}
			cur = cur.Content[p]
		default:
			return false
		}
	}
	return true
}

// IsNull reports whether the node at path is absent or null ("from:" and
// "from: null" as well as no "from").
func (o *Object) IsNull(path ...any) bool {
	if !o.Has(path...) {
		return true
	}
	cur := o.node
	for _, p := range path {
		switch p := p.(type) {
		case string:
			_, cur = entry(cur, p)
		case int:
			cur = resolve(cur).Content[p]
		}
	}
	return isNull(cur)
}
