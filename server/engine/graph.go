package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"hooklab/sender"
)

// graphResult is what a graph run produced.
type graphResult struct {
	Values     json.RawMessage // the thread's state after the run (nil when unchanged)
	Interrupts []any           // set when the run stopped at an interrupt
	Err        *sender.RunError
}

// controls are the echo graph's knobs, read from config.configurable and
// context (see the README).
type controls struct {
	sleep     time.Duration
	fail      string
	interrupt any
}

func readControls(k Kwargs) controls {
	var c controls
	look := func(m map[string]any) {
		if v, ok := m["sleep_ms"]; ok {
			switch n := v.(type) {
			case float64:
				c.sleep = time.Duration(n * float64(time.Millisecond))
			case string:
				if f, err := strconv.ParseFloat(n, 64); err == nil {
					c.sleep = time.Duration(f * float64(time.Millisecond))
				}
			}
		}
		if v, ok := m["fail"]; ok && v != nil && v != false && v != "" {
			c.fail = fmt.Sprint(v)
			if v == true {
				c.fail = "echo graph failed as requested (config.configurable.fail)"
			}
		}
		if v, ok := m["interrupt"]; ok && v != nil && v != false && v != "" {
			c.interrupt = v
		}
	}
	var ctxMap map[string]any
	if len(k.Context) > 0 {
		json.Unmarshal(k.Context, &ctxMap)
	}
	look(ctxMap)
	if cfg, ok := k.Config["configurable"].(map[string]any); ok {
		look(cfg)
	}
	return c
}

// emitter sends stream events for the modes a run asked for.
type emitter struct {
	buf   *Stream
	modes map[string]bool
	runID string
}

func (e emitter) send(mode, event string, v any) {
	if mode != "" && !e.modes[mode] {
		return
	}
	b, err := marshal(v)
	if err != nil {
		b = []byte("null")
	}
	e.buf.add(event, b)
}

// runEcho executes the built-in echo graph: it appends the input messages
// and an AI message echoing the last one.
func runEcho(ctx context.Context, k Kwargs, graphID string, prev json.RawMessage, em emitter) graphResult {
	c := readControls(k)
	state := map[string]any{}
	if len(prev) > 0 {
		json.Unmarshal(prev, &state)
	}
	if state == nil {
		state = map[string]any{}
	}
	msgs, _ := state["messages"].([]any)
	var input map[string]any
	if len(k.Input) > 0 {
		json.Unmarshal(k.Input, &input)
	}
	for key, v := range input {
		if key != "messages" {
			state[key] = v
		}
	}
	for _, m := range asList(input["messages"]) {
		msgs = append(msgs, normalizeMessage(m))
	}
	last := ""
	if len(msgs) > 0 {
		if m, ok := msgs[len(msgs)-1].(map[string]any); ok {
			last = fmt.Sprint(m["content"])
		}
	}
	var resume any
	if len(k.Command) > 0 {
		var cmd map[string]any
		if json.Unmarshal(k.Command, &cmd) == nil {
			if r, ok := cmd["resume"]; ok {
				resume = r
				last = fmt.Sprint(r)
			}
		}
	}
	state["messages"] = msgs
	meta := map[string]any{"langgraph_node": "echo", "langgraph_step": 1, "graph_id": graphID, "run_id": em.runID}
	em.send("values", "values", state)
	em.send("debug", "debug", map[string]any{"type": "task", "step": 1, "timestamp": Now(), "payload": map[string]any{"id": em.runID, "name": "echo", "input": state, "triggers": []string{"start:echo"}}})
	em.send("tasks", "tasks", map[string]any{"id": em.runID, "name": "echo", "input": state, "triggers": []string{"start:echo"}, "interrupts": []any{}})
	em.send("events", "events", map[string]any{"event": "on_chain_start", "name": "echo", "run_id": em.runID, "data": map[string]any{"input": state}, "metadata": meta, "tags": []string{}, "parent_ids": []string{}})

	if c.sleep > 0 {
		t := time.NewTimer(c.sleep)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return graphResult{}
		}
	}
	if ctx.Err() != nil {
		return graphResult{}
	}
	if c.fail != "" {
		err := &sender.RunError{Error: "ValueError", Message: c.fail}
		em.send("", "error", err)
		return graphResult{Err: err}
	}
	if c.interrupt != nil && resume == nil || interruptsBefore(k) && resume == nil {
		val := c.interrupt
		if val == nil || val == true {
			val = "interrupt requested"
		}
		intr := []any{map[string]any{"value": val, "id": NewID()}}
		vals, _ := marshal(state)
		em.send("updates", "updates", map[string]any{"__interrupt__": intr})
		em.send("values", "values", map[string]any{"__interrupt__": intr})
		return graphResult{Values: vals, Interrupts: intr}
	}
	ai := map[string]any{"type": "ai", "content": last, "id": "run-" + em.runID, "tool_calls": []any{}, "additional_kwargs": map[string]any{}, "response_metadata": map[string]any{}}
	chunk := map[string]any{"type": "AIMessageChunk", "content": last, "id": ai["id"]}
	em.send("messages-tuple", "messages", []any{chunk, meta})
	em.send("messages", "messages/metadata", map[string]any{ai["id"].(string): map[string]any{"metadata": meta}})
	em.send("messages", "messages/partial", []any{ai})
	em.send("messages", "messages/complete", []any{ai})
	em.send("custom", "custom", map[string]any{"node": "echo", "echo": last})
	msgs = append(msgs, ai)
	state["messages"] = msgs
	em.send("updates", "updates", map[string]any{"echo": map[string]any{"messages": []any{ai}}})
	em.send("events", "events", map[string]any{"event": "on_chain_end", "name": "echo", "run_id": em.runID, "data": map[string]any{"output": map[string]any{"messages": []any{ai}}}, "metadata": meta, "tags": []string{}, "parent_ids": []string{}})
	em.send("tasks", "tasks", map[string]any{"id": em.runID, "name": "echo", "result": map[string]any{"messages": []any{ai}}, "error": nil, "interrupts": []any{}})
	em.send("debug", "debug", map[string]any{"type": "task_result", "step": 1, "timestamp": Now(), "payload": map[string]any{"id": em.runID, "name": "echo", "result": [][]any{{"messages", []any{ai}}}, "error": nil, "interrupts": []any{}}})
	em.send("checkpoints", "checkpoints", map[string]any{"values": state, "next": []string{}, "metadata": map[string]any{"source": "loop", "step": 1}})
	em.send("values", "values", state)
	vals, _ := marshal(state)
	return graphResult{Values: vals}
}

func interruptsBefore(k Kwargs) bool {
	for _, raw := range []json.RawMessage{k.InterruptBefore, k.InterruptAfter} {
		var star string
		if json.Unmarshal(raw, &star) == nil && star == "*" {
			return true
		}
		var nodes []string
		if json.Unmarshal(raw, &nodes) == nil {
			for _, n := range nodes {
				if n == "echo" {
					return true
				}
			}
		}
	}
	return false
}

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
// string) into a LangChain-style message dict.
func normalizeMessage(m any) any {
	switch x := m.(type) {
	case string:
		return map[string]any{"type": "human", "content": x, "id": NewID()}
	case map[string]any:
		out := map[string]any{}
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
			default:
				out["type"] = "human"
			}
			delete(out, "role")
		}
		if _, ok := out["id"]; !ok {
			out["id"] = NewID()
		}
		return out
	}
	return m
}

// mergeValues applies an update to a state: lists under "messages" are
// appended, other keys replaced.
func mergeValues(prev, update json.RawMessage) (json.RawMessage, error) {
	state := map[string]any{}
	if len(prev) > 0 {
		json.Unmarshal(prev, &state)
	}
	if state == nil {
		state = map[string]any{}
	}
	var up map[string]any
	if err := json.Unmarshal(update, &up); err != nil {
		return nil, errors.New("must be a JSON object")
	}
	for k, v := range up {
		if k == "messages" {
			old, _ := state["messages"].([]any)
			for _, m := range asList(v) {
				old = append(old, normalizeMessage(m))
			}
			state[k] = old
			continue
		}
		state[k] = v
	}
	return marshal(state)
}
