package ui

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"hooklab/sender"
	"hooklab/server/hub"
)

// summarise turns an event into a row and updates the derived state.
// Rows lead with the outcome in words (allowed, refused, delivered, failed…)
// so the feed reads without colour and a screen scraper can find them.
// Payloads are decoded into the hub's own payload types, so a field
// renamed there is renamed here too.
func (f *feed) summarise(e hub.Event, k rowKey) row {
	r := row{key: k, at: unixNano(e.Time), kind: f.kindCode(e.Kind), out: outInfo}
	f.remember(k, e)
	var text, did string
	var status int
	var dur float64
	switch e.Kind {
	case hub.KindRequest:
		var h requestHead
		if !typed(e, &h.RequestInfo) {
			_ = e.Decode(&h)
		}
		p := &h.RequestInfo
		f.runs.request(k, r.at, p)
		text, status, dur = p.Method+" "+p.Path, p.Status, p.DurationMS
		if p.Query != "" {
			text += "?" + p.Query
		}
		r.out = statusOutcome(p.Status, false)
	case hub.KindDecision:
		var h decisionHead
		if !typed(e, &h.DecisionInfo) {
			_ = e.Decode(&h)
			h.DecisionInfo.Decision = h.Decision.Decision // the checks left out
		}
		p := &h.DecisionInfo
		f.runs.decision(k, r.at, p)
		if p.Stage == "create" && !p.Decision.Allowed {
			f.counts.refused++ // refused at creation: no delivery will count it
		}
		text, did, r.out = "allowed "+p.Stage+" "+p.Decision.URL, p.DeliveryID, outOK
		if !p.Decision.Allowed {
			why := p.Decision.Message
			if p.Decision.Rule != "" {
				why = p.Decision.Rule + ": " + why
			}
			r.out, text = outErr, "refused "+p.Stage+" "+p.Decision.URL+" ("+why+")"
		}
	case hub.KindAttempt:
		var h attemptHead
		if !typed(e, &h.AttemptInfo) {
			_ = e.Decode(&h)
		}
		p := &h.AttemptInfo
		f.runs.attempt(k, r.at, p)
		text = fmt.Sprintf("#%d %s %s", p.Attempt, p.Method, p.URL)
		if p.Error != "" {
			text += " (" + p.Error + ")"
		}
		status, dur, did = p.Status, p.Timing.TotalMS, p.DeliveryID
		r.out = statusOutcome(p.Status, p.Retry)
		if p.Error != "" && !p.Retry {
			r.out = outErr
		}
		f.lat = append(f.lat, p.Timing.TotalMS)
		if len(f.lat) > sparkLen {
			f.lat = f.lat[len(f.lat)-sparkLen:]
		}
		f.setText(&r, did, text, status, dur)
		d, _ := f.delivery(r.delivery, k)
		i := len(d.attempts) // keep the timeline in attempt order when events merge late
		for i > 0 && d.attempts[i-1].cmp(k) > 0 {
			i--
		}
		d.attempts = slices.Insert(d.attempts, i, k)
		if i == len(d.attempts)-1 {
			d.nextAt = 0
			if p.Retry && p.NextAttemptAt != nil {
				d.nextAt = unixNano(*p.NextAttemptAt)
			}
		}
		return r
	case hub.KindDelivery:
		var p hub.DeliveryInfo
		if !typed(e, &p) {
			_ = e.Decode(&p)
		}
		f.runs.delivery(k, r.at, &p)
		word := p.Outcome
		if word == "" {
			word = sender.OutcomePending
		}
		text, status, dur, did = word+" "+p.URL, p.Status, p.DurationMS, p.ID
		if p.Reason != "" {
			text += " (" + p.Reason + ")"
		}
		r.out = deliveryOutcome(p.Outcome)
		f.setText(&r, did, text, status, dur)
		d, newer := f.delivery(r.delivery, k)
		if !newer {
			return r // a late event: the state already holds something newer
		}
		d.info = k
		if oc := outcomeCode(p.Outcome); d.outcome != oc {
			switch p.Outcome {
			case sender.OutcomeDelivered:
				f.counts.delivered++
			case sender.OutcomeFailed:
				f.counts.failed++
			case sender.OutcomeRefused:
				f.counts.refused++
			}
			d.outcome = oc
		}
		return r
	case hub.KindRun:
		var p hub.RunInfo
		if !typed(e, &p) {
			_ = e.Decode(&p)
		}
		f.runs.run(k, r.at, &p)
		text = "run " + short(p.RunID) + " " + p.Status
		if p.Error != "" {
			text += " (" + p.Error + ")"
		}
		r.out = runOutcome(p.Status)
	case hub.KindConfig:
		f.runs.event(k, r.at)
		var p hub.ConfigInfo
		_ = e.Decode(&p)
		text, r.out = "config "+p.Action+" "+p.Path, outOK
		if p.Error != "" {
			text, r.out = text+" ("+p.Error+")", outErr
		}
	case hub.KindSink:
		f.runs.event(k, r.at)
		var h sinkHead
		if !typed(e, &h.SinkInfo) {
			_ = e.Decode(&h)
		}
		p := &h.SinkInfo
		text, status = p.Method+" "+p.Path+" ("+p.Name+")", p.Status
		r.out = statusOutcome(p.Status, false)
	case hub.KindCron:
		f.runs.event(k, r.at)
		var p hub.CronInfo
		_ = e.Decode(&p)
		text, r.out = "cron "+short(p.CronID)+" "+p.Action, outInfo
		if p.Error != "" {
			text, r.out = text+" ("+p.Error+")", outErr
		}
	case hub.KindUpstream:
		f.runs.event(k, r.at)
		var p hub.UpstreamInfo
		_ = e.Decode(&p)
		text, r.out = upstreamText(&p), outOK
		if !p.Reachable {
			r.out = outErr
		}
	case hub.KindNotice:
		f.runs.event(k, r.at)
		var p hub.NoticeInfo
		_ = e.Decode(&p)
		text = p.Text
		r.out = noticeOutcome(p.Level)
	default:
		f.runs.event(k, r.at)
		text = string(e.Payload[:min(len(e.Payload), maxRowText+1)])
	}
	f.setText(&r, did, text, status, dur)
	if e.Kind == hub.KindDecision && r.delivery != "" {
		if d, _ := f.delivery(r.delivery, k); d.decision.cmp(k) < 0 {
			d.decision = k // the newest decision, even when an older one merges late
		}
	}
	return r
}

// upstreamText is an upstream event's row: its state, URL, version and
// the pid of the command hooklab started.
func upstreamText(p *hub.UpstreamInfo) string {
	text := "upstream up " + p.URL
	if !p.Reachable {
		text = "upstream unreachable " + p.URL
	}
	if p.Version != "" {
		text += " (" + p.Version + ")"
	}
	if p.PID != 0 {
		text += fmt.Sprintf(" pid %d", p.PID)
	}
	if p.Detail != "" {
		text += ": " + strings.TrimPrefix(p.Detail, "unreachable: ")
	}
	return text
}

// setText fills in the row's strings. The delivery id is shared with the
// delivery's index entry (a delivery has four or more rows), and neither
// string ever points into the payload: both are fresh allocations, so the
// payload can go once it leaves the recent set.
func (f *feed) setText(r *row, did, text string, status int, dur float64) {
	if did != "" {
		if d := f.deliveries[did]; d != nil {
			r.delivery = d.id
		} else {
			r.delivery = strings.Clone(oneLine(did[:min(len(did), 255)]))
		}
	}
	r.text = capText(oneLine(text)) // built by concatenation or decoded: already its own allocation
	r.status = uint16(min(max(status, 0), 0xffff))
	r.durMS = float32(dur)
}

// capText cuts s to about maxRowText bytes on a rune boundary.
func capText(s string) string {
	if len(s) <= maxRowText {
		return s
	}
	i := maxRowText
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// outcomeNames lists the delivery outcomes the index codes in a byte, so
// it holds no strings; an outcome not listed gets len(outcomeNames()).
func outcomeNames() [7]string {
	return [...]string{"", sender.OutcomePending, sender.OutcomeDelivered, sender.OutcomeFailed,
		sender.OutcomeRefused, sender.OutcomeSkipped, sender.OutcomeInterrupted}
}

func outcomeCode(o string) uint8 {
	names := outcomeNames()
	for i, n := range names {
		if n == o {
			return uint8(i)
		}
	}
	return uint8(len(names))
}

// outcomeName is the outcome a code stands for ("" for none or unknown).
func outcomeName(c uint8) string {
	if names := outcomeNames(); int(c) < len(names) {
		return names[c]
	}
	return ""
}

func noticeOutcome(level string) outcome {
	switch level {
	case "warn":
		return outWarn
	case "error":
		return outErr
	}
	return outInfo
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
	case sender.OutcomeDelivered:
		return outOK
	case sender.OutcomePending:
		return outPending
	case sender.OutcomeFailed, sender.OutcomeRefused:
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
