package store

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// Checkpointing: SQLite's automatic checkpoint runs inside the committing
// connection, so the writer would stall for the copy and the fsync of the
// database file on every ~4 MB of WAL. Instead the writer connection has
// wal_autocheckpoint off and this goroutine checkpoints on its own
// connection, in parallel with the writer (PASSIVE never blocks it; see
// walResetPages for the one exception).
const (
	// checkpointEvery rate-limits checkpoints while writes keep coming.
	checkpointEvery = 250 * time.Millisecond
	// walResetPages is the WAL size (pages) past which the checkpointer
	// holds the writer back for one short checkpoint. SQLite only starts
	// the WAL over when a checkpoint has caught up completely before the
	// writer's next transaction; a writer that never pauses would make the
	// WAL grow without bound.
	walResetPages = 16 << 10 // 64 MiB with 4 KiB pages
)

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

func (s *Store) checkpointLoop() {
	defer close(s.ckptDone)
	ctx := context.Background()
	for {
		select {
		case <-s.ckptWake:
		case <-s.stop:
			return
		}
		log, err := s.checkpoint(ctx)
		if err == nil && log > walResetPages {
			// The bulk was copied above without blocking anyone; what is
			// left is small, so holding the writer costs little.
			s.pause.Lock()
			_, err = s.checkpoint(ctx)
			s.pause.Unlock()
		}
		if err != nil {
			// Not fatal: the WAL just grows until a later checkpoint works;
			// a real disk problem shows up in the writer's Err.
			s.log.Warn("store: checkpoint", slog.String("path", s.path), slog.Any("err", err))
		}
		select {
		case <-time.After(checkpointEvery):
		case <-s.stop:
			return
		}
	}
}

// checkpoint runs a PASSIVE checkpoint and returns the WAL's size in pages.
func (s *Store) checkpoint(ctx context.Context) (int, error) {
	var busy, log, done int
	err := s.cdb.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
	return log, err
}
