// Package sender delivers webhooks the way LangGraph Platform does: the
// run payload, the URL policy, static headers, retries and redirects, with
// every decision and attempt recorded.
//
// The platform's delivery: once per run, after it ends. The body is the
// Run object (run_id, thread_id, assistant_id, created_at, updated_at,
// metadata, status, kwargs, multitask_strategy) plus run_started_at,
// run_ended_at, webhook_sent_at, values (the thread's final state, null
// when there is none) and, on failure, error {"error", "message"}, as
// compact JSON with times in RFC 3339 with microseconds and +00:00;
// webhooks.allowed_fields keeps only the keys it names. It is a POST to
// the exact URL with Content-Type application/json and the configured
// headers on top. Connect timeout 5 s, whole request 30 s; 3 attempts in
// all, waiting 1-2 s then 2-3 s, retrying only timeouts, network errors,
// 5xx and 429; any other non-2xx fails at once. Redirects are followed up
// to 5 hops, each checked against the URL policy, which runs again just
// before sending and on the address actually dialled. A relative URL is
// dispatched into hooklab's own handler. With http.disable_webhooks
// nothing is sent and the delivery is recorded as skipped. There is no
// signature: a query token or a static header authenticates.
//
// Work flows through a bounded pool. Send takes one of Queue+Workers slots
// (blocking while none is free: back-pressure on the run executor instead
// of an unbounded goroutine per webhook) and holds it until the delivery
// ends. A delivery waiting to retry sits on a timer, not on a worker, and
// is put back on the queue when the timer fires; the queue has room for
// every slot, so that never blocks. One delivery's failure or slowness only
// ever costs its own worker for its own attempt.
package sender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"hooklab/config"
)

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
	Headers []Header        `json:"headers,omitempty"`
}

// ErrClosed is returned by Send once Close has been called.
var ErrClosed = errors.New("sender: closed")

// ErrInvalid marks a replay request that cannot be sent as asked (a bad
// header, a body that is not JSON, a secret header no longer configured):
// the caller's to fix, not a failure of hooklab.
var ErrInvalid = errors.New("invalid replay request")

// Sender delivers webhooks through a bounded worker pool.
type Sender struct {
	o         Options
	rec       Recorder
	transport *http.Transport
	rt        http.RoundTripper // transport plus in-process dispatch of relative URLs
	local     atomic.Pointer[http.Handler]

	slots chan struct{} // one per delivery accepted and not yet finished
	queue chan *task    // as large as slots, so a re-enqueue never blocks
	quit  chan struct{} // closed by Close: workers stop taking work

	base   context.Context // parent of every attempt; cancelled when Close gives up draining
	cancel context.CancelFunc

	mu      sync.Mutex
	closing bool
	started bool
	waiting map[*task]*time.Timer // deliveries waiting to retry

	decided decisions // the URL policy's recent decisions (admit.go)

	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New returns a Sender; call Start before Send.
func New(o Options) *Sender {
	if o.Workers <= 0 {
		o.Workers = 64
	}
	if o.Queue <= 0 {
		o.Queue = 4096
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Backoff == nil {
		o.Backoff = platformBackoff
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.Runtime == nil {
		o.Runtime = func() *config.Runtime { return &config.Runtime{} }
	}
	s := &Sender{
		o:       o,
		rec:     o.Recorder,
		slots:   make(chan struct{}, o.Queue+o.Workers),
		queue:   make(chan *task, o.Queue+o.Workers),
		quit:    make(chan struct{}),
		waiting: make(map[*task]*time.Timer),
	}
	if s.rec == nil {
		s.rec = nopRecorder{}
	}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.transport = s.newTransport()
	s.rt = &router{s: s}
	if o.Local != nil {
		s.SetLocal(o.Local)
	}
	return s
}

// SetLocal sets the handler relative URLs are dispatched into.
func (s *Sender) SetLocal(h http.Handler) { s.local.Store(&h) }

func (s *Sender) localHandler() http.Handler {
	if p := s.local.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *Sender) runtime() *config.Runtime {
	if rt := s.o.Runtime(); rt != nil {
		return rt
	}
	return &config.Runtime{}
}

// Send queues j, waiting while the queue is full. It returns the delivery id.
// The delivery is recorded as pending before Send returns, so a delivery
// accepted just as Close runs is resumed by the next Start.
func (s *Sender) Send(ctx context.Context, j Job) (string, error) {
	if s.isClosing() {
		return "", ErrClosed
	}
	t := s.jobTask(j)
	// Recorded before waiting for a slot: if hooklab stops (or is killed)
	// while the pool is full, the next Start finds it pending and sends it.
	s.rec.PutDelivery(t.d)
	s.rec.Append(KindDelivery, t.d.Info())
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return t.d.ID, ctx.Err()
	case <-s.quit:
		return t.d.ID, ErrClosed
	}
	t.slot = true
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		s.release(t) // recorded as pending: the next Start resumes it
		return t.d.ID, nil
	}
	s.queue <- t
	return t.d.ID, nil
}

func (s *Sender) jobTask(j Job) *task {
	rt := s.runtime()
	now := s.o.Now()
	run := j.Run
	t := &task{stage: "send", headers: jobHeaders(rt, s.o.Version)}
	t.d = Delivery{
		ID: uuid.NewString(), RunID: run.RunID, ThreadID: run.ThreadID, CronID: run.CronID,
		URL: j.URL, Outcome: OutcomePending, CreatedAt: now, UpdatedAt: now,
	}
	t.d.Body, t.sentAt = payload(run, now, rt.AllowedFields)
	t.d.Headers, t.d.SecretHeaders = recordHeaders(t.headers)
	t.d.HeaderTemplates = headerTemplates(rt, t.d.SecretHeaders)
	t.d.Origin = s.origin(j.URL)
	return t
}

// servedAddr is what a Recorder may also tell: the address its hooklab
// serves on (the history store knows it). A relative URL is dispatched
// into that hooklab, so a delivery keeps it to be exported as a full URL.
type servedAddr interface{ ServedAddr() string }

// origin is the base URL a relative webhook URL went to, "" for an
// absolute URL or when the Recorder cannot tell.
func (s *Sender) origin(url string) string {
	a, ok := s.rec.(servedAddr)
	if !strings.HasPrefix(url, "/") || !ok || a.ServedAddr() == "" {
		return ""
	}
	return "http://" + a.ServedAddr()
}

func (s *Sender) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

func (s *Sender) work() {
	defer s.wg.Done()
	for {
		select {
		case <-s.quit:
			return
		default:
		}
		select {
		case <-s.quit:
			return
		case t := <-s.queue:
			s.run(t)
		}
	}
}

// run gives t one step (policy gate and/or one attempt) on a worker.
func (s *Sender) run(t *task) {
	r := s.step(s.base, t)
	switch r.state {
	case stepRetry:
		s.schedule(t, r.wait)
	case stepAborted:
		s.persistPending(t)
		s.release(t)
	default:
		s.release(t)
	}
}

// schedule re-enqueues t after wait without holding a worker.
func (s *Sender) schedule(t *task, wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		s.persistPending(t)
		s.release(t)
		return
	}
	s.scheduleLocked(t, wait)
}

func (s *Sender) scheduleLocked(t *task, wait time.Duration) {
	// The callback takes s.mu, so it cannot see the map before t is in it.
	s.waiting[t] = time.AfterFunc(wait, func() { s.fire(t) })
}

func (s *Sender) fire(t *task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.waiting[t]; !ok {
		return // Close took it over
	}
	delete(s.waiting, t)
	s.queue <- t
}

func (s *Sender) release(t *task) {
	if t.slot {
		t.slot = false
		<-s.slots
	}
}

// nopRecorder stands in when no Recorder is configured.
type nopRecorder struct{}

func (nopRecorder) Append(string, any)   {}
func (nopRecorder) PutDelivery(Delivery) {}
func (nopRecorder) Journal(Delivery)     {}
func (nopRecorder) Delivery(_ context.Context, id string) (Delivery, error) {
	return Delivery{}, fmt.Errorf("delivery %s: no history is kept", id)
}
func (nopRecorder) Unfinished(context.Context) ([]Delivery, error) { return nil, nil }
