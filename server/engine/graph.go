package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"hooklab/sender"
)

// The built-in echo graph: START -> echo -> END over a state
// {"messages": [...]} (plus any other keys, replaced on update). The echo
// node answers with an AI message repeating the last message's content (or
// the value a command resumes it with). Its controls, read from
// config.configurable and from context: sleep_ms (sleep first,
// cancellable), fail (raise an error with that message), interrupt (stop
// at an interrupt with that value).

// controls are the echo graph's knobs.
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
	if c := bytes.TrimSpace(k.Context); len(c) > 0 && !bytes.Equal(c, []byte("{}")) && !isNull(c) {
		json.Unmarshal(c, &ctxMap)
	}
	look(ctxMap)
	if cfg, ok := k.Config["configurable"].(map[string]any); ok {
		look(cfg)
	}
	return c
}

// nodeResult is what one execution of the echo node produced.
type nodeResult struct {
	update    map[string]any   // its writes: {"messages": [ai]}
	interrupt []any            // set when it stopped at an interrupt
	err       *sender.RunError // set when it failed
	cancelled bool             // the run was cancelled or timed out meanwhile
}

// runEcho executes the echo node on state, emitting the events a node
// emits while it runs (events, messages, custom).
func (l *loop) runEcho(ctx context.Context, c controls, state map[string]any, resume any, resuming bool) nodeResult {
	em := l.em
	meta := map[string]any{"langgraph_node": nodeEcho, "langgraph_step": l.step, "graph_id": l.r.GraphID, "run_id": em.runID}
	em.send("events", "events", map[string]any{"event": "on_chain_start", "name": nodeEcho, "run_id": em.runID, "data": map[string]any{"input": state}, "metadata": meta, "tags": []string{}, "parent_ids": []string{}})
	if c.sleep > 0 {
		t := time.NewTimer(c.sleep)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nodeResult{cancelled: true}
		}
	}
	if ctx.Err() != nil {
		return nodeResult{cancelled: true}
	}
	if c.fail != "" {
		return nodeResult{err: &sender.RunError{Error: "ValueError", Message: c.fail}}
	}
	last := ""
	if msgs, _ := state["messages"].([]any); len(msgs) > 0 {
		if m, ok := msgs[len(msgs)-1].(map[string]any); ok {
			last = fmt.Sprint(m["content"])
		}
	}
	if resuming {
		last = fmt.Sprint(resume)
	} else if c.interrupt != nil {
		val := c.interrupt
		if val == true {
			val = "interrupt requested"
		}
		return nodeResult{interrupt: []any{map[string]any{"value": val, "id": NewID()}}}
	}
	ai := map[string]any{"type": "ai", "content": last, "id": "run-" + em.runID, "tool_calls": []any{}, "additional_kwargs": map[string]any{}, "response_metadata": map[string]any{}}
	chunk := map[string]any{"type": "AIMessageChunk", "content": last, "id": ai["id"]}
	em.send("messages-tuple", "messages", []any{chunk, meta})
	em.send("messages", "messages/metadata", map[string]any{ai["id"].(string): map[string]any{"metadata": meta}})
	em.send("messages", "messages/partial", []any{ai})
	em.send("custom", "custom", map[string]any{"node": nodeEcho, "echo": last})
	update := map[string]any{"messages": []any{ai}}
	em.send("events", "events", map[string]any{"event": "on_chain_end", "name": nodeEcho, "run_id": em.runID, "data": map[string]any{"output": update}, "metadata": meta, "tags": []string{}, "parent_ids": []string{}})
	return nodeResult{update: update}
}
