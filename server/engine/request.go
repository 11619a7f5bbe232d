package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// RunRequest is the body of every run-creating route (and the run a cron
// creates at each firing).
type RunRequest struct {
	AssistantID       *string         `json:"assistant_id"`
	Input             json.RawMessage `json:"input"`
	Command           json.RawMessage `json:"command"`
	Metadata          map[string]any  `json:"metadata"`
	Config            map[string]any  `json:"config"`
	Context           json.RawMessage `json:"context"`
	Webhook           *string         `json:"webhook"`
	InterruptBefore   json.RawMessage `json:"interrupt_before"`
	InterruptAfter    json.RawMessage `json:"interrupt_after"`
	StreamMode        json.RawMessage `json:"stream_mode"`
	StreamSubgraphs   bool            `json:"stream_subgraphs"`
	StreamResumable   bool            `json:"stream_resumable"`
	FeedbackKeys      json.RawMessage `json:"feedback_keys"`
	MultitaskStrategy string          `json:"multitask_strategy"`
	IfNotExists       string          `json:"if_not_exists"`
	OnCompletion      string          `json:"on_completion"`
	OnDisconnect      string          `json:"on_disconnect"`
	AfterSeconds      *float64        `json:"after_seconds"`
	Durability        string          `json:"durability"`
	// Checkpoint (or CheckpointID) is the checkpoint of the thread a run
	// starts from, instead of the latest.
	Checkpoint   map[string]any `json:"checkpoint,omitempty"`
	CheckpointID string         `json:"checkpoint_id,omitempty"`
}

// streamModes are the stream modes a run accepts.
func streamModes() []string {
	return []string{"values", "messages", "messages-tuple", "updates", "events", "debug", "custom", "tasks", "checkpoints"}
}

// Validate checks every field and returns the normalised stream modes.
func (b *RunRequest) Validate() ([]string, error) {
	if b.AssistantID == nil || *b.AssistantID == "" {
		return nil, Invalid("assistant_id", "required; pass an assistant id or a graph id from langgraph.json")
	}
	for _, e := range []struct {
		field, v string
		allowed  []string
	}{
		{"multitask_strategy", b.MultitaskStrategy, []string{"reject", "rollback", "interrupt", "enqueue"}},
		{"if_not_exists", b.IfNotExists, []string{"create", "reject"}},
		{"on_completion", b.OnCompletion, []string{"delete", "keep"}},
		{"on_disconnect", b.OnDisconnect, []string{"cancel", "continue"}},
		{"durability", b.Durability, []string{"sync", "async", "exit"}},
	} {
		if err := OneOf(e.field, e.v, e.allowed...); err != nil {
			return nil, err
		}
	}
	if b.AfterSeconds != nil && (*b.AfterSeconds < 0 || *b.AfterSeconds > 86400*365) {
		return nil, Invalid("after_seconds", "must be between 0 and 31536000, got %v", *b.AfterSeconds)
	}
	if err := nodeList("interrupt_before", b.InterruptBefore); err != nil {
		return nil, err
	}
	if err := nodeList("interrupt_after", b.InterruptAfter); err != nil {
		return nil, err
	}
	if cfg, ok := b.Config["configurable"]; ok && cfg != nil {
		if _, isMap := cfg.(map[string]any); !isMap {
			return nil, Invalid("config.configurable", "expected an object")
		}
	}
	if len(b.Context) > 0 && !isNull(b.Context) && b.Context[0] != '{' {
		return nil, Invalid("context", "expected an object")
	}
	if err := checkContext(b.Config, b.Context); err != nil {
		return nil, err
	}
	if v, ok := b.Config["recursion_limit"]; ok && v != nil {
		if n, isNum := v.(float64); !isNum || n < 1 || n != float64(int64(n)) {
			return nil, Invalid("config.recursion_limit", "must be a whole number of at least 1, got %v", v)
		}
	}
	if len(b.Command) > 0 && !isNull(b.Command) && b.Command[0] != '{' {
		return nil, Invalid("command", "expected an object such as {\"resume\": ...}")
	}
	if _, err := parseCommand(b.Command); err != nil {
		return nil, err
	}
	if b.Checkpoint != nil {
		if _, ok := b.Checkpoint["checkpoint_id"].(string); !ok && b.Checkpoint["checkpoint_id"] != nil {
			return nil, Invalid("checkpoint.checkpoint_id", "expected a checkpoint id string")
		}
	}
	if len(b.FeedbackKeys) > 0 && !isNull(b.FeedbackKeys) {
		var keys []string
		if json.Unmarshal(b.FeedbackKeys, &keys) != nil {
			return nil, Invalid("feedback_keys", "expected a list of strings")
		}
	}
	return b.streamModes()
}

func (b *RunRequest) streamModes() ([]string, error) {
	modes := []string{"values"}
	if len(b.StreamMode) == 0 || isNull(b.StreamMode) {
		return modes, nil
	}
	var one string
	var many []string
	if json.Unmarshal(b.StreamMode, &one) == nil {
		modes = []string{one}
	} else if json.Unmarshal(b.StreamMode, &many) == nil {
		modes = many
	} else {
		return nil, Invalid("stream_mode", "expected a string or a list of strings")
	}
	for i, m := range modes {
		if err := OneOf(fmt.Sprintf("stream_mode[%d]", i), m, streamModes()...); err != nil || m == "" {
			return nil, Invalid("stream_mode", "unknown mode %q; use %s", m, strings.Join(streamModes(), ", "))
		}
	}
	return modes, nil
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(raw, []byte("null")) }

func nodeList(field string, raw json.RawMessage) error {
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star == "*" {
			return nil
		}
		return Invalid(field, "expected \"*\" or a list of node names, got %q", star)
	}
	var nodes []string
	if json.Unmarshal(raw, &nodes) != nil {
		return Invalid(field, "expected \"*\" or a list of node names")
	}
	return nil
}

// OneOf checks an enum field; empty means "use the default".
func OneOf(field, v string, allowed ...string) error {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return Invalid(field, "unknown value %q; use one of %s", v, strings.Join(allowed, ", "))
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// checkContext refuses a body that sets both config.configurable and
// context, as the platform does (context replaces configurable).
func checkContext(config map[string]any, context json.RawMessage) error {
	conf, _ := config["configurable"].(map[string]any)
	var ctx map[string]any
	if len(context) > 0 {
		json.Unmarshal(context, &ctx)
	}
	if len(conf) > 0 && len(ctx) > 0 {
		return Errorf(ErrRejected, "Cannot specify both configurable and context. Prefer setting context alone. "+
			"Context was introduced in LangGraph 0.6.0 and is the long term planned replacement for configurable.")
	}
	return nil
}

// startCheckpoint is the checkpoint id a run body names ("" for none).
func (b *RunRequest) startCheckpoint() string {
	if b.CheckpointID != "" {
		return b.CheckpointID
	}
	id, _ := b.Checkpoint["checkpoint_id"].(string)
	return id
}
