package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
)

// mustOpen opens a store in a fresh temp dir (or at path) and closes it at
// the end of the test.
func mustOpen(t testing.TB, path string, o Options) *Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "state", "hooklab.db")
	}
	s, err := Open(path, o)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustFlush(t testing.TB, s *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// fixedClock returns a Now that advances one millisecond per call.
func fixedClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2024, 8, 30, 23, 7, 38, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

func delivery(id, run, url, outcome string, created time.Time) sender.Delivery {
	return sender.Delivery{
		ID: id, RunID: run, ThreadID: "t-" + run, URL: url, Outcome: outcome, Attempts: 1, Status: 200,
		Headers:   []sender.Header{{Name: "Authorization", Value: "Bear…"}},
		Body:      json.RawMessage(`{"run_id":"` + run + `"}`),
		CreatedAt: created, UpdatedAt: created,
	}
}

func TestRoundTrip(t *testing.T) {
	for _, mode := range []string{"file", "memory"} {
		t.Run(mode, func(t *testing.T) {
			path := ""
			if mode == "memory" {
				path = ":memory:"
			}
			var (
				mu  sync.Mutex
				got []hub.Event
			)
			s := mustOpen(t, path, Options{Now: fixedClock(), Publish: func(e hub.Event) {
				mu.Lock()
				got = append(got, e)
				mu.Unlock()
			}})
			ctx := context.Background()

			s.Put(Threads, Record{ID: "t1", Data: json.RawMessage(`{"thread_id":"t1"}`)})
			s.Put(Runs, Record{ID: "r1", Parent: "t1", Data: json.RawMessage(`{"run_id":"r1"}`)})
			s.Put(Runs, Record{ID: "r2", Parent: "t1", Data: json.RawMessage(`{"run_id":"r2"}`)})
			s.Put(Assistants, Record{ID: "a1", Data: json.RawMessage(`{}`)})
			s.Put(Crons, Record{ID: "c1", Data: json.RawMessage(`{}`)})
			s.Delete(Runs, "r2")
			s.Append(hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/runs", Status: 200})
			s.Append(hub.KindRun, hub.RunInfo{RunID: "r1", Status: "success"})
			s.Append(hub.KindSink, hub.SinkInfo{Name: "x"})
			base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			s.PutDelivery(delivery("d1", "r1", "http://a.example/hook", sender.OutcomePending, base))
			s.PutDelivery(delivery("d2", "r2", "http://B.example/Hook?x=1", sender.OutcomeDelivered, base.Add(time.Second)))
			s.PutDelivery(delivery("d3", "r3", "http://c.example/", sender.OutcomeFailed, base.Add(2*time.Second)))
			mustFlush(t, s)

			runs, err := s.Load(Runs)
			if err != nil || len(runs) != 1 || runs[0].ID != "r1" || runs[0].Parent != "t1" || string(runs[0].Data) != `{"run_id":"r1"}` {
				t.Fatalf("Load(Runs) = %+v, %v", runs, err)
			}
			for _, tb := range []Table{Threads, Assistants, Crons} {
				if rs, err := s.Load(tb); err != nil || len(rs) != 1 {
					t.Fatalf("Load(%s) = %+v, %v", tb, rs, err)
				}
			}
			if _, err := s.Load("nope"); err == nil {
				t.Fatal("Load of an unknown table succeeded")
			}

			evs, err := s.Events(ctx, Query{})
			if err != nil || len(evs) != 3 {
				t.Fatalf("Events = %+v, %v", evs, err)
			}
			for i, e := range evs {
				if e.Seq != uint64(i+1) {
					t.Errorf("event %d has seq %d", i, e.Seq)
				}
			}
			var ri hub.RequestInfo
			if err := evs[0].Decode(&ri); err != nil || ri.Path != "/runs" || evs[0].Kind != hub.KindRequest {
				t.Fatalf("first event = %+v (%v)", evs[0], err)
			}
			if want := time.Date(2024, 8, 30, 23, 7, 38, int(time.Millisecond), time.UTC); !evs[0].Time.Equal(want) {
				t.Errorf("event time = %v, want %v", evs[0].Time, want)
			}
			if s.LastSeq() != 3 {
				t.Errorf("LastSeq = %d", s.LastSeq())
			}
			mu.Lock()
			if len(got) != 3 || got[2].Seq != 3 || !got[0].Time.Equal(evs[0].Time) || string(got[0].Payload) != string(evs[0].Payload) {
				t.Errorf("published %+v, stored %+v", got, evs)
			}
			mu.Unlock()

			for _, c := range []struct {
				q    Query
				seqs []uint64
			}{
				{Query{Since: 1}, []uint64{2, 3}},
				{Query{Before: 3}, []uint64{1, 2}},
				{Query{Kinds: []hub.Kind{hub.KindRun, hub.KindSink}}, []uint64{2, 3}},
				{Query{Limit: 2}, []uint64{1, 2}},
				{Query{Limit: 2, Newest: true}, []uint64{2, 3}},
				{Query{Limit: 1, Newest: true, Kinds: []hub.Kind{hub.KindRequest}}, []uint64{1}},
			} {
				evs, err := s.Events(ctx, c.q)
				if err != nil {
					t.Fatal(err)
				}
				var seqs []uint64
				for _, e := range evs {
					seqs = append(seqs, e.Seq)
				}
				if fmt.Sprint(seqs) != fmt.Sprint(c.seqs) {
					t.Errorf("Events(%+v) = %v, want %v", c.q, seqs, c.seqs)
				}
			}

			d, err := s.Delivery(ctx, "d2")
			if err != nil || d.URL != "http://B.example/Hook?x=1" || d.Headers[0].Value != "Bear…" || !d.CreatedAt.Equal(base.Add(time.Second)) {
				t.Fatalf("Delivery(d2) = %+v, %v", d, err)
			}
			if _, err := s.Delivery(ctx, "missing"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Delivery(missing) err = %v", err)
			}
			for _, c := range []struct {
				q   DeliveryQuery
				ids string
			}{
				{DeliveryQuery{}, "[d3 d2 d1]"},
				{DeliveryQuery{Outcome: sender.OutcomeDelivered}, "[d2]"},
				{DeliveryQuery{URL: "b.example/hook"}, "[d2]"},
				{DeliveryQuery{URL: "%"}, "[]"},
				{DeliveryQuery{RunID: "r3"}, "[d3]"},
				{DeliveryQuery{Since: base.Add(time.Second)}, "[d3 d2]"},
				{DeliveryQuery{Limit: 1}, "[d3]"},
			} {
				ds, err := s.Deliveries(ctx, c.q)
				if err != nil {
					t.Fatal(err)
				}
				ids := []string{}
				for _, d := range ds {
					ids = append(ids, d.ID)
				}
				if fmt.Sprint(ids) != c.ids {
					t.Errorf("Deliveries(%+v) = %v, want %v", c.q, ids, c.ids)
				}
			}
			un, err := s.Unfinished(ctx)
			if err != nil || len(un) != 1 || un[0].ID != "d1" {
				t.Fatalf("Unfinished = %+v, %v", un, err)
			}
			// An update moves d1 out of the pending set.
			d1 := delivery("d1", "r1", "http://a.example/hook", sender.OutcomeDelivered, base)
			s.PutDelivery(d1)
			if un, _ := s.Unfinished(ctx); len(un) != 0 {
				t.Fatalf("Unfinished after update = %+v", un)
			}
			if st := s.Stats(); st.Queued != 13 || st.Written != 13 || st.Errors != 0 || st.Backlog != 0 {
				t.Errorf("Stats = %+v", st)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if _, err := s.Events(ctx, Query{}); !errors.Is(err, ErrClosed) {
				t.Fatalf("Events after Close: %v", err)
			}
			s.Append(hub.KindNotice, hub.NoticeInfo{Text: "late"}) // must not panic or block
			if s.Stats().Dropped != 1 {
				t.Errorf("Dropped = %d", s.Stats().Dropped)
			}
		})
	}
}

func TestRestartPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		s.Append(hub.KindNotice, hub.NoticeInfo{Text: fmt.Sprint(i)})
	}
	s.Put(Runs, Record{ID: "r1", Parent: "t1", Data: json.RawMessage(`{"a":1}`)})
	s.PutDelivery(delivery("d1", "r1", "http://x/", sender.OutcomePending, time.Now()))
	if err := s.Close(); err != nil { // Close flushes; no explicit Flush
		t.Fatal(err)
	}

	s = mustOpen(t, path, Options{})
	if s.LastSeq() != 50 {
		t.Fatalf("LastSeq after reopen = %d", s.LastSeq())
	}
	s.Append(hub.KindNotice, hub.NoticeInfo{Text: "after"})
	evs, err := s.Events(context.Background(), Query{Since: 49})
	if err != nil || len(evs) != 2 || evs[1].Seq != 51 {
		t.Fatalf("Events = %+v, %v", evs, err)
	}
	if runs, _ := s.Load(Runs); len(runs) != 1 {
		t.Fatalf("runs = %+v", runs)
	}
	if un, _ := s.Unfinished(context.Background()); len(un) != 1 {
		t.Fatalf("unfinished = %+v", un)
	}
}

func TestCoalescing(t *testing.T) {
	s := mustOpen(t, "", Options{})
	// Holding pause keeps the writer from starting a batch, so the ops
	// below pile up (at most the first one may already be taken).
	s.pause.Lock()
	const n = 1000
	for i := range n {
		s.Put(Runs, Record{ID: "r", Data: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))})
		s.PutDelivery(delivery("d", "r", fmt.Sprintf("http://x/%d", i), sender.OutcomePending, time.Now()))
	}
	s.Put(Threads, Record{ID: "gone", Data: json.RawMessage(`{}`)})
	s.Delete(Threads, "gone")
	s.pause.Unlock()
	mustFlush(t, s)
	if st := s.Stats(); st.Coalesced < 2*n-4 {
		t.Errorf("Coalesced = %d, want about %d (%+v)", st.Coalesced, 2*n, st)
	}
	runs, _ := s.Load(Runs)
	if len(runs) != 1 || string(runs[0].Data) != fmt.Sprintf(`{"i":%d}`, n-1) {
		t.Fatalf("runs = %+v", runs)
	}
	if th, _ := s.Load(Threads); len(th) != 0 {
		t.Fatalf("threads = %+v", th)
	}
	d, err := s.Delivery(context.Background(), "d")
	if err != nil || d.URL != fmt.Sprintf("http://x/%d", n-1) {
		t.Fatalf("delivery = %+v, %v", d, err)
	}
}

// TestPublishAfterCommit checks that events are published in strictly
// increasing, gap-free Seq order and only once another connection can see
// them in the file.
func TestPublishAfterCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	other := openRaw(t, path, false)
	var (
		mu        sync.Mutex
		seqs      []uint64
		invisible []uint64
	)
	s := mustOpen(t, path, Options{Publish: func(e hub.Event) {
		var n int
		if err := other.QueryRow("SELECT count(*) FROM events WHERE seq = ?", e.Seq).Scan(&n); err != nil || n != 1 {
			mu.Lock()
			invisible = append(invisible, e.Seq)
			mu.Unlock()
		}
		mu.Lock()
		seqs = append(seqs, e.Seq)
		mu.Unlock()
	}})
	const workers, each = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				s.Append(hub.KindRequest, hub.RequestInfo{Path: fmt.Sprintf("/w%d/%d", w, i)})
			}
		})
	}
	wg.Wait()
	mustFlush(t, s)
	mu.Lock()
	defer mu.Unlock()
	if len(seqs) != workers*each {
		t.Fatalf("published %d events, want %d", len(seqs), workers*each)
	}
	for i, q := range seqs {
		if q != uint64(i+1) {
			t.Fatalf("publish #%d has seq %d", i, q)
		}
	}
	if len(invisible) > 0 {
		t.Fatalf("%d events were published before another connection could read them (first %d)", len(invisible), invisible[0])
	}
}

// TestPublishMayRead: a Publish callback that reads the store must not
// deadlock the writer.
func TestPublishMayRead(t *testing.T) {
	var s *Store
	done := make(chan struct{}, 100)
	s = mustOpen(t, "", Options{Publish: func(e hub.Event) {
		if _, err := s.Events(context.Background(), Query{Since: e.Seq - 1, Limit: 1}); err != nil {
			t.Errorf("Events in Publish: %v", err)
		}
		done <- struct{}{}
	}})
	for range 20 {
		s.Append(hub.KindNotice, hub.NoticeInfo{Text: "x"})
	}
	timeout := time.After(10 * time.Second)
	for range 20 {
		select {
		case <-done:
		case <-timeout:
			t.Fatal("Publish callback that reads the store deadlocked")
		}
	}
}

func TestDefaultPath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/home/u"}, "/x/state/hooklab/hooklab.db"},
		{map[string]string{"XDG_STATE_HOME": "relative", "HOME": "/home/u"}, "/home/u/.local/state/hooklab/hooklab.db"},
		{map[string]string{"HOME": "/home/u"}, "/home/u/.local/state/hooklab/hooklab.db"},
		{map[string]string{}, ""},
	} {
		if got := DefaultPath(env(c.env)); got != c.want {
			t.Errorf("DefaultPath(%v) = %q, want %q", c.env, got, c.want)
		}
	}
	if _, err := Open("", Options{}); err == nil {
		t.Error("Open(\"\") succeeded")
	}
}

func TestMemoryStoreIsBoundedInBytes(t *testing.T) {
	st := mustOpen(t, ":memory:", Options{MemoryBytes: 10_000})
	big := strings.Repeat("x", 2000)
	for range 20 {
		st.Append(hub.KindNotice, hub.NoticeInfo{Text: big})
	}
	st.Append(hub.KindNotice, hub.NoticeInfo{Text: "newest"})
	evs, err := st.Events(context.Background(), Query{})
	if err != nil {
		t.Fatal(err)
	}
	var bytes int
	for _, e := range evs {
		bytes += len(e.Payload)
	}
	if len(evs) == 0 || len(evs) > 5 || bytes > 10_000 || evs[len(evs)-1].Seq != 21 {
		t.Fatalf("kept %d events, %d bytes (last seq %d); want the newest within 10,000 bytes", len(evs), bytes, evs[len(evs)-1].Seq)
	}
}

func TestMemoryStoreIsPrivateAndBounded(t *testing.T) {
	a := mustOpen(t, ":memory:", Options{MemoryKeep: 10})
	b := mustOpen(t, ":memory:", Options{})
	for range 25 {
		a.Append(hub.KindNotice, hub.NoticeInfo{Text: "a"})
	}
	evs, err := a.Events(context.Background(), Query{})
	if err != nil || len(evs) != 10 || evs[0].Seq != 16 || evs[9].Seq != 25 {
		t.Fatalf("memory events = %d (%v)", len(evs), err)
	}
	if evs, _ := b.Events(context.Background(), Query{}); len(evs) != 0 {
		t.Fatalf("second memory store sees %d events of the first", len(evs))
	}
	if a.Path() != ":memory:" {
		t.Errorf("Path = %q", a.Path())
	}
	if _, ok := OwnerAddr(":memory:"); ok {
		t.Error("OwnerAddr(:memory:) = true")
	}
}
