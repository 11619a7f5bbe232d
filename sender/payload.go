package sender

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"

	"hooklab/sender/jsonw"
)

// Payload renders the webhook body for r exactly as the Python langgraph-api
// server does: compact JSON, keys in the platform's order, times in
// FormatTime's form, metadata and kwargs {} when absent, values null
// when absent, and error only when the run failed. When allowed is non-empty
// only those top-level keys are written, still in the platform's order.
func Payload(r RunResult, sentAt time.Time, allowed []string) []byte {
	b, _ := payload(r, sentAt, allowed)
	return b
}

// payload is Payload, and where webhook_sent_at's value starts in it (after
// its opening quote; -1 when allowed leaves it out), so the send time can
// be written over later without rendering the body again.
func payload(r RunResult, sentAt time.Time, allowed []string) ([]byte, int) {
	w := objWriter{
		b:       make([]byte, 0, 448+len(r.Metadata)+len(r.Kwargs)+len(r.Values)),
		allowed: allowed,
	}
	w.b = append(w.b, '{')
	w.str("run_id", r.RunID)
	w.str("thread_id", r.ThreadID)
	w.str("assistant_id", r.AssistantID)
	w.time("created_at", r.CreatedAt)
	w.time("updated_at", r.UpdatedAt)
	w.raw("metadata", r.Metadata, "{}")
	w.str("status", r.Status)
	w.raw("kwargs", r.Kwargs, "{}")
	w.str("multitask_strategy", r.MultitaskStrategy)
	w.time("run_started_at", r.StartedAt)
	w.time("run_ended_at", r.EndedAt)
	at := w.time("webhook_sent_at", sentAt)
	w.raw("values", r.Values, "null")
	if r.Error != nil && w.key("error") {
		w.b = append(w.b, `{"error":`...)
		w.b = appendString(w.b, r.Error.Error)
		w.b = append(w.b, `,"message":`...)
		w.b = appendString(w.b, r.Error.Message)
		w.b = append(w.b, '}')
	}
	return append(w.b, '}'), at
}

// objWriter appends the members of one JSON object, dropping keys that are
// not in allowed (when allowed is set).
type objWriter struct {
	b       []byte
	allowed []string
	n       int
}

func (w *objWriter) key(k string) bool {
	if len(w.allowed) > 0 && !slices.Contains(w.allowed, k) {
		return false
	}
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.n++
	w.b = appendString(w.b, k)
	w.b = append(w.b, ':')
	return true
}

// str writes v, or null when it is empty: the platform has no empty ids.
func (w *objWriter) str(k, v string) {
	if !w.key(k) {
		return
	}
	if v == "" {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = appendString(w.b, v)
}

// time writes t as FormatTime does, or null when it is zero, and returns
// where the time starts in w.b (-1 when it wrote none).
func (w *objWriter) time(k string, t time.Time) int {
	if !w.key(k) {
		return -1
	}
	if t.IsZero() {
		w.b = append(w.b, "null"...)
		return -1
	}
	w.b = append(w.b, '"')
	at := len(w.b)
	w.b = t.UTC().AppendFormat(w.b, "2006-01-02T15:04:05.000000+00:00")
	w.b = append(w.b, '"')
	return at
}

// raw writes v compacted, or def when v is empty or not valid JSON (a
// broken value must not break the whole body).
func (w *objWriter) raw(k string, v json.RawMessage, def string) {
	if !w.key(k) {
		return
	}
	w.b = appendRaw(w.b, v, def)
}

func appendRaw(b []byte, v []byte, def string) []byte {
	if len(bytes.TrimSpace(v)) == 0 {
		return append(b, def...)
	}
	n := len(b)
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, v); err != nil {
		return append(b[:n], def...)
	}
	return buf.Bytes()
}

// appendString writes s as a JSON string without HTML escaping, the way
// orjson (which the platform uses) does. Invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte { return jsonw.String(b, s) }

// SetSentAt returns body with its top-level webhook_sent_at value replaced
// by sentAt, every other byte (key order, spacing, nested values) kept as
// it was. A replay uses it so the replayed body equals the original apart
// from the send time. body is returned unchanged when it is not a JSON
// object or has no webhook_sent_at key (allowed_fields may have dropped it).
func SetSentAt(body []byte, sentAt time.Time) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return body
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return body
		}
		k, _ := tok.(string)
		start := dec.InputOffset() // just after the key; ':' not consumed yet
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return body
		}
		end := dec.InputOffset() // just after the value
		if k != "webhook_sent_at" {
			continue
		}
		i := int(start)
		for i < int(end) && (body[i] == ':' || body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r') {
			i++
		}
		out := make([]byte, 0, len(body)+8)
		out = append(out, body[:i]...)
		out = appendString(out, FormatTime(sentAt))
		return append(out, body[end:]...)
	}
	return body
}
