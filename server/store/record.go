package store

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/sender/jsonw"
)

// A delivery is encoded by hand (encoding/json spends most of its time on
// reflection and on re-validating the body it already holds as JSON), in
// two forms:
//
//   - full: every field, as encoding/json writes sender.Delivery. The
//     journal and the API use it.
//   - row: what the deliveries table keeps in its data column, without
//     what its other columns hold (id, run_id, url, outcome and the two
//     times) and without what each attempt would repeat of the delivery
//     (its id, run id, URL, method, request headers and body: every
//     attempt sends the delivery's). readDelivery puts them back.
//
// Rows are then compressed (see dict.go).

// appendDelivery appends d in full (row false) or in its row form.
func appendDelivery(b []byte, d *sender.Delivery, row bool) []byte {
	o := jsonw.Open(b)
	if !row {
		o.Str("id", d.ID)
		o.Str("run_id", d.RunID)
	}
	o.StrOmit("thread_id", d.ThreadID)
	o.StrOmit("cron_id", d.CronID)
	if !row {
		o.Str("url", d.URL)
		o.Str("outcome", d.Outcome)
	}
	o.StrOmit("reason", d.Reason)
	o.Int("attempts", int64(d.Attempts))
	o.IntOmit("status", int64(d.Status))
	o.FloatOmit("duration_ms", d.DurationMS)
	o.StrOmit("replay_of", d.ReplayOf)
	o.Key("headers")
	o.B = appendHeaders(o.B, d.Headers)
	if len(d.SecretHeaders) > 0 {
		o.Key("secret_headers")
		o.B = appendStrings(o.B, d.SecretHeaders)
	}
	if len(d.HeaderTemplates) > 0 {
		o.Key("header_templates")
		o.B = append(o.B, '[')
		for i, h := range d.HeaderTemplates {
			if i > 0 {
				o.B = append(o.B, ',')
			}
			ho := jsonw.Open(o.B)
			ho.Str("name", h.Name)
			ho.Str("template", h.Template)
			o.B = ho.Close()
		}
		o.B = append(o.B, ']')
	}
	o.StrOmit("origin", d.Origin)
	o.Raw("body", d.Body)
	if d.Decision != nil {
		o.Key("decision")
		o.B = appendDecision(o.B, d.Decision)
	}
	if len(d.AttemptLog) > 0 {
		o.Key("attempt_log")
		o.B = append(o.B, '[')
		for i := range d.AttemptLog {
			if i > 0 {
				o.B = append(o.B, ',')
			}
			var of *sender.Delivery
			if row {
				of = d
			}
			o.B = appendAttempt(o.B, &d.AttemptLog[i], of)
		}
		o.B = append(o.B, ']')
	}
	if d.NextAttemptAt != nil {
		o.Time("next_attempt_at", *d.NextAttemptAt)
	}
	if !row {
		o.Time("created_at", d.CreatedAt)
		o.Time("updated_at", d.UpdatedAt)
	}
	return o.Close()
}

// appendAttempt appends a in full, or, with of set, without what it
// repeats of the delivery of.
func appendAttempt(b []byte, a *sender.Attempt, of *sender.Delivery) []byte {
	o := jsonw.Open(b)
	if of == nil || a.DeliveryID != of.ID {
		o.Str("delivery_id", a.DeliveryID)
	}
	if of == nil || a.RunID != of.RunID {
		o.StrOmit("run_id", a.RunID)
	}
	o.Int("attempt", int64(a.Attempt))
	if of == nil || a.Method != http.MethodPost {
		o.Str("method", a.Method)
	}
	if of == nil || a.URL != of.URL {
		o.Str("url", a.URL)
	}
	if of == nil || !slices.Equal(a.RequestHeaders, of.Headers) {
		o.Key("request_headers")
		o.B = appendHeaders(o.B, a.RequestHeaders)
	}
	if of == nil || !bytes.Equal(a.RequestBody, of.Body) {
		o.RawOmit("request_body", a.RequestBody)
	}
	o.IntOmit("status", int64(a.Status))
	if len(a.ResponseHeaders) > 0 {
		o.Key("response_headers")
		o.B = appendHeaders(o.B, a.ResponseHeaders)
	}
	o.StrOmit("response_body", a.ResponseBody)
	o.BoolOmit("truncated", a.Truncated)
	if len(a.Redirects) > 0 {
		o.Key("redirects")
		o.B = appendStrings(o.B, a.Redirects)
	}
	o.Key("timing")
	t := jsonw.Open(o.B)
	t.Float("dial_ms", a.Timing.DialMS)
	t.Float("tls_ms", a.Timing.TLSMS)
	t.Float("first_byte_ms", a.Timing.FirstByteMS)
	t.Float("total_ms", a.Timing.TotalMS)
	o.B = t.Close()
	o.StrOmit("error", a.Error)
	o.Bool("retry", a.Retry)
	if a.NextAttemptAt != nil {
		o.Time("next_attempt_at", *a.NextAttemptAt)
	}
	o.Time("started_at", a.StartedAt)
	return o.Close()
}

// fillAttempts puts back into d's attempts what their row form left out.
func fillAttempts(d *sender.Delivery) {
	for i := range d.AttemptLog {
		a := &d.AttemptLog[i]
		if a.DeliveryID == "" {
			a.DeliveryID = d.ID
		}
		if a.RunID == "" {
			a.RunID = d.RunID
		}
		if a.Method == "" {
			a.Method = http.MethodPost
		}
		if a.URL == "" {
			a.URL = d.URL
		}
		if a.RequestHeaders == nil {
			a.RequestHeaders = d.Headers
		}
		if a.RequestBody == nil {
			a.RequestBody = d.Body
		}
	}
}

func appendHeaders(b []byte, hs []sender.Header) []byte {
	if hs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, h := range hs {
		if i > 0 {
			b = append(b, ',')
		}
		o := jsonw.Open(b)
		o.Str("name", h.Name)
		o.Str("value", h.Value)
		b = o.Close()
	}
	return append(b, ']')
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.String(b, s)
	}
	return append(b, ']')
}

// appendDecision appends d. A decision of Policy.Explain (with failures
// and the rest of the checks), or with a check value of an unexpected
// type, goes through encoding/json.
func appendDecision(b []byte, d *config.Decision) []byte {
	if len(d.Failed) > 0 || len(d.Rest) > 0 || d.AddressNotRun || !simpleChecks(d.Checks) {
		out, err := Marshal(d)
		if err != nil {
			return append(b, "null"...)
		}
		return append(b, out...)
	}
	o := jsonw.Open(b)
	o.Str("url", d.URL)
	o.Bool("allowed", d.Allowed)
	o.Str("rule", d.Rule)
	o.Str("message", d.Message)
	o.StrOmit("hint", d.Hint)
	o.BoolOmit("relative", d.Relative)
	o.Key("checks")
	if d.Checks == nil {
		o.B = append(o.B, "null"...)
		return o.Close()
	}
	o.B = append(o.B, '[')
	for i, c := range d.Checks {
		if i > 0 {
			o.B = append(o.B, ',')
		}
		co := jsonw.Open(o.B)
		co.Str("rule", c.Rule)
		co.Bool("passed", c.Passed)
		co.Key("value")
		co.B = appendValue(co.B, c.Value)
		co.Str("source", c.Source)
		co.StrOmit("detail", c.Detail)
		o.B = co.Close()
	}
	o.B = append(o.B, ']')
	return o.Close()
}

// simpleChecks reports whether every check value is of a type
// appendValue writes.
func simpleChecks(cs []config.Check) bool {
	for _, c := range cs {
		switch c.Value.(type) {
		case nil, bool, int, string, []int, []string:
		default:
			return false
		}
	}
	return true
}

// appendValue appends one of the check value types simpleChecks accepts.
func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case string:
		return jsonw.String(b, v)
	case []int:
		if v == nil {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i, n := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(n), 10)
		}
		return append(b, ']')
	case []string:
		if v == nil {
			return append(b, "null"...)
		}
		return appendStrings(b, v)
	}
	return append(b, "null"...)
}

// decodeDelivery reads a delivery's data column (JSON in either form;
// rows are decompressed by the caller) and fills in what the row form
// leaves to the other columns.
func decodeDelivery(data []byte, cols sender.Delivery) (sender.Delivery, error) {
	var d sender.Delivery
	if err := json.Unmarshal(data, &d); err != nil {
		return d, err
	}
	d.ID, d.RunID, d.URL, d.Outcome = cols.ID, cols.RunID, cols.URL, cols.Outcome
	d.CreatedAt, d.UpdatedAt = cols.CreatedAt, cols.UpdatedAt
	fillAttempts(&d)
	return d, nil
}
