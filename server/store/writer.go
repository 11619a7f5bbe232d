package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
)

// Retry back-off of a failing batch: doubling from minBackoff, capped at
// maxBackoff, so a full disk costs one attempt every couple of seconds and
// recovery is noticed quickly.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
	// closeAttempts is how often Close retries a failing batch before it
	// gives up and reports the writes as lost.
	closeAttempts = 3
	// spareCap is the largest queue slice kept for reuse between batches.
	spareCap = 1 << 12
)

// stmts are the writer's prepared statements, reused by every batch.
type stmts struct {
	event, delivery, prune, runs *sql.Stmt
	put, del                     map[Table]*sql.Stmt
}

func prepare(ctx context.Context, conn *sql.Conn) (*stmts, error) {
	st := &stmts{put: map[Table]*sql.Stmt{}, del: map[Table]*sql.Stmt{}}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var p *sql.Stmt
		p, err = conn.PrepareContext(ctx, q)
		return p
	}
	st.event = prep("INSERT INTO events (seq, time, kind, payload) VALUES (?, ?, ?, ?)")
	st.delivery = prep(`INSERT INTO deliveries (id, run_id, url, outcome, created_at, updated_at, data)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, url = excluded.url,
		outcome = excluded.outcome, created_at = excluded.created_at,
		updated_at = excluded.updated_at, data = excluded.data`)
	st.prune = prep("DELETE FROM events WHERE seq <= ?")
	st.runs = prep("UPDATE hooklab_meta SET value = CAST(CAST(value AS INTEGER) + ? AS TEXT) WHERE key = 'runs'")
	for _, t := range []Table{Assistants, Threads, Runs, Crons, StoreItems, Observations} {
		// t is one of our constants, never user input.
		st.put[t] = prep("INSERT INTO " + string(t) + ` (id, parent, data) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET parent = excluded.parent, data = excluded.data`)
		st.del[t] = prep("DELETE FROM " + string(t) + " WHERE id = ?")
	}
	if err != nil {
		st.close()
		return nil, err
	}
	return st, nil
}

func (st *stmts) close() {
	for _, p := range []*sql.Stmt{st.event, st.delivery, st.prune, st.runs} {
		if p != nil {
			p.Close()
		}
	}
	for _, m := range []map[Table]*sql.Stmt{st.put, st.del} {
		for _, p := range m {
			if p != nil {
				p.Close()
			}
		}
	}
}

// pubItem is a committed batch on its way to Options.Publish, or a
// callback (OnError, OnRecover) to run in order with the events.
type pubItem struct {
	events []hub.Event
	end    uint64 // the last ticket of the batch
	notify func()
}

// Group commit: a batch smaller than groupMin waits up to groupWait for
// company. At low load a commit costs much more than the writes in it
// (each touches a handful of pages and syncs the WAL header), so a run
// every few milliseconds is better committed with its neighbours. Only
// publication waits: answers and webhooks never do, and a reader or a
// Flush cuts the wait short (see hurry).
const (
	groupMin  = 512
	groupWait = 20 * time.Millisecond
)

// objKey identifies an object row for coalescing.
type objKey struct {
	table Table
	id    string
}

// writeLoop is the one goroutine that writes to the database. It takes
// everything queued, commits it in one transaction and hands the events to
// the publisher.
func (s *Store) writeLoop() {
	last := map[objKey]int{}
	lastDelivery := map[string]int{}
	gather := time.NewTimer(groupWait)
	gather.Stop()
	var pruneTick <-chan time.Time
	if s.pruning() && !s.memory {
		t := time.NewTicker(pruneEvery)
		defer t.Stop()
		pruneTick = t.C
	}
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closing {
			s.mu.Unlock()
			select {
			case <-s.writerWake:
			case <-pruneTick:
				s.maybePrune(true)
			}
			s.mu.Lock()
		}
		if n := len(s.queue); n > 0 && n < groupMin && !s.closing {
			// Group commit: a commit costs about the same for 10 writes as
			// for 1000, so let a trickle gather briefly. Only publication
			// waits for this; webhooks and API answers never do.
			s.mu.Unlock()
			gather.Reset(groupWait)
			select {
			case <-gather.C:
			case <-s.hurryC:
				gather.Stop()
			case <-s.stop:
				gather.Stop()
			}
			s.mu.Lock()
		}
		if len(s.queue) == 0 {
			s.writerFinished = true
			s.mu.Unlock()
			wake(s.pubWake)
			close(s.writerDone)
			return
		}
		batch := s.queue
		s.queue, s.spare = s.spare, nil
		end := s.enq
		s.mu.Unlock()

		s.writeBatch(batch, end, last, lastDelivery)
		s.maybePrune(false)
		s.bindWAL()

		clear(batch)
		clear(last)
		clear(lastDelivery)
		if cap(batch) <= spareCap {
			s.mu.Lock()
			s.spare = batch[:0]
			s.mu.Unlock()
		}
	}
}

// writeBatch commits batch, retrying with back-off while the disk fails.
func (s *Store) writeBatch(batch []op, end uint64, last map[objKey]int, lastDelivery map[string]int) {
	s.pause.Lock()
	defer s.pause.Unlock()
	var size int64
	for i := range batch {
		o := &batch[i]
		size += o.size()
		switch o.kind {
		case opPut, opDelete:
			last[objKey{o.table, o.id}] = i
		case opDelivery:
			lastDelivery[o.id] = i
		}
	}
	backoff := minBackoff
	for attempt := 1; ; attempt++ {
		events, coalesced, err := s.commit(batch, last, lastDelivery)
		if err == nil {
			s.stats.batches.Add(1)
			s.stats.written.Add(uint64(len(batch)))
			s.stats.coalesced.Add(uint64(coalesced))
			s.committedToWAL()
			s.notePruneWrites(size)
			// Before the waiters wake: a Flush returns with the journal
			// settled.
			s.settleJournal(end, false)
			s.committedBatch(events, end, size, true)
			return
		}
		s.stats.errors.Add(1)
		err = fmt.Errorf("store: write %s: %w", s.path, err)
		s.setFailing(err)
		s.mu.Lock()
		closing := s.closing
		s.mu.Unlock()
		if closing && attempt >= closeAttempts {
			s.stats.dropped.Add(uint64(len(batch)))
			lost := fmt.Errorf("store: %d queued writes could not be saved: %w", len(batch), err)
			s.log.Error(lost.Error())
			s.mu.Lock()
			s.closeErr = errors.Join(s.closeErr, lost)
			s.mu.Unlock()
			s.committedBatch(nil, end, size, false) // release waiters and the backlog
			return
		}
		if closing {
			// Close gives the disk a short, bounded chance to come back.
			time.Sleep(min(backoff, 100*time.Millisecond))
		} else {
			select {
			case <-time.After(backoff):
			case <-s.stop:
			}
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// commit writes batch in one transaction and returns its events, with
// their sequence numbers, and how many upserts were coalesced away.
func (s *Store) commit(batch []op, last map[objKey]int, lastDelivery map[string]int) (events []hub.Event, coalesced int, err error) {
	ctx := context.Background()
	c := s.wconn
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return nil, 0, err
	}
	defer func() {
		if err != nil {
			// SQLite may already have rolled back (SQLITE_FULL); ignore "no
			// transaction is active".
			_, _ = c.ExecContext(ctx, "ROLLBACK")
			s.resetPack()
		}
	}()
	seq := s.lastSeq.Load()
	runs := 0
	for i := range batch {
		o := &batch[i]
		switch o.kind {
		case opEvent:
			seq++
			if o.newRun {
				runs++
			}
			if _, err := s.stmts.event.ExecContext(ctx, int64(seq), o.time, string(o.evKind), o.data); err != nil {
				return nil, 0, err
			}
			events = append(events, hub.Event{Seq: seq, Time: time.Unix(0, o.time).UTC(), Kind: o.evKind, Payload: o.data, Value: o.payload})
		case opPut, opDelete:
			if last[objKey{o.table, o.id}] != i {
				coalesced++
				continue
			}
			if o.kind == opPut {
				if o.data == nil && o.value != nil {
					if o.data, err = Marshal(o.value); err != nil {
						s.log.Error("store: encode record", slog.String("table", string(o.table)), slog.String("id", o.id), slog.Any("err", err))
						o.value, err = nil, nil
						continue
					}
					o.value = nil
				}
				_, err = s.stmts.put[o.table].ExecContext(ctx, o.id, o.parent, o.data)
			} else {
				_, err = s.stmts.del[o.table].ExecContext(ctx, o.id)
			}
			if err != nil {
				return nil, 0, err
			}
		case opDelivery:
			if lastDelivery[o.id] != i {
				coalesced++
				continue
			}
			data := o.data
			if d, ok := o.value.(sender.Delivery); ok {
				s.rowBuf = appendDelivery(s.rowBuf[:0], &d, true)
				if data, err = s.packRow(ctx, c, s.rowBuf); err != nil {
					return nil, 0, err
				}
			}
			if _, err := s.stmts.delivery.ExecContext(ctx, o.id, o.runID, o.url, o.outcome, o.created, o.updated, data); err != nil {
				return nil, 0, err
			}
			s.notePending(o)
		}
	}
	if runs > 0 {
		if _, err := s.stmts.runs.ExecContext(ctx, runs); err != nil {
			return nil, 0, err
		}
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		return nil, 0, err
	}
	s.lastSeq.Store(seq)
	if s.memory {
		// An in-memory history keeps only the newest events, by count and
		// by bytes. A failed prune only keeps more for a while.
		for _, e := range events {
			s.mem.add(e.Seq, len(e.Payload))
		}
		if to := s.mem.cut(s.o.MemoryKeep, s.o.MemoryBytes); to > 0 {
			if _, perr := s.stmts.prune.ExecContext(ctx, int64(to)); perr != nil {
				s.log.Error("store: prune in-memory history", slog.Any("err", perr))
			}
		}
	}
	return events, coalesced, nil
}

// committedBatch records a committed (ok) or abandoned batch, releases its
// share of the backlog and queues its events for publishing.
func (s *Store) committedBatch(events []hub.Event, end uint64, size int64, ok bool) {
	s.mu.Lock()
	s.committed = end
	s.backlog -= size
	recovered := ok && s.failing != nil
	if recovered {
		s.failing = nil
		s.shedding = false
	}
	s.pubq = append(s.pubq, pubItem{events: events, end: end})
	if recovered {
		s.log.Info("store: writes succeed again", slog.String("path", s.path))
		if s.o.OnRecover != nil {
			s.pubq = append(s.pubq, pubItem{notify: s.o.OnRecover})
		}
	}
	s.broadcastLocked()
	s.mu.Unlock()
	wake(s.pubWake)
}

// setFailing records a write failure; OnError hears about the first one of
// a failure period.
func (s *Store) setFailing(err error) {
	s.mu.Lock()
	first := s.failing == nil
	s.failing = err
	if first {
		s.log.Error("store: write failed; retrying", slog.String("path", s.path), slog.Any("err", err))
		if s.o.OnError != nil {
			s.pubq = append(s.pubq, pubItem{notify: func() { s.o.OnError(err) }})
		}
	}
	s.broadcastLocked()
	s.mu.Unlock()
	wake(s.pubWake)
}

// publishLoop hands committed events to Options.Publish in Seq order, and
// runs OnError/OnRecover in order with them, on its own goroutine: a
// callback may read the store (which waits for the writer) or append to it
// without deadlocking the writer. Publish should not block: Flush waits
// for it.
func (s *Store) publishLoop() {
	defer close(s.pubDone)
	for {
		s.mu.Lock()
		for len(s.pubq) == 0 && !s.writerFinished {
			s.mu.Unlock()
			<-s.pubWake
			s.mu.Lock()
		}
		if len(s.pubq) == 0 {
			s.mu.Unlock()
			return
		}
		items := s.pubq
		s.pubq = nil
		s.mu.Unlock()
		var end uint64
		for _, it := range items {
			if it.notify != nil {
				it.notify()
				continue
			}
			if s.o.Publish != nil {
				for _, e := range it.events {
					s.o.Publish(e)
				}
			}
			end = it.end
		}
		s.mu.Lock()
		if end > s.published {
			s.published = end
		}
		s.broadcastLocked()
		s.mu.Unlock()
	}
}
