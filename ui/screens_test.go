package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

func TestDashboard(t *testing.T) {
	for _, sz := range sizes {
		for _, theme := range []string{"Dark", "Light"} {
			t.Run(fmt.Sprintf("%dx%d/%s", sz.w, sz.h, theme), func(t *testing.T) {
				m := screen(t, sz.w, sz.h, theme == "Dark")
				content := m.View().Content
				checkInvariants(t, content, sz.w, sz.h)
				golden.RequireEqual(t, ansi.Strip(content))
			})
		}
	}
}

// TestDashboardColour pins the colours: one un-stripped golden per theme.
func TestDashboardColour(t *testing.T) {
	for _, theme := range []string{"Dark", "Light"} {
		t.Run(theme, func(t *testing.T) {
			m := screen(t, 80, 24, theme == "Dark")
			golden.RequireEqual(t, m.View().Content)
		})
	}
}

// TestScreens covers each dialog and state at every size.
func TestScreens(t *testing.T) {
	cases := map[string][]tea.Msg{
		"DetailRetry":  {press("k"), press("k"), press("k"), press("k"), press("k"), press("k"), press("k"), press("k")}, // attempt #1
		"DetailFocus":  {press("k"), press("k"), press("k"), press("k"), press("k"), press("tab"), press("j")},
		"Config":       {press("c")},
		"URLTester":    append([]tea.Msg{press("u")}, typeText("https://x")...),
		"Help":         {press("?")},
		"FilterSearch": append([]tea.Msg{press("f"), press("f"), press("f"), press("/")}, typeText("#2")...),
		"ReplayTo":     {press("k"), press("k"), press("k"), press("k"), press("k"), press("t")},
	}
	for name, keys := range cases {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", name, sz.w, sz.h), func(t *testing.T) {
				m := screen(t, sz.w, sz.h, true, keys...)
				content := m.View().Content
				checkInvariants(t, content, sz.w, sz.h)
				golden.RequireEqual(t, ansi.Strip(content))
			})
		}
	}
}

func TestTooSmall(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{59, 15}, {60, 14}, {30, 8}} {
		m := screen(t, sz.w, sz.h, true)
		content := m.View().Content
		checkInvariants(t, content, sz.w, sz.h)
		if !strings.Contains(content, "terminal too small") {
			t.Errorf("%dx%d: no 'terminal too small' in\n%s", sz.w, sz.h, content)
		}
	}
}

func TestViewDeclaresAltScreenAndMouse(t *testing.T) {
	v := screen(t, 80, 24, true).View()
	if !v.AltScreen || v.MouseMode != tea.MouseModeCellMotion {
		t.Fatalf("AltScreen=%v MouseMode=%v", v.AltScreen, v.MouseMode)
	}
}

func TestResizeTwiceIsNoOp(t *testing.T) {
	m := screen(t, 80, 24, true)
	before := m.View().Content
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if after := m.View().Content; after != before {
		t.Fatal("same size twice changed the frame")
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

// TestColorFGBGHintsTheTheme: before the terminal answers the background
// query, COLORFGBG picks the theme; without it the default is dark.
func TestColorFGBGHintsTheTheme(t *testing.T) {
	for v, want := range map[string]struct{ dark, ok bool }{
		"15;0": {true, true}, "0;15": {false, true}, "0;default;7": {false, true}, "7;8": {true, true},
		"": {false, false}, "default": {false, false}, "0;default": {false, false}, "0;99": {false, false},
	} {
		if d, ok := colorFGBG(v); d != want.dark || ok != want.ok {
			t.Errorf("colorFGBG(%q) = %v, %v; want %v, %v", v, d, ok, want.dark, want.ok)
		}
	}
	t.Setenv("COLORFGBG", "0;15")
	m := New(newTestBackend(t))
	if m.st.isDark {
		t.Fatal("COLORFGBG says light, styles are dark")
	}
	m.Update(darkBG) // the terminal's answer wins
	if !m.st.isDark {
		t.Fatal("the background reply did not switch to dark")
	}
	t.Setenv("COLORFGBG", "")
	if m := New(newTestBackend(t)); !m.st.isDark {
		t.Fatal("no hint: not dark")
	}
}

// TestCellWidthAgreesWithAnsi: the quick width of a line is the width
// x/ansi measures, for what the dashboard draws and for what it does not
// know (wide, combining and emoji text falls back).
func TestCellWidthAgreesWithAnsi(t *testing.T) {
	for _, s := range []string{"", "plain ascii", "\x1b[1;38;2;1;2;3mstyled\x1b[m text", "── ▲ list ──", "│◀▶…•·✓✗⊘›↳↻█▅",
		"数据 wide", "e\u0301 combining", "😀 emoji", "👩\u200d💻 zwj", "⚠ store", "\x1b]0;title\x07osc", "tab\there"} {
		if got, want := cellWidth(s), ansi.StringWidth(s); got != want {
			t.Errorf("cellWidth(%q) = %d, ansi.StringWidth = %d", s, got, want)
		}
	}
}
