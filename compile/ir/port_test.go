package ir

import (
	"math/rand"
	"testing"
)

func tcp(first, last uint16) Port { return Port{Protocol: TCP, Port: first, EndPort: last} }

func TestPortCovers(t *testing.T) {
	cases := []struct {
		p, q Port
		want bool
	}{
		{tcp(0, 0), tcp(80, 0), true},
		{tcp(0, 0), tcp(0, 0), true},
		{tcp(0, 0), Port{Protocol: TCP, Name: "http"}, true},
		{tcp(80, 0), tcp(80, 0), true},
		{tcp(80, 0), tcp(81, 0), false},
		{tcp(80, 90), tcp(80, 0), true},
		{tcp(80, 90), tcp(85, 90), true},
		{tcp(80, 90), tcp(85, 91), false},
		{tcp(80, 0), tcp(80, 90), false},
		{tcp(80, 90), tcp(0, 0), false},
		{tcp(1, 65535), tcp(0, 0), true},
		{tcp(80, 0), Port{Protocol: UDP, Port: 80}, false},
		{Port{Protocol: ProtoAny, Port: 80}, tcp(80, 0), true},
		{tcp(80, 0), Port{Protocol: ProtoAny, Port: 80}, false},
		{Port{Protocol: TCP, Name: "http"}, Port{Protocol: TCP, Name: "http"}, true},
		{Port{Protocol: TCP, Name: "http"}, Port{Protocol: TCP, Name: "web"}, false},
		{Port{Protocol: TCP, Name: "http"}, tcp(80, 0), false},
		{tcp(80, 0), Port{Protocol: TCP, Name: "http"}, false},
		{Port{Protocol: TCP, Name: "http"}, Port{Protocol: UDP, Name: "http"}, false},
	}
	for _, c := range cases {
		if got := c.p.Covers(c.q); got != c.want {
			t.Errorf("%s.Covers(%s) = %v, want %v", FormatPort(c.p), FormatPort(c.q), got, c.want)
		}
	}
}

func TestPortMayOverlap(t *testing.T) {
	cases := []struct {
		p, q Port
		want bool
	}{
		{tcp(0, 0), tcp(80, 0), true},
		{tcp(80, 0), tcp(80, 0), true},
		{tcp(80, 0), tcp(81, 0), false},
		{tcp(80, 90), tcp(90, 95), true},
		{tcp(80, 90), tcp(91, 95), false},
		{tcp(80, 0), Port{Protocol: UDP, Port: 80}, false},
		{tcp(0, 0), Port{Protocol: UDP}, false},
		{Port{Protocol: ProtoAny, Port: 80}, Port{Protocol: SCTP, Port: 80}, true},
		{Port{Protocol: TCP, Name: "http"}, Port{Protocol: TCP, Name: "http"}, true},
		{Port{Protocol: TCP, Name: "http"}, Port{Protocol: TCP, Name: "web"}, false},
		{Port{Protocol: TCP, Name: "http"}, tcp(80, 0), true},
		{Port{Protocol: TCP, Name: "http"}, tcp(0, 0), true},
		{Port{Protocol: TCP, Name: "http"}, Port{Protocol: UDP, Name: "http"}, false},
	}
	for _, c := range cases {
		for _, x := range [][2]Port{{c.p, c.q}, {c.q, c.p}} {
			if got := x[0].MayOverlap(x[1]); got != c.want {
				t.Errorf("%s.MayOverlap(%s) = %v, want %v", FormatPort(x[0]), FormatPort(x[1]), got, c.want)
			}
		}
	}
}

// containerPort is what a port name resolves to on the destination pod.
type containerPort struct {
	n     uint16
	proto Protocol
}

// portMatches is the meaning of a port: whether it matches a connection
// with protocol proto to port n, where names resolves the named ports.
func portMatches(p Port, proto Protocol, n uint16, names map[string]containerPort) bool {
	if p.Protocol != proto && p.Protocol != ProtoAny {
		return false
	}
	if p.Name != "" {
		return names[p.Name] == containerPort{n, proto}
	}
	first, last := p.numbers()
	return first <= n && n <= last
}

func randomPort(r *rand.Rand) Port {
	p := Port{Protocol: []Protocol{TCP, UDP, ProtoAny}[r.Intn(3)]}
	switch r.Intn(5) {
	case 0:
	case 1:
		p.Name = []string{"http", "dns"}[r.Intn(2)]
	case 2:
		p.Port = uint16(1 + r.Intn(8))
	default:
		p.Port = uint16(1 + r.Intn(8))
		p.EndPort = p.Port + uint16(r.Intn(int(9-p.Port)))
		if r.Intn(8) == 0 {
			p.Port, p.EndPort = 1, 65535
		}
	}
	return p
}

// TestPortSoundness checks Covers and MayOverlap against portMatches for
// random ports, on every protocol, the port numbers 1 to 9 (9 standing for
// every number no random port names) and every resolution of the names to
// distinct container ports (a pod does not declare a port number and
// protocol twice).
func TestPortSoundness(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for range 3000 {
		p, q := randomPort(r), randomPort(r)
		covers, overlaps := true, false
		var resolutions []containerPort
		for n := uint16(1); n <= 9; n++ {
			resolutions = append(resolutions, containerPort{n, TCP}, containerPort{n, UDP})
		}
		for _, http := range resolutions {
			for _, dns := range resolutions {
				if http == dns {
					continue
				}
				names := map[string]containerPort{"http": http, "dns": dns}
				for _, proto := range []Protocol{TCP, UDP, SCTP} {
					for n := uint16(1); n <= 9; n++ {
						mp, mq := portMatches(p, proto, n, names), portMatches(q, proto, n, names)
						covers = covers && (mp || !mq)
						overlaps = overlaps || (mp && mq)
					}
				}
			}
		}
		if p.Covers(q) && !covers {
			t.Fatalf("%s.Covers(%s), but not on every connection", FormatPort(p), FormatPort(q))
		}
		if !p.MayOverlap(q) && overlaps {
			t.Fatalf("%s.MayOverlap(%s) is false, but a connection matches both", FormatPort(p), FormatPort(q))
		}
	}
}
