package upstream

import (
	"context"
	"encoding/json"
	"strings"

	"hooklab/sender"
	"hooklab/server/hub"
)

// outcome maps how a run ended upstream to the status the platform's
// webhook carries. upstream is the final status ("gone" when the run was
// deleted); intent the cancel action seen passing through; started
// whether the run ever ran; abortLike whether its error is no more than a
// cancellation's. send false: the platform sends no webhook.
func outcome(upstream, intent string, started, abortLike bool) (status string, send bool) {
	switch upstream {
	case "success", "timeout":
		return upstream, true
	case "error":
		if intent != "" && abortLike {
			return cancelled(intent), true
		}
		return "error", true
	case "interrupted", "rollback":
		if !started {
			return upstream, false // cancelled while pending
		}
		if intent != "" {
			return cancelled(intent), true
		}
		return upstream, true
	case "gone":
		if intent == "rollback" && started {
			return "rollback", true // a server that deletes rolled-back runs
		}
		return "", false
	}
	return upstream, true
}

func cancelled(intent string) string {
	if intent == "rollback" {
		return "rollback"
	}
	return "interrupted"
}

// abortLike reports whether e is what a cancelled run fails with: nothing,
// or the abort reason itself.
func abortLike(e *sender.RunError) bool {
	if e == nil {
		return true
	}
	m := strings.Trim(e.Message, `"`)
	return m == "interrupt" || m == "rollback" || e.Error == "AbortError" || e.Error == "interrupt" || e.Error == "rollback"
}

// finish builds and sends the run's webhook; r is the final Run object
// (nil: the run is gone upstream). force and forceErr override the status
// and error (a hooklab timeout). It reports true: the watch is over.
func (w *watch) finish(r *runObject, force string, forceErr *sender.RunError) bool {
	if !w.markFinished() {
		return true
	}
	ctx := w.u.ctx
	now := w.u.o.Now()
	w.mu.Lock()
	last, intent, hint, sawRunning, tid := w.last, w.intent, w.errHint, w.sawRunning, w.threadID
	w.mu.Unlock()
	upstreamStatus := "gone"
	if r != nil {
		upstreamStatus, last = r.Status, r
	}
	cps, _ := w.u.runCheckpoints(ctx, tid, w.spec.runID, w.spec.header)
	started := !sawRunning.IsZero() || len(cps) > 0
	var runErr *sender.RunError
	if upstreamStatus == "error" || upstreamStatus == "timeout" {
		runErr = w.runError(ctx, hint, cps)
	}
	if ctx.Err() != nil && w.u.o.Journal != nil {
		// hooklab is stopping and what was read may be cut short: the
		// record stays, and the next start builds the payload anew.
		w.release()
		return true
	}
	status, send := outcome(upstreamStatus, intent, started, abortLike(runErr))
	if force != "" {
		status, send, runErr = force, true, forceErr
	}
	if status != "error" && status != "timeout" {
		runErr = nil
	} else if runErr == nil {
		runErr = &sender.RunError{Error: "Error", Message: "not reported by the upstream"}
	}
	if !send || last == nil {
		reason := "cancelled before it started: the platform sends no webhook"
		if upstreamStatus == "gone" {
			reason = "the run was deleted upstream before it ended"
		}
		if last == nil {
			reason = "the upstream answered nothing about the run"
		}
		w.u.emit(hub.KindRun, w.info(orNone(status), reason))
		w.release()
		w.cleanup()
		w.unpersist()
		return true
	}
	res := sender.RunResult{
		RunID: w.spec.runID, ThreadID: last.ThreadID, AssistantID: last.AssistantID, CronID: w.spec.cronID,
		CreatedAt: parseTime(last.CreatedAt), UpdatedAt: parseTime(last.UpdatedAt),
		Metadata: last.Metadata, MultitaskStrategy: last.MultitaskStrategy, Status: status, Error: runErr,
		Kwargs: patchKwargs(last.Kwargs, restore{webhook: w.spec.req.webhook, temporary: w.spec.req.forcedKeep}),
	}
	if res.ThreadID == "" {
		res.ThreadID = tid
	}
	if r == nil || force != "" && (r.Status == "pending" || r.Status == "running") {
		res.UpdatedAt = now // it never reported its own end
	}
	res.EndedAt = res.UpdatedAt
	switch {
	case len(cps) > 0 && !cps[len(cps)-1].at.IsZero():
		res.StartedAt = cps[len(cps)-1].at
	case !sawRunning.IsZero():
		res.StartedAt = sawRunning
	default:
		res.StartedAt = res.CreatedAt
	}
	if status != "rollback" && !w.spec.req.forcedKeep && len(cps) > 0 {
		res.Values = cps[0].Values
	}
	errText := ""
	if runErr != nil {
		errText = runErr.Error + ": " + runErr.Message
	}
	w.u.emit(hub.KindRun, w.info(status, errText))
	// The hand-off comes before the record's deletion; see Resume for why
	// a stop between the two sends nothing twice.
	id, err := w.u.o.Sender.Send(context.WithoutCancel(ctx), sender.Job{URL: w.spec.req.webhook, Run: res})
	if err != nil {
		w.u.o.Logger.Error("webhook not queued", "run_id", w.spec.runID, "err", err)
	}
	w.release()
	if id == "" && err != nil && w.u.o.Journal != nil {
		return true // nothing recorded: the record and the kept thread wait for the next start
	}
	w.cleanup()
	w.unpersist() // the sender has the delivery (pending at worst, and resumes it itself)
	return true
}

func orNone(s string) string {
	if s == "" {
		return "interrupted"
	}
	return s
}

// runError finds the error a failed run reported: the relayed answer's,
// then the run's own checkpoint's task error, then the thread state's,
// then one kept on the thread.
func (w *watch) runError(ctx context.Context, hint *sender.RunError, cps []checkpoint) *sender.RunError {
	if hint != nil {
		return hint
	}
	for _, c := range cps {
		for _, t := range c.Tasks {
			if e := taskError(t.Error); e != nil {
				return e
			}
		}
		break // the newest checkpoint only
	}
	tid := w.thread()
	if st, err := w.u.state(ctx, tid, w.spec.header); err == nil && st.Metadata.RunID == w.spec.runID {
		for _, t := range st.Tasks {
			if e := taskError(t.Error); e != nil {
				return e
			}
		}
	}
	if e := taskError(w.u.threadError(ctx, tid, w.spec.header)); e != nil {
		return e
	}
	return nil
}

// taskError reads a task's error: a JSON string holding {"message",
// "name"} (JS), a plain string, or an object.
func taskError(raw json.RawMessage) *sender.RunError {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil
		}
		if e := errorObject([]byte(s)); e != nil {
			return e
		}
		return &sender.RunError{Error: "Error", Message: s}
	}
	return errorObject(raw)
}

func errorObject(b []byte) *sender.RunError {
	var o struct {
		Error   *string `json:"error"`
		Name    *string `json:"name"`
		Message *string `json:"message"`
	}
	if json.Unmarshal(b, &o) != nil || o.Message == nil {
		return nil
	}
	e := &sender.RunError{Error: "Error", Message: *o.Message}
	if o.Error != nil {
		e.Error = *o.Error
	} else if o.Name != nil {
		e.Error = *o.Name
	}
	return e
}
