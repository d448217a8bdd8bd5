package yamlsrc

import (
	"math/rand"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestPlainTagNumbers holds plainTag, which decides numbers and addresses itself,
// to yaml.v3's own resolution of every plain scalar: chosen ones and
// random strings of digits, dots and the characters of other forms.
func TestPlainTagNumbers(t *testing.T) {
	vals := []string{"", "0", "00", "07", "08", "0.0", "0.0.0.0", "1", "123", "123456789012345678",
		"1234567890123456789", "9223372036854775807", "99999999999999999999", "1.2", "1.2.3", "1..2", "1.2.3e4",
		"10.0.0.1", "10.244.1.17", ".1.2", "1.", "..", "1e5", "2024-01-02", "1_000", "0x1f", "0o17", "0b101",
		"+1", "-1", "-1.2.3", "7d9c8ff12", "5e9", "5e9c", "5E", "1x", "0x1d", "0d1", "1_a", "1a.b", "9b", "1o7", "true", "~", ".inf", "1:20"}
	r := rand.New(rand.NewSource(1))
	const chars = "0123456789....eE+-_xobdfaZ:"
	for range 20000 {
		b := make([]byte, 1+r.Intn(22))
		for i := range b {
			if r.Intn(4) == 0 {
				b[i] = chars[r.Intn(len(chars))]
			} else {
				b[i] = "0123456789."[r.Intn(11)]
			}
		}
		vals = append(vals, string(b))
	}
	for _, v := range vals {
		n := yaml.Node{Kind: yaml.ScalarNode, Value: v}
		if got, want := plainTag(v), n.ShortTag(); got != want {
			t.Errorf("plainTag(%q) = %s, yaml.v3 resolves %s", v, got, want)
		}
	}
}
