package server

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/server/engine"
)

// receiver records webhook bodies by run id.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	hooks map[string][]map[string]any
	ctype []string
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{hooks: map[string][]map[string]any{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		rc.mu.Lock()
		id, _ := body["run_id"].(string)
		rc.hooks[id] = append(rc.hooks[id], body)
		rc.ctype = append(rc.ctype, r.Header.Get("Content-Type"))
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.Close)
	return rc
}

// wait returns the webhook bodies of a run once there are n of them.
func (rc *receiver) wait(t *testing.T, runID string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		rc.mu.Lock()
		got := rc.hooks[runID]
		rc.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("run %s: fewer than %d webhooks", runID, n)
	return nil
}

func (rc *receiver) count(runID string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.hooks[runID])
}

func newThreadID(t *testing.T, ts *testServer) string {
	var th engine.Thread
	ts.mustDo(t, "POST", "/threads", map[string]any{}, 200, &th)
	return th.ThreadID
}

func runBodyWith(webhook string, configurable map[string]any) map[string]any {
	return map[string]any{
		"assistant_id": "agent", "webhook": webhook,
		"input":  map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}},
		"config": map[string]any{"configurable": configurable},
	}
}

// TestWebhookStatuses produces every status a webhook reports: success,
// error, timeout, interrupted and rollback.
func TestWebhookStatuses(t *testing.T) {
	ts := mustStart(t, withRunTimeout(150*time.Millisecond))
	rc := newReceiver(t)
	tid := newThreadID(t, ts)
	create := func(cfg map[string]any) engine.Run {
		var run engine.Run
		ts.mustDo(t, "POST", "/threads/"+tid+"/runs", runBodyWith(rc.URL+"/hook?token=t", cfg), 200, &run)
		return run
	}
	ok := create(nil)
	if got := rc.wait(t, ok.RunID, 1)[0]; got["status"] != "success" || got["values"] == nil {
		t.Errorf("success webhook: %v", got)
	}
	failed := create(map[string]any{"fail": "boom"})
	got := rc.wait(t, failed.RunID, 1)[0]
	if got["status"] != "error" || got["error"].(map[string]any)["message"] != "boom" {
		t.Errorf("error webhook: %v", got)
	}
	slow := create(map[string]any{"sleep_ms": 5000})
	if got := rc.wait(t, slow.RunID, 1)[0]; got["status"] != "timeout" {
		t.Errorf("timeout webhook status %v", got["status"])
	}
	intr := create(map[string]any{"interrupt": "approve?"})
	if got := rc.wait(t, intr.RunID, 1)[0]; got["status"] != "success" {
		t.Errorf("graph interrupt webhook status %v, want success", got["status"])
	}
	var th engine.Thread
	ts.mustDo(t, "GET", "/threads/"+tid, nil, 200, &th)
	if th.Status != "interrupted" {
		t.Errorf("thread status after interrupt %q", th.Status)
	}
	for _, action := range []string{"interrupt", "rollback"} {
		run := create(map[string]any{"sleep_ms": 100000})
		waitStatus(t, ts, tid, run.RunID, "running")
		ts.mustDo(t, "POST", "/threads/"+tid+"/runs/"+run.RunID+"/cancel?wait=1&action="+action, nil, 200, nil)
		want := map[string]string{"interrupt": "interrupted", "rollback": "rollback"}[action]
		got := rc.wait(t, run.RunID, 1)[0]
		if got["status"] != want {
			t.Errorf("cancel %s: webhook status %v, want %s", action, got["status"], want)
		}
		if action == "rollback" && got["values"] != nil {
			t.Errorf("rollback webhook values = %v, want null", got["values"])
		}
	}
	for _, ct := range rc.ctype {
		if ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
	}
}

func waitStatus(t *testing.T, ts *testServer, tid, rid, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var run engine.Run
		ts.mustDo(t, "GET", "/threads/"+tid+"/runs/"+rid, nil, 200, &run)
		if string(run.Status) == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("run %s never reached %s", rid, want)
}

// TestCancelPendingSendsNoWebhook: a run cancelled before it starts has no webhook.
func TestCancelPendingSendsNoWebhook(t *testing.T) {
	ts := mustStart(t)
	rc := newReceiver(t)
	tid := newThreadID(t, ts)
	body := runBodyWith(rc.URL, nil)
	body["after_seconds"] = 30
	var run engine.Run
	ts.mustDo(t, "POST", "/threads/"+tid+"/runs", body, 200, &run)
	ts.mustDo(t, "POST", "/threads/"+tid+"/runs/"+run.RunID+"/cancel?wait=1", nil, 200, nil)
	// A later run's webhook proves the sender had time to send the first one.
	var next engine.Run
	ts.mustDo(t, "POST", "/threads/"+tid+"/runs", runBodyWith(rc.URL, nil), 200, &next)
	rc.wait(t, next.RunID, 1)
	if n := rc.count(run.RunID); n != 0 {
		t.Fatalf("pending run cancelled: %d webhooks, want 0", n)
	}
}

// TestMultitaskStrategies checks reject, interrupt, rollback and enqueue.
func TestMultitaskStrategies(t *testing.T) {
	ts := mustStart(t)
	rc := newReceiver(t)
	slow := runBodyWith(rc.URL, map[string]any{"sleep_ms": 100000})
	for _, c := range []struct{ strategy, firstStatus string }{{"interrupt", "interrupted"}, {"rollback", "rollback"}} {
		tid := newThreadID(t, ts)
		var first, second engine.Run
		ts.mustDo(t, "POST", "/threads/"+tid+"/runs", slow, 200, &first)
		// Cancelled while still pending, a run has no webhook: let it start.
		waitStatus(t, ts, tid, first.RunID, "running")
		body := runBodyWith(rc.URL, nil)
		body["multitask_strategy"] = c.strategy
		ts.mustDo(t, "POST", "/threads/"+tid+"/runs", body, 200, &second)
		if got := rc.wait(t, first.RunID, 1)[0]["status"]; got != c.firstStatus {
			t.Errorf("%s: first run webhook %v, want %s", c.strategy, got, c.firstStatus)
		}
		if got := rc.wait(t, second.RunID, 1)[0]["status"]; got != "success" {
			t.Errorf("%s: second run webhook %v", c.strategy, got)
		}
	}
	tid := newThreadID(t, ts)
	var first engine.Run
	ts.mustDo(t, "POST", "/threads/"+tid+"/runs", slow, 200, &first)
	body := runBodyWith("", nil)
	body["multitask_strategy"] = "reject"
	status, out, _ := ts.do(t, "POST", "/threads/"+tid+"/runs", body)
	if status != 409 || !strings.Contains(string(out), "Thread is already running a task") {
		t.Fatalf("reject: %d %s", status, out)
	}
	// enqueue (the default) runs after the first ends.
	var queued engine.Run
	ts.mustDo(t, "POST", "/threads/"+tid+"/runs", runBodyWith(rc.URL, nil), 200, &queued)
	if queued.Status != "pending" {
		t.Errorf("queued run status %q", queued.Status)
	}
	ts.mustDo(t, "POST", "/threads/"+tid+"/runs/"+first.RunID+"/cancel", nil, 202, nil)
	rc.wait(t, queued.RunID, 1)
}

func readSSE(t *testing.T, r io.Reader) []string {
	var names []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			names = append(names, name)
		}
	}
	return names
}

// TestTemporaryKwarg: kwargs.temporary is true for a stateless run whose
// thread is deleted with it, false when kept or on a real thread (as the
// platform sets it).
func TestTemporaryKwarg(t *testing.T) {
	ts := mustStart(t)
	var th engine.Thread
	ts.mustDo(t, "POST", "/threads", map[string]any{}, 200, &th)
	for _, c := range []struct {
		path, onCompletion string
		want               bool
	}{
		{"/runs", "", true},
		{"/runs", "keep", false},
		{"/threads/" + th.ThreadID + "/runs", "", false},
	} {
		body := map[string]any{"assistant_id": "agent", "webhook": "/hooklab/sink/t"}
		if c.onCompletion != "" {
			body["on_completion"] = c.onCompletion
		}
		var run engine.Run
		ts.mustDo(t, "POST", c.path, body, 200, &run)
		d := ts.waitDelivery(t, run.RunID)
		var p struct {
			Kwargs struct {
				Temporary bool `json:"temporary"`
			} `json:"kwargs"`
		}
		if err := json.Unmarshal(d.Body, &p); err != nil || p.Kwargs.Temporary != c.want {
			t.Errorf("%s on_completion=%q: temporary %v, want %v (%v)", c.path, c.onCompletion, p.Kwargs.Temporary, c.want, err)
		}
	}
}

// TestRefusalDetailIsThePlatformMessage: a refused webhook's 422 detail is
// the platform's message as is; only loopback refusals (relative or
// absolute) add hooklab's hint.
func TestRefusalDetailIsThePlatformMessage(t *testing.T) {
	f := config.Default()
	f.Webhooks.URL = nil // the platform's defaults: loopback disabled
	ts := mustStart(t, withRuntime(mustRuntime(t, f, nil)))
	for _, c := range []struct{ webhook, detail string }{
		{"http://169.254.169.254/x", "Webhook host blocked: cloud metadata address 169.254.169.254"},
		{"/hooklab/sink/x", "Loopback webhooks are disabled. Hint: set webhooks.url.disable_loopback to false in langgraph.json (without a webhooks.url object the platform blocks loopback)"},
		{"http://127.0.0.1:9/hook", "Webhook host blocked: loopback address 127.0.0.1. Hint: set webhooks.url.disable_loopback to false in langgraph.json (without a webhooks.url object the platform blocks loopback)"},
	} {
		status, body, _ := ts.do(t, "POST", "/runs", map[string]any{"assistant_id": "agent", "webhook": c.webhook})
		var e struct{ Detail string }
		json.Unmarshal(body, &e)
		if status != 422 || e.Detail != c.detail {
			t.Errorf("%s: %d %q, want 422 %q", c.webhook, status, e.Detail, c.detail)
		}
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
