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

	"hooklab/server/hub"
	"hooklab/server/store"
)

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

// TestDetailScrollStartsAtTopForAnotherEvent: scrolling one request's
// detail and selecting another request used to show the new one scrolled
// to the same offset (only a change of delivery reset it).
func TestDetailScrollStartsAtTopForAnotherEvent(t *testing.T) {
	long := bigJSON(4 << 10)
	m := New(newTestBackend(t), WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(eventsMsg{events: []hub.Event{
		ev(1, hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/one", Status: 200, Body: long}),
		ev(2, hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/two", Status: 200, Body: long}),
	}})
	m.Update(press("tab"))
	m.Update(keyOf("end")) // the bottom of the detail (G goes to the newest row)
	if m.detail.off == 0 {
		t.Fatal("detail did not scroll")
	}
	m.Update(press("tab"))
	m.Update(press("k"))
	if m.detail.off != 0 {
		t.Fatalf("another event's detail opens scrolled to line %d", m.detail.off)
	}
	if !strings.Contains(m.View().Content, "request #1") {
		t.Fatalf("title of the new event not in view:\n%s", ansi.Strip(m.View().Content))
	}
}

// TestNonObjectJSONBodiesArePretty: strings, arrays, null and numbers are
// JSON too and are pretty-printed as such.
func TestNonObjectJSONBodiesArePretty(t *testing.T) {
	st := newStyles(true)
	for raw, want := range map[string][]string{
		`"just a string"`: {`"just a string"`},
		`[1,"三",null]`:    {"[", "  1,", `  "三",`, "  null", "]"},
		`null`:            {"null"},
		` 42 `:            {"42"},
	} {
		lines, more := highlightJSON(st, []byte(raw))
		for i := range lines {
			lines[i] = ansi.Strip(lines[i])
		}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") || more != 0 {
			t.Errorf("%s: got %q (+%d), want %q", raw, lines, more, want)
		}
	}
}

// bigJSON is a JSON object of about n bytes, pretty-printing to many lines.
func bigJSON(n int) json.RawMessage {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item %d","tags":["a","b"],"ok":true,"v":null}`, i, i)
	}
	b.WriteString(`]}`)
	return json.RawMessage(b.String())
}

// TestHugeBodyDetailIsBounded: a 1 MB body (150k lines pretty-printed, or
// one 1 MB line) used to be styled and wrapped whole on every re-render
// (each resize, each retry-countdown tick: half a second each). The pane
// now shows the head and says how much is left out.
func TestHugeBodyDetailIsBounded(t *testing.T) {
	bodies := map[string]json.RawMessage{
		"ManyLines": bigJSON(1 << 20),
		"OneLine":   json.RawMessage(`{"data":"` + strings.Repeat("x", 1<<20) + `"}`),
		"NotJSON":   nil, // a receiver's 1 MB plain-text response
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			m := New(newTestBackend(t), WithNow(fixedClock))
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
			e := ev(1, hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/big", Status: 200, Body: body})
			if body == nil {
				e = ev(1, hub.KindAttempt, hub.AttemptInfo{DeliveryID: "dlv-big", Attempt: 1, Method: "POST", URL: "http://127.0.0.1:9/hook",
					Status: 200, ResponseBody: strings.Repeat("plain\ttext line\r\n", 70_000), StartedAt: fixedNow})
			}
			m.Update(eventsMsg{events: []hub.Event{e}})
			if n := len(m.detail.lines); n > 2*maxBodyLines {
				t.Fatalf("detail holds %d lines for a 1 MB body", n)
			}
			if name != "OneLine" && !strings.Contains(ansi.Strip(strings.Join(m.detail.lines, "\n")), "more lines not shown") {
				t.Fatal("the cut is not said")
			}
			m.Update(press("tab"))
			m.Update(keyOf("end"))
			checkFrame(t, m, "bottom of a huge body")
			m.Update(tea.WindowSizeMsg{Width: 60, Height: 15})
			checkFrame(t, m, "huge body, resized")
		})
	}
}

// BenchmarkDetailHugeBody re-renders the detail of a 1 MB body, as a resize
// or a countdown tick does.
func BenchmarkDetailHugeBody(b *testing.B) {
	m := New(newTestBackend(b), WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(eventsMsg{events: []hub.Event{ev(1, hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/big", Status: 200, Body: bigJSON(1 << 20)})}})
	w := 100
	for b.Loop() {
		w = 220 - w // alternate sizes so every resize re-renders
		m.Update(tea.WindowSizeMsg{Width: w, Height: 40})
	}
}

// TestDetailFetchesOldRows: once a row is older than the payloads the
// feed holds, opening it shows "loading…" and a Cmd reads it back from the
// real store (the event through History, a delivery through Delivery);
// the answer fills the detail.
func TestDetailFetchesOldRows(t *testing.T) {
	b := newTestBackend(t)
	srv, _ := receiver(t, 200)
	id := sendRun(t, b, srv.URL+"/hook")
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, err := b.st.Delivery(ctx, id)
		if err == nil && d.Outcome == "delivered" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s not delivered in time (%+v, %v)", id, d, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.st.Append(hub.KindRequest, hub.RequestInfo{Method: "GET", Path: "/old-request", Status: 200,
		Body: json.RawMessage(`{"marker":"fetched-from-store"}`)})
	for i := range 3000 {
		b.st.Append(hub.KindRequest, hub.RequestInfo{Method: "GET", Path: fmt.Sprint("/r/", i), Status: 200})
	}
	if err := b.st.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, err := b.st.Events(ctx, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(historyMsg{events: evs})
	m.Update(press("v")) // the raw events: an attempt has a row of its own
	if len(m.feed.recent) > recentPayloads+recentPayloads/4 {
		t.Fatalf("%d payloads held", len(m.feed.recent))
	}
	open := func(text string) []tea.Msg {
		t.Helper()
		m.Update(press("/"))
		m.Update(press("esc")) // clears the previous search
		var cmds []tea.Cmd
		for _, k := range append(append([]tea.Msg{press("/")}, typeText(text)...), press("enter")) {
			_, cmd := m.Update(k)
			cmds = append(cmds, cmd)
		}
		r := m.list.selected()
		if r == nil || !strings.Contains(r.text, text) {
			t.Fatalf("search %q selected %+v", text, r)
		}
		if _, held := m.feed.payload(r.key); held {
			t.Fatalf("row %q still has its payload in memory", r.text)
		}
		if s := ansi.Strip(m.View().Content); !strings.Contains(s, "loading…") {
			t.Fatalf("no loading… while the fetch runs:\n%s", s)
		}
		return runCmd(tea.Batch(cmds...))
	}
	for _, msg := range open("/old-request") {
		m.Update(msg)
	}
	if s := ansi.Strip(m.View().Content); !strings.Contains(s, "fetched-from-store") || strings.Contains(s, "loading…") {
		t.Fatalf("the old request's body did not load:\n%s", s)
	}
	for _, msg := range open("#1 POST") {
		m.Update(msg)
	}
	if s := ansi.Strip(m.View().Content); !strings.Contains(s, "Attempts (1)") || !strings.Contains(s, `"run_id": "run-flow"`) ||
		strings.Contains(s, "loading…") {
		t.Fatalf("the old delivery did not load:\n%s", s)
	}
}

// TestDetailFollowsAStreamAtItsPace: while live events stream in a batch
// a frame, the detail (which reads the delivery back and lays out its
// document) is refreshed about every detailEvery, not every frame; the
// refresh put off is scheduled, and shows the newest run when it comes.
func TestDetailFollowsAStreamAtItsPace(t *testing.T) {
	b := newTestBackend(t)
	now := fixedNow
	m := New(b, WithNow(fixedClock), withWall(func() time.Time { return now }))
	m.sub = b.hub.Subscribe(m.ctx, 0) // live: the batches come from the subscription
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	renders, scheduled, last := 0, 0, m.detail.key
	start := now
	for i := range 60 { // a second of frames, a run each
		batchAt := start.Add(time.Duration(i) * frame)
		if due := m.detailAt.Add(detailEvery); m.detailDue && due.Before(batchAt) {
			now = due
			m.Update(detailDueMsg{}) // the tick the put-off refresh scheduled
			if m.detail.key != last {
				renders, last = renders+1, m.detail.key
			}
		}
		now = batchAt
		m.Update(eventsMsg{events: loadRun(uint64(i*9+1), i)})
		if m.detailDue {
			scheduled++
		}
		if m.detail.key != last {
			renders, last = renders+1, m.detail.key
		}
	}
	if renders < 9 || renders > 11 {
		t.Fatalf("the detail was refreshed %d times in a second of frames, want about %d", renders, time.Second/detailEvery)
	}
	if scheduled == 0 {
		t.Fatal("no refresh was scheduled for the batches put off")
	}
	now = now.Add(detailEvery)
	m.Update(detailDueMsg{})
	if s := ansi.Strip(m.View().Content); !strings.Contains(s, "Run run-0000003b") {
		t.Fatalf("the newest run is not in the detail:\n%s", s)
	}
}
