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
// A journalled record is kept until the table holds a later record of the
// same delivery: the sender always writes one after the attempt (its
// outcome, a retry, or pending again at shutdown), and once the store has
// committed it the journal's copy is settled. A file whose records are
// all settled is emptied (at once past journalTrim bytes, or when the
// store goes quiet), so the journal holds little more than the deliveries
// in flight. Two files take turns: when the current one passes
// journalRotate and the other is empty of unsettled records, new records
// go to the other. Close empties both. Once the store has dropped a write
// (a failing disk with a full backlog, or a Close that gave up), nothing
// is emptied any more: the journal may then be the only copy, and the next
// Open merges it.

// journalRotate is the size at which the journal switches files (less
// for a small history, see journalRotateFor), and journalTrim the size past
// which a settled file is emptied at once.
const (
	journalRotate = 1 << 20
	journalTrim   = 64 << 10
)

// journalRotateFor is the rotation size for a history of at most
// maxBytes (0: unbounded): a sixty-fourth of it, up to journalRotate.
func journalRotateFor(maxBytes int64) int64 {
	if maxBytes <= 0 {
		return journalRotate
	}
	return min(max(maxBytes/64, journalTrim), journalRotate)
}

// ErrJournalPending is returned by a read-only Open of a store whose
// journal holds deliveries a killed hooklab never committed: a writable
// Open merges them.
var ErrJournalPending = errors.New("deliveries journalled by a hooklab that was killed are not merged yet")

type journal struct {
	mu     sync.Mutex
	files  [2]*os.File
	lens   [2]int64 // bytes in each file
	cur    int
	open   map[string]*jentry // journalled records not yet settled, by delivery id
	counts [2]int             // open records in each file
	runs   [2]map[string]bool // the runs each file holds a record of (pruning keeps them)
	rotate int64
	closed bool
	failed bool // the last write failed (logged once per failure period)
}

// jentry is an unsettled journalled record: the file it is in, and the
// ticket of the later record of its delivery once one is queued (0: none yet).
type jentry struct {
	file   int
	ticket uint64
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
	line := appendDelivery(make([]byte, 0, len(d.Body)+2048), &d, false)
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return
	}
	if j.lens[j.cur] >= j.rotate && j.counts[1-j.cur] == 0 {
		other := 1 - j.cur
		if j.lens[other] == 0 || s.emptyJournalLocked(other) {
			j.cur = other
		}
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
	j.runs[j.cur][d.RunID] = true
	if e := j.open[d.ID]; e != nil {
		j.counts[e.file]--
		e.file, e.ticket = j.cur, 0
	} else {
		j.open[d.ID] = &jentry{file: j.cur}
	}
	j.counts[j.cur]++
}

// journalSafe reports whether what the journal holds is also in the table
// (or queued for it): true until the store drops a write.
func (s *Store) journalSafe() bool {
	return s.stats.dropped.Load() == 0
}

// supersedeJournal notes that a record of delivery id was queued with
// ticket: once it is committed, the journalled one is settled.
func (s *Store) supersedeJournal(id string, ticket uint64) {
	j := s.journal
	if j == nil || ticket == 0 {
		return
	}
	j.mu.Lock()
	if e := j.open[id]; e != nil {
		e.ticket = ticket
	}
	j.mu.Unlock()
}

// settleJournal settles the records superseded by tickets up to
// committed, and empties the files left without unsettled records: those
// past journalTrim, or all with quiet (the store is at rest).
func (s *Store) settleJournal(committed uint64, quiet bool) {
	j := s.journal
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return
	}
	for id, e := range j.open {
		if e.ticket != 0 && e.ticket <= committed {
			j.counts[e.file]--
			delete(j.open, id)
		}
	}
	for i := range j.files {
		if j.counts[i] == 0 && j.lens[i] > 0 && (quiet || j.lens[i] >= journalTrim) {
			s.emptyJournalLocked(i)
		}
	}
}

// emptyJournalLocked truncates journal file i, unless the store has
// dropped a write. j.mu is held.
func (s *Store) emptyJournalLocked(i int) bool {
	j := s.journal
	if !s.journalSafe() {
		return false
	}
	if err := j.files[i].Truncate(0); err != nil {
		s.log.Warn("store: empty journal", slog.String("path", j.files[i].Name()), slog.Any("err", err))
		return false
	}
	j.lens[i] = 0
	clear(j.runs[i])
	return true
}

// journalRuns lists the runs the journal holds a record of.
func (s *Store) journalRuns() []string {
	j := s.journal
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []string
	for i := range j.runs {
		for r := range j.runs[i] {
			out = append(out, r)
		}
	}
	return out
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
	j := &journal{open: make(map[string]*jentry), runs: [2]map[string]bool{{}, {}}, rotate: journalRotateFor(s.o.MaxBytes)}
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
	var errs []error
	for _, f := range j.files {
		if committed && s.journalSafe() {
			errs = append(errs, f.Truncate(0))
		}
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}
