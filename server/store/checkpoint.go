package store

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"time"
)

// Checkpointing: SQLite's automatic checkpoint runs inside the committing
// connection, so the writer would stall for the copy and the fsync of the
// database file on every ~4 MB of WAL. Instead the writer connection has
// wal_autocheckpoint off and this goroutine checkpoints on its own
// connection, in parallel with the writer.
//
// When: by size, and when the store goes quiet. journal_size_limit makes
// SQLite cut the WAL file back to walTrigger (half of walBytes) whenever it
// starts the WAL over, so a WAL file larger than that holds more than
// that: after each commit the writer looks at the file's size and wakes
// the checkpointer past it. The checkpointer copies the WAL into the
// database with a PASSIVE checkpoint (never blocking the writer), then
// holds the writer between two batches for a short second pass over what
// arrived meanwhile, so the next commit starts the WAL over instead of
// growing it. A busy store thus keeps a WAL of about walBytes. Once no
// commit has come for checkpointIdle, the rest is folded in and the WAL
// file truncated to nothing: a store at rest is one file, and closing it
// has nothing left to copy.
const (
	checkpointIdle = time.Second
	// checkpointGap spaces size-triggered checkpoints after one that could
	// not complete (a reader holds an old snapshot), so they do not spin.
	checkpointGap = 100 * time.Millisecond
	// minWALBytes and maxWALBytes bound walBytes.
	minWALBytes = 1 << 20
	maxWALBytes = 16 << 20
)

// walTrigger is the WAL file size past which the checkpointer runs.
func (s *Store) walTrigger() int64 { return s.walBytes / 2 }

// walSize is the size of the WAL file (0 when there is none).
func (s *Store) walSize() int64 {
	fi, err := os.Stat(s.path + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}

// startCheckpointer opens the checkpointer's connection and starts it.
func (s *Store) startCheckpointer(dsn string) error {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	s.cdb = db
	s.ckptWake = make(chan struct{}, 1)
	s.ckptDone = make(chan struct{})
	go s.checkpointLoop()
	return nil
}

// committedToWAL is the writer's report of a commit: it wakes the
// checkpointer when the WAL has grown past walTrigger, or when it was
// empty (to arm the idle truncation).
func (s *Store) committedToWAL() {
	if s.ckptWake == nil {
		return
	}
	s.lastCommit.Store(time.Now().UnixNano())
	if s.walSize() > s.walTrigger() || !s.walDirty.Swap(true) {
		wake(s.ckptWake)
	}
}

// bindWAL is the writer's backstop, between two batches: when the
// checkpointer has fallen behind (the machine is busy, say) and the WAL
// is twice the size it should keep to, the writer waits for a checkpoint
// itself. Only publication waits meanwhile.
func (s *Store) bindWAL() {
	if s.ckptWake != nil && s.walSize() > 2*s.walBytes {
		s.catchUp(context.Background())
	}
}

func (s *Store) checkpointLoop() {
	defer close(s.ckptDone)
	ctx := context.Background()
	idle := time.NewTimer(checkpointIdle)
	idle.Stop()
	armed := false
	var retry time.Time // after a checkpoint that could not complete
	for {
		select {
		case <-s.ckptWake:
		case <-idle.C:
			armed = false
			quiet := time.Since(time.Unix(0, s.lastCommit.Load()))
			if quiet < checkpointIdle {
				idle.Reset(checkpointIdle - quiet)
				armed = true
				continue
			}
			s.truncateWAL(ctx)
			continue
		case <-s.stop:
			return
		}
		if !armed {
			idle.Reset(checkpointIdle)
			armed = true
		}
		if s.walSize() <= s.walTrigger() || time.Now().Before(retry) {
			continue
		}
		if !s.catchUp(ctx) {
			retry = time.Now().Add(checkpointGap)
		}
	}
}

// catchUp copies the WAL into the database without stopping the writer,
// then, holding the writer between batches, copies what it wrote
// meanwhile. Only a checkpoint that has caught up while the writer is
// between transactions lets SQLite start the WAL over at the next commit;
// under steady load the first pass never has, and the WAL would grow
// without bound.
func (s *Store) catchUp(ctx context.Context) (complete bool) {
	_, err := s.checkpoint(ctx, "PASSIVE")
	if err == nil {
		// The bulk was copied above without blocking anyone; what is
		// left is one or two batches, so holding the writer costs little.
		s.pause.Lock()
		complete, err = s.checkpoint(ctx, "PASSIVE")
		s.pause.Unlock()
	}
	if err != nil {
		// Not fatal: the WAL just grows until a later checkpoint works;
		// a real disk problem shows up in the writer's Err.
		s.log.Warn("store: checkpoint", slog.String("path", s.path), slog.Any("err", err))
	}
	return complete
}

// truncateWAL folds the whole WAL into the database and empties the WAL
// file, holding the writer (a store at rest has nothing to hold).
func (s *Store) truncateWAL(ctx context.Context) {
	s.pause.Lock()
	defer s.pause.Unlock()
	complete, err := s.checkpoint(ctx, "TRUNCATE")
	if err != nil {
		s.log.Warn("store: checkpoint", slog.String("path", s.path), slog.Any("err", err))
		return
	}
	if complete {
		s.walDirty.Store(false)
	}
	s.mu.Lock()
	committed := s.committed
	s.mu.Unlock()
	s.settleJournal(committed, true)
}

// checkpoint runs a checkpoint in mode (PASSIVE or TRUNCATE: our
// constants) and reports whether the whole WAL is now in the database.
func (s *Store) checkpoint(ctx context.Context, mode string) (complete bool, err error) {
	var busy, log, done int
	err = s.cdb.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &log, &done)
	return err == nil && busy == 0 && done >= log, err
}

// walBytesFor is the WAL size the checkpointer keeps to for a store of at
// most maxBytes (0: unbounded): a sixteenth of it, within
// [minWALBytes, maxWALBytes].
func walBytesFor(maxBytes int64) int64 {
	if maxBytes <= 0 {
		return maxWALBytes
	}
	return min(max(maxBytes/16, minWALBytes), maxWALBytes)
}
