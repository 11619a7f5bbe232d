package jsonw

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

// TestMatchesEncodingJSON: strings, numbers and times decode to what
// encoding/json writes for them, and numbers and times are written alike.
func TestMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "<a>&amp;", "tab\tnl\ncr\r\x00\x1f", "é ü 漢字 🙂", "bad \xff utf8", "\u2028\u2029"} {
		var got string
		if err := json.Unmarshal(String(nil, s), &got); err != nil {
			t.Fatalf("%q: %s does not decode: %v", s, String(nil, s), err)
		}
		want := string(bytes.ToValidUTF8([]byte(s), []byte("\ufffd")))
		if got != want {
			t.Errorf("%q came back as %q", s, got)
		}
	}
	for _, f := range []float64{0, 1, -1.5, 0.001, 1e-7, 123456789.125, 1e21, 2.5e-300, math.MaxFloat64} {
		want, _ := json.Marshal(f)
		if got := Float(nil, f); string(got) != string(want) {
			t.Errorf("%v: %s, encoding/json %s", f, got, want)
		}
	}
	if got := Float(nil, math.NaN()); string(got) != "null" {
		t.Errorf("NaN: %s", got)
	}
	for _, tm := range []time.Time{time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))} {
		want, _ := json.Marshal(tm)
		if got := Time(nil, tm); string(got) != string(want) {
			t.Errorf("%v: %s, encoding/json %s", tm, got, want)
		}
	}
	o := Open([]byte("x"))
	o.StrOmit("empty", "")
	o.Int("n", 3)
	o.Raw("r", nil)
	o.FloatOmit("f", 0)
	o.Bool("b", true)
	if got := string(o.Close()); got != `x{"n":3,"r":null,"b":true}` {
		t.Errorf("object: %s", got)
	}
}
