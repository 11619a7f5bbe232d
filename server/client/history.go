package client

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"hooklab/sender"
	"hooklab/server/store"
)

// defaultOwnerAddr is where a relative webhook URL points when no running
// hooklab owns the store: hooklab's default --addr.
const defaultOwnerAddr = "127.0.0.1:2024"

// ownerTimeout bounds a history read from the owning hooklab: it is local,
// so a longer wait means it is stuck, and the user should hear so.
const ownerTimeout = 30 * time.Second

// UsageError is a mistake in how a command was called, or a store path
// that cannot hold history (exit code 2); other errors are failures (1).
type UsageError struct{ Msg string }

// Error implements error.
func (e *UsageError) Error() string { return e.Msg }

// HistoryOptions are the settings of `hooklab history`.
type HistoryOptions struct {
	StorePath  string // default: store.DefaultPath
	Limit      int    // 1-10000
	JSON       bool   // a JSON array instead of a table
	CurlID     string // print this delivery (its id or a unique prefix) as a curl command instead
	ConfigPath string // langgraph.json whose header templates --curl uses for deliveries that kept none
	Getenv     func(string) (string, bool)
}

// History prints the stored deliveries, newest first, or one of them (by
// id or unique prefix) as a runnable curl command. It asks the hooklab
// that owns the store when one is running, else reads the file. Errors
// start with "hooklab history:"; an ambiguous prefix is a *UsageError
// naming the candidates.
func History(ctx context.Context, o HistoryOptions, stdout, stderr io.Writer) error {
	src, err := openSource(o.StorePath, o.Getenv, false, "hooklab history")
	if err != nil {
		return err
	}
	defer src.close()

	if o.CurlID != "" {
		d, err := src.delivery(ctx, o.CurlID)
		if err != nil {
			return lookupError("hooklab history", err, o.CurlID)
		}
		templates, err := headerTemplates(o.ConfigPath)
		if err != nil {
			fmt.Fprintln(stderr, "hooklab history: warning:", err, "(its templates are not used)")
		}
		fmt.Fprint(stdout, CurlCommand(d, src.addr(), templates))
		return nil
	}
	ds, err := src.deliveries(ctx, o.Limit)
	if err != nil {
		return fmt.Errorf("hooklab history: %w", err)
	}
	kept, kerr := src.kept(ctx)
	if o.JSON {
		rows := make([]Summary, len(ds))
		for i, d := range ds {
			rows[i] = Summarize(d)
		}
		b, _ := store.MarshalIndent(rows, "", "  ")
		fmt.Fprintln(stdout, string(b))
		if kerr == nil {
			fmt.Fprintln(stderr, keptLine(kept)) // stdout stays one JSON array
		}
		return nil
	}
	writeTable(stdout, ds)
	if kerr == nil {
		fmt.Fprintln(stdout, keptLine(kept))
	}
	return nil
}

// keptLine says how much history the store keeps, and what was pruned.
func keptLine(k store.Kept) string {
	s := fmt.Sprintf("history: %d runs, %s on disk", k.Runs, formatSize(k.Bytes))
	if k.MaxBytes > 0 {
		s += " (limit " + formatSize(k.MaxBytes) + ")"
	}
	if !k.Oldest.IsZero() {
		s += ", the oldest from " + k.Oldest.Local().Format("2006-01-02 15:04:05")
	}
	if !k.PrunedUntil.IsZero() {
		s += "; runs up to " + k.PrunedUntil.Local().Format("2006-01-02 15:04:05") + " were pruned"
	}
	return s
}

// formatSize writes n bytes for a person: 1.2 GB, 40.0 MB, 512 kB.
func formatSize(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// Summary is one delivery in `hooklab history --json`.
type Summary struct {
	ID         string    `json:"id"`
	RunID      string    `json:"run_id"`
	ThreadID   string    `json:"thread_id,omitempty"`
	URL        string    `json:"url"`
	Outcome    string    `json:"outcome"`
	Attempts   int       `json:"attempts"`
	Status     int       `json:"status"`
	Reason     string    `json:"reason"`
	ReplayOf   string    `json:"replay_of"`
	DurationMS float64   `json:"duration_ms"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Summarize is d without its headers, body and attempt log.
func Summarize(d sender.Delivery) Summary {
	return Summary{
		ID: d.ID, RunID: d.RunID, ThreadID: d.ThreadID, URL: d.URL, Outcome: d.Outcome,
		Attempts: d.Attempts, Status: d.Status, Reason: d.Reason, ReplayOf: d.ReplayOf,
		DurationMS: d.DurationMS, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
}

func writeTable(w io.Writer, ds []sender.Delivery) {
	if len(ds) == 0 {
		fmt.Fprintln(w, "no deliveries recorded yet")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tOUTCOME\tATTEMPTS\tSTATUS\tURL\tID\tREPLAY_OF")
	for _, d := range ds {
		status, replayOf := "-", cmp.Or(d.ReplayOf, "-")
		if d.Status != 0 {
			status = strconv.Itoa(d.Status)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", d.CreatedAt.Local().Format("2006-01-02 15:04:05"),
			d.Outcome, d.Attempts, status, d.URL, d.ID, replayOf)
	}
	tw.Flush()
}

// describe makes a lookup error say which delivery was missing.
func describe(err error, id string) string {
	var pe *store.PrunedError
	if errors.As(err, &pe) {
		return fmt.Sprintf("no delivery %q in the history: %s", id, pe.Why())
	}
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Sprintf("no delivery %q in the history, nor a run with that id (list the deliveries with `hooklab history`)", id)
	}
	return err.Error()
}

// lookupError is cmd's error for a delivery id that found nothing, or
// more than one delivery: an ambiguous prefix is a usage error (exit 2)
// that names the candidates, from the store or from the owner's 409.
func lookupError(cmd string, err error, id string) error {
	var ae *APIError
	if errors.Is(err, store.ErrAmbiguous) || errors.As(err, &ae) && ae.Status == http.StatusConflict {
		return &UsageError{Msg: cmd + ": " + err.Error()}
	}
	return fmt.Errorf("%s: %s", cmd, describe(err, id))
}

// source is where a command reads deliveries: the hooklab that owns the
// store, or the store file itself.
type source struct {
	path  string
	owner string       // the owner's address, "" when reading the file
	c     *Client      // set with owner
	st    *store.Store // set without owner
}

// openSource finds the store at path (default: store.DefaultPath) and
// connects to its owner or opens the file (read-only unless writable).
func openSource(path string, getenv func(string) (string, bool), writable bool, cmd string) (*source, error) {
	if path == "" {
		path = store.DefaultPath(func(k string) string { v, _ := getenv(k); return v })
	}
	if path == "" {
		return nil, &UsageError{cmd + ": no store path: set $XDG_STATE_HOME or $HOME, or pass --store"}
	}
	if path == ":memory:" {
		return nil, &UsageError{cmd + ": an in-memory store keeps no history to read; pass --store with a file"}
	}
	if addr, ok := store.OwnerAddr(path); ok {
		c, err := New(addr, WithToken(EnvToken(getenv)))
		if err == nil {
			return &source{path: path, owner: addr, c: c}, nil
		}
	}
	// Never create a store here: a missing file is a wrong path or no history yet.
	if fi, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: no history at %s: the file does not exist (has hooklab run with this --store?)", cmd, path)
	} else if err == nil && fi.Size() == 0 {
		// An empty file is no store; opening it writable to "recover"
		// would turn it into one.
		return nil, fmt.Errorf("%s: no history at %s: the file is empty (has hooklab run with this --store?)", cmd, path)
	}
	st, err := openStore(path, writable)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", cmd, err)
	}
	return &source{path: path, st: st}, nil
}

// openStore opens the file for reading, or writing. A read-only open that
// fails for another reason than the file itself (say a WAL left by a killed
// hooklab that a read-only connection cannot recover) is retried writable,
// which recovers it as a restart of hooklab would.
func openStore(path string, writable bool) (*store.Store, error) {
	if writable {
		return store.Open(path, store.Options{})
	}
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrCorrupt) || errors.Is(err, store.ErrNewer) {
		return st, err
	}
	st, werr := store.Open(path, store.Options{})
	if werr != nil {
		return nil, fmt.Errorf("%v (and opening it to recover: %v)", err, werr)
	}
	return st, nil
}

func (s *source) close() {
	if s.st != nil {
		s.st.Close()
	}
}

// addr is where relative webhook URLs of this store point.
func (s *source) addr() string {
	if s.owner != "" {
		return s.owner
	}
	return defaultOwnerAddr
}

func (s *source) deliveries(ctx context.Context, limit int) ([]sender.Delivery, error) {
	if s.c != nil {
		ctx, cancel := context.WithTimeout(ctx, ownerTimeout)
		defer cancel()
		ds, err := s.c.Deliveries(ctx, store.DeliveryQuery{Limit: limit})
		if err != nil {
			return nil, fmt.Errorf("asking the hooklab at %s that owns %s: %w", s.owner, s.path, err)
		}
		return ds, nil
	}
	return s.st.Deliveries(ctx, store.DeliveryQuery{Limit: limit})
}

// kept is how much history the store keeps (the owner's health check
// carries it).
func (s *source) kept(ctx context.Context) (store.Kept, error) {
	if s.c != nil {
		ctx, cancel := context.WithTimeout(ctx, ownerTimeout)
		defer cancel()
		var h struct {
			History *store.Kept `json:"history"`
		}
		if err := s.c.do(ctx, http.MethodGet, "/hooklab/healthz", nil, &h); err != nil {
			return store.Kept{}, err
		}
		if h.History == nil {
			return store.Kept{}, errors.New("the hooklab that owns the store does not report its history")
		}
		return *h.History, nil
	}
	return s.st.Kept(ctx)
}

func (s *source) delivery(ctx context.Context, id string) (sender.Delivery, error) {
	if s.c != nil {
		ctx, cancel := context.WithTimeout(ctx, ownerTimeout)
		defer cancel()
		d, err := s.c.Delivery(ctx, id)
		var ae *APIError
		if err != nil && !errors.As(err, &ae) {
			err = fmt.Errorf("asking the hooklab at %s that owns %s: %w", s.owner, s.path, err)
		}
		return d, err
	}
	return s.st.FindDelivery(ctx, id)
}
