package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Retention: with Options.MaxBytes the history is kept within that many
// bytes on disk (the database, its WAL and shared memory, the journal),
// and with Options.MaxAge it keeps nothing older. The oldest runs go
// whole: their events, their deliveries (with their attempts) and what
// the journal holds of them. A run still running, a delivery still pending
// or retrying, and a delivery the journal still holds are never pruned;
// their runs wait for a later pass. Objects the LangGraph API serves
// (assistants, threads, runs, crons, store items) are not history and are
// never pruned.
//
// The writer goroutine prunes, between batches, in chunks of at most
// pruneChunk events, one transaction each: writes queue meanwhile (the
// API never waits for the writer), and no other connection contends for
// the database. Freed pages are reused by new rows, so the file stops
// growing at the limit; past it (a lowered limit, a burst between two
// checks) an incremental vacuum gives pages back to the file system.
const (
	pruneChunk = 1000
	pruneBurst = 4
	// pruneEvery is how often the size and age are checked at most, and
	// at least while the store is quiet.
	pruneEvery = time.Second
	// pruneScan bounds the scan for a pruned run's events past the chunk
	// (its delivery's last attempts and outcome, the request that created
	// it), and pruneLater how long after its last delivery update (or the
	// newest event pruned) they are looked for. One written later still
	// (a request event held up) has no run event left with it, so a later
	// chunk takes it.
	pruneScan  = 20000
	pruneLater = 20 * time.Millisecond
	// vacuumStep is how many free pages one incremental vacuum returns.
	vacuumStep = 2048
)

// pruner is the writer's retention state.
type pruner struct {
	budget   int64 // bytes the database may use (MaxBytes less what the WAL, the journal and the rest may take)
	low      int64 // what pruning brings it down to
	checkAt  int64 // bytes written since the last check that call for a new one
	written  int64
	next     time.Time // the next check, at the latest
	pending  bool      // over the limit or the age: prune again at once
	over     bool      // over the limit itself: prune before the next batch
	stalled  int       // chunks in a row that pruned nothing
	chunk    int       // events per chunk: small enough for the WAL of a small store
	pageSize int64
}

// pruning reports whether any limit is set.
func (s *Store) pruning() bool { return s.o.MaxBytes > 0 || s.o.MaxAge > 0 }

// setupPruner sizes the pruner for a file store.
func (s *Store) setupPruner() {
	if s.o.MaxBytes <= 0 {
		return
	}
	p := &s.pr
	// The WAL, the journal, shared memory, and the batch that may come
	// between two checks take the rest.
	reserve := 2*s.walBytes + 2*journalRotateFor(s.o.MaxBytes) + 256<<10 + s.o.MaxBytes/32
	p.budget = max(s.o.MaxBytes-reserve, s.o.MaxBytes/2)
	p.low = p.budget - p.budget/20
	p.checkAt = max(p.budget/128, 64<<10)
	p.chunk = int(min(max(p.budget/10000, 250), pruneChunk))
}

// notePruneWrites counts what a batch added, for the next size check.
func (s *Store) notePruneWrites(bytes int64) { s.pr.written += bytes }

// maybePrune is called by the writer between batches (and every
// pruneEvery while it is idle): it checks the size and the age when due,
// and prunes when over either: one chunk between two batches, up to
// pruneBurst while over the limit itself, and while the store is quiet
// until done or until writes arrive.
func (s *Store) maybePrune(quiet bool) {
	if s.memory || s.readOnly || !s.pruning() {
		return
	}
	p := &s.pr
	now := s.o.Now()
	if !p.pending && p.written < p.checkAt && now.Before(p.next) {
		return
	}
	p.next, p.written = now.Add(pruneEvery), 0
	for chunks := 0; ; {
		more, err := s.pruneOnce(context.Background(), now)
		if err != nil {
			s.log.Warn("store: prune history", slog.String("path", s.path), slog.Any("err", err))
			p.pending = false
			return
		}
		p.pending = more
		chunks++
		if !more || quiet && s.queued() > 0 || !quiet && (!p.over || chunks >= pruneBurst) {
			return
		}
	}
}

// queued is how many writes wait for the writer.
func (s *Store) queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// pruneOnce prunes one chunk if the store is over its size or holds
// events past its age, gives free pages back when the file is over the
// limit, and reports whether there is more to do.
func (s *Store) pruneOnce(ctx context.Context, now time.Time) (more bool, err error) {
	s.pause.Lock()
	defer s.pause.Unlock()
	p := &s.pr
	used, file, err := s.dbSize(ctx)
	if err != nil {
		return false, err
	}
	var cutoff time.Time
	if s.o.MaxAge > 0 {
		cutoff = now.Add(-s.o.MaxAge)
	}
	p.over = s.o.MaxBytes > 0 && used > p.budget
	bySize := p.over || s.o.MaxBytes > 0 && p.pending && used > p.low
	if bySize || !cutoff.IsZero() {
		n, last, err := s.pruneChunk(ctx, max(p.chunk, 250)<<min(p.stalled, 4), bySize, cutoff)
		if err != nil {
			return false, err
		}
		if n == 0 && !last {
			p.stalled++ // kept runs fill the chunk: look further next time
		} else {
			p.stalled = 0
		}
		if n > 0 {
			if used, file, err = s.dbSize(ctx); err != nil {
				return false, err
			}
		}
		more = n > 0 && !last && (!cutoff.IsZero() || used > p.low)
		p.over = more && s.o.MaxBytes > 0 && used > p.budget
	}
	if s.o.MaxBytes > 0 && file > p.budget && file > used {
		if _, err := s.wconn.ExecContext(ctx, fmt.Sprintf("PRAGMA incremental_vacuum(%d)", vacuumStep)); err != nil {
			return false, err
		}
		_, file, err = s.dbSize(ctx)
		more = more || (err == nil && file > p.budget && file > used)
	}
	return more, err
}

// dbSize is the bytes the database's pages use, and its file's size.
func (s *Store) dbSize(ctx context.Context) (used, file int64, err error) {
	p := &s.pr
	if p.pageSize == 0 {
		if err := s.wconn.QueryRowContext(ctx, "PRAGMA page_size").Scan(&p.pageSize); err != nil {
			return 0, 0, err
		}
	}
	var pages, free int64
	if err := s.wconn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return 0, 0, err
	}
	if err := s.wconn.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
		return 0, 0, err
	}
	return (pages - free) * p.pageSize, pages * p.pageSize, nil
}
