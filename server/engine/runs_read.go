package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"hooklab/server/store"
)

// Handle is a live run, for the answers that follow it: a stream, a wait,
// a join, a cancel with wait.
type Handle struct {
	e *Engine
	r *runState
}

// ID is the run id.
func (h *Handle) ID() string { return h.r.RunID }

// Path is the run's canonical location (Content-Location).
func (h *Handle) Path() string { return h.r.path() }

// Stream is the run's event stream.
func (h *Handle) Stream() *Stream { return h.r.stream }

// Resumable reports whether the run's stream keeps event ids for a resume.
func (h *Handle) Resumable() bool { return h.r.Kwargs.Resumable }

// Done is closed when the run has ended.
func (h *Handle) Done() <-chan struct{} { return h.r.done }

// CreatedJSON is created, the snapshot CreateRun returned with h, as the
// API answers it, encoded by hand around the run's kwargs and metadata,
// which its webhook reuses.
func (h *Handle) CreatedJSON(created Run) []byte {
	kwargs, metadata := h.r.encoded()
	return appendRun(make([]byte, 0, 256+len(kwargs)+len(metadata)), &created, kwargs, metadata)
}

// Run is a snapshot of the run.
func (h *Handle) Run() Run {
	h.e.mu.Lock()
	defer h.e.mu.Unlock()
	return h.r.Run
}

// Result is what /wait and /join answer once the run has ended: its
// values, {"__interrupt__": [...]} or {"__error__": {...}}. A run loaded
// from the store after a restart answers with its thread's values.
func (h *Handle) Result() json.RawMessage {
	h.e.mu.Lock()
	defer h.e.mu.Unlock()
	if h.r.waitBody != nil {
		return h.r.waitBody
	}
	if t, ok := h.e.threads[h.r.ThreadID]; ok && len(t.Values) > 0 {
		return t.Values
	}
	return json.RawMessage("null")
}

// Disconnected is called when the client following the run goes away: the
// run is cancelled when it was created with on_disconnect cancel.
func (h *Handle) Disconnected() {
	if h.r.OnDisconnect == "cancel" {
		h.CancelIfRunning()
	}
}

// CancelIfRunning cancels the run with action interrupt unless it has ended.
func (h *Handle) CancelIfRunning() {
	h.e.mu.Lock()
	defer h.e.mu.Unlock()
	if !h.r.ended() {
		h.r.requestCancel(ActionInterrupt)
	}
}

// runLocked finds run runID, on thread threadID unless that is "". The
// caller holds e.mu.
func (e *Engine) runLocked(threadID, runID string) (*runState, error) {
	if threadID != "" && !ValidUUID(threadID) {
		return nil, Invalid("thread_id", "must be a UUID, got %q", threadID)
	}
	if !ValidUUID(runID) {
		return nil, Invalid("run_id", "must be a UUID, got %q", runID)
	}
	if _, ok := e.threads[threadID]; threadID != "" && !ok {
		if run, ok := e.runs[runID]; !ok || run.ThreadID != threadID {
			return nil, threadNotFound(threadID)
		}
	}
	run, ok := e.runs[runID]
	if !ok || (threadID != "" && run.ThreadID != threadID) {
		return nil, runNotFound(runID)
	}
	return run, nil
}

// Run returns a snapshot of a run.
func (e *Engine) Run(threadID, runID string) (Run, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	run, err := e.runLocked(threadID, runID)
	if err != nil {
		return Run{}, err
	}
	return run.Run, nil
}

// Follow returns a live run to stream, join or wait on.
func (e *Engine) Follow(threadID, runID string) (*Handle, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	run, err := e.runLocked(threadID, runID)
	if err != nil {
		return nil, err
	}
	return &Handle{e: e, r: run}, nil
}

// ListRuns lists a thread's runs, newest first, with the given status (""
// for any), skipping offset and returning at most limit.
func (e *Engine) ListRuns(threadID string, status RunStatus, limit, offset int) ([]Run, error) {
	if err := OneOf("status", string(status), "pending", "running", "error", "success", "timeout", "interrupted"); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.threadLocked(threadID)
	if err != nil {
		return nil, err
	}
	var list []*runState
	for _, run := range e.runs {
		if run.ThreadID == t.ThreadID && (status == "" || run.Status == status) {
			list = append(list, run)
		}
	}
	sortRuns(list)
	out := make([]Run, 0, min(len(list), limit))
	for i := len(list) - 1 - offset; i >= 0 && len(out) < limit; i-- {
		out = append(out, list[i].Run)
	}
	return out, nil
}

// DeleteRun deletes a run that has ended.
func (e *Engine) DeleteRun(threadID, runID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	run, err := e.runLocked(threadID, runID)
	if errors.Is(err, ErrNotFound) && ValidUUID(threadID) && e.threads[threadID] != nil {
		return Errorf(ErrNotFound, "Run not found") // the platform's words
	}
	if err != nil {
		return err
	}
	if !run.ended() {
		return Errorf(ErrConflict, "run '%s' is %s; cancel it before deleting it", run.RunID, run.Status)
	}
	delete(e.runs, run.RunID)
	e.unpersist(store.Runs, run.RunID)
	return nil
}

// CancelRun cancels a run with action (ActionInterrupt or ActionRollback).
func (e *Engine) CancelRun(threadID, runID, action string) (*Handle, error) {
	if err := checkAction(action); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	run, err := e.runLocked(threadID, runID)
	if err != nil {
		return nil, err
	}
	if err := e.cancelRunLocked(run, action); err != nil {
		return nil, err
	}
	return &Handle{e: e, r: run}, nil
}

// CancelRuns cancels the runs named by runIDs (on threadID when it is not
// ""), and every run in status ("pending", "running" or "all"; "" for none).
func (e *Engine) CancelRuns(threadID string, runIDs []string, status, action string) error {
	if err := checkAction(action); err != nil {
		return err
	}
	if err := OneOf("status", status, "pending", "running", "all"); err != nil {
		return err
	}
	if status == "" && len(runIDs) == 0 {
		return Invalid("run_ids", "pass run_ids (with thread_id) or status")
	}
	threadID = CanonID(threadID)
	ids := make([]string, len(runIDs))
	for i, id := range runIDs {
		if !ValidUUID(id) {
			return Invalid(fmt.Sprintf("run_ids[%d]", i), "must be a UUID, got %q", id)
		}
		ids[i] = CanonID(id)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var targets []*runState
	for _, id := range ids {
		run, ok := e.runs[id]
		if !ok || (threadID != "" && run.ThreadID != threadID) {
			return runNotFound(id)
		}
		targets = append(targets, run)
	}
	if status != "" {
		for _, run := range e.runs {
			if !run.ended() && (status == "all" || string(run.Status) == status) && (threadID == "" || run.ThreadID == threadID) {
				targets = append(targets, run)
			}
		}
	}
	for _, run := range targets {
		if !run.ended() {
			e.cancelRunLocked(run, action)
		}
	}
	return nil
}

func checkAction(action string) error {
	return OneOf("action", action, ActionInterrupt, ActionRollback)
}

// cancelRunLocked cancels run with action. The caller holds e.mu.
func (e *Engine) cancelRunLocked(run *runState, action string) error {
	if run.ended() {
		return Errorf(ErrConflict, "run '%s' has already ended with status %s; nothing to cancel", run.RunID, run.Status)
	}
	t := e.threads[run.ThreadID]
	if t != nil && t.active != run {
		for i, q := range t.queue {
			if q == run {
				t.queue = append(t.queue[:i:i], t.queue[i+1:]...)
				break
			}
		}
		run.cancelAction = action
		run.cancelPendingLocked()
		e.finishPendingLocked(run, action)
		e.settleThreadLocked(t, t.Status)
		if t.active == nil && len(t.queue) == 0 {
			e.settleThreadLocked(t, ThreadIdle)
		}
		return nil
	}
	run.requestCancel(action)
	return nil
}

func sortRuns(runs []*runState) {
	sort.Slice(runs, func(i, j int) bool {
		a, b := runs[i], runs[j]
		return a.CreatedAt.Before(b.CreatedAt.Time) || (a.CreatedAt.Equal(b.CreatedAt.Time) && a.RunID < b.RunID)
	})
}
