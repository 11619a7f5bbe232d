package server

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/server/crons"
	"hooklab/server/engine"
)

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

// TestAPIStateSurvivesRestart: the store API's items, assistant versions
// and a thread's checkpoints are kept in the store file, so a hooklab
// opened again on the same file (server.Open) answers them as before.
func TestAPIStateSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	open := func() (*testServer, func()) {
		a, err := Open(Config{Runtime: mustRuntime(t, config.Default(), nil), Addr: "127.0.0.1:0", StorePath: path, Version: "test"})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		if err := a.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		ts := &testServer{URL: a.URL, Srv: a.Server, Store: a.Store, Hub: a.Hub}
		ts.waitReady(t)
		return ts, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := a.Close(ctx); err != nil {
				t.Errorf("close: %v", err)
			}
		}
	}
	ts, stop := open()
	ts.mustDo(t, "PUT", "/store/items", map[string]any{"namespace": []string{"users", "u1"}, "key": "prefs", "value": map[string]any{"theme": "dark"}}, 204, nil)
	ts.mustDo(t, "PUT", "/store/items", map[string]any{"namespace": []string{"users", "u2"}, "key": "gone", "value": map[string]any{}}, 204, nil)
	ts.mustDo(t, "DELETE", "/store/items", map[string]any{"namespace": []string{"users", "u2"}, "key": "gone"}, 204, nil)
	var asst struct {
		AssistantID string `json:"assistant_id"`
	}
	ts.mustDo(t, "POST", "/assistants", map[string]any{"graph_id": "agent", "name": "v1"}, 200, &asst)
	ts.mustDo(t, "PATCH", "/assistants/"+asst.AssistantID, map[string]any{"name": "v2"}, 200, nil)
	tid := newThreadID(t, ts)
	ts.mustDo(t, "POST", "/threads/"+tid+"/runs/wait", runBodyWith("", nil), 200, nil)
	var before []map[string]any
	ts.mustDo(t, "POST", "/threads/"+tid+"/history", map[string]any{"limit": 10}, 200, &before)
	stop()

	ts, stop = open()
	defer stop()
	var item map[string]any
	ts.mustDo(t, "GET", "/store/items?namespace=users.u1&key=prefs", nil, 200, &item)
	if item["value"].(map[string]any)["theme"] != "dark" {
		t.Errorf("store item after a restart: %v", item)
	}
	var gone any
	ts.mustDo(t, "GET", "/store/items?namespace=users.u2&key=gone", nil, 200, &gone)
	if gone != nil {
		t.Errorf("a deleted item came back: %v", gone)
	}
	var ns struct{ Namespaces [][]string }
	ts.mustDo(t, "POST", "/store/namespaces", map[string]any{}, 200, &ns)
	if len(ns.Namespaces) != 1 || ns.Namespaces[0][1] != "u1" {
		t.Errorf("namespaces after a restart: %v", ns.Namespaces)
	}
	var versions []map[string]any
	ts.mustDo(t, "POST", "/assistants/"+asst.AssistantID+"/versions", map[string]any{}, 200, &versions)
	if len(versions) != 2 || versions[0]["name"] != "v2" || versions[1]["name"] != "v1" {
		t.Errorf("assistant versions after a restart: %v", versions)
	}
	var after []map[string]any
	ts.mustDo(t, "POST", "/threads/"+tid+"/history", map[string]any{"limit": 10}, 200, &after)
	if len(after) != 3 || !jsonEqual(after, before) {
		t.Errorf("checkpoints after a restart:\n%v\nwant\n%v", after, before)
	}
}
