package server

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"hooklab/config"
)

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
