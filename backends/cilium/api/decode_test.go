package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	ciliumapi "github.com/cilium/cilium/pkg/policy/api"

	"github.com/netpolc/netpolc/backends/cilium/api"
	"github.com/netpolc/netpolc/internal/testsupport/testgen"
)

// decodeBoth decodes one rule's JSON into this package's Rule and into
// Cilium's, as the importer does (unknown fields refused), and returns
// both re-marshalled, or the errors.
func decodeBoth(data []byte) (ours, theirs []byte, errOurs, errTheirs error) {
	decode := func(v any) ([]byte, error) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return nil, err
		}
		return json.Marshal(v)
	}
	ours, errOurs = decode(&api.Rule{})
	func() {
		defer func() {
			if r := recover(); r != nil {
				errTheirs = fmt.Errorf("panic: %v", r)
			}
		}()
		theirs, errTheirs = decode(&ciliumapi.Rule{})
	}()
	return ours, theirs, errOurs, errTheirs
}

// rawFields are the JSON fields this package keeps raw, which Cilium's
// types read (and may refuse) and the importer refuses anyway.
var rawFields = regexp.MustCompile(`"(labels|terminatingTLS|originatingTLS|serverNames|listener)":`)

// checkRule compares the two decodings of one rule.
func checkRule(t *testing.T, name string, data []byte) {
	t.Helper()
	ours, theirs, errOurs, errTheirs := decodeBoth(data)
	switch {
	case errTheirs != nil && errOurs == nil && rawFields.Match(data):
		// Cilium refused a field kept raw: the importer refuses it too.
	case (errOurs != nil) != (errTheirs != nil):
		t.Errorf("%s: error %v, Cilium's %v\n%s", name, errOurs, errTheirs, data)
	case errOurs == nil && !bytes.Equal(ours, theirs) && !(rawFields.Match(data) && sameJSON(ours, theirs)):
		// Raw fields keep their keys as written; Cilium writes its own order.
		t.Errorf("%s: reads as\n%s\nCilium's reads as\n%s", name, ours, theirs)
	}
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// rulesOf returns the rules (spec and specs entries) of every Cilium
// policy document of a YAML stream, as JSON.
func rulesOf(t *testing.T, stream []byte) (rules [][]byte) {
	t.Helper()
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(stream), -1) {
		var obj struct {
			Kind  string            `json:"kind"`
			Spec  json.RawMessage   `json:"spec"`
			Specs []json.RawMessage `json:"specs"`
		}
		if yaml.Unmarshal([]byte(doc), &obj) != nil || !strings.HasPrefix(obj.Kind, "Cilium") {
			continue
		}
		if len(obj.Spec) > 0 && string(obj.Spec) != "null" {
			rules = append(rules, obj.Spec)
		}
		for _, r := range obj.Specs {
			rules = append(rules, r)
		}
	}
	return rules
}

// TestDecodesAsCilium decodes the rules of the importer's corpus, of the
// examples' outputs and of random Cilium policies into this package's
// types and into Cilium's: both must accept and refuse the same rules and
// read them to the same JSON.
func TestDecodesAsCilium(t *testing.T) {
	files, _ := filepath.Glob("../testdata/import/*.yaml")
	more, _ := filepath.Glob("../../../examples/*/cilium.yaml")
	files = append(files, more...)
	if len(files) < 50 {
		t.Fatalf("%d files, want the import corpus and the examples", len(files))
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rulesOf(t, data) {
			checkRule(t, fmt.Sprintf("%s rule %d", filepath.Base(f), i), r)
			n++
		}
	}
	for seed := int64(1); seed <= 300; seed++ {
		c := testgen.NewCiliumPol(seed)
		for i, o := range c.Objects() {
			data, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			rules := rulesOf(t, data)
			if len(rules) == 0 {
				t.Fatalf("seed %d object %d: no rule in %s", seed, i, data)
			}
			for j, r := range rules {
				checkRule(t, fmt.Sprintf("seed %d object %d rule %d", seed, i, j), r)
				n++
			}
		}
	}
	if n < 1000 {
		t.Errorf("%d rules compared, want at least 1000", n)
	}
	t.Logf("%d rules decoded both ways", n)
}

// TestProtocolsAsCilium compares ParseL4Proto with Cilium's.
func TestProtocolsAsCilium(t *testing.T) {
	for _, p := range []string{"", "tcp", "TCP", "Udp", "sctp", "any", "ANY", "icmp", "ICMP", "icmpv6",
		"ICMPv6", "vrrp", "igmp", "gre", "ipip", "ipv6", "esp", "ah", "http", "tcp ", " tcp", "6", "0", "all"} {
		ours, errOurs := api.ParseL4Proto(p)
		theirs, errTheirs := ciliumapi.ParseL4Proto(p)
		if string(ours) != string(theirs) || fmt.Sprint(errOurs) != fmt.Sprint(errTheirs) {
			t.Errorf("ParseL4Proto(%q) = %q, %v; Cilium's %q, %v", p, ours, errOurs, theirs, errTheirs)
		}
	}
}

// TestICMPAsCilium compares how ICMP fields are read and numbered, for
// every type name of either family and other names and numbers.
func TestICMPAsCilium(t *testing.T) {
	names := []string{"Bogus", "echoReply", "EchoReply ", "ExtendedEcho Reply"}
	for _, fam := range []string{api.IPv4Family, api.IPv6Family} {
		for name := range api.ICMPTypes(fam) {
			names = append(names, name)
		}
	}
	var types []string
	for _, n := range names {
		types = append(types, `"`+n+`"`)
	}
	types = append(types, "0", "8", "128", "255", "256", "-1", `"0"`, `"8"`, `"08"`, `""`)
	checked := 0
	for _, fam := range []string{"", "IPv4", "IPv6", "ipv6", "IPv5"} {
		for _, typ := range types {
			data := []byte(`{"family":"` + fam + `","type":` + typ + `}`)
			var ours api.ICMPField
			var theirs ciliumapi.ICMPField
			errOurs, errTheirs := json.Unmarshal(data, &ours), json.Unmarshal(data, &theirs)
			if (errOurs != nil) != (errTheirs != nil) {
				t.Errorf("%s: error %v, Cilium's %v", data, errOurs, errTheirs)
				continue
			}
			if errOurs != nil {
				continue
			}
			if a, b := ours.Number(), theirs.PortProtocol().Port; a != b {
				t.Errorf("%s: number %s, Cilium's %s", data, a, b)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Errorf("%d fields read, want at least 100", checked)
	}
}
