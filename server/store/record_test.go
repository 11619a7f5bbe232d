package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
)

// fill sets every exported field of v, recursively, to a value that is
// not its zero value, so a field the hand encoders forget shows up.
func fill(v reflect.Value, seed int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d <&> \"q\" é\n\u2028", seed))
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(seed + 1))
	case reflect.Float64:
		v.SetFloat(float64(seed) + 0.25)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 6789+seed, time.UTC)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), seed+i)
			}
		}
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), seed)
		v.Set(p)
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.SetBytes(fmt.Appendf(nil, `{"k":[%d,"two",null]}`, seed))
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), seed)
		fill(s.Index(1), seed+7)
		v.Set(s)
	case reflect.Interface:
		v.Set(reflect.ValueOf(fmt.Sprintf("value %d", seed)))
	}
}

// sameJSON fails unless a and b decode to the same value.
func sameJSON(t *testing.T, what string, a, b []byte) {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: hand-encoded JSON does not decode: %v\n%s", what, err, a)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(x, y) {
		t.Errorf("%s: hand-encoded\n%s\nencoding/json\n%s", what, a, b)
	}
}

// TestPayloadEncodersMatchEncodingJSON: the hand encoders of the hot
// events write what encoding/json writes, with every field set (a field
// added to a type and not to its encoder fails here) and with none.
func TestPayloadEncodersMatchEncodingJSON(t *testing.T) {
	simple := sender.DecisionInfo{Stage: "send", Decision: config.Decision{URL: "http://h/x", Allowed: true,
		Checks: []config.Check{{Rule: "length", Passed: true, Value: 2048, Source: "s"}, {Rule: "port", Value: []int{80}},
			{Rule: "domain", Value: []string{"a"}}, {Rule: "address", Value: false, Detail: "d"}, {Rule: "hostname", Value: "h"},
			{Rule: "x", Value: nil}, {Rule: "y", Value: []int(nil)}}}}
	for i, v := range []any{hub.RunInfo{}, hub.RequestInfo{}, sender.DeliveryInfo{}, sender.Attempt{}, sender.DecisionInfo{}, simple} {
		for _, filled := range []bool{false, true} {
			p := reflect.New(reflect.TypeOf(v))
			p.Elem().Set(reflect.ValueOf(v))
			if filled && i < 5 {
				fill(p.Elem(), 1)
			}
			val := p.Elem().Interface()
			got, ok := appendPayload(nil, val)
			if !ok {
				t.Fatalf("%T: no hand encoder", val)
			}
			want, err := Marshal(val)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, fmt.Sprintf("%T (filled %v)", val, filled), got, want)
		}
	}
	if _, ok := appendPayload(nil, hub.NoticeInfo{}); ok {
		t.Error("a notice has no hand encoder; appendPayload claimed one")
	}
}

// TestDeliveryRecordForms: the full form is what encoding/json writes; the
// row form, read back with its columns, gives the delivery back whole,
// although it holds neither the columns nor what attempts repeat.
func TestDeliveryRecordForms(t *testing.T) {
	for _, filled := range []bool{false, true} {
		var d sender.Delivery
		if filled {
			fill(reflect.ValueOf(&d).Elem(), 3)
		}
		want, err := Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, fmt.Sprintf("full delivery (filled %v)", filled), appendDelivery(nil, &d, false), want)

		if filled {
			// What every attempt of a real delivery repeats.
			for i := range d.AttemptLog {
				a := &d.AttemptLog[i]
				a.DeliveryID, a.RunID, a.Method, a.URL = d.ID, d.RunID, "POST", d.URL
				a.RequestHeaders, a.RequestBody = d.Headers, d.Body
			}
			d.CreatedAt, d.UpdatedAt = d.CreatedAt.Round(0), d.UpdatedAt.Round(0)
		}
		row := appendDelivery(nil, &d, true)
		full := appendDelivery(nil, &d, false)
		if filled && len(row) >= len(full)-2*len(d.Body) {
			t.Errorf("row form %d bytes, full %d: the row should hold the body once and no columns", len(row), len(full))
		}
		got, err := decodeDelivery(row, sender.Delivery{ID: d.ID, RunID: d.RunID, URL: d.URL, Outcome: d.Outcome,
			CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := Marshal(got)
		b, _ := Marshal(d)
		sameJSON(t, fmt.Sprintf("row form read back (filled %v)", filled), a, b)
	}
}
