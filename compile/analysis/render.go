package analysis

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/netpolc/netpolc/compile/reach"
	"github.com/netpolc/netpolc/internal/par"
)

// RepresentativeNote describes the world used when none is given.
const RepresentativeNote = "representative (one pod per group of the program; --world FILE for a cluster)"

// MatrixView is what "netpolc matrix" prints: a Connectivity, optionally
// focused on one node and reduced to one port.
type MatrixView struct {
	Conn *Connectivity
	// World describes the world (a file name, or RepresentativeNote).
	World string
	// PerPod: the nodes are pods, not workloads.
	PerPod bool
	// Focus is the index of the node the view is about (its row and its
	// column), or -1 for the whole matrix.
	Focus int
	// Port reduces each cell to one port; nil for every connection.
	Port *PortQuery

	texts *cellTexts // cell texts by the number of their connections (grid)
}

// cellTexts caches cell texts by the number reach's Pair gives their
// connections.
type cellTexts struct {
	byID []string
	set  []bool
}

// eachPair calls f with the (from, to) node pairs of the view in order:
// rows then columns, or with a focus the focus's row then its column.
func (v MatrixView) eachPair(f func(i, j int)) {
	n := len(v.Conn.Nodes)
	if v.Focus >= 0 {
		for j := 0; j < n; j++ {
			f(v.Focus, j)
		}
		for i := 0; i < n; i++ {
			if i != v.Focus {
				f(i, v.Focus)
			}
		}
		return
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			f(i, j)
		}
	}
}

// grid describes the table and CSV forms: sources as rows and
// destinations as columns, or with a focus one row per node with the
// connections from the focus to it and from it to the focus. row(r) returns
// row r (the header is row -1), so that a large grid is never held whole.
func (v MatrixView) grid() (rows int, row func(r int) []string) {
	nodes := v.Conn.Nodes
	v.texts = &cellTexts{}
	if v.Focus >= 0 {
		f := nodes[v.Focus].Name
		return len(nodes), func(r int) []string {
			if r < 0 {
				return []string{"PEER", f + " ->", "-> " + f}
			}
			return []string{nodes[r].Name, v.cellText(v.Focus, r), v.cellText(r, v.Focus)}
		}
	}
	return len(nodes), func(r int) []string {
		out := make([]string, 0, len(nodes)+1)
		if r < 0 {
			out = append(out, "FROM \\ TO")
			for _, n := range nodes {
				out = append(out, n.Name)
			}
			return out
		}
		out = append(out, nodes[r].Name)
		for j := range nodes {
			out = append(out, v.cellText(r, j))
		}
		return out
	}
}

// cellText renders the cell from node i to node j; "n/a" when no policy
// can apply to either end (two externals, say).
func (v MatrixView) cellText(i, j int) string {
	if !v.Conn.Policed(i, j) {
		return "n/a"
	}
	if v.texts == nil {
		return cellText(v.Conn.Cell(i, j), v.Port)
	}
	an := v.Conn.ans[0]
	id := an.Pair(v.Conn.Nodes[i].members[0], v.Conn.Nodes[j].members[0])
	c := v.texts
	if int(id) >= len(c.set) {
		c.byID = append(c.byID, make([]string, int(id)+1-len(c.byID))...)
		c.set = append(c.set, make([]bool, int(id)+1-len(c.set))...)
	}
	if !c.set[id] {
		c.byID[id], c.set[id] = cellText(an.PairConns(id), v.Port), true
	}
	return c.byID[id]
}

// shownRows returns, for each row of the whole matrix, the columns whose
// cell shows something: a policy can apply (Policed), and it allows
// something (with Port, that port). Rows are computed on every core,
// each set of connections judged once per goroutine (by the number
// reach's Pair gives it).
func (v MatrixView) shownRows() [][]int32 {
	n := len(v.Conn.Nodes)
	an := v.Conn.ans[0]
	first := make([]int, n)
	for i, nd := range v.Conn.Nodes {
		first[i] = nd.members[0]
	}
	rows := make([][]int32, n)
	par.ForEach(min(runtime.GOMAXPROCS(0), n/64), n, func() func(int) {
		var shown []int8 // per number: 0 unknown, 1 nothing to show, 2 something
		return func(i int) {
			for j := 0; j < n; j++ {
				id := an.Pair(first[i], first[j])
				if int(id) >= len(shown) {
					shown = append(shown, make([]int8, int(id)+1-len(shown))...)
				}
				if shown[id] == 0 {
					x := an.PairConns(id)
					shown[id] = 1
					if !x.IsEmpty() && (v.Port == nil || x.Contains(v.Port.Protocol, v.Port.Port)) {
						shown[id] = 2
					}
				}
				if shown[id] == 2 && v.Conn.Policed(i, j) {
					rows[i] = append(rows[i], int32(j))
				}
			}
		}
	})
	return rows
}

// preamble is the first lines of the text forms: the world, the port, the
// split workloads.
func (v MatrixView) preamble() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# world: %s\n", v.World)
	if v.Port != nil {
		fmt.Fprintf(&b, "# port %s: yes = allowed, L7 = allowed with HTTP/DNS rules restricting requests, - = denied\n", v.Port)
	} else {
		b.WriteString("# cells: connections allowed from the row to the column (both sides applied); - = none; L7 = ports where HTTP/DNS rules restrict requests; n/a = no policy applies to either end\n")
	}
	split := map[string]bool{}
	for _, n := range v.Conn.Nodes {
		if n.Split && !split[n.Namespace+"/"+n.Workload] {
			split[n.Namespace+"/"+n.Workload] = true
			fmt.Fprintf(&b, "# the pods of %s/%s are not alike: shown one by one\n", n.Namespace, n.Workload)
		}
	}
	return b.String()
}

// toString returns what write writes (to a strings.Builder, which does not
// fail).
func toString(write func(io.Writer) error) string {
	var b strings.Builder
	_ = write(&b)
	return b.String()
}

// Table renders the view as an aligned table: every column as wide as
// its widest cell.
func (v MatrixView) Table() string {
	return toString(v.WriteTable)
}

// WriteTable writes Table to w, a row at a time.
func (v MatrixView) WriteTable(w io.Writer) error {
	n, row := v.grid()
	var widths []int
	for r := -1; r < n; r++ {
		cells := row(r)
		if widths == nil {
			widths = make([]int, len(cells))
		}
		for i, c := range cells {
			widths[i] = max(widths[i], len(c))
		}
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(v.preamble())
	for r := -1; r < n; r++ {
		cells := row(r)
		for i, c := range cells {
			bw.WriteString(c)
			if i == len(cells)-1 {
				break
			}
			for k := widths[i] - len(c) + 2; k > 0; k-- {
				bw.WriteByte(' ')
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// List renders the view as one line per pair with a connection:
// "FROM -> TO: CONNECTIONS".
func (v MatrixView) List() string {
	return toString(v.WriteList)
}

// WriteList writes List to w.
func (v MatrixView) WriteList(w io.Writer) error {
	b := bufio.NewWriter(w)
	b.WriteString(v.preamble())
	line := func(i, j int) {
		if !v.Conn.Policed(i, j) {
			return
		}
		x := v.Conn.Cell(i, j)
		if v.Port != nil && !x.Contains(v.Port.Protocol, v.Port.Port) || x.IsEmpty() {
			return
		}
		fmt.Fprintf(b, "%s -> %s: %s\n", v.Conn.Nodes[i].Name, v.Conn.Nodes[j].Name, cellText(x, v.Port))
	}
	if v.Focus >= 0 {
		v.eachPair(line)
		return b.Flush()
	}
	for i, cols := range v.shownRows() {
		for _, j := range cols {
			line(i, int(j))
		}
	}
	return b.Flush()
}

// CSV renders the grid of Table as CSV (RFC 4180).
func (v MatrixView) CSV() string {
	return toString(v.WriteCSV)
}

// WriteCSV writes CSV to w.
func (v MatrixView) WriteCSV(w io.Writer) error {
	n, row := v.grid()
	cw := csv.NewWriter(w)
	for r := -1; r < n; r++ {
		if err := cw.Write(row(r)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// MatrixJSON is the schema of "netpolc matrix --format json"
// (docs/analysis.md).
type MatrixJSON struct {
	World       string           `json:"world"`
	Granularity string           `json:"granularity"` // "workload" or "pod"
	Focus       string           `json:"focus,omitempty"`
	Port        string           `json:"port,omitempty"`
	Nodes       []Node           `json:"nodes"`
	Connections []ConnectionJSON `json:"connections"`
}

// ConnectionJSON is one pair of nodes with what is allowed from one to the
// other. Pairs that allow nothing are left out, and so are pairs of which
// neither end can be the subject of a policy (externals, the
// kube-apiserver): policies allow everything between them.
type ConnectionJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
	ConnsJSON
	// L7 (with a port query): the port is allowed with HTTP or DNS rules
	// restricting requests.
	PortL7 *bool `json:"portL7,omitempty"`
}

// ConnsJSON is a reach.Conns: port ranges per protocol ([first, last],
// inclusive), ICMP type ranges per family in the same form ([[0, 255]] is
// every type), and the L7-restricted ports. The ICMP ranges are [2]uint16,
// not bytes: encoding/json writes a []uint8 as a base64 string.
type ConnsJSON struct {
	Text   string      `json:"connections"`
	TCP    [][2]uint16 `json:"tcp,omitempty"`
	UDP    [][2]uint16 `json:"udp,omitempty"`
	SCTP   [][2]uint16 `json:"sctp,omitempty"`
	ICMP   [][2]uint16 `json:"icmp,omitempty"`
	ICMPv6 [][2]uint16 `json:"icmpv6,omitempty"`
	L7     *L7JSON     `json:"l7,omitempty"`
}

// L7JSON are the L7-restricted ports per protocol.
type L7JSON struct {
	TCP  [][2]uint16 `json:"tcp,omitempty"`
	UDP  [][2]uint16 `json:"udp,omitempty"`
	SCTP [][2]uint16 `json:"sctp,omitempty"`
}

func ranges(s reach.PortSet) [][2]uint16 {
	var out [][2]uint16
	for _, r := range s {
		out = append(out, [2]uint16{r.First, r.Last})
	}
	return out
}

// icmpRanges returns the runs of consecutive types of s as [first, last].
func icmpRanges(s reach.ICMPTypes) [][2]uint16 {
	var out [][2]uint16
	for _, t := range s.Types() {
		if n := len(out); n > 0 && out[n-1][1]+1 == uint16(t) {
			out[n-1][1] = uint16(t)
			continue
		}
		out = append(out, [2]uint16{uint16(t), uint16(t)})
	}
	return out
}

// NewConnsJSON converts x.
func NewConnsJSON(x reach.Conns) ConnsJSON {
	out := ConnsJSON{Text: x.String(), TCP: ranges(x.TCP), UDP: ranges(x.UDP), SCTP: ranges(x.SCTP), ICMP: icmpRanges(x.ICMPv4), ICMPv6: icmpRanges(x.ICMPv6)}
	if !x.L7.IsEmpty() {
		out.L7 = &L7JSON{TCP: ranges(x.L7.TCP), UDP: ranges(x.L7.UDP), SCTP: ranges(x.L7.SCTP)}
	}
	return out
}

// JSON renders the view (MatrixJSON), indented, with a final newline: what
// WriteJSON writes.
func (v MatrixView) JSON() ([]byte, error) {
	var b bytes.Buffer
	err := v.WriteJSON(&b)
	return b.Bytes(), err
}

// Pieces of the indented JSON of a MatrixJSON that WriteJSON puts together.
const (
	// noConnections ends the JSON of a MatrixJSON with no connections.
	noConnections = "[]\n}"
	// cellHead starts the JSON of a ConnectionJSON with empty ends, indented
	// as an element of connections.
	cellHead = "{\n      \"from\": \"\",\n      \"to\": \"\","
)

// WriteJSON writes the view as JSON: the bytes json.MarshalIndent makes of
// the MatrixJSON (two spaces, a final newline), without building it. A
// matrix has tens of thousands of cells at thousands of pods but few
// distinct sets of connections: each set's JSON is made once (by
// encoding/json, with empty ends that are then written in), and each
// node's name is encoded once.
func (v MatrixView) WriteJSON(w io.Writer) error {
	out := MatrixJSON{World: v.World, Granularity: "workload", Nodes: v.Conn.Nodes, Connections: []ConnectionJSON{}}
	if v.PerPod {
		out.Granularity = "pod"
	}
	if v.Focus >= 0 {
		out.Focus = v.Conn.Nodes[v.Focus].Name
	}
	if v.Port != nil {
		out.Port = v.Port.String()
	}
	head, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	if !bytes.HasSuffix(head, []byte(noConnections)) {
		return fmt.Errorf("matrix JSON: the document does not end with its connections")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head[:len(head)-len(noConnections)])

	an := v.Conn.ans[0]
	names := make([][]byte, len(v.Conn.Nodes)) // encoded on first use
	name := func(i int) ([]byte, error) {
		if names[i] == nil {
			b, err := json.Marshal(v.Conn.Nodes[i].Name)
			if err != nil {
				return nil, err
			}
			names[i] = b
		}
		return names[i], nil
	}
	// tails[id]: the JSON of a cell with connections number id after its
	// ends, nil when the cell is not shown.
	tails := map[int32][]byte{}
	tail := func(id int32) ([]byte, error) {
		if t, ok := tails[id]; ok {
			return t, nil
		}
		x := an.PairConns(id)
		if x.IsEmpty() || v.Port != nil && !x.Contains(v.Port.Protocol, v.Port.Port) {
			tails[id] = nil
			return nil, nil
		}
		c := ConnectionJSON{ConnsJSON: NewConnsJSON(x)}
		if v.Port != nil {
			l7 := x.L7Restricted(v.Port.Protocol, v.Port.Port)
			c.PortL7 = &l7
		}
		b, err := json.MarshalIndent(c, "    ", "  ")
		if err != nil {
			return nil, err
		}
		if !bytes.HasPrefix(b, []byte(cellHead)) {
			return nil, fmt.Errorf("matrix JSON: a cell does not start with its ends")
		}
		tails[id] = b[len(cellHead):]
		return tails[id], nil
	}
	shown := 0
	cell := func(i, j int) error {
		if !v.Conn.Policed(i, j) {
			return nil
		}
		t, err := tail(an.Pair(v.Conn.Nodes[i].members[0], v.Conn.Nodes[j].members[0]))
		if t == nil || err != nil {
			return err
		}
		from, err := name(i)
		if err != nil {
			return err
		}
		to, err := name(j)
		if err != nil {
			return err
		}
		if shown == 0 {
			bw.WriteString("[\n    {\n      \"from\": ")
		} else {
			bw.WriteString(",\n    {\n      \"from\": ")
		}
		shown++
		bw.Write(from)
		bw.WriteString(",\n      \"to\": ")
		bw.Write(to)
		bw.WriteByte(',')
		_, err = bw.Write(t)
		return err
	}
	if v.Focus >= 0 {
		v.eachPair(func(i, j int) {
			if err == nil {
				err = cell(i, j)
			}
		})
	} else {
		// The rows that show something, found on every core (millions of
		// cells at thousands of pods).
	rows:
		for i, cols := range v.shownRows() {
			for _, j := range cols {
				if err = cell(i, int(j)); err != nil {
					break rows
				}
			}
		}
	}
	if err != nil {
		return err
	}
	if shown == 0 {
		bw.WriteString(noConnections + "\n")
	} else {
		bw.WriteString("\n  ]\n}\n")
	}
	return bw.Flush()
}

func marshal(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
