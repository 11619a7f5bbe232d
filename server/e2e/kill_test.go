package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hooklab/sender"
	"hooklab/server/engine"
	"hooklab/server/hub"
)

// TestE2EKill9DuringBurst: kill -9 while deliveries are in flight, then
// restart on the same store. Every event the feed published before the
// kill is still stored, and every acknowledged run ends with a delivery
// that was resumed (delivered) or marked, none left pending or lost.
func TestE2EKill9DuringBurst(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "h.db")
	rc := newHookRecorder(t, 300*time.Millisecond)
	p := startHooklab(t, nil, "--store", storePath)

	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(p.URL, "http")+"/hooklab/events?since=0", nil)
	if err != nil {
		t.Fatal(err)
	}
	var seenMu sync.Mutex
	var seen uint64
	go func() {
		for {
			var e hub.Event
			if conn.ReadJSON(&e) != nil {
				return
			}
			seenMu.Lock()
			seen = max(seen, e.Seq)
			seenMu.Unlock()
		}
	}()

	const runs = 60
	ids := make(chan string, runs)
	var wg sync.WaitGroup
	for lane := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range runs / 6 {
				var run engine.Run
				out := postJSON(t, p.URL+"/runs", map[string]any{"assistant_id": "agent", "webhook": fmt.Sprintf("%s/hook/%d-%d", rc.URL, lane, i)})
				json.Unmarshal(out, &run)
				ids <- run.RunID
			}
		}()
	}
	wg.Wait()
	close(ids)
	time.Sleep(150 * time.Millisecond) // records committed; many POSTs still at the slow receiver
	seenMu.Lock()
	published := seen
	seenMu.Unlock()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	conn.Close()

	// The store as the kill left it: some deliveries must still be pending,
	// or this test would not exercise resuming.
	out, stderr, code := runCLI(t, nil, "history", "--json", "--limit", "1000", "--store", storePath)
	if code != 0 {
		t.Fatalf("history after kill: %d %s", code, stderr)
	}
	if n := strings.Count(out, `"outcome":"pending"`) + strings.Count(out, `"outcome": "pending"`); n == 0 {
		t.Fatalf("no delivery was in flight at kill -9; the test proves nothing:\n%s", out)
	} else {
		t.Logf("%d deliveries pending at kill -9", n)
	}

	p2 := startHooklab(t, nil, "--store", storePath)
	var evs []hub.Event
	getJSON(t, p2.URL+"/hooklab/history?since=0&limit=100000", &evs)
	have := map[uint64]bool{}
	for _, e := range evs {
		have[e.Seq] = true
	}
	for seq := uint64(1); seq <= published; seq++ {
		if !have[seq] {
			t.Fatalf("event %d was published before kill -9 but is not in the store (published up to %d)", seq, published)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for id := range ids {
		for {
			var ds []sender.Delivery
			getJSON(t, p2.URL+"/hooklab/deliveries?run_id="+id, &ds)
			if len(ds) == 1 && ds[0].Outcome != sender.OutcomePending {
				if ds[0].Outcome != sender.OutcomeDelivered && ds[0].Outcome != sender.OutcomeInterrupted {
					t.Errorf("run %s: delivery %s %q", id, ds[0].Outcome, ds[0].Reason)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %s: deliveries %+v never settled after restart", id, ds)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
