package hub

import (
	"encoding/json"
	"time"

	"hooklab/sender"
)

// The sender's own payloads: what it decided, each attempt and each
// change of a delivery. It defines them; the hub names them with the rest.
type (
	DecisionInfo = sender.DecisionInfo // KindDecision
	AttemptInfo  = sender.Attempt      // KindAttempt
	DeliveryInfo = sender.DeliveryInfo // KindDelivery
	HeaderKV     = sender.Header       // one header line, secret values masked
	Timing       = sender.Timing       // an attempt's phases
)

// RequestInfo is the payload of a KindRequest event: one API request served.
type RequestInfo struct {
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	Query       string          `json:"query,omitempty"`
	Status      int             `json:"status"`
	DurationMS  float64         `json:"duration_ms"`
	Body        json.RawMessage `json:"body,omitempty"`        // request body (first 64 KiB, JSON only)
	Detail      string          `json:"detail,omitempty"`      // the error detail of a 4xx/5xx answer
	RunID       string          `json:"run_id,omitempty"`      // the run this request created, if any
	NonStandard string          `json:"nonstandard,omitempty"` // why the path is not the platform's (e.g. /thread/ alias)
}

// RunInfo is the payload of a KindRun event.
type RunInfo struct {
	RunID       string `json:"run_id"`
	ThreadID    string `json:"thread_id,omitempty"`
	AssistantID string `json:"assistant_id,omitempty"` // with thread_id and webhook, only on a run's first event
	Status      string `json:"status"`
	Webhook     string `json:"webhook,omitempty"`
	Error       string `json:"error,omitempty"`
	CronID      string `json:"cron_id,omitempty"`
	Upstream    string `json:"upstream,omitempty"` // the upstream server's URL, for a run hooklab forwarded
}

// UpstreamInfo is the payload of a KindUpstream event, and the upstream's
// status as the dashboard header shows it.
type UpstreamInfo struct {
	URL       string    `json:"url"`
	Version   string    `json:"version,omitempty"` // from the upstream's /info, e.g. "langgraph-js 2.0.0"
	PID       int       `json:"pid,omitempty"`     // the child process hooklab started, if any
	Reachable bool      `json:"reachable"`
	Detail    string    `json:"detail,omitempty"` // why it is not reachable, or what changed
	Since     time.Time `json:"since,omitzero"`   // when Reachable last changed
	Observing int       `json:"observing"`        // runs whose end hooklab is waiting for
}

// ConfigInfo is the payload of a KindConfig event.
type ConfigInfo struct {
	Action string `json:"action"` // "loaded", "applied", "saved", "refused", "reload-failed"
	Path   string `json:"path,omitempty"`
	Error  string `json:"error,omitempty"`
}

// SinkInfo is the payload of a KindSink event: a request the built-in sink
// captured.
type SinkInfo struct {
	Name    string          `json:"name"`
	Method  string          `json:"method"`
	Path    string          `json:"path"`
	Query   string          `json:"query,omitempty"`
	Headers []HeaderKV      `json:"headers"`
	Body    json.RawMessage `json:"body,omitempty"` // JSON bodies as-is, others as a JSON string
	Status  int             `json:"status"`
	DelayMS int             `json:"delay_ms,omitempty"`
}

// CronInfo is the payload of a KindCron event.
type CronInfo struct {
	CronID string `json:"cron_id"`
	Action string `json:"action"` // "created", "fired", "updated", "deleted", "ended"
	RunID  string `json:"run_id,omitempty"`
	Error  string `json:"error,omitempty"`
}

// NoticeInfo is the payload of a KindNotice event.
type NoticeInfo struct {
	Level string `json:"level"` // "info", "warn", "error"
	Text  string `json:"text"`
}
