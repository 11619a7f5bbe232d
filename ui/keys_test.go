package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// TestEveryKeyInEveryState presses every key the help names, fourteen times
// (past every edge), in every focus and dialog, at three sizes: no panic,
// every frame keeps the invariants, q in a text field types q, and ctrl+c
// quits from anywhere.
func TestEveryKeyInEveryState(t *testing.T) {
	keys := []string{"?", "q", "tab", "c", "u", "o", "k", "j", "pgup", "pgdown", "g", "G", "enter", "/", "f", "F", "r", "e", "t",
		"esc", "space", "a", "w", "n", "x", "s", "backspace", "ctrl+u", "ctrl+d", "home", "end", "up", "down", "v", "d", "p", "y"}
	states := map[string]struct {
		pre   []string
		field bool // a text field has the keyboard: q must type
	}{
		"List": {}, "Detail": {pre: []string{"k", "k", "k", "tab"}}, "Help": {pre: []string{"?"}},
		"Search": {pre: []string{"/"}, field: true}, "Config": {pre: []string{"c"}}, "ConfigField": {pre: []string{"c", "j", "enter"}, field: true},
		"URLTester": {pre: []string{"u"}, field: true}, "ReplayTo": {pre: []string{"k", "k", "k", "k", "k", "t"}, field: true},
		"Crons": {pre: []string{"o"}}, "FilteredEmpty": {pre: []string{"/", "z", "z", "z", "enter"}},
		"Raw": {pre: []string{"v"}}, "RawDetail": {pre: []string{"v", "k", "k", "k", "tab"}},
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

// TestFlowEverydayKeys at 80x24: a click selects a row, tab gives the
// detail the keyboard (and the rule between the panes says so), G brings
// it back to the newest row wherever it was, and ? lists the keys of the
// list.
func TestFlowEverydayKeys(t *testing.T) {
	b := newTestBackend(t)
	srv, _ := receiver(t, 200)
	tm := teatest.NewTestModel(t, New(b), teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	t.Cleanup(func() { _ = tm.Quit() })
	for i := range 3 {
		waitDelivered(t, b, sendRunAs(t, b, fmt.Sprintf("run-%d", i), fmt.Sprintf("%s/r%d", srv.URL, i)))
	}
	waitScreen(t, tm, "/r2")
	tm.Send(tea.MouseClickMsg{X: 5, Y: 2, Button: tea.MouseLeft}) // the first row
	tm.Send(press("tab"))
	waitScreen(t, tm, "▼ detail")
	tm.Send(press("G"))
	tm.Send(press("?"))
	waitScreen(t, tm, "raw events", "? or esc closes the help")
	m := finalModel(t, tm)
	if m.focus != focusList || !m.runs.follow || m.runs.selected().run != "run-2" || !m.showHelp {
		t.Fatalf("focus %v, follow %v, selected %+v, help %v", m.focus, m.runs.follow, m.runs.selected(), m.showHelp)
	}
}

// TestClickSelectsARow: a click on a list row selects it, whatever the
// row height; a click on the detail gives it the keyboard.
func TestClickSelectsARow(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		m := runListScreen(t, sz.w, sz.h)
		rowH := m.runs.rowH
		m.Update(tea.MouseClickMsg{X: 3, Y: m.lay.list.y + 2*rowH + rowH - 1, Button: tea.MouseLeft}) // the third row's last line
		if m.runs.sel != 2 || m.runs.follow || m.focus != focusList {
			t.Fatalf("%dx%d: selected %d follow %v", sz.w, sz.h, m.runs.sel, m.runs.follow)
		}
		m.Update(tea.MouseClickMsg{X: m.lay.detail.x + 2, Y: m.lay.detail.y + 1, Button: tea.MouseLeft})
		if m.focus != focusDetail || m.runs.sel != 2 {
			t.Fatalf("%dx%d: a click on the detail: focus %v, selected %d", sz.w, sz.h, m.focus, m.runs.sel)
		}
		m.Update(tea.MouseClickMsg{X: 3, Y: m.lay.list.y + m.lay.list.h - 1, Button: tea.MouseLeft}) // below the last row: nothing
		if m.runs.sel != 2 {
			t.Fatalf("%dx%d: a click below the rows moved the selection to %d", sz.w, sz.h, m.runs.sel)
		}
	}
}

// TestGAlwaysGoesToTheNewest: G selects the newest row and follows, from
// the list, from the detail (which it leaves), and in the raw events.
func TestGAlwaysGoesToTheNewest(t *testing.T) {
	for _, pre := range [][]string{{"g"}, {"g", "enter", "j", "j"}, {"v", "g"}, {"v", "g", "tab"}} {
		var keys []tea.Msg
		for _, k := range pre {
			keys = append(keys, press(k))
		}
		m := runListScreen(t, 120, 40, keys...)
		m.Update(press("G"))
		if c := m.cur(); m.focus != focusList || !c.follow || !c.atEnd() || len(c.idx) == 0 {
			t.Errorf("after %v then G: focus %v follow %v at end %v", pre, m.focus, c.follow, c.atEnd())
		}
	}
}

// TestFocusIsMarked: the rule between the panes names the one with the
// keyboard (stacked), or its top points at it (side by side).
func TestFocusIsMarked(t *testing.T) {
	for _, c := range []struct {
		w, h       int
		list, det  string
		line, cell int
	}{{80, 24, "── ▲ list ──", "── ▼ detail ──", -1, 0}, {120, 40, "◀", "▶", 2, 66}} {
		m := runListScreen(t, c.w, c.h)
		for _, f := range []string{c.list, c.det} {
			lines := strings.Split(ansi.Strip(m.View().Content), "\n")
			found := false
			for i, l := range lines {
				if c.line < 0 && strings.HasPrefix(l, f) || i == c.line && strings.HasPrefix(ansi.TruncateLeft(l, c.cell, ""), f) {
					found = true
				}
			}
			if !found {
				t.Errorf("%dx%d: no %q on screen:\n%s", c.w, c.h, f, strings.Join(lines, "\n"))
			}
			m.Update(press("tab"))
		}
	}
}

// TestHelpListsOnlyKeysThatWorkHere: ? lists the keys of the list, or of
// the detail, never the dialogs' (each dialog lists its own).
func TestHelpListsOnlyKeysThatWorkHere(t *testing.T) {
	keys := func(m *Model) string {
		var b strings.Builder
		for _, g := range m.FullHelp() {
			for _, k := range g {
				b.WriteString(ansi.Strip(k.Help().Key+" "+k.Help().Desc) + "\n")
			}
		}
		return b.String()
	}
	list := keys(runListScreen(t, 120, 40))
	detail := keys(runListScreen(t, 120, 40, press("tab")))
	for _, dialogOnly := range []string{"a apply live", "w apply+save", "n new header", "x remove", "s split/unified"} {
		if strings.Contains(list, dialogOnly) || strings.Contains(detail, dialogOnly) {
			t.Errorf("the help lists %q, a dialog's key", dialogOnly)
		}
	}
	for _, want := range []string{"enter detail", "/ search", "f filter kind", "v raw events", "G newest+follow"} {
		if !strings.Contains(list, want) {
			t.Errorf("the list's help lacks %q", want)
		}
	}
	for _, want := range []string{"end bottom", "esc back to list", "G newest+follow"} {
		if !strings.Contains(detail, want) {
			t.Errorf("the detail's help lacks %q", want)
		}
	}
	for _, listOnly := range []string{"enter detail", "/ search", "f filter kind"} {
		if strings.Contains(detail, listOnly) {
			t.Errorf("the detail's help lists %q, which does nothing there", listOnly)
		}
	}
}

// TestFooterKeepsHelp: however many keys the footer offers and however
// narrow the terminal, "? help" stays in it; other keys are cut first.
func TestFooterKeepsHelp(t *testing.T) {
	for _, w := range []int{60, 80, 100} {
		for _, pre := range [][]tea.Msg{nil, {press("g")}, {press("g"), press("tab")}, {press("v"), press("k"), press("k"), press("k"), press("k"), press("k")}} {
			m := runListScreen(t, w, 24, pre...)
			lines := strings.Split(ansi.Strip(checkFrame(t, m, "footer")), "\n")
			if foot := lines[len(lines)-1]; !strings.Contains(foot, "? help") {
				t.Errorf("%d wide after %d keys: footer %q", w, len(pre), foot)
			}
		}
	}
}
