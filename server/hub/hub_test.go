package hub

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func ev(seq uint64) Event {
	return Event{Seq: seq, Time: time.Unix(0, 0), Kind: KindRequest, Payload: json.RawMessage(`{}`)}
}

// TestFanOutInOrder: every subscriber gets every event, in publish order.
func TestFanOutInOrder(t *testing.T) {
	h := New()
	subs := []*Subscription{h.Subscribe(t.Context(), 16), h.Subscribe(t.Context(), 16)}
	for i := uint64(1); i <= 10; i++ {
		h.Publish(ev(i))
	}
	for n, s := range subs {
		for i := uint64(1); i <= 10; i++ {
			if e := <-s.C(); e.Seq != i {
				t.Fatalf("subscriber %d got seq %d, want %d", n, e.Seq, i)
			}
		}
		if s.Lagged() || s.Dropped() != 0 {
			t.Fatalf("subscriber %d lagged without overflow", n)
		}
	}
	if h.LastSeq() != 10 {
		t.Fatalf("LastSeq %d", h.LastSeq())
	}
}

// TestSlowSubscriberIsDroppedNotWaitedFor: publish never blocks; a full
// buffer drops for that subscriber only and marks it lagged.
func TestSlowSubscriberIsDroppedNotWaitedFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New()
		slow := h.Subscribe(t.Context(), 2)
		fast := h.Subscribe(t.Context(), 100)
		done := make(chan struct{})
		go func() {
			for i := uint64(1); i <= 50; i++ {
				h.Publish(ev(i))
			}
			close(done)
		}()
		synctest.Wait() // the publisher finished without anyone reading
		select {
		case <-done:
		default:
			t.Fatal("Publish blocked on a slow subscriber")
		}
		if !slow.Lagged() || slow.Dropped() != 48 {
			t.Fatalf("slow: lagged=%v dropped=%d, want true 48", slow.Lagged(), slow.Dropped())
		}
		if fast.Lagged() || len(fast.C()) != 50 {
			t.Fatalf("fast: lagged=%v buffered=%d", fast.Lagged(), len(fast.C()))
		}
		slow.ClearLag()
		if slow.Lagged() || slow.Dropped() != 48 {
			t.Fatal("ClearLag must reset the flag and keep the count")
		}
	})
}

// TestSubscriptionEndsWithContext: cancelling the context closes C and
// removes the subscriber; Close is idempotent.
func TestSubscriptionEndsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New()
		ctx, cancel := context.WithCancel(t.Context())
		s := h.Subscribe(ctx, 4)
		cancel()
		synctest.Wait()
		if _, ok := <-s.C(); ok {
			t.Fatal("C still open after the context ended")
		}
		if h.Subscribers() != 0 {
			t.Fatalf("%d subscribers left", h.Subscribers())
		}
		s.Close()
		s.Close()
		h.Publish(ev(1)) // must not panic on a closed subscription
	})
}

// TestCloseEndsEverything: after Close, subscriptions are closed and new
// ones start closed.
func TestCloseEndsEverything(t *testing.T) {
	h := New()
	s := h.Subscribe(t.Context(), 1)
	h.Close()
	if _, ok := <-s.C(); ok {
		t.Fatal("subscription open after hub Close")
	}
	late := h.Subscribe(t.Context(), 1)
	if _, ok := <-late.C(); ok {
		t.Fatal("subscription to a closed hub is open")
	}
}

// TestConcurrentPublishAndClose has no race or panic (run with -race).
func TestConcurrentPublishAndClose(t *testing.T) {
	h := New()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := range 1000 {
				h.Publish(ev(uint64(i*1000 + j)))
			}
		}()
		go func() {
			defer wg.Done()
			for range 100 {
				s := h.Subscribe(t.Context(), 8)
				s.Close()
			}
		}()
	}
	wg.Wait()
}

// BenchmarkHubPublish measures fan-out to 4 subscribers that keep up.
func BenchmarkHubPublish(b *testing.B) {
	h := New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range 4 {
		s := h.Subscribe(ctx, 4096)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range s.C() {
			}
		}()
	}
	e := ev(1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.Seq = uint64(i)
		h.Publish(e)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	cancel()
	h.Close()
	wg.Wait()
}
