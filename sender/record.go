package sender

import (
	"context"
	"encoding/json"
	"time"

	"hooklab/config"
)

// The kinds of event the sender reports through Recorder.Append, with the
// payload each carries.
const (
	KindDecision = "decision" // a URL-policy decision (DecisionInfo)
	KindAttempt  = "attempt"  // one POST attempt (Attempt)
	KindDelivery = "delivery" // a delivery changed state (DeliveryInfo)
)

// Recorder is where the sender keeps its deliveries and reports what it
// did. The history store satisfies it: it stores each event, then
// publishes it to the dashboard and the feed.
type Recorder interface {
	// Append records an event of kind with its payload.
	Append(kind string, payload any)
	// PutDelivery saves d (replacing the record with the same ID).
	PutDelivery(d Delivery)
	// Journal makes d durable at once, before its webhook leaves, where
	// PutDelivery's write may still wait for a group commit.
	Journal(d Delivery)
	// Delivery reads one delivery back; an unknown id is an error for
	// which the caller's errors.Is finds the store's not-found error.
	Delivery(ctx context.Context, id string) (Delivery, error)
	// Unfinished lists the deliveries still pending, oldest first.
	Unfinished(ctx context.Context) ([]Delivery, error)
}

// Delivery outcomes.
const (
	OutcomePending     = "pending"     // queued, in flight or waiting to retry
	OutcomeDelivered   = "delivered"   // a 2xx came back
	OutcomeFailed      = "failed"      // attempts exhausted or a non-retryable answer
	OutcomeRefused     = "refused"     // the URL policy said no; nothing was sent
	OutcomeSkipped     = "skipped"     // webhooks disabled (http.disable_webhooks)
	OutcomeInterrupted = "interrupted" // hooklab stopped before it finished and could not resume it
)

// Delivery is one webhook delivery: the request hooklab built for a run (or a
// replay) and every attempt to send it. Header values that came from
// templates are stored masked; SecretHeaders names them so a replay can
// re-resolve them from the environment.
type Delivery struct {
	ID            string   `json:"id"`
	RunID         string   `json:"run_id"`
	ThreadID      string   `json:"thread_id,omitempty"`
	CronID        string   `json:"cron_id,omitempty"`
	URL           string   `json:"url"`
	Outcome       string   `json:"outcome"`
	Reason        string   `json:"reason,omitempty"`
	Attempts      int      `json:"attempts"`
	Status        int      `json:"status,omitempty"`
	DurationMS    float64  `json:"duration_ms,omitempty"`
	ReplayOf      string   `json:"replay_of,omitempty"`
	Headers       []Header `json:"headers"`
	SecretHeaders []string `json:"secret_headers,omitempty"`
	// HeaderTemplates are the templates the secret headers came from, as
	// configured when the delivery was made, so an export can print
	// ${VAR} references whatever config is in force later.
	HeaderTemplates []config.Header `json:"header_templates,omitempty"`
	// Origin is http://host:port of the hooklab that sent a relative URL
	// (into its own handler); "" for absolute URLs, or when it did not serve.
	Origin        string           `json:"origin,omitempty"`
	Body          json.RawMessage  `json:"body"`
	Decision      *config.Decision `json:"decision,omitempty"`
	AttemptLog    []Attempt        `json:"attempt_log,omitempty"`
	NextAttemptAt *time.Time       `json:"next_attempt_at,omitempty"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
}

// Info is the summary of d carried by a KindDelivery event.
func (d Delivery) Info() DeliveryInfo {
	return DeliveryInfo{
		ID: d.ID, RunID: d.RunID, ThreadID: d.ThreadID, URL: d.URL,
		Outcome: d.Outcome, Reason: d.Reason, Attempts: d.Attempts,
		Status: d.Status, DurationMS: d.DurationMS, ReplayOf: d.ReplayOf,
	}
}

// DeliveryInfo is the payload of a KindDelivery event: the summary of a
// delivery after it changed state.
type DeliveryInfo struct {
	ID         string  `json:"id"`
	RunID      string  `json:"run_id,omitempty"`
	ThreadID   string  `json:"thread_id,omitempty"`
	URL        string  `json:"url"`
	Outcome    string  `json:"outcome"` // one of the Outcome constants
	Reason     string  `json:"reason,omitempty"`
	Attempts   int     `json:"attempts"`
	Status     int     `json:"status,omitempty"` // last HTTP status
	DurationMS float64 `json:"duration_ms,omitempty"`
	ReplayOf   string  `json:"replay_of,omitempty"`
}

// DecisionInfo is the payload of a KindDecision event.
type DecisionInfo struct {
	Stage      string          `json:"stage"` // "create", "send", "redirect", "test" or "replay"
	DeliveryID string          `json:"delivery_id,omitempty"`
	RunID      string          `json:"run_id,omitempty"`
	Decision   config.Decision `json:"decision"`
}

// Header is one HTTP header line. Values of secret headers are masked.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Timing splits an attempt's duration. Zero means the phase did not happen.
type Timing struct {
	DialMS      float64 `json:"dial_ms"`
	TLSMS       float64 `json:"tls_ms"`
	FirstByteMS float64 `json:"first_byte_ms"`
	TotalMS     float64 `json:"total_ms"`
}

// Attempt is one POST as sent and what came back: an entry of a
// delivery's AttemptLog, and the payload of a KindAttempt event. The event
// carries no RequestBody: every attempt sends its delivery's Body, which
// is kept once, on the delivery.
type Attempt struct {
	DeliveryID      string          `json:"delivery_id"`
	RunID           string          `json:"run_id,omitempty"`
	Attempt         int             `json:"attempt"` // 1-based
	Method          string          `json:"method"`
	URL             string          `json:"url"`
	RequestHeaders  []Header        `json:"request_headers"`
	RequestBody     json.RawMessage `json:"request_body,omitempty"`
	Status          int             `json:"status,omitempty"`
	ResponseHeaders []Header        `json:"response_headers,omitempty"`
	ResponseBody    string          `json:"response_body,omitempty"` // first 64 KiB
	Truncated       bool            `json:"truncated,omitempty"`
	Redirects       []string        `json:"redirects,omitempty"` // hops followed, in order
	Timing          Timing          `json:"timing"`
	Error           string          `json:"error,omitempty"`
	Retry           bool            `json:"retry"`                     // another attempt will follow
	NextAttemptAt   *time.Time      `json:"next_attempt_at,omitempty"` // when it will
	StartedAt       time.Time       `json:"started_at"`
}

// FormatTime renders t the way the platform does: RFC 3339, microseconds,
// UTC as +00:00 (e.g. 2024-08-30T23:07:38.242730+00:00).
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000+00:00")
}

// event is a as a KindAttempt event carries it: without the body.
func (a Attempt) event() Attempt {
	a.RequestBody = nil
	return a
}
