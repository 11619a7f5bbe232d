package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// The checkpoints of a thread, newest first, as a run of a LangGraph graph
// leaves them: for each run an input checkpoint (source "input", next
// ["__start__"]), then one per superstep (source "loop"); a state update
// adds one of source "update". Checkpoint ids are time-ordered UUIDs.

// Node names the platform gives the graph's edges.
const (
	nodeStart = "__start__"
	nodeEnd   = "__end__"
	nodeInput = "__input__"
	nodeEcho  = "echo"
)

// emptyState is the state of a thread that has no checkpoint: no
// metadata, no creation time, no checkpoint.
func emptyState() ThreadState {
	return ThreadState{Values: json.RawMessage("{}"), Next: []string{}, Tasks: []Task{}, Interrupts: []any{}}
}

// current is the thread's latest checkpoint (the empty state when none).
func (t *threadState) current() ThreadState {
	if len(t.history) > 0 {
		return t.history[0]
	}
	return emptyState()
}

// find returns the checkpoint with id and its position in the history.
func (t *threadState) find(id string) (ThreadState, int, bool) {
	for i, st := range t.history {
		if st.Checkpoint != nil && st.Checkpoint.CheckpointID == id {
			return st, i, true
		}
	}
	return ThreadState{}, -1, false
}

// stepOf is a checkpoint's superstep (-1 for an input checkpoint on a new
// thread).
func stepOf(st ThreadState) int {
	switch v := st.Metadata["step"].(type) {
	case int:
		return v
	case float64:
		return int(v)
	}
	return -2
}

// newCheckpoint builds a checkpoint of threadID after parent (nil for the
// first), planning a task for each node of next.
func newCheckpoint(threadID string, parent *Checkpoint, values json.RawMessage, next []string, meta map[string]any) ThreadState {
	cp := &Checkpoint{CheckpointID: newCheckpointID(), ThreadID: threadID}
	if next == nil {
		next = []string{}
	}
	tasks := make([]Task, len(next))
	for i, n := range next {
		tasks[i] = Task{ID: taskID(cp.CheckpointID, n), Name: n, Path: []string{"__pregel_pull", n}, Interrupts: []any{}}
	}
	st := ThreadState{
		Values: values, Next: next, Tasks: tasks, Metadata: meta, CreatedAt: Now(),
		Checkpoint: cp, ParentCheckpoint: parent, Interrupts: []any{},
	}
	st.CheckpointID = &cp.CheckpointID
	if parent != nil {
		st.ParentCheckpointID = &parent.CheckpointID
	}
	return st
}

// put makes st the thread's latest checkpoint. The history is a new slice
// each time: snapshots handed to the store keep the old one.
func (t *threadState) put(st ThreadState) {
	t.history = boundHistory(append([]ThreadState{st}, t.history[:min(len(t.history), maxHistory-1)]...), 1, maxHistoryBytes)
	t.StateUpdatedAt = st.CreatedAt
}

// setHead replaces the latest checkpoint (its tasks' results, errors and
// interrupts are filled in as the tasks end).
func (t *threadState) setHead(st ThreadState) {
	if len(t.history) == 0 || t.history[0].Checkpoint == nil || st.Checkpoint == nil ||
		t.history[0].Checkpoint.CheckpointID != st.Checkpoint.CheckpointID {
		return
	}
	h := slices.Clone(t.history)
	h[0] = st
	t.history = h
}

// dropRun removes the checkpoints a run wrote (a rollback).
func (t *threadState) dropRun(runID string) {
	h := make([]ThreadState, 0, len(t.history))
	for _, st := range t.history {
		if st.Metadata["run_id"] != runID {
			h = append(h, st)
		}
	}
	t.history = h
}

// HistoryQuery is the body of POST /threads/{id}/history (and the query of
// its GET form).
type HistoryQuery struct {
	Limit      *int            `json:"limit"`
	Before     json.RawMessage `json:"before"`
	Metadata   map[string]any  `json:"metadata"`
	Checkpoint map[string]any  `json:"checkpoint"`
}

// checkpointRef reads a checkpoint id given as a string, a checkpoint
// object ({"checkpoint_id": ...}) or a config ({"configurable": {...}}).
func checkpointRef(field string, raw json.RawMessage) (string, error) {
	if len(raw) == 0 || isNull(raw) {
		return "", nil
	}
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id, nil
	}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) != nil {
		return "", Invalid(field, "expected a checkpoint id or a checkpoint object {\"checkpoint_id\": ...}")
	}
	if c, ok := obj["configurable"].(map[string]any); ok {
		obj = c
	}
	id, _ = obj["checkpoint_id"].(string)
	return id, nil
}

// ThreadHistory lists a thread's checkpoints, newest first: at most limit
// (1 when the query gives none, as the platform), before the checkpoint
// "before", whose metadata holds every key of the metadata filter, and,
// with a checkpoint filter, only the checkpoint it names.
func (e *Engine) ThreadHistory(id string, q HistoryQuery) ([]ThreadState, error) {
	limit := 1
	if q.Limit != nil && *q.Limit != 0 {
		limit = *q.Limit
	}
	if limit < 0 {
		return nil, Invalid("limit", "must not be negative, got %d", limit)
	}
	before, err := checkpointRef("before", q.Before)
	if err != nil {
		return nil, err
	}
	ns, _ := q.Checkpoint["checkpoint_ns"].(string)
	only, _ := q.Checkpoint["checkpoint_id"].(string)
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.threadLocked(id)
	if err != nil {
		return nil, err
	}
	out := []ThreadState{}
	if ns != "" {
		return out, nil // the echo graph has no subgraphs
	}
	h := t.history
	if before != "" {
		if _, i, ok := t.find(before); ok {
			h = h[i+1:]
		} else {
			// An id this thread never had: the time order of the ids decides.
			for i, st := range h {
				if st.Checkpoint != nil && st.Checkpoint.CheckpointID < before {
					h = h[i:]
					break
				}
				if i == len(h)-1 {
					h = nil
				}
			}
		}
	}
	for _, st := range h {
		if len(out) >= limit {
			break
		}
		if only != "" && (st.Checkpoint == nil || st.Checkpoint.CheckpointID != only) {
			continue
		}
		if !subset(q.Metadata, st.Metadata) {
			continue
		}
		out = append(out, st)
	}
	return out, nil
}

// ThreadState is a thread's latest checkpoint, or the one with checkpointID
// when it is not "". A checkpoint the thread does not have answers an
// empty state naming it, as the platform's does.
func (e *Engine) ThreadState(id, checkpointID string) (ThreadState, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.threadLocked(id)
	if err != nil {
		return ThreadState{}, err
	}
	if checkpointID == "" {
		if len(t.history) == 0 {
			return emptyState(), nil
		}
		return t.history[0], nil
	}
	if st, _, ok := t.find(checkpointID); ok {
		return st, nil
	}
	st := emptyState()
	st.Checkpoint = &Checkpoint{CheckpointID: checkpointID, ThreadID: t.ThreadID}
	st.CheckpointID = &st.Checkpoint.CheckpointID
	return st, nil
}

// CopyThread makes a new thread with the metadata and every checkpoint of
// thread id, under the new thread's id: every occurrence of the old id in
// the checkpoints is replaced, as the platform does. Runs are not copied.
func (e *Engine) CopyThread(id string) (Thread, error) {
	if !ValidUUID(id) {
		return Thread{}, Invalid("thread_id", "must be a UUID, got %q", id)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	src, ok := e.threads[CanonID(id)]
	if !ok {
		return Thread{}, Errorf(ErrConflict, "Thread with ID %s not found: nothing to copy", id)
	}
	md, err := deepCopy(src.Metadata)
	if err != nil {
		return Thread{}, Errorf(ErrRejected, "thread metadata cannot be copied: %v", err)
	}
	t := newThread(NewID(), md)
	if len(src.history) > 0 {
		b, err := marshal(src.history)
		if err != nil {
			return Thread{}, Errorf(ErrRejected, "thread history cannot be copied: %v", err)
		}
		b = bytes.ReplaceAll(b, []byte(src.ThreadID), []byte(t.ThreadID))
		if err := json.Unmarshal(b, &t.history); err != nil {
			return Thread{}, fmt.Errorf("copy thread history: %w", err)
		}
		t.Values = t.history[0].Values
		t.StateUpdatedAt = src.StateUpdatedAt
	}
	e.threads[t.ThreadID] = t
	e.persistThread(t)
	return t.Thread, nil
}

func deepCopy(m map[string]any) (map[string]any, error) {
	b, err := marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = json.Unmarshal(b, &out)
	return out, err
}

// upgradeState fills in what a checkpoint stored by an older hooklab lacks
// (tasks, the deprecated id copies).
func upgradeState(st ThreadState) ThreadState {
	if st.Tasks == nil {
		st.Tasks = []Task{}
	}
	if st.Next == nil {
		st.Next = []string{}
	}
	if st.Interrupts == nil {
		st.Interrupts = []any{}
	}
	if st.Checkpoint != nil && st.CheckpointID == nil {
		st.CheckpointID = &st.Checkpoint.CheckpointID
	}
	if st.ParentCheckpoint != nil && st.ParentCheckpointID == nil {
		st.ParentCheckpointID = &st.ParentCheckpoint.CheckpointID
	}
	return st
}
