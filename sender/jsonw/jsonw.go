// Package jsonw appends JSON to byte slices by hand, for the records
// hooklab writes on every run, where encoding/json's reflection and its
// re-validation of json.RawMessage cost more than the rest of the work.
//
// The output is what encoding/json with SetEscapeHTML(false) writes, with
// two differences that decode to the same values: U+2028 and U+2029 are
// written as they are, and invalid UTF-8 becomes U+FFFD. Raw values are
// trusted to be valid, compact JSON: they come from hooklab's own
// encoders or were validated when they arrived.
package jsonw

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// String appends s as a JSON string.
func String(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Float appends f as encoding/json does (null for NaN and infinities,
// which it refuses).
func Float(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 becomes 1e-7, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// Time appends t as encoding/json does: RFC 3339 with nanoseconds, quoted.
func Time(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// Object appends the members of one JSON object. Keys are written as
// given: they must be plain ASCII names.
type Object struct {
	B []byte
	n int
}

// Open starts an object at the end of b.
func Open(b []byte) Object { return Object{B: append(b, '{')} }

// Close ends the object and returns the bytes.
func (o *Object) Close() []byte { return append(o.B, '}') }

// Key starts a member.
func (o *Object) Key(k string) {
	if o.n > 0 {
		o.B = append(o.B, ',')
	}
	o.n++
	o.B = append(o.B, '"')
	o.B = append(o.B, k...)
	o.B = append(o.B, '"', ':')
}

// Str writes a string member.
func (o *Object) Str(k, v string) {
	o.Key(k)
	o.B = String(o.B, v)
}

// StrOmit writes a string member unless v is empty.
func (o *Object) StrOmit(k, v string) {
	if v != "" {
		o.Str(k, v)
	}
}

// Int writes an integer member.
func (o *Object) Int(k string, v int64) {
	o.Key(k)
	o.B = strconv.AppendInt(o.B, v, 10)
}

// IntOmit writes an integer member unless v is 0.
func (o *Object) IntOmit(k string, v int64) {
	if v != 0 {
		o.Int(k, v)
	}
}

// Bool writes a boolean member.
func (o *Object) Bool(k string, v bool) {
	o.Key(k)
	o.B = strconv.AppendBool(o.B, v)
}

// BoolOmit writes a boolean member unless v is false.
func (o *Object) BoolOmit(k string, v bool) {
	if v {
		o.Bool(k, v)
	}
}

// Float writes a number member.
func (o *Object) Float(k string, v float64) {
	o.Key(k)
	o.B = Float(o.B, v)
}

// FloatOmit writes a number member unless v is 0.
func (o *Object) FloatOmit(k string, v float64) {
	if v != 0 {
		o.Float(k, v)
	}
}

// Time writes a time member.
func (o *Object) Time(k string, t time.Time) {
	o.Key(k)
	o.B = Time(o.B, t)
}

// Raw writes a member whose value is already JSON (null when empty).
func (o *Object) Raw(k string, v []byte) {
	o.Key(k)
	if len(v) == 0 {
		o.B = append(o.B, "null"...)
		return
	}
	o.B = append(o.B, v...)
}

// RawOmit writes a member whose value is already JSON, unless it is empty.
func (o *Object) RawOmit(k string, v []byte) {
	if len(v) > 0 {
		o.Raw(k, v)
	}
}
