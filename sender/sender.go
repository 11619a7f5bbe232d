// Package sender delivers webhooks the way LangGraph Platform does: the
// run payload, the URL policy, static headers, retries and redirects, with
// every decision and attempt recorded.
package sender

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"hooklab/config"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// STUB: the sender helper replaces this file with the real implementation.

// Recorder is what the sender needs from the store. *store.Store satisfies it.
type Recorder interface {
	Append(kind hub.Kind, payload any)
	PutDelivery(d store.Delivery)
	Delivery(ctx context.Context, id string) (store.Delivery, error)
	Unfinished(ctx context.Context) ([]store.Delivery, error)
}

// Options configure a Sender.
type Options struct {
	Recorder       Recorder
	Runtime        func() *config.Runtime // the config in force (swapped on live edits)
	Local          http.Handler           // where relative URLs are dispatched
	Workers        int                    // default 64
	Queue          int                    // default 4096
	Resolver       config.Resolver        // nil: net.DefaultResolver
	Version        string
	Logger         *slog.Logger
	Backoff        func(attempt int) time.Duration // nil: the platform's 1-2 s, 2-3 s
	ConnectTimeout time.Duration                   // default 5 s
	Timeout        time.Duration                   // default 30 s
	Now            func() time.Time
}

// RunError is the structured error of a failed run.
type RunError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// RunResult is a finished run, as the payload needs it.
type RunResult struct {
	RunID             string
	ThreadID          string
	AssistantID       string
	CronID            string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Metadata          json.RawMessage
	Kwargs            json.RawMessage
	MultitaskStrategy string
	Status            string
	StartedAt         time.Time
	EndedAt           time.Time
	Values            json.RawMessage // nil: null
	Error             *RunError
}

// Job is one webhook to deliver.
type Job struct {
	URL string
	Run RunResult
}

// Replay asks for a stored delivery to be sent again.
type Replay struct {
	ID      string          `json:"id"`
	URL     string          `json:"url,omitempty"`
	Body    json.RawMessage `json:"body,omitempty"`
	Headers []hub.HeaderKV  `json:"headers,omitempty"`
}

// Sender delivers webhooks through a bounded worker pool.
type Sender struct{ o Options }

// New returns a Sender; call Start before Send.
func New(o Options) *Sender { return &Sender{o: o} }

// SetLocal sets the handler relative URLs are dispatched into.
func (s *Sender) SetLocal(h http.Handler) { s.o.Local = h }

// Start runs the workers until Close and resumes unfinished deliveries.
func (s *Sender) Start(ctx context.Context) error { return nil }

// Send queues j, waiting while the queue is full. It returns the delivery id.
func (s *Sender) Send(ctx context.Context, j Job) (string, error) { return "", nil }

// Replay sends a stored delivery again and waits for its outcome.
func (s *Sender) Replay(ctx context.Context, r Replay) (store.Delivery, error) {
	return store.Delivery{}, nil
}

// Close stops taking work, drains in-flight deliveries until ctx ends, and
// records what is left as pending.
func (s *Sender) Close(ctx context.Context) error { return nil }
