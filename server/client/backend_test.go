package client

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

func TestNewTargets(t *testing.T) {
	for _, tc := range []struct{ in, base, feed, err string }{
		{in: "ws://127.0.0.1:2024/hooklab/events", base: "http://127.0.0.1:2024", feed: "ws://127.0.0.1:2024/hooklab/events"},
		{in: "wss://example.com/hooklab/events", base: "https://example.com", feed: "wss://example.com/hooklab/events"},
		{in: "http://localhost:9000", base: "http://localhost:9000", feed: "ws://localhost:9000/hooklab/events"},
		{in: "http://localhost:9000/", base: "http://localhost:9000"},
		{in: "127.0.0.1:2024", base: "http://127.0.0.1:2024"},
		{in: ":2024", base: "http://127.0.0.1:2024"},
		{in: "[::1]:2024", base: "http://[::1]:2024"},
		{in: "", err: "no hooklab address"},
		{in: "ftp://x:1", err: "scheme"},
		{in: "http://", err: "no host"},
	} {
		c, err := New(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("New(%q) = %v, want error with %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("New(%q): %v", tc.in, err)
			continue
		}
		if c.Base() != tc.base {
			t.Errorf("New(%q).Base() = %q, want %q", tc.in, c.Base(), tc.base)
		}
		if tc.feed != "" && c.FeedURL() != tc.feed {
			t.Errorf("New(%q).FeedURL() = %q, want %q", tc.in, c.FeedURL(), tc.feed)
		}
	}
}

func TestPingNobodyThere(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := New(addr)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no hooklab answers at http://"+addr) {
		t.Fatalf("Ping = %v, want a 'no hooklab answers at' error", err)
	}
	d := c.CheckURL(context.Background(), "http://example.com/hook")
	if d.Allowed || !strings.Contains(d.Message, "cannot ask the hooklab") || d.URL != "http://example.com/hook" {
		t.Fatalf("CheckURL without a hooklab = %+v, want refused with the reason", d)
	}
}

func TestPingNotAHooklab(t *testing.T) {
	hs := httptest.NewServer(http.NotFoundHandler())
	defer hs.Close()
	c, _ := New(hs.URL)
	err := c.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("Ping = %v, want an HTTP 404 error", err)
	}
	// The feed is refused for good: the subscription ends and Err says why.
	ctx, cancel := context.WithTimeout(context.Background(), pollFor)
	defer cancel()
	sub := c.Subscribe(ctx)
	select {
	case _, ok := <-sub.C():
		if ok {
			t.Fatal("got an event from a server that is not a hooklab")
		}
	case <-ctx.Done():
		t.Fatal("the subscription did not end after the feed was refused")
	}
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "refused the event feed") {
		t.Fatalf("Err = %v, want the refusal", err)
	}
}

func TestBackendOverHTTP(t *testing.T) {
	ctx := context.Background()
	l := startLab(t, filepath.Join(t.TempDir(), "h.db"), config.Default(), noEnv)
	rcv, other := newReceiver(t, 200), newReceiver(t, 200)
	c, err := New("ws://" + l.Addr + "/hooklab/events")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	info := c.Info()
	if !info.Remote || info.Addr != l.Addr || info.Version != "test" || !info.Embedded || info.StorePath != l.St.Path() {
		t.Errorf("Info = %+v", info)
	}
	if rt := c.Config(); rt == nil || rt.File == nil || !rt.File.Embedded || rt.Policy.DisableLoopback.Value {
		t.Errorf("Config = %+v, want the embedded default", rt)
	}

	runID := l.Run(t, rcv.URL+"/hook?token=abc")
	d := l.Delivered(t, runID)
	if d.Outcome != sender.OutcomeDelivered {
		t.Fatalf("delivery = %+v", d)
	}
	got, err := c.Delivery(ctx, d.ID)
	if err != nil || got.ID != d.ID || got.RunID != runID || len(got.AttemptLog) != 1 || got.URL != rcv.URL+"/hook?token=abc" {
		t.Fatalf("Delivery = %+v, %v", got, err)
	}
	if _, err := c.Delivery(ctx, "no-such-id"); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("Delivery(unknown) = %v, want store.ErrNotFound with the server's detail", err)
	}
	ds, err := c.Deliveries(ctx, store.DeliveryQuery{RunID: runID})
	if err != nil || len(ds) != 1 || ds[0].ID != d.ID {
		t.Fatalf("Deliveries = %+v, %v", ds, err)
	}

	evs, err := c.History(ctx, store.Query{Kinds: []hub.Kind{hub.KindDelivery, hub.KindAttempt}})
	if err != nil || len(evs) < 2 {
		t.Fatalf("History = %d events, %v", len(evs), err)
	}
	for i, e := range evs {
		if e.Kind != hub.KindDelivery && e.Kind != hub.KindAttempt {
			t.Fatalf("History with kinds returned a %s event", e.Kind)
		}
		if i > 0 && e.Seq <= evs[i-1].Seq {
			t.Fatalf("History out of order at %d", i)
		}
	}
	last, err := c.History(ctx, store.Query{Limit: 1, Newest: true})
	if err != nil || len(last) != 1 || last[0].Seq != l.St.LastSeq() {
		t.Fatalf("History newest = %+v, %v (store last seq %d)", last, err, l.St.LastSeq())
	}
	between, err := c.History(ctx, store.Query{Since: evs[0].Seq, Before: evs[len(evs)-1].Seq})
	if err != nil || len(between) == 0 || between[0].Seq != evs[0].Seq+1 || between[len(between)-1].Seq != evs[len(evs)-1].Seq-1 {
		t.Fatalf("History since/before = %d events, %v", len(between), err)
	}

	rd, err := c.Replay(ctx, sender.Replay{ID: d.ID, URL: other.URL + "/again", Headers: []hub.HeaderKV{{Name: "X-Replayed", Value: "yes"}}})
	if err != nil || rd.Outcome != sender.OutcomeDelivered || rd.ReplayOf != d.ID || rd.ID == d.ID {
		t.Fatalf("Replay = %+v, %v", rd, err)
	}
	first, again := rcv.Wait(t, 1)[0], other.Wait(t, 1)[0]
	if !reflect.DeepEqual(withoutSentAt(t, first.Body), withoutSentAt(t, again.Body)) {
		t.Errorf("replayed body differs:\n%s\n%s", first.Body, again.Body)
	}
	if again.Header.Get("X-Replayed") != "yes" || again.Path != "/again" {
		t.Errorf("replay request = %s %v", again.Path, again.Header)
	}
	if _, err := c.Replay(ctx, sender.Replay{ID: "no-such-id"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Replay(unknown) = %v, want not found", err)
	}

	if dec := c.CheckURL(ctx, rcv.URL+"/x"); !dec.Allowed {
		t.Errorf("CheckURL(receiver) = %+v, want allowed", dec)
	}
	if dec := c.CheckURL(ctx, "http://169.254.169.254/latest"); dec.Allowed || dec.Rule != config.RuleAddress || len(dec.Checks) == 0 {
		t.Errorf("CheckURL(metadata) = %+v, want refused by the address rule", dec)
	}
}

func TestCronsOverHTTP(t *testing.T) {
	ctx := context.Background()
	l := startLab(t, filepath.Join(t.TempDir(), "h.db"), config.Default(), noEnv)
	rcv := newReceiver(t, 200)
	c, _ := New(l.URL)
	var cr struct {
		CronID string `json:"cron_id"`
	}
	postJSON(t, l.URL+"/runs/crons", map[string]any{"assistant_id": "agent", "schedule": "0 0 1 1 *", "webhook": rcv.URL + "/cron"}, &cr)
	crons, err := c.Crons(ctx)
	if err != nil || len(crons) != 1 {
		t.Fatalf("Crons = %+v, %v", crons, err)
	}
	got := crons[0]
	if got.CronID != cr.CronID || got.Payload["webhook"] != rcv.URL+"/cron" || got.Schedule != "0 0 1 1 *" || !got.Enabled || got.NextRunDate == nil || got.NextRunDate.Before(time.Now()) {
		t.Fatalf("Cron = %+v", got)
	}
	runID, err := c.FireCron(ctx, cr.CronID)
	if err != nil || runID == "" {
		t.Fatalf("FireCron = %q, %v", runID, err)
	}
	if d := l.Delivered(t, runID); d.Outcome != sender.OutcomeDelivered || d.CronID != cr.CronID {
		t.Fatalf("fired cron's delivery = %+v", d)
	}
	if _, err := c.FireCron(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FireCron(unknown) = %v, want not found", err)
	}

	if err := c.SetCronEnabled(ctx, cr.CronID, false); err != nil {
		t.Fatalf("SetCronEnabled(false) = %v", err)
	}
	if crons, err := c.Crons(ctx); err != nil || len(crons) != 1 || crons[0].Enabled {
		t.Fatalf("after pausing: %+v, %v", crons, err)
	}
	if err := c.SetCronEnabled(ctx, cr.CronID, true); err != nil {
		t.Fatalf("SetCronEnabled(true) = %v", err)
	}
	if crons, err := c.Crons(ctx); err != nil || len(crons) != 1 || !crons[0].Enabled {
		t.Fatalf("after resuming: %+v, %v", crons, err)
	}
	if err := c.DeleteCron(ctx, cr.CronID); err != nil {
		t.Fatalf("DeleteCron = %v", err)
	}
	if crons, err := c.Crons(ctx); err != nil || len(crons) != 0 {
		t.Fatalf("after deleting: %+v, %v", crons, err)
	}
	for name, err := range map[string]error{
		"DeleteCron":     c.DeleteCron(ctx, cr.CronID),
		"SetCronEnabled": c.SetCronEnabled(ctx, cr.CronID, true),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s(deleted) = %v, want not found", name, err)
		}
	}
}

func TestApplyConfigOverHTTP(t *testing.T) {
	ctx := context.Background()
	l := startLab(t, filepath.Join(t.TempDir(), "h.db"), config.Default(), noEnv)
	rcv := newReceiver(t, 200)
	c, _ := New(l.URL)
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	f := c.Config().File.Clone()
	f.Webhooks.Headers = append(f.Webhooks.Headers, config.Header{Name: "X-Hooklab-Test", Template: "yes"})
	f.Webhooks.AllowedFields = []string{"run_id", "status"}
	if err := c.ApplyConfig(ctx, f, false); err != nil {
		t.Fatal(err)
	}
	hasHeader := func(rt *config.Runtime) bool {
		for _, h := range rt.Headers {
			if h.Name == "X-Hooklab-Test" && h.Masked == "yes" {
				return true
			}
		}
		return false
	}
	if !hasHeader(c.Config()) || !hasHeader(l.Srv.Runtime()) {
		t.Fatalf("config not applied: client %+v, server %+v", c.Config().Headers, l.Srv.Runtime().Headers)
	}
	if rt := l.Srv.Runtime(); !reflect.DeepEqual(rt.AllowedFields, []string{"run_id", "status"}) || rt.Policy.DisableLoopback.Value {
		t.Fatalf("server config = %+v", rt)
	}
	l.Delivered(t, l.Run(t, rcv.URL))
	req := rcv.Wait(t, 1)[0]
	var body map[string]any
	if json.Unmarshal(req.Body, &body) != nil || req.Header.Get("X-Hooklab-Test") != "yes" || len(body) != 2 {
		t.Fatalf("webhook after the edit: %v %s", req.Header, req.Body)
	}

	// A header the hooklab cannot resolve is refused there; the running config stays.
	bad := f.Clone()
	bad.Webhooks.Headers = []config.Header{{Name: "Authorization", Template: "Bearer ${{ env.LG_WEBHOOK_MISSING }}"}}
	err := c.ApplyConfig(ctx, bad, false)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), "missing required environment variable 'LG_WEBHOOK_MISSING'") {
		t.Fatalf("ApplyConfig(unresolvable) = %v", err)
	}
	if !hasHeader(l.Srv.Runtime()) || !hasHeader(c.Config()) {
		t.Fatal("a refused config replaced the running one")
	}
	// A value that is wrong whatever the environment is caught here, with its key.
	bad = f.Clone()
	bad.Webhooks.AllowedFields = []string{"nope"}
	var ce *config.Error
	if err := c.ApplyConfig(ctx, bad, false); !errors.As(err, &ce) || ce.Key != "webhooks.allowed_fields" {
		t.Fatalf("ApplyConfig(invalid) = %v, want a *config.Error on webhooks.allowed_fields", err)
	}
}

func TestWebhooksJSON(t *testing.T) {
	tr, n := true, 100
	for _, tc := range []struct {
		w    config.Webhooks
		want string
	}{
		{config.Webhooks{}, ""},
		{config.Webhooks{Headers: []config.Header{{Name: "X-B", Template: "2"}, {Name: "X-A", Template: "${{ env.LG_WEBHOOK_A }}"}}},
			`{"headers":{"X-B":"2","X-A":"${{ env.LG_WEBHOOK_A }}"}}`},
		{config.Webhooks{EnvPrefix: new(""), AllowedFields: []string{"run_id"}, URL: &config.URLOptions{RequireHTTPS: &tr, MaxURLLength: &n, AllowedPorts: []int{443}}},
			`{"env_prefix":"","allowed_fields":["run_id"],"url":{"require_https":true,"allowed_ports":[443],"max_url_length":100}}`},
		{config.Webhooks{URL: &config.URLOptions{}}, `{"url":{}}`},
	} {
		if got := string(WebhooksJSON(tc.w)); got != tc.want {
			t.Errorf("WebhooksJSON(%+v) = %s, want %s", tc.w, got, tc.want)
		}
	}
}

// TestConfigNeverBlocks: the dashboard reads Config while drawing a frame,
// so it answers from the cache and never asks the hooklab; before Ping it
// is an empty config, not nil.
func TestConfigNeverBlocks(t *testing.T) {
	var hits atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	}))
	defer hs.Close()
	c, _ := New(hs.URL)
	rt := c.Config()
	if rt == nil || rt.File == nil {
		t.Fatalf("Config before Ping = %+v, want an empty config", rt)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("Config sent %d requests", n)
	}
}

// TestResolveConfigOverHTTP: the hooklab resolves the header templates in
// its own environment (here it knows LG_WEBHOOK_TOKEN; this process does
// not) and answers with the values masked; a header it cannot resolve is
// refused as a *config.Error naming that header's key. Neither puts
// anything in force.
func TestResolveConfigOverHTTP(t *testing.T) {
	ctx := context.Background()
	t.Setenv("LG_WEBHOOK_TOKEN", "") // what this process has must not matter
	l := startLab(t, filepath.Join(t.TempDir(), "h.db"), config.Default(), secretEnv)
	c, _ := New(l.URL)
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	f := c.Config().File.Clone()
	f.Webhooks.Headers = []config.Header{{Name: "Authorization", Template: "${{ env.LG_WEBHOOK_TOKEN }}"}, {Name: "X-Plain", Template: "yes"}}

	bad := f.Clone()
	bad.Webhooks.Headers = append(bad.Webhooks.Headers, config.Header{Name: "X-Missing", Template: "${{ env.LG_WEBHOOK_MISSING }}"})
	_, err := c.ResolveConfig(ctx, bad)
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Key != "webhooks.headers.X-Missing" || !strings.Contains(ce.Message, "missing required environment variable 'LG_WEBHOOK_MISSING'") ||
		!strings.Contains(ce.Fix, "export LG_WEBHOOK_MISSING") {
		t.Fatalf("ResolveConfig(unresolvable) = %#v", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatal("the refusal carries the secret")
	}
	bad = f.Clone()
	bad.Webhooks.AllowedFields = []string{"nope"}
	if _, err := c.ResolveConfig(ctx, bad); !errors.As(err, &ce) || ce.Key != "webhooks.allowed_fields" {
		t.Fatalf("ResolveConfig(invalid) = %v, want a *config.Error on webhooks.allowed_fields", err)
	}

	rt, err := c.ResolveConfig(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Srv.Runtime().Headers) != 0 {
		t.Skip("this hooklab applied a dry run: PUT /hooklab/config does not know dry_run yet")
	}
	if len(rt.Headers) != 2 || rt.Headers[0].Masked != config.Mask(secret) || !rt.Headers[0].Secret || rt.Headers[1].Masked != "yes" {
		t.Fatalf("resolved headers = %+v", rt.Headers)
	}
	for _, h := range rt.Headers {
		if h.Value == secret {
			t.Fatal("the secret came back unmasked")
		}
	}
	if len(c.Config().Headers) != 0 {
		t.Fatal("a dry run replaced the cached config")
	}
}

// TestConfigRefusalNamesTheHeader reads the hooklab's detail back into
// the key it names, the longest header name first.
func TestConfigRefusalNamesTheHeader(t *testing.T) {
	f := &config.File{Webhooks: config.Webhooks{Headers: []config.Header{{Name: "X-Token"}, {Name: "X-Token-2"}}}}
	for detail, want := range map[string]config.Error{
		"config: langgraph.json: webhooks.headers.X-Token-2: webhook headers: missing required environment variable 'A'; fix: export A": {
			File: "langgraph.json", Key: "webhooks.headers.X-Token-2", Message: "webhook headers: missing required environment variable 'A'", Fix: "export A"},
		"config: embedded default: webhooks.headers.X-Token: resolved header value contains a line break; fix: remove it": {
			File: "embedded default", Key: "webhooks.headers.X-Token", Message: "resolved header value contains a line break", Fix: "remove it"},
		"config: something else": {Message: "something else"},
	} {
		if got := configRefusal(detail, f); *got != want {
			t.Errorf("configRefusal(%q) = %+v, want %+v", detail, *got, want)
		}
	}
}
