package store

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
)

// poll waits up to 15 s for cond, checking every 10 ms.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// failureRecorder counts OnError/OnRecover calls and published seqs.
type failureRecorder struct {
	mu        sync.Mutex
	errs      []error
	recovered int
	published []uint64
}

func (r *failureRecorder) options() Options {
	return Options{
		OnError:   func(err error) { r.mu.Lock(); r.errs = append(r.errs, err); r.mu.Unlock() },
		OnRecover: func() { r.mu.Lock(); r.recovered++; r.mu.Unlock() },
		Publish:   func(e hub.Event) { r.mu.Lock(); r.published = append(r.published, e.Seq); r.mu.Unlock() },
	}
}

func (r *failureRecorder) snapshot() (errs []error, recovered int, published []uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...), r.recovered, append([]uint64(nil), r.published...)
}

// checkFailingThenRecovered drives a store whose disk has just started
// failing: writes must not block, reads must answer, nothing uncommitted is
// published; after fix() everything queued lands, in order.
func checkFailingThenRecovered(t *testing.T, s *Store, rec *failureRecorder, fix func()) {
	t.Helper()
	ctx := context.Background()
	big := strings.Repeat("x", 4000)
	start := s.LastSeq()
	poll(t, "Err() to be set", func() bool {
		s.Append(hub.KindNotice, hub.NoticeInfo{Text: big}) // each Append must return at once
		return s.Err() != nil
	})
	queuedWhileFailing := 0
	for range 50 {
		s.Append(hub.KindNotice, hub.NoticeInfo{Text: big})
		s.PutDelivery(delivery("df", "r", "http://x/", sender.OutcomePending, time.Now()))
		queuedWhileFailing++
	}
	// Reads answer from what is committed instead of waiting for the disk.
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	evs, err := s.Events(rctx, Query{Since: start})
	if err != nil {
		t.Fatalf("Events while failing: %v", err)
	}
	if err := s.Flush(rctx); err == nil || rctx.Err() != nil {
		t.Fatalf("Flush while failing = %v, want the write error at once", err)
	}
	poll(t, "OnError", func() bool { errs, _, _ := rec.snapshot(); return len(errs) > 0 })
	errs, _, published := rec.snapshot()
	if len(errs) != 1 {
		t.Fatalf("OnError called %d times, want once for the failure period", len(errs))
	}
	t.Logf("write error while failing: %v", errs[0])
	if s.Stats().Errors == 0 {
		t.Fatal("Stats.Errors = 0 while failing")
	}
	if n := len(published); n > 0 && published[n-1] > s.LastSeq() {
		t.Fatalf("published seq %d beyond the committed %d", published[n-1], s.LastSeq())
	}
	committedWhileFailing := len(evs)

	fix()
	poll(t, "recovery", func() bool { return s.Err() == nil })
	mustFlush(t, s) // OnRecover runs before the recovered batch's Flush returns
	_, recovered, published := rec.snapshot()
	if recovered != 1 {
		t.Errorf("OnRecover called %d times", recovered)
	}
	evs, err = s.Events(ctx, Query{Since: start})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) < committedWhileFailing+queuedWhileFailing+1 {
		t.Fatalf("after recovery %d events, want at least %d", len(evs), committedWhileFailing+queuedWhileFailing+1)
	}
	for i, q := range published {
		if q != uint64(i+1) {
			t.Fatalf("publish #%d has seq %d", i, q)
		}
	}
	if uint64(len(published)) != s.LastSeq() {
		t.Fatalf("published %d events, LastSeq %d", len(published), s.LastSeq())
	}
	if _, err := s.Delivery(ctx, "df"); err != nil {
		t.Fatalf("delivery queued while failing: %v", err)
	}
}

// TestDiskFull makes SQLite itself run out of room (max_page_count at the
// current size gives SQLITE_FULL exactly as a full disk does).
func TestDiskFull(t *testing.T) {
	rec := &failureRecorder{}
	s := mustOpen(t, "", rec.options())
	s.Append(hub.KindNotice, hub.NoticeInfo{Text: "before"})
	mustFlush(t, s)
	ctx := context.Background()
	var pages int
	if err := s.wconn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.wconn.ExecContext(ctx, "PRAGMA max_page_count = "+strconv.Itoa(pages)); err != nil {
		t.Fatal(err)
	}
	checkFailingThenRecovered(t, s, rec, func() {
		if _, err := s.wconn.ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
			t.Fatal(err)
		}
	})
	if errs, _, _ := rec.snapshot(); !strings.Contains(errs[0].Error(), "full") {
		t.Errorf("OnError got %v, want a disk-full error", errs[0])
	}
}

// TestReadOnlyFile makes the WAL unwritable under a running store: chmod
// for ordinary users, chattr +i for root (root ignores file modes).
func TestReadOnlyFile(t *testing.T) {
	rec := &failureRecorder{}
	path := filepath.Join(t.TempDir(), "hooklab.db")
	s := mustOpen(t, path, rec.options())
	s.Append(hub.KindNotice, hub.NoticeInfo{Text: "before"})
	mustFlush(t, s)
	wal := path + "-wal"
	lock, unlock := readOnlyFns(t, wal)
	lock()
	t.Cleanup(unlock)
	checkFailingThenRecovered(t, s, rec, unlock)
}

// readOnlyFns returns functions that make path unwritable and writable
// again, or skips the test when this machine offers no way to do it.
func readOnlyFns(t *testing.T, path string) (func(), func()) {
	if os.Geteuid() != 0 {
		return func() { os.Chmod(path, 0o400) }, func() { os.Chmod(path, 0o600) }
	}
	chattr, err := exec.LookPath("chattr")
	if err != nil {
		t.Skip("running as root without chattr: cannot make a file read-only")
	}
	run := func(flag string) error { return exec.Command(chattr, flag, path).Run() }
	if err := run("+i"); err != nil {
		t.Skipf("chattr +i not supported here: %v", err)
	}
	run("-i")
	// Opening with O_RDWR fails on an immutable file, but the store already
	// holds the WAL open; writes through that descriptor fail with EPERM.
	return func() { run("+i") }, func() { run("-i") }
}

// TestBacklogBound: memory stays bounded. A slow writer (held here by
// pause) makes callers wait at MaxBacklog; a failing one makes them drop
// writes instead of freezing.
func TestBacklogBound(t *testing.T) {
	const bound = 64 << 10
	s := mustOpen(t, "", Options{MaxBacklog: bound})
	big := strings.Repeat("y", 1000)
	s.pause.Lock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 1000 { // ~1 MB, far above the bound
			s.Append(hub.KindNotice, hub.NoticeInfo{Text: big})
		}
	}()
	poll(t, "the backlog to fill", func() bool { return s.Stats().Backlog > bound })
	select {
	case <-done:
		t.Fatal("1 MB was queued past a 64 KiB backlog bound")
	case <-time.After(100 * time.Millisecond):
	}
	if b := s.Stats().Backlog; b > bound+4096 {
		t.Fatalf("backlog %d, bound %d", b, bound)
	}
	s.pause.Unlock()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("callers still blocked after the writer caught up")
	}
	mustFlush(t, s)
	if s.LastSeq() != 1000 || s.Stats().Dropped != 0 {
		t.Fatalf("LastSeq = %d, Dropped = %d; a slow disk must lose nothing", s.LastSeq(), s.Stats().Dropped)
	}

	// Now a failing disk: the same load returns at once, shedding writes.
	ctx := context.Background()
	var pages int
	s.wconn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages)
	s.wconn.ExecContext(ctx, "PRAGMA max_page_count = "+strconv.Itoa(pages))
	poll(t, "the disk to fail", func() bool {
		s.Append(hub.KindNotice, hub.NoticeInfo{Text: big})
		return s.Err() != nil
	})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for range 1000 {
			s.Append(hub.KindNotice, hub.NoticeInfo{Text: big})
		}
	}()
	select {
	case <-finished:
	case <-time.After(15 * time.Second):
		t.Fatal("callers blocked on a failing disk")
	}
	st := s.Stats()
	if st.Dropped == 0 || st.Backlog > bound+4096 {
		t.Fatalf("failing disk: %+v; want drops and a bounded backlog", st)
	}
	s.wconn.ExecContext(ctx, "PRAGMA max_page_count = 1073741823")
	poll(t, "recovery", func() bool { return s.Err() == nil })
	mustFlush(t, s)
}

// TestCloseGivesUpOnFailingDisk: Close must return, reporting lost writes.
func TestCloseGivesUpOnFailingDisk(t *testing.T) {
	s, err := Open(":memory:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var pages int
	s.wconn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages)
	s.wconn.ExecContext(ctx, "PRAGMA max_page_count = "+strconv.Itoa(pages))
	for range 100 {
		s.Append(hub.KindNotice, hub.NoticeInfo{Text: strings.Repeat("z", 2000)})
	}
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "could not be saved") {
			t.Fatalf("Close = %v, want lost writes reported", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Close hung on a failing disk")
	}
	if errors.Is(s.Flush(ctx), context.Canceled) {
		t.Fatal("Flush after Close blocked")
	}
}
