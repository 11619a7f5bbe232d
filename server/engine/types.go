package engine

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"time"

	"hooklab/sender"
	"hooklab/sender/jsonw"

	"github.com/google/uuid"
)

// Time marshals like the platform: RFC 3339 with microseconds and +00:00.
type Time struct{ time.Time }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + sender.FormatTime(t.Time) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// A type error, so the decoder fills in the field name for the 422.
		return &json.UnmarshalTypeError{Value: "string " + strconv.Quote(s), Type: reflect.TypeFor[Time]()}
	}
	*t = Time{v.UTC()}
	return nil
}

// Now is the current time in the platform's form.
func Now() Time { return Time{time.Now().UTC()} }

// Assistant is the API's assistant object.
type Assistant struct {
	AssistantID string         `json:"assistant_id"`
	GraphID     string         `json:"graph_id"`
	Config      map[string]any `json:"config"`
	Context     map[string]any `json:"context"`
	Metadata    map[string]any `json:"metadata"`
	Name        string         `json:"name"`
	CreatedAt   Time           `json:"created_at"`
	UpdatedAt   Time           `json:"updated_at"`
	Version     int            `json:"version"`
	Description *string        `json:"description"`
}

// AssistantVersion is one version of an assistant: every update makes one.
type AssistantVersion struct {
	AssistantID string         `json:"assistant_id"`
	Version     int            `json:"version"`
	GraphID     string         `json:"graph_id"`
	Config      map[string]any `json:"config"`
	Context     map[string]any `json:"context"`
	Metadata    map[string]any `json:"metadata"`
	CreatedAt   Time           `json:"created_at"`
	Name        string         `json:"name"`
	Description *string        `json:"description"`
}

// Thread is the API's thread object.
type Thread struct {
	ThreadID       string          `json:"thread_id"`
	CreatedAt      Time            `json:"created_at"`
	UpdatedAt      Time            `json:"updated_at"`
	StateUpdatedAt Time            `json:"state_updated_at"`
	Metadata       map[string]any  `json:"metadata"`
	Status         ThreadStatus    `json:"status"`
	Config         map[string]any  `json:"config"`
	Values         json.RawMessage `json:"values"`
	Interrupts     map[string]any  `json:"interrupts"`
	// Error is the last run's error ({"error", "message"}) while the
	// thread's status is error, else null.
	Error json.RawMessage `json:"error"`
}

// Checkpoint identifies one saved state of a thread.
type Checkpoint struct {
	CheckpointID string `json:"checkpoint_id"`
	ThreadID     string `json:"thread_id"`
	CheckpointNS string `json:"checkpoint_ns"`
}

// Task is a node a checkpoint runs next; once it ran, its result (the
// writes it made, as an object), error or interrupts.
type Task struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Path       []string `json:"path"`
	Error      any      `json:"error"`
	Interrupts []any    `json:"interrupts"`
	Checkpoint any      `json:"checkpoint"`
	State      any      `json:"state"`
	Result     any      `json:"result"`
}

// ThreadState is one checkpoint of a thread, as the state and history
// routes answer it. CheckpointID and ParentCheckpointID repeat the ids of
// Checkpoint and ParentCheckpoint (the platform keeps them for old clients).
type ThreadState struct {
	Values             json.RawMessage `json:"values"`
	Next               []string        `json:"next"`
	Tasks              []Task          `json:"tasks"`
	Metadata           map[string]any  `json:"metadata"`
	CreatedAt          Time            `json:"created_at"`
	Checkpoint         *Checkpoint     `json:"checkpoint"`
	ParentCheckpoint   *Checkpoint     `json:"parent_checkpoint"`
	Interrupts         []any           `json:"interrupts"`
	CheckpointID       *string         `json:"checkpoint_id"`
	ParentCheckpointID *string         `json:"parent_checkpoint_id"`
}

// Kwargs are a run's arguments, as the platform stores them.
type Kwargs struct {
	Input           json.RawMessage `json:"input"`
	Command         json.RawMessage `json:"command"`
	Config          map[string]any  `json:"config"`
	Context         json.RawMessage `json:"context"`
	StreamMode      []string        `json:"stream_mode"`
	InterruptBefore json.RawMessage `json:"interrupt_before"`
	InterruptAfter  json.RawMessage `json:"interrupt_after"`
	Webhook         *string         `json:"webhook"`
	FeedbackKeys    json.RawMessage `json:"feedback_keys"`
	Temporary       bool            `json:"temporary"`
	Subgraphs       bool            `json:"subgraphs"`
	Resumable       bool            `json:"resumable"`
	Durability      string          `json:"durability"`
}

// Run is the API's run object.
type Run struct {
	RunID             string         `json:"run_id"`
	ThreadID          string         `json:"thread_id"`
	AssistantID       string         `json:"assistant_id"`
	CreatedAt         Time           `json:"created_at"`
	UpdatedAt         Time           `json:"updated_at"`
	Metadata          map[string]any `json:"metadata"`
	Status            RunStatus      `json:"status"`
	Kwargs            Kwargs         `json:"kwargs"`
	MultitaskStrategy string         `json:"multitask_strategy"`
}

// appendRun appends r as encoding/json writes it, with its kwargs and
// metadata already encoded.
func appendRun(b []byte, r *Run, kwargs, metadata json.RawMessage) []byte {
	o := jsonw.Open(b)
	o.Str("run_id", r.RunID)
	o.Str("thread_id", r.ThreadID)
	o.Str("assistant_id", r.AssistantID)
	for _, t := range []struct {
		k string
		t Time
	}{{"created_at", r.CreatedAt}, {"updated_at", r.UpdatedAt}} {
		if t.t.IsZero() {
			o.Raw(t.k, []byte("null"))
		} else {
			o.Str(t.k, sender.FormatTime(t.t.Time))
		}
	}
	o.Raw("metadata", metadata)
	o.Str("status", string(r.Status))
	o.Raw("kwargs", kwargs)
	o.Str("multitask_strategy", r.MultitaskStrategy)
	return o.Close()
}

// RunStatus is a run's status.
type RunStatus string

// The run statuses. A run is pending until it starts and running until it
// ends with one of the others; rollback is only ever reported, never kept.
const (
	RunPending     RunStatus = "pending"
	RunRunning     RunStatus = "running"
	RunSuccess     RunStatus = "success"
	RunError       RunStatus = "error"
	RunTimeout     RunStatus = "timeout"
	RunInterrupted RunStatus = "interrupted"
	RunRollback    RunStatus = "rollback"
)

// Ended reports whether s is a final status.
func (s RunStatus) Ended() bool { return s != RunPending && s != RunRunning }

// ThreadStatus is a thread's status.
type ThreadStatus string

// The thread statuses.
const (
	ThreadIdle        ThreadStatus = "idle"
	ThreadBusy        ThreadStatus = "busy"
	ThreadInterrupted ThreadStatus = "interrupted"
	ThreadError       ThreadStatus = "error"
)

// graphNamespace is the namespace the platform derives system assistant ids from.
var graphNamespace = uuid.MustParse("6ba7b821-9dad-11d1-80b4-00c04fd430c8")

// SystemAssistantID is the id the platform gives the assistant of a graph.
func SystemAssistantID(graphID string) string {
	return uuid.NewHash(sha1.New(), graphNamespace, []byte(graphID), 5).String()
}

// givenOrNewID is the id a client gave in field (a UUID, lowercased), or a
// new one when it gave none.
func givenOrNewID(field string, given *string) (string, error) {
	if given == nil {
		return NewID(), nil
	}
	if !ValidUUID(*given) {
		return "", Invalid(field, "must be a UUID, got %q", *given)
	}
	return CanonID(*given), nil
}

// NewID is a new random UUID.
func NewID() string { return uuid.NewString() }

// newCheckpointID is a time-ordered UUID (version 7): checkpoint ids sort
// as they were made, so "before" works on ids alone, as the platform's do.
func newCheckpointID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return NewID()
	}
	return id.String()
}

// taskID is the id of the task that runs node name from checkpoint
// checkpointID: the same for every reader of that checkpoint.
func taskID(checkpointID, name string) string {
	return uuid.NewHash(sha1.New(), graphNamespace, []byte(checkpointID+"|"+name), 5).String()
}

// patchedMetadata is old with patch merged in, as a new map: copy on write,
// since answers encoded after the server lock is released may still be
// reading old.
func patchedMetadata(old, patch map[string]any) map[string]any {
	md := maps.Clone(old)
	if md == nil {
		md = map[string]any{}
	}
	maps.Copy(md, patch)
	return md
}

// CanonID is id lowercased when it is a UUID: the platform parses ids as
// UUIDs, so "D84E…" and "d84e…" name the same object. Other strings (a
// graph id used as an assistant id) are left alone.
func CanonID(id string) string {
	if len(id) == 36 && ValidUUID(id) {
		return strings.ToLower(id)
	}
	return id
}

// ValidUUID reports whether s is a UUID in its 36-character form.
func ValidUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
