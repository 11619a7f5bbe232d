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

// foreignControl returns the first control sequence in s that is not one of
// our SGR styles (or "" when there is none): a raw escape, tab, carriage
// return or other C0/C1 control reaching the terminal garbles the frame
// without any width count noticing.
func foreignControl(s string) string {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0x1b:
			if n := sgrLen(s[i:]); n > 0 {
				i += n - 1
				continue
			}
			return s[i:min(len(s), i+8)]
		case c < 0x20 && c != '\n', c == 0x7f:
			return s[i:min(len(s), i+8)]
		case c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f:
			return s[i : i+2]
		}
	}
	return ""
}

// checkFrame asserts the invariants on the model's current frame: exactly
// h lines, none wider than w, and nothing but our styles as controls.
func checkFrame(t *testing.T, m *Model, label string) string {
	t.Helper()
	c := m.View().Content
	if m.w == 0 {
		return c
	}
	checkInvariants(t, c, m.w, m.h)
	if f := foreignControl(c); f != "" {
		t.Errorf("%s: foreign control %q reaches the terminal", label, f)
	}
	return c
}

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
			for i := range evs {
				lines := strings.Split(ansi.Strip(checkFrame(t, m, fmt.Sprint("row ", i))), "\n")
				if !strings.HasPrefix(lines[1], "kind:") {
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
			m.Update(press("G"))
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

// TestResizeEverywhere resizes through the minimum, just below it, 1x1 and
// 300x100 and back, in every focus and with every dialog open, over wide
// characters; every frame keeps the invariants and the dialog survives.
func TestResizeEverywhere(t *testing.T) {
	states := map[string][]tea.Msg{
		"List": nil, "Detail": {press("k"), press("tab"), press("j")}, "Help": {press("?")}, "Search": {press("/"), press("数")},
		"Config": {press("c"), press("j"), press("enter")}, "URLTester": append([]tea.Msg{press("u")}, typeText("http://例子.测试/"+strings.Repeat("长", 80))...),
		"ReplayTo": {press("k"), press("k"), press("t")}, "Crons": {press("o")},
		"Diff": {replayDoneMsg{orig: storeDelivery("dlv-a", `{"a":"数据"}`), d: storeDelivery("dlv-b", `{"a":"😀"}`)}},
	}
	sizes := [][2]int{{60, 15}, {59, 14}, {1, 1}, {300, 100}, {80, 24}, {60, 15}, {120, 40}, {59, 15}, {60, 14}, {110, 24}, {109, 24}}
	for name, keys := range states {
		t.Run(name, func(t *testing.T) {
			m := New(newTestBackend(t), WithNow(fixedClock))
			m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			m.Update(eventsMsg{events: append(fixtureEvents(), hostileEvents()...)[:15]})
			m.Update(eventsMsg{events: hostileEvents()[5:]})
			for _, k := range keys {
				m.Update(k)
			}
			dlg := m.Dialog()
			for _, s := range sizes {
				m.Update(tea.WindowSizeMsg{Width: s[0], Height: s[1]})
				checkFrame(t, m, fmt.Sprintf("%dx%d", s[0], s[1]))
			}
			if m.Dialog() != dlg {
				t.Fatalf("dialog %q became %q across resizes", dlg, m.Dialog())
			}
		})
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
	m.Update(press("G"))
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

// TestOverlayKeepsColumnsOverWideCharacters: a dialog edge falling in the
// middle of a CJK character used to keep that character on the right of
// the box, pushing the rest of the line one cell right.
func TestOverlayKeepsColumnsOverWideCharacters(t *testing.T) {
	base := []string{strings.Repeat("数", 10), strings.Repeat("😀", 10)}
	for _, box := range []string{"ab\nab", "abc\nabc"} {
		for i, l := range overlay(base, box, 20) {
			if w := ansi.StringWidth(l); w != 20 {
				t.Errorf("box %q line %d is %d cells, want 20: %q", box, i, w, l)
			}
		}
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
