package server

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/server/hub"
)

// TestConfigEditedToInvalidJSON: the running config stays and the error,
// with line and column, is an event; a later valid edit is applied.
func TestConfigEditedToInvalidJSON(t *testing.T) {
	ts, sub, path := watched(t, `{"graphs": {"agent": "./a.py:g"}, "webhooks": {"url": {"require_https": false}}}`)

	os.WriteFile(path, []byte("{\n  \"graphs\": {\"agent\": \"./a.py:g\"},\n  \"webhooks\": {,}\n}"), 0o600)
	info := waitConfigEvent(t, sub)
	if info.Action != "reload-failed" || !strings.Contains(info.Error, "langgraph.json:3:16:") {
		t.Fatalf("invalid JSON: %+v", info)
	}
	if ts.Srv.Runtime().File.Webhooks.URL == nil {
		t.Fatal("the running config was replaced by a broken file")
	}
	os.WriteFile(path, []byte(`{"graphs": {"agent": "./a.py:g"}, "http": {"disable_webhooks": true}}`), 0o600)
	if info := waitConfigEvent(t, sub); info.Action != "reloaded" {
		t.Fatalf("valid edit: %+v", info)
	}
	if !ts.Srv.Runtime().DisableWebhooks {
		t.Fatal("valid edit not applied")
	}
}

// watched starts a server on a langgraph.json holding text, watched every
// 10 ms, and subscribes to its feed.
func watched(t *testing.T, text string) (*testServer, *hub.Subscription, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "langgraph.json")
	os.WriteFile(path, []byte(text), 0o600)
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ts := mustStart(t, withRuntime(mustRuntime(t, f, nil)))
	sub := ts.Hub.Subscribe(t.Context(), 0)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go ts.Srv.WatchConfig(ctx, path, 10*time.Millisecond)
	time.Sleep(30 * time.Millisecond) // the watcher reads the original at start; nothing to poll for
	return ts, sub, path
}

func waitConfigEvent(t *testing.T, sub *hub.Subscription) hub.ConfigInfo {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-sub.C():
			if e.Kind == hub.KindConfig {
				var info hub.ConfigInfo
				json.Unmarshal(e.Payload, &info)
				return info
			}
		case <-timeout:
			t.Fatal("no config event")
		}
	}
}

// TestSavingTheEmbeddedDefaultMakesItsValuesExplicit: once saved, the values
// are the file's own, and decisions say so ("explicit", not "embedded").
func TestSavingTheEmbeddedDefaultMakesItsValuesExplicit(t *testing.T) {
	t.Chdir(t.TempDir())
	ts := mustStart(t)
	var d config.Decision
	ts.mustDo(t, "POST", "/hooklab/check-url", map[string]any{"url": "http://127.0.0.1:9/x"}, 200, &d)
	if src := d.Checks[2].Source; src != config.SourceEmbedded {
		t.Fatalf("before saving, https comes from %q, want the embedded default", src)
	}
	body := map[string]any{"save": true, "webhooks": map[string]any{"url": map[string]any{"require_https": false, "disable_loopback": false, "allowed_ports": []int{9}}}}
	ts.mustDo(t, "PUT", "/hooklab/config", body, 200, nil)
	if _, err := os.Stat("langgraph.json"); err != nil {
		t.Fatalf("not saved: %v", err)
	}
	ts.mustDo(t, "POST", "/hooklab/check-url", map[string]any{"url": "http://127.0.0.1:9/x"}, 200, &d)
	for _, c := range d.Checks {
		if c.Source == config.SourceEmbedded {
			t.Errorf("after saving, %s still says %q", c.Rule, c.Source)
		}
	}
	if !d.Allowed || d.Checks[3].Source != config.SourceExplicit {
		t.Errorf("port check after saving: %+v", d.Checks[3])
	}
}

// TestConfigPutKeepsWhatItLeavesOut: PUT /hooklab/config with only "http"
// keeps the webhooks settings in force (they once fell back to the
// platform defaults, which refuse loopback receivers).
func TestConfigPutKeepsWhatItLeavesOut(t *testing.T) {
	ts := mustStart(t)
	ts.mustDo(t, "PUT", "/hooklab/config", map[string]any{"http": map[string]any{"disable_webhooks": true}}, 200, nil)
	var d config.Decision
	ts.mustDo(t, "POST", "/hooklab/check-url", map[string]any{"url": "/hooklab/sink/x"}, 200, &d)
	if !d.Allowed {
		t.Fatalf("after PUT {http}, the embedded webhooks settings are gone: %s", d.Message)
	}
	var rt struct {
		DisableWebhooks bool `json:"disable_webhooks"`
	}
	ts.mustDo(t, "GET", "/hooklab/config", nil, 200, &rt)
	if !rt.DisableWebhooks {
		t.Error("the http key was not applied")
	}
}

// TestConfigWarningsAreNotices: what a reloaded file has that is taken but
// probably not meant (an unknown key, an origin no browser sends) reaches
// the feed and the dashboard as warn notices.
func TestConfigWarningsAreNotices(t *testing.T) {
	_, sub, path := watched(t, `{"graphs": {"agent": "./a.py:g"}}`)

	os.WriteFile(path, []byte(`{"graphs": {"agent": "./a.py:g"}, "http": {"cors": {"allow_orgins": [], "allow_origins": ["http://localhost:3000/"], "expose_headers": []}}}`), 0o600)
	notices := warnNotices(sub, 2, 5*time.Second)
	joined := strings.Join(notices, "\n")
	if len(notices) != 2 || !strings.Contains(joined, path+": http.cors.allow_orgins is not a known key") || !strings.Contains(joined, `(write "http://localhost:3000")`) {
		t.Fatalf("notices %q", notices)
	}

	// An edit that keeps those and adds one tells only the new one.
	os.WriteFile(path, []byte(`{"graphs": {"agent": "./a.py:g"}, "webhooks": {"colour": 1}, "http": {"cors": {"allow_orgins": [], "allow_origins": ["http://localhost:3000/"], "expose_headers": []}}}`), 0o600)
	waitConfigEvent(t, sub)
	after := warnNotices(sub, 2, 300*time.Millisecond) // one is due: wait for a second that must not come
	if len(after) != 1 || !strings.Contains(after[0], "webhooks.colour") {
		t.Fatalf("after an edit adding one warning: %q, want only the new one", after)
	}
}

// warnNotices collects the texts of warn notices from sub until it has n
// or wait has passed.
func warnNotices(sub *hub.Subscription, n int, wait time.Duration) []string {
	var out []string
	timeout := time.After(wait)
	for len(out) < n {
		select {
		case e := <-sub.C():
			var ni hub.NoticeInfo
			if e.Kind == hub.KindNotice && json.Unmarshal(e.Payload, &ni) == nil && ni.Level == "warn" {
				out = append(out, ni.Text)
			}
		case <-timeout:
			return out
		}
	}
	return out
}

// TestConfigPutRefusesCORS: http.cors lives in the file; a PUT that
// carries it is refused, naming the key and the fix, and changes nothing.
func TestConfigPutRefusesCORS(t *testing.T) {
	ts := mustStart(t)
	before := ts.Srv.Runtime()
	status, out, _ := ts.do(t, "PUT", "/hooklab/config", map[string]any{"http": map[string]any{"disable_webhooks": true,
		"cors": map[string]any{"allow_origins": []string{"http://x.test"}}}, "save": true})
	if status != 422 || !strings.Contains(string(out), "http.cors: is read from langgraph.json only") {
		t.Fatalf("PUT with http.cors: %d %s", status, out)
	}
	if ts.Srv.Runtime() != before {
		t.Fatal("a refused PUT changed the config in force")
	}
}
