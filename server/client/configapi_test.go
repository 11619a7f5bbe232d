package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/server"
	"hooklab/server/hub"
	"hooklab/server/servertest"
	"hooklab/server/store"
)

// TestRemoteSaveRefusalIsTyped: over the network the dashboard gets the
// same *config.ConflictError as in process, and can reload.
func TestRemoteSaveRefusalIsTyped(t *testing.T) {
	cfgPath, f := secretConfig(t)
	l := startLab(t, filepath.Join(t.TempDir(), "h.db"), f, secretEnv)
	c, err := New(l.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	draft := c.Config().File.Clone()
	draft.Webhooks.URL.AllowedPorts = []int{9}
	if ls, err := c.Loosenings(ctx, draft); err != nil || len(ls) != 0 {
		t.Fatalf("a tighter draft: loosenings %+v, %v", ls, err)
	}
	draft.Webhooks.URL.DisablePrivateIPs = nil
	draft.Webhooks.URL.AllowedPorts = nil
	draft.Webhooks.URL.MaxURLLength = ptrInt(9000)
	if ls, err := c.Loosenings(ctx, draft); err != nil || len(ls) != 1 || ls[0].Setting != "webhooks.url.max_url_length" {
		t.Fatalf("a looser draft: loosenings %+v, %v", ls, err)
	}

	broken := []byte(`{"graphs": {"agent": "hooklab:echo"}, oops}`)
	os.WriteFile(cfgPath, broken, 0o600)
	err = c.ApplyConfig(ctx, draft, true)
	var ce *config.ConflictError
	if !errors.As(err, &ce) || ce.Reason != config.ConflictInvalid || ce.OnDisk != string(broken) || ce.Diff == "" {
		t.Fatalf("ApplyConfig over a broken file = %v", err)
	}
	if got, _ := os.ReadFile(cfgPath); string(got) != string(broken) {
		t.Fatalf("the file was overwritten: %s", got)
	}
	if _, err := c.ReloadConfig(ctx); err == nil || !strings.Contains(err.Error(), "invalid JSON") {
		t.Fatalf("reload of a broken file: %v", err)
	}
	if err := c.Ping(ctx); err != nil || c.Config().Problem == nil {
		t.Fatalf("the remote config does not show the problem: %+v, %v", c.Config().Problem, err)
	}
	os.WriteFile(cfgPath, []byte(`{"graphs": {"agent": "hooklab:echo"}, "webhooks": {"url": {"require_https": false, "disable_loopback": false, "allowed_ports": [7]}}}`), 0o600)
	rt, err := c.ReloadConfig(ctx)
	if err != nil || rt.Problem != nil || c.Config().Policy.AllowedPorts.Value[0] != 7 {
		t.Fatalf("reload: %+v, %v", rt, err)
	}
	next := c.Config().File.Clone()
	next.HTTP.DisableWebhooks = true
	if err := c.ApplyConfig(ctx, next, true); err != nil {
		t.Fatalf("save after the reload: %v", err)
	}
}

func ptrInt(n int) *int { return &n }

// TestRemoteURLTesterAndPrefix: the tester's offline option and session,
// and a delivery by prefix, over the network.
func TestRemoteURLTesterAndPrefix(t *testing.T) {
	l := startLab(t, filepath.Join(t.TempDir(), "h.db"), config.Default(), noEnv)
	// A counting proxy in front of the lab sees every check-url request.
	var checks atomic.Int32
	target, _ := url.Parse(l.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hooklab/check-url" {
			checks.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	c, _ := New(front.URL)
	ctx := context.Background()
	d := c.TestURL(ctx, "http://hooks.invalid/x", true)
	if !d.Allowed || !d.AddressNotRun {
		t.Fatalf("offline: %+v", d)
	}
	tester := c.NewURLTester()
	first := tester.Test(ctx, "http://127.0.0.1:9/x", false)
	if !first.Allowed || checks.Load() != 2 {
		t.Fatalf("tester: %+v after %d requests", first, checks.Load())
	}
	if again := tester.Test(ctx, "http://127.0.0.1:9/x", false); checks.Load() != 2 || !again.Allowed {
		t.Fatalf("the same URL was asked again in one session: %d requests", checks.Load())
	}
	tester.Test(ctx, "http://127.0.0.1:9/x", true)
	if checks.Load() != 3 {
		t.Fatalf("offline is another test: %d requests", checks.Load())
	}

	rcv := newReceiver(t, 200)
	dl := l.Delivered(t, l.Run(t, rcv.URL+"/p"))
	got, err := c.Delivery(ctx, dl.ID[:8])
	if err != nil || got.ID != dl.ID {
		t.Fatalf("Delivery(prefix) = %+v, %v", got.ID, err)
	}
	if _, err := c.Delivery(ctx, "zzzz"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown prefix: %v", err)
	}
}

// TestRemoteConfigFollowsEvents: the dashboard draws its banners from
// Config and Info when an event says they changed; over the network the
// client has fetched the new config (the Problem of a file that does not
// load, and its fix) and read the upstream state before it hands such an
// event on.
func TestRemoteConfigFollowsEvents(t *testing.T) {
	cfgPath, f := secretConfig(t)
	l := startLab(t, filepath.Join(t.TempDir(), "h.db"), f, secretEnv)
	c, err := New(l.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Info().Upstream != nil || c.Config().Problem != nil {
		t.Fatal("premise: no upstream, no problem")
	}
	sub := c.Subscribe(ctx)
	next := func(kind hub.Kind) hub.Event {
		t.Helper()
		for {
			select {
			case e, ok := <-sub.C():
				if !ok {
					t.Fatalf("feed closed waiting for a %s event", kind)
				}
				if e.Kind == kind {
					return e
				}
			case <-ctx.Done():
				t.Fatalf("no %s event", kind)
			}
		}
	}
	original, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte(`{"graphs": `), 0o600)
	if _, err := l.Srv.ReloadConfig(ctx); err == nil { // another client, or the watcher
		t.Fatal("premise: the broken file reloaded")
	}
	if e := next(hub.KindConfig); c.Config().Problem == nil {
		t.Fatalf("at the %s event the config has no Problem", e.Payload)
	}
	os.WriteFile(cfgPath, original, 0o600)
	if _, err := l.Srv.ReloadConfig(ctx); err != nil {
		t.Fatal(err)
	}
	if e := next(hub.KindConfig); c.Config().Problem != nil {
		t.Fatalf("at the %s event the Problem stays", e.Payload)
	}
	l.St.Append(hub.KindUpstream, hub.UpstreamInfo{URL: "http://127.0.0.1:2025", Version: "langgraph-js 2.0.0", PID: 42, Reachable: false, Detail: "unreachable: refused"})
	next(hub.KindUpstream)
	if u := c.Info().Upstream; u == nil || u.PID != 42 || u.Reachable || u.Version != "langgraph-js 2.0.0" {
		t.Fatalf("at the upstream event: %+v", u)
	}
}

// TestRemoteUpstream: over the network the dashboard sees the upstream's
// state (from healthz) and the output of the command hooklab started
// (GET /hooklab/upstream/log), ANSI escapes removed; a hooklab with no
// upstream has no log.
func TestRemoteUpstream(t *testing.T) {
	up := startLab(t, filepath.Join(t.TempDir(), "up.db"), config.Default(), noEnv)
	script := `echo started; printf '\033[31mred\033[0m\n'; exec sleep 60`
	l := servertest.StartLabWith(t, filepath.Join(t.TempDir(), "h.db"), config.Default(), noEnv, func(c *server.Config) {
		c.Upstream, c.UpstreamCommand = up.URL, []string{"sh", "-c", script}
	})
	c, err := New(l.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	u := c.Info().Upstream
	if u == nil || u.URL != up.URL || u.PID == 0 || u.PID != l.App.Child.PID() || !u.Reachable {
		t.Fatalf("upstream %+v", u)
	}
	var lines []string
	for deadline := time.Now().Add(pollFor); ; time.Sleep(20 * time.Millisecond) {
		if lines, err = c.UpstreamLog(ctx); err == nil && strings.Join(lines, "\n") == "started\nred" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command's output: %q, %v", lines, err)
		}
	}
	plain, err := New(up.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.UpstreamLog(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the log of a hooklab without upstream: %v", err)
	}
}
