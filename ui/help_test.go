package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// TestFullHelpAlwaysNamesReplay: on a fresh screen nothing is selected, so
// the replay keys do nothing, but `?` must still name them.
func TestFullHelpAlwaysNamesReplay(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := New(newTestBackend(t), WithNow(fixedClock))
			m.Update(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
			if m.keys.Detail.Replay.Enabled() {
				t.Fatal("replay enabled with nothing selected: the test would prove nothing")
			}
			m.Update(press("?"))
			content := ansi.Strip(m.View().Content)
			checkInvariants(t, m.View().Content, sz.w, sz.h)
			for _, want := range []string{"r replay", "e edit+replay", "t replay to URL"} {
				if !strings.Contains(content, want) {
					t.Errorf("full help lacks %q:\n%s", want, content)
				}
			}
		})
	}
}

// TestHelpKeepsFeedVisible: the full help takes the bottom rows and the feed
// shrinks; `?` and esc close it and the feed gets its rows back.
func TestHelpKeepsFeedVisible(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := screen(t, sz.w, sz.h, true)
			listH := m.lay.list.h
			m.Update(press("?"))
			content := ansi.Strip(m.View().Content)
			if !strings.Contains(content, "r replay") || !strings.Contains(content, "config reloaded with warnings") {
				t.Fatalf("help open: want both the help and the feed:\n%s", content)
			}
			if m.lay.list.h >= listH || m.lay.list.h < 3 {
				t.Fatalf("list is %d rows with help open (was %d)", m.lay.list.h, listH)
			}
			m.Update(press("j")) // navigation still works with help open
			if !m.showHelp {
				t.Fatal("a navigation key closed the help")
			}
			for _, closeKey := range []string{"?", "esc"} {
				if closeKey == "?" {
					for i := 0; i < 5 && m.showHelp; i++ { // ? turns the pages, then closes
						m.Update(press("?"))
					}
				} else {
					m.Update(press("?")) // reopen after the toggle above
					m.Update(press("esc"))
				}
				if m.showHelp || m.lay.list.h != listH {
					t.Fatalf("%s did not close the help (list %d rows, want %d)", closeKey, m.lay.list.h, listH)
				}
				if strings.Contains(ansi.Strip(m.View().Content), "t replay to URL") {
					t.Fatalf("%s: full help still drawn", closeKey)
				}
				m.Update(press("?"))
			}
		})
	}
}

// TestFullHelpDimsDisabledKeys pins that a key that does nothing right now
// is drawn in the dim style rather than dropped.
func TestFullHelpDimsDisabledKeys(t *testing.T) {
	m := New(newTestBackend(t), WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	found := false
	for _, g := range m.FullHelp() {
		for _, b := range g {
			if !b.Enabled() {
				t.Fatalf("FullHelp returned a disabled binding %q: help would drop it", b.Help().Desc)
			}
			if ansi.Strip(b.Help().Desc) == "replay" {
				found = true
				if b.Help().Desc == "replay" {
					t.Fatal("disabled replay is not dimmed")
				}
			}
		}
	}
	if !found {
		t.Fatal("no replay binding in FullHelp")
	}
}

// TestFullHelpShowsEveryKey: bubbles/help puts the columns on one row and
// cut the dialog and app columns at 80 columns (a, w, n, x, s, q were
// nowhere on screen). Every binding of the full help must be on screen at
// 80x24 and 120x40; at 60x15, on one of the pages ? turns to.
func TestFullHelpShowsEveryKey(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := screen(t, sz.w, sz.h, true, press("?"))
			var seen strings.Builder
			for pages := 0; m.showHelp; pages++ {
				if pages > 0 && (sz.w >= 80 || pages > 3) {
					t.Fatalf("%dx%d needs %d help pages", sz.w, sz.h, pages+1)
				}
				c := checkFrame(t, m, "help")
				seen.WriteString(ansi.Strip(c))
				m.Update(press("?"))
			}
			text := strings.Join(strings.Fields(seen.String()), " ")
			for _, g := range m.FullHelp() {
				for _, b := range g {
					h := b.Help()
					if want := ansi.Strip(h.Key) + " " + ansi.Strip(h.Desc); !strings.Contains(text, want) {
						t.Errorf("full help never shows %q", want)
					}
				}
			}
		})
	}
}
