package analysis

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
)

// The SVG renderer lays a graph out itself, in Go, with no Graphviz. The
// units of the layout are the clusters (namespaces) and the nodes outside
// every cluster. Units are put in layers, left to right, by the longest
// path to them in the graph of units (edges that close a cycle dropped),
// so that flows mostly go left to right; the units of one layer are
// stacked, clusters first. Within a cluster, nodes are stacked by their
// own rank in the graph, then by label. Edges are curves from the right
// side of their source to the left side of their destination (or around,
// within a layer), labelled where the label meets no node and no other
// label. Text is monospace, so widths are known without measuring fonts.
const (
	svgCharW    = 7.2  // width of one character at svgFont
	svgLineH    = 15.0 // height of one line of text
	svgFont     = 12.0
	svgPadX     = 10.0 // inside a node box
	svgPadY     = 7.0
	svgNodeGapY = 24.0 // between nodes of a cluster
	svgUnitGapY = 28.0 // between units of a layer
	svgColGap   = 150.0
	svgClusterP = 14.0 // cluster box padding
	svgTitleH   = 36.0
	svgMarginX  = 20.0
)

type svgBox struct{ x, y, w, h float64 }

// svgUnit is a cluster with its nodes, or one node outside every cluster.
type svgUnit struct {
	cluster *Cluster // nil for a node outside
	nodes   []int
}

// SVG renders g as a standalone SVG document.
func (g *Graph) SVG() string {
	idx := map[string]int{}
	for i, n := range g.Nodes {
		idx[n.ID] = i
	}
	nodeSucc := make([][]int, len(g.Nodes))
	for _, e := range g.Edges {
		nodeSucc[idx[e.From]] = append(nodeSucc[idx[e.From]], idx[e.To])
	}
	rank := longestPathRanks(nodeSucc)

	var units []*svgUnit
	unitOf := make([]int, len(g.Nodes))
	byCluster := map[string]int{}
	for i := range g.Clusters {
		byCluster[g.Clusters[i].ID] = len(units)
		units = append(units, &svgUnit{cluster: &g.Clusters[i]})
	}
	for i, n := range g.Nodes {
		u, ok := byCluster[n.Cluster]
		if n.Cluster == "" || !ok {
			u = len(units)
			units = append(units, &svgUnit{})
		}
		units[u].nodes = append(units[u].nodes, i)
		unitOf[i] = u
	}
	unitSucc := make([][]int, len(units))
	for _, e := range g.Edges {
		if f, t := unitOf[idx[e.From]], unitOf[idx[e.To]]; f != t {
			unitSucc[f] = append(unitSucc[f], t)
		}
	}
	layerOf := longestPathRanks(unitSucc)
	nLayers := 0
	for _, l := range layerOf {
		nLayers = max(nLayers, l+1)
	}
	layers := make([][]int, nLayers)
	for u := range units {
		layers[layerOf[u]] = append(layers[layerOf[u]], u)
	}

	boxes := make([]svgBox, len(g.Nodes))
	clusterBox := map[string]svgBox{}
	x := svgMarginX
	height := 0.0
	for _, layer := range layers {
		// Clusters first (in name order: g.Clusters is sorted), then the
		// nodes outside (in node order).
		sort.SliceStable(layer, func(i, j int) bool {
			a, b := units[layer[i]], units[layer[j]]
			return a.cluster != nil && b.cluster == nil
		})
		lw := 0.0
		for _, u := range layer {
			lw = max(lw, units[u].width(g))
		}
		y := svgTitleH
		for _, u := range layer {
			un := units[u]
			sort.SliceStable(un.nodes, func(i, j int) bool {
				a, b := un.nodes[i], un.nodes[j]
				if rank[a] != rank[b] {
					return rank[a] < rank[b]
				}
				return g.Nodes[a].Label < g.Nodes[b].Label
			})
			top := y
			if un.cluster != nil {
				y += svgClusterP + svgLineH + 6
			}
			for k, i := range un.nodes {
				lines := strings.Count(g.Nodes[i].Label, "\n") + 1
				h := float64(lines)*svgLineH + 2*svgPadY
				nw := textWidth(g.Nodes[i].Label) + 2*svgPadX
				boxes[i] = svgBox{x: x + (lw-nw)/2, y: y, w: nw, h: h}
				y += h
				if k < len(un.nodes)-1 {
					y += svgNodeGapY
				}
			}
			if un.cluster != nil {
				y += svgClusterP
				clusterBox[un.cluster.ID] = svgBox{x: x, y: top, w: lw, h: y - top}
			}
			y += svgUnitGapY
		}
		height = max(height, y)
		x += lw + svgColGap
	}
	colOf := make([]int, len(g.Nodes))
	for i := range g.Nodes {
		colOf[i] = layerOf[unitOf[i]]
	}
	width := x - svgColGap + svgMarginX
	width = max(width, textWidth(g.Title)+2*svgMarginX)
	height += 10

	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="monospace" font-size="%.0f">
<title>%s</title>
<defs>
`, width, height, width, height, svgFont, esc(g.Title))
	for _, c := range []string{colourAllow, colourDeny, colourL7, colourFQDN} {
		fmt.Fprintf(&b, `<marker id="arrow-%s" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>
`, c[1:], c)
	}
	b.WriteString("</defs>\n")
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%.0f" height="%.0f" fill="white"/>
<text class="title" x="%.1f" y="24" font-size="14">%s</text>
`, width, height, svgMarginX, esc(g.Title))
	for _, c := range g.Clusters {
		cb := clusterBox[c.ID]
		fmt.Fprintf(&b, `<g class="cluster" id="%s"><title>%s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="8" fill="#f5f7fa" stroke="#90a4ae"/><text x="%.1f" y="%.1f" font-weight="bold">%s</text></g>
`, c.ID, esc(c.Label), cb.x, cb.y, cb.w, cb.h, cb.x+svgClusterP, cb.y+svgLineH+2, esc(c.Label))
	}
	var placed []svgBox // edge labels so far
	for ei, e := range g.Edges {
		from, to := boxes[idx[e.From]], boxes[idx[e.To]]
		var x0, y0, x3, y3, c1, c2 float64
		y0, y3 = from.y+from.h/2, to.y+to.h/2
		switch cf, ct := colOf[idx[e.From]], colOf[idx[e.To]]; {
		case e.From == e.To:
			x0, x3 = from.x+from.w, from.x+from.w
			y0, y3 = from.y+from.h*0.3, from.y+from.h*0.7
			c1, c2 = x0+40, x3+40
		case cf < ct:
			x0, x3 = from.x+from.w, to.x
			c1, c2 = x0+svgColGap/2, x3-svgColGap/2
		case cf > ct:
			x0, x3 = from.x, to.x+to.w
			c1, c2 = x0-svgColGap/2, x3+svgColGap/2
		default:
			x0, x3 = from.x+from.w, to.x+to.w
			c1, c2 = x0+50, x3+50
		}
		col := e.colour()
		dash := ""
		if e.Deny || e.OneSided != "" {
			dash = ` stroke-dasharray="6,4"`
		}
		strokeW := 1.3
		if e.L7 {
			strokeW = 2.2
		}
		label := e.fullLabel()
		lw := textWidth(label)
		mx, my := placeLabel(&placed, boxes, lw, [4][2]float64{{x0, y0}, {c1, y0}, {c2, y3}, {x3, y3}})
		fmt.Fprintf(&b, `<g class="edge" id="edge%d"><title>%s</title><path d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="%s" stroke-width="%.1f"%s marker-end="url(#arrow-%s)"/><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="white" fill-opacity="0.85"/><text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text></g>
`, ei+1, esc(g.nodeLabel(idx, e.From)+" -> "+g.nodeLabel(idx, e.To)), x0, y0, c1, y0, c2, y3, x3, y3, col, strokeW, dash, col[1:],
			mx-lw/2-2, my-svgLineH+3, lw+4, svgLineH, mx, my, col, esc(label))
	}
	for i, n := range g.Nodes {
		bx := boxes[i]
		rx, stroke, fill := "6", "#37474f", "#ffffff"
		dash := ""
		switch n.Shape {
		case ShapeExternal:
			dash, fill = ` stroke-dasharray="4,3"`, "#fffde7"
		case ShapeFQDN:
			rx, fill, stroke = "0", "#f3e5f5", colourFQDN
		case ShapeEntity:
			rx, fill = fmt.Sprintf("%.0f", bx.h/2), "#eceff1"
		}
		fmt.Fprintf(&b, `<g class="node" id="%s"><title>%s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="%s" fill="%s" stroke="%s"%s/>`,
			n.ID, esc(strings.ReplaceAll(n.Label, "\n", " ")), bx.x, bx.y, bx.w, bx.h, rx, fill, stroke, dash)
		for li, line := range strings.Split(n.Label, "\n") {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, bx.x+bx.w/2, bx.y+svgPadY+float64(li+1)*svgLineH-3, esc(line))
		}
		b.WriteString("</g>\n")
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// placeLabel returns the baseline centre of an edge label of width w on
// the cubic Bezier curve p: the first of a few points along the curve
// (the middle first) where the label's box meets neither a node nor a
// label placed before; the middle if there is none. The box is added to
// placed.
func placeLabel(placed *[]svgBox, nodes []svgBox, w float64, p [4][2]float64) (float64, float64) {
	at := func(t float64) (float64, float64) {
		u := 1 - t
		x := u*u*u*p[0][0] + 3*u*u*t*p[1][0] + 3*u*t*t*p[2][0] + t*t*t*p[3][0]
		y := u*u*u*p[0][1] + 3*u*u*t*p[1][1] + 3*u*t*t*p[2][1] + t*t*t*p[3][1]
		return x, y
	}
	box := func(x, y float64) svgBox { return svgBox{x: x - w/2 - 2, y: y - svgLineH + 3, w: w + 4, h: svgLineH} }
	free := func(b svgBox) bool {
		for _, o := range append(append([]svgBox(nil), nodes...), *placed...) {
			if b.x < o.x+o.w && o.x < b.x+b.w && b.y < o.y+o.h && o.y < b.y+b.h {
				return false
			}
		}
		return true
	}
	for _, t := range []float64{0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.45, 0.55, 0.35, 0.65, 0.25, 0.75} {
		x, y := at(t)
		x, y = math.Round(x*10)/10, math.Round(y*10)/10
		if b := box(x, y); free(b) {
			*placed = append(*placed, b)
			return x, y
		}
	}
	x, y := at(0.5)
	*placed = append(*placed, box(x, y))
	return x, y
}

func (g *Graph) nodeLabel(idx map[string]int, id string) string {
	return strings.ReplaceAll(g.Nodes[idx[id]].Label, "\n", " ")
}

func textWidth(s string) float64 {
	w := 0
	for _, line := range strings.Split(s, "\n") {
		w = max(w, len([]rune(line)))
	}
	return float64(w) * svgCharW
}

func esc(s string) string { return html.EscapeString(s) }

// width is the width of a unit: its widest node, and for a cluster its
// label and padding.
func (u *svgUnit) width(g *Graph) float64 {
	w := 0.0
	for _, i := range u.nodes {
		w = max(w, textWidth(g.Nodes[i].Label)+2*svgPadX)
	}
	if u.cluster != nil {
		w = max(w, textWidth(u.cluster.Label)) + 2*svgClusterP
	}
	return w
}

// longestPathRanks returns each vertex's rank in the graph succ: 0 for a
// vertex without incoming edges, else one more than the highest rank of its
// predecessors, over the edges that close no cycle (found by a depth-first
// search from the sources first, then in vertex order). Self-loops are
// ignored.
func longestPathRanks(succ [][]int) []int {
	n := len(succ)
	const (
		white = iota
		grey
		black
	)
	state := make([]int, n)
	var order []int // postorder
	keep := make([][]int, n)
	var visit func(int)
	visit = func(v int) {
		state[v] = grey
		for _, w := range succ[v] {
			switch {
			case w == v:
			case state[w] == white:
				keep[v] = append(keep[v], w)
				visit(w)
			case state[w] == black:
				keep[v] = append(keep[v], w)
			} // grey: a back edge, dropped
		}
		state[v] = black
		order = append(order, v)
	}
	indeg := make([]int, n)
	for v := range succ {
		for _, w := range succ[v] {
			if w != v {
				indeg[w]++
			}
		}
	}
	for _, sources := range []bool{true, false} {
		for v := 0; v < n; v++ {
			if state[v] == white && (indeg[v] == 0) == sources {
				visit(v)
			}
		}
	}
	rank := make([]int, n)
	for k := len(order) - 1; k >= 0; k-- {
		v := order[k]
		for _, w := range keep[v] {
			rank[w] = max(rank[w], rank[v]+1)
		}
	}
	return rank
}
