package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// TestHeaderCountsTheWholeStore: after a restart the header counted only
// the events in the loaded window (the newest 5,000). Deliveries stored
// before it are counted from the store, and live ones add to the total.
func TestHeaderCountsTheWholeStore(t *testing.T) {
	b := newTestBackend(t)
	for i := range 600 {
		outcome := sender.OutcomeDelivered
		if i%100 == 0 {
			outcome = sender.OutcomeFailed
		}
		id := fmt.Sprintf("dlv-%04d", i)
		b.st.Append(hub.KindDelivery, hub.DeliveryInfo{ID: id, URL: "http://127.0.0.1:9/hook", Outcome: sender.OutcomePending})
		b.st.Append(hub.KindDelivery, hub.DeliveryInfo{ID: id, URL: "http://127.0.0.1:9/hook", Outcome: outcome})
	}
	for i := range backfillLimit {
		b.st.Append(hub.KindRequest, hub.RequestInfo{Method: "GET", Path: fmt.Sprint("/r/", i), Status: 200})
	}
	b.st.Append(hub.KindDelivery, hub.DeliveryInfo{ID: "dlv-in-window", URL: "http://127.0.0.1:9/hook", Outcome: sender.OutcomeRefused})
	if err := b.st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	msg := m.historyCmd(store.Query{Limit: backfillLimit, Newest: true}, false)()
	_, cmd := m.Update(msg)
	for _, msg := range runAll(t, cmd) {
		m.Update(msg)
	}
	c := m.feed.counts
	if c.delivered != 594 || c.failed != 6 || c.refused != 1 {
		t.Fatalf("counts %+v, want 594 delivered, 6 failed, 1 refused", c)
	}
	m.Update(eventsMsg{events: []hub.Event{ev(m.LastSeq()+1, hub.KindDelivery, hub.DeliveryInfo{ID: "dlv-live", Outcome: sender.OutcomeDelivered})}})
	if h := ansi.Strip(m.View().Content); !strings.Contains(strings.SplitN(h, "\n", 2)[0], "✓595 ✗6 ⊘1") {
		t.Fatalf("header: %q", strings.SplitN(h, "\n", 2)[0])
	}
}

// TestHeaderNamesTheSavedConfig: after w from the embedded default the
// header kept saying "embedded default" (Info was read once, in New).
func TestHeaderNamesTheSavedConfig(t *testing.T) {
	t.Chdir(t.TempDir()) // the embedded default saves to ./langgraph.json
	m := screen(t, 80, 24, true)
	header := func() string { return strings.SplitN(ansi.Strip(m.View().Content), "\n", 2)[0] }
	if !strings.Contains(header(), "embedded default") {
		t.Fatalf("premise: header %q", header())
	}
	m.Update(press("c"))
	_, cmd := m.Update(press("w"))
	settle(t, m, cmd)
	// The file would allow loopback targets, which no file (the platform's
	// defaults) refuses: the editor asks first.
	_, cmd = m.Update(press("y"))
	settle(t, m, cmd)
	if !strings.Contains(m.Status(), "saved") {
		t.Fatalf("not saved: %q", m.Status())
	}
	if h := header(); strings.Contains(h, "embedded default") || !strings.Contains(h, "langgraph.json") {
		t.Fatalf("header after saving: %q", h)
	}
}

func notice(level, text string) eventsMsg {
	return eventsMsg{events: []hub.Event{ev(0, hub.KindNotice, hub.NoticeInfo{Level: level, Text: text})}}
}

// TestStoreFailureBadge: an unsequenced error notice raises a red header
// badge and the status bar, survives other events, and only an info notice
// from the same source clears it.
func TestStoreFailureBadge(t *testing.T) {
	const failure = "store: disk full (SQLITE_FULL) while writing events; the feed keeps running but nothing is recorded"
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := screen(t, sz.w, sz.h, true)
			before := m.Events()
			m.Update(notice("error", failure))
			m.Update(notice("error", failure)) // the same text again is a second notice, not a duplicate
			if m.Events() != before+2 {
				t.Fatalf("holds %d events, want %d: Seq 0 notices were deduplicated", m.Events(), before+2)
			}
			header := func() string { return strings.SplitN(ansi.Strip(m.View().Content), "\n", 2)[0] }
			checkInvariants(t, m.View().Content, sz.w, sz.h)
			if h := header(); !strings.HasPrefix(h, "hooklab ⚠ store: disk full") || !strings.Contains(h, "✓1 ✗0 ⊘1") {
				t.Fatalf("header %q: want the badge and the counts", h)
			}
			if m.Status() != failure || !strings.Contains(ansi.Strip(m.View().Content), "store: disk full") {
				t.Fatalf("status %q", m.Status())
			}
			m.Update(eventsMsg{events: []hub.Event{ev(14, hub.KindNotice, hub.NoticeInfo{Level: "info", Text: "config: stored notice"})}})
			m.Update(notice("info", "config: reloaded"))
			if m.Alert() != failure || m.LastSeq() != 14 {
				t.Fatalf("badge %q (last seq %d) after unrelated events", m.Alert(), m.LastSeq())
			}
			m.Update(notice("info", "store: writing again"))
			if m.Alert() != "" || strings.Contains(header(), "⚠") {
				t.Fatalf("recovery did not clear the badge: %q", header())
			}
			if m.Status() != "store: writing again" {
				t.Fatalf("status %q after recovery", m.Status())
			}
			checkInvariants(t, m.View().Content, sz.w, sz.h)
		})
	}
}

func TestNoticeSource(t *testing.T) {
	for text, want := range map[string]string{
		"store: disk full":     "store",
		"Store: writing again": "store",
		"no source here":       "",
		"a sentence: with one": "",
		":empty":               "",
	} {
		if got := noticeSource(text); got != want {
			t.Errorf("noticeSource(%q) = %q, want %q", text, got, want)
		}
	}
}

// TestFlowStoreFailureNotice: the notices the server publishes straight to
// the real hub (Seq 0, bypassing the store) reach the running dashboard.
func TestFlowStoreFailureNotice(t *testing.T) {
	b := newTestBackend(t)
	tm := startTUI(t, b)
	b.st.Append(hub.KindRequest, hub.RequestInfo{Method: "GET", Path: "/stored", Status: 200})
	waitScreen(t, tm, "/stored")
	raw, _ := json.Marshal(hub.NoticeInfo{Level: "error", Text: "store: disk full"})
	b.hub.Publish(hub.Event{Seq: 0, Time: time.Now(), Kind: hub.KindNotice, Payload: raw})
	waitScreen(t, tm, "⚠ store: disk full")
	raw, _ = json.Marshal(hub.NoticeInfo{Level: "info", Text: "store: writing again"})
	b.hub.Publish(hub.Event{Seq: 0, Time: time.Now(), Kind: hub.KindNotice, Payload: raw})
	waitScreen(t, tm, "store: writing again")
	m := finalModel(t, tm)
	if m.Alert() != "" || m.Events() != 3 || m.LastSeq() != 1 {
		t.Fatalf("alert %q, %d events, last seq %d; want none, 3, 1", m.Alert(), m.Events(), m.LastSeq())
	}
}

// TestFlowRefusedAtCreationCounts: a webhook refused when the run is
// created (a 422, so no run and no delivery) counts in the header's ⊘
// with the refusals at send time, and has its own row.
func TestFlowRefusedAtCreationCounts(t *testing.T) {
	b := newTestBackend(t)
	tm := startTUI(t, b)
	blocked := config.Decision{URL: "http://169.254.169.254/latest", Rule: config.RuleAddress, Message: "Webhook URL resolves to a blocked address"}
	b.st.Append(hub.KindDecision, hub.DecisionInfo{Stage: "create", Decision: blocked})
	b.st.Append(hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/runs", Status: 422, Detail: blocked.Message})
	b.st.Append(hub.KindDecision, hub.DecisionInfo{Stage: "create", Decision: config.Decision{URL: "http://127.0.0.1:9/ok", Allowed: true}})
	waitScreen(t, tm, "http://169.254.169.254/latest")
	m := finalModel(t, tm)
	header := strings.SplitN(ansi.Strip(m.View().Content), "\n", 2)[0]
	if !strings.Contains(header, "⊘1") || m.feed.counts.refused != 1 {
		t.Fatalf("header %q, want ⊘1", header)
	}
	if e := m.runs.selected(); e == nil || !e.refused || len(e.keys) != 2 || e.status != 422 {
		t.Fatalf("the refusal's row: %+v", e)
	}
}

// TestHeaderCountsOlderRefusalsAtCreation: a refusal at creation stored
// before the loaded window is counted too.
func TestHeaderCountsOlderRefusalsAtCreation(t *testing.T) {
	b := newTestBackend(t)
	b.st.Append(hub.KindDecision, hub.DecisionInfo{Stage: "create", Decision: config.Decision{URL: "http://10.0.0.1/x", Rule: config.RuleAddress, Message: "blocked"}})
	b.st.Append(hub.KindDecision, hub.DecisionInfo{Stage: "test", Decision: config.Decision{URL: "http://10.0.0.1/x", Message: "blocked"}})
	for i := range backfillLimit {
		b.st.Append(hub.KindRequest, hub.RequestInfo{Method: "GET", Path: fmt.Sprint("/r/", i), Status: 200})
	}
	if err := b.st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	_, cmd := m.Update(m.historyCmd(store.Query{Limit: backfillLimit, Newest: true}, false)())
	for _, msg := range runAll(t, cmd) {
		m.Update(msg)
	}
	if c := m.feed.counts; c.refused != 1 {
		t.Fatalf("counts %+v, want 1 refused", c)
	}
}
