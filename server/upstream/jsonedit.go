package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// The forwarded bodies and the relayed Run objects are edited in place:
// only the bytes of the member that changes move, so everything else the
// client or the upstream wrote (key order, spacing, number spelling)
// reaches the other side as it was.

// member is one top-level member of a JSON object, by byte offsets.
type member struct {
	key      string
	start    int // the key's opening quote
	valStart int
	valEnd   int // just after the value
}

// object is a parsed JSON object: its members and where its braces are.
type object struct {
	b       []byte
	open    int // offset of '{'
	close   int // offset of '}'
	members []member
}

var errNotObject = errors.New("not a JSON object")

// parseObject locates the members of the JSON object b (surrounding
// whitespace allowed). Nested values are skipped, not decoded.
func parseObject(b []byte) (*object, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, errNotObject
	}
	o := &object{b: b, open: int(dec.InputOffset()) - 1}
	for dec.More() {
		pos := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		keyEnd := int(dec.InputOffset())
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
		m := member{key: k, start: skipSep(b, pos), valEnd: int(dec.InputOffset())}
		m.valStart = skipSep(b, keyEnd)
		o.members = append(o.members, m)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	o.close = int(dec.InputOffset()) - 1
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return o, nil
}

// skipSep skips whitespace, commas and colons from i.
func skipSep(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r', ',', ':':
			i++
		default:
			return i
		}
	}
	return i
}

// find returns the index of the first member named key, or -1.
func (o *object) find(key string) int {
	for i, m := range o.members {
		if m.key == key {
			return i
		}
	}
	return -1
}

// value returns the raw value of key, or nil.
func (o *object) value(key string) json.RawMessage {
	if i := o.find(key); i >= 0 {
		m := o.members[i]
		return o.b[m.valStart:m.valEnd]
	}
	return nil
}

// without returns the object's bytes with every member named key removed.
func (o *object) without(key string) []byte {
	out := o.b
	// Back to front, so earlier offsets stay valid.
	for i := len(o.members) - 1; i >= 0; i-- {
		m := o.members[i]
		if m.key != key {
			continue
		}
		var from, to int
		switch {
		case i > 0: // take the comma before it
			from, to = o.members[i-1].valEnd, m.valEnd
		case len(o.members) > 1: // the first: take the comma after it
			from, to = m.start, o.members[1].start
		default:
			from, to = m.start, m.valEnd
		}
		out = splice(out, from, to, nil)
	}
	return out
}

// with returns the object's bytes with key set to val: its value replaced
// where it exists, otherwise a new first member.
func (o *object) with(key string, val []byte) []byte {
	if i := o.find(key); i >= 0 {
		m := o.members[i]
		return splice(o.b, m.valStart, m.valEnd, val)
	}
	ins := appendKey(nil, key, false)
	ins = append(ins, val...)
	if len(o.members) == 0 {
		return splice(o.b, o.open+1, o.close, ins)
	}
	return splice(o.b, o.members[0].start, o.members[0].start, append(ins, ','))
}

// withBefore sets key to val; a new member goes just before the member
// named before (at the end when there is none), indented like its
// neighbours.
func (o *object) withBefore(key string, val []byte, before string) []byte {
	if o.find(key) >= 0 || len(o.members) == 0 {
		return o.with(key, val)
	}
	i := o.find(before)
	if i < 0 {
		last := o.members[len(o.members)-1]
		ws := indentBefore(o.b, last.start)
		ins := append([]byte{','}, ws...)
		ins = appendKey(ins, key, len(ws) > 0)
		return splice(o.b, last.valEnd, last.valEnd, append(ins, val...))
	}
	at := o.members[i].start
	ws := indentBefore(o.b, at)
	ins := appendKey(nil, key, len(ws) > 0)
	ins = append(ins, val...)
	ins = append(ins, ',')
	ins = append(ins, ws...)
	return splice(o.b, at, at, ins)
}

// indentBefore is the whitespace just before offset i.
func indentBefore(b []byte, i int) []byte {
	j := i
	for j > 0 && (b[j-1] == ' ' || b[j-1] == '\t' || b[j-1] == '\n' || b[j-1] == '\r') {
		j--
	}
	return b[j:i]
}

func appendKey(b []byte, key string, spaced bool) []byte {
	k, _ := json.Marshal(key)
	b = append(b, k...)
	if spaced {
		return append(b, ':', ' ')
	}
	return append(b, ':')
}

// splice returns b with b[from:to] replaced by ins, in a new slice.
func splice(b []byte, from, to int, ins []byte) []byte {
	out := make([]byte, 0, len(b)-(to-from)+len(ins))
	out = append(out, b[:from]...)
	out = append(out, ins...)
	return append(out, b[to:]...)
}

// arrayElements returns the [start, end) offsets of each element of the
// JSON array b.
func arrayElements(b []byte) ([][2]int, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('[') {
		return nil, errors.New("not a JSON array")
	}
	var out [][2]int
	for dec.More() {
		start := skipSep(b, int(dec.InputOffset()))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
		out = append(out, [2]int{start, int(dec.InputOffset())})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return out, nil
}

// replaceElements returns the array b with element i replaced by repl[i]
// where repl[i] is not nil.
func replaceElements(b []byte, elems [][2]int, repl [][]byte) []byte {
	out := b
	for i := len(elems) - 1; i >= 0; i-- {
		if i < len(repl) && repl[i] != nil {
			out = splice(out, elems[i][0], elems[i][1], repl[i])
		}
	}
	return out
}

// jsonString encodes s as a JSON string, without HTML escaping.
func jsonString(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return bytes.TrimRight(buf.Bytes(), "\n")
}
