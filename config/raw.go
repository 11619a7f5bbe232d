package config

import "encoding/json"

// rawDoc keeps every top-level key of langgraph.json in file order.
type rawDoc struct {
	keys []string
	vals map[string]json.RawMessage
}
