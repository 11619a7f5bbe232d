package sender_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

func closeWithin(t *testing.T, s *sender.Sender, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// A delivery waiting to retry at Close is stored pending with its next
// attempt time; the next Start picks it up, keeping the attempts made.
func TestCloseKeepsRetryPendingAndStartResumes(t *testing.T) {
	rv := newReceiver(t, 500, 200)
	rec := newRecorder(t)
	o := fastOptions(rec, nil)
	o.Backoff = func(int) time.Duration { return 200 * time.Millisecond }
	s1 := sender.New(o)
	if err := s1.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	id := mustSend(t, s1, rv.URL, sampleRun())
	waitFor(t, rec, id, func(d sender.Delivery) bool { return d.Attempts == 1 })
	closeWithin(t, s1, 5*time.Second)
	d, _ := rec.Delivery(context.Background(), id)
	if d.Outcome != sender.OutcomePending || d.Attempts != 1 || d.NextAttemptAt == nil {
		t.Fatalf("after Close: %+v", d)
	}
	if _, err := s1.Send(context.Background(), sender.Job{URL: rv.URL, Run: sampleRun()}); !errors.Is(err, sender.ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}

	s2 := mustStart(t, o)
	_ = s2
	d = waitFinal(t, rec, id)
	if d.Outcome != sender.OutcomeDelivered || d.Attempts != 2 || len(d.AttemptLog) != 2 || rv.hits.Load() != 2 {
		t.Fatalf("after resume: %s %d log %d hits %d", d.Outcome, d.Attempts, len(d.AttemptLog), rv.hits.Load())
	}
}

// Close gives in-flight attempts until its ctx ends, then aborts them; they
// and anything still queued are stored pending and resumed next time.
func TestCloseAbortsInFlightAndQueued(t *testing.T) {
	var hang atomic.Bool
	hang.Store(true)
	release := make(chan struct{})
	defer close(release)
	rv := newReceiver(t)
	rv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rv.hits.Add(1)
		if hang.Load() {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	rec := newRecorder(t)
	o := fastOptions(rec, nil)
	o.Workers = 1
	o.Timeout = 30 * time.Second
	s1 := sender.New(o)
	if err := s1.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	inflight := mustSend(t, s1, rv.URL, sampleRun())
	queued := mustSend(t, s1, rv.URL, sampleRun())
	for rv.hits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	closeWithin(t, s1, 100*time.Millisecond)
	for _, id := range []string{inflight, queued} {
		d, _ := rec.Delivery(context.Background(), id)
		if d.Outcome != sender.OutcomePending || d.Attempts != 0 {
			t.Fatalf("after Close: %+v", d)
		}
	}
	hang.Store(false)
	s2 := mustStart(t, o)
	_ = s2
	for _, id := range []string{inflight, queued} {
		if d := waitFinal(t, rec, id); d.Outcome != sender.OutcomeDelivered || d.Attempts != 1 {
			t.Fatalf("after resume: %+v", d)
		}
	}
}

func TestStartMarksUnresumableInterrupted(t *testing.T) {
	rec := newRecorder(t)
	now := time.Now()
	rec.PutDelivery(sender.Delivery{ID: "no-body", URL: "http://127.0.0.1:1/", Outcome: sender.OutcomePending, CreatedAt: now})
	rec.PutDelivery(sender.Delivery{ID: "exhausted", URL: "http://127.0.0.1:1/", Outcome: sender.OutcomePending, Attempts: 3,
		Body: []byte(`{"run_id":"r"}`), CreatedAt: now})
	rec.PutDelivery(sender.Delivery{ID: "lost-secret", URL: "http://127.0.0.1:1/", Outcome: sender.OutcomePending,
		Body: []byte(`{"run_id":"r"}`), SecretHeaders: []string{"Authorization"}, CreatedAt: now,
		Headers: []sender.Header{{Name: "Authorization", Value: "Bear…"}}})
	mustStart(t, fastOptions(rec, nil))
	for _, id := range []string{"no-body", "exhausted", "lost-secret"} {
		d := waitFinal(t, rec, id)
		if d.Outcome != sender.OutcomeInterrupted || d.Reason == "" {
			t.Fatalf("%s: %+v", id, d)
		}
	}
}

func TestNoGoroutineLeakAfterClose(t *testing.T) {
	rec := newRecorder(t)
	noLeaks := leakCheck(t)
	rv := newReceiver(t, 500, 200)
	ok := newReceiver(t)
	o := fastOptions(rec, nil)
	o.Backoff = func(int) time.Duration { return time.Hour }
	s := mustStart(t, o)
	waitFinal(t, rec, mustSend(t, s, ok.URL, sampleRun()))
	waiting := mustSend(t, s, rv.URL, sampleRun())
	waitFor(t, rec, waiting, func(d sender.Delivery) bool { return d.Attempts == 1 })
	s.SetLocal(http.NotFoundHandler())
	waitFinal(t, rec, mustSend(t, s, "/local", sampleRun()))
	closeWithin(t, s, 5*time.Second)
	rv.Close()
	ok.Close()
	noLeaks()
}

// benchRecorder only counts finished deliveries, so the benchmark measures
// the sender and the network, not a test double.
type benchRecorder struct{ done, failed atomic.Int64 }

func (r *benchRecorder) Append(hub.Kind, any) {}
func (r *benchRecorder) PutDelivery(d sender.Delivery) {
	if d.Outcome != sender.OutcomePending {
		r.done.Add(1)
	}
	if d.Outcome != sender.OutcomePending && d.Outcome != sender.OutcomeDelivered {
		r.failed.Add(1)
	}
}
func (r *benchRecorder) Delivery(context.Context, string) (sender.Delivery, error) {
	return sender.Delivery{}, store.ErrNotFound
}
func (r *benchRecorder) Unfinished(context.Context) ([]sender.Delivery, error) { return nil, nil }
func (r *benchRecorder) Journal(sender.Delivery)                               {}

// BenchmarkDeliver measures the sender and the network alone: the
// recorder only counts finished deliveries.
func BenchmarkDeliver(b *testing.B) {
	rec := &benchRecorder{}
	benchDeliver(b, rec, func(n int64) bool { return rec.done.Load() >= n }, rec.failed.Load)
}

// BenchmarkDeliverStore is the same with the real SQLite store recording
// every delivery, decision and attempt, as hooklab runs.
func BenchmarkDeliverStore(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "hooklab.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	count := func(outcome string, limit int) int64 {
		ds, err := st.Deliveries(context.Background(), store.DeliveryQuery{Outcome: outcome, Limit: limit})
		if err != nil {
			b.Fatal(err)
		}
		return int64(len(ds))
	}
	benchDeliver(b, st,
		func(int64) bool { return count(sender.OutcomePending, 1) == 0 },
		func() int64 { return count(sender.OutcomeFailed, 1<<30) })
}

func benchDeliver(b *testing.B, rec sender.Recorder, finished func(n int64) bool, failed func() int64) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	o := fastOptions(rec, nil)
	o.Workers, o.Queue = 64, 4096
	s := sender.New(o)
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	}()
	run := sampleRun()
	ctx := context.Background()
	start := time.Now()
	n := int64(0)
	for b.Loop() {
		if _, err := s.Send(ctx, sender.Job{URL: srv.URL + "/hook", Run: run}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	deadline := time.Now().Add(60 * time.Second)
	for !finished(n) {
		if time.Now().After(deadline) {
			b.Fatalf("%d deliveries did not finish in time", n)
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	if f := failed(); f > 0 {
		b.Fatalf("%d deliveries not delivered", f)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "deliveries/s")
}
