package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"hooklab/server/hub"
)

// The dashboard of hooklab in front of the developer's own LangGraph
// server (hooklab dev --upstream URL -- COMMAND).

const upURL = "http://127.0.0.1:2025"

func upstreamUp() hub.UpstreamInfo {
	return hub.UpstreamInfo{URL: upURL, Version: "langgraph-js 2.0.0", PID: 4242, Reachable: true, Since: fixedNow}
}

// upstreamEvents are the fixture events of a run hooklab forwarded, then
// the upstream going down.
func upstreamEvents() []hub.Event {
	down := upstreamUp()
	down.Reachable, down.Detail = false, "unreachable: dial tcp 127.0.0.1:2025: connect: connection refused"
	return []hub.Event{
		ev(14, hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/threads/t-up/runs", Status: 200, DurationMS: 4.1, RunID: "run-up01"}),
		ev(15, hub.KindRun, hub.RunInfo{RunID: "run-up01", ThreadID: "t-up", AssistantID: "agent", Status: "success",
			Webhook: "http://127.0.0.1:9000/hook/upstream?k=1", Upstream: upURL}),
		ev(16, hub.KindDelivery, hub.DeliveryInfo{ID: "dlv-up01", RunID: "run-up01", URL: "http://127.0.0.1:9000/hook/upstream?k=1",
			Outcome: "delivered", Attempts: 1, Status: 200, DurationMS: 9}),
		ev(17, hub.KindUpstream, down),
	}
}

// upstreamModel is a w x h dashboard over a backend in upstream mode.
func upstreamModel(t *testing.T, w, h int) (*Model, *testBackend) {
	t.Helper()
	b := newTestBackend(t)
	u := upstreamUp()
	b.upstream = &u
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(darkBG)
	m.Update(eventsMsg{events: append(fixtureEvents(), upstreamEvents()[:3]...)})
	return m, b
}

// goDown makes the backend's upstream unreachable and delivers the event
// saying so, as the feed would.
func goDown(m *Model, b *testBackend) {
	e := upstreamEvents()[3]
	var u hub.UpstreamInfo
	_ = e.Decode(&u)
	b.mu.Lock()
	b.upstream = &u
	b.mu.Unlock()
	m.Update(eventsMsg{events: []hub.Event{e}})
}

// TestUpstreamHeader: the header names the upstream, its version and the
// child's pid; the upstream's run is marked; a red badge shows while the
// upstream does not answer, and goes when it is back.
func TestUpstreamHeader(t *testing.T) {
	for _, sz := range sizes {
		for _, state := range []string{"Up", "Down"} {
			t.Run(fmt.Sprintf("%s/%dx%d", state, sz.w, sz.h), func(t *testing.T) {
				m, b := upstreamModel(t, sz.w, sz.h)
				if state == "Down" {
					goDown(m, b)
				}
				golden.RequireEqual(t, ansi.Strip(checkFrame(t, m, state)))
			})
		}
	}
	m, b := upstreamModel(t, 120, 40)
	if got := m.Banner(); !strings.Contains(got, "upstream "+upURL+" · langgraph-js 2.0.0 · pid 4242") || !strings.Contains(got, "✓ up") {
		t.Fatalf("banner %q", got)
	}
	if out := ansi.Strip(m.View().Content); !strings.Contains(out, "⇄ http://127.0.0.1:9000/hook/upstream?k=1") {
		t.Fatalf("the upstream run is not marked:\n%s", out)
	}
	goDown(m, b)
	if got := m.Banner(); !strings.Contains(got, "✗ unreachable") || !strings.Contains(got, "dial tcp") || !strings.Contains(m.Status(), "connection refused") {
		t.Fatalf("banner while down %q", got)
	}
	u := upstreamUp()
	b.mu.Lock()
	b.upstream = &u
	b.mu.Unlock()
	m.Update(eventsMsg{events: []hub.Event{ev(18, hub.KindUpstream, u)}})
	if got := m.Banner(); strings.Contains(got, "unreachable") {
		t.Fatalf("banner once back %q", got)
	}
}

// TestUpstreamRunDetail: the detail of an upstream run says where it ran.
func TestUpstreamRunDetail(t *testing.T) {
	m, _ := upstreamModel(t, 120, 40)
	m.Update(press("G"))
	doc := ansi.Strip(m.detail.View())
	if !strings.Contains(doc, "upstream "+upURL) {
		t.Fatalf("detail:\n%s", doc)
	}
}

// TestUpstreamEventsInRawView: the upstream's state changes are rows of
// the raw event view, with a kind filter of their own.
func TestUpstreamEventsInRawView(t *testing.T) {
	m, b := upstreamModel(t, 120, 40)
	goDown(m, b)
	m.Update(press("v"))
	for m.list.kindF = 0; kindFilters()[m.list.kindF] != hub.KindUpstream; m.list.kindF++ {
	}
	m.list.rebuild()
	out := flat(checkFrame(t, m, "raw"))
	if !strings.Contains(flat(m.detail.View()), "upstream unreachable "+upURL+" (langgraph-js 2.0.0) pid 4242: dial tcp") || len(m.list.idx) != 1 {
		t.Fatalf("raw view:\n%s", out)
	}
}

// logLines is what a JS dev server writes: its banner, hooklab's polls
// (two lines per request), a request of the developer's own, and an error
// in colour.
func logLines() []string {
	lines := []string{"\x1b[32minfo\x1b[39m:    ▪ Starting server...", "info:    ▪ Server running at ::1:2025"}
	for i := range 3 {
		lines = append(lines, fmt.Sprintf("info:    <-- GET /threads/t-1/runs/r-%d", i), fmt.Sprintf("info:    --> GET /threads/t-1/runs/r-%d 200 2ms", i))
	}
	lines = append(lines, "info:    <-- POST /threads/t-1/runs/stream", "info:    <-- POST /threads/t-1/history", "info:    --> POST /threads/t-1/history 200 5ms",
		"\x1b[31merror\x1b[39m:   Error: FAIL in node review")
	return lines
}

// openLog presses L and takes the first read.
func openLog(t *testing.T, m *Model) *logView {
	t.Helper()
	_, cmd := m.Update(press("L"))
	v, ok := m.dialog.(*logView)
	if !ok {
		t.Fatalf("L opened %q", m.Dialog())
	}
	for _, msg := range runCmd(cmd) {
		m.Update(msg)
	}
	return v
}

// TestUpstreamLogView: L shows the command's output without its ANSI
// escapes, hooklab's polls folded into a line per run of them (p shows
// them); reads of a view since closed stop.
func TestUpstreamLogView(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m, b := upstreamModel(t, sz.w, sz.h)
			b.upLog = logLines()
			openLog(t, m)
			golden.RequireEqual(t, ansi.Strip(checkFrame(t, m, "log")))
		})
	}
	m, b := upstreamModel(t, 120, 40)
	b.upLog = logLines()
	v := openLog(t, m)
	out := ansi.Strip(checkFrame(t, m, "log"))
	for _, want := range []string{"info:    ▪ Starting server...", "⋯ 6 lines of hooklab's own polls", "<-- POST /threads/t-1/runs/stream",
		"⋯ 2 lines of hooklab's own polls", "error:   Error: FAIL in node review"} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "GET /threads/t-1/runs/r-1") {
		t.Fatalf("a poll is shown:\n%s", out)
	}
	m.Update(press("p"))
	if out := ansi.Strip(checkFrame(t, m, "polls")); !strings.Contains(out, "--> GET /threads/t-1/runs/r-1 200 2ms") {
		t.Fatalf("p does not show the polls:\n%s", out)
	}
	// New output arrives at the next read.
	b.mu.Lock()
	b.upLog = append(b.upLog, "info:    hot reload: graph.mjs changed")
	b.mu.Unlock()
	_, cmd := m.Update(logTickMsg{id: v.id})
	for _, msg := range runCmd(cmd) {
		m.Update(msg)
	}
	if out := ansi.Strip(checkFrame(t, m, "more")); !strings.Contains(out, "hot reload: graph.mjs changed") {
		t.Fatalf("the new line is not shown:\n%s", out)
	}
	m.Update(press("esc"))
	if _, cmd := m.Update(logTickMsg{id: v.id}); cmd != nil {
		if msgs := runCmd(cmd); len(msgs) > 0 {
			t.Fatalf("a closed view still reads: %v", msgs)
		}
	}
}

// TestLogKeyOnlyWithAnUpstream: without an upstream, L is not offered and
// says why.
func TestLogKeyOnlyWithAnUpstream(t *testing.T) {
	m := runScreen(t, 120, 40, true)
	m.Update(press("?"))
	if out := ansi.Strip(m.View().Content); strings.Contains(out, "upstream log") {
		t.Fatalf("help offers L without an upstream:\n%s", out)
	}
	m.Update(press("?"))
	m.Update(press("L"))
	if m.Dialog() != "" || !strings.Contains(m.Status(), "no upstream") {
		t.Fatalf("L without an upstream: dialog %q, status %q", m.Dialog(), m.Status())
	}
	u, _ := upstreamModel(t, 120, 40)
	u.Update(press("?"))
	if out := ansi.Strip(u.View().Content); !strings.Contains(out, "upstream log") {
		t.Fatalf("help does not offer L with an upstream:\n%s", out)
	}
}

// TestFlowUpstream: through the program, the header shows the upstream,
// L its output, and the badge follows its state.
func TestFlowUpstream(t *testing.T) {
	b := newTestBackend(t)
	u := upstreamUp()
	b.upstream = &u
	b.upLog = logLines()
	tm := startTUI(t, b)
	waitScreen(t, tm, "upstream", "langgraph-js 2.0.0", "pid 4242", "✓ up")
	tm.Send(press("L"))
	waitScreen(t, tm, "Upstream log", "FAIL in node review", "lines of hooklab's own polls")
	tm.Send(press("esc"))
	down := upstreamEvents()[3]
	var d hub.UpstreamInfo
	_ = down.Decode(&d)
	b.setUpstream(d)
	waitScreen(t, tm, "✗ unreachable")
	finalModel(t, tm)
}
