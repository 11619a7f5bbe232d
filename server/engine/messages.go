package engine

import (
	"encoding/json"
	"fmt"
)

// The echo graph's state reducers, as LangGraph's MessagesState has them:
// "messages" is merged by message id (add_messages: a message whose id is
// already there replaces it in place, a "remove" message deletes the
// message with its id, any other is appended), every other key is replaced.

// removeAll is the id of a remove message that clears the list.
const removeAll = "__remove_all__"

func asList(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	default:
		return []any{x}
	}
}

// normalizeMessage turns an input message ({"role": "user", ...} or a
// string) into a LangChain-style message dict with an id.
func normalizeMessage(m any) any {
	switch x := m.(type) {
	case string:
		return map[string]any{"type": "human", "content": x, "id": NewID()}
	case map[string]any:
		out := make(map[string]any, len(x)+1)
		for k, v := range x {
			out[k] = v
		}
		if _, ok := out["type"]; !ok {
			switch fmt.Sprint(out["role"]) {
			case "assistant", "ai":
				out["type"] = "ai"
			case "system":
				out["type"] = "system"
			case "tool":
				out["type"] = "tool"
			case "remove":
				out["type"] = "remove"
			default:
				out["type"] = "human"
			}
			delete(out, "role")
		}
		if id, ok := out["id"].(string); !ok || id == "" {
			out["id"] = NewID()
		}
		return out
	}
	return m
}

func messageID(m any) string {
	if mm, ok := m.(map[string]any); ok {
		id, _ := mm["id"].(string)
		return id
	}
	return ""
}

// addMessages merges right into left by message id.
func addMessages(left []any, right any) []any {
	out := make([]any, 0, len(left)+1)
	at := map[string]int{}
	for _, m := range left {
		m = normalizeMessage(m)
		at[messageID(m)] = len(out)
		out = append(out, m)
	}
	removed := map[string]bool{}
	for _, m := range asList(right) {
		m = normalizeMessage(m)
		id := messageID(m)
		if mm, ok := m.(map[string]any); ok && mm["type"] == "remove" {
			if id == removeAll {
				out, at, removed = out[:0], map[string]int{}, map[string]bool{}
				continue
			}
			removed[id] = true
			continue
		}
		if i, ok := at[id]; ok {
			out[i] = m
			delete(removed, id)
			continue
		}
		at[id] = len(out)
		out = append(out, m)
	}
	if len(removed) == 0 {
		return out
	}
	kept := out[:0]
	for _, m := range out {
		if !removed[messageID(m)] {
			kept = append(kept, m)
		}
	}
	return kept
}

// applyUpdate applies a node's writes (an update object) to state with
// the graph's reducers, and returns the new state; state is not changed.
func applyUpdate(state, update map[string]any) map[string]any {
	next := make(map[string]any, len(state)+len(update))
	for k, v := range state {
		next[k] = v
	}
	for k, v := range update {
		if k == "messages" {
			old, _ := next["messages"].([]any)
			next["messages"] = addMessages(old, v)
			continue
		}
		next[k] = v
	}
	return next
}

// decodeState reads stored values into a state (an empty state for none).
func decodeState(raw json.RawMessage) map[string]any {
	state := map[string]any{}
	if len(raw) > 0 {
		json.Unmarshal(raw, &state)
	}
	if state == nil {
		state = map[string]any{}
	}
	return state
}

// updateObject reads the values of a state update or a command's update:
// an object, or a list of [key, value] pairs.
func updateObject(field string, raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 || isNull(raw) {
		return nil, nil
	}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) == nil {
		return obj, nil
	}
	var pairs [][]any
	if json.Unmarshal(raw, &pairs) == nil {
		obj = map[string]any{}
		for _, p := range pairs {
			if len(p) != 2 {
				return nil, Invalid(field, "expected an object or a list of [key, value] pairs")
			}
			k, ok := p[0].(string)
			if !ok {
				return nil, Invalid(field, "expected an object or a list of [key, value] pairs")
			}
			obj[k] = p[1]
		}
		return obj, nil
	}
	return nil, Invalid(field, "expected an object of state keys to values, such as {\"messages\": [...]}")
}
