package store

import (
	"bytes"
	"encoding/json"
)

// marshal is json.Marshal without HTML escaping, so stored bodies keep the
// bytes that were sent ("&" stays "&", not "\u0026") and a replay as-is
// sends the same bytes.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
