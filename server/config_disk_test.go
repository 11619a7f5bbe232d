package server

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/server/hub"
)

// startWithFile runs hooklab with the langgraph.json text s, written to a
// temp dir and loaded, and returns the file's path.
func startWithFile(t *testing.T, s string) (*testServer, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "langgraph.json")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return mustStart(t, withRuntime(mustRuntime(t, f, nil))), path
}

// waitConfigAction waits for a config event with action.
func waitConfigAction(t *testing.T, sub *hub.Subscription, action string) hub.ConfigInfo {
	t.Helper()
	for {
		if info := waitConfigEvent(t, sub); info.Action == action {
			return info
		}
	}
}

// saveBody is a PUT /hooklab/config that saves a looser policy.
var saveBody = map[string]any{"save": true, "webhooks": map[string]any{"url": map[string]any{"require_https": false, "disable_loopback": false}}}

// TestSaveNeverOverwritesABrokenFile: langgraph.json made invalid on disk
// while hooklab runs, then a save through the API: the file's bytes are
// unchanged, the answer says why and carries the file and a diff, and the
// broken state shows in GET /hooklab/config and healthz until the file is
// fixed.
func TestSaveNeverOverwritesABrokenFile(t *testing.T) {
	ts, path := startWithFile(t, `{"graphs": {"agent": "./a.py:g"}, "webhooks": {"url": {"require_https": true}}}`)
	sub := ts.Hub.Subscribe(t.Context(), 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ts.Srv.WatchConfig(ctx, path, 10*time.Millisecond)
	time.Sleep(30 * time.Millisecond) // the watcher reads the original at start; nothing to poll for

	broken := []byte("{\n  \"graphs\": {\"agent\": \"./a.py:g\"},\n  \"webhooks\": {\"url\": {\"require_https\": tru}}\n}\n")
	os.WriteFile(path, broken, 0o600)
	if info := waitConfigEvent(t, sub); info.Action != "reload-failed" {
		t.Fatalf("event %+v", info)
	}
	var rt config.Runtime
	ts.mustDo(t, "GET", "/hooklab/config", nil, 200, &rt)
	if rt.Problem == nil || rt.Problem.Path != path || rt.Problem.Line != 3 || !strings.Contains(rt.Problem.Message, "invalid") {
		t.Fatalf("GET /hooklab/config problem = %+v", rt.Problem)
	}
	var h map[string]any
	ts.mustDo(t, "GET", "/hooklab/healthz", nil, 200, &h)
	if h["config_problem"] == nil {
		t.Fatalf("healthz = %v", h)
	}

	status, out, _ := ts.do(t, "PUT", "/hooklab/config", saveBody)
	if got, _ := os.ReadFile(path); string(got) != string(broken) {
		t.Fatalf("a save overwrote the broken file:\n%s", got)
	}
	var ans ConflictAnswer
	if status != 409 || json.Unmarshal(out, &ans) != nil || ans.Conflict == nil {
		t.Fatalf("save: %d %s", status, out)
	}
	c := ans.Conflict
	if c.Reason != config.ConflictInvalid || c.OnDisk != string(broken) || c.Problem == nil || c.Problem.Line != 3 ||
		!strings.Contains(c.Diff, `-  "webhooks": {"url": {"require_https": tru}}`) || !strings.Contains(ans.Detail, "no longer loads") {
		t.Fatalf("conflict = %+v, detail %q", c, ans.Detail)
	}
	if ts.Srv.Runtime().Policy.RequireHTTPS.Value != true {
		t.Fatal("a refused save changed the config in force")
	}

	// Fixed on disk: the problem clears, and a save goes through.
	os.WriteFile(path, []byte(`{"graphs": {"agent": "./a.py:g"}, "webhooks": {"url": {"require_https": true}}, "dependencies": ["."]}`), 0o600)
	waitConfigAction(t, sub, "reloaded")
	if p := ts.Srv.Runtime().Problem; p != nil {
		t.Fatalf("problem after the fix: %+v", p)
	}
	ts.mustDo(t, "PUT", "/hooklab/config", saveBody, 200, nil)
	if got, _ := os.ReadFile(path); !strings.Contains(string(got), `"dependencies"`) || !strings.Contains(string(got), `"disable_loopback": false`) {
		t.Fatalf("saved %s", got)
	}
}

// TestSaveRefusedWithoutAWatcher: the check is at save time, so a broken
// or changed file is kept even when nothing watched it change.
func TestSaveRefusedWithoutAWatcher(t *testing.T) {
	ts, path := startWithFile(t, `{"graphs": {"agent": "x"}}`)
	os.WriteFile(path, []byte(`{"graphs": {"agent": "x"},,}`), 0o600)
	if status, out, _ := ts.do(t, "PUT", "/hooklab/config", saveBody); status != 409 {
		t.Fatalf("save over a broken file: %d %s", status, out)
	}
	if p := ts.Srv.Runtime().Problem; p == nil || p.Column == 0 {
		t.Fatalf("a save that found the file broken did not record it: %+v", p)
	}
	// A live edit (no save) keeps the problem: the file is still broken.
	ts.mustDo(t, "PUT", "/hooklab/config", map[string]any{"http": map[string]any{"disable_webhooks": true}}, 200, nil)
	if ts.Srv.Runtime().Problem == nil {
		t.Fatal("a live edit hid the broken file")
	}

	changed := `{"graphs": {"agent": "x"}, "webhooks": {"url": {"allowed_ports": [8443]}}}`
	os.WriteFile(path, []byte(changed), 0o600)
	status, out, _ := ts.do(t, "PUT", "/hooklab/config", saveBody)
	var ans ConflictAnswer
	if status != 409 || json.Unmarshal(out, &ans) != nil || ans.Conflict.Reason != config.ConflictChanged || !strings.Contains(ans.Detail, "changed on disk") {
		t.Fatalf("save over a changed file: %d %s", status, out)
	}
	if got, _ := os.ReadFile(path); string(got) != changed {
		t.Fatalf("a refused save changed the file: %s", got)
	}

	// The "reload" choice: the file's values come into force.
	var rt config.Runtime
	ts.mustDo(t, "POST", "/hooklab/config/reload", nil, 200, &rt)
	if rt.Problem != nil || len(rt.Policy.AllowedPorts.Value) != 1 || rt.Policy.AllowedPorts.Value[0] != 8443 {
		t.Fatalf("reloaded = %+v", rt)
	}
	ts.mustDo(t, "PUT", "/hooklab/config", saveBody, 200, nil)
	if got, _ := os.ReadFile(path); !strings.Contains(string(got), `"require_https": false`) {
		t.Fatalf("saved %s", got)
	}

	// A reload of a broken file is refused and reported.
	os.WriteFile(path, []byte(`{`), 0o600)
	if status, out, _ := ts.do(t, "POST", "/hooklab/config/reload", nil); status != 422 || !strings.Contains(string(out), "invalid JSON") {
		t.Fatalf("reload of a broken file: %d %s", status, out)
	}
	if ts.Srv.Runtime().Problem == nil {
		t.Fatal("a failed reload left no problem")
	}
}

// TestApplyConfigInProcessReturnsTheConflict: the dashboard in process
// gets the typed error, with what its "reload" and "diff" choices need.
func TestApplyConfigInProcessReturnsTheConflict(t *testing.T) {
	ts, path := startWithFile(t, `{"graphs": {"agent": "x"}}`)
	draft := ts.Srv.Runtime().File.Clone()
	draft.HTTP.DisableWebhooks = true
	os.WriteFile(path, []byte(`{"graphs": {"agent": "x"}, "dependencies": ["."]}`), 0o600)
	err := ts.Srv.ApplyConfig(context.Background(), draft, true)
	var ce *config.ConflictError
	if !errors.As(err, &ce) || ce.Reason != config.ConflictChanged || !strings.Contains(ce.OnDisk, "dependencies") || ce.Diff == "" {
		t.Fatalf("ApplyConfig = %v", err)
	}
	if ts.Srv.Runtime().DisableWebhooks {
		t.Fatal("a refused save was put in force")
	}
}

// TestConfigDryRunNamesLoosenings: the dashboard asks before saving a
// policy looser than the file's.
func TestConfigDryRunNamesLoosenings(t *testing.T) {
	ts, path := startWithFile(t, `{"graphs": {"agent": "x"}, "webhooks": {"url": {"allowed_ports": [443]}}}`)
	body := map[string]any{"dry_run": true, "webhooks": map[string]any{"url": map[string]any{"allowed_ports": []int{443, 8443}, "require_https": false}}}
	var ans struct {
		config.Runtime
		Loosenings []config.Loosening `json:"loosenings"`
	}
	ts.mustDo(t, "PUT", "/hooklab/config", body, 200, &ans)
	var got []string
	for _, l := range ans.Loosenings {
		got = append(got, l.Setting)
	}
	if strings.Join(got, ",") != "webhooks.url.require_https,webhooks.url.allowed_ports" || ans.Policy.RequireHTTPS.Value {
		t.Fatalf("dry run = %v, policy %+v", got, ans.Policy)
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), "8443") {
		t.Fatal("a dry run wrote the file")
	}
	// In process, the same answer from the draft itself.
	draft := ts.Srv.Runtime().File.Clone()
	draft.Webhooks.URL.AllowedPorts = []int{443, 8443}
	draft.Webhooks.URL.RequireHTTPS = nil // the default with a url object: true, as in the file
	if ls, err := ts.Srv.Loosenings(context.Background(), draft); err != nil || len(ls) != 1 || ls[0].Text != "port added: 8443" {
		t.Fatalf("Loosenings = %+v, %v", ls, err)
	}
}
