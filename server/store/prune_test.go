package store

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
)

// fileBytes is the store's size on disk, as Kept counts it, and what
// makes it up.
func fileBytes(t *testing.T, s *Store) (int64, string) {
	t.Helper()
	k, err := s.Kept(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	j := journalPaths(s.path)
	for _, p := range []string{s.path, s.path + "-wal", s.path + "-shm", j[0], j[1]} {
		if fi, err := os.Stat(p); err == nil {
			parts = append(parts, fmt.Sprintf("%s %d", filepath.Base(p), fi.Size()))
		}
	}
	return k.Bytes, strings.Join(parts, ", ")
}

func randHex(n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// recordRun records what a run with a webhook leaves, as the engine and
// the sender do: the request, three run events, the creation decision,
// the delivery (pending, then final) with its events and one attempt.
// final false leaves the delivery pending after its first attempt, as a
// delivery waiting to retry. It returns the delivery.
func recordRun(s *Store, i int, at time.Time, final bool) sender.Delivery {
	run := fmt.Sprintf("run-%06d-%s", i, randHex(8))
	thread, url := "thread-"+randHex(16), fmt.Sprintf("http://127.0.0.1:9/hook?n=%d", i)
	body := fmt.Sprintf(`{"run_id":%q,"thread_id":%q,"status":"success","kwargs":{"input":{"messages":[{"content":"%s","role":"user"}]}},"values":null}`,
		run, thread, randHex(800))
	s.Append(hub.KindDecision, hub.DecisionInfo{Stage: "create", Decision: config.Decision{URL: url, Allowed: true}})
	s.Append(hub.KindRun, hub.RunInfo{RunID: run, ThreadID: thread, AssistantID: "agent", Status: "pending", Webhook: url})
	s.Append(hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/runs", Status: 200, Body: []byte(`{"assistant_id":"agent"}`), RunID: run})
	s.Append(hub.KindRun, hub.RunInfo{RunID: run, Status: "running"})
	s.Append(hub.KindRun, hub.RunInfo{RunID: run, Status: "success"})
	d := sender.Delivery{ID: fmt.Sprintf("dlv-%06d", i), RunID: run, ThreadID: thread, URL: url, Outcome: sender.OutcomePending,
		Headers: []sender.Header{{Name: "Content-Type", Value: "application/json"}}, Body: []byte(body),
		Decision:  &config.Decision{URL: url, Allowed: true, Checks: []config.Check{{Rule: "length", Passed: true, Value: 2048, Source: "s"}}},
		CreatedAt: at, UpdatedAt: at}
	s.PutDelivery(d)
	s.Append(hub.KindDelivery, d.Info())
	a := sender.Attempt{DeliveryID: d.ID, RunID: run, Attempt: 1, Method: "POST", URL: url, RequestHeaders: d.Headers,
		RequestBody: d.Body, Status: 200, StartedAt: at}
	d.Attempts, d.Status, d.AttemptLog, d.UpdatedAt = 1, 200, []sender.Attempt{a}, at.Add(time.Millisecond)
	if final {
		d.Outcome = sender.OutcomeDelivered
	}
	s.Append(hub.KindAttempt, a)
	s.PutDelivery(d)
	s.Append(hub.KindDelivery, d.Info())
	return d
}

// checkWholeRuns fails unless every run the store has events of is whole
// (its first event is there), every final delivery belongs to such a run,
// and the count of runs Kept reports is the count of runs there.
func checkWholeRuns(t *testing.T, s *Store) (runs map[string]bool) {
	t.Helper()
	ctx := context.Background()
	// One read transaction: pruning may go on meanwhile.
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var counted int64
	if err := tx.QueryRowContext(ctx, "SELECT CAST(value AS INTEGER) FROM hooklab_meta WHERE key = 'runs'").Scan(&counted); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT json_extract(payload, '$.run_id'),
		MAX(kind = 'run' AND json_extract(payload, '$.status') = 'pending' AND json_extract(payload, '$.thread_id') IS NOT NULL)
		FROM events WHERE json_extract(payload, '$.run_id') IS NOT NULL GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	runs = map[string]bool{}
	for rows.Next() {
		var run string
		var first bool
		if err := rows.Scan(&run, &first); err != nil {
			t.Fatal(err)
		}
		if !first {
			t.Errorf("run %s lost its first events to pruning but kept later ones", run)
		}
		runs[run] = true
	}
	rows.Close()
	if counted != int64(len(runs)) {
		t.Errorf("the store counts %d runs, its events hold %d", counted, len(runs))
	}
	ids, err := tx.QueryContext(ctx, "SELECT id, run_id, outcome, data FROM deliveries")
	if err != nil {
		t.Fatal(err)
	}
	defer ids.Close()
	var n int
	for ids.Next() {
		var id, run, outcome string
		var data []byte
		if err := ids.Scan(&id, &run, &outcome, &data); err != nil {
			t.Fatal(err)
		}
		if !runs[run] {
			t.Errorf("delivery %s (%s) outlived its run's events", id, outcome)
		}
		// Every row kept still has the dictionary it was compressed with.
		if _, err := s.unpackRow(ctx, data); err != nil {
			t.Errorf("delivery %s: %v", id, err)
		}
		n++
	}
	// Dictionaries go with the rows that use them: never more of them
	// than the rows kept could have made (one per dictWindow rows, and
	// the current one).
	var dicts int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM dicts").Scan(&dicts); err != nil {
		t.Fatal(err)
	}
	if limit := n/dictWindow + 2; dicts > limit {
		t.Errorf("%d compression dictionaries kept for %d delivery rows; want at most %d", dicts, n, limit)
	}
	return runs
}

// TestPruneHoldsTheLimit: 25,000 runs (5,000 under the race detector)
// into a store limited to 12 MB.
// Its files stay within the limit all along, the oldest runs go whole, a
// delivery still pending from the first run is kept with its run, and the
// newest deliveries are listed.
func TestPruneHoldsTheLimit(t *testing.T) {
	runs, limit := 25000, int64(12_000_000)
	if raceEnabled {
		runs = 5000 // the race detector slows the store tenfold
	}
	path := t.TempDir() + "/h.db"
	// A clock of 10 ms a run: the runs span minutes, as a busy server's
	// do, not the seconds this loop takes.
	var tick atomic.Int64
	base := time.Now()
	clock := func() time.Time { return base.Add(time.Duration(tick.Load()) * 10 * time.Millisecond) }
	s := mustOpen(t, path, Options{MaxBytes: limit, Now: clock})
	ctx := context.Background()
	start := time.Now()
	first := recordRun(s, 0, clock(), false)
	var peak int64
	var peakParts string
	sample := func() {
		mustFlush(t, s)
		if n, parts := fileBytes(t, s); n > peak {
			peak, peakParts = n, parts
		}
	}
	var last sender.Delivery
	deadline := time.Now().Add(3 * time.Minute)
	for i := 1; i < runs; i++ {
		tick.Store(int64(i))
		last = recordRun(s, i, clock(), true)
		if i%50 == 0 { // a batch of a busy server: ~20 ms of runs
			sample()
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d runs in 3 minutes", i, runs)
			}
		}
	}
	sample()
	t.Logf("%d runs in %v; peak %d bytes on disk (%s), limit %d", runs, time.Since(start).Round(time.Millisecond), peak, peakParts, limit)
	if peak > limit {
		t.Errorf("the store took %d bytes on disk, over its limit of %d", peak, limit)
	}
	kept := checkWholeRuns(t, s)
	if len(kept) >= runs/2 || len(kept) < 1000 {
		t.Errorf("%d runs kept of %d: pruning did not happen, or took too much", len(kept), runs)
	}
	if d, err := s.Delivery(ctx, first.ID); err != nil || d.Outcome != sender.OutcomePending || !kept[first.RunID] {
		t.Errorf("the delivery still pending from the first run: %+v, %v (its run kept: %v)", d.Outcome, err, kept[first.RunID])
	}
	ds, err := s.Deliveries(ctx, DeliveryQuery{Limit: 3})
	if err != nil || len(ds) != 3 || ds[0].ID != last.ID || ds[0].Outcome != sender.OutcomeDelivered || string(ds[0].Body) != string(last.Body) {
		var ids []string
		for _, d := range ds {
			ids = append(ids, d.ID+" "+d.Outcome)
		}
		t.Fatalf("the newest deliveries: %v, %v; want %s first", ids, err, last.ID)
	}
	if _, err := s.Delivery(ctx, "dlv-000001"); err == nil || !strings.Contains(err.Error(), "was pruned") {
		t.Errorf("a pruned delivery: %v, want an error saying it was pruned", err)
	}
}

// TestPruneByAge: runs older than MaxAge go, newer ones stay.
func TestPruneByAge(t *testing.T) {
	now := time.Now()
	var clock atomicTime
	clock.set(now.Add(-3 * time.Hour))
	s := mustOpen(t, t.TempDir()+"/h.db", Options{MaxAge: time.Hour, Now: clock.get})
	for i := range 50 {
		recordRun(s, i, clock.get(), true)
	}
	clock.set(now)
	for i := 50; i < 80; i++ {
		recordRun(s, i, now, true)
	}
	mustFlush(t, s)
	deadline := time.Now().Add(10 * time.Second)
	for {
		k, err := s.Kept(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if k.Runs == 30 && !k.Oldest.Before(now.Add(-time.Hour)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("runs older than an hour were not pruned: %+v", k)
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkWholeRuns(t, s)
}

// atomicTime is a clock a test moves.
type atomicTime struct{ ns atomic.Int64 }

func (c *atomicTime) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *atomicTime) get() time.Time  { return time.Unix(0, c.ns.Load()) }

// pruneHelperEnv names the store the helper process prunes.
const pruneHelperEnv = "HOOKLAB_PRUNE_HELPER"

// TestHelperPruner is the process TestKill9WhilePruning kills: it opens
// the store with a limit far below what it holds, says "pruning" inside
// its third prune transaction, and waits there to be killed.
func TestHelperPruner(t *testing.T) {
	path := os.Getenv(pruneHelperEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	chunks := 0
	s, err := Open(path, Options{MaxBytes: 4_000_000, pruneHook: func() {
		if chunks++; chunks == 3 {
			fmt.Println("pruning")
			time.Sleep(30 * time.Second)
		}
	}})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	time.Sleep(30 * time.Second)
	s.Close()
	os.Exit(2)
}

// TestKill9WhilePruning: a hooklab killed inside a prune transaction loses
// nothing it keeps. Afterwards the store opens, the runs it holds are the
// newest ones, each whole, with their deliveries readable, and the
// delivery still pending from the oldest run is there.
func TestKill9WhilePruning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s := mustOpen(t, path, Options{})
	first := recordRun(s, 0, time.Now(), false)
	var order []sender.Delivery
	for i := 1; i < 3000; i++ {
		order = append(order, recordRun(s, i, time.Now(), true))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPruner$")
	cmd.Env = append(os.Environ(), pruneHelperEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	said := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "pruning" {
				said <- "pruning"
				return
			}
		}
		said <- "eof"
	}()
	select {
	case l := <-said:
		if l != "pruning" {
			t.Fatal("the helper ended before it pruned")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the helper never pruned")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	s = mustOpen(t, path, Options{})
	ctx := context.Background()
	kept := checkWholeRuns(t, s)
	if !kept[first.RunID] {
		t.Fatal("the run whose delivery is pending was pruned")
	}
	if d, err := s.Delivery(ctx, first.ID); err != nil || d.Outcome != sender.OutcomePending {
		t.Fatalf("the pending delivery after the kill: %v, %v", d.Outcome, err)
	}
	// The two chunks committed before the kill went; everything after
	// the oldest run left is there, whole.
	cut := 0
	for cut < len(order) && !kept[order[cut].RunID] {
		cut++
	}
	if cut == 0 || cut == len(order) {
		t.Fatalf("%d of %d runs pruned before the kill: the test exercised nothing", cut, len(order))
	}
	for _, d := range order[cut:] {
		if !kept[d.RunID] {
			t.Fatalf("run %s, newer than the oldest kept, was lost", d.RunID)
		}
		got, err := s.Delivery(ctx, d.ID)
		if err != nil || got.Outcome != sender.OutcomeDelivered || string(got.Body) != string(d.Body) {
			t.Fatalf("delivery %s after the kill: %v, %v", d.ID, got.Outcome, err)
		}
	}
	t.Logf("%d runs pruned in the two chunks committed before the kill; %d kept", cut, len(order)-cut)
}
