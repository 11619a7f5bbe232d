package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// errCancelled is the cause of a run's context when a client cancelled it.
var errCancelled = errors.New("run cancelled")

// Cancel actions.
const (
	ActionInterrupt = "interrupt"
	ActionRollback  = "rollback"
)

// runState is a run with what executing it needs.
type runState struct {
	Run
	runOpts
	done         chan struct{} // closed when the run has ended
	stream       *Stream
	cancel       context.CancelCauseFunc // set once the run is active
	cancelAction string                  // ActionInterrupt or ActionRollback once cancelled
	result       graphResult
	waitBody     json.RawMessage
	doneEvent    *FeedEvent // its run_done event on the thread's join stream
	startedAt    time.Time
	endedAt      time.Time

	// enc is the run's kwargs and metadata encoded once (see encoded).
	enc struct {
		once             sync.Once
		kwargs, metadata json.RawMessage
	}
}

// encoded is the run's kwargs and metadata as JSON, encoded the first time
// they are asked for: the answer to the request that created the run and
// its webhook share them. They never change once the run is created; call
// it outside e.mu.
func (r *runState) encoded() (kwargs, metadata json.RawMessage) {
	r.enc.once.Do(func() { r.enc.kwargs, r.enc.metadata = MustJSON(r.Kwargs), MustJSON(r.Metadata) })
	return r.enc.kwargs, r.enc.metadata
}

// runOpts are the creation options a run keeps (and stores).
type runOpts struct {
	Stateless    bool    `json:"stateless,omitempty"`
	OnCompletion string  `json:"on_completion,omitempty"`
	OnDisconnect string  `json:"on_disconnect,omitempty"`
	AfterSeconds float64 `json:"after_seconds,omitempty"`
	CronID       string  `json:"cron_id,omitempty"`
	GraphID      string  `json:"graph_id,omitempty"`
	// CheckpointID is the checkpoint the run starts from ("" for the latest).
	CheckpointID string `json:"checkpoint_id,omitempty"`
}

// runRecord is how a run is stored.
type runRecord struct {
	Run
	runOpts
}

func newRunState(rec runRecord) *runState {
	return &runState{Run: rec.Run, runOpts: rec.runOpts, done: make(chan struct{}), stream: newStream(rec.Kwargs.Resumable)}
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

// path is the run's canonical location.
func (r *runState) path() string {
	if r.Stateless {
		return "/runs/" + r.RunID
	}
	return "/threads/" + r.ThreadID + "/runs/" + r.RunID
}

func (e *Engine) persistRun(r *runState) {
	// A run's maps are never changed after creation, so a copy of the
	// struct is a snapshot.
	e.persistSnapshot(store.Runs, r.RunID, r.ThreadID, runRecord{Run: r.Run, runOpts: r.runOpts})
}

// emitRun records a run's status. Its thread, assistant and webhook are
// on its first event (pending) only: a run's events are read together.
func (e *Engine) emitRun(r *runState, errText string) {
	info := hub.RunInfo{RunID: r.RunID, Status: string(r.Status), Error: errText, CronID: r.CronID}
	if r.Status == RunPending {
		info.ThreadID, info.AssistantID, info.Webhook = r.ThreadID, r.AssistantID, r.webhook()
	}
	e.emit(hub.KindRun, info)
}

// requestCancel cancels an active run with an action. The caller holds e.mu.
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
	r.Status = RunInterrupted
	r.UpdatedAt = Now()
	close(r.done)
	r.stream.close()
}

// enqueueLocked adds a new run to its thread, applying the multitask
// strategy. The caller holds e.mu and has validated everything else.
func (e *Engine) enqueueLocked(t *threadState, r *runState) error {
	busy := t.active != nil || len(t.queue) > 0
	if busy {
		switch r.MultitaskStrategy {
		case "reject":
			return Errorf(ErrConflict, "Thread is already running a task. Wait for it to finish or choose a different multitask strategy.")
		case ActionInterrupt, ActionRollback:
			if t.active != nil {
				t.active.requestCancel(r.MultitaskStrategy)
			}
			for _, q := range t.queue {
				q.cancelPendingLocked()
				e.finishPendingLocked(q, r.MultitaskStrategy)
			}
			t.queue = nil
		}
	}
	e.runs[r.RunID] = r
	t.queue = append(t.queue, r)
	t.Status = ThreadBusy
	t.UpdatedAt = Now()
	e.persistRun(r)
	e.persistThread(t)
	e.emitRun(r, "")
	e.startNextLocked(t)
	return nil
}

// finishPendingLocked records a pending run cancelled before it started.
func (e *Engine) finishPendingLocked(r *runState, action string) {
	e.runDone(r)
	if action == ActionRollback {
		delete(e.runs, r.RunID)
		e.unpersist(store.Runs, r.RunID)
		r.Status = RunRollback
		e.emitRun(r, "")
		return
	}
	if e.runs[r.RunID] == r { // not when its thread was deleted meanwhile
		e.persistRun(r)
	}
	e.emitRun(r, "")
}

// startNextLocked starts the thread's next pending run if none is active.
func (e *Engine) startNextLocked(t *threadState) {
	if t.active != nil || len(t.queue) == 0 {
		return
	}
	if e.ctx.Err() != nil {
		return
	}
	r := t.queue[0]
	t.queue = t.queue[1:]
	t.active = r
	ctx, cancel := context.WithCancelCause(e.ctx)
	r.cancel = cancel
	e.runsWG.Add(1)
	go e.execute(ctx, cancel, t, r)
}

// execute runs r to its end on its own goroutine.
func (e *Engine) execute(ctx context.Context, cancel context.CancelCauseFunc, t *threadState, r *runState) {
	defer e.runsWG.Done()
	defer cancel(nil)
	if r.AfterSeconds > 0 {
		timer := time.NewTimer(time.Duration(r.AfterSeconds * float64(time.Second)))
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
		}
	}
	e.mu.Lock()
	if ctx.Err() != nil {
		// Cancelled (or shut down) while still pending: no webhook.
		e.endPendingLocked(t, r)
		e.mu.Unlock()
		return
	}
	r.Status = RunRunning
	r.startedAt = time.Now().UTC()
	r.UpdatedAt = Time{r.startedAt}
	e.persistRun(r)
	e.emitRun(r, "")
	e.mu.Unlock()

	em := emitter{e: e, r: r, modes: modeSet(r.Kwargs.StreamMode), runID: r.RunID}
	em.send("", "metadata", struct { // a struct keeps the platform's key order
		RunID   string `json:"run_id"`
		Attempt int    `json:"attempt"`
	}{r.RunID, 1})
	runCtx, stop := context.WithTimeoutCause(ctx, e.o.RunTimeout, context.DeadlineExceeded)
	res := e.runGraph(runCtx, t, r, em)
	stop()
	e.finish(t, r, res, runCtx)
}

// endPendingLocked ends a run whose wait for after_seconds was cut short.
func (e *Engine) endPendingLocked(t *threadState, r *runState) {
	t.active = nil
	if e.ctx.Err() != nil {
		// Left pending in the store: it is resumed on the next start.
		return
	}
	r.cancelPendingLocked()
	e.finishPendingLocked(r, r.cancelAction)
	if e.threads[t.ThreadID] == t {
		e.settleThreadLocked(t, ThreadIdle)
	}
	e.startNextLocked(t)
}

// outcome is the status a run ended with, and its result adjusted to it.
func (e *Engine) outcome(r *runState, res graphResult, ctx context.Context) (RunStatus, graphResult) {
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errCancelled):
		if r.cancelAction == ActionRollback {
			return RunRollback, graphResult{}
		}
		return RunInterrupted, graphResult{}
	case errors.Is(cause, context.DeadlineExceeded):
		res = graphResult{Err: &sender.RunError{Error: "TimeoutError", Message: fmt.Sprintf("run exceeded the run timeout of %s (--run-timeout)", e.o.RunTimeout)}}
		e.runEvent(r, "error", MustJSON(res.Err))
		return RunTimeout, res
	case res.Err != nil:
		return RunError, res
	}
	return RunSuccess, res
}

// finish records a run's outcome, updates its thread, starts the next run
// and hands the webhook to the sender.
func (e *Engine) finish(t *threadState, r *runState, res graphResult, ctx context.Context) {
	if e.ctx.Err() != nil {
		// Shutting down: leave the run pending so the next start runs it again.
		e.mu.Lock()
		r.Status = RunPending
		e.persistRun(r)
		t.active = nil
		e.mu.Unlock()
		r.stream.close()
		return
	}
	status, res := e.outcome(r, res, ctx)
	e.mu.Lock()
	r.endedAt = time.Now().UTC()
	r.Status = status
	r.UpdatedAt = Time{r.endedAt}
	r.result = res
	threadStatus := e.settleRunLocked(t, r, status, res)
	r.waitBody = waitBody(status, res, t.Values)
	values := json.RawMessage(nil)
	if !r.Stateless && status != RunRollback {
		values = t.Values
	}
	t.active = nil
	errText := ""
	if res.Err != nil {
		errText = res.Err.Error + ": " + res.Err.Message
	}
	live := e.runs[r.RunID] == r // false when its thread was deleted meanwhile
	if status == RunRollback {
		delete(e.runs, r.RunID)
		e.unpersist(store.Runs, r.RunID)
	} else if live {
		e.persistRun(r)
	}
	e.emitRun(r, errText)
	if e.threads[t.ThreadID] == t {
		e.settleThreadLocked(t, threadStatus)
	}
	e.runDone(r)
	if r.Kwargs.Temporary && len(t.queue) == 0 && t.active == nil && e.threads[t.ThreadID] == t {
		// A temporary thread goes with its run, as on the platform.
		e.dropThreadLocked(t)
	}
	e.startNextLocked(t)
	job := sender.Job{URL: r.webhook(), Run: sender.RunResult{
		RunID: r.RunID, ThreadID: r.ThreadID, AssistantID: r.AssistantID, CronID: r.CronID,
		CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time, MultitaskStrategy: r.MultitaskStrategy,
		Status: string(status), StartedAt: r.startedAt, EndedAt: r.endedAt, Values: values, Error: res.Err,
	}}
	// done closes under e.mu: a caller holding it (a cancel, a truncate)
	// must not see a run whose status has ended as still going.
	close(r.done)
	e.mu.Unlock()
	r.stream.close()
	if job.URL != "" && e.o.Sender != nil {
		job.Run.Kwargs, job.Run.Metadata = r.encoded()
		if _, err := e.o.Sender.Send(context.WithoutCancel(e.ctx), job); err != nil {
			e.o.Logger.Error("webhook not queued", "run_id", r.RunID, "err", err)
		}
	}
}

// settleRunLocked updates a thread from the outcome of its run and returns
// the status it takes once nothing else runs on it: interrupted when the
// run stopped with nodes still to run, error when it failed (its error is
// kept on the thread), idle otherwise. A rolled-back run's checkpoints
// are removed. The caller holds e.mu.
func (e *Engine) settleRunLocked(t *threadState, r *runState, status RunStatus, res graphResult) ThreadStatus {
	if status == RunRollback {
		t.dropRun(r.RunID)
	}
	if len(t.history) > 0 {
		t.Values = t.history[0].Values
	} else if res.Values != nil {
		t.Values = res.Values // a temporary run keeps no checkpoint
	}
	switch status {
	case RunSuccess:
		t.Interrupts, t.Error = taskInterrupts(res.Tasks), nil
		if len(res.Next) > 0 {
			return ThreadInterrupted
		}
	case RunError, RunTimeout:
		t.Interrupts, t.Error = map[string]any{}, MustJSON(res.Err)
		return ThreadError
	default:
		t.Interrupts, t.Error = map[string]any{}, nil
	}
	return ThreadIdle
}

// settleThreadLocked sets a thread's status once nothing runs on it.
func (e *Engine) settleThreadLocked(t *threadState, status ThreadStatus) {
	if t.active != nil || len(t.queue) > 0 {
		status = ThreadBusy
	}
	t.Status = status
	t.UpdatedAt = Now()
	if e.threads[t.ThreadID] == t {
		e.persistThread(t)
	}
}

// waitBody is what /wait and /join answer for a finished run.
func waitBody(status RunStatus, res graphResult, values json.RawMessage) json.RawMessage {
	switch {
	case res.Err != nil:
		return MustJSON(map[string]any{"__error__": res.Err})
	case len(res.Interrupts) > 0:
		return MustJSON(map[string]any{"__interrupt__": res.Interrupts})
	case status == RunRollback || len(values) == 0:
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

// resumeRuns re-queues runs that were pending or running when hooklab
// stopped (like a platform worker picking up an interrupted run).
func (e *Engine) resumeRuns() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, t := range e.threads {
		if t.Status == ThreadBusy {
			t.Status = ThreadIdle
		}
	}
	var todo []*runState
	for _, r := range e.runs {
		if !r.Status.Ended() {
			todo = append(todo, r)
		}
	}
	sortRuns(todo)
	for _, r := range todo {
		t, ok := e.threads[r.ThreadID]
		if !ok {
			t = newThread(r.ThreadID, nil)
			t.temporary = r.Stateless
			e.threads[t.ThreadID] = t
		}
		r.Status = RunPending
		t.queue = append(t.queue, r)
		t.Status = ThreadBusy
		e.startNextLocked(t)
	}
}
