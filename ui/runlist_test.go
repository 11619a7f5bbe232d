package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"hooklab/config"
	"hooklab/server/hub"
)

// runFixture is fixtureEvents plus what the run list folds in other ways:
// a run refused at creation (its decision, then its 422), a replay, and a
// run waiting to retry whose webhook has a long path and a query.
func runFixture() []hub.Event {
	long := "http://127.0.0.1:9000/receivers/orders-service/webhooks/langgraph?tenant=acme&lane=7"
	blocked := config.Decision{URL: "http://169.254.169.254/latest?x=1", Rule: config.RuleAddress, Message: "Webhook URL resolves to a blocked address"}
	hook := "http://127.0.0.1:9000/hook?token=abc"
	next := fixedNow.Add(3 * time.Second)
	return append(fixtureEvents(),
		ev(14, hub.KindDecision, hub.DecisionInfo{Stage: "create", Decision: blocked}),
		ev(15, hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/runs", Status: 422, DurationMS: 0.4, Detail: blocked.Message}),
		ev(16, hub.KindDelivery, hub.DeliveryInfo{ID: "dlv-0003", RunID: "run-0001", URL: hook, Outcome: "pending", ReplayOf: "dlv-0001"}),
		ev(17, hub.KindDecision, hub.DecisionInfo{Stage: "replay", DeliveryID: "dlv-0003", RunID: "run-0001", Decision: config.Decision{URL: hook, Allowed: true}}),
		ev(18, hub.KindAttempt, hub.AttemptInfo{DeliveryID: "dlv-0003", RunID: "run-0001", Attempt: 1, Method: "POST", URL: hook, Status: 200,
			ResponseBody: `{"ok":true}`, Timing: hub.Timing{TotalMS: 4.2}, StartedAt: fixedNow.Add(2 * time.Second)}),
		ev(19, hub.KindDelivery, hub.DeliveryInfo{ID: "dlv-0003", RunID: "run-0001", URL: hook, Outcome: "delivered", Attempts: 1, Status: 200,
			DurationMS: 4.2, ReplayOf: "dlv-0001"}),
		ev(20, hub.KindDecision, hub.DecisionInfo{Stage: "create", Decision: config.Decision{URL: long, Allowed: true}}),
		ev(21, hub.KindRun, hub.RunInfo{RunID: "run-0004", ThreadID: "t-0004", AssistantID: "agent", Status: "success", Webhook: long}),
		ev(22, hub.KindDecision, hub.DecisionInfo{Stage: "send", DeliveryID: "dlv-0004", RunID: "run-0004", Decision: config.Decision{URL: long, Allowed: true}}),
		ev(23, hub.KindAttempt, hub.AttemptInfo{DeliveryID: "dlv-0004", RunID: "run-0004", Attempt: 1, Method: "POST", URL: long, Status: 500,
			ResponseBody: "upstream down", Retry: true, NextAttemptAt: &next, Timing: hub.Timing{TotalMS: 30}, StartedAt: fixedNow.Add(2 * time.Second)}),
	)
}

// runListScreen is the run list over runFixture.
func runListScreen(t *testing.T, w, h int, keys ...tea.Msg) *Model {
	t.Helper()
	m := New(newTestBackend(t), WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(darkBG)
	m.Update(eventsMsg{events: runFixture()})
	for _, k := range keys {
		m.Update(k)
	}
	return m
}

// TestRunList pins the run list, the view the dashboard opens in, at
// every size (go test ./ui -update rewrites the goldens).
func TestRunList(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := runListScreen(t, sz.w, sz.h, press("g"))
			content := m.View().Content
			checkInvariants(t, content, sz.w, sz.h)
			golden.RequireEqual(t, ansi.Strip(content))
		})
	}
}

// TestRunListFoldsEvents: 23 events make 8 rows: the run with its create
// request, decisions, status, delivery states and attempts; a replay of
// its delivery on a row of its own; a refusal at creation with its 422;
// a run waiting to retry; and the events of no run, one row each.
func TestRunListFoldsEvents(t *testing.T) {
	m := runListScreen(t, 120, 40)
	want := []struct {
		kind                     entryKind
		word, run, delivery, url string
		events, status, attempts int
	}{
		{entryRun, "delivered", "run-0001", "dlv-0001", "http://127.0.0.1:9000/hook?token=abc", 8, 200, 2},
		{entryEvent, "", "", "", "", 1, 0, 0}, // the 422 on /thread/
		{entryRun, "refused", "", "dlv-0002", "http://10.0.0.5/hook", 2, 0, 0},
		{entryEvent, "", "", "", "", 1, 0, 0}, // the sink
		{entryEvent, "", "", "", "", 1, 0, 0}, // the notice
		{entryRun, "refused", "", "", "http://169.254.169.254/latest?x=1", 2, 422, 0},
		{entryReplay, "delivered", "run-0001", "dlv-0003", "http://127.0.0.1:9000/hook?token=abc", 4, 200, 1},
		{entryRun, "retrying", "run-0004", "dlv-0004", "http://127.0.0.1:9000/receivers/orders-service/webhooks/langgraph?tenant=acme&lane=7", 4, 500, 1},
	}
	es := m.feed.runs.entries
	if len(es) != len(want) {
		t.Fatalf("%d rows, want %d", len(es), len(want))
	}
	for i, w := range want {
		e := es[i]
		if e.kind != w.kind || len(e.keys) != w.events || (w.kind != entryEvent && (e.word() != w.word || e.run != w.run ||
			e.delivery != w.delivery || e.url != w.url || int(e.status) != w.status || int(e.attempts) != w.attempts)) {
			t.Errorf("row %d: %+v, want %+v", i, *e, w)
		}
	}
	if es[6].replayOf != "dlv-0001" || !es[5].refused || es[5].reason != "Webhook URL resolves to a blocked address" {
		t.Errorf("the replay or the refusal lost what it is: %+v / %+v", *es[6], *es[5])
	}
	if c := m.feed.counts; c.refused != 2 {
		t.Errorf("header counts %d refused, want 2 (one at send, one at creation)", c.refused)
	}
}

// TestRunListShowsEveryReceiverPath: at 120x40, five runs whose webhooks
// go to five receiver paths, each with a query, show each path with its
// query on the first screen, in at most two rows per run.
func TestRunListShowsEveryReceiverPath(t *testing.T) {
	b := newTestBackend(t)
	srv, hits := receiver(t, 200)
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	var paths []string
	for i, name := range []string{"alpha", "bravo", "charlie", "delta", "echo"} {
		p := fmt.Sprintf("/receivers/%s/webhooks/langgraph?tenant=acme&lane=%d", name, i)
		paths = append(paths, p)
		waitDelivered(t, b, sendRunAs(t, b, fmt.Sprintf("run-%d-%s", i, name), srv.URL+p))
	}
	catchUp(t, m, b)
	if hits.Load() != 5 || len(m.feed.runs.entries) != 5 {
		t.Fatalf("%d webhooks, %d rows; want 5, 5", hits.Load(), len(m.feed.runs.entries))
	}
	lines := strings.Split(ansi.Strip(checkFrame(t, m, "five runs")), "\n")
	list := lines[m.lay.list.y : m.lay.list.y+m.lay.list.h]
	for j, l := range list {
		list[j] = ansi.Truncate(l, m.lay.list.w, "") // the list's column, not the detail beside it
	}
	for i, p := range paths {
		var rows []int
		for j, l := range list {
			if strings.Contains(l, fmt.Sprintf("run-%d-", i)) || strings.Contains(l, p[:20]) {
				rows = append(rows, j)
			}
		}
		seen := false
		for _, j := range rows {
			seen = seen || strings.Contains(list[j], p)
		}
		if !seen || len(rows) > 2 || rows[len(rows)-1]-rows[0] > 1 {
			t.Errorf("%s: on list rows %v, whole: %v\n%s", p, rows, seen, strings.Join(list, "\n"))
		}
	}
}

// TestRunListSearchesEveryID: search finds a run by its run, thread or
// delivery id and by any part of its URL, the query included.
func TestRunListSearchesEveryID(t *testing.T) {
	for _, q := range []string{"run-0004", "t-0004", "dlv-0004", "orders-service", "lane=7"} {
		m := runListScreen(t, 120, 40, append([]tea.Msg{press("/")}, append(typeText(q), press("enter"))...)...)
		if len(m.runs.idx) != 1 || m.runs.selected().run != "run-0004" {
			t.Errorf("search %q: %d rows", q, len(m.runs.idx))
		}
	}
	m := runListScreen(t, 120, 40, append([]tea.Msg{press("/")}, append(typeText("dlv-0003"), press("enter"))...)...)
	if len(m.runs.idx) != 1 || m.runs.selected().kind != entryReplay {
		t.Errorf("search by a replay's delivery id: %d rows", len(m.runs.idx))
	}
	// ctrl+u clears the query as in every other text field.
	all := len(runListScreen(t, 120, 40).runs.idx)
	m.Update(press("/"))
	m.Update(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	m.Update(press("enter"))
	if m.runs.query != "" || len(m.runs.idx) != all {
		t.Errorf("after ctrl+u: query %q, %d rows of %d", m.runs.query, len(m.runs.idx), all)
	}
}

// TestRunDetailLeadsWithTheResponse: enter on a run opens its document:
// the delivery's response (status, time, body) at the top, then the
// timeline of its events, each attempt with its own response.
func TestRunDetailLeadsWithTheResponse(t *testing.T) {
	m := runListScreen(t, 120, 40, press("g"), press("enter"))
	if m.focus != focusDetail {
		t.Fatal("enter did not open the detail")
	}
	doc := ansi.Strip(strings.Join(m.detail.lines, "\n"))
	for _, want := range []string{"Run run-0001  delivered", "Response 200", "12:00:12.000 · 8.1ms · attempt 2", `"ok": true`,
		"Timeline", "attempt  503 #1 POST", "↳ busy", "attempt  200 #2 POST", `↳ {"ok":true}`} {
		if !strings.Contains(doc, want) {
			t.Errorf("no %q in the run's document:\n%s", want, doc)
		}
	}
	if r, tl := strings.Index(doc, "Response 200"), strings.Index(doc, "Timeline"); r < 0 || r > tl || strings.Count(doc[:r], "\n") > 4 {
		t.Errorf("the response is not at the top:\n%s", doc)
	}
}

// TestViewKeyTogglesRawEvents: v shows the raw events (one row per
// event) with the selected run's first event selected, and back.
func TestViewKeyTogglesRawEvents(t *testing.T) {
	m := runListScreen(t, 120, 40, press("g"))
	m.Update(press("v"))
	if !m.raw || m.Selected() != 1 || !strings.Contains(ansi.Strip(m.View().Content), "#1 POST") {
		t.Fatalf("raw view: %v, selected %d", m.raw, m.Selected())
	}
	m.Update(press("j"))
	m.Update(press("j")) // the run's status event
	m.Update(press("v"))
	if m.raw || m.runs.selected() == nil || m.runs.selected().run != "run-0001" {
		t.Fatalf("back in the run list, the run of the selected event is not selected")
	}
}

// TestHostileTextStaysOnItsRunRow is TestHostileTextStaysOnItsLine for the
// run list: every frame keeps its invariants, whatever the rows carry.
func TestHostileTextStaysOnItsRunRow(t *testing.T) {
	for _, sz := range sizes {
		m := New(newTestBackend(t), WithNow(fixedClock))
		m.Update(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
		m.Update(eventsMsg{events: hostileEvents()})
		m.Update(press("g"))
		for range len(m.feed.runs.entries) {
			checkFrame(t, m, fmt.Sprintf("%dx%d run list", sz.w, sz.h))
			m.Update(press("j"))
		}
	}
}

// TestFlowRunList: real runs reach the run list as one row each, however
// many events they make; search by a delivery id selects that run, enter
// opens it with the receiver's response on top, and v shows the raw
// events behind it.
func TestFlowRunList(t *testing.T) {
	b := newTestBackend(t)
	srv, _ := receiver(t, 200)
	tm := startTUI(t, b)
	var ids []string
	for i := range 3 {
		id := sendRunAs(t, b, fmt.Sprintf("run-%d", i), fmt.Sprintf("%s/receiver-%d/hook?n=%d", srv.URL, i, i))
		waitDelivered(t, b, id)
		ids = append(ids, id)
	}
	waitScreen(t, tm, "/receiver-2/hook?n=2")
	tm.Send(press("/"))
	tm.Type(ids[1][:8])
	tm.Send(press("enter"))
	tm.Send(press("enter"))
	waitScreen(t, tm, "receiver-1/hook?n=1")
	tm.Send(press("v"))
	waitScreen(t, tm, "kind:all  outcome:all  search:"+ids[1][:8])
	m := finalModel(t, tm)
	if !m.raw || m.selectedDelivery() != ids[1] || m.focus != focusDetail {
		t.Fatalf("raw %v, selected delivery %q, want %q in the detail", m.raw, m.selectedDelivery(), ids[1])
	}
	if rows := ansi.Strip(m.listView()); !strings.Contains(rows, "#1 POST "+srv.URL+"/receiver-1/hook?n=1") {
		t.Fatalf("the raw events:\n%s", rows)
	}
	if n := len(m.feed.runs.entries); n != 3 || m.Events() < 3*4 {
		t.Fatalf("%d rows for %d events, want 3 rows", n, m.Events())
	}
}

// TestRunListMergesTheBackfill: live events that beat the start-up
// backfill, and the backfill behind them, make one row per run, in the
// order the runs began, each holding all its events.
func TestRunListMergesTheBackfill(t *testing.T) {
	evs := loadEvents(0, 27) // three runs
	m := New(newTestBackend(t), WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(eventsMsg{events: evs[13:]}) // the second run's end, the third run
	m.Update(historyMsg{events: evs[:13]})
	es := m.feed.runs.entries
	if len(es) != 3 || len(m.runs.idx) != 3 {
		t.Fatalf("%d rows (%d listed), want 3", len(es), len(m.runs.idx))
	}
	for i, e := range es {
		if len(e.keys) != 9 || e.first.seq != uint64(i*9+1) || e.word() != "delivered" {
			t.Errorf("run %d: %d events from %d, %s", i, len(e.keys), e.first.seq, e.word())
		}
	}
	if sel := m.runs.selected(); sel != es[2] {
		t.Fatal("follow mode lost the newest run")
	}
}

// TestRunListTrimsWithTheWindow: runs whose every event left the window
// leave the list and its indexes; the list stays consistent.
func TestRunListTrimsWithTheWindow(t *testing.T) {
	m := New(newTestBackend(t), WithNow(fixedClock), withMaxEvents(90))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(press("F")) // a filter on: the index is rebuilt, not appended to
	m.Update(press("F"))
	m.Update(press("F")) // errors only: nothing passes
	m.Update(press("F")) // and back to all
	for i := 0; i < 900; i += 45 {
		m.Update(eventsMsg{events: loadEvents(i, 45)})
	}
	x := m.feed.runs
	if len(x.entries) > 12 || len(x.byRun) != len(x.entries) || len(x.byDlv) > len(x.entries) {
		t.Fatalf("%d rows, %d runs, %d deliveries indexed for a 90-event window", len(x.entries), len(x.byRun), len(x.byDlv))
	}
	for _, i := range m.runs.idx {
		if i >= len(x.entries) {
			t.Fatalf("index %d out of range", i)
		}
	}
	if m.runs.selected() != x.entries[len(x.entries)-1] {
		t.Fatal("follow mode lost the newest run")
	}
	checkFrame(t, m, "after trimming")
}

// TestRunListFilterFollowsChanges: a run whose outcome changes moves in
// or out of the outcome filter as its events arrive.
func TestRunListFilterFollowsChanges(t *testing.T) {
	m := runListScreen(t, 120, 40, press("F"), press("F"), press("F")) // errors only
	before := len(m.runs.idx)
	m.Update(eventsMsg{events: []hub.Event{ev(24, hub.KindDelivery, hub.DeliveryInfo{ID: "dlv-0004", RunID: "run-0004", Outcome: "failed", Attempts: 5, Status: 500})}})
	if len(m.runs.idx) != before+1 || m.runs.selected().run != "run-0004" {
		t.Fatalf("%d rows after run-0004 failed, want %d", len(m.runs.idx), before+1)
	}
	m.Update(press("F")) // all
	m.Update(press("F")) // ok only
	n := len(m.runs.idx)
	m.Update(eventsMsg{events: []hub.Event{ev(25, hub.KindDelivery, hub.DeliveryInfo{ID: "dlv-0004", RunID: "run-0004", Outcome: "delivered", Attempts: 6, Status: 200})}})
	if len(m.runs.idx) != n+1 {
		t.Fatalf("%d rows after run-0004 was delivered, want %d", len(m.runs.idx), n+1)
	}
}
