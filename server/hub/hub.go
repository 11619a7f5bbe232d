// Package hub fans hooklab's events out to live subscribers: the dashboard
// and every websocket client.
//
// Delivery semantics: events reach the hub only after the store has committed
// them, so Event.Seq is the store's order and is strictly increasing. Publish
// never blocks. Each subscriber owns a bounded buffer; when it is full the
// event is dropped for that subscriber alone, its drop counter goes up and it
// is marked lagged. A lagged subscriber is expected to resync from the store
// (History with since = the last Seq it saw) rather than trust its channel;
// the hub itself never replays. A Subscription closes when its context ends,
// when Close is called, or when the hub closes.
package hub

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"hooklab/sender"
)

// Kind names what an Event describes. It is a plain string so that
// packages below the hub (the sender) can name their own kinds.
type Kind = string

// The kinds of event hooklab records.
const (
	KindRequest  Kind = "request"           // an API request served (RequestInfo)
	KindDecision Kind = sender.KindDecision // a URL-policy decision (DecisionInfo)
	KindAttempt  Kind = sender.KindAttempt  // one webhook POST attempt (AttemptInfo)
	KindDelivery Kind = sender.KindDelivery // a delivery's state changed (DeliveryInfo)
	KindRun      Kind = "run"               // a run's status changed (RunInfo)
	KindConfig   Kind = "config"            // the webhooks config was applied, saved or refused (ConfigInfo)
	KindSink     Kind = "sink"              // the built-in sink captured a request (SinkInfo)
	KindCron     Kind = "cron"              // a cron was created, fired, changed or deleted (CronInfo)
	KindNotice   Kind = "notice"            // something the user should know (NoticeInfo)
	KindUpstream Kind = "upstream"          // the upstream server's state changed (UpstreamInfo)
)

// Event is one thing hooklab saw. The same value is stored, sent to the
// dashboard and sent over the websocket feed.
type Event struct {
	Seq     uint64          `json:"seq"`
	Time    time.Time       `json:"time"`
	Kind    Kind            `json:"kind"`
	Payload json.RawMessage `json:"payload"`
	// Value is the payload as its publisher gave it, before it was
	// encoded into Payload: in process only (nil once the event went
	// through JSON), so a subscriber in the same process can skip decoding.
	// Read only.
	Value any `json:"-"`
}

// Decode unmarshals the payload into v.
func (e Event) Decode(v any) error { return json.Unmarshal(e.Payload, v) }

// DefaultBuffer is the per-subscriber buffer used when Subscribe is given 0.
const DefaultBuffer = 4096

// Hub is a non-blocking fan-out of events to subscribers.
type Hub struct {
	mu     sync.RWMutex
	subs   map[*Subscription]struct{}
	closed bool
	last   atomic.Uint64
}

// New returns an empty hub.
func New() *Hub { return &Hub{subs: make(map[*Subscription]struct{})} }

// Publish hands e to every subscriber without blocking.
func (h *Hub) Publish(e Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return
	}
	if e.Seq > h.last.Load() {
		h.last.Store(e.Seq)
	}
	for s := range h.subs {
		s.offer(e)
	}
}

// LastSeq is the highest sequence number published so far.
func (h *Hub) LastSeq() uint64 { return h.last.Load() }

// Subscribe registers a subscriber with a buffer of size buffer (0 means
// DefaultBuffer). The subscription ends when ctx is done or Close is called.
func (h *Hub) Subscribe(ctx context.Context, buffer int) *Subscription {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	s := &Subscription{hub: h, ch: make(chan Event, buffer), done: make(chan struct{})}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		s.Close()
		return s
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	context.AfterFunc(ctx, s.Close)
	return s
}

// Subscribers reports how many subscriptions are open.
func (h *Hub) Subscribers() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs)
}

// Close ends every subscription; later publishes are ignored.
func (h *Hub) Close() {
	h.mu.Lock()
	subs := h.subs
	h.subs = map[*Subscription]struct{}{}
	h.closed = true
	h.mu.Unlock()
	for s := range subs {
		s.Close()
	}
}

// Subscription is one subscriber's view of the hub.
type Subscription struct {
	hub     *Hub
	ch      chan Event
	done    chan struct{}
	once    sync.Once
	mu      sync.Mutex // guards sends on ch against close
	closed  bool
	lagged  atomic.Bool
	dropped atomic.Uint64
}

func (s *Subscription) offer(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- e:
	default:
		s.dropped.Add(1)
		s.lagged.Store(true)
	}
}

// C is the channel of events; it is closed when the subscription ends.
func (s *Subscription) C() <-chan Event { return s.ch }

// Done is closed when the subscription ends.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Lagged reports whether any event was dropped for this subscriber.
func (s *Subscription) Lagged() bool { return s.lagged.Load() }

// Dropped is the number of events dropped for this subscriber.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// ClearLag resets the lagged flag after the subscriber has resynced from the
// store. The drop counter keeps its total.
func (s *Subscription) ClearLag() { s.lagged.Store(false) }

// Close ends the subscription. It is safe to call more than once.
func (s *Subscription) Close() {
	s.once.Do(func() {
		if s.hub != nil {
			s.hub.mu.Lock()
			delete(s.hub.subs, s)
			s.hub.mu.Unlock()
		}
		s.mu.Lock()
		s.closed = true
		close(s.ch)
		s.mu.Unlock()
		close(s.done)
	})
}
