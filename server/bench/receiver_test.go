package bench

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestReceiverDrain: drain keeps answering while webhooks keep coming, and
// returns once they stop, or at its limit.
func TestReceiverDrain(t *testing.T) {
	r, err := startReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	drained := make(chan struct{})
	go func() {
		r.drain(context.Background(), 2*time.Second, time.Minute)
		close(drained)
	}()
	for i := range 10 {
		select {
		case <-drained:
			t.Fatalf("drain returned after %d of 10 webhooks, each within 2 s of the one before", i)
		default:
		}
		resp, err := http.Post(r.url(0, uint64(1000+i)), "application/json", strings.NewReader(`{"status":"success"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook %d: %s", i, resp.Status)
		}
		time.Sleep(10 * time.Millisecond) // a trickle of late webhooks
	}
	select {
	case <-drained:
	case <-time.After(time.Minute):
		t.Fatal("drain did not return after the webhooks stopped")
	}
	if _, late, _ := r.counts(); late != 10 {
		t.Errorf("late = %d, want the 10 webhooks nobody waited for", late)
	}

	// A limit ends it even while webhooks would keep it open.
	r.last.Store(time.Now().Add(time.Hour).UnixNano())
	done := make(chan struct{})
	go func() { r.drain(context.Background(), time.Hour, 50*time.Millisecond); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("drain ran past its limit")
	}
}
