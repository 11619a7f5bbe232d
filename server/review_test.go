package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"hooklab/server/engine"
)

// TestNeverFiringScheduleRefused: Feb 30 parses but never fires; it is a 422,
// not a cron the scheduler would fire in a loop.
func TestNeverFiringScheduleRefused(t *testing.T) {
	ts := mustStart(t)
	status, body, _ := ts.do(t, "POST", "/runs/crons", map[string]any{"assistant_id": "agent", "schedule": "0 0 30 2 *"})
	if status != 422 || !strings.Contains(string(body), "never fires") {
		t.Fatalf("Feb 30 schedule: %d %s", status, body)
	}
}

// TestFinishedRunsStayFinishedAfterRestart: join answers at once, cancel is
// a 409 and delete works for a run loaded from the store.
func TestFinishedRunsStayFinishedAfterRestart(t *testing.T) {
	ts := mustStart(t)
	tid := newThreadID(t, ts)
	ts.mustDo(t, "POST", "/threads/"+tid+"/runs/wait", runBodyWith("", nil), 200, nil)
	var runs []engine.Run
	ts.mustDo(t, "GET", "/threads/"+tid+"/runs", nil, 200, &runs)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ts.Store.Flush(ctx)
	srv2, err := New(Options{Store: ts.Store, Hub: ts.Hub, Live: liveRuntime(ts.Srv.Runtime()), Heartbeat: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h := srv2.Handler()
	path := "/threads/" + tid + "/runs/" + runs[0].RunID
	rec := newRecorderWithTimeout(t, h, http.MethodGet, path+"/join")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"messages"`) || strings.HasPrefix(rec.Body.String(), "\n") {
		t.Errorf("join of a loaded run: %d %q", rec.Code, rec.Body.String())
	}
	if rec := newRecorderWithTimeout(t, h, http.MethodPost, path+"/cancel"); rec.Code != 409 {
		t.Errorf("cancel of a loaded finished run: %d %s", rec.Code, rec.Body.String())
	}
	if rec := newRecorderWithTimeout(t, h, http.MethodDelete, path); rec.Code != 204 {
		t.Errorf("delete of a loaded finished run: %d %s", rec.Code, rec.Body.String())
	}
}

// TestBatchRefusalCreatesNothing: one refused body, no run at all.
func TestBatchRefusalCreatesNothing(t *testing.T) {
	ts := mustStart(t)
	rc := newReceiver(t)
	status, body, _ := ts.do(t, "POST", "/runs/batch", []any{
		map[string]any{"assistant_id": "agent", "webhook": rc.URL},
		map[string]any{"assistant_id": "agent", "webhook": "ftp://x.example/"},
	})
	if status != 422 || !strings.Contains(string(body), "[1]") {
		t.Fatalf("batch: %d %s", status, body)
	}
	time.Sleep(200 * time.Millisecond) // a run, had one been created, would have sent its webhook
	rc.mu.Lock()
	n := len(rc.hooks)
	rc.mu.Unlock()
	if n != 0 {
		t.Fatalf("a refused batch still ran %d runs", n)
	}
}
