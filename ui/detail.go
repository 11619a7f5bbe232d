package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"hooklab/config"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// detailKey is everything the rendered detail depends on; the pane is only
// re-rendered when it changes.
type detailKey struct {
	row, drow  rowKey
	did        string
	fullVer, w int
	tick       int
	hasErr     bool
}

// detailPane shows the selected event: for a delivery, its decision, the
// attempt timeline and the request and response.
type detailPane struct {
	st      *Styles
	w, h    int
	off     int
	lines   []string
	key     detailKey
	focused bool

	did     string          // delivery shown
	full    *store.Delivery // fetched through Backend.Delivery
	fullErr error
	fullVer int
	stale   bool // the delivery changed: fetch it again
	tick    int
}

// SetSize sets the pane's area.
func (d *detailPane) SetSize(w, h int) { d.w, d.h = w, h; d.key = detailKey{} }

func (d *detailPane) scroll(n int) {
	d.off = min(max(d.off+n, 0), max(len(d.lines)-d.h, 0))
}

func (d *detailPane) handleKey(msg tea.KeyPressMsg, k *KeyMap) {
	switch {
	case key.Matches(msg, k.List.Up):
		d.scroll(-1)
	case key.Matches(msg, k.List.Down):
		d.scroll(1)
	case key.Matches(msg, k.List.PageUp):
		d.scroll(-max(d.h-1, 1))
	case key.Matches(msg, k.List.PageDown):
		d.scroll(max(d.h-1, 1))
	case key.Matches(msg, k.List.Top):
		d.off = 0
	case key.Matches(msg, k.List.Bottom):
		d.scroll(len(d.lines))
	}
}

func (d *detailPane) wheel(msg tea.MouseWheelMsg) {
	switch msg.Button {
	case tea.MouseWheelUp:
		d.scroll(-3)
	case tea.MouseWheelDown:
		d.scroll(3)
	}
}

// View renders the visible part of the cached content.
func (d *detailPane) View() string {
	if len(d.lines) == 0 {
		return ""
	}
	end := min(d.off+d.h, len(d.lines))
	return strings.Join(d.lines[min(d.off, end):end], "\n")
}

// render rebuilds the content when its inputs changed. It reports whether a
// retry countdown is on screen, so the caller keeps a tick running.
func (d *detailPane) render(m *Model, r *row) (countdown bool) {
	k := detailKey{did: d.did, fullVer: d.fullVer, w: d.w, tick: d.tick, hasErr: d.fullErr != nil}
	var ds *dstate
	if r != nil {
		k.row = r.key
		if ds = m.feed.deliveries[r.delivery]; ds != nil {
			k.drow = ds.last
		}
	}
	if k == d.key && d.lines != nil {
		return d.countdownVisible(m, ds)
	}
	d.key = k
	w := &docWriter{st: d.st, w: max(d.w, 10), m: m}
	switch {
	case r == nil:
		w.dim("select an event to see its detail")
	case r.delivery != "":
		w.delivery(r, ds, d.full, d.fullErr)
	default:
		w.event(r)
	}
	d.lines = w.lines
	d.scroll(0)
	return d.countdownVisible(m, ds)
}

func (d *detailPane) countdownVisible(m *Model, ds *dstate) bool {
	next := nextRetry(ds, d.full)
	return next != nil && next.After(m.now())
}

// nextRetry is when the next attempt of a pending delivery will start.
func nextRetry(ds *dstate, full *store.Delivery) *time.Time {
	if full != nil && full.Outcome == store.OutcomePending && full.NextAttemptAt != nil {
		return full.NextAttemptAt
	}
	if ds == nil || len(ds.attempts) == 0 || (ds.outcome != "" && ds.outcome != store.OutcomePending) {
		return nil
	}
	if a := ds.attempts[len(ds.attempts)-1]; a.retry {
		return a.next
	}
	return nil
}

// docWriter accumulates wrapped, styled lines of the detail document.
type docWriter struct {
	st    *Styles
	w     int
	m     *Model
	lines []string
}

func (w *docWriter) line(s string) {
	for _, l := range strings.Split(s, "\n") {
		w.lines = append(w.lines, wrapIndent(l, w.w)...)
	}
}
func (w *docWriter) dim(s string) { w.line(w.st.Detail.Dim.Render(s)) }
func (w *docWriter) section(s string) {
	w.lines = append(w.lines, "")
	w.line(w.st.Detail.Section.Render(s))
}
func (w *docWriter) kv(k, v string) {
	w.line(w.st.Detail.Key.Render(k+" ") + w.st.Detail.Value.Render(v))
}

func (w *docWriter) headers(hs []hub.HeaderKV, secret []string) {
	for _, h := range hs {
		v := h.Value
		if (w.m.secretHeader(h.Name) || containsName(secret, h.Name)) && !strings.HasSuffix(v, "…") {
			v = config.Mask(v)
		}
		w.line(w.st.Detail.Key.Render(h.Name+":") + " " + v)
	}
}

func containsName(names []string, n string) bool {
	for _, x := range names {
		if equalFold(x, n) {
			return true
		}
	}
	return false
}

func (w *docWriter) body(raw []byte) {
	if len(raw) == 0 {
		w.dim("(empty)")
		return
	}
	for _, l := range highlightJSON(w.st, raw) {
		w.line(l)
	}
}

func (w *docWriter) decision(dec *config.Decision) {
	if dec == nil {
		return
	}
	verdict := w.st.Detail.OK.Render("allowed")
	if !dec.Allowed {
		verdict = w.st.Detail.Err.Render("refused: " + dec.Message)
	}
	w.section("Decision " + verdict)
	for _, c := range dec.Checks {
		mark := w.st.Detail.OK.Render("✓")
		if !c.Passed {
			mark = w.st.Detail.Err.Render("✗")
		}
		v, _ := json.Marshal(c.Value)
		line := fmt.Sprintf("%s %-9s %s  %s", mark, c.Rule, string(v), w.st.Detail.Dim.Render(c.Source))
		if c.Detail != "" {
			line += "  " + c.Detail
		}
		w.line(line)
	}
	if dec.Hint != "" {
		w.dim("hint: " + dec.Hint)
	}
}

func (w *docWriter) delivery(r *row, ds *dstate, full *store.Delivery, ferr error) {
	id, url, outcome, reason := r.delivery, "", "", ""
	var dec *config.Decision
	var attempts []attemptSummary
	if ds != nil {
		url, outcome, reason, dec, attempts = ds.url, ds.outcome, ds.reason, ds.decision, ds.attempts
	}
	var last *hub.AttemptInfo
	if full != nil {
		url, outcome, reason = full.URL, full.Outcome, full.Reason
		if full.Decision != nil {
			dec = full.Decision
		}
		if len(full.AttemptLog) > 0 {
			attempts = attempts[:0:0]
			for _, a := range full.AttemptLog {
				attempts = append(attempts, attemptSummary{n: a.Attempt, status: a.Status, timing: a.Timing,
					err: a.Error, retry: a.Retry, next: a.NextAttemptAt, started: a.StartedAt})
			}
			last = &full.AttemptLog[len(full.AttemptLog)-1]
		}
	}
	if last == nil && len(attempts) > 0 {
		if ar, ok := w.m.feed.byKey(attempts[len(attempts)-1].key); ok {
			var a hub.AttemptInfo
			if ar.ev.Decode(&a) == nil {
				last = &a
			}
		}
	}
	if outcome == "" {
		outcome = "pending"
	}
	w.line(w.st.Detail.Title.Render("Delivery "+id) + "  " + w.st.List.Outcome[deliveryOutcome(outcome)].Render(outcome))
	w.kv("url", url)
	if reason != "" {
		w.kv("reason", reason)
	}
	if full != nil && full.ReplayOf != "" {
		w.kv("replay of", full.ReplayOf)
	} else if ds != nil && ds.replayOf != "" {
		w.kv("replay of", ds.replayOf)
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

func (w *docWriter) event(r *row) {
	e := r.ev
	title := fmt.Sprintf("%s #%d", e.Kind, e.Seq)
	if e.Seq == 0 {
		title = string(e.Kind) + " (not stored)"
	}
	w.line(w.st.Detail.Title.Render(title) + "  " + w.st.Detail.Dim.Render(e.Time.Local().Format("2006-01-02 15:04:05.000")))
	switch e.Kind {
	case hub.KindRequest:
		var p hub.RequestInfo
		_ = e.Decode(&p)
		w.kv("request", r.text)
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
		w.kv("request", r.text)
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
