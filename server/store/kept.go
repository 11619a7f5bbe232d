package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"
)

// Kept is how much history a store holds, for `hooklab history`, the
// health check and the dashboard's header.
type Kept struct {
	Runs int64 `json:"runs"` // runs whose history is kept
	// Bytes is the store's size on disk: the database, its WAL and shared
	// memory, and the delivery journal (0 for an in-memory store).
	Bytes  int64     `json:"bytes"`
	Oldest time.Time `json:"oldest,omitzero"` // the oldest event kept
	// MaxBytes and MaxAgeSeconds are the limits in force (0: none).
	MaxBytes      int64   `json:"max_bytes,omitempty"`
	MaxAgeSeconds float64 `json:"max_age_seconds,omitempty"`
	// PrunedUntil is the time of the newest event pruned, zero when
	// nothing was.
	PrunedUntil time.Time `json:"pruned_until,omitzero"`
}

// Kept reports what the store holds now (committed writes; it does not
// wait for queued ones).
func (s *Store) Kept(ctx context.Context) (Kept, error) {
	if err := s.checkOpen(); err != nil {
		return Kept{}, err
	}
	k := Kept{MaxBytes: s.o.MaxBytes, MaxAgeSeconds: s.o.MaxAge.Seconds()}
	if s.memory {
		k.MaxBytes, k.MaxAgeSeconds = 0, 0
	}
	err := s.rdb.QueryRowContext(ctx, "SELECT CAST(value AS INTEGER) FROM hooklab_meta WHERE key = 'runs'").Scan(&k.Runs)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Kept{}, s.readErr(err)
	}
	var oldest int64
	err = s.rdb.QueryRowContext(ctx, "SELECT time FROM events ORDER BY seq LIMIT 1").Scan(&oldest)
	switch {
	case err == nil:
		k.Oldest = time.Unix(0, oldest).UTC()
	case !errors.Is(err, sql.ErrNoRows):
		return Kept{}, s.readErr(err)
	}
	if u := s.prunedUntil.Load(); u > 0 {
		k.PrunedUntil = time.Unix(0, u).UTC()
	}
	if !s.memory {
		j := journalPaths(s.path)
		for _, p := range []string{s.path, s.path + "-wal", s.path + "-shm", j[0], j[1]} {
			if fi, err := os.Stat(p); err == nil {
				k.Bytes += fi.Size()
			}
		}
	}
	return k, nil
}

// PrunedError is a delivery the store does not hold, after it pruned
// history: the delivery may have been among what went. It matches
// ErrNotFound with errors.Is.
type PrunedError struct {
	ID    string    // the id or prefix asked for
	Until time.Time // the newest event pruned
}

// Error says what was asked for and what was pruned.
func (e *PrunedError) Error() string {
	return fmt.Sprintf("delivery %s: %v: %s", e.ID, ErrNotFound, e.Why())
}

// Why says what was pruned, for a message about the delivery.
func (e *PrunedError) Why() string {
	return fmt.Sprintf("the history up to %s was pruned to stay within its limits (hooklab dev --max-history, --max-age), and it may have been there",
		e.Until.Local().Format("2006-01-02 15:04:05"))
}

// Is makes errors.Is(err, ErrNotFound) hold.
func (e *PrunedError) Is(target error) bool { return target == ErrNotFound }

// notFound is the error for a delivery id (or prefix) the store does not
// hold: a *PrunedError once history was pruned.
func (s *Store) notFound(id string) error {
	if u := s.prunedUntil.Load(); u > 0 {
		return &PrunedError{ID: id, Until: time.Unix(0, u).UTC()}
	}
	return fmt.Errorf("delivery %s: %w", id, ErrNotFound)
}
