package server

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"sort"
	"strconv"

	"hooklab/server/store"
)

// Bounds of the states kept per thread: in memory, and in the store (a
// thread's values can grow with every run, so bytes are bounded too).
const (
	maxHistory         = 50
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

func (s *Server) persistThread(t *threadState) {
	s.persistSnapshot(store.Threads, t.ThreadID, "", t.record())
}

func newThread(id string, metadata map[string]any) *threadState {
	t := now()
	return &threadState{Thread: Thread{
		ThreadID: id, CreatedAt: t, UpdatedAt: t, Metadata: orEmpty(metadata), Status: "idle",
		Config: map[string]any{}, Values: json.RawMessage("null"), Interrupts: map[string]any{},
	}}
}

// current is the thread's latest state.
func (t *threadState) current() ThreadState {
	if len(t.history) > 0 {
		return t.history[0]
	}
	return ThreadState{
		Values: json.RawMessage("{}"), Next: []string{}, Tasks: []any{}, Metadata: map[string]any{},
		Checkpoint: Checkpoint{ThreadID: t.ThreadID}, Interrupts: []any{},
	}
}

// checkpoint appends a new state to the thread's history.
func (t *threadState) checkpoint(values json.RawMessage, next []string, interrupts []any, meta map[string]any) Checkpoint {
	var parent *Checkpoint
	if len(t.history) > 0 {
		p := t.history[0].Checkpoint
		parent = &p
	}
	if next == nil {
		next = []string{}
	}
	if interrupts == nil {
		interrupts = []any{}
	}
	cp := Checkpoint{ThreadID: t.ThreadID, CheckpointID: newID()}
	st := ThreadState{
		Values: values, Next: next, Tasks: []any{}, Checkpoint: cp, Metadata: orEmpty(meta),
		CreatedAt: now(), ParentCheckpoint: parent, Interrupts: interrupts,
	}
	// A new slice each time: snapshots handed to the store keep the old one.
	t.history = boundHistory(append([]ThreadState{st}, t.history[:min(len(t.history), maxHistory-1)]...), 1, maxHistoryBytes)
	t.Values = values
	t.UpdatedAt = st.CreatedAt
	return cp
}

type threadBody struct {
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
}

func (s *Server) handleThreadCreate(w http.ResponseWriter, r *http.Request) error {
	var b threadBody
	if err := decodeJSON(r, &b, true); err != nil {
		return err
	}
	if err := oneOf("if_exists", b.IfExists, "raise", "do_nothing"); err != nil {
		return err
	}
	id := newID()
	if b.ThreadID != nil {
		if !validUUID(*b.ThreadID) {
			return invalid("thread_id", "must be a UUID, got %q", *b.ThreadID)
		}
		id = canonID(*b.ThreadID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.threads[id]; ok {
		if b.IfExists == "do_nothing" {
			writeJSON(w, http.StatusOK, old.Thread)
			return nil
		}
		return errorf(http.StatusConflict, "thread '%s' already exists; pass if_exists \"do_nothing\" to reuse it", id)
	}
	t := newThread(id, b.Metadata)
	s.threads[id] = t
	s.persistThread(t)
	writeJSON(w, http.StatusOK, t.Thread)
	return nil
}

// threadFromPath validates the thread_id path value and finds the thread.
// The caller holds s.mu.
func (s *Server) threadFromPathLocked(r *http.Request) (*threadState, error) {
	id := r.PathValue("thread_id")
	if !validUUID(id) {
		return nil, invalid("thread_id", "must be a UUID, got %q", id)
	}
	t, ok := s.threads[id]
	if !ok || t.temporary {
		return nil, notFound("thread", id)
	}
	return t, nil
}

func (s *Server) matchThreads(b threadBody) ([]Thread, error) {
	if err := oneOf("status", b.Status, "idle", "busy", "interrupted", "error"); err != nil {
		return nil, err
	}
	if err := oneOf("sort_order", b.SortOrder, "asc", "desc"); err != nil {
		return nil, err
	}
	if err := oneOf("sort_by", b.SortBy, "thread_id", "status", "created_at", "updated_at"); err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, id := range b.Ids {
		ids[id] = true
	}
	s.mu.Lock()
	var out []Thread
	for _, t := range s.threads {
		if t.temporary || (b.Status != "" && t.Status != b.Status) || (len(ids) > 0 && !ids[t.ThreadID]) || !subset(b.Metadata, t.Metadata) {
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
	s.mu.Unlock()
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

func (s *Server) handleThreadGet(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.threadFromPathLocked(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t.Thread)
	return nil
}

func (s *Server) handleThreadPatch(w http.ResponseWriter, r *http.Request) error {
	var b threadBody
	if err := decodeJSON(r, &b, true); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.threadFromPathLocked(r)
	if err != nil {
		return err
	}
	t.Metadata = patchedMetadata(t.Metadata, b.Metadata)
	t.UpdatedAt = now()
	s.persistThread(t)
	writeJSON(w, http.StatusOK, t.Thread)
	return nil
}

func (s *Server) handleThreadDelete(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	t, err := s.threadFromPathLocked(r)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.dropThreadLocked(t)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// dropThreadLocked deletes a thread and its runs, cancelling what runs.
func (s *Server) dropThreadLocked(t *threadState) {
	for _, q := range t.queue {
		q.cancelPendingLocked()
	}
	t.queue = nil
	if t.active != nil {
		t.active.requestCancel("interrupt")
	}
	for id, run := range s.runs {
		if run.ThreadID == t.ThreadID {
			delete(s.runs, id)
			s.unpersist(store.Runs, id)
		}
	}
	delete(s.threads, t.ThreadID)
	s.unpersist(store.Threads, t.ThreadID)
}

func (s *Server) handleThreadState(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.threadFromPathLocked(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t.current())
	return nil
}

func (s *Server) handleThreadUpdateState(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Values json.RawMessage `json:"values"`
		AsNode string          `json:"as_node"`
	}
	if err := decodeJSON(r, &b, false); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.threadFromPathLocked(r)
	if err != nil {
		return err
	}
	vals := t.current().Values
	if len(b.Values) > 0 && !bytes.Equal(b.Values, []byte("null")) {
		merged, err := mergeValues(vals, b.Values)
		if err != nil {
			return invalid("values", "%v", err)
		}
		vals = merged
	}
	cp := t.checkpoint(vals, nil, nil, map[string]any{"source": "update", "step": len(t.history), "writes": map[string]any{b.AsNode: json.RawMessage(b.Values)}})
	t.Status = "idle"
	s.persistThread(t)
	writeJSON(w, http.StatusOK, map[string]any{"checkpoint": cp})
	return nil
}

func (s *Server) handleThreadHistory(w http.ResponseWriter, r *http.Request) error {
	limit := 10
	if r.Method == http.MethodPost {
		var b struct {
			Limit *int `json:"limit"`
		}
		if err := decodeJSON(r, &b, true); err != nil {
			return err
		}
		if b.Limit != nil {
			limit = *b.Limit
		}
	} else if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return invalid("limit", "must be an integer, got %q", v)
		}
		limit = n
	}
	if limit < 0 {
		return invalid("limit", "must not be negative, got %d", limit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.threadFromPathLocked(r)
	if err != nil {
		return err
	}
	out := t.history[:min(limit, len(t.history))]
	if out == nil {
		out = []ThreadState{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
