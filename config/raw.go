package config

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// rawDoc keeps every top-level key of langgraph.json in file order.
type rawDoc struct {
	keys   []string
	vals   map[string]json.RawMessage
	indent string // indent unit of the original file, reused on save
}

// clone deep-copies d.
func (d rawDoc) clone() rawDoc {
	c := rawDoc{keys: append([]string(nil), d.keys...), vals: make(map[string]json.RawMessage, len(d.vals)), indent: d.indent}
	for k, v := range d.vals {
		c.vals[k] = append(json.RawMessage(nil), v...)
	}
	return c
}

// has reports whether key is in d.
func (d rawDoc) has(key string) bool {
	_, ok := d.vals[key]
	return ok
}

// set replaces key's value, appending the key when it is new.
func (d *rawDoc) set(key string, v json.RawMessage) {
	if d.vals == nil {
		d.vals = map[string]json.RawMessage{}
	}
	if _, ok := d.vals[key]; !ok {
		d.keys = append(d.keys, key)
	}
	d.vals[key] = v
}

// del removes key from d.
func (d *rawDoc) del(key string) {
	if _, ok := d.vals[key]; !ok {
		return
	}
	delete(d.vals, key)
	for i, k := range d.keys {
		if k == key {
			d.keys = append(d.keys[:i:i], d.keys[i+1:]...)
			break
		}
	}
}

// decodeObject splits a JSON object into its keys, in order, and raw values.
// A repeated key keeps its first position and its last value, as Python's
// json module does. ok is false when raw is not an object.
func decodeObject(raw json.RawMessage) (d rawDoc, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return rawDoc{}, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return rawDoc{}, false
	}
	d.vals = map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return rawDoc{}, false
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return rawDoc{}, false
		}
		d.set(key, v)
	}
	return d, true
}

// encode renders d as a compact JSON object, in key order.
func (d rawDoc) encode() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range d.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(mustJSON(k))
		b.WriteByte(':')
		b.Write(d.vals[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// mustJSON marshals v without HTML escaping, so templates such as
// "a&b" or "<token>" are written back as the user typed them.
func mustJSON(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only plain strings, bools, ints and slices of them reach here.
		panic("config: cannot marshal " + err.Error())
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

// kind names the JSON type of raw for error messages.
func kind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// isNull reports whether raw is the JSON null.
func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// got renders a bad value for an error message: compact, one line, short.
func got(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		b.Reset()
		b.Write(bytes.TrimSpace(raw))
	}
	s := b.String()
	const limit = 40
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// detectIndent returns the whitespace before the first key of a JSON object
// when the file puts keys on their own lines, so a save keeps the user's
// indent unit; two spaces otherwise.
func detectIndent(data []byte) string {
	i := bytes.IndexByte(data, '{')
	if i < 0 {
		return "  "
	}
	rest := data[i+1:]
	ws := rest[:len(rest)-len(bytes.TrimLeft(rest, " \t\r\n"))]
	nl := bytes.LastIndexByte(ws, '\n')
	if nl < 0 || nl == len(ws)-1 {
		return "  "
	}
	return string(ws[nl+1:])
}
