package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"hooklab/config"
	"hooklab/server/hub"
)

// hostileEvents carry text from the outside that tries to break the frame:
// decoded newlines, escapes and tabs in paths, a CRLF response body with
// colours, wide characters, JSON bodies that are not objects, an unknown
// kind whose name has a newline, and an unstored notice.
func hostileEvents() []hub.Event {
	return []hub.Event{
		ev(1, hub.KindRequest, hub.RequestInfo{Method: "GET", Path: "/a\nb\x1b[2J\tc\r", Status: 200, Body: json.RawMessage(`"just a string"`)}),
		ev(2, hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/数据/😀/" + strings.Repeat("长", 300), Status: 200, Body: json.RawMessage(`[1,"三",{"a":null}]`)}),
		ev(3, hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/null", Status: 200, Body: json.RawMessage(`null`)}),
		ev(4, hub.Kind("mystery\nkind"), map[string]any{"x": "line1\nline2\x1b]0;pwned\x07"}),
		ev(5, hub.KindAttempt, hub.AttemptInfo{DeliveryID: "d1", Attempt: 1, Method: "POST", URL: "http://" + strings.Repeat("h", 3000) + "/x",
			RequestHeaders: []hub.HeaderKV{{Name: "X-Long", Value: strings.Repeat("v", 5000)}, {Name: "X-Ctl", Value: "a\x1b[2Jb"}},
			RequestBody:    json.RawMessage(`{"a":"b"}`), Status: 200, StartedAt: fixedNow,
			ResponseBody: "<html>\r\n\x1b[31mred\x1b[0m\x1b]0;title\x07\r\n\ttab\u009b2J</html>"}),
		ev(0, hub.KindNotice, hub.NoticeInfo{Level: "error", Text: "store: disk\nfull \x1b[5m"}),
		ev(6, hub.KindSink, hub.SinkInfo{Name: "s", Method: "POST", Path: "/hooklab/sink/s", Status: 200, Body: json.RawMessage(`"\u001b[2Jhi"`)}),
		ev(7, hub.KindDecision, hub.DecisionInfo{Stage: "create", Decision: config.Decision{URL: "http://例子.测试/钩子", Message: "bad\nhost", Rule: "domain"}}),
	}
}

// TestHostileTextStaysOnItsLine: each event is one feed row, the header
// keeps both its lines, and no control from a payload reaches the terminal,
// at every size and on every row's detail.
func TestHostileTextStaysOnItsLine(t *testing.T) {
	evs := hostileEvents()
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}, {60, 15}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := New(newTestBackend(t), WithNow(fixedClock))
			m.Update(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
			m.Update(eventsMsg{events: evs})
			m.Update(press("v")) // the raw events: one row per event
			for i := range evs {
				lines := strings.Split(ansi.Strip(checkFrame(t, m, fmt.Sprint("row ", i))), "\n")
				if !strings.HasPrefix(lines[1], "events  kind:") {
					t.Fatalf("row %d: header lost its filter line:\n%s", i, strings.Join(lines, "\n"))
				}
				got := 0
				for _, l := range lines[2 : 2+m.lay.list.h] {
					if strings.HasPrefix(strings.TrimLeft(l, "›"), "12:00:") {
						got++
					}
				}
				if got != min(len(evs), m.lay.list.h) {
					t.Fatalf("row %d: %d feed rows, want %d (a row split):\n%s", i, got, min(len(evs), m.lay.list.h), strings.Join(lines, "\n"))
				}
				m.Update(press("tab"))
				for range 40 {
					m.Update(press("j"))
					checkFrame(t, m, fmt.Sprint("detail of row ", i))
				}
				m.Update(press("tab"))
				m.Update(press("k"))
			}
		})
	}
}

// TestFitShowsForeignControls: whatever slips through, the last guard
// before the terminal shows controls instead of sending them.
func TestFitShowsForeignControls(t *testing.T) {
	for _, l := range fit("a\x1b]0;title\x07b\tc\rd\x1b[31mred\x1b[m", 40, 1) {
		if f := foreignControl(l); f != "" || !strings.Contains(l, "\x1b[31m") {
			t.Fatalf("fit left %q (or dropped our style) in %q", f, l)
		}
	}
}
