package hub

import (
	"encoding/json"
	"time"

	"hooklab/config"
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

// DecisionInfo is the payload of a KindDecision event.
type DecisionInfo struct {
	Stage      string          `json:"stage"` // "create", "send", "redirect", "test" or "replay"
	DeliveryID string          `json:"delivery_id,omitempty"`
	RunID      string          `json:"run_id,omitempty"`
	Decision   config.Decision `json:"decision"`
}

// Timing splits an attempt's duration. Zero means the phase did not happen.
type Timing struct {
	DialMS      float64 `json:"dial_ms"`
	TLSMS       float64 `json:"tls_ms"`
	FirstByteMS float64 `json:"first_byte_ms"`
	TotalMS     float64 `json:"total_ms"`
}

// HeaderKV is one HTTP header line. Values of secret headers are masked.
type HeaderKV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// AttemptInfo is the payload of a KindAttempt event: one POST as sent and
// what came back.
type AttemptInfo struct {
	DeliveryID      string          `json:"delivery_id"`
	RunID           string          `json:"run_id,omitempty"`
	Attempt         int             `json:"attempt"` // 1-based
	Method          string          `json:"method"`
	URL             string          `json:"url"`
	RequestHeaders  []HeaderKV      `json:"request_headers"`
	RequestBody     json.RawMessage `json:"request_body,omitempty"`
	Status          int             `json:"status,omitempty"`
	ResponseHeaders []HeaderKV      `json:"response_headers,omitempty"`
	ResponseBody    string          `json:"response_body,omitempty"` // first 64 KiB
	Truncated       bool            `json:"truncated,omitempty"`
	Redirects       []string        `json:"redirects,omitempty"` // hops followed, in order
	Timing          Timing          `json:"timing"`
	Error           string          `json:"error,omitempty"`
	Retry           bool            `json:"retry"`                     // another attempt will follow
	NextAttemptAt   *time.Time      `json:"next_attempt_at,omitempty"` // when it will
	StartedAt       time.Time       `json:"started_at"`
}

// DeliveryInfo is the payload of a KindDelivery event: the summary of a
// delivery after it changed state.
type DeliveryInfo struct {
	ID         string  `json:"id"`
	RunID      string  `json:"run_id,omitempty"`
	ThreadID   string  `json:"thread_id,omitempty"`
	URL        string  `json:"url"`
	Outcome    string  `json:"outcome"` // pending, delivered, failed, refused, skipped, interrupted
	Reason     string  `json:"reason,omitempty"`
	Attempts   int     `json:"attempts"`
	Status     int     `json:"status,omitempty"` // last HTTP status
	DurationMS float64 `json:"duration_ms,omitempty"`
	ReplayOf   string  `json:"replay_of,omitempty"`
}

// RunInfo is the payload of a KindRun event.
type RunInfo struct {
	RunID       string `json:"run_id"`
	ThreadID    string `json:"thread_id,omitempty"`
	AssistantID string `json:"assistant_id"`
	Status      string `json:"status"`
	Webhook     string `json:"webhook,omitempty"`
	Error       string `json:"error,omitempty"`
	CronID      string `json:"cron_id,omitempty"`
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
