package client

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// sink sends n requests to the built-in sink; each records events.
func sink(t *testing.T, l *lab, name string, n int) {
	t.Helper()
	for range n {
		resp, err := http.Get(l.URL + "/hooklab/sink/" + name)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := l.St.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// collect reads events until one with Seq >= upTo arrives.
func collect(t *testing.T, sub *hub.Subscription, upTo uint64) []hub.Event {
	t.Helper()
	var out []hub.Event
	timeout := time.After(pollFor)
	for {
		select {
		case e, ok := <-sub.C():
			if !ok {
				t.Fatalf("subscription closed after %d events, waiting for seq %d", len(out), upTo)
			}
			out = append(out, e)
			if e.Seq >= upTo {
				return out
			}
		case <-timeout:
			t.Fatalf("got %d events, none with seq %d within %s", len(out), upTo, pollFor)
		}
	}
}

// contiguous fails unless evs are exactly the store's events from first on.
func contiguous(t *testing.T, l *lab, evs []hub.Event) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	want, err := l.St.Events(context.Background(), store.Query{Since: evs[0].Seq - 1, Before: evs[len(evs)-1].Seq + 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(evs) {
		t.Fatalf("feed gave %d events for seq %d..%d, the store has %d", len(evs), evs[0].Seq, evs[len(evs)-1].Seq, len(want))
	}
	for i := range evs {
		if evs[i].Seq != want[i].Seq || evs[i].Kind != want[i].Kind || string(evs[i].Payload) != string(want[i].Payload) {
			t.Fatalf("event %d: feed has seq %d %s, store has seq %d %s", i, evs[i].Seq, evs[i].Kind, want[i].Seq, want[i].Kind)
		}
	}
}

func TestSubscribeInOrderAcrossReconnects(t *testing.T) {
	l := startLab(t, filepath.Join(t.TempDir(), "h.db"), config.Default(), noEnv)
	px := newProxy(t, l.Addr)
	c, err := New("ws://" + px.Addr + "/hooklab/events")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	before := l.St.LastSeq()
	sub := c.Subscribe(ctx)

	sink(t, l, "one", 20)
	evs := collect(t, sub, l.St.LastSeq())
	if evs[0].Seq != before+1 {
		t.Fatalf("first event after Subscribe has seq %d, want %d: events were missed or replayed", evs[0].Seq, before+1)
	}
	contiguous(t, l, evs)

	// Break the connection, record more while it is down, and expect every
	// event once, in order, after the reconnect (?since=<last seq>).
	for round := range 3 {
		px.cut()
		sink(t, l, "two", 10)
		more := collect(t, sub, l.St.LastSeq())
		evs = append(evs, more...)
		contiguous(t, l, evs)
		if more[0].Seq != evs[len(evs)-len(more)-1].Seq+1 {
			t.Fatalf("round %d: reconnect resumed at seq %d", round, more[0].Seq)
		}
	}
	deadline := time.Now().Add(pollFor)
	for c.Err() != nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("Err after reconnecting = %v", err)
	}

	// Events published to the hub by the server reach a second, independent
	// subscription too.
	sub2 := c.Subscribe(ctx)
	sink(t, l, "three", 1)
	got := collect(t, sub2, l.St.LastSeq())
	if got[len(got)-1].Kind != hub.KindSink && got[len(got)-1].Kind != hub.KindRequest {
		t.Fatalf("second subscription got %s last", got[len(got)-1].Kind)
	}

	cancel()
	select {
	case <-sub.Done():
	case <-time.After(pollFor):
		t.Fatal("subscription still open after its context ended")
	}
	if err := c.Err(); err != nil {
		t.Fatalf("Err after a clean stop = %v", err)
	}
}

func TestSubscribeCloseStopsTheReader(t *testing.T) {
	l := startLab(t, filepath.Join(t.TempDir(), "h.db"), config.Default(), noEnv)
	c, _ := New(l.Addr)
	sub := c.Subscribe(context.Background())
	deadline := time.Now().Add(pollFor)
	for l.Hub.Subscribers() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if l.Hub.Subscribers() == 0 {
		t.Fatal("the websocket never subscribed on the server")
	}
	sub.Close()
	// Closing the subscription closes the websocket, so the server drops
	// its hub subscriber.
	deadline = time.Now().Add(pollFor)
	for l.Hub.Subscribers() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := l.Hub.Subscribers(); n != 0 {
		t.Fatalf("server still has %d subscribers after Close", n)
	}
}

func TestSubscribeRefreshesConfigOnConfigEvents(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := startLab(t, filepath.Join(t.TempDir(), "h.db"), config.Default(), noEnv)
	c, _ := New(l.URL)
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	sub := c.Subscribe(ctx)
	// Someone else (the hooklab's own dashboard) turns webhooks off.
	f := l.Srv.Runtime().File.Clone()
	f.HTTP.DisableWebhooks = true
	if err := l.Srv.ApplyConfig(ctx, f, false); err != nil {
		t.Fatal(err)
	}
	collect(t, sub, l.St.LastSeq())
	deadline := time.Now().Add(pollFor)
	for !c.Config().DisableWebhooks && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !c.Config().DisableWebhooks {
		t.Fatal("the cached config did not follow a config event on the feed")
	}
}

func TestSubscribeFollowsARestartOnAFreshStore(t *testing.T) {
	old := startLab(t, filepath.Join(t.TempDir(), "old.db"), config.Default(), noEnv)
	sink(t, old, "pad", 30) // the old store is well ahead of a fresh one
	px := newProxy(t, old.Addr)
	c, _ := New(px.Addr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := c.Subscribe(ctx)
	sink(t, old, "old", 1)
	collect(t, sub, old.St.LastSeq())

	fresh := startLab(t, filepath.Join(t.TempDir(), "fresh.db"), config.Default(), noEnv)
	if fresh.St.LastSeq() >= old.St.LastSeq() {
		t.Fatalf("fresh store at seq %d is not behind the old one at %d", fresh.St.LastSeq(), old.St.LastSeq())
	}
	px.switchTo(fresh.Addr)
	px.cut()
	sink(t, fresh, "fresh", 2)
	got := collect(t, sub, fresh.St.LastSeq())
	var sinks int
	for _, e := range got {
		if e.Kind == hub.KindSink {
			sinks++
		}
	}
	if sinks != 2 {
		t.Fatalf("got %d sink events from the restarted hooklab, want 2", sinks)
	}
}

// BenchmarkFeed measures store-to-remote-subscriber throughput: events
// appended to a real store, sent over the websocket and published on the
// client's local hub.
func BenchmarkFeed(b *testing.B) {
	l := startLab(b, filepath.Join(b.TempDir(), "h.db"), config.Default(), noEnv)
	st := l.St
	c, _ := New(l.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := c.Subscribe(ctx)
	var seen, got atomic.Uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range sub.C() {
			seen.Store(e.Seq)
			got.Add(1)
		}
	}()
	b.ResetTimer()
	for i := range b.N {
		st.Append(hub.KindNotice, hub.NoticeInfo{Level: "info", Text: "bench " + strconv.Itoa(i)})
	}
	if err := st.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	want := st.LastSeq()
	deadline := time.Now().Add(time.Minute)
	for seen.Load() < want {
		if time.Now().After(deadline) {
			b.Fatalf("feed did not reach seq %d", want)
		}
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if got.Load() != uint64(b.N) || sub.Dropped() > 0 {
		b.Logf("received %d of %d events, %d dropped by the local hub", got.Load(), b.N, sub.Dropped())
	}
	cancel()
	<-done
}
