package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hooklab/server/crons"
	"hooklab/server/engine"
	"hooklab/server/hub"
)

func dialFeed(t *testing.T, ts *testServer, query string) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/hooklab/events"+query, nil)
	if err != nil {
		t.Fatalf("dial feed: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestFeedSinceZeroExactlyOnce: a client with ?since=0 sees every event once,
// in order, while events are being produced concurrently.
func TestFeedSinceZeroExactlyOnce(t *testing.T) {
	ts := mustStart(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 25 {
				ts.do(t, "POST", "/runs/wait", runBodyWith(fmt.Sprintf("/hooklab/sink/l%d-%d", i, j), nil))
			}
		}()
	}
	time.Sleep(20 * time.Millisecond) // connect while the burst is under way
	conn := dialFeed(t, ts, "?since=0")
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.Store.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := ts.Store.LastSeq()
	var prev uint64
	for prev < want {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		var e hub.Event
		if err := conn.ReadJSON(&e); err != nil {
			t.Fatalf("after seq %d of %d: %v", prev, want, err)
		}
		if e.Seq != prev+1 {
			t.Fatalf("got seq %d after %d: not every event exactly once in order", e.Seq, prev)
		}
		prev = e.Seq
	}
}

// TestFeedSlowConsumer: a feed client that never reads does not slow the server.
// TestFeedKeepsBytesAsSent: the feed carries "<", ">" and "&" in bodies as
// they were sent, not HTML-escaped.
func TestFeedKeepsBytesAsSent(t *testing.T) {
	ts := mustStart(t)
	conn := dialFeed(t, ts, "?since=0")
	// A string body: json.Marshal in the test would escape it itself.
	ts.mustDo(t, "POST", "/runs/wait", `{"assistant_id":"agent","webhook":"/hooklab/sink/x",
		"input":{"messages":[{"role":"user","content":"<b>&amp;</b>"}]}}`, 200, nil)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("no feed frame with the body as sent: %v", err)
		}
		if bytes.Contains(b, []byte(`\u003cb`)) {
			t.Fatalf("frame escapes HTML: %s", b)
		}
		if bytes.Contains(b, []byte(`"kind":"attempt"`)) && bytes.Contains(b, []byte(`<b>&amp;</b>`)) {
			return
		}
	}
}

func TestFeedSlowConsumer(t *testing.T) {
	ts := mustStart(t)
	dialFeed(t, ts, "?since=0") // never read
	fast := dialFeed(t, ts, "")
	for range 300 {
		ts.mustDo(t, "POST", "/runs/wait", runBodyWith("", nil), 200, nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ts.Store.Flush(ctx)
	want := ts.Store.LastSeq()
	var last uint64
	for last < want {
		fast.SetReadDeadline(time.Now().Add(5 * time.Second))
		var e hub.Event
		if err := fast.ReadJSON(&e); err != nil {
			t.Fatalf("reading client stalled at %d/%d: %v", last, want, err)
		}
		last = e.Seq
	}
}

// TestCronSchedulerFires: a due cron starts a run carrying its webhook.
func TestCronSchedulerFires(t *testing.T) {
	var skew atomic.Int64 // how far the scheduler's clock is ahead of the real one
	ts := mustStart(t, withClock(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }))
	rc := newReceiver(t)
	tid := newThreadID(t, ts)
	var c crons.Cron
	ts.mustDo(t, "POST", "/threads/"+tid+"/runs/crons", map[string]any{
		"assistant_id": "agent", "schedule": "0 0 1 1 *", "webhook": rc.URL + "/cron",
		"input": map[string]any{"messages": []any{"tick"}},
	}, 200, &c)
	// Move the clock past its next run date, as time would; creating
	// another cron wakes the scheduler to look again.
	skew.Store(int64(time.Until(c.NextRunDate.Time) + time.Second))
	ts.mustDo(t, "POST", "/runs/crons", map[string]any{"assistant_id": "agent", "schedule": "0 0 1 1 *"}, 200, nil)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var runs []engine.Run
		ts.mustDo(t, "GET", "/threads/"+tid+"/runs", nil, 200, &runs)
		if len(runs) == 1 {
			body := rc.wait(t, runs[0].RunID, 1)[0]
			if body["status"] != "success" {
				t.Fatalf("cron run webhook %v", body)
			}
			var after crons.Cron
			ts.mustDo(t, "GET", "/runs/crons/"+c.CronID, nil, 200, &after)
			if after.NextRunDate == nil || !after.NextRunDate.After(time.Now()) {
				t.Fatalf("next_run_date not moved on: %v", after.NextRunDate)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the scheduler never fired the due cron")
}

// TestCronEndTimeAndTimezone: next_run_date honours timezone and end_time.
func TestCronEndTimeAndTimezone(t *testing.T) {
	ts := mustStart(t)
	var c crons.Cron
	ts.mustDo(t, "POST", "/runs/crons", map[string]any{
		"assistant_id": "agent", "schedule": "30 9 * * *", "timezone": "Asia/Kolkata",
	}, 200, &c)
	if c.NextRunDate == nil || c.NextRunDate.UTC().Hour() != 4 || c.NextRunDate.UTC().Minute() != 0 {
		t.Errorf("09:30 Asia/Kolkata should be 04:00 UTC, got %v", c.NextRunDate)
	}
	end := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	ts.mustDo(t, "POST", "/runs/crons", map[string]any{"assistant_id": "agent", "schedule": "* * * * *", "end_time": end}, 200, &c)
	if c.NextRunDate != nil {
		t.Errorf("a cron past its end_time has next_run_date %v", c.NextRunDate)
	}
}

// TestRestartKeepsObjects: threads, runs, crons and events survive a restart.
func TestRestartKeepsObjects(t *testing.T) {
	ts := mustStart(t)
	tid := newThreadID(t, ts)
	var run engine.Run
	ts.mustDo(t, "POST", "/threads/"+tid+"/runs/wait", runBodyWith("", nil), 200, nil)
	var runs []engine.Run
	ts.mustDo(t, "GET", "/threads/"+tid+"/runs", nil, 200, &runs)
	run = runs[0]
	var c crons.Cron
	ts.mustDo(t, "POST", "/runs/crons", map[string]any{"assistant_id": "agent", "schedule": "0 0 * * *"}, 200, &c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ts.Store.Flush(ctx)
	// A second server over the same database, as after a restart.
	srv2, err := New(Options{Store: ts.Store, Hub: ts.Hub, Live: liveRuntime(ts.Srv.Runtime())})
	if err != nil {
		t.Fatal(err)
	}
	fifty := 50
	if h, err := srv2.eng.ThreadHistory(tid, engine.HistoryQuery{Limit: &fifty}); err != nil || len(h) == 0 {
		t.Errorf("thread %s not restored with its history: %v", tid, err)
	}
	if r, err := srv2.eng.Run("", run.RunID); err != nil || r.Status != "success" {
		t.Errorf("run %s not restored: %v", run.RunID, err)
	}
	if _, err := srv2.crons.Get(c.CronID); err != nil {
		t.Errorf("cron %s not restored: %v", c.CronID, err)
	}
	th, _ := srv2.eng.Thread(tid)
	var vals map[string]any
	json.Unmarshal(th.Values, &vals)
	if len(vals["messages"].([]any)) != 2 {
		t.Errorf("thread values not restored: %s", th.Values)
	}
}
