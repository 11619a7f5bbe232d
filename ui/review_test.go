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

	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// Regressions found by driving the built binary in tmux.

// runAll runs a command and its batch children, waiting for slow ones
// (a real replay) up to 5 s. Only for models without a subscription, whose
// commands all return.
func runAll(t *testing.T, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	return runCmdFor(cmd, 5*time.Second)
}

// catchUp gives the model every stored event it has not seen, as the
// subscription would, once the store has published them.
func catchUp(t *testing.T, m *Model, b *testBackend) {
	t.Helper()
	if err := b.st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs, err := b.st.Events(context.Background(), store.Query{Since: m.LastSeq()})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) > 0 {
		m.Update(eventsMsg{events: evs})
	}
}

// TestFollowKeepsWhatTheDetailShows: G, enter, j j, then a new event used
// to move the selection to it, swapping the document being read and
// resetting its scroll. While the detail has the keyboard, follow waits;
// back on the list it stays off (the selection is no longer the newest)
// until G.
func TestFollowKeepsWhatTheDetailShows(t *testing.T) {
	m := screen(t, 80, 24, true)
	body := map[string]int{}
	for i := range 40 {
		body[fmt.Sprintf("field_%02d", i)] = i
	}
	raw, _ := json.Marshal(body)
	m.Update(eventsMsg{events: []hub.Event{ev(14, hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/big", Status: 200, Body: raw})}})
	for _, k := range []string{"G", "enter", "j", "j"} {
		m.Update(press(k))
	}
	if m.Selected() != 14 || m.detail.off != 2 {
		t.Fatalf("premise: selected %d, detail scrolled %d; want 14, 2", m.Selected(), m.detail.off)
	}
	m.Update(eventsMsg{events: []hub.Event{ev(15, hub.KindRequest, hub.RequestInfo{Method: "GET", Path: "/new", Status: 200})}})
	if m.Selected() != 14 || m.detail.off != 2 {
		t.Fatalf("a new event moved the detail: selected %d, scrolled %d; want 14, 2", m.Selected(), m.detail.off)
	}
	m.Update(press("esc"))
	m.Update(eventsMsg{events: []hub.Event{ev(16, hub.KindRequest, hub.RequestInfo{Method: "GET", Path: "/newer", Status: 200})}})
	if m.Selected() != 14 || m.list.follow {
		t.Fatalf("back on the list: selected %d follow %v; want 14 without follow", m.Selected(), m.list.follow)
	}
	m.Update(press("G"))
	m.Update(eventsMsg{events: []hub.Event{ev(17, hub.KindRequest, hub.RequestInfo{Method: "GET", Path: "/newest", Status: 200})}})
	if m.Selected() != 17 {
		t.Fatalf("G did not resume follow: selected %d", m.Selected())
	}
}

// TestReplayTwiceReplaysTheOriginal: with follow on, r replayed the
// delivery, the replay's rows took the selection, and a second r replayed
// the replay. Both must replay the delivery selected when r was pressed.
func TestReplayTwiceReplaysTheOriginal(t *testing.T) {
	b := newTestBackend(t)
	srv, hits := receiver(t, 200)
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	id := sendRun(t, b, srv.URL+"/hook")
	waitDelivered(t, b, id)
	catchUp(t, m, b)
	if m.selectedDelivery() != id || !m.list.follow {
		t.Fatalf("premise: selected delivery %q follow %v", m.selectedDelivery(), m.list.follow)
	}
	for i := range 2 {
		_, cmd := m.Update(press("r"))
		for _, msg := range runAll(t, cmd) {
			m.Update(msg)
		}
		if m.Dialog() != "diff" || m.dialog.(*diffView).orig.ID != id {
			t.Fatalf("replay %d: dialog %q", i+1, m.Dialog())
		}
		catchUp(t, m, b) // the replay's own events reach the feed
		m.Update(press("esc"))
	}
	ds, err := b.st.Deliveries(context.Background(), store.DeliveryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.ID != id && d.ReplayOf != id {
			t.Errorf("delivery %s replays %q, want %s", d.ID, d.ReplayOf, id)
		}
	}
	if len(ds) != 3 || hits.Load() != 3 {
		t.Fatalf("%d deliveries, %d requests; want 3, 3", len(ds), hits.Load())
	}
}

func waitDelivered(t *testing.T, b *testBackend, id string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if d, err := b.st.Delivery(context.Background(), id); err == nil && d.Outcome != sender.OutcomePending {
			return
		}
	}
	t.Fatalf("delivery %s never finished", id)
}

// TestOverlappingReplaysKeepBothDiffs: the second replay to finish used to
// replace the first one's diff. It waits behind it, and esc shows it.
func TestOverlappingReplaysKeepBothDiffs(t *testing.T) {
	m := screen(t, 80, 24, true)
	m.Update(replayDoneMsg{orig: storeDelivery("dlv-a", `{"a":1}`), d: storeDelivery("dlv-a2", `{"a":1}`)})
	m.Update(replayDoneMsg{orig: storeDelivery("dlv-b", `{"b":1}`), d: storeDelivery("dlv-b2", `{"b":2}`)})
	if m.Dialog() != "diff" || m.dialog.(*diffView).orig.ID != "dlv-a" {
		t.Fatal("the second diff replaced the first")
	}
	if !strings.Contains(m.Status(), "queued") || !strings.Contains(ansi.Strip(checkFrame(t, m, "queued")), "esc next diff (1 queued)") {
		t.Fatalf("the queued diff is not announced (status %q)", m.Status())
	}
	m.Update(press("esc"))
	if m.Dialog() != "diff" || m.dialog.(*diffView).orig.ID != "dlv-b" {
		t.Fatalf("esc did not show the queued diff (dialog %q)", m.Dialog())
	}
	m.Update(press("esc"))
	if m.Dialog() != "" {
		t.Fatalf("dialog %q after the last diff", m.Dialog())
	}
}

// TestReplayStatusNamesReason: a refused replay says why in the status bar.
func TestReplayStatusNamesReason(t *testing.T) {
	m := screen(t, 80, 24, true)
	d := storeDelivery("dlv-r2", `{}`)
	d.Outcome, d.Reason = sender.OutcomeRefused, "Webhook domain not allowed"
	m.Update(replayDoneMsg{orig: storeDelivery("dlv-r", `{}`), d: d})
	if s := m.Status(); !strings.Contains(s, "refused") || !strings.Contains(s, "Webhook domain not allowed") {
		t.Fatalf("status %q", s)
	}
}

// TestReplayKeysSayWhyNot: r, e and t on a row that is not about a
// delivery did nothing at all; they say what to select.
func TestReplayKeysSayWhyNot(t *testing.T) {
	for _, k := range []string{"r", "e", "t"} {
		m := screen(t, 80, 24, true) // the newest row is a notice
		if _, cmd := m.Update(press(k)); m.Dialog() != "" || !strings.Contains(m.Status(), "select a delivery") || cmd == nil {
			t.Errorf("%s on a notice: dialog %q status %q", k, m.Dialog(), m.Status())
		}
	}
}

// TestReplayToStartsFromTheOriginalURL: t opens with the delivery's URL,
// so sending it somewhere close is a small edit.
func TestReplayToStartsFromTheOriginalURL(t *testing.T) {
	m := screen(t, 80, 24, true, press("k"), press("k"), press("k"), press("k"), press("k"))
	id := m.selectedDelivery()
	d := storeDelivery(id, `{}`)
	d.URL = "http://127.0.0.1:9000/hook?token=abc"
	m.Update(deliveryMsg{id: id, d: d})
	m.Update(press("t"))
	if m.Dialog() != "replay-to" || m.dialog.(*replayTo).in.value != d.URL {
		t.Fatalf("dialog %q", m.Dialog())
	}
}

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
	for _, msg := range runAll(t, cmd) {
		m.Update(msg)
	}
	if !strings.Contains(m.Status(), "saved") {
		t.Fatalf("not saved: %q", m.Status())
	}
	if h := header(); strings.Contains(h, "embedded default") || !strings.Contains(h, "langgraph.json") {
		t.Fatalf("header after saving: %q", h)
	}
}

// addHeader adds a header with n, typing it over the "X-Header: " start.
func addHeader(m *Model, text string) {
	m.Update(press("n"))
	typeOver(m, text)
}

// TestConfigDuplicateHeader: two header names that differ only in case
// were accepted and collapsed to the last one on save. The editor names
// the duplicate next to it and refuses apply and save until it is fixed.
func TestConfigDuplicateHeader(t *testing.T) {
	m := screen(t, 80, 24, true, press("c"))
	e := m.dialog.(*configEditor)
	addHeader(m, "X-Token: one")
	addHeader(m, "x-token: two")
	out := strings.Join(strings.Fields(ansi.Strip(checkFrame(t, m, "duplicate"))), " ")
	if !strings.Contains(out, `duplicate header "x-token": "X-Token" is already set`) {
		t.Fatalf("no duplicate message:\n%s", out)
	}
	for _, k := range []string{"a", "w"} {
		if _, cmd := m.Update(press(k)); e.busy || cmd == nil || !strings.Contains(m.Status(), "fix the config errors first") {
			t.Fatalf("%s with a duplicate header: busy %v status %q", k, e.busy, m.Status())
		}
	}
	// x on the duplicate (the selected row: it was just added) fixes it.
	m.Update(press("x"))
	if e.err != nil || len(e.f.Webhooks.Headers) != 1 {
		t.Fatalf("after removing the duplicate: %v, %d headers", e.err, len(e.f.Webhooks.Headers))
	}
}

// TestConfigRangeErrorsAt80x24: an out-of-range port or a non-positive
// max_url_length shows config's own message once, right under the field,
// and apply is refused.
func TestConfigRangeErrorsAt80x24(t *testing.T) {
	for _, c := range []struct{ key, text, want string }{
		{"webhooks.url.allowed_ports", "443, 70000", "must be an integer port 1-65535, got 70000"},
		{"webhooks.url.max_url_length", "-5", "must be a positive integer, got -5"},
		{"webhooks.url.max_url_length", "0", "must be a positive integer, got 0"},
	} {
		t.Run(c.key+"="+c.text, func(t *testing.T) {
			m, e := configAt(t, c.key)
			m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			typeInto(m, c.text)
			lines := strings.Split(ansi.Strip(checkFrame(t, m, "range")), "\n")
			label := strings.TrimPrefix(c.key, "webhooks.")
			for i, l := range lines {
				if strings.Contains(l, label+" ") {
					if i+1 >= len(lines) || !strings.Contains(lines[i+1], "✗ "+c.want) {
						t.Fatalf("no %q under the field:\n%s", c.want, strings.Join(lines, "\n"))
					}
				}
			}
			if n := strings.Count(strings.Join(lines, "\n"), "  ✗ "+c.want); n != 1 {
				t.Errorf("the inline message shows %d times", n)
			}
			m.Update(press("a"))
			if e.busy || !strings.Contains(m.Status(), "fix the config errors first") {
				t.Fatalf("applied (status %q)", m.Status())
			}
		})
	}
}

// TestConfigDialogListsEveryKey: the one-line status bar cut "w
// apply+save" and "esc close" at 80 columns; the dialog lists every key.
func TestConfigDialogListsEveryKey(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := screen(t, sz.w, sz.h, true, press("c"))
			out := strings.Join(strings.Fields(ansi.Strip(checkFrame(t, m, "config"))), " ")
			for _, b := range m.dialog.(*configEditor).keys(&m.keys) {
				if want := b.Help().Key + " " + b.Help().Desc; !strings.Contains(out, want) {
					t.Errorf("%q not on screen:\n%s", want, out)
				}
			}
		})
	}
}

// TestConfigEscAsksBeforeDiscarding: esc cancels a field edit and then
// closed the editor, so two presses threw away every edit. With edits not
// applied it now asks; n keeps editing, y discards. Once applied, esc
// just closes.
func TestConfigEscAsksBeforeDiscarding(t *testing.T) {
	m := screen(t, 80, 24, true, press("c"), press("j"))
	e := m.dialog.(*configEditor)
	typeInto(m, "MY_")       // env_prefix, committed
	m.Update(press("enter")) // edit it again…
	m.Update(press("esc"))   // …cancel the field edit
	m.Update(press("esc"))   // and the dialog: it asks
	if m.Dialog() != "config" || !e.confirm {
		t.Fatal("esc closed the editor with edits not applied")
	}
	if out := ansi.Strip(checkFrame(t, m, "confirm")); !strings.Contains(out, "Discard the changes not applied? y discard · n/esc keep editing") {
		t.Fatalf("no question on screen:\n%s", out)
	}
	m.Update(press("n"))
	if m.Dialog() != "config" || e.confirm || e.f.Webhooks.EnvPrefix == nil || *e.f.Webhooks.EnvPrefix != "MY_" {
		t.Fatal("n did not keep the edits")
	}
	m.Update(press("esc"))
	m.Update(press("y"))
	if m.Dialog() != "" || m.b.Config().File.Webhooks.EnvPrefix != nil {
		t.Fatalf("y: dialog %q", m.Dialog())
	}
	// Applied edits are not lost by closing: no question.
	m.Update(press("c"))
	m.Update(press("j"))
	typeInto(m, "MY_")
	_, cmd := m.Update(press("a"))
	for _, msg := range runAll(t, cmd) {
		m.Update(msg)
	}
	m.Update(press("esc"))
	if m.Dialog() != "" {
		t.Fatalf("esc after apply: dialog %q", m.Dialog())
	}
}

// TestColorFGBGHintsTheTheme: before the terminal answers the background
// query, COLORFGBG picks the theme; without it the default is dark.
func TestColorFGBGHintsTheTheme(t *testing.T) {
	for v, want := range map[string]struct{ dark, ok bool }{
		"15;0": {true, true}, "0;15": {false, true}, "0;default;7": {false, true}, "7;8": {true, true},
		"": {false, false}, "default": {false, false}, "0;default": {false, false}, "0;99": {false, false},
	} {
		if d, ok := colorFGBG(v); d != want.dark || ok != want.ok {
			t.Errorf("colorFGBG(%q) = %v, %v; want %v, %v", v, d, ok, want.dark, want.ok)
		}
	}
	t.Setenv("COLORFGBG", "0;15")
	m := New(newTestBackend(t))
	if m.st.isDark {
		t.Fatal("COLORFGBG says light, styles are dark")
	}
	m.Update(darkBG) // the terminal's answer wins
	if !m.st.isDark {
		t.Fatal("the background reply did not switch to dark")
	}
	t.Setenv("COLORFGBG", "")
	if m := New(newTestBackend(t)); !m.st.isDark {
		t.Fatal("no hint: not dark")
	}
}

// TestWheelOnDetailPausesFollow: scrolling the detail with the wheel is
// reading it too; a new event must not swap it.
func TestWheelOnDetailPausesFollow(t *testing.T) {
	m := screen(t, 80, 24, true)
	sel := m.Selected()
	m.Update(tea.MouseWheelMsg{X: 5, Y: m.lay.detail.y + 1, Button: tea.MouseWheelDown})
	m.Update(eventsMsg{events: []hub.Event{ev(14, hub.KindRequest, hub.RequestInfo{Method: "GET", Path: "/new", Status: 200})}})
	if m.Selected() != sel || m.list.follow {
		t.Fatalf("selected %d follow %v; want %d without follow", m.Selected(), m.list.follow, sel)
	}
}
