package engine

import (
	"bytes"
	"encoding/json"
	"maps"
	"sort"

	"hooklab/server/store"
)

// Bounds of the states kept per thread: in memory, and in the store (a
// thread's values can grow with every run, so bytes are bounded too).
const (
	maxHistory         = 200
	maxHistoryBytes    = 1 << 20
	storedHistoryBytes = 256 << 10
)

// threadState is a thread with its live run queue.
type threadState struct {
	Thread
	history   []ThreadState // newest first
	temporary bool          // made for a stateless run
	active    *runState     // the run executing (or waiting for after_seconds)
	queue     []*runState   // pending runs, in order
}

// threadRecord is how a thread is stored.
type threadRecord struct {
	Thread
	History   []ThreadState `json:"history,omitempty"`
	Temporary bool          `json:"temporary,omitempty"`
}

// record is a snapshot of t for the store. Metadata is the only map that is
// changed in place (PATCH), so it is copied; history is replaced, never
// changed, by checkpoint.
func (t *threadState) record() threadRecord {
	th := t.Thread
	th.Metadata = maps.Clone(t.Metadata)
	return threadRecord{Thread: th, History: boundHistory(t.history, 1, storedHistoryBytes), Temporary: t.temporary}
}

// boundHistory keeps the newest states that fit in maxBytes of values, and
// at least keep of them.
func boundHistory(h []ThreadState, keep, maxBytes int) []ThreadState {
	total := 0
	for i, st := range h {
		total += len(st.Values)
		if i >= keep && total > maxBytes {
			return h[:i:i]
		}
	}
	return h
}

func (e *Engine) persistThread(t *threadState) {
	e.persistSnapshot(store.Threads, t.ThreadID, "", t.record())
}

func newThread(id string, metadata map[string]any) *threadState {
	t := Now()
	return &threadState{Thread: Thread{
		ThreadID: id, CreatedAt: t, UpdatedAt: t, Metadata: orEmpty(metadata), Status: ThreadIdle,
		Config: map[string]any{}, Values: json.RawMessage("null"), Interrupts: map[string]any{},
	}}
}

// ThreadRequest is the body of POST /threads, PATCH /threads/{id} and the
// thread search and count routes.
type ThreadRequest struct {
	ThreadID  *string        `json:"thread_id"`
	Metadata  map[string]any `json:"metadata"`
	IfExists  string         `json:"if_exists"`
	Status    string         `json:"status"`
	Values    map[string]any `json:"values"`
	Ids       []string       `json:"ids"`
	Limit     *int           `json:"limit"`
	Offset    int            `json:"offset"`
	SortBy    string         `json:"sort_by"`
	SortOrder string         `json:"sort_order"`
	// Supersteps (POST /threads) build the new thread's history.
	Supersteps []Superstep `json:"supersteps"`
}

// CreateThread creates a thread; with if_exists do_nothing an existing one
// is returned instead of a conflict.
func (e *Engine) CreateThread(b ThreadRequest) (Thread, error) {
	if err := OneOf("if_exists", b.IfExists, "raise", "do_nothing"); err != nil {
		return Thread{}, err
	}
	id, err := givenOrNewID("thread_id", b.ThreadID)
	if err != nil {
		return Thread{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.threads[id]; ok {
		if b.IfExists == "do_nothing" {
			return old.Thread, nil
		}
		return Thread{}, Errorf(ErrConflict, "Thread with ID %s already exists; pass if_exists \"do_nothing\" to reuse it", id)
	}
	t := newThread(id, b.Metadata)
	e.threads[id] = t
	e.persistThread(t)
	if len(b.Supersteps) > 0 {
		if err := e.applySupersteps(t, b.Supersteps); err != nil {
			// As the platform: the thread stays, and the answer says so.
			return t.Thread, Errorf(ErrPartial, "Thread %s was created, but there were problems updating the state: %s", id, err.Error())
		}
	}
	return t.Thread, nil
}

// threadLocked validates a thread id and finds the thread. The caller
// holds e.mu.
func (e *Engine) threadLocked(id string) (*threadState, error) {
	if !ValidUUID(id) {
		return nil, Invalid("thread_id", "must be a UUID, got %q", id)
	}
	t, ok := e.threads[id]
	if !ok {
		return nil, threadNotFound(id)
	}
	return t, nil
}

// SearchThreads lists the threads b matches (every one when b is empty),
// sorted as b asks; the caller pages.
func (e *Engine) SearchThreads(b ThreadRequest) ([]Thread, error) {
	if err := OneOf("status", b.Status, "idle", "busy", "interrupted", "error"); err != nil {
		return nil, err
	}
	if err := OneOf("sort_order", b.SortOrder, "asc", "desc"); err != nil {
		return nil, err
	}
	if err := OneOf("sort_by", b.SortBy, "thread_id", "status", "created_at", "updated_at"); err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, id := range b.Ids {
		ids[id] = true
	}
	e.mu.Lock()
	var out []Thread
	for _, t := range e.threads {
		if (b.Status != "" && string(t.Status) != b.Status) || (len(ids) > 0 && !ids[t.ThreadID]) || !subset(b.Metadata, t.Metadata) {
			continue
		}
		if len(b.Values) > 0 {
			var vals map[string]any
			if json.Unmarshal(t.Values, &vals) != nil || !subset(b.Values, vals) {
				continue
			}
		}
		out = append(out, t.Thread)
	}
	e.mu.Unlock()
	asc := b.SortOrder == "asc"
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		var less bool
		switch b.SortBy {
		case "thread_id":
			less = x.ThreadID < y.ThreadID
		case "status":
			less = x.Status < y.Status
		case "created_at":
			less = x.CreatedAt.Before(y.CreatedAt.Time)
		default:
			less = x.UpdatedAt.Before(y.UpdatedAt.Time) || (x.UpdatedAt.Equal(y.UpdatedAt.Time) && x.ThreadID < y.ThreadID)
		}
		return less == asc
	})
	return out, nil
}

// Thread returns a thread.
func (e *Engine) Thread(id string) (Thread, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.threadLocked(id)
	if err != nil {
		return Thread{}, err
	}
	return t.Thread, nil
}

// PatchThread merges metadata into a thread's.
func (e *Engine) PatchThread(id string, metadata map[string]any) (Thread, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.threadLocked(id)
	if err != nil {
		return Thread{}, err
	}
	t.Metadata = patchedMetadata(t.Metadata, metadata)
	t.UpdatedAt = Now()
	e.persistThread(t)
	return t.Thread, nil
}

// DeleteThread deletes a thread and its runs, cancelling what runs.
func (e *Engine) DeleteThread(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.threadLocked(id)
	if err != nil {
		return err
	}
	e.dropThreadLocked(t)
	return nil
}

// dropThreadLocked deletes a thread and its runs, cancelling what runs.
func (e *Engine) dropThreadLocked(t *threadState) {
	for _, q := range t.queue {
		q.cancelPendingLocked()
	}
	t.queue = nil
	if t.active != nil {
		t.active.requestCancel(ActionInterrupt)
	}
	for id, run := range e.runs {
		if run.ThreadID == t.ThreadID {
			delete(e.runs, id)
			e.unpersist(store.Runs, id)
		}
	}
	delete(e.threads, t.ThreadID)
	e.unpersist(store.Threads, t.ThreadID)
	e.closeFeeds(t.ThreadID)
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
