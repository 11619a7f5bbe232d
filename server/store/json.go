package store

import (
	"bytes"
	"encoding/json"
)

// Marshal is json.Marshal without HTML escaping, as the platform (orjson)
// writes JSON: stored bodies keep the bytes that were sent ("&" stays "&",
// not "\u0026"), so API answers, stored records and replays agree byte for
// byte.
func Marshal(v any) ([]byte, error) {
	return MarshalIndent(v, "", "")
}

// MarshalIndent is json.MarshalIndent without HTML escaping (see Marshal).
func MarshalIndent(v any, prefix, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
