package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// dialog is a modal drawn over the body. Dialogs differ too much for one
// typed child, so the root holds at most one behind this small interface;
// each receives the root to call Backend commands and close itself.
type dialog interface {
	name() string
	update(m *Model, msg tea.Msg) tea.Cmd
	view(m *Model, w, h int) string
	help(k *KeyMap) []key.Binding
}

// lineInput is a one-line text field. It is deliberately tiny (append,
// backspace, clear): no blinking cursor, so screens are deterministic.
type lineInput struct{ value string }

// edit applies a key; it reports whether the value changed.
func (in *lineInput) edit(msg tea.KeyPressMsg) bool {
	switch msg.String() {
	case "backspace":
		if r := []rune(in.value); len(r) > 0 {
			in.value = string(r[:len(r)-1])
			return true
		}
		return false
	case "ctrl+u":
		in.value = ""
		return true
	case "space":
		in.value += " "
		return true
	}
	if msg.Text == "" || msg.Mod&^tea.ModShift != 0 {
		return false
	}
	in.value += msg.Text
	return true
}

// paste appends pasted text (bracketed paste arrives as one tea.PasteMsg,
// not as keys). A field is one line: a trailing newline, as copied from a
// terminal, is dropped and any other control is made visible.
func (in *lineInput) paste(s string) bool {
	s = oneLine(strings.TrimRight(s, "\r\n"))
	in.value += s
	return s != ""
}

// view shows the end of the value (where the cursor is) in w cells,
// measured in cells so wide characters do not push the cursor out.
func (in *lineInput) view(focused bool, w int) string {
	v := in.value
	if focused {
		v += "█"
	}
	if n := ansi.StringWidth(v); n > w && w > 1 {
		v = "…" + cutLeft(v, n-w+1)
	}
	return v
}

// wrapLines joins lines for a dialog body, cutting at h lines.
func wrapLines(lines []string, h int) string {
	if len(lines) > h {
		lines = append(lines[:h-1], "…")
	}
	return strings.Join(lines, "\n")
}
