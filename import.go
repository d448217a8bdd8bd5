package netpolc

import (
	"net/netip"
	"sync"

	"github.com/netpolc/netpolc/backends"
	"github.com/netpolc/netpolc/backends/cilium"
	"github.com/netpolc/netpolc/backends/k8s"
	"github.com/netpolc/netpolc/backends/netpolapi"
	"github.com/netpolc/netpolc/backends/yamlsrc"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/lang/diag"
	"github.com/netpolc/netpolc/lang/source"
)

// ImportOptions are the options of Import.
type ImportOptions struct {
	// Namespace is the namespace of namespaced objects that name none
	// (like kubectl's --namespace); without it such an object is an error.
	Namespace string
	// ClusterCIDRs are the cluster's own address ranges (pods, Services,
	// nodes): the network-policy API importer reads networks against them
	// (netpolapi.Importer).
	ClusterCIDRs []netip.Prefix
}

// importer is a built-in backend's importer with the kinds it reads.
type importer struct {
	kinds []yamlsrc.Kind
	imp   backends.Importer
}

// importers are the built-in importers: the one place they are listed.
func importers(opts ImportOptions) []importer {
	return []importer{
		{kinds: k8s.ImportKinds, imp: k8s.New().(backends.Importer)},
		{kinds: cilium.ImportKinds, imp: cilium.Backend{}},
		{kinds: netpolapi.ImportKinds, imp: netpolapi.Importer{ClusterCIDRs: opts.ClusterCIDRs}},
	}
}

// Import reads the Kubernetes policy objects of files (YAML or JSON, as
// people have them: multi-document streams, List wrappers, kubectl get
// output) of every kind a built-in backend imports, and returns what they
// mean as one IR program in canonical form, every node spanned at the
// YAML it came from. Objects of other kinds are skipped with a note;
// what the IR cannot hold is an error at its field. The program is nil
// when no object could be read.
func Import(files []*source.File, opts ImportOptions) (*ir.Program, diag.List) {
	imps := importers(opts)
	var kinds []yamlsrc.Kind
	for _, im := range imps {
		kinds = append(kinds, im.kinds...)
	}
	// Objects whose importer converts them one by one are converted as
	// soon as they are read, and their YAML dropped (the program keeps
	// the positions it needs): a big input's node trees are never all in
	// memory.
	var mu sync.Mutex
	converted := map[*yamlsrc.Object]any{}
	each := func(o *yamlsrc.Object) bool {
		for _, im := range imps {
			if oi, ok := im.imp.(backends.ObjectImporter); ok && im.reads(o) {
				c := oi.Convert(o)
				mu.Lock()
				converted[o] = c
				mu.Unlock()
				return false
			}
		}
		return true
	}
	objs, diags := yamlsrc.Read(files, yamlsrc.Options{Kinds: kinds, Namespace: opts.Namespace, Each: each})
	var progs []*ir.Program
	for _, im := range imps {
		var mine []*yamlsrc.Object
		for _, o := range objs {
			if im.reads(o) {
				mine = append(mine, o)
			}
		}
		if len(mine) == 0 {
			continue
		}
		var p *ir.Program
		var d diag.List
		if oi, ok := im.imp.(backends.ObjectImporter); ok {
			cs := make([]any, len(mine))
			for i, o := range mine {
				cs[i] = converted[o]
			}
			p, d = oi.ImportConverted(mine, cs)
		} else {
			p, d = im.imp.Import(mine)
		}
		diags.Append(d)
		if p != nil {
			progs = append(progs, p)
		}
	}
	if len(progs) == 0 {
		if !diags.HasErrors() {
			diags.Errorf("no-policy", source.Span{}, "no policy object found (kinds read: %s)", kindList(kinds))
		}
		return nil, diags
	}
	prog := ir.Merge(progs...)
	if err := ir.Validate(prog); err != nil {
		diags.Errorf("internal", source.Span{}, "imported program: %v", err)
		return nil, diags
	}
	return prog, diags
}

// reads reports whether o is of a kind im imports.
func (im importer) reads(o *yamlsrc.Object) bool {
	for _, k := range im.kinds {
		if o.APIVersion == k.APIVersion && o.Kind == k.Kind {
			return true
		}
	}
	return false
}

func kindList(kinds []yamlsrc.Kind) string {
	s := ""
	for i, k := range kinds {
		if i > 0 {
			s += ", "
		}
		s += k.Kind
	}
	return s
}
