package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"hooklab/sender"
)

// The delivery journal closes the one gap that write-behind leaves: a
// webhook leaves as soon as its run ends, while its delivery record may
// still wait in memory for the next group commit. Before the first attempt
// the sender calls Journal, which appends the record to a file beside the
// database with one write(2). A killed process keeps what it wrote (the
// page cache survives it; like the WAL at synchronous=NORMAL, a power cut
// may not), and the next Open puts every journalled delivery that the
// table lacks back into it, so history lists it and the restart resumes
// it. Waiting for a commit instead would put the writer's whole batch
// (encoding included) between every run and its webhook.
//
// Two files take turns. When the current one passes journalRotate, new
// records go to the other, and once the store has committed everything
// queued before the switch, the first is emptied. Close empties both. Once
// the store has dropped a write (a failing disk with a full backlog, or a
// Close that gave up), nothing is emptied any more: the journal may then be
// the only copy, and the next Open merges it.

// journalRotate is the size at which the journal switches files.
const journalRotate = 4 << 20

// ErrJournalPending is returned by a read-only Open of a store whose
// journal holds deliveries a killed hooklab never committed: a writable
// Open merges them.
var ErrJournalPending = errors.New("deliveries journalled by a hooklab that was killed are not merged yet")

type journal struct {
	mu       sync.Mutex
	files    [2]*os.File
	lens     [2]int64 // bytes in each file
	cur      int
	since    int64 // bytes written to the current file since the switch to it
	draining bool  // the other file waits for a commit before it is emptied
	closed   bool
	failed   bool // the last write failed (logged once per failure period)
	wg       sync.WaitGroup
}

// journalPaths are the two journal files of the database at abs.
func journalPaths(abs string) [2]string {
	return [2]string{abs + ".inflight.0", abs + ".inflight.1"}
}

// journalPending reports whether a journal of the database at abs holds
// records.
func journalPending(abs string) bool {
	for _, p := range journalPaths(abs) {
		if st, err := os.Stat(p); err == nil && st.Size() > 0 {
			return true
		}
	}
	return false
}

// Journal makes d durable against a killed process before its webhook is
// sent (see above). It does nothing for in-memory and read-only stores. d
// is the record as PutDelivery got it: secrets already masked.
func (s *Store) Journal(d sender.Delivery) {
	j := s.journal
	if j == nil {
		return
	}
	line, err := Marshal(d)
	if err != nil {
		s.log.Error("store: journal a delivery", slog.String("id", d.ID), slog.Any("err", err))
		return
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return
	}
	f := j.files[j.cur]
	if _, err := f.Write(line); err != nil {
		// Cut a partial line off, or the next record would be glued to it
		// and both lost to the merge.
		_ = f.Truncate(j.lens[j.cur])
		if !j.failed {
			j.failed = true
			s.log.Error("store: journal write failed; a delivery sent just before a crash may be missing from history",
				slog.String("path", f.Name()), slog.Any("err", err))
		}
		return
	}
	j.failed = false
	j.lens[j.cur] += int64(len(line))
	j.since += int64(len(line))
	if j.since >= journalRotate && !j.draining {
		old := j.cur
		j.cur, j.since, j.draining = 1-j.cur, 0, true
		j.wg.Add(1)
		go s.drainJournal(old)
	}
}

// journalSafe reports whether what the journal holds is also in the table
// (or queued for it): true until the store drops a write.
func (s *Store) journalSafe() bool {
	return s.stats.dropped.Load() == 0
}

// drainJournal empties journal file i once everything queued before the
// switch away from it is committed.
func (s *Store) drainJournal(i int) {
	j := s.journal
	defer j.wg.Done()
	for {
		err := s.Sync(context.Background())
		if err == nil {
			j.mu.Lock()
			if !j.closed && s.journalSafe() {
				if err = j.files[i].Truncate(0); err == nil {
					j.lens[i] = 0
				}
			}
			j.draining = false
			j.mu.Unlock()
			if err != nil {
				s.log.Warn("store: empty journal", slog.String("path", j.files[i].Name()), slog.Any("err", err))
			}
			return
		}
		if errors.Is(err, ErrClosed) {
			return
		}
		// The disk is failing: the journal is what holds these now.
		select {
		case <-time.After(time.Second):
		case <-s.stop:
			return
		}
	}
}

// openJournal merges what a killed hooklab journalled into the deliveries
// table, empties the journal and opens it for this process. The writer's
// statements must be prepared; the writer must not run yet.
func (s *Store) openJournal(ctx context.Context) error {
	paths := journalPaths(s.path)
	var merged int
	for _, p := range paths {
		n, err := s.mergeJournal(ctx, p)
		if err != nil {
			return fmt.Errorf("store: %s: %w", p, err)
		}
		merged += n
	}
	if merged > 0 {
		s.log.Info("store: recovered deliveries a killed hooklab had sent but not committed",
			slog.String("path", s.path), slog.Int("deliveries", merged))
	}
	j := &journal{}
	for i, p := range paths {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_TRUNC, 0o600)
		if err != nil {
			for _, g := range j.files[:i] {
				g.Close()
			}
			return fmt.Errorf("store: open journal: %w", err)
		}
		j.files[i] = f
	}
	s.journal = j
	return nil
}

// mergeJournal puts the deliveries of one journal file into the table where
// the table lacks them or holds an older state (the pending row queued
// before the record was journalled with its body fixed), and returns how
// many. A row updated later, say delivered, is kept. A torn last line, from
// a kill mid-write, is skipped.
func (s *Store) mergeJournal(ctx context.Context, path string) (int, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || len(data) == 0 {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	tx, err := s.wconn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n := 0
	for line := range bytes.Lines(data) {
		var d sender.Delivery
		if json.Unmarshal(line, &d) != nil || d.ID == "" {
			continue
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO deliveries (id, run_id, url, outcome, created_at, updated_at, data)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, url = excluded.url, outcome = excluded.outcome,
				created_at = excluded.created_at, updated_at = excluded.updated_at, data = excluded.data
			WHERE excluded.updated_at > deliveries.updated_at`,
			d.ID, d.RunID, d.URL, d.Outcome, d.CreatedAt.UnixNano(), d.UpdatedAt.UnixNano(), bytes.TrimSpace(line))
		if err != nil {
			return 0, err
		}
		if k, _ := res.RowsAffected(); k > 0 {
			n++
		}
	}
	return n, tx.Commit()
}

// closeJournal empties and closes the journal; committed is whether every
// queued write reached the table (else the journal is kept for the next
// Open to merge). Calls after the first do nothing.
func (s *Store) closeJournal(committed bool) error {
	j := s.journal
	if j == nil {
		return nil
	}
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.mu.Unlock()
	j.wg.Wait()
	var errs []error
	for _, f := range j.files {
		if committed && s.journalSafe() {
			errs = append(errs, f.Truncate(0))
		}
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}
