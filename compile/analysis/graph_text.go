package analysis

import (
	"fmt"
	"strings"
)

// Colours and styles shared by the DOT, Mermaid and SVG renderings.
const (
	colourAllow = "#333333"
	colourDeny  = "#c62828"
	colourL7    = "#1565c0"
	colourFQDN  = "#6a1b9a"
)

func (e GraphEdge) colour() string {
	switch {
	case e.Deny:
		return colourDeny
	case e.L7:
		return colourL7
	case e.FQDN:
		return colourFQDN
	}
	return colourAllow
}

// marks returns the edge label with its marks: "deny", "L7", "FQDN",
// "egress only", "ingress only".
func (e GraphEdge) fullLabel() string {
	var marks []string
	if e.Deny {
		marks = append(marks, "deny")
	}
	if e.L7 && !strings.Contains(e.Label, "HTTP") && !strings.Contains(e.Label, "L7") {
		marks = append(marks, "L7")
	}
	if e.FQDN {
		marks = append(marks, "FQDN")
	}
	if e.OneSided != "" {
		marks = append(marks, e.OneSided+" only")
	}
	if len(marks) == 0 {
		return e.Label
	}
	return e.Label + " [" + strings.Join(marks, ", ") + "]"
}

// dotQuote quotes s as a DOT string; a newline becomes a centred line
// break.
func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// DOT renders g in Graphviz's DOT language: namespaces as clusters, edges
// labelled with their ports, L7 edges blue and bold, FQDN edges purple,
// deny edges red, one-sided edges dashed.
func (g *Graph) DOT() string {
	var b strings.Builder
	b.WriteString("digraph netpolc {\n")
	fmt.Fprintf(&b, "  label=%s;\n  labelloc=t;\n  rankdir=LR;\n  fontname=\"Helvetica\";\n", dotQuote(g.Title))
	b.WriteString("  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	g.writeNodes(&b, func(c Cluster) string {
		return fmt.Sprintf("  subgraph %s {\n    label=%s;\n    style=rounded;\n", c.ID, dotQuote(c.Label))
	}, "  }\n", GraphNode.dot)
	for _, e := range g.Edges {
		attrs := []string{"label=" + dotQuote(e.fullLabel()), "color=\"" + e.colour() + "\"", "fontcolor=\"" + e.colour() + "\""}
		if e.L7 {
			attrs = append(attrs, "style=bold")
		}
		if e.OneSided != "" {
			attrs = append(attrs, "style=dashed")
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", e.From, e.To, strings.Join(attrs, ", "))
	}
	b.WriteString("}\n")
	return b.String()
}

// writeNodes writes the nodes of g as line renders them: those of each
// cluster between open(cluster) and end, indented by four spaces, then
// those of no cluster, indented by two.
func (g *Graph) writeNodes(b *strings.Builder, open func(Cluster) string, end string, line func(GraphNode) string) {
	for _, c := range g.Clusters {
		b.WriteString(open(c))
		for _, n := range g.Nodes {
			if n.Cluster == c.ID {
				b.WriteString("    " + line(n) + "\n")
			}
		}
		b.WriteString(end)
	}
	for _, n := range g.Nodes {
		if n.Cluster == "" {
			b.WriteString("  " + line(n) + "\n")
		}
	}
}

func (n GraphNode) dot() string {
	shape := "box, style=rounded"
	switch n.Shape {
	case ShapeExternal:
		shape = "box, style=\"rounded,dashed\""
	case ShapeFQDN:
		shape = "note"
	case ShapeEntity:
		shape = "ellipse"
	}
	return fmt.Sprintf("%s [label=%s, shape=%s];", n.ID, dotQuote(n.Label), shape)
}

// mermaidText escapes s for a quoted Mermaid label.
func mermaidText(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "\n", "<br>", "<", "#lt;", ">", "#gt;", "|", "#124;")
	return r.Replace(s)
}

// Mermaid renders g as a Mermaid flowchart: namespaces as subgraphs, edges
// labelled with their ports; L7, FQDN, deny and one-sided edges are named
// in their labels, and deny edges drawn dotted.
func (g *Graph) Mermaid() string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\ntitle: %s\n---\nflowchart LR\n", g.Title)
	g.writeNodes(&b, func(c Cluster) string {
		return fmt.Sprintf("  subgraph %s[\"%s\"]\n", c.ID, mermaidText(c.Label))
	}, "  end\n", GraphNode.mermaid)
	for i, e := range g.Edges {
		arrow := "-->"
		if e.Deny || e.OneSided != "" {
			arrow = "-.->"
		}
		fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", e.From, arrow, mermaidText(e.fullLabel()), e.To)
		fmt.Fprintf(&b, "  linkStyle %d stroke:%s\n", i, e.colour())
	}
	return b.String()
}

func (n GraphNode) mermaid() string {
	open, close := "(", ")"
	switch n.Shape {
	case ShapeExternal:
		open, close = "[/", "/]"
	case ShapeFQDN:
		open, close = ">", "]"
	case ShapeEntity:
		open, close = "((", "))"
	}
	return fmt.Sprintf("%s%s\"%s\"%s", n.ID, open, mermaidText(n.Label), close)
}
