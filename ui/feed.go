package ui

import (
	"fmt"
	"slices"
	"time"

	"hooklab/config"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// defaultMaxEvents bounds the in-memory window; older events stay in the
// store.
const defaultMaxEvents = 100_000

// sparkLen is how many recent attempt latencies the header sparkline shows.
const sparkLen = 32

// row is one feed line, summarised once when the event arrives so that
// rendering a frame never decodes JSON.
type row struct {
	ev       hub.Event
	out      outcome
	text     string // method and path, or URL
	status   int
	durMS    float64
	delivery string // delivery id, for attempt/decision/delivery events
}

// attemptSummary is the part of an attempt the timeline needs.
type attemptSummary struct {
	seq     uint64
	n       int
	status  int
	timing  hub.Timing
	err     string
	retry   bool
	next    *time.Time
	started time.Time
}

// dstate is what the feed knows about one delivery from its events alone.
type dstate struct {
	id, url, outcome, reason, runID, replayOf string
	status                                    int
	durMS                                     float64
	decision                                  *config.Decision
	attempts                                  []attemptSummary
	lastSeq                                   uint64
}

// feed is the bounded window of events plus what is derived from them: the
// delivery index, the header counts and the latency sparkline.
type feed struct {
	rows       []row
	max        int
	lastSeq    uint64
	deliveries map[string]*dstate
	counts     struct{ delivered, failed, refused int }
	lat        []float64
}

func newFeed(max int) *feed {
	if max <= 0 {
		max = defaultMaxEvents
	}
	return &feed{max: max, deliveries: make(map[string]*dstate)}
}

// appendResult tells the list how the rows changed.
type appendResult struct {
	from     int  // first new row (when !reindex)
	cut      int  // rows dropped from the front
	reindex  bool // rows were inserted out of order: rebuild the filter index
	appended int
}

// add appends events in Seq order. Events already held are skipped; events
// older than the newest held (a resync) are merged in place.
func (f *feed) add(evs []hub.Event) appendResult {
	res := appendResult{from: len(f.rows)}
	var late []hub.Event
	for _, e := range evs {
		if e.Seq != 0 && e.Seq <= f.lastSeq {
			late = append(late, e)
			continue
		}
		f.rows = append(f.rows, f.summarise(e))
		if e.Seq > f.lastSeq {
			f.lastSeq = e.Seq
		}
		res.appended++
	}
	for _, e := range late {
		i, found := slices.BinarySearchFunc(f.rows, e.Seq, func(r row, s uint64) int {
			return cmpSeq(r.ev.Seq, s)
		})
		if found {
			continue
		}
		f.rows = slices.Insert(f.rows, i, f.summarise(e))
		res.reindex = true
		res.appended++
	}
	// Trim in chunks so the copy is amortised over many appends.
	if len(f.rows) > f.max+f.max/8 {
		res.cut = len(f.rows) - f.max
		last := f.rows[res.cut-1].ev.Seq
		for _, r := range f.rows[:res.cut] {
			if d := f.deliveries[r.delivery]; d != nil && d.lastSeq <= last {
				delete(f.deliveries, r.delivery)
			}
		}
		n := copy(f.rows, f.rows[res.cut:])
		clear(f.rows[n:])
		f.rows = f.rows[:n]
		res.from = max(0, res.from-res.cut)
	}
	return res
}

func cmpSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// bySeq finds the row holding seq.
func (f *feed) bySeq(seq uint64) (row, bool) {
	i, ok := slices.BinarySearchFunc(f.rows, seq, func(r row, s uint64) int { return cmpSeq(r.ev.Seq, s) })
	if !ok {
		return row{}, false
	}
	return f.rows[i], true
}

func (f *feed) delivery(id string) *dstate {
	d := f.deliveries[id]
	if d == nil {
		d = &dstate{id: id}
		f.deliveries[id] = d
	}
	return d
}

// summarise turns an event into a row and updates the derived state.
func (f *feed) summarise(e hub.Event) row {
	r := row{ev: e, out: outInfo}
	switch e.Kind {
	case hub.KindRequest:
		var p hub.RequestInfo
		_ = e.Decode(&p)
		r.text, r.status, r.durMS = p.Method+" "+p.Path, p.Status, p.DurationMS
		if p.Query != "" {
			r.text += "?" + p.Query
		}
		r.out = statusOutcome(p.Status, false)
	case hub.KindDecision:
		var p hub.DecisionInfo
		_ = e.Decode(&p)
		r.text, r.delivery = p.Stage+" "+p.Decision.URL, p.DeliveryID
		r.out = outOK
		if !p.Decision.Allowed {
			r.out, r.text = outErr, r.text+" — "+p.Decision.Message
		}
		if p.DeliveryID != "" {
			d := f.delivery(p.DeliveryID)
			dec := p.Decision
			d.decision, d.lastSeq = &dec, e.Seq
			if d.url == "" {
				d.url = dec.URL
			}
		}
	case hub.KindAttempt:
		var p struct {
			DeliveryID    string     `json:"delivery_id"`
			Attempt       int        `json:"attempt"`
			Method        string     `json:"method"`
			URL           string     `json:"url"`
			Status        int        `json:"status"`
			Timing        hub.Timing `json:"timing"`
			Error         string     `json:"error"`
			Retry         bool       `json:"retry"`
			NextAttemptAt *time.Time `json:"next_attempt_at"`
			StartedAt     time.Time  `json:"started_at"`
		}
		_ = e.Decode(&p)
		r.text = fmt.Sprintf("#%d %s %s", p.Attempt, p.Method, p.URL)
		if p.Error != "" {
			r.text += " — " + p.Error
		}
		r.status, r.durMS, r.delivery = p.Status, p.Timing.TotalMS, p.DeliveryID
		r.out = statusOutcome(p.Status, p.Retry)
		if p.Error != "" && !p.Retry {
			r.out = outErr
		}
		d := f.delivery(p.DeliveryID)
		d.lastSeq, d.url = e.Seq, p.URL
		d.attempts = append(d.attempts, attemptSummary{seq: e.Seq, n: p.Attempt, status: p.Status,
			timing: p.Timing, err: p.Error, retry: p.Retry, next: p.NextAttemptAt, started: p.StartedAt})
		f.lat = append(f.lat, p.Timing.TotalMS)
		if len(f.lat) > sparkLen {
			f.lat = f.lat[len(f.lat)-sparkLen:]
		}
	case hub.KindDelivery:
		var p hub.DeliveryInfo
		_ = e.Decode(&p)
		r.text, r.status, r.durMS, r.delivery = p.Outcome+" "+p.URL, p.Status, p.DurationMS, p.ID
		if p.Reason != "" {
			r.text += " — " + p.Reason
		}
		r.out = deliveryOutcome(p.Outcome)
		d := f.delivery(p.ID)
		if d.outcome != p.Outcome {
			switch p.Outcome {
			case store.OutcomeDelivered:
				f.counts.delivered++
			case store.OutcomeFailed:
				f.counts.failed++
			case store.OutcomeRefused:
				f.counts.refused++
			}
		}
		d.outcome, d.reason, d.url, d.runID, d.replayOf = p.Outcome, p.Reason, p.URL, p.RunID, p.ReplayOf
		d.status, d.durMS, d.lastSeq = p.Status, p.DurationMS, e.Seq
	case hub.KindRun:
		var p hub.RunInfo
		_ = e.Decode(&p)
		r.text = "run " + short(p.RunID) + " " + p.Status
		if p.Error != "" {
			r.text += " — " + p.Error
		}
		r.out = runOutcome(p.Status)
	case hub.KindConfig:
		var p hub.ConfigInfo
		_ = e.Decode(&p)
		r.text, r.out = "config "+p.Action+" "+p.Path, outOK
		if p.Error != "" {
			r.text, r.out = r.text+" — "+p.Error, outErr
		}
	case hub.KindSink:
		var p hub.SinkInfo
		_ = e.Decode(&p)
		r.text, r.status = p.Method+" "+p.Path+" ("+p.Name+")", p.Status
		r.out = statusOutcome(p.Status, false)
	case hub.KindCron:
		var p hub.CronInfo
		_ = e.Decode(&p)
		r.text, r.out = "cron "+short(p.CronID)+" "+p.Action, outInfo
		if p.Error != "" {
			r.text, r.out = r.text+" — "+p.Error, outErr
		}
	case hub.KindNotice:
		var p hub.NoticeInfo
		_ = e.Decode(&p)
		r.text = p.Text
		r.out = map[string]outcome{"warn": outWarn, "error": outErr}[p.Level]
	default:
		r.text = string(e.Payload)
	}
	return r
}

func statusOutcome(status int, retry bool) outcome {
	switch {
	case retry:
		return outWarn
	case status == 0:
		return outErr
	case status < 400:
		return outOK
	case status < 500:
		return outWarn
	}
	return outErr
}

func deliveryOutcome(o string) outcome {
	switch o {
	case store.OutcomeDelivered:
		return outOK
	case store.OutcomePending:
		return outPending
	case store.OutcomeFailed, store.OutcomeRefused:
		return outErr
	}
	return outWarn
}

func runOutcome(s string) outcome {
	switch s {
	case "success":
		return outOK
	case "error", "timeout":
		return outErr
	case "pending", "running":
		return outPending
	}
	return outWarn
}

// short abbreviates an id for one-line display.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
