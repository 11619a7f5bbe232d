package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

func TestWaitForEventsBatches(t *testing.T) {
	h := hub.New()
	defer h.Close()
	sub := h.Subscribe(context.Background(), 0)
	m := &Model{sub: sub}
	const n = 300
	for i := 1; i <= n; i++ {
		h.Publish(hub.Event{Seq: uint64(i), Kind: hub.KindNotice, Payload: json.RawMessage(`{}`)})
	}
	msg := m.waitForEvents()()
	em, ok := msg.(eventsMsg)
	if !ok {
		t.Fatalf("got %T, want eventsMsg", msg)
	}
	if len(em.events) != n || em.events[0].Seq != 1 || em.events[n-1].Seq != n {
		t.Fatalf("one drain gave %d events (first %d), want %d", len(em.events), em.events[0].Seq, n)
	}
	if em.lagged {
		t.Fatal("lagged without drops")
	}
	sub.Close()
	if msg := m.waitForEvents()(); msg != (feedClosedMsg{}) {
		t.Fatalf("after Close got %T, want feedClosedMsg", msg)
	}
}

func TestWaitForEventsCapsBatchAndReportsLag(t *testing.T) {
	h := hub.New()
	defer h.Close()
	sub := h.Subscribe(context.Background(), 3000)
	m := &Model{sub: sub}
	for i := 1; i <= 3100; i++ { // 100 more than the buffer: dropped, lagged
		h.Publish(hub.Event{Seq: uint64(i), Kind: hub.KindNotice, Payload: json.RawMessage(`{}`)})
	}
	em := m.waitForEvents()().(eventsMsg)
	if len(em.events) != maxBatch || !em.lagged {
		t.Fatalf("got %d events lagged=%v, want %d lagged", len(em.events), em.lagged, maxBatch)
	}
}

// TestLagResyncsFromHistory: a lagged batch makes the model re-read the
// store from the last seq it holds and say so.
func TestLagResyncsFromHistory(t *testing.T) {
	b := newTestBackend(t)
	for i := range 5 {
		b.st.Append(hub.KindNotice, hub.NoticeInfo{Level: "info", Text: fmt.Sprint("n", i)})
	}
	if err := b.st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	all, err := b.st.Events(context.Background(), store.Query{})
	if err != nil || len(all) != 5 {
		t.Fatalf("store has %d events (%v)", len(all), err)
	}
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.sub = b.hub.Subscribe(m.ctx, 0)
	_, cmd := m.Update(eventsMsg{events: all[:2], lagged: true})
	msgs := runCmd(cmd)
	var hist *historyMsg
	for _, msg := range msgs {
		if h, ok := msg.(historyMsg); ok {
			hist = &h
		}
	}
	if hist == nil || !hist.resync {
		t.Fatalf("no resync history read among %T", msgs)
	}
	m.Update(*hist)
	if m.Events() != 5 || !strings.Contains(m.Status(), "resynced 3") {
		t.Fatalf("after resync: %d events, status %q", m.Events(), m.Status())
	}
}

// runCmd runs a command and its batch children, skipping ones that block
// (the subscription wait) or tick.
func runCmd(cmd tea.Cmd) []tea.Msg { return runCmdFor(cmd, 200*time.Millisecond) }

// runCmdFor is runCmd waiting up to wait for each command: one that takes
// longer (a tick, a subscription wait) is skipped.
func runCmdFor(cmd tea.Cmd, wait time.Duration) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if b, ok := msg.(tea.BatchMsg); ok {
			var out []tea.Msg
			for _, c := range b {
				out = append(out, runCmdFor(c, wait)...)
			}
			return out
		}
		return []tea.Msg{msg}
	case <-time.After(wait):
		return nil
	}
}

func TestFeedTrimsAndKeepsIndex(t *testing.T) {
	m := New(newTestBackend(t), withMaxEvents(1000))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	for batch := range 10 {
		evs := make([]hub.Event, 500)
		for i := range evs {
			seq := uint64(batch*500 + i + 1)
			evs[i] = ev(seq, hub.KindRequest, hub.RequestInfo{Method: "GET", Path: fmt.Sprint("/r/", seq), Status: 200})
		}
		m.Update(eventsMsg{events: evs})
	}
	if n := m.Events(); n < 1000 || n > 1125 {
		t.Fatalf("holds %d events, want about 1000", n)
	}
	if m.Selected() != 5000 || m.LastSeq() != 5000 {
		t.Fatalf("follow mode lost: selected %d last %d", m.Selected(), m.LastSeq())
	}
	for _, i := range m.list.idx {
		if i < 0 || i >= len(m.feed.rows) {
			t.Fatalf("index %d out of range after trim", i)
		}
	}
	// Late (resync) events merge in order and duplicates are ignored.
	first, dup := m.feed.rows[0].seq(), m.feed.rows[5].seq()
	m.Update(eventsMsg{events: []hub.Event{ev(dup, hub.KindRequest, hub.RequestInfo{Method: "GET", Path: fmt.Sprint("/r/", dup), Status: 200})}})
	if m.feed.rows[0].seq() != first || m.Events() > 1125 {
		t.Fatal("duplicate event was added")
	}
}

func TestReplayFromDocSendsOnlyChanges(t *testing.T) {
	orig := sender.Delivery{ID: "d1", URL: "http://a/x", Body: json.RawMessage(`{"a":1}`),
		Headers: []hub.HeaderKV{{Name: "Content-Type", Value: "application/json"}, {Name: "Authorization", Value: "Bear…"}}}
	doc, err := writeEditDoc(orig)
	if err != nil {
		t.Fatal(err)
	}
	r, err := replayFromDoc(orig, doc)
	if err != nil || r.URL != "" || r.Body != nil || r.Headers != nil {
		t.Fatalf("unchanged document gave %+v, %v", r, err)
	}
	edited := strings.Replace(string(doc), `"a": 1`, `"a": 2`, 1)
	edited = strings.Replace(edited, `"http://a/x"`, `"http://b/y"`, 1)
	edited = strings.Replace(edited, `"Content-Type": "application/json"`, `"Content-Type": "application/json", "X-New": "v"`, 1)
	r, err = replayFromDoc(orig, []byte(edited))
	if err != nil {
		t.Fatal(err)
	}
	if r.URL != "http://b/y" || string(r.Body) != `{"a":2}` || len(r.Headers) != 1 || r.Headers[0].Name != "X-New" {
		t.Fatalf("edited document gave %+v", r)
	}
	if _, err := replayFromDoc(orig, []byte("{nope")); err == nil {
		t.Fatal("invalid JSON accepted")
	}
}

// settle runs cmd, feeds its messages back into m, and does the same with
// the commands those return, until none is left: what the program loop
// would do, for a model without a subscription. A command that takes
// longer than 2 s (a long tick) is skipped.
func settle(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	for range 20 {
		msgs := runCmdFor(cmd, 2*time.Second)
		if len(msgs) == 0 {
			return
		}
		var next []tea.Cmd
		for _, msg := range msgs {
			_, c := m.Update(msg)
			next = append(next, c)
		}
		cmd = tea.Batch(next...)
	}
	t.Fatal("commands still coming after 20 rounds")
}
