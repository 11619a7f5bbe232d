package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"hooklab/sender"
)

// One chunk of pruning (see prune.go): the oldest events, the runs they
// belong to, and what of those runs must stay for now.

// chunkEvent is one event of a chunk, as pruning sees it.
type chunkEvent struct {
	seq     int64
	time    int64
	run     string
	status  string // of a run event
	first   bool   // a run's first event (pending, with its thread)
	started bool   // a run event
}

// pruneChunk prunes the runs among the oldest limit events (by size), or
// among those before cutoff (by age), in one transaction. It returns how
// many events it deleted and whether the chunk reached the newest event.
func (s *Store) pruneChunk(ctx context.Context, limit int, bySize bool, cutoff time.Time) (deleted int, last bool, err error) {
	c := s.wconn
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return 0, false, err
	}
	defer func() {
		if err != nil {
			_, _ = c.ExecContext(ctx, "ROLLBACK")
		}
	}()
	evs, last, err := s.chunkEvents(ctx, limit, bySize, cutoff)
	if err != nil || len(evs) == 0 {
		if err == nil {
			_, err = c.ExecContext(ctx, "COMMIT")
		}
		return 0, last, err
	}
	keep, err := s.keptRuns(ctx, evs)
	if err != nil {
		return 0, false, err
	}
	pruned := map[string]bool{}
	var del []int64
	var runs int
	var newest int64
	for i := range evs {
		e := &evs[i]
		if e.run != "" && keep[e.run] {
			continue
		}
		if e.run != "" {
			pruned[e.run] = true
		}
		if e.first {
			runs++
		}
		del = append(del, e.seq)
		newest = max(newest, e.time)
	}
	ids := make([]string, 0, len(pruned))
	for r := range pruned {
		ids = append(ids, r)
	}
	until, err := s.lastDeliveryTime(ctx, ids)
	if err != nil {
		return 0, false, err
	}
	later, err := s.laterEvents(ctx, evs[len(evs)-1].seq, max(until, newest)+int64(pruneLater), pruned)
	if err != nil {
		return 0, false, err
	}
	del = append(del, later...)
	if err := execIn(ctx, c, "DELETE FROM events WHERE seq IN (%s)", del); err != nil {
		return 0, false, err
	}
	if err := execIn(ctx, c, "DELETE FROM deliveries WHERE outcome != 'pending' AND run_id IN (%s)", ids); err != nil {
		return 0, false, err
	}
	// Deliveries no event names any more (their runs' events went
	// earlier), older than what is left (with a margin: the clocks of
	// events and deliveries are read on different goroutines).
	keepIDs := make([]string, 0, len(keep))
	for r := range keep {
		keepIDs = append(keepIDs, r)
	}
	args := []any{newest - int64(time.Second)}
	q := "DELETE FROM deliveries WHERE outcome != 'pending' AND created_at <= ?"
	if len(keepIDs) > 0 {
		q += " AND run_id NOT IN (" + placeholders(len(keepIDs)) + ")"
		for _, r := range keepIDs {
			args = append(args, r)
		}
	}
	if _, err := c.ExecContext(ctx, q, args...); err != nil {
		return 0, false, err
	}
	// The same cut: every row left that was created before it is a
	// pending delivery or one of a kept run.
	if err := s.pruneDicts(ctx, c, newest-int64(time.Second), keepIDs); err != nil {
		return 0, false, err
	}
	if _, err := c.ExecContext(ctx, `UPDATE hooklab_meta SET value = CAST(MAX(CAST(value AS INTEGER) - ?, 0) AS TEXT) WHERE key = 'runs'`, runs); err != nil {
		return 0, false, err
	}
	if _, err := c.ExecContext(ctx, `INSERT INTO hooklab_meta (key, value) VALUES ('pruned_until', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE CAST(excluded.value AS INTEGER) > CAST(value AS INTEGER)`,
		fmt.Sprint(newest)); err != nil {
		return 0, false, err
	}
	if s.o.pruneHook != nil {
		s.o.pruneHook() // tests: kill the process mid-chunk
	}
	if _, err = c.ExecContext(ctx, "COMMIT"); err != nil {
		return 0, false, err
	}
	s.prunedUntil.Store(newest)
	s.committedToWAL()
	return len(del), last, nil
}

// chunkEvents reads the oldest limit events (by size), or those of them
// before cutoff (by age), with the run each belongs to.
func (s *Store) chunkEvents(ctx context.Context, limit int, bySize bool, cutoff time.Time) ([]chunkEvent, bool, error) {
	// A payload that is not JSON (none should be) belongs to no run.
	rows, err := s.wconn.QueryContext(ctx, `SELECT seq, time, kind, run,
		CASE WHEN kind = 'run' THEN json_extract(payload, '$.status') END,
		CASE WHEN kind = 'run' THEN json_extract(payload, '$.thread_id') END
		FROM (SELECT seq, time, kind, payload, CASE WHEN json_valid(payload) THEN json_extract(payload, '$.run_id') END AS run
			FROM events ORDER BY seq LIMIT ?)`, limit)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []chunkEvent
	n := 0
	for rows.Next() {
		n++
		var e chunkEvent
		var kind string
		var run, status, thread sql.NullString
		if err := rows.Scan(&e.seq, &e.time, &kind, &run, &status, &thread); err != nil {
			return nil, false, err
		}
		e.started = kind == "run"
		if !bySize && (cutoff.IsZero() || e.time >= cutoff.UnixNano()) {
			return out, false, rows.Err()
		}
		e.run, e.status = run.String, status.String
		e.first = e.status == "pending" && thread.String != ""
		out = append(out, e)
	}
	return out, n < limit, rows.Err()
}

// keptRuns are the runs of evs that must stay whole for now: those with
// a run event here but not their end (still running, or ending past the
// chunk), those with a delivery pending or retrying, and those with a
// delivery the journal still holds. A run with no run event here (the
// replay of a run pruned earlier, or its request, written late) may go.
func (s *Store) keptRuns(ctx context.Context, evs []chunkEvent) (map[string]bool, error) {
	keep := map[string]bool{}
	ended := map[string]bool{}
	for _, e := range evs {
		if e.status != "" && e.status != "pending" && e.status != "running" {
			ended[e.run] = true
		}
	}
	for _, e := range evs {
		if e.run != "" && e.started && !ended[e.run] {
			keep[e.run] = true
		}
	}
	if s.pendingRuns == nil {
		if err := s.loadPending(ctx); err != nil {
			return nil, err
		}
	}
	for _, r := range s.pendingRuns {
		keep[r] = true
	}
	for _, r := range s.journalRuns() {
		keep[r] = true
	}
	return keep, nil
}

// loadPending reads the deliveries pending or retrying; the writer keeps
// the map up to date from then on (notePending).
func (s *Store) loadPending(ctx context.Context) error {
	rows, err := s.wconn.QueryContext(ctx, "SELECT id, run_id FROM deliveries WHERE outcome = 'pending'")
	if err != nil {
		return err
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var id, r string
		if err := rows.Scan(&id, &r); err != nil {
			return err
		}
		m[id] = r
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.pendingRuns = m
	return nil
}

// notePending keeps the writer's map of pending deliveries (once pruning
// has loaded it) up to date with a delivery row it writes.
func (s *Store) notePending(o *op) {
	if s.pendingRuns == nil {
		return
	}
	if o.outcome == sender.OutcomePending {
		s.pendingRuns[o.id] = o.runID
	} else {
		delete(s.pendingRuns, o.id)
	}
}

// lastDeliveryTime is the latest update of the deliveries of runs (unix ns, 0 for none).
func (s *Store) lastDeliveryTime(ctx context.Context, runs []string) (int64, error) {
	var latest int64
	for i := 0; i < len(runs); i += 500 {
		part := runs[i:min(i+500, len(runs))]
		args := make([]any, len(part))
		for j, r := range part {
			args[j] = r
		}
		var t sql.NullInt64
		err := s.wconn.QueryRowContext(ctx, "SELECT MAX(updated_at) FROM deliveries WHERE run_id IN ("+placeholders(len(part))+")", args...).Scan(&t)
		if err != nil {
			return 0, err
		}
		latest = max(latest, t.Int64)
	}
	return latest, nil
}

// laterEvents finds the events after seq, up to time until, of the runs
// in pruned: a run's delivery outcome and attempts come after its end.
func (s *Store) laterEvents(ctx context.Context, seq, until int64, pruned map[string]bool) ([]int64, error) {
	if len(pruned) == 0 {
		return nil, nil
	}
	rows, err := s.wconn.QueryContext(ctx, `SELECT seq, time, CASE WHEN json_valid(payload) THEN json_extract(payload, '$.run_id') END
		FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, seq, pruneScan)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var (
			q, t int64
			run  sql.NullString
		)
		if err := rows.Scan(&q, &t, &run); err != nil {
			return nil, err
		}
		if t > until {
			break
		}
		if pruned[run.String] {
			out = append(out, q)
		}
	}
	return out, rows.Err()
}

// execIn runs query (with one %s for a list of placeholders) over vals,
// in parts small enough for SQLite's limit on parameters.
func execIn[T any](ctx context.Context, c *sql.Conn, query string, vals []T) error {
	for i := 0; i < len(vals); i += 500 {
		part := vals[i:min(i+500, len(vals))]
		args := make([]any, len(part))
		for j, v := range part {
			args[j] = v
		}
		if _, err := c.ExecContext(ctx, fmt.Sprintf(query, placeholders(len(part))), args...); err != nil {
			return err
		}
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
