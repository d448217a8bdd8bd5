package analysis_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/netpolc/netpolc/compile/analysis"
	"github.com/netpolc/netpolc/compile/ir"
	"github.com/netpolc/netpolc/compile/reach"
	"github.com/netpolc/netpolc/internal/testsupport/backendtest"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
)

// marshalMatrix is the matrix JSON made the plain way: the whole MatrixJSON
// built, cell by cell, and given to json.MarshalIndent.
func marshalMatrix(v analysis.MatrixView) ([]byte, error) {
	out := analysis.MatrixJSON{World: v.World, Granularity: "workload", Nodes: v.Conn.Nodes, Connections: []analysis.ConnectionJSON{}}
	if v.PerPod {
		out.Granularity = "pod"
	}
	if v.Focus >= 0 {
		out.Focus = v.Conn.Nodes[v.Focus].Name
	}
	if v.Port != nil {
		out.Port = v.Port.String()
	}
	add := func(i, j int) {
		x := v.Conn.Cell(i, j)
		if !v.Conn.Policed(i, j) || x.IsEmpty() || v.Port != nil && !x.Contains(v.Port.Protocol, v.Port.Port) {
			return
		}
		c := analysis.ConnectionJSON{From: v.Conn.Nodes[i].Name, To: v.Conn.Nodes[j].Name, ConnsJSON: analysis.NewConnsJSON(x)}
		if v.Port != nil {
			l7 := x.L7Restricted(v.Port.Protocol, v.Port.Port)
			c.PortL7 = &l7
		}
		out.Connections = append(out.Connections, c)
	}
	n := len(v.Conn.Nodes)
	if v.Focus >= 0 {
		for j := 0; j < n; j++ {
			add(v.Focus, j)
		}
		for i := 0; i < n; i++ {
			if i != v.Focus {
				add(i, v.Focus)
			}
		}
	} else {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				add(i, j)
			}
		}
	}
	data, err := json.MarshalIndent(out, "", "  ")
	return append(data, '\n'), err
}

// TestWriteJSONSameAsMarshal holds MatrixView.WriteJSON, which puts the
// document together from pieces, to json.MarshalIndent of the whole
// document, byte for byte: random programs and worlds, per workload and per
// pod, with and without --focus and --port.
func TestWriteJSONSameAsMarshal(t *testing.T) {
	n := 40
	if testing.Short() {
		n = 15
	}
	var views, empty atomic.Int64 // seeds run on several goroutines
	failures := testgen.RunSeeds(1, n, 3, func(seed int64) string {
		c := testgen.New(seed)
		prog, diags := backendtest.CompileGenerated(c)
		if prog == nil {
			return fmt.Sprintf("seed %d: %v", seed, diags)
		}
		w, labels := analysis.WithExternals(c.World, analysis.Peers(prog))
		an := reach.New(prog, w, reach.Options{})
		for _, perPod := range []bool{false, true} {
			conn := analysis.Group(w, analysis.GroupOptions{PerPod: perPod, Labels: labels}, an)
			ports := []*analysis.PortQuery{nil, {Port: 80, Protocol: ir.TCP}, {Port: 53, Protocol: ir.UDP}, {Port: 9, Protocol: ir.SCTP}}
			focuses := []int{-1, 0, len(conn.Nodes) / 2, len(conn.Nodes) - 1}
			for _, port := range ports {
				for _, focus := range focuses {
					v := analysis.MatrixView{Conn: conn, World: "w <&> \"q\"", PerPod: perPod, Focus: focus, Port: port}
					want, err := marshalMatrix(v)
					if err != nil {
						return fmt.Sprintf("seed %d: %v", seed, err)
					}
					var got bytes.Buffer
					if err := v.WriteJSON(&got); err != nil {
						return fmt.Sprintf("seed %d: WriteJSON: %v", seed, err)
					}
					views.Add(1)
					if bytes.Contains(want, []byte(`"connections": []`)) {
						empty.Add(1)
					}
					if !bytes.Equal(got.Bytes(), want) {
						return fmt.Sprintf("seed %d (per pod %v, focus %d, port %v): WriteJSON differs from MarshalIndent:\n%s\nwant:\n%s", seed, perPod, focus, port, got.Bytes(), want)
					}
				}
			}
		}
		return ""
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d views, %d without connections", views.Load(), empty.Load())
}
