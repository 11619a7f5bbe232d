package server

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

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
		if bytes.Contains(b, []byte(`"kind":"sink"`)) && bytes.Contains(b, []byte(`<b>&amp;</b>`)) {
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
