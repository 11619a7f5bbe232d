package ui

import (
	"fmt"
	"slices"
	"time"

	"hooklab/server/hub"
	"hooklab/server/store"
)

// summarise turns an event into a row and updates the derived state.
// Rows lead with the outcome in words (allowed, refused, delivered, failed…)
// so the feed reads without colour and a screen scraper can find them.
func (f *feed) summarise(e hub.Event, k rowKey) row {
	r := row{ev: e, key: k, out: outInfo}
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
		r.text, r.delivery, r.out = "allowed "+p.Stage+" "+p.Decision.URL, p.DeliveryID, outOK
		if !p.Decision.Allowed {
			why := p.Decision.Message
			if p.Decision.Rule != "" {
				why = p.Decision.Rule + ": " + why
			}
			r.out, r.text = outErr, "refused "+p.Stage+" "+p.Decision.URL+" ("+why+")"
		}
		if p.DeliveryID != "" {
			d, newer := f.delivery(p.DeliveryID, k)
			if newer || d.decision == nil {
				dec := p.Decision
				d.decision = &dec
			}
			if d.url == "" {
				d.url = p.Decision.URL
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
			r.text += " (" + p.Error + ")"
		}
		r.status, r.durMS, r.delivery = p.Status, p.Timing.TotalMS, p.DeliveryID
		r.out = statusOutcome(p.Status, p.Retry)
		if p.Error != "" && !p.Retry {
			r.out = outErr
		}
		d, _ := f.delivery(p.DeliveryID, k)
		d.url = p.URL
		a := attemptSummary{key: k, n: p.Attempt, status: p.Status,
			timing: p.Timing, err: p.Error, retry: p.Retry, next: p.NextAttemptAt, started: p.StartedAt}
		i := len(d.attempts) // keep the timeline in attempt order when events merge late
		for i > 0 && d.attempts[i-1].key.cmp(k) > 0 {
			i--
		}
		d.attempts = slices.Insert(d.attempts, i, a)
		f.lat = append(f.lat, p.Timing.TotalMS)
		if len(f.lat) > sparkLen {
			f.lat = f.lat[len(f.lat)-sparkLen:]
		}
	case hub.KindDelivery:
		var p hub.DeliveryInfo
		_ = e.Decode(&p)
		word := p.Outcome
		if word == "" {
			word = store.OutcomePending
		}
		r.text, r.status, r.durMS, r.delivery = word+" "+p.URL, p.Status, p.DurationMS, p.ID
		if p.Reason != "" {
			r.text += " (" + p.Reason + ")"
		}
		r.out = deliveryOutcome(p.Outcome)
		d, newer := f.delivery(p.ID, k)
		if !newer {
			break // a late event: the state already holds something newer
		}
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
		d.status, d.durMS = p.Status, p.DurationMS
	case hub.KindRun:
		var p hub.RunInfo
		_ = e.Decode(&p)
		r.text = "run " + short(p.RunID) + " " + p.Status
		if p.Error != "" {
			r.text += " (" + p.Error + ")"
		}
		r.out = runOutcome(p.Status)
	case hub.KindConfig:
		var p hub.ConfigInfo
		_ = e.Decode(&p)
		r.text, r.out = "config "+p.Action+" "+p.Path, outOK
		if p.Error != "" {
			r.text, r.out = r.text+" ("+p.Error+")", outErr
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
			r.text, r.out = r.text+" ("+p.Error+")", outErr
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
