package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"hooklab/server/hub"
)

// Options configure a Store.
type Options struct {
	Publish  func(hub.Event) // called with each event after it is committed, in Seq order
	OnError  func(error)     // called when a batch cannot be written (disk full, read-only), once per failure period; never with nil; runs on the publishing goroutine
	ReadOnly bool            // open for reading only (history, while another hooklab owns the file)
	Logger   *slog.Logger
	Now      func() time.Time

	// OnRecover is called once when writes succeed again after OnError.
	OnRecover func()
	// MaxBacklog bounds the bytes queued but not yet committed
	// (default 16 MiB), so memory stays bounded. Above it, Put, Delete,
	// Append and PutDelivery wait for the writer while the disk is merely
	// slow, and drop the write (counted in Stats.Dropped, logged once)
	// while writes are failing, so the API never freezes on a broken disk.
	MaxBacklog int64
	// MemoryKeep is how many events a ":memory:" store keeps (default
	// 100000); older ones are pruned so an in-memory history stays bounded.
	MemoryKeep int
	// MemoryBytes bounds the event bytes a ":memory:" store keeps (default
	// 128 MiB), whatever MemoryKeep says: request bodies can be large.
	MemoryBytes int64
	// MaxBytes bounds a file store's size on disk (database, WAL, journal)
	// by pruning the oldest runs; 0 keeps everything (see prune.go).
	MaxBytes int64
	// MaxAge prunes the runs of a file store older than this; 0 keeps them.
	MaxAge time.Duration

	pruneHook func() // tests: called inside each prune transaction, before it commits
}

// Stats counts the writer's work.
type Stats struct {
	Queued, Written, Batches, Errors uint64
	// Coalesced counts object and delivery upserts superseded by a later
	// one for the same key in the same batch, so never written on their own.
	Coalesced uint64
	// Dropped counts writes refused because the store was closed or
	// read-only, or lost because Close gave up on a failing disk.
	Dropped uint64
	// Backlog is the number of bytes queued and not yet committed.
	Backlog int64
}

// Store is the SQLite store. Writes are queued and committed in batches by
// one writer goroutine; events are published only after their batch commits.
type Store struct {
	o        Options
	path     string // absolute file path, or ":memory:"
	memory   bool
	readOnly bool
	log      *slog.Logger

	wdb   *sql.DB   // the writer's pool (one connection), nil when read-only
	wconn *sql.Conn // the writer's connection
	stmts *stmts    // prepared on wconn
	rdb   *sql.DB   // readers (WAL allows them beside the writer)
	lock  *lockFile // nil for :memory: and read-only
	cdb   *sql.DB   // the checkpointer's connection (files only)

	ckptWake   chan struct{} // nil when there is no checkpointer
	ckptDone   chan struct{}
	walBytes   int64        // the WAL size a busy store keeps to
	walDirty   atomic.Bool  // the WAL has had a commit since it was last truncated
	lastCommit atomic.Int64 // unix ns of the last commit

	// pause is held by the writer around each batch, and by the
	// checkpointer when it must catch up with the writer; tests hold it to
	// make the writer collect a large batch.
	pause sync.Mutex

	mu             sync.Mutex
	queue          []op
	spare          []op
	pubq           []pubItem
	backlog        int64
	enq            uint64        // tickets handed out (one per queued op)
	committed      uint64        // tickets whose batch committed
	published      uint64        // tickets whose batch was also published
	failing        error         // the current write failure, nil when healthy
	shedding       bool          // writes were dropped in this failure period
	closing        bool          // no more writes accepted
	writerFinished bool          // the writer has drained the queue and exited
	closed         bool          // Close finished
	changed        chan struct{} // closed and replaced whenever the counters or failing change
	writerWake     chan struct{}
	hurryC         chan struct{} // someone waits for a commit: cut the group-commit wait short
	pubWake        chan struct{}
	stop           chan struct{} // closed by Close to cut retry back-off short
	writerDone     chan struct{}
	pubDone        chan struct{}
	closeOnce      sync.Once
	closeErr       error

	mem         memBudget         // the events a ":memory:" store holds (writer only)
	pr          pruner            // retention (writer only)
	pendingRuns map[string]string // pending deliveries' runs, by delivery id, once pruning needs them (writer only)
	pack        packer            // compression of delivery rows (writer only)
	rowBuf      []byte            // the writer's scratch for one row
	dicts       dictCache

	journal *journal // file stores only (see journal.go)

	lastSeq     atomic.Uint64
	prunedUntil atomic.Int64           // unix ns of the newest event pruned, 0 when none was
	served      atomic.Pointer[string] // SetOwnerAddr's address
	stats       struct {
		queued, written, batches, errors, coalesced, dropped atomic.Uint64
	}
}

// DefaultPath is $XDG_STATE_HOME/hooklab/hooklab.db (or ~/.local/state/...).
// It is "" when neither variable gives an absolute directory.
func DefaultPath(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "hooklab", "hooklab.db")
	}
	if h := getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Join(h, ".local", "state", "hooklab", "hooklab.db")
	}
	return ""
}

// Open opens or creates the store at path (":memory:" for a private in-memory one).
//
// An existing file is inspected before anything is written to it: one that
// is not a hooklab database, or is corrupt, gives an error wrapping
// ErrCorrupt; one written by a newer hooklab, ErrNewer; one owned by another
// running hooklab, ErrLocked. In all three cases the file is left untouched.
func Open(path string, o Options) (*Store, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBacklog <= 0 {
		o.MaxBacklog = 16 << 20
	}
	if o.MemoryBytes <= 0 {
		o.MemoryBytes = 128 << 20
	}
	if o.MemoryKeep <= 0 {
		o.MemoryKeep = 100000
	}
	if path == "" {
		return nil, errors.New("store: no path (set $XDG_STATE_HOME or $HOME, or pass --store)")
	}
	s := &Store{
		o: o, log: o.Logger, readOnly: o.ReadOnly,
		changed:    make(chan struct{}),
		writerWake: make(chan struct{}, 1),
		hurryC:     make(chan struct{}, 1),
		pubWake:    make(chan struct{}, 1),
		stop:       make(chan struct{}),
		writerDone: make(chan struct{}),
		pubDone:    make(chan struct{}),
	}
	var err error
	switch {
	case path == ":memory:":
		s.path, s.memory, s.readOnly = path, true, false
		err = s.openMemory()
	case o.ReadOnly:
		err = s.openReadOnly(path)
	default:
		err = s.openFile(path)
	}
	if err != nil {
		s.release()
		return nil, err
	}
	if s.readOnly {
		close(s.writerDone)
		close(s.pubDone)
		return s, nil
	}
	go s.writeLoop()
	go s.publishLoop()
	return s, nil
}

// Path is the file the store lives in (":memory:" for an in-memory store).
func (s *Store) Path() string { return s.path }

// Close flushes queued writes and closes the database. It is safe to call
// more than once. If the disk keeps failing, Close gives up after a few
// attempts and reports how many writes were lost.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.broadcastLocked()
		s.mu.Unlock()
		close(s.stop)
		wake(s.writerWake)
		<-s.writerDone
		<-s.pubDone
		if s.ckptDone != nil {
			<-s.ckptDone
		}
		s.mu.Lock()
		s.closed = true
		s.broadcastLocked()
		committed := s.closeErr == nil && s.failing == nil
		s.mu.Unlock()
		if err := s.closeJournal(committed); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
		if err := s.release(); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}

// release closes whatever Open managed to set up.
func (s *Store) release() error {
	var errs []error
	if s.stmts != nil {
		s.stmts.close()
	}
	if s.wconn != nil {
		errs = append(errs, s.wconn.Close())
	}
	if s.cdb != nil {
		errs = append(errs, s.cdb.Close())
	}
	if s.rdb != nil && s.rdb != s.wdb {
		errs = append(errs, s.rdb.Close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	errs = append(errs, s.closeJournal(false)) // only after a failed Open
	if s.lock != nil {
		errs = append(errs, s.lock.release())
	}
	return errors.Join(errs...)
}

// Err is the last write error, nil when the store is healthy.
func (s *Store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failing
}

// Stats reports the writer's counters.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	backlog := s.backlog
	s.mu.Unlock()
	return Stats{
		Queued:    s.stats.queued.Load(),
		Written:   s.stats.written.Load(),
		Batches:   s.stats.batches.Load(),
		Errors:    s.stats.errors.Load(),
		Coalesced: s.stats.coalesced.Load(),
		Dropped:   s.stats.dropped.Load(),
		Backlog:   backlog,
	}
}

// LastSeq is the highest committed sequence number.
func (s *Store) LastSeq() uint64 { return s.lastSeq.Load() }

// Flush waits until everything queued before the call is committed and
// published. While the disk is failing it does not wait for the retries: it
// returns the write error (the writes stay queued and are retried).
func (s *Store) Flush(ctx context.Context) error {
	if s.readOnly {
		return nil
	}
	return s.wait(ctx, true)
}

// Sync waits until everything queued before the call is committed (not
// necessarily published yet). While the disk is failing it returns the
// write error at once.
func (s *Store) Sync(ctx context.Context) error {
	if s.readOnly {
		return nil
	}
	return s.wait(ctx, false)
}

// wait blocks until every ticket handed out before the call is committed
// (and, with published, published too), the store fails, or ctx ends.
func (s *Store) wait(ctx context.Context, published bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	target := s.enq
	if s.committed < target {
		wake(s.hurryC)
	}
	for {
		done := s.committed
		if published {
			done = s.published
		}
		switch {
		case done >= target:
			return nil
		case s.failing != nil && s.committed < target:
			return fmt.Errorf("store: writes are failing: %w", s.failing)
		case s.closed:
			return ErrClosed
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
			s.mu.Lock()
		case <-ctx.Done():
			s.mu.Lock()
			return ctx.Err()
		}
	}
}

// broadcastLocked wakes everyone waiting on a change. s.mu must be held.
func (s *Store) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// wake signals a goroutine waiting on c without blocking.
func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// checkOpen is the guard of every read.
func (s *Store) checkOpen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}

// pathOf is the absolute form of path, so errors and the lock name it fully.
func pathOf(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("store: %s: %w", path, err)
	}
	return abs, nil
}

// fileSize is the size of path, -1 when it does not exist.
func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%w: %s is not a regular file; pass --store with another path", ErrCorrupt, path)
	}
	return fi.Size(), nil
}
