package store

import (
	"hooklab/sender"
	"hooklab/sender/jsonw"
	"hooklab/server/hub"
)

// appendPayload encodes the payloads of the events every run records by
// hand, as encoding/json would (record.go says why); ok is false for any
// other payload. A test keeps these in step with the types' fields.
func appendPayload(b []byte, v any) (_ []byte, ok bool) {
	switch p := v.(type) {
	case hub.RunInfo:
		o := jsonw.Open(b)
		o.Str("run_id", p.RunID)
		o.StrOmit("thread_id", p.ThreadID)
		o.StrOmit("assistant_id", p.AssistantID)
		o.Str("status", p.Status)
		o.StrOmit("webhook", p.Webhook)
		o.StrOmit("error", p.Error)
		o.StrOmit("cron_id", p.CronID)
		o.StrOmit("upstream", p.Upstream)
		return o.Close(), true
	case hub.RequestInfo:
		o := jsonw.Open(b)
		o.Str("method", p.Method)
		o.Str("path", p.Path)
		o.StrOmit("query", p.Query)
		o.Int("status", int64(p.Status))
		o.Float("duration_ms", p.DurationMS)
		o.RawOmit("body", p.Body)
		o.StrOmit("detail", p.Detail)
		o.StrOmit("run_id", p.RunID)
		o.StrOmit("nonstandard", p.NonStandard)
		return o.Close(), true
	case sender.DeliveryInfo:
		o := jsonw.Open(b)
		o.Str("id", p.ID)
		o.StrOmit("run_id", p.RunID)
		o.StrOmit("thread_id", p.ThreadID)
		o.Str("url", p.URL)
		o.Str("outcome", p.Outcome)
		o.StrOmit("reason", p.Reason)
		o.Int("attempts", int64(p.Attempts))
		o.IntOmit("status", int64(p.Status))
		o.FloatOmit("duration_ms", p.DurationMS)
		o.StrOmit("replay_of", p.ReplayOf)
		return o.Close(), true
	case sender.Attempt:
		return appendAttempt(b, &p, nil), true
	case sender.DecisionInfo:
		o := jsonw.Open(b)
		o.Str("stage", p.Stage)
		o.StrOmit("delivery_id", p.DeliveryID)
		o.StrOmit("run_id", p.RunID)
		o.Key("decision")
		o.B = appendDecision(o.B, &p.Decision)
		return o.Close(), true
	}
	return b, false
}
