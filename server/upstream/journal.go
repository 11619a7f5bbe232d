package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"hooklab/sender"
	"hooklab/server/store"
)

// Journal keeps the observations across restarts; *store.Store satisfies
// it. PutValue and Delete only queue the write: nothing on a request's
// path waits for the disk. Load and Deliveries are read at Resume.
type Journal interface {
	PutValue(t store.Table, id, parent string, v any)
	Delete(t store.Table, id string)
	Load(t store.Table) ([]store.Record, error)
	Deliveries(ctx context.Context, q store.DeliveryQuery) ([]sender.Delivery, error)
}

// record is one journalled observation: what the webhook needs that the
// upstream cannot tell again. Never a credential: a resumed observation
// calls the upstream with Options.Header only.
type record struct {
	Upstream   string           `json:"upstream"`
	RunID      string           `json:"run_id"`
	ThreadID   string           `json:"thread_id,omitempty"`
	Webhook    string           `json:"webhook"`
	Stateless  bool             `json:"stateless,omitempty"`
	ForcedKeep bool             `json:"forced_keep,omitempty"`
	CronID     string           `json:"cron_id,omitempty"`
	Intent     string           `json:"intent,omitempty"`
	At         time.Time        `json:"at"`                   // the creating request arrived
	SawRunning time.Time        `json:"saw_running,omitzero"` // first poll that saw it running
	ErrHint    *sender.RunError `json:"error_hint,omitempty"` // from a relayed answer
	Last       *runObject       `json:"last_seen,omitempty"`  // the newest Run object read
}

// record snapshots what the watch knows; the caller holds no lock.
func (w *watch) record() record {
	w.mu.Lock()
	defer w.mu.Unlock()
	return record{
		Upstream: w.u.label, RunID: w.spec.runID, ThreadID: w.threadID, Webhook: w.spec.req.webhook,
		Stateless: w.spec.req.stateless, ForcedKeep: w.spec.req.forcedKeep, CronID: w.spec.cronID,
		Intent: w.intent, At: w.spec.at, SawRunning: w.sawRunning, ErrHint: w.errHint, Last: w.last,
	}
}

// persist journals the watch's current state (a no-op without a Journal,
// or once the record was deleted). The journal lock keeps the writes of
// one run in order.
func (w *watch) persist() {
	j := w.u.o.Journal
	if j == nil {
		return
	}
	w.jmu.Lock()
	defer w.jmu.Unlock()
	if w.unjournalled {
		return
	}
	r := w.record()
	j.PutValue(store.Observations, r.RunID, r.ThreadID, r)
}

// unpersist deletes the run's record: the observation is over for good.
func (w *watch) unpersist() {
	j := w.u.o.Journal
	if j == nil {
		return
	}
	w.jmu.Lock()
	defer w.jmu.Unlock()
	w.unjournalled = true
	j.Delete(store.Observations, w.spec.runID)
}

// Resume takes up the observations an earlier hooklab journalled and did
// not end (it was stopped or killed while the runs went on): each run is
// polled again and its webhook sent once when it ends, with the
// upstream's own timestamps. A run whose webhook the sender already has
// (a delivery of the run is in the store) is not sent again: only its
// kept thread and its record are deleted. Records made in front of
// another upstream URL are left for a hooklab in front of that one. Call
// it once the upstream answers and the Sender has resumed its own
// deliveries. It returns how many runs it observes again.
func (u *Upstream) Resume(ctx context.Context) (int, error) {
	j := u.o.Journal
	if j == nil {
		return 0, nil
	}
	recs, err := j.Load(store.Observations)
	if err != nil {
		return 0, fmt.Errorf("upstream: loading journalled observations: %w", err)
	}
	resumed, handed, elsewhere := 0, 0, 0
	for _, raw := range recs {
		var r record
		if err := json.Unmarshal(raw.Data, &r); err != nil || r.RunID == "" {
			u.notice("warn", "journalled observation %s is unreadable and was dropped (%v): its run's webhook will not be sent", raw.ID, err)
			j.Delete(store.Observations, raw.ID)
			continue
		}
		if r.Upstream != u.label {
			elsewhere++
			continue
		}
		ds, err := j.Deliveries(ctx, store.DeliveryQuery{RunID: r.RunID, Limit: 1})
		if err != nil {
			return resumed, fmt.Errorf("upstream: looking up the delivery of run %s: %w", r.RunID, err)
		}
		s := r.spec()
		if len(ds) > 0 {
			// Handed to the sender before the stop: it owns the webhook.
			handed++
			w := u.newWatch(s)
			w.finished = true
			u.wg.Add(1)
			go func() {
				defer u.wg.Done()
				w.cleanup()
				w.unpersist()
			}()
			continue
		}
		if u.observe(s) != nil {
			resumed++
		}
	}
	if resumed+handed > 0 {
		u.notice("info", "resumed %d upstream run(s) an earlier hooklab was still observing (%d more had their webhook already)", resumed, handed)
	}
	if elsewhere > 0 {
		u.notice("info", "%d journalled observation(s) belong to another upstream URL; they are resumed when hooklab runs in front of it again", elsewhere)
	}
	return resumed, nil
}

// spec rebuilds the watch a record describes.
func (r record) spec() watchSpec {
	return watchSpec{
		runID: r.RunID, threadID: r.ThreadID, cronID: r.CronID, at: r.At, run: r.Last,
		req:    runReq{webhook: r.Webhook, stateless: r.Stateless, forcedKeep: r.ForcedKeep},
		header: http.Header{},
		prior:  &r,
	}
}
