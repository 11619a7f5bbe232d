package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"hooklab/server/hub"
)

// TestFeedSaysOutcomesInWords: rows lead with the outcome word, so every
// size shows it however narrow the text column; the header still fits.
func TestFeedSaysOutcomesInWords(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := screen(t, sz.w, sz.h, true, press("g"))
			var seen strings.Builder
			for range len(m.feed.rows) { // walk the feed: a small screen shows a few rows at a time
				content := m.View().Content
				checkInvariants(t, content, sz.w, sz.h)
				seen.WriteString(ansi.Strip(content))
				m.Update(press("j"))
			}
			for _, want := range []string{"allowed create http", "allowed send http", "pending http", "delivered http",
				"refused send http", "refused http"} {
				if !strings.Contains(seen.String(), want) {
					t.Errorf("feed never showed %q", want)
				}
			}
			header := strings.SplitN(ansi.Strip(m.View().Content), "\n", 2)[0]
			if !strings.HasPrefix(header, "hooklab ") || !strings.Contains(header, "✓1 ✗0 ⊘1") {
				t.Errorf("header lost its parts: %q", header)
			}
		})
	}
}

// TestRowTexts pins the wording of decision and delivery rows.
func TestRowTexts(t *testing.T) {
	f := newFeed(0)
	f.add(fixtureEvents(), true)
	want := map[uint64]string{
		2:  "allowed create http://127.0.0.1:9000/hook?token=abc",
		6:  "pending http://127.0.0.1:9000/hook?token=abc",
		8:  "delivered http://127.0.0.1:9000/hook?token=abc",
		10: "refused send http://10.0.0.5/hook (domain: Webhook domain not allowed)",
		11: "refused http://10.0.0.5/hook (Webhook domain not allowed)",
	}
	for _, r := range f.rows {
		if w, ok := want[r.seq()]; ok && r.text != w {
			t.Errorf("row %d: %q, want %q", r.seq(), r.text, w)
		}
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

// TestCutMiddle: a URL too long for its column loses its middle: the
// host when the path and query fit, else the path before its last
// segment; when the last segment and the query do not fit, the query's
// end (a token, a signature) goes.
func TestCutMiddle(t *testing.T) {
	u := "http://127.0.0.1:54321/receivers/alpha/webhooks/langgraph?tenant=acme&lane=1"
	for _, c := range []struct {
		w    int
		want string
	}{
		{100, u},
		{62, "http://…/receivers/alpha/webhooks/langgraph?tenant=acme&lane=1"},
		{56, "h…/receivers/alpha/webhooks/langgraph?tenant=acme&lane=1"},
		{50, "http://127.0.0.1:543…/langgraph?tenant=acme&lane=1"},
		{40, "http://127…/langgraph?tenant=acme&lane=1"},
		{20, "…/langgraph?tenant=…"},
		{12, "…/langgraph…"},
		{11, "…/langgraph"},
		{8, "…nggraph"},
		{1, "h"},
	} {
		got := cutMiddle(u, c.w)
		if got != c.want || ansi.StringWidth(got) > c.w {
			t.Errorf("cutMiddle(%d) = %q, want %q", c.w, got, c.want)
		}
	}
	if got := cutMiddle("/hooklab/sink/default?x=1", 12); got != "…ault?x=1" && got != "…default?x=1" {
		t.Errorf("a relative URL keeps its end: %q", got)
	}
	if got := cutMiddle("http://h/a\nb\x1b[2J", 40); got != "http://h/a↵b␛[2J" {
		t.Errorf("controls are shown, not sent: %q", got)
	}
}
