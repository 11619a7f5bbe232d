package ui

import (
	"slices"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"hooklab/server/hub"
)

// TestWrapIndentKeepsWords: at every width, words that fit a line come out
// whole, every piece fits, and continuation lines are indented.
func TestWrapIndentKeepsWords(t *testing.T) {
	st := newStyles(true)
	lines := []string{
		"#1 12:00:10.000 pending  dial 0.4ms · tls - · ttfb 11ms · total 0.1ms",
		st.Detail.Key.Render("reason ") + st.Detail.Value.Render("Webhook delivery failed after 3 attempts: connection refused"),
		st.Detail.Err.Render("pending") + " " + st.Detail.Warn.Render("next retry in 1.9s, then the delivery is marked failed"),
	}
	for _, s := range lines {
		words := strings.Fields(ansi.Strip(s))
		for w := 16; w <= 70; w++ {
			out := wrapIndent(s, w)
			var got []string
			for i, l := range out {
				if n := ansi.StringWidth(l); n > w {
					t.Fatalf("w=%d: piece %q is %d wide", w, ansi.Strip(l), n)
				}
				if i > 0 && !strings.HasPrefix(ansi.Strip(l), "  ") {
					t.Fatalf("w=%d: continuation %q not indented", w, ansi.Strip(l))
				}
				got = append(got, strings.Fields(ansi.Strip(l))...)
			}
			if !slices.Equal(got, words) {
				t.Fatalf("w=%d split words:\n%q\nwant %q", w, got, words)
			}
		}
	}
}

// TestWrapIndentLongToken: a token wider than the line is the one thing cut,
// and JSON continuation lines are indented past the JSON's own indent.
func TestWrapIndentLongToken(t *testing.T) {
	s := `    "token": "` + strings.Repeat("x", 80) + `"`
	out := wrapIndent(s, 30)
	if len(out) < 3 {
		t.Fatalf("got %q", out)
	}
	for _, l := range out[1:] {
		if !strings.HasPrefix(l, strings.Repeat(" ", 6)) || ansi.StringWidth(l) > 30 {
			t.Fatalf("continuation %q", l)
		}
	}
	if j := strings.Join(out, ""); strings.Count(j, "x") != 80 {
		t.Fatal("characters lost")
	}
}

// TestWrapKeepsStyles: each piece carries the style of its text, so a
// wrapped line next to the list in the wide layout keeps its colour.
func TestWrapKeepsStyles(t *testing.T) {
	red := lipgloss.NewStyle().Foreground(lipgloss.Color("#ff0000"))
	for _, l := range wrapIndent(red.Render("one two three four five six seven"), 12) {
		if !strings.Contains(l, "\x1b[") {
			t.Fatalf("piece %q lost its style", l)
		}
	}
}

// TestDetailWrapsAtWords: the detail pane, in the wide layout where it is
// narrow, never splits a status word or a timing pair.
func TestDetailWrapsAtWords(t *testing.T) {
	m := screen(t, 120, 40, true)
	m.Update(eventsMsg{events: []hub.Event{
		ev(20, hub.KindAttempt, hub.AttemptInfo{DeliveryID: "dlv-9", Attempt: 1, Method: "POST",
			URL: "http://127.0.0.1:9000/a/rather/long/path/for/a/webhook?token=abcdef&other=value", Status: 0,
			Error:  "dial tcp 127.0.0.1:9000: connect: connection refused while the receiver was pending restart",
			Timing: hub.Timing{DialMS: 0.1, TotalMS: 0.1}, StartedAt: fixedNow}),
		ev(21, hub.KindDelivery, hub.DeliveryInfo{ID: "dlv-9", URL: "http://127.0.0.1:9000/a/rather/long/path/for/a/webhook?token=abcdef&other=value",
			Outcome: "failed", Reason: "Webhook delivery failed after the last attempt: the receiver was still pending a restart"}),
	}})
	w := m.lay.detail.w
	var text strings.Builder
	for _, l := range m.detail.lines {
		p := ansi.Strip(l)
		if ansi.StringWidth(p) > w {
			t.Fatalf("detail line wider than %d: %q", w, p)
		}
		text.WriteString(p + "\n")
	}
	d := text.String()
	for _, want := range []string{"total 0.1ms", "pending", "failed", "restart"} {
		if !strings.Contains(d, want) {
			t.Errorf("detail split %q:\n%s", want, d)
		}
	}
}

// startupNotice is the notice hooklab publishes at start-up, as the
// reviewer saw it.
const startupNotice = "hooklab dev listening on http://127.0.0.1:2024 (config: embedded default, store: /path/h.db)"

// TestWrapNoBlankLineInString: lipgloss.Wrap keeps the space it breaks at
// ("store: " before the "/" breakpoint), one cell past the limit, and
// fitPieces cut that space off as a piece of its own: a blank line in the
// middle of a JSON string. No piece may be blank or wider than the line.
func TestWrapNoBlankLineInString(t *testing.T) {
	st := newStyles(true)
	lines, _ := highlightJSON(st, []byte(`{"level":"info","text":"`+startupNotice+`"}`))
	var text string
	for _, l := range lines {
		if strings.Contains(l, "listening") {
			text = l
		}
	}
	if text == "" {
		t.Fatalf("no text line in %q", lines)
	}
	for w := 10; w <= 100; w++ {
		out := wrapIndent(text, w)
		for i, l := range out {
			if strings.TrimSpace(ansi.Strip(l)) == "" {
				t.Fatalf("w=%d: piece %d is blank:\n%q", w, i, out)
			}
			if n := ansi.StringWidth(l); n > w {
				t.Fatalf("w=%d: piece %q is %d wide", w, ansi.Strip(l), n)
			}
		}
	}
	// The reviewer's case: the wide layout's 53-cell detail pane, where the
	// continuation is wrapped at 49.
	m := screen(t, 120, 40, true)
	m.Update(eventsMsg{events: []hub.Event{ev(30, hub.KindNotice, hub.NoticeInfo{Level: "info", Text: startupNotice})}})
	if m.lay.detail.w != 53 {
		t.Fatalf("detail is %d wide; the case needs 53", m.lay.detail.w)
	}
	var in bool
	for _, l := range m.detail.lines {
		p := ansi.Strip(l)
		if strings.Contains(p, `"text"`) {
			in = true
		}
		if in && strings.TrimSpace(p) == "" {
			t.Fatalf("blank line inside the JSON string:\n%s", strings.Join(m.detail.lines, "\n"))
		}
		if in && strings.Contains(p, `h.db)"`) {
			return
		}
	}
	t.Fatalf("the notice text is not in the detail:\n%s", strings.Join(m.detail.lines, "\n"))
}
