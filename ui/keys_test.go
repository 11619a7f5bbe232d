package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// TestEveryKeyInEveryState presses every key the help names, fourteen times
// (past every edge), in every focus and dialog, at three sizes: no panic,
// every frame keeps the invariants, q in a text field types q, and ctrl+c
// quits from anywhere.
func TestEveryKeyInEveryState(t *testing.T) {
	keys := []string{"?", "q", "tab", "c", "u", "o", "k", "j", "pgup", "pgdown", "g", "G", "enter", "/", "f", "F", "r", "e", "t",
		"esc", "space", "a", "w", "n", "x", "s", "backspace", "ctrl+u", "ctrl+d", "home", "end", "up", "down"}
	states := map[string]struct {
		pre   []string
		field bool // a text field has the keyboard: q must type
	}{
		"List": {}, "Detail": {pre: []string{"k", "k", "k", "tab"}}, "Help": {pre: []string{"?"}},
		"Search": {pre: []string{"/"}, field: true}, "Config": {pre: []string{"c"}}, "ConfigField": {pre: []string{"c", "j", "enter"}, field: true},
		"URLTester": {pre: []string{"u"}, field: true}, "ReplayTo": {pre: []string{"k", "k", "k", "k", "k", "t"}, field: true},
		"Crons": {pre: []string{"o"}}, "FilteredEmpty": {pre: []string{"/", "z", "z", "z", "enter"}},
	}
	sizes := [][2]int{{80, 24}, {60, 15}, {110, 24}}
	for name, st := range states {
		t.Run(name, func(t *testing.T) {
			b := newTestBackend(t)
			for _, k := range keys {
				for _, sz := range sizes {
					m := New(b, WithNow(fixedClock))
					m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
					m.Update(eventsMsg{events: fixtureEvents()})
					for _, p := range st.pre {
						m.Update(keyOf(p))
					}
					dlg := m.Dialog()
					for i := range 14 { // 13 feed rows: past both edges
						m.Update(keyOf(k))
						if i%4 == 0 || i == 13 {
							checkFrame(t, m, name+" "+k)
						}
					}
					if k == "q" && st.field {
						if m.ctx.Err() != nil {
							t.Fatalf("q in a text field quit")
						}
						if c := ansi.Strip(m.View().Content); !strings.Contains(c, "qqqq") {
							t.Fatalf("q in a text field did not type:\n%s", c)
						}
					}
					if k == "esc" && dlg != "" && m.Dialog() != "" {
						t.Fatalf("esc left dialog %q open", m.Dialog())
					}
					m.Update(keyOf("ctrl+c"))
					if m.ctx.Err() == nil {
						t.Fatalf("after %q, ctrl+c did not quit", k)
					}
				}
			}
		})
	}
}

// TestPasteGoesToTheField: bracketed paste (on by default in Bubble Tea
// v2) arrives as one tea.PasteMsg, which the dashboard used to drop, so a
// URL could not be pasted into the URL tester, replay-to or a config
// field. A trailing newline is dropped; a paste elsewhere does nothing.
func TestPasteGoesToTheField(t *testing.T) {
	url := "http://169.254.169.254/latest\n"
	cases := map[string]struct {
		pre  []tea.Msg
		want func(m *Model) string
	}{
		"URLTester": {[]tea.Msg{press("u")}, func(m *Model) string { return m.dialog.(*urlTester).in.value }},
		"ReplayTo":  {[]tea.Msg{press("k"), press("k"), press("k"), press("k"), press("k"), press("t")}, func(m *Model) string { return m.dialog.(*replayTo).in.value }},
		"Config":    {[]tea.Msg{press("c"), press("n"), keyOf("ctrl+u")}, func(m *Model) string { return m.dialog.(*configEditor).in.value }},
		"Search":    {[]tea.Msg{press("/")}, func(m *Model) string { return m.list.query }},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m := screen(t, 80, 24, true, c.pre...)
			_, cmd := m.Update(tea.PasteMsg{Content: url})
			if got := c.want(m); got != strings.TrimSpace(url) {
				t.Fatalf("field holds %q after the paste", got)
			}
			checkFrame(t, m, "after paste")
			if name == "URLTester" {
				if cmd == nil || !m.dialog.(*urlTester).busy {
					t.Fatal("a pasted URL is not checked")
				}
			}
		})
	}
	m := screen(t, 80, 24, true)
	sel := m.Selected()
	m.Update(tea.PasteMsg{Content: "qcuo"})
	if m.ctx.Err() != nil || m.Dialog() != "" || m.Selected() != sel {
		t.Fatal("a paste on the feed acted as keys")
	}
}

// TestLineInputWideCharacters: the field shows its end, cursor included,
// measured in cells (CJK and emoji are two).
func TestLineInputWideCharacters(t *testing.T) {
	in := lineInput{value: strings.Repeat("数据😀", 20)}
	v := in.view(true, 21)
	if ansi.StringWidth(v) > 21 || !strings.HasSuffix(v, "█") {
		t.Fatalf("view %q is %d cells", v, ansi.StringWidth(v))
	}
}
