package engine

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestTruncateWhileRunsEnd: truncating runs while others are created and
// end must not cancel a run that is ending (its done channel was closed
// twice, a panic) and leaves no run behind.
func TestTruncateWhileRunsEnd(t *testing.T) {
	e := newTestEngine(t)
	stop := time.Now().Add(300 * time.Millisecond)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := 0; i < 2000 && time.Now().Before(stop); i++ {
				tid := mustThread(t, e, nil)
				if _, _, err := e.CreateRun(context.Background(), RunSpec{Request: &RunRequest{AssistantID: ptr("agent")}, ThreadID: tid}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for time.Now().Before(stop) {
		e.Truncate(Truncation{Runs: true})
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.Truncate(Truncation{Runs: true})
		e.mu.Lock()
		n := len(e.runs)
		e.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d runs left after truncating", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
