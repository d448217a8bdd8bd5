package reach

import (
	"testing"

	"github.com/netpolc/netpolc/compile/ir"
)

func ports(rs ...uint16) PortSet {
	var s PortSet
	for i := 0; i+1 < len(rs); i += 2 {
		s = s.add(PortRange{rs[i], rs[i+1]})
	}
	return s
}

func TestPortSetOps(t *testing.T) {
	a := ports(1, 10, 20, 30, 100, 100)
	b := ports(5, 25, 100, 200)
	for _, c := range []struct {
		name string
		got  PortSet
		want string
	}{
		{"minus", a.Minus(b), "1-4,26-30"},
		{"minus reversed", b.Minus(a), "11-19,101-200"},
		{"intersect", a.Intersect(b), "5-10,20-25,100"},
		{"union", union(a, b), "1-30,100-200"},
		{"union adjacent", union(ports(1, 5), ports(6, 9)), "1-9"},
		{"all minus nothing", PortSet{allPorts}.Minus(nil), "all"},
		{"all minus ends", PortSet{allPorts}.Minus(ports(1, 1, 65535, 65535)), "2-65534"},
		{"normalize", normalize([]PortRange{{80, 80}, {1, 5}, {3, 79}}), "1-80"},
	} {
		if got := c.got.String(); got != c.want {
			t.Errorf("%s = %q, want %q", c.name, got, c.want)
		}
	}
	for _, p := range []uint16{1, 10, 20, 30, 100} {
		if !a.Contains(p) {
			t.Errorf("%v does not contain %d", a, p)
		}
	}
	for _, p := range []uint16{11, 19, 31, 99, 101, 65535} {
		if a.Contains(p) {
			t.Errorf("%v contains %d", a, p)
		}
	}
}

func TestConns(t *testing.T) {
	var icmp ICMPTypes
	icmp.set(8)
	icmp.set(0)
	c := Conns{TCP: ports(80, 80, 443, 443, 8000, 8080), UDP: ports(53, 53), ICMPv4: icmp, L7: L7Ports{TCP: ports(80, 80)}}
	if got, want := c.String(), "TCP 80,443,8000-8080; UDP 53; ICMP 0,8; L7 TCP 80"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if !c.Contains(ir.TCP, 8001) || c.Contains(ir.UDP, 80) || !c.Contains("", 443) || c.Contains(ir.SCTP, 53) {
		t.Error("Contains")
	}
	if !c.L7Restricted(ir.TCP, 80) || c.L7Restricted(ir.TCP, 443) || !c.ContainsICMP(ir.ICMPv4, 8) || c.ContainsICMP(ir.ICMPv6, 8) {
		t.Error("L7Restricted / ContainsICMP")
	}
	d := Conns{TCP: ports(443, 443, 8000, 8000)}
	if got, want := c.Minus(d).String(), "TCP 80,8001-8080; UDP 53; ICMP 0,8; L7 TCP 80"; got != want {
		t.Errorf("Minus = %q, want %q", got, want)
	}
	if got := d.Minus(c); !got.IsEmpty() || got.String() != "none" {
		t.Errorf("d.Minus(c) = %q, want none", got)
	}
	all := Conns{TCP: PortSet{allPorts}, UDP: PortSet{allPorts}, SCTP: PortSet{allPorts}, ICMPv4: allICMP, ICMPv6: allICMP}
	if !all.All() || all.String() != "all" || all.IsEmpty() {
		t.Errorf("all = %q", all)
	}
	l7 := all
	l7.L7.TCP = ports(80, 80)
	if l7.All() || l7.Equal(all) || l7.String() != "TCP all; UDP all; SCTP all; ICMP all; ICMPv6 all; L7 TCP 80" {
		t.Errorf("all with L7 = %q", l7)
	}
	if !c.Equal(c) || c.Equal(d) {
		t.Error("Equal")
	}
}
