package upstream

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
)

// watchSpec says which run to observe and where its webhook goes.
type watchSpec struct {
	runID    string
	threadID string // "" : a stateless run whose thread must be looked up
	req      runReq
	cronID   string
	header   http.Header // credentials for hooklab's calls about the run
	at       time.Time   // when the creating request arrived
	run      *runObject  // the Run object the create answered with, if any
	prior    *record     // what an earlier hooklab journalled, for a resumed watch
}

// watch observes one run until it ends, then sends its webhook once.
type watch struct {
	u     *Upstream
	spec  watchSpec
	start time.Time
	kick  chan struct{}
	done  chan struct{}

	mu         sync.Mutex
	threadID   string
	held       int       // relayed wait/stream answers still open
	hotUntil   time.Time // poll fast until then: a stream event just passed
	errHint    *sender.RunError
	intent     string // the cancel action seen passing through
	intentN    int
	lastStatus string
	sawRunning time.Time
	epoch      uint64 // the upstream's outage count when last polled
	last       *runObject
	downSince  time.Time
	finished   bool
	searches   int
	refusals   int // answers 401 or 403 in a row

	jmu          sync.Mutex // orders the writes of the run's record
	unjournalled bool       // the record was deleted: write no more
}

// newWatch makes the watch of s, not yet started.
func (u *Upstream) newWatch(s watchSpec) *watch {
	w := &watch{u: u, spec: s, start: u.o.Now(), kick: make(chan struct{}, 1), done: make(chan struct{}),
		threadID: s.threadID, epoch: u.outageCount(), last: s.run}
	if p := s.prior; p != nil {
		w.intent, w.sawRunning, w.errHint = p.Intent, p.SawRunning, p.ErrHint
		if p.Intent != "" {
			w.intentN = 1
		}
	}
	return w
}

// born is when the run was created: a resumed run's timeout counts from
// there, not from the restart.
func (w *watch) born() time.Time {
	if w.spec.at.IsZero() {
		return w.start
	}
	return w.spec.at
}

// observe starts observing a run (once per run id) and returns its watch.
// Its record is journalled now and whenever the payload's inputs change.
func (u *Upstream) observe(s watchSpec) *watch {
	w := u.newWatch(s)
	u.mu.Lock()
	if old := u.watches[s.runID]; old != nil {
		u.mu.Unlock()
		return old
	}
	u.restores.put(s.runID, restore{webhook: s.req.webhook, temporary: s.req.forcedKeep})
	if u.closed {
		u.mu.Unlock()
		w.finished = true
		close(w.done)
		if u.o.Journal != nil {
			w.persist()
			u.notice("warn", "run %s was created while hooklab was stopping; its webhook will be sent when hooklab next starts in front of %s with this store", s.runID, u.label)
			return w
		}
		u.notice("warn", "run %s was created while hooklab was stopping; its webhook will not be sent", s.runID)
		return w
	}
	u.watches[s.runID] = w
	u.wg.Add(1)
	u.mu.Unlock()
	w.persist()
	if s.prior == nil {
		u.emit(hub.KindRun, w.info("pending", ""))
	}
	go w.loop()
	return w
}

// watchOf returns the live watch of runID, or nil.
func (u *Upstream) watchOf(runID string) *watch {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.watches[runID]
}

// watchesMatching returns the live watches a bulk cancel names: by run id,
// or else by thread and last seen status.
func (u *Upstream) watchesMatching(threadID string, runIDs []string, status string) []*watch {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []*watch
	if len(runIDs) > 0 {
		for _, id := range runIDs {
			if w := u.watches[id]; w != nil {
				out = append(out, w)
			}
		}
		return out
	}
	for _, w := range u.watches {
		w.mu.Lock()
		st, tid := w.lastStatus, w.threadID
		w.mu.Unlock()
		if st == "" {
			st = "pending"
		}
		if (threadID == "" || tid == threadID) && (status == "all" || status == st) {
			out = append(out, w)
		}
	}
	return out
}

// intendThread records a multitask cancel for every run observed on
// threadID; the returned funcs take it back.
func (u *Upstream) intendThread(threadID, action string) []func() {
	var out []func()
	for _, w := range u.watchesMatching(threadID, nil, "all") {
		if w.thread() == threadID {
			out = append(out, w.intend(action))
		}
	}
	return out
}

func (w *watch) info(status, errText string) hub.RunInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	ri := hub.RunInfo{RunID: w.spec.runID, ThreadID: w.threadID, Status: status, Webhook: w.spec.req.webhook,
		Error: errText, CronID: w.spec.cronID, Upstream: w.u.label}
	if w.last != nil {
		ri.AssistantID = w.last.AssistantID
	}
	return ri
}

func (w *watch) thread() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.threadID
}

// hold counts a relayed answer opening (+1) or closing (-1).
func (w *watch) hold(d int) {
	w.mu.Lock()
	w.held += d
	w.mu.Unlock()
}

// poke asks for a poll now.
func (w *watch) poke() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// hint keeps the error a relayed answer reported; the first one wins.
func (w *watch) hint(e *sender.RunError) {
	w.mu.Lock()
	first := w.errHint == nil
	if first {
		w.errHint = e
	}
	w.mu.Unlock()
	if first {
		w.persist()
	}
}

// streamEvent notes a relayed stream event: the run may be about to end.
func (w *watch) streamEvent() {
	w.mu.Lock()
	w.hotUntil = w.u.o.Now().Add(100 * time.Millisecond)
	w.mu.Unlock()
	w.poke()
}

// intend records that a cancel with action passed through for this run.
// The first intent stands; the returned func takes this one back.
func (w *watch) intend(action string) func() {
	w.mu.Lock()
	if w.intent != "" || w.finished {
		w.mu.Unlock()
		return func() {}
	}
	w.intent = action
	w.intentN++
	n := w.intentN
	w.mu.Unlock()
	w.persist()
	return func() {
		w.mu.Lock()
		back := w.intentN == n && !w.finished
		if back {
			w.intent = ""
		}
		w.mu.Unlock()
		if back {
			w.persist()
		}
	}
}

func (w *watch) delay() time.Duration {
	now := w.u.o.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	d := w.u.o.Poll(now.Sub(w.start), w.held > 0)
	if now.Before(w.hotUntil) && w.u.o.Hot < d {
		d = w.u.o.Hot
	}
	if !w.downSince.IsZero() {
		d = max(d, downProbe)
	}
	return d
}

func (w *watch) loop() {
	defer w.u.wg.Done()
	t := time.NewTimer(w.delay())
	defer t.Stop()
	for {
		select {
		case <-w.u.ctx.Done():
			return
		case <-w.done:
			return
		case <-w.kick:
		case <-t.C:
		}
		if w.step() {
			return
		}
		t.Reset(w.delay())
	}
}

// step polls the run once; true when the watch is over.
func (w *watch) step() bool {
	ctx := w.u.ctx
	now := w.u.o.Now()
	tid := w.thread()
	if tid == "" {
		if tid = w.resolveThread(ctx); tid == "" {
			w.mu.Lock()
			w.searches++
			n := w.searches
			w.mu.Unlock()
			if n >= 40 {
				w.lose("its thread could not be found: the upstream names neither the thread of this stateless run nor lists it in /threads/search")
				return true
			}
			return false
		}
	}
	if now.Sub(w.born()) >= w.u.o.RunTimeout {
		w.timeout(tid)
		return true
	}
	r, code, err := w.u.getRun(ctx, tid, w.spec.runID, w.spec.header)
	if err != nil {
		if ctx.Err() != nil {
			return true
		}
		if dialFailed(err) {
			w.u.markDown(err)
			w.mu.Lock()
			if w.downSince.IsZero() {
				w.downSince = now
			}
			down := now.Sub(w.downSince)
			w.mu.Unlock()
			if down >= w.u.o.LostAfter {
				w.lose(fmt.Sprintf("the upstream %s has been unreachable for %s", w.u.label, down.Round(time.Second)))
				return true
			}
		}
		return false
	}
	if code == http.StatusNotFound {
		return w.finish(nil, "", nil)
	}
	if code == http.StatusUnauthorized || code == http.StatusForbidden {
		w.mu.Lock()
		w.refusals++
		n := w.refusals
		w.mu.Unlock()
		if n >= 3 {
			w.lose(fmt.Sprintf("the upstream refuses hooklab's calls about the run (HTTP %d); the creating request's credentials are never stored, so after a restart the run is asked about with none", code))
			return true
		}
	}
	if code != http.StatusOK {
		return false
	}
	epoch := w.u.outageCount()
	w.mu.Lock()
	w.downSince, w.refusals = time.Time{}, 0
	prev := w.lastStatus
	restarted := epoch != w.epoch
	w.epoch = epoch
	if r.Status != "pending" && r.Status != "running" {
		w.mu.Unlock()
		return w.finish(r, "", nil)
	}
	changed := r.Status != prev
	w.lastStatus, w.last = r.Status, r
	if r.Status == "running" && w.sawRunning.IsZero() {
		w.sawRunning = now
	}
	w.mu.Unlock()
	if changed {
		w.persist() // first sight of running: a start time and a live Run object
	}
	if restarted && prev == "running" && r.Status == "running" {
		w.lose("the upstream restarted while the run was running (a hot reload?); the LangGraph dev server does not resume such runs, so it would never end")
		return true
	}
	return false
}

// timeout cancels a run that outlived RunTimeout and reports it as timeout.
func (w *watch) timeout(tid string) {
	ctx := w.u.ctx
	w.intend("interrupt")
	w.u.cancelRun(ctx, tid, w.spec.runID, w.spec.header)
	var last *runObject
	deadline := w.u.o.Now().Add(5 * time.Second)
	for w.u.o.Now().Before(deadline) && ctx.Err() == nil {
		r, code, err := w.u.getRun(ctx, tid, w.spec.runID, w.spec.header)
		if err == nil && code == http.StatusOK {
			last = r
			if r.Status != "pending" && r.Status != "running" {
				break
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	e := &sender.RunError{Error: "TimeoutError", Message: fmt.Sprintf("run exceeded the run timeout of %s (--run-timeout)", w.u.o.RunTimeout)}
	w.finish(last, "timeout", e)
}

// markFinished claims the right to end the watch: exactly once.
func (w *watch) markFinished() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finished {
		return false
	}
	w.finished = true
	return true
}

// release removes the watch once it is over.
func (w *watch) release() {
	w.u.mu.Lock()
	if w.u.watches[w.spec.runID] == w {
		delete(w.u.watches, w.spec.runID)
	}
	w.u.mu.Unlock()
	close(w.done)
}

// lose ends the watch without a webhook, reporting why.
func (w *watch) lose(reason string) {
	if !w.markFinished() {
		return
	}
	w.u.emit(hub.KindRun, w.info("lost", reason))
	w.u.notice("warn", "upstream run %s lost, no webhook sent: %s", w.spec.runID, reason)
	w.release()
	w.u.mu.Lock()
	closing := w.u.closed
	w.u.mu.Unlock()
	if !closing { // on Close the run may still be going: its thread stays
		w.cleanup()
		w.unpersist()
	}
}

// suspend ends the watch without a word: the run goes on upstream and its
// journalled record has the next start resume it.
func (w *watch) suspend() bool {
	if !w.markFinished() {
		return false
	}
	w.release()
	return true
}

// cleanup deletes the thread of a stateless run hooklab kept alive.
func (w *watch) cleanup() {
	tid := w.thread()
	if !w.spec.req.forcedKeep || tid == "" {
		return
	}
	if err := w.u.deleteThread(tid, w.spec.header); err != nil {
		w.u.notice("warn", "kept thread %s of stateless run %s could not be deleted: %v", tid, w.spec.runID, err)
	}
}
