package ui

import (
	"fmt"
	"strings"
	"time"

	"hooklab/config"
	"hooklab/server/hub"
)

// attemptSummary is the part of an attempt the timeline needs.
type attemptSummary struct {
	n       int
	status  int
	timing  hub.Timing
	err     string
	retry   bool
	started time.Time
	resp    string // the first line of its response body
}

func summariseAttempt(a *hub.AttemptInfo) attemptSummary {
	return attemptSummary{n: a.Attempt, status: a.Status, timing: a.Timing, err: a.Error, retry: a.Retry, started: a.StartedAt,
		resp: firstLine(a.ResponseBody)}
}

// heldDelivery is what the feed's recent payloads say about a delivery.
type heldDelivery struct {
	url, outcome, reason, replayOf string
	dec                            *config.Decision
	attempts                       []attemptSummary
	last                           *hub.AttemptInfo
	missing                        bool // some of its events' payloads are no longer held
}

// held decodes the delivery's events that the recent set still holds. It
// runs only when the detail is re-rendered, never per frame.
func (f *feed) held(ds *dstate) heldDelivery {
	var h heldDelivery
	if ds == nil {
		h.missing = true
		return h
	}
	if ds.decision != (rowKey{}) {
		var p hub.DecisionInfo
		if f.decode(ds.decision, &p) {
			h.dec, h.url = &p.Decision, p.Decision.URL
		} else {
			h.missing = true
		}
	}
	for _, k := range ds.attempts {
		var a hub.AttemptInfo
		if !f.decode(k, &a) {
			h.missing = true
			continue
		}
		h.attempts = append(h.attempts, summariseAttempt(&a))
		h.url, h.last = a.URL, &a
	}
	h.outcome = outcomeName(ds.outcome)
	if ds.info != (rowKey{}) {
		var p hub.DeliveryInfo
		if f.decode(ds.info, &p) {
			h.outcome, h.reason, h.url, h.replayOf = p.Outcome, p.Reason, p.URL, p.ReplayOf
		} else {
			h.missing = true
		}
	}
	return h
}

func (w *docWriter) delivery(did string, ds *dstate, d *detailPane) {
	full, ferr := d.full, d.fullErr
	h := w.m.feed.held(ds)
	url, outcome, reason, dec, attempts, last := h.url, h.outcome, h.reason, h.dec, h.attempts, h.last
	if full != nil {
		url, outcome, reason = full.URL, full.Outcome, full.Reason
		if full.Decision != nil {
			dec = full.Decision
		}
		if len(full.AttemptLog) > 0 {
			attempts = attempts[:0:0]
			for i := range full.AttemptLog {
				attempts = append(attempts, summariseAttempt(&full.AttemptLog[i]))
			}
			last = &full.AttemptLog[len(full.AttemptLog)-1]
		}
	}
	if outcome == "" {
		outcome = "pending"
	}
	w.line(w.st.Detail.Title.Render("Delivery "+did) + "  " + w.st.List.Outcome[deliveryOutcome(outcome)].Render(outcome))
	if full == nil && h.missing {
		if d.loading {
			w.dim("loading…")
		} else if ferr == nil {
			w.dim("its older events are no longer in memory and the store has no record of it")
		}
	}
	w.kv("url", url)
	if reason != "" {
		w.kv("reason", reason)
	}
	if full != nil && full.ReplayOf != "" {
		w.kv("replay of", full.ReplayOf)
	} else if h.replayOf != "" {
		w.kv("replay of", h.replayOf)
	}
	if ferr != nil {
		w.line(w.st.Detail.Warn.Render("could not load the stored delivery: " + ferr.Error()))
	}
	w.decision(dec)
	if len(attempts) > 0 {
		w.section(fmt.Sprintf("Attempts (%d)", len(attempts)))
		for _, a := range attempts {
			st := "---"
			if a.status != 0 {
				st = fmt.Sprint(a.status)
			}
			oc := w.st.List.Outcome[statusOutcome(a.status, a.retry)]
			w.lines = append(w.lines, packSegments([]string{
				fmt.Sprintf("#%d %s %s", a.n, a.started.Local().Format("15:04:05.000"), oc.Render(st)),
				"dial " + ms(a.timing.DialMS), "tls " + ms(a.timing.TLSMS),
				"ttfb " + ms(a.timing.FirstByteMS), "total " + ms(a.timing.TotalMS),
			}, " · ", w.w)...)
			if a.err != "" {
				w.line("   " + w.st.Detail.Err.Render(a.err))
			}
			if a.resp != "" {
				w.line("   " + w.st.Detail.Dim.Render("↳ "+a.resp))
			}
		}
		if next := nextRetry(ds, full); next != nil {
			left := next.Sub(w.m.now()).Round(100 * time.Millisecond)
			if left > 0 {
				w.line(w.st.Detail.Warn.Render(fmt.Sprintf("next retry in %s", left)))
			} else {
				w.line(w.st.Detail.Warn.Render("retrying now"))
			}
		}
	}
	switch {
	case last != nil:
		w.section("Request " + last.Method + " " + last.URL)
		var secret []string
		if full != nil {
			secret = full.SecretHeaders
		}
		w.headers(last.RequestHeaders, secret)
		w.body(last.RequestBody)
		resp := "Response"
		if last.Status != 0 {
			resp += fmt.Sprintf(" %d", last.Status)
		}
		w.section(resp)
		w.headers(last.ResponseHeaders, nil)
		if last.Error != "" {
			w.line(w.st.Detail.Err.Render(last.Error))
		}
		w.body([]byte(last.ResponseBody))
		if last.Truncated {
			w.dim("(body truncated)")
		}
	case full != nil:
		w.section("Request POST " + full.URL)
		w.headers(full.Headers, full.SecretHeaders)
		w.body(full.Body)
	}
}

func ms(v float64) string {
	if v == 0 {
		return "-"
	}
	return strings.TrimSpace(fmtDur(v))
}

func (w *docWriter) event(r *row, d *detailPane) {
	kind := hub.Kind(oneLine(string(w.m.feed.kindOf(r))))
	title := fmt.Sprintf("%s #%d", kind, r.seq())
	if r.seq() == 0 {
		title = string(kind) + " (not stored)"
	}
	w.line(w.st.Detail.Title.Render(title) + "  " + w.st.Detail.Dim.Render(r.time().Local().Format("2006-01-02 15:04:05.000")))
	if d.ev == nil {
		w.line(r.text)
		switch {
		case d.evLoading:
			w.dim("loading…")
		case errIsGone(d.evErr):
			w.dim("the store no longer holds this event")
		case d.evErr != nil:
			w.line(w.st.Detail.Warn.Render("could not load the event: " + d.evErr.Error()))
		case r.seq() == 0:
			w.dim("its payload is no longer in memory (unsequenced events are not stored)")
		default:
			w.dim("its payload is no longer in memory (it came from a previous store)")
		}
		return
	}
	e := *d.ev
	switch e.Kind {
	case hub.KindRequest:
		var p hub.RequestInfo
		_ = e.Decode(&p)
		req := p.Method + " " + p.Path
		if p.Query != "" {
			req += "?" + p.Query
		}
		w.kv("request", req)
		w.kv("status", fmt.Sprintf("%d in %s", p.Status, ms(p.DurationMS)))
		if p.RunID != "" {
			w.kv("run", p.RunID)
		}
		if p.Detail != "" {
			w.kv("detail", p.Detail)
		}
		if p.NonStandard != "" {
			w.line(w.st.Detail.Warn.Render("non-standard: " + p.NonStandard))
		}
		w.section("Body")
		w.body(p.Body)
	case hub.KindDecision:
		var p hub.DecisionInfo
		_ = e.Decode(&p)
		w.kv("stage", p.Stage)
		w.kv("url", p.Decision.URL)
		w.decision(&p.Decision)
	case hub.KindSink:
		var p hub.SinkInfo
		_ = e.Decode(&p)
		w.kv("sink", p.Name)
		w.kv("request", p.Method+" "+p.Path+" ("+p.Name+")")
		w.kv("answered", fmt.Sprint(p.Status))
		w.section("Headers")
		w.headers(p.Headers, nil)
		w.section("Body")
		w.body(p.Body)
	default:
		w.line(r.text)
		w.section("Payload")
		w.body(e.Payload)
	}
}
