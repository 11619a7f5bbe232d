package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// scheduled runs a schedule in a synctest bubble (fake time: every figure
// is exact) with runs that each take hold, and records what happened.
type scheduled struct {
	stats      schedStats
	starts     []time.Duration // when each run started, from t0, in start order
	lateStarts int             // runs that started later than they were due
	peak       int             // most runs inside run() at once
	elapsed    time.Duration   // t0 to the schedule's return
}

func runSchedule(t *testing.T, s schedule, limit, hold time.Duration) scheduled {
	t.Helper()
	var got scheduled
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		var mu sync.Mutex
		var running int
		t0 := time.Now()
		got.stats = s.run(ctx, t0, func(n uint64, due time.Time) {
			mu.Lock()
			got.starts = append(got.starts, time.Since(t0))
			if !time.Now().Equal(due) {
				got.lateStarts++
			}
			if d := s.due(t0, n); !d.Equal(due) {
				t.Errorf("run %d handed due %s, want %s", n, due.Sub(t0), d.Sub(t0))
			}
			running++
			got.peak = max(got.peak, running)
			mu.Unlock()
			select {
			case <-time.After(hold):
			case <-ctx.Done():
			}
			mu.Lock()
			running--
			mu.Unlock()
		})
		got.elapsed = time.Since(t0)
	})
	return got
}

// TestScheduleIsOpenLoop: runs start on time although none has ended.
func TestScheduleIsOpenLoop(t *testing.T) {
	got := runSchedule(t, schedule{rate: 100, runs: 30, maxInFlight: 1000}, time.Minute, 5*time.Second)
	if got.stats.started != 30 || got.stats.held != 0 || got.peak != 30 || got.stats.peak != 30 {
		t.Errorf("stats %+v, peak %d; want 30 started, 0 held, 30 at once", got.stats, got.peak)
	}
	if got.lateStarts != 0 {
		t.Errorf("%d runs started late with nothing holding them back", got.lateStarts)
	}
	for i, at := range got.starts {
		if want := time.Duration(i) * 10 * time.Millisecond; at != want {
			t.Errorf("run %d started at %s, want %s", i+1, at, want)
		}
	}
	// run returns when the last run (due at 290 ms) has ended.
	if want := 290*time.Millisecond + 5*time.Second; got.elapsed != want {
		t.Errorf("the schedule returned after %s, want %s (when its last run ended)", got.elapsed, want)
	}
}

// TestScheduleStopsAtTheDeadline: no run starts after ctx ends, and runs
// in flight are not waited for past it.
func TestScheduleStopsAtTheDeadline(t *testing.T) {
	got := runSchedule(t, schedule{rate: 100, runs: 1_000_000, maxInFlight: 1000}, 1005*time.Millisecond, time.Hour)
	// Runs are due at 0, 10 ms, ... 1000 ms: 101 of them before 1005 ms.
	if got.stats.started != 101 || len(got.starts) != 101 {
		t.Errorf("started %d (%d seen); want 101", got.stats.started, len(got.starts))
	}
	if got.elapsed != 1005*time.Millisecond {
		t.Errorf("returned after %s, want at the 1.005 s deadline", got.elapsed)
	}
}

// TestScheduleInFlightBound: with every slot taken, a start waits for a
// run to end and counts as held.
func TestScheduleInFlightBound(t *testing.T) {
	got := runSchedule(t, schedule{rate: 1000, runs: 20, maxInFlight: 4}, time.Minute, 100*time.Millisecond)
	if got.stats.started != 20 || got.peak != 4 || got.stats.peak != 4 || got.stats.held != 16 {
		t.Errorf("stats %+v, peak seen %d; want 20 started, at most 4 at once, 16 held", got.stats, got.peak)
	}
	if got.lateStarts != 16 {
		t.Errorf("%d runs started late; want the 16 held ones", got.lateStarts)
	}
	// Runs 1-4 start at 0-3 ms; each later one when the run four before it
	// ends, 100 ms after that one started: runs 17-20 start at 400-403 ms.
	if want := 503 * time.Millisecond; got.elapsed != want {
		t.Errorf("returned after %s, want %s", got.elapsed, want)
	}
	// A held start whose slot never frees ends with ctx.
	got = runSchedule(t, schedule{rate: 1000, runs: 20, maxInFlight: 1}, time.Second, time.Hour)
	if got.stats.started != 1 || got.stats.held != 1 || got.elapsed != time.Second {
		t.Errorf("one slot, held forever: stats %+v after %s; want 1 started, 1 held, at 1 s", got.stats, got.elapsed)
	}
}

// countingCeiling is a real Ceiling that counts the runs it was asked for.
func countingCeiling(t *testing.T) (*httptest.Server, *atomic.Int64) {
	c := NewCeiling()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/runs" {
			n.Add(1)
		}
		c.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); c.Close() })
	return srv, &n
}

func TestPacedAgainstTheCeiling(t *testing.T) {
	srv, asked := countingCeiling(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := Run(ctx, Options{URL: srv.URL, Runs: 300, Pace: 3000, Duration: 50 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Runs != 300 || r.Created != 300 || *r.Missing != 0 || *r.Duplicated != 0 || asked.Load() != 300 {
		t.Fatalf("runs %d created %d missing %d duplicated %d errors %d (%s); server asked %d times; want 300 each, 0 missing",
			r.Runs, r.Created, *r.Missing, *r.Duplicated, r.Errors, r.FirstError, asked.Load())
	}
	if r.Loop != "paced" || r.Pace != 3000 || r.Concurrency != 0 || r.StoppedBy != "runs" {
		t.Errorf("loop %q pace %v concurrency %d stopped by %q", r.Loop, r.Pace, r.Concurrency, r.StoppedBy)
	}
	if r.StartLag == nil || r.StartLag.N != 300 || r.CreateToWebhook.N != 300 || r.RunEndToWebhook.N != 300 {
		t.Errorf("start lag %+v, create→webhook %+v, run end→webhook %+v; want 300 samples each", r.StartLag, r.CreateToWebhook, r.RunEndToWebhook)
	}
	if r.MaxInFlight < 1 || r.MaxInFlight > 1024 || r.Held != 0 {
		t.Errorf("max in flight %d held %d", r.MaxInFlight, r.Held)
	}
}

// TestPacedDoesNotWaitForWebhooks: against a server that never sends a
// webhook, every scheduled run is still created (a closed loop would stop
// at one per lane); stopping the bench cuts them off without calling them
// missing.
func TestPacedDoesNotWaitForWebhooks(t *testing.T) {
	var asked atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		asked.Add(1)
		w.Write([]byte(`{"run_id":"r","status":"pending"}`)) // and never a webhook
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan *Result, 1)
	go func() {
		r, err := Run(ctx, Options{URL: srv.URL, Runs: 20, Pace: 1000, RunTimeout: time.Minute, Duration: time.Minute})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	deadline := time.Now().Add(30 * time.Second)
	for asked.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // polling the server's count
	}
	cancel()
	var r *Result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the paced bench did not stop when cancelled")
	}
	if r == nil {
		return
	}
	if r.Created != 20 || r.CutOff != 20 || *r.Missing != 0 || r.Runs != 0 || r.StoppedBy != "cancelled" || r.MaxInFlight != 20 {
		t.Errorf("created %d cut off %d missing %d runs %d stopped by %q max in flight %d; want 20, 20, 0, 0, cancelled, 20",
			r.Created, r.CutOff, *r.Missing, r.Runs, r.StoppedBy, r.MaxInFlight)
	}
}
