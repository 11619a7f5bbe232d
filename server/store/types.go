// Package store is hooklab's durable history on SQLite (modernc.org/sqlite,
// pure Go): the API's objects (assistants, threads, runs, crons, and the
// items of the LangGraph store API), webhook deliveries and the event log.
//
// Writes never wait for the disk: Put, Delete, Append and PutDelivery queue
// the write (copying or marshalling everything on the caller's goroutine)
// and one writer goroutine commits whatever is queued in one transaction,
// coalescing repeated upserts of the same object or delivery. Events get
// their Seq at commit, in queue order, and are handed to Options.Publish
// only after the commit, on a separate goroutine, strictly in Seq order:
// anything a subscriber sees is already on disk. Reads first wait for
// earlier writes to commit, so a read after a write sees it.
//
// Durability: the file is in WAL mode with synchronous=NORMAL, so a commit
// survives the process being killed (kill -9); only a power cut can cost
// the last transactions. When writes fail (disk full, read-only file), the
// batch is kept and retried, Err reports the failure and OnError is called;
// the API keeps answering. Memory is bounded by Options.MaxBacklog.
//
// A file store is owned by one process at a time (a flock on <file>.lock);
// others open it with Options.ReadOnly. A file that is not a hooklab store,
// is corrupt or comes from a newer hooklab is refused and never modified.
package store

import (
	"encoding/json"
	"errors"
	"time"

	"hooklab/server/hub"
)

// Table names an object table. Objects are stored as the JSON the API serves.
type Table string

// The object tables.
const (
	Assistants Table = "assistants"
	Threads    Table = "threads"
	Runs       Table = "runs"
	Crons      Table = "crons"
	// StoreItems holds the items of the LangGraph store API.
	StoreItems Table = "store_items"
	// Observations holds the runs an upstream-mode hooklab is waiting to
	// see end (package upstream), so a restart resumes them.
	Observations Table = "observations"
)

// Record is one stored API object.
type Record struct {
	ID     string          // primary key (assistant_id, thread_id, run_id, cron_id)
	Parent string          // thread_id for runs and thread crons, "" otherwise
	Data   json.RawMessage // the object as the API serves it
}

// Query selects events from the log.
type Query struct {
	Since  uint64     // only events with Seq > Since
	Before uint64     // only events with Seq < Before (0: no bound)
	Kinds  []hub.Kind // empty: all kinds
	Limit  int        // 0: no limit
	Newest bool       // the newest Limit events (still returned oldest first)
}

// DeliveryQuery selects deliveries, newest first.
type DeliveryQuery struct {
	Outcome string    // exact outcome, "" for any
	URL     string    // substring of the URL
	RunID   string    // exact run id
	Since   time.Time // created at or after
	Limit   int       // 0: 100
}

// Errors the store returns.
var (
	ErrNotFound = errors.New("not found")
	ErrCorrupt  = errors.New("store file is not a hooklab database or is corrupt")
	ErrNewer    = errors.New("store file was written by a newer hooklab")
	ErrReadOnly = errors.New("store is read-only")
	ErrClosed   = errors.New("store is closed")
	ErrLocked   = errors.New("store file is in use by another hooklab")
)
