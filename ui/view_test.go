package ui

import (
	"fmt"
	"image/color"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC    // goldens render clock times in the local zone
	os.Unsetenv("COLORFGBG") // the theme before the background reply: same on every terminal
	os.Exit(m.Run())
}

var (
	darkBG  = tea.BackgroundColorMsg{Color: color.RGBA{0x0d, 0x11, 0x17, 0xff}}
	lightBG = tea.BackgroundColorMsg{Color: color.RGBA{0xff, 0xff, 0xff, 0xff}}
)

// screen builds a dashboard over the real test backend, sized and themed,
// with the fixture events delivered the way the subscription would.
func screen(t *testing.T, w, h int, dark bool, keys ...tea.Msg) *Model {
	t.Helper()
	m := New(newTestBackend(t), WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	if dark {
		m.Update(darkBG)
	} else {
		m.Update(lightBG)
	}
	m.Update(eventsMsg{events: fixtureEvents()})
	for _, k := range keys {
		m.Update(k)
	}
	return m
}

func press(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func typeText(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return out
}

// checkInvariants: every line fits the width and the frame is exactly h lines.
func checkInvariants(t *testing.T, content string, w, h int) {
	t.Helper()
	lines := strings.Split(content, "\n")
	if len(lines) != h {
		t.Errorf("frame has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide, max %d: %q", i, n, w, ansi.Strip(l))
		}
	}
}

var sizes = []struct{ w, h int }{{80, 24}, {120, 40}, {60, 15}}

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
