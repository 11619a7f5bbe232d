package ui

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

func startTUI(t *testing.T, b *testBackend, opts ...Option) *teatest.TestModel {
	t.Helper()
	tm := teatest.NewTestModel(t, New(b, opts...), teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	t.Cleanup(func() { _ = tm.Quit() })
	return tm
}

func waitScreen(t *testing.T, tm *teatest.TestModel, want ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, w := range want {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func finalModel(t *testing.T, tm *teatest.TestModel) *Model {
	t.Helper()
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	return tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
}

// receiver is a real webhook receiver on loopback that counts requests.
func receiver(t *testing.T, status int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"got":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func sendRun(t *testing.T, b *testBackend, url string) string {
	t.Helper()
	now := time.Now()
	id, err := b.snd.Send(context.Background(), sender.Job{URL: url, Run: sender.RunResult{RunID: "run-flow", ThreadID: "t-flow",
		AssistantID: "agent", Status: "success", CreatedAt: now, UpdatedAt: now, StartedAt: now, EndedAt: now}})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	return id
}

// TestFlowLiveFeed: events written to the real store reach the screen
// through the hub subscription, and the backfill shows older ones.
func TestFlowLiveFeed(t *testing.T) {
	b := newTestBackend(t)
	b.st.Append(hub.KindRequest, hub.RequestInfo{Method: "GET", Path: "/before-start", Status: 200})
	if err := b.st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	tm := startTUI(t, b)
	waitScreen(t, tm, "/before-start")
	b.st.Append(hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/threads/live/runs", Status: 200, DurationMS: 4})
	waitScreen(t, tm, "/threads/live/runs")
	m := finalModel(t, tm)
	if m.Events() != 2 || m.LastSeq() != 2 {
		t.Fatalf("model holds %d events, last seq %d; want 2, 2", m.Events(), m.LastSeq())
	}
}

// TestFlowReplay: a real delivery to a real receiver, then `r` replays it
// and the diff opens; the store records the replay.
func TestFlowReplay(t *testing.T) {
	b := newTestBackend(t)
	srv, hits := receiver(t, 200)
	tm := startTUI(t, b)
	id := sendRun(t, b, srv.URL+"/hook")
	waitScreen(t, tm, "delivered")
	tm.Send(tea.KeyPressMsg{Code: 'r', Text: "r"})
	waitScreen(t, tm, "unified")
	m := finalModel(t, tm)
	if m.Dialog() != "diff" {
		t.Fatalf("dialog %q, want diff", m.Dialog())
	}
	if hits.Load() != 2 {
		t.Fatalf("receiver got %d requests, want 2", hits.Load())
	}
	ds, err := b.st.Deliveries(context.Background(), store.DeliveryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var replays int
	for _, d := range ds {
		if d.ReplayOf == id {
			replays++
		}
	}
	if replays != 1 {
		t.Fatalf("%d deliveries replay %s, want 1", replays, id)
	}
}

// TestFlowEditReplay runs a real "editor" through tea.ExecProcess that
// rewrites the URL, then checks the replay went there.
func TestFlowEditReplay(t *testing.T) {
	b := newTestBackend(t)
	first, _ := receiver(t, 200)
	second, hits2 := receiver(t, 200)
	editor := filepath.Join(t.TempDir(), "editor.sh")
	script := "#!/bin/sh\nsed -i 's#" + first.URL + "/hook#" + second.URL + "/edited#' \"$1\"\n"
	if err := os.WriteFile(editor, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	tm := startTUI(t, b, WithEditor(editor))
	sendRun(t, b, first.URL+"/hook")
	waitScreen(t, tm, "delivered")
	tm.Send(tea.KeyPressMsg{Code: 'e', Text: "e"})
	waitScreen(t, tm, "unified")
	finalModel(t, tm)
	if hits2.Load() != 1 {
		t.Fatalf("edited target got %d requests, want 1", hits2.Load())
	}
}

// TestFlowURLTester: the decision follows the typed URL.
func TestFlowURLTester(t *testing.T) {
	b := newTestBackend(t)
	tm := startTUI(t, b)
	tm.Send(tea.KeyPressMsg{Code: 'u', Text: "u"})
	tm.Type("http://169.254.169.254/x")
	waitScreen(t, tm, "refused", "Webhook host blocked")
	m := finalModel(t, tm)
	if m.Dialog() != "urltest" {
		t.Fatalf("dialog %q", m.Dialog())
	}
}

// TestFlowConfigApply toggles http.disable_webhooks and applies it live.
func TestFlowConfigApply(t *testing.T) {
	b := newTestBackend(t)
	tm := startTUI(t, b)
	tm.Send(tea.KeyPressMsg{Code: 'c', Text: "c"})
	tm.Send(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
	tm.Send(tea.KeyPressMsg{Code: 'a', Text: "a"})
	waitScreen(t, tm, "config applied live")
	finalModel(t, tm)
	if !b.Config().DisableWebhooks {
		t.Fatal("disable_webhooks not applied")
	}
}

// TestFlowCronFire fires a cron from the list.
func TestFlowCronFire(t *testing.T) {
	b := newTestBackend(t)
	b.crons = []Cron{{ID: "cron-0001-aaaa", AssistantID: "agent", Schedule: "*/5 * * * *", Enabled: true}}
	tm := startTUI(t, b)
	tm.Send(tea.KeyPressMsg{Code: 'o', Text: "o"})
	waitScreen(t, tm, "*/5 * * * *")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitScreen(t, tm, "fired")
	finalModel(t, tm)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.fired) != 1 || b.fired[0] != "cron-0001-aaaa" {
		t.Fatalf("fired %v", b.fired)
	}
}

// TestConfigInlineValidation: a header referencing a variable outside the
// env_prefix shows the platform message next to the field, and apply is
// refused locally.
func TestConfigInlineValidation(t *testing.T) {
	t.Setenv("OTHER_SECRET", "s3cr3t-value")
	t.Setenv("LG_WEBHOOK_TOKEN", "tok-123456")
	m := screen(t, 120, 40, true, press("c"), press("n"))
	for _, k := range typeText("${{ env.OTHER_SECRET }}") {
		m.Update(k)
	}
	m.Update(press("enter"))
	out := m.View().Content
	if !strings.Contains(out, "must start with the configured") {
		t.Fatalf("no inline env_prefix error:\n%s", out)
	}
	if strings.Contains(out, "s3cr3t-value") {
		t.Fatal("secret value on screen")
	}
	// Fix it: the preview shows the value masked.
	m.Update(press("enter"))
	for range len("X-Header: ${{ env.OTHER_SECRET }}") {
		m.Update(press("backspace"))
	}
	for _, k := range typeText("Authorization: Bearer ${{ env.LG_WEBHOOK_TOKEN }}") {
		m.Update(k)
	}
	_, cmd := m.Update(press("enter"))
	settle(t, m, cmd) // the backend resolves the template, after the debounce
	out = m.View().Content
	if !strings.Contains(out, "→ Bear…") || strings.Contains(out, "tok-123456") || !strings.Contains(out, "✓ valid") {
		t.Fatalf("want masked preview and valid:\n%s", out)
	}
}

// TestRetryCountdownTicks: a pending delivery waiting to retry shows a
// countdown and keeps exactly one tick running while it is visible.
func TestRetryCountdownTicks(t *testing.T) {
	now := fixedNow
	m := New(newTestBackend(t), WithNow(func() time.Time { return now }))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	_, cmd := m.Update(eventsMsg{events: fixtureEvents()[:6]})
	if !strings.Contains(m.View().Content, "next retry in 2s") {
		t.Fatalf("no countdown:\n%s", m.View().Content)
	}
	if !m.ticking || cmd == nil {
		t.Fatal("countdown visible but no tick armed")
	}
	id := m.tickID
	now = now.Add(1500 * time.Millisecond)
	m.Update(retryTickMsg{id: id})
	if !strings.Contains(m.View().Content, "next retry in 500ms") {
		t.Fatalf("countdown did not move:\n%s", m.View().Content)
	}
	now = now.Add(time.Second)
	m.Update(retryTickMsg{id: m.tickID})
	if m.ticking {
		t.Fatal("tick still armed after the retry time passed")
	}
}
