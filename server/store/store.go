package store

import (
	"context"
	"log/slog"
	"time"

	"hooklab/server/hub"
)

// STUB: the store helper replaces this file with the real implementation.

// Options configure a Store.
type Options struct {
	Publish  func(hub.Event) // called with each event after it is committed, in Seq order
	OnError  func(error)     // called when a batch cannot be written (disk full, read-only)
	ReadOnly bool            // open for reading only (history, while another hooklab owns the file)
	Logger   *slog.Logger
	Now      func() time.Time
}

// Stats counts the writer's work.
type Stats struct {
	Queued, Written, Batches, Errors uint64
}

// Store is the SQLite store.
type Store struct{ o Options }

// Open opens or creates the store at path (":memory:" for a private in-memory one).
func Open(path string, o Options) (*Store, error) { return &Store{o: o}, nil }

// DefaultPath is $XDG_STATE_HOME/hooklab/hooklab.db (or ~/.local/state/...).
func DefaultPath(getenv func(string) string) string { return "" }

// OwnerAddr returns the address of the running hooklab that owns the store at path, if any.
func OwnerAddr(path string) (string, bool) { return "", false }

// SetOwnerAddr records the address this process serves the store on.
func (s *Store) SetOwnerAddr(addr string) error { return nil }

// Path is the file the store lives in.
func (s *Store) Path() string { return "" }

// Close flushes queued writes and closes the database.
func (s *Store) Close() error { return nil }

// Put queues an upsert of r into t.
func (s *Store) Put(t Table, r Record) {}

// Delete queues the removal of id from t.
func (s *Store) Delete(t Table, id string) {}

// Load returns every record of t.
func (s *Store) Load(t Table) ([]Record, error) { return nil, nil }

// Append queues an event; it is published after it is committed.
func (s *Store) Append(kind hub.Kind, payload any) {}

// Events returns stored events matching q, oldest first.
func (s *Store) Events(ctx context.Context, q Query) ([]hub.Event, error) { return nil, nil }

// LastSeq is the highest committed sequence number.
func (s *Store) LastSeq() uint64 { return 0 }

// PutDelivery queues an upsert of d.
func (s *Store) PutDelivery(d Delivery) {}

// Delivery returns one delivery.
func (s *Store) Delivery(ctx context.Context, id string) (Delivery, error) {
	return Delivery{}, ErrNotFound
}

// Deliveries lists deliveries, newest first.
func (s *Store) Deliveries(ctx context.Context, q DeliveryQuery) ([]Delivery, error) {
	return nil, nil
}

// Unfinished lists deliveries still pending (to resume after a restart).
func (s *Store) Unfinished(ctx context.Context) ([]Delivery, error) { return nil, nil }

// Flush waits until everything queued before the call is committed.
func (s *Store) Flush(ctx context.Context) error { return nil }

// Err is the last write error, nil when the store is healthy.
func (s *Store) Err() error { return nil }

// Stats reports the writer's counters.
func (s *Store) Stats() Stats { return Stats{} }
