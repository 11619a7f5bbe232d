package store

import (
	"bytes"
	"encoding/json"
	"log/slog"

	"hooklab/sender"
	"hooklab/server/hub"
)

// opKind says what a queued op does.
type opKind uint8

const (
	opEvent opKind = iota
	opPut
	opDelete
	opDelivery
)

// op is one queued write. Everything it holds was copied or marshalled on
// the caller's goroutine, so later changes by the caller cannot race with
// the writer.
type op struct {
	kind    opKind
	table   Table    // opPut, opDelete
	id      string   // object or delivery id
	parent  string   // opPut
	data    []byte   // object JSON, event payload or delivery JSON
	value   any      // opPut from PutValue: marshalled by the writer, once per batch
	payload any      // opEvent: the value data encodes, published beside it (hub.Event.Value)
	evKind  hub.Kind // opEvent
	time    int64    // opEvent: unix ns
	newRun  bool     // opEvent: a run's first event (the history's count of runs)
	runID   string   // opDelivery
	url     string   // opDelivery
	outcome string   // opDelivery
	created int64    // opDelivery: unix ns
	updated int64    // opDelivery: unix ns
}

// opOverhead approximates an op's memory beyond its strings and data, for
// the backlog bound.
const opOverhead = 192

// size is what o costs in the backlog.
func (o *op) size() int64 {
	n := int64(opOverhead + len(o.data) + len(o.id) + len(o.parent) + len(o.url) + len(o.runID))
	if o.payload != nil {
		n += int64(len(o.data)) // the typed payload, about as big as its encoding
	}
	if d, ok := o.value.(sender.Delivery); ok {
		n += int64(len(d.Body)) + valueEstimate
	} else if o.value != nil {
		n += valueEstimate
	}
	return n
}

// enqueue hands o to the writer. It never waits for the disk itself. Above
// Options.MaxBacklog it waits for the writer to catch up while the disk is
// healthy but slow (backpressure, bounded memory), and drops the write
// (Stats.Dropped) while the disk is failing, so the API keeps answering.
func (s *Store) enqueue(o op) (ticket uint64) {
	size := o.size()
	s.mu.Lock()
	if s.readOnly {
		if s.failing == nil {
			s.failing = ErrReadOnly
		}
		s.mu.Unlock()
		s.stats.dropped.Add(1)
		return 0
	}
	for s.backlog > s.o.MaxBacklog && !s.closing {
		if s.failing != nil {
			// The disk is failing, not just slow: waiting would freeze the
			// API for as long as the disk stays broken. Shed instead, and
			// say so once per failure period.
			first := !s.shedding
			s.shedding = true
			s.mu.Unlock()
			s.stats.dropped.Add(1)
			if first {
				s.log.Error("store: backlog full while writes fail; dropping new writes until the store recovers",
					slog.String("path", s.path), slog.Int64("max_backlog", s.o.MaxBacklog))
			}
			return 0
		}
		ch := s.changed
		s.mu.Unlock()
		<-ch
		s.mu.Lock()
	}
	if s.closing {
		s.mu.Unlock()
		s.stats.dropped.Add(1)
		s.log.Warn("store: write after close dropped", slog.String("id", o.id), slog.String("kind", string(o.evKind)))
		return 0
	}
	s.queue = append(s.queue, o)
	s.enq++
	ticket = s.enq
	s.backlog += size
	s.mu.Unlock()
	s.stats.queued.Add(1)
	wake(s.writerWake)
	return ticket
}

// valueEstimate is what an unmarshalled PutValue is assumed to weigh.
const valueEstimate = 2048

// PutValue queues an upsert of v, encoded as JSON, into t. The writer
// encodes it at commit, after coalescing: an object put several times in
// one batch is encoded once, and one deleted in the same batch never is.
// v must not change after the call (pass a snapshot).
func (s *Store) PutValue(t Table, id, parent string, v any) {
	if !knownTable(t) {
		s.stats.dropped.Add(1)
		s.log.Error("store: put into unknown table", slog.String("table", string(t)), slog.String("id", id))
		return
	}
	s.enqueue(op{kind: opPut, table: t, id: id, parent: parent, value: v})
}

// Put queues an upsert of r into t. r.Data is copied.
func (s *Store) Put(t Table, r Record) {
	if !knownTable(t) {
		s.stats.dropped.Add(1)
		s.log.Error("store: put into unknown table", slog.String("table", string(t)), slog.String("id", r.ID))
		return
	}
	s.enqueue(op{kind: opPut, table: t, id: r.ID, parent: r.Parent, data: bytes.Clone(r.Data)})
}

// Delete queues the removal of id from t.
func (s *Store) Delete(t Table, id string) {
	if !knownTable(t) {
		s.stats.dropped.Add(1)
		s.log.Error("store: delete from unknown table", slog.String("table", string(t)), slog.String("id", id))
		return
	}
	s.enqueue(op{kind: opDelete, table: t, id: id})
}

// Append queues an event; it is published after it is committed.
// The payload is encoded as JSON now, on the caller's goroutine; the
// event's Time is Options.Now() now, in UTC.
func (s *Store) Append(kind hub.Kind, payload any) {
	b, ok := appendPayload(make([]byte, 0, 256), payload)
	var err error
	if !ok {
		b, err = Marshal(payload)
	}
	if err != nil {
		// Keep the event (its kind and time still tell a story) and say why
		// the payload is missing rather than dropping it silently.
		s.log.Error("store: event payload", slog.String("kind", string(kind)), slog.Any("err", err))
		b, _ = json.Marshal(map[string]string{"error": "payload could not be encoded: " + err.Error()})
	}
	ri, isRun := payload.(hub.RunInfo)
	newRun := isRun && ri.Status == "pending" && ri.ThreadID != ""
	s.enqueue(op{kind: opEvent, evKind: kind, data: b, payload: payload, time: s.o.Now().UnixNano(), newRun: newRun})
}

// PutDelivery queues an upsert of d. A zero CreatedAt or UpdatedAt is set
// to Options.Now() first. d is encoded by the writer at commit, after
// coalescing (a delivery usually goes pending -> delivered within one
// batch, and is then encoded once); its slices must only ever be replaced
// or appended to by the caller, never changed in place.
func (s *Store) PutDelivery(d sender.Delivery) {
	now := s.o.Now()
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = now
	}
	ticket := s.enqueue(op{
		kind: opDelivery, id: d.ID, value: d, runID: d.RunID, url: d.URL, outcome: d.Outcome,
		created: d.CreatedAt.UnixNano(), updated: d.UpdatedAt.UnixNano(),
	})
	s.supersedeJournal(d.ID, ticket)
}
