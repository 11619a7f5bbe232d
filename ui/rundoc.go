package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"hooklab/server/hub"
)

// responseLines is how many lines of the delivery's response body the top
// of a run's document shows.
const responseLines = 6

// run writes a run-list row's document: what it is, the delivery's
// response at the top, the timeline of its events (each attempt with its
// own response), then the delivery in full.
func (w *docWriter) run(e *entry, ds *dstate, d *detailPane) {
	st := w.st
	title := "Run " + e.run
	switch {
	case e.refused:
		title = "Run refused at creation"
	case e.kind == entryReplay:
		title = "Replay " + e.delivery
	case e.run == "":
		title = "Delivery " + e.delivery
	}
	w.line(st.Detail.Title.Render(title) + "  " + st.List.Outcome[e.result()].Render(e.word()))
	if e.replayOf != "" {
		w.kv("replay of", e.replayOf+"  (d shows the diff)")
	}
	if e.thread != "" {
		w.kv("thread", e.thread)
	}
	if e.upstream {
		where := "yes: the run ran on your own LangGraph server"
		if u := w.m.info.Upstream; u != nil {
			where = u.URL
		}
		w.kv("upstream", where)
	}
	if e.url != "" {
		w.kv("webhook", e.url)
	}
	if e.reason != "" {
		w.kv("reason", e.reason)
	}
	if e.delivery != "" {
		w.response(ds, d)
	}
	w.timeline(e, ds, d)
	if e.delivery != "" {
		w.lines = append(w.lines, "")
		w.delivery(e.delivery, ds, d)
	}
}

// attempts is the delivery's attempt log: the stored one when it has been
// read back, else what the feed still holds.
func (w *docWriter) attempts(ds *dstate, d *detailPane) []hub.AttemptInfo {
	if d.full != nil && len(d.full.AttemptLog) > 0 {
		return d.full.AttemptLog
	}
	var out []hub.AttemptInfo
	if ds == nil {
		return out
	}
	for _, k := range ds.attempts {
		var a hub.AttemptInfo
		if w.m.feed.decode(k, &a) {
			out = append(out, a)
		}
	}
	return out
}

// response shows the newest attempt's answer: status, when, how long,
// and the first lines of its body.
func (w *docWriter) response(ds *dstate, d *detailPane) {
	as := w.attempts(ds, d)
	if len(as) == 0 {
		w.section("Response")
		if d.loading {
			w.dim("loading…")
		} else {
			w.dim("no attempt yet")
		}
		return
	}
	a := as[len(as)-1]
	head := "Response"
	if a.Status != 0 {
		head += fmt.Sprintf(" %d", a.Status)
	}
	w.section(head)
	w.dim(fmt.Sprintf("%s · %s · attempt %d", a.StartedAt.Local().Format("15:04:05.000"), ms(a.Timing.TotalMS), a.Attempt))
	if a.Error != "" {
		w.line(w.st.Detail.Err.Render(a.Error))
	}
	lines, more := highlightJSON(w.st, []byte(a.ResponseBody))
	if len(a.ResponseBody) == 0 {
		w.dim("(empty body)")
		return
	}
	more += max(0, len(lines)-responseLines)
	for _, l := range lines[:min(len(lines), responseLines)] {
		w.line(l)
	}
	if more > 0 {
		w.dim(fmt.Sprintf("… %d more lines (the whole response is below)", more))
	}
}

// timeline lists the run's events in order, from what the feed holds; an
// attempt adds the first line of its response.
func (w *docWriter) timeline(e *entry, ds *dstate, d *detailPane) {
	w.section("Timeline")
	as, n, gone := w.attempts(ds, d), 0, 0
	for _, k := range e.keys {
		r, ok := w.m.feed.byKey(k)
		if !ok {
			gone++
			continue
		}
		kind := w.m.feed.kindOf(&r)
		status := ""
		if r.status != 0 {
			status = fmt.Sprintf(" %d", r.status)
		}
		lead := fmt.Sprintf("%s %-8s%s ", r.time().Local().Format("15:04:05.000"), ansi.Truncate(oneLine(kind), 8, ""), status)
		text := cutMiddle(r.text, max(10, w.w-ansi.StringWidth(lead)))
		w.line(w.st.Detail.Dim.Render(lead) + w.st.List.Outcome[r.out].Render(text))
		if kind == hub.KindAttempt {
			if n < len(as) {
				if first := firstLine(as[n].ResponseBody); first != "" {
					w.line("    " + w.st.Detail.Dim.Render("↳ "+first))
				}
			}
			n++
		}
	}
	if gone > 0 {
		w.dim(fmt.Sprintf("(%d older events are no longer in the window)", gone))
	}
}

// firstLine is the first non-blank line of a body, made safe for one line
// and capped.
func firstLine(body string) string {
	for _, l := range strings.Split(body, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return capText(oneLine(capBytes(l, 200)))
		}
	}
	return ""
}
