package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// errCancelled is the cause of a run's context when a client cancelled it.
var errCancelled = errors.New("run cancelled")

// runState is a run with what executing it needs.
type runState struct {
	Run
	runOpts
	done         chan struct{} // closed when the run has ended
	stream       *streamBuf
	cancel       context.CancelCauseFunc // set once the run is active
	cancelAction string                  // "interrupt" or "rollback" once cancelled
	result       graphResult
	waitBody     json.RawMessage
	startedAt    time.Time
	endedAt      time.Time
}

// runOpts are the creation options a run keeps (and stores).
type runOpts struct {
	Stateless    bool    `json:"stateless,omitempty"`
	OnCompletion string  `json:"on_completion,omitempty"`
	OnDisconnect string  `json:"on_disconnect,omitempty"`
	AfterSeconds float64 `json:"after_seconds,omitempty"`
	CronID       string  `json:"cron_id,omitempty"`
	GraphID      string  `json:"graph_id,omitempty"`
}

// runRecord is how a run is stored.
type runRecord struct {
	Run
	runOpts
}

func newRunState(rec runRecord) *runState {
	return &runState{Run: rec.Run, runOpts: rec.runOpts, done: make(chan struct{}), stream: newStreamBuf(rec.Kwargs.Resumable)}
}

func (r *runState) ended() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (r *runState) webhook() string {
	if r.Kwargs.Webhook == nil {
		return ""
	}
	return *r.Kwargs.Webhook
}

func (s *Server) persistRun(r *runState) {
	// A run's maps are never changed after creation, so a copy of the
	// struct is a snapshot.
	s.persistSnapshot(store.Runs, r.RunID, r.ThreadID, runRecord{Run: r.Run, runOpts: r.runOpts})
}

func (s *Server) emitRun(r *runState, errText string) {
	s.emit(hub.KindRun, hub.RunInfo{
		RunID: r.RunID, ThreadID: r.ThreadID, AssistantID: r.AssistantID, Status: r.Status,
		Webhook: r.webhook(), Error: errText, CronID: r.CronID,
	})
}

// requestCancel cancels an active run with an action. The caller holds s.mu.
func (r *runState) requestCancel(action string) {
	if r.cancelAction == "" {
		r.cancelAction = action
	}
	if r.cancel != nil {
		r.cancel(errCancelled)
	}
}

// cancelPendingLocked ends a run that never started: no webhook is sent.
func (r *runState) cancelPendingLocked() {
	r.Status = "interrupted"
	r.UpdatedAt = now()
	close(r.done)
	r.stream.close()
}

// enqueueLocked adds a new run to its thread, applying the multitask
// strategy. The caller holds s.mu and has validated everything else.
func (s *Server) enqueueLocked(t *threadState, r *runState) error {
	busy := t.active != nil || len(t.queue) > 0
	if busy {
		switch r.MultitaskStrategy {
		case "reject":
			return errorf(http.StatusConflict, "Thread is already running a task. Wait for it to finish or choose a different multitask strategy.")
		case "interrupt", "rollback":
			if t.active != nil {
				t.active.requestCancel(r.MultitaskStrategy)
			}
			for _, q := range t.queue {
				q.cancelPendingLocked()
				s.finishPendingLocked(q, r.MultitaskStrategy)
			}
			t.queue = nil
		}
	}
	s.runs[r.RunID] = r
	t.queue = append(t.queue, r)
	t.Status = "busy"
	t.UpdatedAt = now()
	s.persistRun(r)
	s.persistThread(t)
	s.emitRun(r, "")
	s.startNextLocked(t)
	return nil
}

// finishPendingLocked records a pending run cancelled before it started.
func (s *Server) finishPendingLocked(r *runState, action string) {
	if action == "rollback" {
		delete(s.runs, r.RunID)
		s.unpersist(store.Runs, r.RunID)
		r.Status = "rollback"
		s.emitRun(r, "")
		return
	}
	if s.runs[r.RunID] == r { // not when its thread was deleted meanwhile
		s.persistRun(r)
	}
	s.emitRun(r, "")
}

// startNextLocked starts the thread's next pending run if none is active.
func (s *Server) startNextLocked(t *threadState) {
	if t.active != nil || len(t.queue) == 0 {
		return
	}
	if s.ctx.Err() != nil {
		return
	}
	r := t.queue[0]
	t.queue = t.queue[1:]
	t.active = r
	ctx, cancel := context.WithCancelCause(s.ctx)
	r.cancel = cancel
	s.runsWG.Add(1)
	go s.execute(ctx, cancel, t, r)
}

// execute runs r to its end on its own goroutine.
func (s *Server) execute(ctx context.Context, cancel context.CancelCauseFunc, t *threadState, r *runState) {
	defer s.runsWG.Done()
	defer cancel(nil)
	if r.AfterSeconds > 0 {
		timer := time.NewTimer(time.Duration(r.AfterSeconds * float64(time.Second)))
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
		}
	}
	s.mu.Lock()
	if ctx.Err() != nil {
		// Cancelled (or shut down) while still pending: no webhook.
		s.endPendingLocked(t, r)
		s.mu.Unlock()
		return
	}
	r.Status = "running"
	r.startedAt = time.Now().UTC()
	r.UpdatedAt = Time{r.startedAt}
	prev := t.Values
	s.persistRun(r)
	s.emitRun(r, "")
	s.mu.Unlock()

	em := emitter{buf: r.stream, modes: modeSet(r.Kwargs.StreamMode), runID: r.RunID}
	em.send("", "metadata", struct { // a struct keeps the platform's key order
		RunID   string `json:"run_id"`
		Attempt int    `json:"attempt"`
	}{r.RunID, 1})
	runCtx, stop := context.WithTimeoutCause(ctx, s.o.RunTimeout, context.DeadlineExceeded)
	res := runEcho(runCtx, r.Kwargs, r.GraphID, prev, em)
	stop()
	s.finish(t, r, res, runCtx)
}

// endPendingLocked ends a run whose wait for after_seconds was cut short.
func (s *Server) endPendingLocked(t *threadState, r *runState) {
	t.active = nil
	if s.ctx.Err() != nil {
		// Left pending in the store: it is resumed on the next start.
		return
	}
	r.cancelPendingLocked()
	s.finishPendingLocked(r, r.cancelAction)
	if s.threads[t.ThreadID] == t {
		s.settleThreadLocked(t, "idle")
	}
	s.startNextLocked(t)
}

// finish records a run's outcome, updates its thread, starts the next run
// and hands the webhook to the sender.
func (s *Server) finish(t *threadState, r *runState, res graphResult, ctx context.Context) {
	status := "success"
	cause := context.Cause(ctx)
	switch {
	case s.ctx.Err() != nil:
		// Shutting down: leave the run pending so the next start runs it again.
		s.mu.Lock()
		r.Status = "pending"
		s.persistRun(r)
		t.active = nil
		s.mu.Unlock()
		r.stream.close()
		return
	case errors.Is(cause, errCancelled):
		status = "interrupted"
		if r.cancelAction == "rollback" {
			status = "rollback"
		}
		res = graphResult{}
	case errors.Is(cause, context.DeadlineExceeded):
		status = "timeout"
		res = graphResult{Err: &sender.RunError{Error: "TimeoutError", Message: fmt.Sprintf("run exceeded the run timeout of %s (--run-timeout)", s.o.RunTimeout)}}
		r.stream.add("error", mustJSON(res.Err))
	case res.Err != nil:
		status = "error"
	}
	s.mu.Lock()
	r.endedAt = time.Now().UTC()
	r.Status = status
	r.UpdatedAt = Time{r.endedAt}
	r.result = res
	threadStatus := "idle"
	switch status {
	case "success":
		next := []string{}
		if len(res.Interrupts) > 0 {
			threadStatus = "interrupted"
			next = []string{"echo"}
			t.Interrupts = map[string]any{r.RunID: res.Interrupts}
		} else {
			t.Interrupts = map[string]any{}
		}
		t.checkpoint(res.Values, next, res.Interrupts, map[string]any{"source": "loop", "step": len(t.history) + 1, "run_id": r.RunID, "graph_id": r.GraphID})
	case "error", "timeout":
		threadStatus = "error"
	}
	r.waitBody = waitBody(status, res, t.Values)
	values := json.RawMessage(nil)
	if !r.Stateless && status != "rollback" {
		values = t.Values
	}
	t.active = nil
	errText := ""
	if res.Err != nil {
		errText = res.Err.Error + ": " + res.Err.Message
	}
	live := s.runs[r.RunID] == r // false when its thread was deleted meanwhile
	if status == "rollback" {
		delete(s.runs, r.RunID)
		s.unpersist(store.Runs, r.RunID)
	} else if live {
		s.persistRun(r)
	}
	s.emitRun(r, errText)
	if s.threads[t.ThreadID] == t {
		s.settleThreadLocked(t, threadStatus)
	}
	if r.Stateless && r.OnCompletion != "keep" && len(t.queue) == 0 {
		delete(s.runs, r.RunID)
		s.unpersist(store.Runs, r.RunID)
		delete(s.threads, t.ThreadID)
		s.unpersist(store.Threads, t.ThreadID)
	}
	s.startNextLocked(t)
	job := sender.Job{URL: r.webhook(), Run: sender.RunResult{
		RunID: r.RunID, ThreadID: r.ThreadID, AssistantID: r.AssistantID, CronID: r.CronID,
		CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time, MultitaskStrategy: r.MultitaskStrategy,
		Status: status, StartedAt: r.startedAt, EndedAt: r.endedAt, Values: values, Error: res.Err,
	}}
	s.mu.Unlock()
	close(r.done)
	r.stream.close()
	if job.URL != "" && s.o.Sender != nil {
		// Metadata and kwargs never change after creation: encode them
		// outside the lock.
		job.Run.Metadata, job.Run.Kwargs = mustJSON(r.Metadata), mustJSON(r.Kwargs)
		if _, err := s.o.Sender.Send(context.WithoutCancel(s.ctx), job); err != nil {
			s.o.Logger.Error("webhook not queued", "run_id", r.RunID, "err", err)
		}
	}
}

// settleThreadLocked sets a thread's status once nothing runs on it.
func (s *Server) settleThreadLocked(t *threadState, status string) {
	if t.active != nil || len(t.queue) > 0 {
		status = "busy"
	}
	t.Status = status
	t.UpdatedAt = now()
	if s.threads[t.ThreadID] == t {
		s.persistThread(t)
	}
}

// waitBody is what /wait and /join answer for a finished run.
func waitBody(status string, res graphResult, values json.RawMessage) json.RawMessage {
	switch {
	case res.Err != nil:
		return mustJSON(map[string]any{"__error__": res.Err})
	case len(res.Interrupts) > 0:
		return mustJSON(map[string]any{"__interrupt__": res.Interrupts})
	case status == "rollback" || len(values) == 0:
		return json.RawMessage("null")
	}
	return values
}

func modeSet(modes []string) map[string]bool {
	m := make(map[string]bool, len(modes))
	for _, x := range modes {
		m[x] = true
	}
	return m
}

func mustJSON(v any) json.RawMessage {
	b, err := marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// resumeRuns re-queues runs that were pending or running when hooklab
// stopped (like a platform worker picking up an interrupted run).
func (s *Server) resumeRuns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.threads {
		if t.Status == "busy" {
			t.Status = "idle"
		}
	}
	var todo []*runState
	for _, r := range s.runs {
		if r.Status == "pending" || r.Status == "running" {
			todo = append(todo, r)
		}
	}
	sortRuns(todo)
	for _, r := range todo {
		t, ok := s.threads[r.ThreadID]
		if !ok {
			t = newThread(r.ThreadID, nil)
			t.temporary = r.Stateless
			s.threads[t.ThreadID] = t
		}
		r.Status = "pending"
		t.queue = append(t.queue, r)
		t.Status = "busy"
		s.startNextLocked(t)
	}
}
