package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"

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
	buffer := maxBatch + 1000
	sub := h.Subscribe(context.Background(), buffer)
	m := &Model{sub: sub}
	for i := 1; i <= buffer+100; i++ { // 100 more than the buffer: dropped, lagged
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

// reqs makes request events from..to whose times start at base.
func reqs(from, to uint64, base time.Time) []hub.Event {
	var evs []hub.Event
	for s := from; s <= to; s++ {
		e := ev(s, hub.KindRequest, hub.RequestInfo{Method: "GET", Path: fmt.Sprint("/r/", s), Status: 200})
		e.Time = base.Add(time.Duration(s) * time.Millisecond * 10)
		evs = append(evs, e)
	}
	return evs
}

func checkSorted(t *testing.T, f *feed) {
	t.Helper()
	for i := 1; i < len(f.rows); i++ {
		if f.rows[i-1].key.cmp(f.rows[i].key) >= 0 {
			t.Fatalf("rows %d and %d out of order: %+v then %+v", i-1, i, f.rows[i-1].key, f.rows[i].key)
		}
	}
}

// TestSeqGoingDownStartsNewEpoch: a remote hooklab restarted on a new
// store resumes from its own (low) sequence numbers. Those events must be
// shown after the old ones, not dropped as duplicates or merged as "late".
func TestSeqGoingDownStartsNewEpoch(t *testing.T) {
	m := New(newTestBackend(t), WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(eventsMsg{events: reqs(1, 50, fixedNow)})
	restart := fixedNow.Add(time.Hour)
	m.Update(eventsMsg{events: reqs(1, 3, restart)})
	if m.Events() != 53 || m.LastSeq() != 3 {
		t.Fatalf("after the restart: %d events, last seq %d; want 53, 3", m.Events(), m.LastSeq())
	}
	if sel := m.list.selected(); sel == nil || !sel.time().Equal(restart.Add(30*time.Millisecond)) {
		t.Fatal("follow mode does not show the new store's newest event")
	}
	m.Update(eventsMsg{events: reqs(3, 4, restart)}) // 3 again (dedupe within the epoch), then 4
	if m.Events() != 54 || m.LastSeq() != 4 {
		t.Fatalf("after 3 again and 4: %d events, last seq %d; want 54, 4", m.Events(), m.LastSeq())
	}
	checkSorted(t, m.feed)
	if len(m.list.idx) != 54 {
		t.Fatalf("list index holds %d rows, want 54", len(m.list.idx))
	}
}

// TestSeqFarBelowStartsNewEpoch: the window holds only the old store's
// newest events, so the new store's low Seq numbers match nothing held;
// being far below the newest is what marks them as a new epoch.
func TestSeqFarBelowStartsNewEpoch(t *testing.T) {
	f := newFeed(0)
	f.add(reqs(100, 150, fixedNow), true)
	f.add(reqs(1, 3, fixedNow.Add(time.Hour)), true)
	if f.epoch != 1 || f.lastSeq != 3 || len(f.rows) != 54 || f.rows[53].seq() != 3 {
		t.Fatalf("epoch %d, last %d, %d rows; want 1, 3, 54 with the new events last", f.epoch, f.lastSeq, len(f.rows))
	}
	checkSorted(t, f)
}

// TestSeqRestartWithinSlack: a store restarted with fewer events than the
// slack is still told apart by what its Seq numbers hold.
func TestSeqRestartWithinSlack(t *testing.T) {
	f := newFeed(0)
	f.add(reqs(1, 5, fixedNow), true)
	f.add(reqs(1, 2, fixedNow.Add(time.Hour)), true)
	if len(f.rows) != 7 || f.epoch != 1 || f.lastSeq != 2 {
		t.Fatalf("%d rows, epoch %d, last %d; want 7, 1, 2", len(f.rows), f.epoch, f.lastSeq)
	}
	checkSorted(t, f)
}

// TestLateEventsMergeInOneEpoch: a reordered live event and the start-up
// backfill behind live events are merged in place, not a new epoch.
func TestLateEventsMergeInOneEpoch(t *testing.T) {
	f := newFeed(0)
	f.add(reqs(5001, 5003, fixedNow), true) // live events beat the backfill
	all := reqs(1, 5003, fixedNow)
	f.add(all[:5000], false)
	f.add(append(reqs(5005, 5005, fixedNow), all[5003-1]), true) // 5005, then 5003 again
	f.add(reqs(5004, 5004, fixedNow), true)                      // reordered by one
	if f.epoch != 0 || len(f.rows) != 5005 || f.lastSeq != 5005 {
		t.Fatalf("epoch %d, %d rows, last %d; want 0, 5005, 5005", f.epoch, len(f.rows), f.lastSeq)
	}
	checkSorted(t, f)
}

// TestUnsequencedEventsAreKept: Seq 0 events (transient notices the hub
// publishes without the store) are never deduplicated and do not disturb
// the order of sequenced events around them.
func TestUnsequencedEventsAreKept(t *testing.T) {
	f := newFeed(0)
	f.add(reqs(1, 3, fixedNow), true)
	n := ev(0, hub.KindNotice, hub.NoticeInfo{Level: "error", Text: "store: disk full"})
	f.add([]hub.Event{n, n}, true)
	f.add(reqs(4, 4, fixedNow), true)
	f.add([]hub.Event{n}, true)
	f.add(reqs(2, 2, fixedNow), true) // a duplicate still found by its Seq
	if len(f.rows) != 7 || f.lastSeq != 4 || f.epoch != 0 {
		t.Fatalf("%d rows, last %d, epoch %d; want 7, 4, 0", len(f.rows), f.lastSeq, f.epoch)
	}
	checkSorted(t, f)
	if f.rows[3].seq() != 0 || f.rows[4].seq() != 0 || f.rows[5].seq() != 4 || f.rows[6].seq() != 0 {
		t.Fatal("notices not kept where they arrived")
	}
}

// TestResyncThatTrimsKeepsSelection: a resync whose late events are merged
// in and push the window past its size (so rows move and are cut in one
// add) must not index the list with stale positions (this panicked in the
// real binary under load), and a selection the user made stays on its
// event.
func TestResyncThatTrimsKeepsSelection(t *testing.T) {
	m := New(newTestBackend(t), WithNow(fixedClock), withMaxEvents(1000))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	all := reqs(1, 1100, fixedNow)
	m.Update(eventsMsg{events: append(append([]hub.Event(nil), all[:500]...), all[599:]...)}) // 501..599 lost
	for range 300 {
		m.Update(press("k")) // leave follow mode: the user is reading row 801
	}
	want := m.Selected()
	m.Update(historyMsg{events: all[500:599], resync: true})
	if m.Events() > 1000+1000/32 || m.Events() < 1000 {
		t.Fatalf("holds %d events after the resync", m.Events())
	}
	checkSorted(t, m.feed)
	if got := m.Selected(); got != want || want == 0 {
		t.Fatalf("selection moved from %d to %d", want, got)
	}
	for _, i := range m.list.idx {
		if i >= len(m.feed.rows) {
			t.Fatalf("index %d out of range", i)
		}
	}
	_ = m.View()

	// In follow mode the stale position was past the trimmed rows: a panic.
	f := New(newTestBackend(t), WithNow(fixedClock), withMaxEvents(1000))
	f.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	f.Update(eventsMsg{events: append(append([]hub.Event(nil), all[:500]...), all[599:]...)})
	f.Update(historyMsg{events: all[500:599], resync: true})
	if f.Selected() != 1100 {
		t.Fatalf("follow mode selects %d, want 1100", f.Selected())
	}
}

// TestWaitForEventsGathersUntilTheFrame: after a batch, the next one is
// not taken before a frame has passed: events that arrive meanwhile join
// it, so a stream of events costs one update and one redraw per frame.
// The first event of a quiet feed is taken at once.
func TestWaitForEventsGathersUntilTheFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := hub.New()
		defer h.Close()
		sub := h.Subscribe(t.Context(), 0)
		publish := func(seq uint64) {
			h.Publish(hub.Event{Seq: seq, Kind: hub.KindNotice, Payload: json.RawMessage(`{}`)})
		}
		m := &Model{sub: sub}
		start := time.Now()
		publish(1)
		if em := m.waitForEvents()().(eventsMsg); len(em.events) != 1 || time.Since(start) != 0 {
			t.Fatalf("a quiet feed's first event: %d events after %v", len(em.events), time.Since(start))
		}
		m.nextBatch = time.Now().Add(frame)
		done := make(chan eventsMsg)
		go func() { done <- m.waitForEvents()().(eventsMsg) }()
		publish(2)
		time.Sleep(frame / 2)
		publish(3)
		em := <-done
		if len(em.events) != 2 || em.events[1].Seq != 3 || time.Since(start) != frame {
			t.Fatalf("got %d events after %v, want 2 after one frame (%v)", len(em.events), time.Since(start), frame)
		}
	})
}
